// The position of one replica: the file replicas/<stream>.json in the store
// (docs/replication.md, "What the store keeps"), which says what that
// JetStream stream acknowledged:
//
//   {"stream": "PA_JOURNAL", "url": "nats://h1:4222,h2:4222",
//    "store_id": "<32 hex digits>", "acked_seq": 41, "stream_seq": 44,
//    "snapshots": ["20261125_100000"], "updated": "2026-11-25T10:00:00.5Z"}
//
// While such a file exists, compaction removes no journal segment holding a
// record after its acked_seq (store/compactor.h): a damaged one holds the
// whole journal, as its acked_seq cannot be known.
//
// Thread- and process-safety: one writer per stream. The shipper of a stream
// holds replicas/<stream>.lock (lock_replica) for as long as it writes the
// stream's position; forget_replica takes it too. Readers need no lock: each
// write replaces the file atomically (the crash argument is at the top of
// replica_position.cc), so a reader sees the old file or the new.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/file_system.h"
#include "pa_journal/replicas.h"

namespace pa_journal {

// Writes position into replicas/<position.stream>.json of the store in dir
// (replicas/ created 0700 if missing), replacing the file atomically, and
// makes it durable. Fills position.updated with the time now if it is empty.
// Throws InvalidInputError for a stream name or store id that cannot be.
void write_replica_position(FileSystem& fs, const std::string& dir,
                            ReplicaPosition position);

// The position of stream. Throws NotFoundError if there is none,
// CorruptedDataError naming the file if it does not read as one.
ReplicaPosition read_replica_position(FileSystem& fs, const std::string& dir,
                                      const std::string& stream);

// What replicas/ holds.
struct ReplicaListing {
  std::vector<ReplicaPosition> positions;  // by stream name
  // Position files that do not read: the CorruptedDataError's message each.
  std::vector<std::string> damaged;
  // Other names in replicas/ ("replicas/<name>"): not trusted, not removed.
  std::vector<std::string> strays;
  // The acked_seq up to which every replica has its records, which compaction
  // may remove: the smallest acked_seq; 0 if a position is damaged; nullopt
  // if there is no position at all (no hold).
  std::optional<uint64_t> held_after() const;
};

// Every position of the store in dir (none if replicas/ does not exist).
ReplicaListing list_replica_positions(FileSystem& fs, const std::string& dir);

// Removes stream's position file; returns whether there was one. The caller
// holds the stream's lock.
bool remove_replica_position(FileSystem& fs, const std::string& dir,
                             const std::string& stream);

// Takes replicas/<stream>.lock (FileSystem::lock), creating replicas/ if
// missing: StoreLockedError naming the holder while another process has it.
std::unique_ptr<FileLock> lock_replica(FileSystem& fs, const std::string& dir,
                                       const std::string& stream);

}  // namespace pa_journal
