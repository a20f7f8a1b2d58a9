// Where a shipper resumes: the stream's meta message checked against the
// store, and the messages the stream holds past the saved position folded
// into it (shipper.h, crash-safety argument, points 1 to 3).
//
// Thread-safety: the caller's; used by one Shipper.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "replication/replica_log.h"
#include "replication/sealer.h"
#include "replication/shipper.h"

namespace pa_journal::replication {

// Checks the meta message of a stream that holds messages: the store id
// (ReplicationError naming both ids and the stream) and the sealing (through
// verify, or if it is null, sealed exactly when sealer encrypts; KeyError).
void check_meta(ReplicaLog& log, const std::string& stream, const std::string& store_id,
                const Sealer& sealer,
                const std::function<void(const std::string&)>& verify);

// A snapshot whose first chunks the stream holds and the rest it does not.
struct PartialSnapshot {
  std::string id;
  uint64_t next_index = 0;
  uint64_t count = 0;
};

struct Resumed {
  ShipPosition position;
  std::optional<PartialSnapshot> partial;
  uint64_t folded = 0;  // messages found past the saved position
};

// The seq of a local snapshot by id, nullopt if the store has no such one.
using SnapshotSeq = std::function<std::optional<uint64_t>(const std::string& id)>;

// Reads stream after saved.stream_seq (stream_last: its last sequence) and
// takes each message as shipped if it is what the shipper would have
// published next; anything else throws ReplicationError naming the stream
// sequence and what was expected (another publisher wrote into the stream).
Resumed resume_position(ReplicaLog& log, const std::string& stream,
                        const std::string& store_id, const ShipPosition& saved,
                        uint64_t stream_last, const SnapshotSeq& snapshot_seq);

}  // namespace pa_journal::replication
