// NatsLog over nats.c (nats_log.h). How each call maps to JetStream:
//
//   ensure_stream    $JS.API.STREAM.INFO, else STREAM.CREATE with file storage,
//                    no limits and a duplicate window of kDuplicateWindowNs; with
//                    replicas 0 it asks for 3 copies and falls back to 1 where the
//                    servers cannot place them and the client knows fewer than
//                    three servers (a single server, a cluster of two); a cluster
//                    of three or more with a server down is unavailable instead,
//                    so that a stream never quietly gets one copy.
//                    StreamState.replicas says which it got.
//   publish          js_PublishMsgAsync per message (Nats-Msg-Id and
//                    Nats-Expected-Last-Sequence headers), acknowledgements
//                    gathered by an ack handler on nats.c's thread: one round trip
//                    for the whole batch, not one per message.
//   read             an ordered consumer (ephemeral, no acks, flow control)
//                    starting at from_seq, read up to the last sequence the
//                    stream held when the call began.
//   last_on_subject  js_GetLastMsg.
//
// The chain of expected sequences: message i of a batch expects the stream's
// last sequence to be expected_last_seq + i. A duplicate stores nothing, so
// every message after it is refused with "wrong last sequence"; those are
// published again, expecting what the stream really holds. Any other refusal,
// or one with no duplicate before it, is another publisher's message: an error.
// JetStream cannot check "the stream is empty" (it ignores an expected last
// sequence of 0), so a batch expecting 0 asks the stream's state first.
#include "replication/nats_log.h"

#include <algorithm>
#include <charconv>

#include "pa_journal/errors.h"
#include "replication/nats_internal.h"

namespace pa_journal::replication {
namespace {

constexpr int64_t kDuplicateWindowNs = 120LL * 1000 * 1000 * 1000;  // JetStream's default
constexpr int kMaxPendingPublishes = 4096;
constexpr int64_t kReconnectWaitMs = 250;

}  // namespace

// Messages still waiting for an ack are taken back first, so that nats.c
// calls the ack handler for none of them once acks is gone (nats.c 3.4 crashes
// asking for them before the first asynchronous publish: hence published).
NatsLog::Connection::~Connection() {
  if (js != nullptr && published) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK)
      natsMsgList_Destroy(&pending);
  }
  jsCtx_Destroy(js);
  if (nc != nullptr) natsConnection_Close(nc);
  natsConnection_Destroy(nc);
}

bool NatsLog::Connection::closed() const {
  return natsConnection_Status(nc) == NATS_CONN_STATUS_CLOSED;
}

namespace {

using Connection = NatsLog::Connection;

struct OptionsHolder {
  natsOptions* opts = nullptr;
  ~OptionsHolder() { natsOptions_Destroy(opts); }
};

void check_setup(natsStatus s, const std::string& url) {
  if (s != NATS_OK) nats_fail("setting up the client", url, s, 0, "");
}

void connect(Connection& c, const std::vector<std::string>& servers,
             const std::string& url, const NatsLogOptions& options) {
  OptionsHolder o;
  check_setup(natsOptions_Create(&o.opts), url);
  std::vector<const char*> list;
  for (const auto& s : servers) list.push_back(s.c_str());
  check_setup(natsOptions_SetServers(o.opts, list.data(), static_cast<int>(list.size())),
              url);
  check_setup(natsOptions_SetTimeout(o.opts, to_ms(options.connect_timeout)), url);
  check_setup(natsOptions_SetMaxReconnect(o.opts, -1), url);
  check_setup(natsOptions_SetReconnectWait(o.opts, kReconnectWaitMs), url);
  natsStatus s = natsConnection_Connect(&c.nc, o.opts);
  if (s != NATS_OK) nats_fail("connecting", url, s, 0, nats_last_error());
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = to_ms(options.timeout);
  jo.PublishAsync.MaxPending = kMaxPendingPublishes;
  jo.PublishAsync.StallWait = to_ms(options.timeout);
  jo.PublishAsync.AckHandler = nats_on_ack;
  jo.PublishAsync.AckHandlerClosure = &c.acks;
  check_setup(natsConnection_JetStream(&c.js, c.nc, &jo), url);
}

// How many servers the connection knows: those of the URL and those the
// cluster announced (a server that left the cluster is forgotten).
int known_servers(natsConnection* nc) {
  char** servers = nullptr;
  int count = 0;
  if (natsConnection_GetServers(nc, &servers, &count) != NATS_OK) return 0;
  for (int i = 0; i < count; ++i) free(servers[i]);
  free(servers);
  return count;
}

StreamState state_of(const jsStreamInfo& si) {
  StreamState st;
  st.messages = si.State.Msgs;
  st.first_seq = si.State.Msgs == 0 ? 0 : si.State.FirstSeq;
  st.last_seq = si.State.LastSeq;
  st.replicas = static_cast<int>(si.Config->Replicas);
  return st;
}

}  // namespace

