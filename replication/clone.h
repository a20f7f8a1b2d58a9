// Rebuilding a whole store from its stream alone (docs/replication.md,
// "Cloning"): the journal with every record as the source wrote it (same
// sequence numbers, times, origin notes: the frames are the source's bytes),
// the snapshots as backups, the store id.
//
// Checks, end to end: every message opens with the key and the associated
// data of its place (a message moved or changed fails); every frame's XXH3
// (the journal's own checksum) and its sequence number against its header;
// sequence numbers strictly following each other, a hole allowed only where
// a whole snapshot published before the next record covers it; every
// snapshot bundle's checksum, its manifest's checksum and every file's size
// and XXH3. A message that fails throws CorruptedDataError naming the stream
// sequence and the journal sequence or snapshot.
//
// Crash-safety argument
// ---------------------
// The store is built where no one looks for a store and appears at out_dir
// in one rename. T is out_dir + kCloneTempSuffix, a sibling of out_dir.
// 1. out_dir must be absent or an empty directory; T must not exist.
// 2. T/journal (segments written as the journal writer writes them: header,
//    frames, rolled at segment_bytes), T/backups (per snapshot its
//    collection files, then its manifest, each through a temporary name)
//    and T/STORE_ID are written, each file synced, then every directory.
// 3. T is renamed to out_dir (rename(2) replaces an empty directory) and
//    out_dir's parent synced: before, out_dir is absent or empty; after, it
//    is the whole store, whose every file was durable before the rename.
// 4. The readable state files of the newest snapshot are written into
//    out_dir, each atomically (the store does not need them to open).
// A clone that fails before 3 removes T (best effort) and leaves out_dir as
// it was; one whose last sync (after 3) fails throws, leaving the whole
// store, which a power loss might still undo; a kill -9 or power loss before 3 may leave
// T, which the next clone into out_dir refuses to overwrite, naming it.
//
// Thread-safety: one clone per out_dir; log is the caller's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/file_system.h"
#include "replication/replica_log.h"
#include "replication/sealer.h"
#include "replication/shipper.h"

namespace pa_journal::replication {

inline constexpr std::string_view kCloneTempSuffix = ".clone-partial";
inline constexpr std::string_view kStoreIdFileName = "STORE_ID";

// Chooses the sealer for a stream from its meta message: the store id and
// the "sealing" JSON ("null": not sealed). Throws KeyError when no key is
// given for a sealed stream, a key for an unsealed one, or a key that does
// not open the meta's check.
using SealerChooser = std::function<std::unique_ptr<Sealer>(
    const std::string& store_id, const std::string& sealing_json)>;

struct CloneProgress {
  uint64_t stream_seq = 0;       // the last message read
  uint64_t stream_last_seq = 0;  // the stream's last message when the clone began
  uint64_t records = 0;
  uint64_t snapshots = 0;
};

struct CloneOptions {
  // The newest commit time to clone (--at): later records and snapshots are
  // left out, so that the store holds the state of that moment. Unset: all.
  std::optional<int64_t> until_ns;
  uint64_t segment_bytes = 64ull << 20;  // as Options::segment_bytes
  // Writes the store id into the store being built in dir (T, step 2). Null:
  // the file STORE_ID, the id and "\n", mode 0600.
  std::function<void(FileSystem& fs, const std::string& dir, const std::string& id)>
      write_store_id;
  std::function<void(const CloneProgress&)> progress;  // now and then; may be null
};

struct CloneResult {
  std::string store_id;
  uint64_t records = 0;  // records (and loss frames) written
  uint64_t first_seq = 0, last_seq = 0;
  int64_t last_time_ns = 0;
  std::vector<std::string> snapshots;             // ids written into backups/
  std::vector<std::string> incomplete_snapshots;  // chunks missing: left out
  std::vector<BridgedHole> bridged_holes;
};

// Throws InvalidInputError naming out_dir if it exists and is not an empty
// directory, or naming out_dir + kCloneTempSuffix if that exists (left by a
// clone that did not finish). Touches nothing: clone_from_log checks the
// same first; a caller may check before it connects to anything.
void check_clone_target(FileSystem& fs, const std::string& out_dir);

// Clones stream into out_dir (absent or empty). Throws InvalidInputError if
// out_dir holds anything or options.until_ns comes before everything the
// stream holds (the clone would be an empty store), ReplicationError if there is no such
// stream or it is not a store's replica, KeyError from choose, CorruptedDataError for a
// message that fails a check.
CloneResult clone_from_log(ReplicaLog& log, const std::string& stream,
                           const SealerChooser& choose, FileSystem& fs,
                           const std::string& out_dir, const CloneOptions& options = {});

}  // namespace pa_journal::replication
