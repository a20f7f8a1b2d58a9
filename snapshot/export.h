// Export directories: the seed's export_data/import_data, with a manifest.
//
//   DIR/contacts.json   one file per collection, in the snapshot file format
//   DIR/notes.json
//   DIR/manifest.json   the snapshot manifest format with "format":
//                       "pa-journal-export" and "id": "export"
//
// read_export validates everything before the caller changes anything: the
// manifest's checksum, every file's name (a valid collection name plus
// ".json", nothing else), size and XXH3, every key and document; and it
// refuses any entry of DIR the manifest does not name. Files are read without
// following symlinks (a symlink is refused), so an import cannot read outside
// DIR, and nothing it names can be written outside the store.
#pragma once

#include <string>

#include "pa_journal/file_system.h"
#include "pa_journal/progress.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

inline constexpr const char* kExportManifest = "manifest.json";

// Writes collections (the state at seq/time_ns) into dir, which must not exist
// or be empty. Each file is written atomically; the manifest last.
SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const Collections& collections, uint64_t seq, int64_t time_ns);

// The collections of a valid export. Throws CorruptedDataError for a damaged or
// tampered export and InvalidInputError for one the store must not import.
// progress, if set, gets documents checked (as the manifest counts them): 0
// once the manifest and the directory's entries are checked, then per file.
Collections read_export(FileSystem& fs, const std::string& dir,
                        SnapshotInfo* info = nullptr,
                        const ProgressTick& progress = nullptr);

}  // namespace pa_journal
