// What the sources of NatsLog share (nats_log.cc, nats_publish.cc,
// nats_status.cc): nats.c's objects of one connection, the box in which
// nats.c's thread leaves publish acknowledgements, and the translation of
// nats.c's status codes into ReplicationError. Internal to replication/: the
// only place besides those sources that sees <nats/nats.h>.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "journal/mutex.h"
#include "replication/nats_log.h"

namespace pa_journal::replication {

// The outcome of one published message, as the ack handler saw it.
struct AckResult {
  bool done = false;
  PublishAck ack;
  natsStatus status = NATS_OK;
  int code = 0;  // JetStream's error code (jsErrCode), 0 if none
  std::string text;
};

// Where nats.c's ack handler, on nats.c's own thread, leaves the outcome of
// each message of the batch in flight, found by the message's address.
// Thread-safety: every member takes mutex_; the publishing thread calls
// begin, expect, forget and finish, nats.c's thread calls deliver.
class AckBox {
 public:
  void begin(size_t count) EXCLUDES(mutex_);
  // Before message i is handed to nats.c, so that its ack cannot come first.
  void expect(const natsMsg* msg, size_t i) EXCLUDES(mutex_);
  void forget(const natsMsg* msg) EXCLUDES(mutex_);
  // Acks of messages not expected (a batch given up on) are dropped.
  void deliver(const natsMsg* msg, const jsPubAck* pa, const jsPubAckErr* pae)
      EXCLUDES(mutex_);
  // Waits until `sent` outcomes arrived, or none arrived for `idle`; returns
  // the outcomes (not done: no answer) and drops acks that come later.
  std::vector<AckResult> finish(size_t sent, std::chrono::milliseconds idle)
      EXCLUDES(mutex_);

 private:
  Mutex mutex_;
  CondVar changed_;  // an outcome arrived
  std::unordered_map<const natsMsg*, size_t> index_ GUARDED_BY(mutex_);
  std::vector<AckResult> results_ GUARDED_BY(mutex_);
  size_t arrived_ GUARDED_BY(mutex_) = 0;
};

// One connection to the servers and its JetStream context. The ack handler's
// closure is acks, so a Connection does not move.
struct NatsLog::Connection {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  AckBox acks;
  bool published = false;  // a message was handed to js_PublishMsgAsync

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();
  bool closed() const;
};

// Owns a stream's info that nats.c returned.
struct StreamInfoHolder {
  jsStreamInfo* si = nullptr;
  StreamInfoHolder() = default;
  StreamInfoHolder(const StreamInfoHolder&) = delete;
  StreamInfoHolder& operator=(const StreamInfoHolder&) = delete;
  ~StreamInfoHolder() { jsStreamInfo_Destroy(si); }
};

// The ack handler that jsOptions.PublishAsync.AckHandler names; its closure
// is an AckBox.
void nats_on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

// Throws the ReplicationError that a failed nats.c call means to a user:
// doing says what was being done ("creating stream X"), url which servers,
// code is JetStream's error code (0 if none) and text the server's words.
[[noreturn]] void nats_fail(const std::string& doing, const std::string& url,
                            natsStatus s, int code, const std::string& text);

// A request to JetStream's API that no server subscribes to (NATS_NO_RESPONDERS)
// means that JetStream is not enabled; publish handles a publish that no
// stream answered itself.
//
// Throws the ReplicationError of a refused expected last sequence, naming
// both sequences (actual: as the server said, nullopt if it did not).
[[noreturn]] void nats_fail_sequence(const std::string& doing, const std::string& url,
                                     uint64_t expected, std::optional<uint64_t> actual);

// Throws ReplicationError (unavailable) when a stream of more than one
// replica has no leader: a replica answers for a stream without a leader, and
// what it says may be behind what the stream acknowledged (a node just back).
void nats_require_leader(const jsStreamInfo& si, const std::string& doing,
                         const std::string& url);

// The sequence in JetStream's "wrong last sequence: N"; nullopt if none.
std::optional<uint64_t> nats_sequence_in(const std::string& text);

// Whether s means that no server answered (trying later may help).
bool nats_unavailable(natsStatus s);

// nats.c's text for the last error of this thread ("" if none).
std::string nats_last_error();

// The message's subject, data and headers, with the given stream sequence and
// stored time.
LogMessage to_log_message(natsMsg* msg, uint64_t stream_seq, int64_t time_ns);

inline int64_t to_ms(std::chrono::milliseconds d) {
  return static_cast<int64_t>(d.count());
}

}  // namespace pa_journal::replication
