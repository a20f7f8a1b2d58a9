// The store's replicas, as the store keeps them (docs/replication.md, "What
// the store keeps"): its id, and per stream that replicates it, what that
// stream acknowledged. While a stream's position is kept, compaction keeps
// every journal record after its acked_seq; forget_replica lets go.
// All of these are read-only on the store but forget_replica, and none takes
// LOCK: they work beside a live writer in another process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pa_journal/options.h"

namespace pa_journal {

// A snapshot a stream holds whole: its id and the seq it covers, which
// together name it (an id alone repeats once retention removed its snapshot).
struct ReplicaSnapshot {
  std::string id;
  uint64_t seq = 0;
  bool operator==(const ReplicaSnapshot&) const = default;
};

// replicas/<stream>.json: what one stream acknowledged.
struct ReplicaPosition {
  std::string stream;    // the JetStream stream's name
  std::string url;       // the servers it was shipped to, as given
  std::string store_id;  // the store the stream holds
  // The last journal sequence number the stream acknowledged; every record
  // before it was acknowledged too. 0: none yet.
  uint64_t acked_seq = 0;
  uint64_t stream_seq = 0;                 // the stream's sequence number of that message
  std::vector<ReplicaSnapshot> snapshots;  // snapshots wholly acknowledged
  std::string updated;                     // RFC 3339, when the file was written
  bool operator==(const ReplicaPosition&) const = default;
};

// A position as the store sees it.
struct ReplicaStatus {
  ReplicaPosition position;
  // Records the store holds after acked_seq (its last seq - acked_seq).
  uint64_t lag_records = 0;
  // The journal the store keeps only for this replica: records in segments
  // that lie wholly at or before the oldest snapshot (compaction would have
  // removed them) and hold a record after acked_seq.
  uint64_t held_records = 0;
  uint64_t held_bytes = 0;
};

struct ReplicasReport {
  std::string store_id;  // "" for an older store not yet opened writable
  uint64_t last_seq = 0;
  std::vector<ReplicaStatus> replicas;  // by stream name
  // A position file that does not read ("replicas/S.json: ..."): it holds
  // the whole journal until it is forgotten or rewritten.
  std::vector<std::string> damaged;
  // Names in replicas/ that are no position file (nor its lock or
  // temporary): reported, never trusted nor removed.
  std::vector<std::string> strays;
};

// The store's id, "" if it has none yet (a store made before store ids and
// not opened writable since): one small read, without opening the store.
// Throws NotFoundError if dir holds no store, CorruptedDataError naming
// STORE_ID if it is damaged.
std::string store_id_of(const std::string& dir, const Options& options = {});

// The store's id ("" if it has none yet) and its replicas, with the journal
// read as inspect reads it (for the last seq and what is held). Throws
// NotFoundError if dir holds no store.
ReplicasReport list_replicas(const std::string& dir, const Options& options = {});

// Removes the position of stream (a damaged one too), so that compaction no
// longer keeps the journal for it. Returns false if there was none. Throws
// InvalidInputError for a name no stream can have, StoreLockedError while a
// process ships to that stream (it holds replicas/<stream>.lock).
bool forget_replica(const std::string& dir, const std::string& stream,
                    const Options& options = {});

}  // namespace pa_journal
