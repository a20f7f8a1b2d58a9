// Export directories: the seed's export_data/import_data, with a manifest.
//
//   DIR/contacts.json   one file per collection, in the snapshot file format
//   DIR/notes.json
//   DIR/manifest.json   the snapshot manifest format with "format":
//                       "pa-journal-export" and "id": "export"
//
// Reading one back is snapshot/import_dir.h's, with the other forms an
// import takes.
#pragma once

#include <string>

#include "pa_journal/file_system.h"
#include "pa_journal/progress.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

// Writes collections (the state at seq/time_ns) into dir, which must not exist
// or be empty. Each file is written atomically; the manifest last. progress,
// if set, gets documents written, as a ProgressTicker reports them
// (model/progress_ticker.h), the total once the manifest is written.
SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const CollectionViews& collections, uint64_t seq,
                          int64_t time_ns, const ProgressTick& progress = nullptr);
SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const Collections& collections, uint64_t seq, int64_t time_ns,
                          const ProgressTick& progress = nullptr);

}  // namespace pa_journal
