#include "tests/memory_log.h"

#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "replication/messages.h"

namespace pa_journal::testing {
namespace {

using replication::LogMessage;
using replication::OutMessage;
using replication::PublishAck;
using replication::StreamState;

}  // namespace

void MemoryLog::check_available() const {
  if (unavailable_) throw ReplicationError("memory log: no server answered", true);
}

MemoryLog::Stream& MemoryLog::existing(const std::string& stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) throw ReplicationError("memory log: no stream " + stream);
  return it->second;
}

StreamState MemoryLog::ensure_stream(const replication::StreamSettings& settings) {
  std::lock_guard lock(mu_);
  check_available();
  streams_[settings.name];
  return *stream_state_locked(settings.name);
}

std::optional<StreamState> MemoryLog::stream_state(const std::string& stream) {
  std::lock_guard lock(mu_);
  check_available();
  return stream_state_locked(stream);
}

std::optional<StreamState> MemoryLog::stream_state_locked(const std::string& stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return std::nullopt;
  const Stream& s = it->second;
  StreamState state;
  state.messages = s.messages.size();
  state.first_seq = s.messages.empty() ? 0 : s.messages.front().stream_seq;
  state.last_seq = s.last_seq;
  return state;
}

uint64_t MemoryLog::store(Stream& s, const OutMessage& m) {
  LogMessage stored;
  stored.stream_seq = ++s.last_seq;
  stored.subject = m.subject;
  stored.data = m.data;
  stored.headers = m.headers;
  stored.headers.emplace_back(std::string(replication::kMsgIdHeader), m.msg_id);
  stored.time_ns = static_cast<int64_t>(stored.stream_seq);
  s.messages.push_back(std::move(stored));
  if (!m.msg_id.empty()) s.seq_of_id[m.msg_id] = s.last_seq;
  return s.last_seq;
}

std::vector<PublishAck> MemoryLog::publish(const std::string& stream,
                                           uint64_t expected_last_seq,
                                           const std::vector<OutMessage>& messages) {
  std::lock_guard lock(mu_);
  ++publish_calls_;
  check_available();
  Stream& s = existing(stream);
  std::vector<PublishAck> acks;
  uint64_t expected = expected_last_seq;
  for (const OutMessage& m : messages) {
    if (break_after_ && *break_after_ == 0) {
      break_after_.reset();
      throw ReplicationError("memory log: the connection broke before the acks", true);
    }
    auto dup = s.seq_of_id.find(m.msg_id);
    if (dup != s.seq_of_id.end()) {
      acks.push_back({dup->second, true});
      continue;
    }
    if (s.last_seq != expected) {
      throw ReplicationError("memory log: wrong last sequence: expected " +
                             std::to_string(expected) + ", stream " + stream + " has " +
                             std::to_string(s.last_seq));
    }
    if (break_after_) --*break_after_;
    expected = store(s, m);
    acks.push_back({expected, false});
  }
  return acks;
}

void MemoryLog::read(const std::string& stream, uint64_t from_seq,
                     const replication::LogVisitor& visit) {
  std::vector<LogMessage> copy;
  {
    std::lock_guard lock(mu_);
    check_available();
    for (const LogMessage& m : existing(stream).messages) {
      if (m.stream_seq >= from_seq) copy.push_back(m);
    }
  }
  for (const LogMessage& m : copy) {
    if (!visit(m)) return;
  }
}

std::optional<LogMessage> MemoryLog::last_on_subject(const std::string& stream,
                                                     const std::string& subject) {
  std::lock_guard lock(mu_);
  check_available();
  const auto& messages = existing(stream).messages;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->subject == subject) return *it;
  }
  return std::nullopt;
}

void MemoryLog::set_unavailable(bool unavailable) {
  std::lock_guard lock(mu_);
  unavailable_ = unavailable;
}

void MemoryLog::break_after(uint64_t n) {
  std::lock_guard lock(mu_);
  break_after_ = n;
}

uint64_t MemoryLog::append_foreign(const std::string& stream, const OutMessage& m) {
  std::lock_guard lock(mu_);
  return store(streams_[stream], m);
}

std::vector<LogMessage>& MemoryLog::messages(const std::string& stream) {
  std::lock_guard lock(mu_);
  return existing(stream).messages;
}

void MemoryLog::drop(const std::string& stream, uint64_t seq) {
  std::lock_guard lock(mu_);
  std::erase_if(existing(stream).messages,
                [seq](const LogMessage& m) { return m.stream_seq == seq; });
}

std::string MemoryLog::all_bytes(const std::string& stream) {
  std::lock_guard lock(mu_);
  std::string out;
  for (const LogMessage& m : existing(stream).messages) {
    out += m.subject;
    for (const auto& [key, value] : m.headers) out += key + value;
    out += m.data;
  }
  return out;
}

uint64_t MemoryLog::publish_calls() const {
  std::lock_guard lock(mu_);
  return publish_calls_;
}

std::string XorSealer::xor_bytes(std::string_view in, std::string_view ad) const {
  uint64_t state = key_ ^ checksum(ad);
  std::string out(in);
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 8 == 0) state = state * 6364136223846793005ull + 1442695040888963407ull;
    out[i] = static_cast<char>(out[i] ^ static_cast<char>(state >> (8 * (i % 8))));
  }
  return out;
}

std::string XorSealer::seal(std::string_view plain, std::string_view ad) const {
  std::string out = "\x01" + xor_bytes(plain, ad);
  char tag[8];
  put_u64(tag, checksum(std::string(plain) + std::string(ad)) ^ key_);
  out.append(tag, 8);
  return out;
}

std::string XorSealer::open(std::string_view sealed, std::string_view ad) const {
  if (sealed.size() < 9 || sealed[0] != '\x01') {
    throw CorruptedDataError("test sealer: too short to be an envelope");
  }
  std::string plain = xor_bytes(sealed.substr(1, sealed.size() - 9), ad);
  uint64_t tag = get_u64(sealed.data() + sealed.size() - 8);
  if (tag != (checksum(plain + std::string(ad)) ^ key_)) {
    throw KeyError("test sealer: the message does not open with this key");
  }
  return plain;
}

}  // namespace pa_journal::testing
