// The snapshots in backups/: writing one, finding and checking them, loading
// one, retention, and the readable state files in the store's directory.
//
// The store shares its directory with other programs (an older app's
// contacts.json, its backups/contacts_20240115_120000.json, its temporary
// files): it never deletes, moves or rewrites a file it did not write. Every
// removal below is of a name one of the store's own checksummed files vouches
// for; a file is never taken for the store's by its name alone.
//
// Files in backups/ (snapshot.h): <collection>_<id>.json, its key index
// <collection>_<id>.index, <id>.manifest.json,
// the intent <id>.pending.json, the tombstone <id>.removing.json, and the
// temporary <name>.tmp of any of them.
//
// Crash-safety argument (write_snapshot)
// --------------------------------------
// 1. The id is one no entry of backups/ uses in any form (manifest, intent,
//    tombstone, collection-file shape, temporary), so nothing present is
//    overwritten, and an intent's names are only ever the store's own.
// 2. The intent, naming every collection file to come, is written to a
//    temporary name, fsynced, renamed and backups/ fsynced: it is durable
//    before the first collection file exists.
// 3. Every collection file, then its key index (snapshot/key_index.h), is
//    written to a temporary name, fsynced and renamed; then backups/ is
//    fsynced. The intent names the indexes too. A collection unchanged since
//    the previous snapshot is instead made a second name of that snapshot's
//    file and index (snapshot/file_links.h), linked under the same temporary
//    names and renamed the same way: a name of bytes already durable.
// 4. The manifest is written the same way and backups/ fsynced. Before this
//    rename the new snapshot does not exist; after it, it is complete.
// 5. The intent is removed (not synced: one that comes back names a snapshot
//    whose manifest exists, and clean-up removes the intent alone).
// A crash before 4 leaves an intent without a manifest: clean-up removes the
// files it names and their temporaries, then the intent. A crash inside 2
// leaves at most <id>.pending.json.tmp, removed if it holds a whole intent and
// otherwise left (a few hundred bytes; nothing in it proves who wrote it).
//
// Retention (apply_retention) renames a removed snapshot's manifest to its
// tombstone (the snapshot stops existing; the text still names its files),
// fsyncs backups/, then clean-up removes the files and the tombstone. A
// crash in between leaves the tombstone, and the next clean-up finishes.
//
// Clean-up (remove_leftovers) removes only: the files of an intent whose
// manifest never appeared and of a tombstone (never a file a valid manifest
// names); the temporaries of names a manifest, intent or tombstone vouches
// for (and of a whole intent); then those intents and tombstones, after
// fsyncing backups/, so that a marker never vanishes while its files remain.
// Everything else in backups/ stays, including files shaped like the store's
// that an older pa-journal left without an intent (they are kept, not lost).
//
// Readable state files: a manifest lists the state files the store owns
// (claim_state_files: those listed before, plus those that did not exist and
// are created now); link_state_files replaces only those, and only their
// temporaries. The manifest is durable before any of them is touched.
//
// Thread-safety: none of these functions lock; the caller runs at most one
// compaction at a time. Readers only read files, so they may run beside it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/file_system.h"
#include "pa_journal/progress.h"
#include "snapshot/file_links.h"  // try_link, rebuild_damaged_indexes
#include "snapshot/snapshot.h"

namespace pa_journal {

// Manifests in backups_dir that parse, newest (highest seq) first. A manifest
// that does not parse is reported in damaged (if not null) and left out; one
// that cannot be read throws IoError.
std::vector<SnapshotInfo> list_snapshots(FileSystem& fs, const std::string& backups_dir,
                                         std::vector<Damage>* damaged = nullptr);

// Reads every file of a snapshot, checks its size and XXH3 against the
// manifest, and parses it. Throws CorruptedDataError naming the file.
// progress, if set, gets bytes of the snapshot's files read and parsed, out
// of info.bytes(), as a ProgressTicker reports them (model/progress_ticker.h).
Collections load_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info,
                          const ProgressTick& progress = nullptr);