std::vector<std::string> parse_nats_url(std::string_view url) {
  std::vector<std::string> servers;
  auto refuse = [&](const std::string& why) {
    throw ReplicationError("bad NATS URL '" + std::string(url) + "': " + why +
                           " (expected nats://HOST:PORT[,HOST:PORT...])");
  };
  if (!url.starts_with("nats://")) refuse("it does not start with nats://");
  for (size_t start = 0; start <= url.size();) {
    size_t comma = std::min(url.find(',', start), url.size());
    std::string_view one = url.substr(start, comma - start);
    start = comma + 1;
    if (one.starts_with("nats://")) one.remove_prefix(7);
    size_t colon = one.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      refuse("'" + std::string(one) + "' is not HOST:PORT");
    }
    std::string_view host = one.substr(0, colon), port = one.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      refuse("'" + std::string(port) + "' is not a port (1 to 65535)");
    }
    if (host.find_first_of("/@?# ") != std::string_view::npos) {
      refuse("bad host '" + std::string(host) + "'");
    }
    servers.push_back("nats://" + std::string(one));
  }
  return servers;
}

NatsLog::NatsLog(std::string url, NatsLogOptions options)
    : url_(std::move(url)), servers_(parse_nats_url(url_)), options_(options) {}

NatsLog::~NatsLog() = default;

NatsLog::Connection& NatsLog::connection() {
  if (connection_ && connection_->closed()) connection_.reset();
  if (!connection_) {
    auto c = std::make_unique<Connection>();
    connect(*c, servers_, url_, options_);
    connection_ = std::move(c);
  }
  return *connection_;
}

std::optional<StreamState> NatsLog::stream_state(const std::string& stream) {
  Connection& c = connection();
  StreamInfoHolder h;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&h.si, c.js, stream.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) return std::nullopt;
  if (s != NATS_OK)
    nats_fail("asking for stream " + stream, url_, s, code, nats_last_error());
  nats_require_leader(*h.si, "asking for stream " + stream, url_);
  return state_of(*h.si);
}

StreamState NatsLog::ensure_stream(const StreamSettings& settings) {
  if (auto st = stream_state(settings.name)) return *st;
  Connection& c = connection();
  std::vector<const char*> subjects;
  for (const auto& s : settings.subjects) subjects.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = settings.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.MaxMsgs = cfg.MaxBytes = cfg.MaxMsgsPerSubject = -1;  // -1: no limit
  cfg.MaxAge = 0;                                           // 0: no limit
  cfg.Duplicates = kDuplicateWindowNs;
  cfg.Replicas = settings.replicas > 0 ? settings.replicas : 3;
  for (;;) {
    StreamInfoHolder h;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&h.si, c.js, &cfg, nullptr, &code);
    if (s == NATS_OK) return state_of(*h.si);
    bool fewer_servers = code == JSStreamReplicasNotSupportedErr ||
                         code == JSInsufficientResourcesErr ||
                         code == JSClusterNoPeersErr;
    if (settings.replicas == 0 && cfg.Replicas > 1 && fewer_servers) {
      if (code != JSStreamReplicasNotSupportedErr && known_servers(c.nc) >= 3) {
        throw ReplicationError("creating stream " + settings.name + " at " + url_ +
                                   ": the cluster cannot place 3 copies now (is a server "
                                   "down?)" +
                                   (s == NATS_OK ? "" : ": " + nats_last_error()),
                               true);
      }
      cfg.Replicas = 1;
      continue;
    }
    if (code == JSStreamNameExistErr) {  // created meanwhile by another client
      if (auto st = stream_state(settings.name)) return *st;
    }
    nats_fail("creating stream " + settings.name, url_, s, code, nats_last_error());
  }
}

std::optional<LogMessage> NatsLog::last_on_subject(const std::string& stream,
                                                   const std::string& subject) {
  Connection& c = connection();
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetLastMsg(&msg, c.js, stream.c_str(), subject.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND && code != JSStreamNotFoundErr) return std::nullopt;
  if (s != NATS_OK) {
    nats_fail("reading the last message on " + subject, url_, s, code, nats_last_error());
  }
  LogMessage out = to_log_message(msg, natsMsg_GetSequence(msg), natsMsg_GetTime(msg));
  natsMsg_Destroy(msg);
  return out;
}

}  // namespace pa_journal::replication
