// NatsLog's publish and read (the chain of expected sequences is explained at
// the top of nats_log.cc).
#include <algorithm>

#include "pa_journal/errors.h"
#include "replication/nats_internal.h"

namespace pa_journal::replication {
namespace {

struct MsgHolder {
  natsMsg* msg = nullptr;
  ~MsgHolder() { natsMsg_Destroy(msg); }
};

natsMsg* make_message(const OutMessage& m) {
  MsgHolder h;
  natsStatus s = natsMsg_Create(&h.msg, m.subject.c_str(), nullptr, m.data.data(),
                                static_cast<int>(m.data.size()));
  for (const auto& [key, value] : m.headers) {
    if (s == NATS_OK) s = natsMsgHeader_Add(h.msg, key.c_str(), value.c_str());
  }
  if (s != NATS_OK) {
    throw ReplicationError("cannot make message " + m.msg_id + ": " +
                           natsStatus_GetText(s));
  }
  natsMsg* out = h.msg;
  h.msg = nullptr;
  return out;
}

// What became of one round of publishing: the outcome of each message, and
// how many nats.c took (a later one it refused with send_status).
struct Round {
  std::vector<AckResult> results;
  natsStatus send_status = NATS_OK;
  size_t sent = 0;
  uint64_t last = 0;  // the stream's last sequence the round's first message expected
};

struct SubHolder {
  natsSubscription* sub = nullptr;
  ~SubHolder() {
    if (sub != nullptr) natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
};

// Publishes messages[from...], message from + i expecting the stream's last
// sequence to be last + i (0: no check), stopping at nats.c's first refusal
// to take one; waits for the acks until none comes for `timeout`.
Round send_round(jsCtx* js, AckBox& box, const std::vector<OutMessage>& messages,
                 size_t from, uint64_t last, std::chrono::milliseconds timeout) {
  Round round;
  round.last = last;
  size_t count = messages.size() - from;
  box.begin(count);
  for (size_t i = 0; i < count; ++i) {
    const OutMessage& m = messages[from + i];
    MsgHolder h{make_message(m)};
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = m.msg_id.c_str();
    po.ExpectLastSeq = last + i;
    po.MaxWait = to_ms(timeout);
    box.expect(h.msg, i);
    const natsMsg* address = h.msg;
    round.send_status = js_PublishMsgAsync(js, &h.msg, &po);
    if (round.send_status != NATS_OK) {
      box.forget(address);
      break;
    }
    round.sent = i + 1;
  }
  round.results = box.finish(round.sent, timeout);
  return round;
}

// Throws the error of message i of round; doing names the message.
[[noreturn]] void fail_message(const std::string& doing, const std::string& url,
                               const Round& round, size_t i) {
  const AckResult& r = round.results[i];
  if (i >= round.sent) nats_fail(doing, url, round.send_status, 0, nats_last_error());
  if (!r.done) nats_fail(doing, url, NATS_TIMEOUT, 0, "");
  if (r.code == JSStreamWrongLastSequenceErr) {
    nats_fail_sequence(doing, url, round.last + i, nats_sequence_in(r.text));
  }
  if (r.status == NATS_NO_RESPONDERS) {
    throw ReplicationError(doing + " at " + url +
                               ": no stream answered (it does not exist, or its "
                               "servers are electing a leader)",
                           true);
  }
  nats_fail(doing, url, r.status, r.code, r.text);
}

// Appends the acks of round to acks, in order, moving last to the stream's
// last sequence, up to the first message that failed; returns that message's
// index, or the round's size when none did.
size_t take_acks(const Round& round, std::vector<PublishAck>& acks, uint64_t& last) {
  for (size_t i = 0; i < round.results.size(); ++i) {
    const AckResult& r = round.results[i];
    if (i >= round.sent || !r.done || r.status != NATS_OK) return i;
    acks.push_back(r.ack);
    if (!r.ack.duplicate) last = r.ack.stream_seq;
  }
  return round.results.size();
}

// Whether message i failed only because a duplicate before it in the round
// stored nothing, so that it expected one sequence too many.
bool refused_after_duplicate(const Round& round, size_t i) {
  if (round.results[i].code != JSStreamWrongLastSequenceErr) return false;
  return std::any_of(round.results.begin(), round.results.begin() + i,
                     [](const AckResult& r) { return r.ack.duplicate; });
}

}  // namespace

std::vector<PublishAck> NatsLog::publish(const std::string& stream,
                                         uint64_t expected_last_seq,
                                         const std::vector<OutMessage>& messages) {
  const std::string doing = "publishing to stream " + stream;
  if (expected_last_seq == 0) {
    auto st = stream_state(stream);
    if (!st) throw ReplicationError(doing + " at " + url_ + ": there is no such stream");
    if (st->last_seq != 0) nats_fail_sequence(doing, url_, 0, st->last_seq);
  }
  std::vector<PublishAck> acks;
  uint64_t last = expected_last_seq;
  while (acks.size() < messages.size()) {
    Connection& c = connection();
    size_t from = acks.size();
    Round round = send_round(c.js, c.acks, messages, from, last, options_.timeout);
    c.published = c.published || round.sent > 0;
    size_t failed = take_acks(round, acks, last);
    if (failed == round.results.size() || refused_after_duplicate(round, failed))
      continue;
    fail_message(doing + " (message " + messages[from + failed].msg_id + ")", url_, round,
                 failed);
  }
  return acks;
}

void NatsLog::read(const std::string& stream, uint64_t from_seq,
                   const LogVisitor& visit) {
  const std::string doing = "reading stream " + stream;
  Connection& c = connection();
  StreamInfoHolder h;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&h.si, c.js, stream.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    throw ReplicationError(doing + " at " + url_ + ": there is no such stream");
  }
  if (s != NATS_OK) nats_fail(doing, url_, s, code, nats_last_error());
  nats_require_leader(*h.si, doing, url_);
  const jsStreamState& state = h.si->State;
  uint64_t last = state.LastSeq, first = state.FirstSeq, msgs = state.Msgs;
  const jsStreamConfig& config = *h.si->Config;
  std::string subject = config.SubjectsLen == 1 ? config.Subjects[0] : "";
  if (msgs == 0 || from_seq > last) return;
  if (subject.empty()) {
    throw ReplicationError(doing + " at " + url_ +
                           ": the stream has more than one subject");
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = std::max(from_seq, first);
  SubHolder sub;
  s = js_SubscribeSync(&sub.sub, c.js, subject.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) nats_fail(doing, url_, s, code, nats_last_error());
  for (;;) {
    MsgHolder m;
    s = natsSubscription_NextMsg(&m.msg, sub.sub, to_ms(options_.timeout));
    if (s != NATS_OK) nats_fail(doing, url_, s, 0, nats_last_error());
    jsMsgMetaData* meta = nullptr;
    s = natsMsg_GetMetaData(&meta, m.msg);
    if (s != NATS_OK) nats_fail(doing, url_, s, 0, nats_last_error());
    uint64_t seq = meta->Sequence.Stream;
    int64_t time_ns = meta->Timestamp;
    jsMsgMetaData_Destroy(meta);
    if (seq > last) return;
    if (!visit(to_log_message(m.msg, seq, time_ns)) || seq == last) return;
  }
}

}  // namespace pa_journal::replication
