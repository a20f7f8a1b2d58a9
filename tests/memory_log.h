// An in-memory ReplicaLog for tests, faithful to the interface
// (replication/replica_log.h): one numbered list of messages per stream,
// deduplication by message id (every id ever seen, no window), the expected
// last sequence checked for each message of a publish in turn, and faults:
// unavailable (every call throws), or a publish that stores some messages
// and then throws as if the connection broke before the acks came back.
//
// And XorSealer, a test sealer that really changes the bytes (XOR with a
// stream derived from the associated data, plus a checksum of plaintext and
// associated data), so that a test sees the clone open what the shipper
// sealed and no plaintext reach the log.
//
// Thread-safety: MemoryLog locks every call, so a test may damage or inspect
// it while a follower runs on another thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "replication/replica_log.h"
#include "replication/sealer.h"

namespace pa_journal::testing {

class MemoryLog : public replication::ReplicaLog {
 public:
  replication::StreamState ensure_stream(
      const replication::StreamSettings& settings) override;
  std::optional<replication::StreamState> stream_state(
      const std::string& stream) override;
  std::vector<replication::PublishAck> publish(
      const std::string& stream, uint64_t expected_last_seq,
      const std::vector<replication::OutMessage>& messages) override;
  void read(const std::string& stream, uint64_t from_seq,
            const replication::LogVisitor& visit) override;
  std::optional<replication::LogMessage> last_on_subject(
      const std::string& stream, const std::string& subject) override;

  // Every call throws ReplicationError(unavailable) while set.
  void set_unavailable(bool unavailable);
  // The next publishes store n messages in all, then the one that would
  // store the (n+1)th throws ReplicationError(unavailable) without acks, as
  // a connection lost between publish and ack does; then the log works again.
  void break_after(uint64_t n);
  // Appends a message as another publisher would, without any check.
  uint64_t append_foreign(const std::string& stream, const replication::OutMessage& m);
  // The messages of a stream, to look at or damage in place.
  std::vector<replication::LogMessage>& messages(const std::string& stream);
  // Removes the message with stream sequence seq (a lost message).
  void drop(const std::string& stream, uint64_t seq);
  // Every byte of every message of stream: subjects, headers and data.
  std::string all_bytes(const std::string& stream);
  uint64_t publish_calls() const;

 private:
  struct Stream {
    std::vector<replication::LogMessage> messages;
    std::map<std::string, uint64_t> seq_of_id;
    uint64_t last_seq = 0;
  };
  void check_available() const;
  std::optional<replication::StreamState> stream_state_locked(const std::string& stream);
  uint64_t store(Stream& s, const replication::OutMessage& m);
  Stream& existing(const std::string& stream);

  mutable std::mutex mu_;
  std::map<std::string, Stream> streams_;
  bool unavailable_ = false;
  std::optional<uint64_t> break_after_;
  uint64_t publish_calls_ = 0;
};

class XorSealer final : public replication::Sealer {
 public:
  explicit XorSealer(uint64_t key) : key_(key) {}
  bool encrypts() const override { return true; }
  std::string seal(std::string_view plain, std::string_view ad) const override;
  std::string open(std::string_view sealed, std::string_view ad) const override;

 private:
  std::string xor_bytes(std::string_view in, std::string_view ad) const;
  uint64_t key_;
};

}  // namespace pa_journal::testing
