// The files a snapshot takes from an earlier one instead of writing them
// (snapshot/catalogue.h, write_snapshot, crash-safety step 3). A collection
// whose text is a previous snapshot's plain file, byte for byte (the same
// size and XXH3, hashed here as the text would be written, without writing
// it), gets a second name (hard link) of that file, and of its key index
// when the index verifies; a kept snapshot's damaged key indexes are written
// again from the state whose text the file holds.
//
// Contract: a link adds a name, never data, and is made the way a written
// file is: under the target's temporary name, then renamed; the caller syncs
// backups/ as it does after written files. Where the file system cannot
// link, nothing is linked and the caller writes the file.
//
// Thread-safety: none of these lock (as snapshot/catalogue.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/file_system.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

// The pieces a collection's text is serialized in (serialize_collection),
// to be written (snapshot/catalogue.cc) or hashed.
inline constexpr size_t kStreamChunkBytes = 4 << 20;

// Makes to a second name of from; false where the file system cannot link
// the two paths (IoError from link: another file system, no link support).
bool try_link(FileSystem& fs, const std::string& from, const std::string& to);

// The plain file of previous whose text is exactly collection's, if any.
std::optional<SnapshotFile> unchanged_file(const SnapshotInfo* previous,
                                           const std::string& name,
                                           const CollectionView& collection);

// Makes path a second name of previous's file of the same text (through its
// temporary, as a written file), if it can, and out->index one of its key
// index; out takes that file's size and XXH3. The caller syncs the directory.
bool link_unchanged(FileSystem& fs, const std::string& backups_dir,
                    const std::string& path, const std::optional<SnapshotFile>& same,
                    SnapshotFile* out);

// Writes again each key index of info's plain files that is missing or does
// not verify (derived files: pa-journal verify reports them), built from
// collections, info's state, for a compaction with nothing new to snapshot.
// An index is written only if collections' text is the file's (the
// manifest's size and XXH3); each through a temporary name, synced, renamed,
// then backups_dir synced: a crash leaves the old index or the new one.
// Returns the indexes written.
std::vector<std::string> rebuild_damaged_indexes(FileSystem& fs,
                                                 const std::string& backups_dir,
                                                 const SnapshotInfo& info,
                                                 const CollectionViews& collections);

}  // namespace pa_journal
