// What shipping a store to a NATS JetStream stream is told, and what it says
// about its progress (docs/replication.md, "Shipping"; the functions are in
// pa_journal/replication.h, the background shipper is Options::replication).
// Plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pa_journal {

// Where shipping stands: sequence numbers are the journal's (acked_seq,
// durable_seq) and the stream's (stream_seq).
struct ReplicationStatus {
  std::string stream;
  std::string store_id;
  uint64_t acked_seq = 0;    // every record up to it is acknowledged
  uint64_t stream_seq = 0;   // the stream's sequence number of the last message
  uint64_t durable_seq = 0;  // the store's durable end, as last read
  uint64_t records_behind = 0;
  // Now minus the commit time of the oldest record not yet acknowledged.
  double seconds_behind = 0;
  uint64_t records_published = 0;                // by this run
  std::vector<std::string> snapshots_published;  // ids, by this run
  // Snapshots passed over: their files fail their manifest (damaged), or a
  // kill cut them short in the stream and they changed since (incomplete).
  std::vector<std::string> damaged_snapshots;
  std::vector<std::string> incomplete_snapshots;
  // While no server answers: the last error and the wait before the next
  // try. For the background shipper, also an error that stopped it.
  std::string error;
  uint32_t retry_in_ms = 0;
  // The background shipper: whether its thread still ships.
  bool running = false;
};

struct ReplicationOptions {
  // "nats://HOST:PORT[,HOST:PORT...]": one or more servers of one cluster.
  std::string url;
  std::string stream = "PA_JOURNAL";  // 1 to 64 letters, digits, '_' or '-'
  // The key that seals what leaves the machine (docs/replication.md,
  // "Envelope"): a key file (`pa-journal keygen`, mode 0600) or a
  // passphrase (stretched by Argon2id); neither: the stream is not
  // encrypted. Both is an InvalidInputError.
  std::string key_file;
  std::string passphrase;
  size_t batch_size = 256;        // messages per publish
  int stream_replicas = 0;        // copies a new stream keeps; 0: 3 on a cluster of 3+
  uint32_t timeout_ms = 5000;     // one request to the servers
  uint32_t poll_ms = 200;         // following: the wait when nothing was new
  uint32_t first_retry_ms = 100;  // following: backoff while no server answers,
  uint32_t max_retry_ms = 5000;   // doubling up to this
  // Called after every batch, and after every try while no server answers.
  std::function<void(const ReplicationStatus&)> on_status;
};

}  // namespace pa_journal
