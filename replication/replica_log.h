// The replicated log a store ships itself to, as the replication layer needs
// it: a stream of messages numbered 1, 2, ... by the log, appended in order,
// deduplicated by message id, read back in order. NatsLog (nats_log.h) is the
// one real implementation, over NATS JetStream; tests use an in-memory one.
//
// Errors: every call throws ReplicationError (unavailable() when no server
// answered within the log's timeout, so that trying later may help);
// exceptions of the client library never leave an implementation.
//
// Thread-safety: an implementation is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pa_journal::replication {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct StreamSettings {
  std::string name;  // validated (subjects.h)
  std::vector<std::string> subjects;
  // Copies the log keeps of each message; 0: 3 where the cluster has at least
  // three servers, else 1.
  int replicas = 0;
};

struct StreamState {
  uint64_t messages = 0;
  uint64_t first_seq = 0;  // 0 when empty
  uint64_t last_seq = 0;   // 0 when empty
  int replicas = 1;
};

struct OutMessage {
  std::string subject;
  std::string msg_id;  // the log drops a message whose id it has seen recently
  std::string data;
  Headers headers;  // besides the message id
};

struct PublishAck {
  uint64_t stream_seq = 0;
  bool duplicate = false;  // the log already held this message id
};

struct LogMessage {
  uint64_t stream_seq = 0;
  std::string subject;
  std::string data;
  Headers headers;      // as published (the message id included)
  int64_t time_ns = 0;  // when the log stored it, UTC ns
};

using LogVisitor = std::function<bool(const LogMessage&)>;

class ReplicaLog {
 public:
  virtual ~ReplicaLog() = default;

  // Creates the stream if it does not exist (file storage, no limits on age,
  // count or size: the log never drops what the store may need) and returns
  // its state. An existing stream is taken as it is.
  virtual StreamState ensure_stream(const StreamSettings& settings) = 0;

  // The stream's state; nullopt if there is no such stream.
  virtual std::optional<StreamState> stream_state(const std::string& stream) = 0;

  // Publishes messages in order, pipelined, and returns one ack per message,
  // in order, once all are acknowledged. The first message requires the
  // stream's last sequence to be expected_last_seq (0: empty) and each later
  // one the sequence its predecessor got, so that a message another publisher
  // slipped in is found (ReplicationError naming both sequences), never
  // papered over. On a throw, a prefix of messages may be stored; the caller
  // learns which from the stream.
  virtual std::vector<PublishAck> publish(const std::string& stream,
                                          uint64_t expected_last_seq,
                                          const std::vector<OutMessage>& messages) = 0;

  // Calls visit for each message of stream from sequence from_seq on, in
  // order, up to the last message the stream held when the call began; stops
  // early when visit returns false.
  virtual void read(const std::string& stream, uint64_t from_seq,
                    const LogVisitor& visit) = 0;

  // The newest message on subject; nullopt if the stream has none.
  virtual std::optional<LogMessage> last_on_subject(const std::string& stream,
                                                    const std::string& subject) = 0;
};

}  // namespace pa_journal::replication
