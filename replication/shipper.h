// The shipper: copies a store, record by record and snapshot by snapshot,
// into its stream on a ReplicaLog (docs/replication.md, "Shipping").
//
// Crash-safety argument
// ---------------------
// What the stream holds is the truth; the position (ShipPosition, saved
// through save_position, in the store as replicas/<STREAM>.json) is a
// checkpoint of it, written only after the stream acknowledged everything it
// names. So:
// 1. Every message is published with an expected last stream sequence (the
//    position's stream_seq, then each predecessor's): a message nobody
//    expected (another publisher, a second shipper) makes the publish fail,
//    and is never papered over.
// 2. The save after each acknowledged batch is the commit point. A kill
//    before it leaves the stream ahead of the position by at most the batch
//    (or the snapshot) being published. On start the shipper reads the
//    stream after the position's stream_seq and takes what it finds as
//    shipped, provided it is exactly what this shipper would have published
//    next (the records after acked_seq in order, or the chunks of one
//    snapshot in order); anything else is refused, naming the stream
//    sequence and the journal sequence expected. So a restart after kill -9
//    resumes with no gap and no duplicate.
// 3. A stream behind the position (it lost acknowledged messages) is
//    refused: shipping on would leave a hole in the replica.
// 4. Records are shipped in sequence order from the journal. A record the
//    journal no longer holds (compaction removed it before it was shipped)
//    is bridged only by a snapshot that covers it, published first, and the
//    bridge is reported in the status; without such a snapshot shipping stops
//    with ReplicationError naming the missing sequence numbers.
// 5. A snapshot is published once the records up to its seq are
//    acknowledged (a bridge excepted) and is named in the position only once
//    its every chunk is acknowledged; a kill in between resumes at the chunk
//    after the last one the stream holds.
//
// The journal is read under the reader protocol (journal_frames.h): never
// LOCK, never past the durable end, so a live writer in another process is
// never disturbed.
//
// Thread-safety: a Shipper is used by one thread at a time; stop it from
// another through the stop_token given to ship or follow.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "pa_journal/file_system.h"
#include "replication/replica_log.h"
#include "replication/sealer.h"
#include "replication/subjects.h"

namespace pa_journal::replication {

// What the stream acknowledged, as the position file keeps it.
struct ShipPosition {
  uint64_t acked_seq = 0;              // every journal seq up to it is in the stream
  uint64_t stream_seq = 0;             // the stream's sequence number of the last message
  std::vector<std::string> snapshots;  // ids of the snapshots wholly acknowledged
  bool operator==(const ShipPosition&) const = default;
};

// A stretch of records the journal no longer held when they were to be
// shipped, and the snapshot published in their place.
struct BridgedHole {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string snapshot_id;
  bool operator==(const BridgedHole&) const = default;
};

struct ShipStatus {
  uint64_t acked_seq = 0;
  uint64_t stream_seq = 0;
  uint64_t durable_seq = 0;  // the last record readable when the pass began
  uint64_t records_behind = 0;
  // Now minus the commit time of the oldest record not yet acknowledged; 0
  // when nothing is behind.
  double seconds_behind = 0;
  uint64_t records_published = 0;                // since the Shipper was made
  std::vector<std::string> snapshots_published;  // ids, since the Shipper was made
  std::vector<BridgedHole> bridged_holes;        // since the Shipper was made
  // Snapshots passed over because their files fail their manifest.
  std::vector<std::string> damaged_snapshots;
  // Snapshots a kill cut short in the stream that could not be finished
  // (removed or changed since): the clone leaves them out.
  std::vector<std::string> incomplete_snapshots;
  // follow: the last error while the log was unavailable ("" once it answers).
  std::string error;
  uint32_t retry_in_ms = 0;  // follow: the wait before the next try
};

struct ShipperOptions {
  std::string dir;  // the store
  std::string stream = std::string(kDefaultStream);
  std::string store_id;  // 32 lowercase hex digits
  // The "sealing" value of the meta message, JSON text ("null": not sealed).
  std::string sealing_json = "null";
  // Called with the "sealing" JSON of a stream that already has a meta
  // message; throws KeyError if this store's key does not fit it. Null: the
  // stream must be sealed exactly when the sealer encrypts.
  std::function<void(const std::string& sealing_json)> verify_sealing;
  // The saved position (nullopt: none yet) and its atomic replacement.
  std::function<std::optional<ShipPosition>()> load_position;
  std::function<void(const ShipPosition&)> save_position;
  size_t batch_size = 256;                           // messages per publish
  int replicas = 0;                                  // StreamSettings::replicas
  std::shared_ptr<FileSystem> file_system;           // null: POSIX
  std::function<int64_t()> clock_ns;                 // null: the system clock
  std::function<void(const ShipStatus&)> on_status;  // after every batch; may be null
};

struct FollowOptions {
  uint32_t poll_ms = 200;         // sleep between passes that found nothing new
  uint32_t first_retry_ms = 100;  // backoff after the log was unavailable
  uint32_t max_retry_ms = 5000;   // ... doubling up to this
};

class Shipper {
 public:
  // log and sealer must outlive the Shipper.
  Shipper(ReplicaLog& log, const Sealer& sealer, ShipperOptions options);
  ~Shipper();
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  // Ships everything up to the durable end as it was when the call began,
  // and returns the status. Stops early (between batches) when stop is
  // requested. Throws ReplicationError (unavailable() when the log did not
  // answer), KeyError, CorruptedDataError (damage in the journal); what was
  // acknowledged before a throw stays saved.
  ShipStatus ship(std::stop_token stop = {});

  // Ships, then waits for new durable records and ships them, until stop is
  // requested. While the log is unavailable it retries with exponential
  // backoff (FollowOptions), reporting the error and the growing lag through
  // on_status. Other errors are thrown.
  ShipStatus follow(std::stop_token stop, const FollowOptions& follow = {});

  // The status as of the last pass.
  const ShipStatus& status() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pa_journal::replication
