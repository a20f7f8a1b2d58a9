// The snapshots in backups/: writing one, finding and checking them, loading
// one, and retention.
//
// Crash-safety argument (write_snapshot)
// --------------------------------------
// Every collection file is written to a temporary name, fsynced and renamed;
// then backups/ is fsynced; only then is the manifest written the same way and
// backups/ fsynced again. A crash before the manifest's rename leaves files no
// manifest names (orphans, removed by the next compaction) and the previous
// snapshots untouched; a crash after it leaves a complete snapshot. A manifest
// is never visible before the files it names are durable.
//
// Retention removes a snapshot's manifest first (the snapshot stops existing)
// and then its files, so a crash in between leaves only orphans.
//
// Thread-safety: none of these functions lock; the caller runs at most one
// compaction at a time. Readers only read files, so they may run beside it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/file_system.h"
#include "pa_journal/progress.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

// Manifests in backups_dir that parse, newest (highest seq) first. A manifest
// that does not parse is reported in damaged (if not null) and left out; one
// that cannot be read throws IoError.
std::vector<SnapshotInfo> list_snapshots(FileSystem& fs, const std::string& backups_dir,
                                         std::vector<Damage>* damaged = nullptr);

// Reads every file of a snapshot, checks its size and XXH3 against the
// manifest, and parses it. Throws CorruptedDataError naming the file.
Collections load_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info);

// Writes collections as the snapshot of seq/time_ns and returns it.
// progress, if set, gets documents written: 0, then after each file.
SnapshotInfo write_snapshot(FileSystem& fs, const std::string& backups_dir,
                            const Collections& collections, uint64_t seq, int64_t time_ns,
                            const ProgressTick& progress = nullptr);

// Whether every file of a snapshot is present with the size and XXH3 its
// manifest names (read, not parsed).
bool snapshot_files_intact(FileSystem& fs, const std::string& backups_dir,
                           const SnapshotInfo& info);

struct Retention {
  std::vector<std::string> removed;  // ids of the snapshots removed
  std::vector<std::string> damaged;  // ids kept, not counted: their files fail
  // Journal segments wholly at or before this seq may go: the oldest intact
  // snapshot kept. 0 (keep them all) unless two kept snapshots are intact
  // (one if keep_count is 1), so that damage to the newest, whose files the
  // readable state files are links to, leaves one to fall back to.
  uint64_t journal_needed_after = 0;
};

// Keeps the newest keep_count (at least 1) snapshots whose files are intact,
// and the damaged ones newer than the oldest of those; removes the older
// ones. A damaged snapshot cannot be loaded, so it never counts as one of the
// kept backups: counting it would remove the last good copy of a moment (and
// let the journal behind it go). intact says whether a snapshot's files are
// (default: snapshot_files_intact, which reads them; a caller may know some
// already). Also removes orphans (files no manifest names, temporary files).
Retention apply_retention(
    FileSystem& fs, const std::string& backups_dir, size_t keep_count,
    const std::function<bool(const SnapshotInfo&)>& intact = nullptr);

// Writes one readable file per collection, DIR/<collection>.json, each
// atomically, creating dir and its missing parents (0700, durably) if needed. Unless
// overwrite, refuses with InvalidInputError before writing anything if any of those files
// exists. progress, if set, gets documents written: 0, then after each file.
void write_state_files(FileSystem& fs, const std::string& dir,
                       const Collections& collections, bool overwrite,
                       const ProgressTick& progress = nullptr);

// The number of documents in collections.
uint64_t count_documents(const Collections& collections);

// Makes each readable state file DIR/<collection>.json a second name (hard
// link) of the collection file of snapshot info in backups_dir, so that the
// state is written once. Each is replaced atomically (a link under a temporary
// name, then rename); then dir is synced. If copy, or where the file system
// cannot link, a copy of the file is written atomically instead: an in-place
// edit of a linked file edits the snapshot, so a snapshot with no older one
// to fall back to wants copies. The snapshot must be durable first: the link
// adds no data, only a name. only_stale: just the files missing or differing
// in size from the snapshot's (what a crash before the last rename leaves).
void link_state_files(FileSystem& fs, const std::string& dir,
                      const std::string& backups_dir, const SnapshotInfo& info,
                      bool copy = false, bool only_stale = false);

// Ids of snapshots whose collection files are in backups_dir but whose
// manifest is not (a compaction that did not finish, or a lost manifest):
// they do not exist for the reader. Newest first.
std::vector<std::string> unfinished_snapshots(FileSystem& fs,
                                              const std::string& backups_dir);

// Whether snapshot id a is later than b: by its time, then by its "_N" suffix.
bool later_snapshot_id(const std::string& a, const std::string& b);

// The id for a snapshot at time_ns that no existing snapshot uses.
std::string new_snapshot_id(const std::vector<SnapshotInfo>& existing, int64_t time_ns);

}  // namespace pa_journal
