// nats.c's status codes and JetStream's error codes, as a user reads them
// (docs/replication.md, "How the client's errors show"), and the conversion
// of nats.c's messages and acknowledgements (nats_internal.h).
#include <charconv>
#include <optional>
#include <string_view>

#include "pa_journal/errors.h"
#include "replication/nats_internal.h"

namespace pa_journal::replication {
namespace {

std::string server_words(int code, const std::string& text) {
  if (text.empty()) return "";
  return " (server: " + text + (code != 0 ? ", code " + std::to_string(code) : "") + ")";
}

}  // namespace

std::optional<uint64_t> nats_sequence_in(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string_view digits = std::string_view(text).substr(colon + 1);
  while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end == digits.data()) return std::nullopt;
  return value;
}

void nats_fail_sequence(const std::string& doing, const std::string& url,
                        uint64_t expected, std::optional<uint64_t> actual) {
  throw ReplicationError(doing + " at " + url + ": the stream's last sequence is " +
                         (actual ? std::to_string(*actual) : std::string("another")) +
                         ", not " + std::to_string(expected) +
                         " as expected: another publisher wrote to the stream");
}

void nats_require_leader(const jsStreamInfo& si, const std::string& doing,
                         const std::string& url) {
  if (si.Config == nullptr || si.Config->Replicas <= 1) return;
  if (si.Cluster != nullptr && si.Cluster->Leader != nullptr && *si.Cluster->Leader)
    return;
  throw ReplicationError(
      doing + " at " + url + ": the stream has no leader (its servers are electing one)",
      true);
}

bool nats_unavailable(natsStatus s) {
  switch (s) {
    case NATS_NO_SERVER:
    case NATS_TIMEOUT:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_MISSED_HEARTBEAT:
      return true;
    default:
      return false;
  }
}

void nats_fail(const std::string& doing, const std::string& url, natsStatus s, int code,
               const std::string& text) {
  const std::string at = " at " + url;
  if (code == JSClusterNotAvailErr) {
    throw ReplicationError(
        doing + at + ": JetStream is temporarily unavailable (no leader)", true);
  }
  if (code == JSNotEnabledErr || code == JSNotEnabledForAccountErr ||
      s == NATS_NO_RESPONDERS) {
    throw ReplicationError(doing + at + ": JetStream is not enabled on the server");
  }
  if (nats_unavailable(s)) {
    throw ReplicationError(
        doing + ": no NATS server answered" + at + " (" + natsStatus_GetText(s) + ")",
        true);
  }
  if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
    throw ReplicationError(doing + at + ": the server refused: " + natsStatus_GetText(s) +
                           server_words(code, text));
  }
  std::string why = code != 0 ? "the server refused" : natsStatus_GetText(s);
  throw ReplicationError(doing + at + ": " + why + server_words(code, text));
}

std::string nats_last_error() {
  natsStatus s = NATS_OK;
  const char* text = nats_GetLastError(&s);
  std::string_view words = text != nullptr ? text : "";
  // nats.c heads its text with its own source place: "(conn.c:1905): ".
  if (size_t end = words.find("): "); words.starts_with('(') && end != words.npos) {
    words.remove_prefix(end + 3);
  }
  return std::string(words);
}

LogMessage to_log_message(natsMsg* msg, uint64_t stream_seq, int64_t time_ns) {
  LogMessage out;
  out.stream_seq = stream_seq;
  out.time_ns = time_ns;
  out.subject = natsMsg_GetSubject(msg);
  const char* data = natsMsg_GetData(msg);
  out.data.assign(data != nullptr ? data : "", natsMsg_GetDataLength(msg));
  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) != NATS_OK) return out;
  for (int k = 0; k < key_count; ++k) {
    const char** values = nullptr;
    int value_count = 0;
    if (natsMsgHeader_Values(msg, keys[k], &values, &value_count) != NATS_OK) continue;
    for (int v = 0; v < value_count; ++v) out.headers.emplace_back(keys[k], values[v]);
    free(static_cast<void*>(values));
  }
  free(static_cast<void*>(keys));
  return out;
}

void AckBox::begin(size_t count) {
  MutexLock lock(&mutex_);
  index_.clear();
  results_.assign(count, AckResult{});
  arrived_ = 0;
}

void AckBox::expect(const natsMsg* msg, size_t i) {
  MutexLock lock(&mutex_);
  index_[msg] = i;
}

void AckBox::forget(const natsMsg* msg) {
  MutexLock lock(&mutex_);
  index_.erase(msg);
}

void AckBox::deliver(const natsMsg* msg, const jsPubAck* pa, const jsPubAckErr* pae) {
  MutexLock lock(&mutex_);
  auto it = index_.find(msg);
  if (it == index_.end()) return;
  AckResult& r = results_[it->second];
  index_.erase(it);
  r.done = true;
  if (pa != nullptr) {
    r.ack = PublishAck{pa->Sequence, pa->Duplicate};
  } else if (pae != nullptr) {
    r.status = pae->Err == NATS_OK ? NATS_ERR : pae->Err;
    r.code = static_cast<int>(pae->ErrCode);
    r.text = pae->ErrText != nullptr ? pae->ErrText : "";
  }
  ++arrived_;
  changed_.notify_all();
}

std::vector<AckResult> AckBox::finish(size_t sent, std::chrono::milliseconds idle) {
  using Clock = std::chrono::steady_clock;
  MutexLock lock(&mutex_);
  size_t seen = arrived_;
  auto quiet_until = Clock::now() + idle;
  while (arrived_ < sent) {
    auto now = Clock::now();
    if (now >= quiet_until) break;
    changed_.wait_for(&mutex_, quiet_until - now);
    if (arrived_ != seen) {
      seen = arrived_;
      quiet_until = Clock::now() + idle;
    }
  }
  index_.clear();
  return std::move(results_);
}

void nats_on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  static_cast<AckBox*>(closure)->deliver(msg, pa, pae);
  natsMsg_Destroy(msg);
}

}  // namespace pa_journal::replication
