// The replicated log over NATS JetStream (docs/replication.md, "The stream"),
// through the nats.c client. One NatsLog holds one connection to the servers
// of its URL list, with reconnection on: a server that fails is left for
// another of the list (or one the cluster told the client about), and a
// connection that closed for good is made again at the next call.
//
// Errors: every call throws ReplicationError, with unavailable() when no
// server answered within the timeout (trying later may help). A URL that is
// not nats://HOST:PORT[,HOST:PORT...] is refused by the constructor, not
// unavailable: no wait cures it. Nothing of nats.c (its status codes, its
// objects) leaves this module.
//
// Thread-safety: as ReplicaLog, one thread at a time. nats.c's own threads
// only deliver publish acknowledgements, which meet the calling thread under a
// mutex of this module.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replication/replica_log.h"

namespace pa_journal::replication {

struct NatsLogOptions {
  // How long one request (a stream's state, a batch's acknowledgements, the
  // next message of a read) may wait for the servers.
  std::chrono::milliseconds timeout{5000};
  // How long connecting may try each server before giving up.
  std::chrono::milliseconds connect_timeout{2000};
};

// The servers of url, "nats://h:p[,h:p...]" (a later server may repeat the
// scheme), each as "nats://h:p". Throws ReplicationError (not unavailable)
// naming url when it is not such a list.
std::vector<std::string> parse_nats_url(std::string_view url);

class NatsLog final : public ReplicaLog {
 public:
  // Validates url (parse_nats_url); connects at the first call.
  explicit NatsLog(std::string url, NatsLogOptions options = {});
  ~NatsLog() override;
  NatsLog(const NatsLog&) = delete;
  NatsLog& operator=(const NatsLog&) = delete;

  const std::string& url() const { return url_; }

  StreamState ensure_stream(const StreamSettings& settings) override;
  std::optional<StreamState> stream_state(const std::string& stream) override;
  std::vector<PublishAck> publish(const std::string& stream, uint64_t expected_last_seq,
                                  const std::vector<OutMessage>& messages) override;
  void read(const std::string& stream, uint64_t from_seq,
            const LogVisitor& visit) override;
  std::optional<LogMessage> last_on_subject(const std::string& stream,
                                            const std::string& subject) override;

  struct Connection;  // nats.c's objects (nats_log.cc)

 private:
  Connection& connection();

  std::string url_;
  std::vector<std::string> servers_;
  NatsLogOptions options_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace pa_journal::replication