// Writes collections as the snapshot of seq/time_ns and returns it, its
// manifest listing state_files (see claim_state_files; none for a snapshot
// that has no readable files). progress, if set, gets documents written, as
// a ProgressTicker reports them (model/progress_ticker.h), the total once
// the manifest is written. previous, if set, is a snapshot whose files the
// caller knows intact: a collection whose text equals its plain file there
// (same size and XXH3) gets a second name (hard link) of that file instead
// of a copy; where the file system cannot link, it is written.
// The files are the same bytes whether collections are given as values or
// as views of a frozen state (CollectionViews, snapshot.h), which are read
// in key order while the files are written.
SnapshotInfo write_snapshot(
    FileSystem& fs, const std::string& backups_dir, const CollectionViews& collections,
    uint64_t seq, int64_t time_ns, const ProgressTick& progress = nullptr,
    const std::optional<std::vector<std::string>>& state_files = std::nullopt,
    const SnapshotInfo* previous = nullptr);
SnapshotInfo write_snapshot(
    FileSystem& fs, const std::string& backups_dir, const Collections& collections,
    uint64_t seq, int64_t time_ns, const ProgressTick& progress = nullptr,
    const std::optional<std::vector<std::string>>& state_files = std::nullopt,
    const SnapshotInfo* previous = nullptr);

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
// already). Removes a snapshot through its tombstone, then remove_leftovers.
Retention apply_retention(
    FileSystem& fs, const std::string& backups_dir, size_t keep_count,
    const std::function<bool(const SnapshotInfo&)>& intact = nullptr);

// Removes what an interrupted write_snapshot or retention left in
// backups_dir, and nothing else (see the argument at the top).
void remove_leftovers(FileSystem& fs, const std::string& backups_dir);

// Writes one readable file per collection, DIR/<collection>.json, each
// atomically, creating dir and its missing parents (0700, durably) if needed. Unless
// overwrite, refuses with InvalidInputError before writing anything if any of those files
// or their temporaries (<file>.tmp) exists. progress, if set, gets documents written, as
// a ProgressTicker reports them (model/progress_ticker.h).
void write_state_files(FileSystem& fs, const std::string& dir,
                       const Collections& collections, bool overwrite,
                       const ProgressTick& progress = nullptr);

// The number of documents in collections.
uint64_t count_documents(const Collections& collections);
uint64_t count_documents(const CollectionViews& collections);

// The readable state files (names in the store's directory) the store owns
// as of snapshot info: its manifest's list, or, for a manifest written before
// the list existed, the file of each of its collections (that version wrote
// them all).
std::vector<std::string> owned_state_files(const SnapshotInfo& info);

// The state files a new snapshot of collections lists as owned: those any of
// snapshots (the present ones) owns, plus DIR/<collection>.json for each
// collection whose file and its temporary do not exist. A file present and
// never owned is someone else's, and stays out. Sorted.
std::vector<std::string> claim_state_files(FileSystem& fs, const std::string& dir,
                                           const std::vector<SnapshotInfo>& snapshots,
                                           const CollectionViews& collections);

// Makes each readable state file DIR/<collection>.json that info owns
// (owned_state_files) a second name (hard link) of the collection file of
// snapshot info in backups_dir, so that the state is written once. Each is
// replaced atomically (a link under a temporary name, then rename); then dir
// is synced. If copy, or where the file system cannot link, a copy of the
// file is written atomically instead: an in-place edit of a linked file edits
// the snapshot, so a snapshot with no older one to fall back to wants copies.
// The snapshot must be durable first: the link adds no data, only a name.
// only_stale: just the files missing or differing in size from the
// snapshot's (what a crash before the last rename leaves). Returns the state
// files of info's collections it left alone because info does not own them.
std::vector<std::string> link_state_files(FileSystem& fs, const std::string& dir,
                                          const std::string& backups_dir,
                                          const SnapshotInfo& info, bool copy = false,
                                          bool only_stale = false);

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
