#include "replication/shipper.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "pa_journal/errors.h"
#include "replication/journal_frames.h"
#include "replication/messages.h"
#include "replication/resume.h"
#include "replication/snapshot_bundle.h"
#include "replication/subjects.h"

namespace pa_journal::replication {
namespace {

int64_t system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool shipped(const ShipPosition& pos, const SnapshotInfo& s) {
  const auto& done = pos.snapshots;
  return std::find(done.begin(), done.end(), ShippedSnapshot{s.id, s.seq}) != done.end();
}

bool same(const PartialSnapshot& p, const SnapshotInfo& s) {
  return p.id == s.id && p.seq == s.seq;
}

// Sleeps ms or until stop is requested.
void sleep_for(uint32_t ms, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, std::chrono::milliseconds(ms), [] { return false; });
}

}  // namespace

struct Shipper::State {
  State(ReplicaLog& log_in, const Sealer& sealer_in, ShipperOptions options)
      : log(log_in), sealer(sealer_in), o(std::move(options)) {
    fs = o.file_system ? o.file_system : posix_file_system();
    if (!o.clock_ns) o.clock_ns = system_now_ns;
    if (o.batch_size == 0) o.batch_size = 1;
  }

  void run_pass(std::stop_token stop);
  void start();
  // Returns the last seq read when every frame of the pass was shipped;
  // nullopt when stop cut it short.
  std::optional<uint64_t> ship_frames(JournalPass& pass, std::stop_token stop);
  void queue(const JournalFrame& frame);
  void flush();
  void bridge(JournalPass& pass, uint64_t first, uint64_t last);
  void publish_covered(JournalPass& pass);
  bool publish_snapshot(JournalPass& pass, const SnapshotInfo& info,
                        const PartialSnapshot& from = {});
  void finish_partial(JournalPass& pass);
  void forget_removed(const JournalPass& pass);
  void publish(const std::vector<OutMessage>& messages);
  void save();
  void measure(JournalPass& pass);
  void caught_up(uint64_t last_read);
  std::optional<JournalCursor> cursor_at_acked() const;
  void report();

  ReplicaLog& log;
  const Sealer& sealer;
  ShipperOptions o;
  std::shared_ptr<FileSystem> fs;
  ShipStatus status;
  ShipPosition pos;
  std::optional<PartialSnapshot> partial;
  bool started = false;
  std::vector<OutMessage> batch;
  uint64_t queued_through = 0;  // the last seq queued (batch) or acknowledged
  // Just after the last frame acknowledged, and after the last one queued.
  std::optional<JournalCursor> cursor, queued_cursor;
};

void Shipper::State::start() {
  validate_stream_name(o.stream);
  StreamState state =
      log.ensure_stream({o.stream, {stream_subjects(o.stream)}, o.replicas});
  ShipPosition saved =
      o.load_position ? o.load_position().value_or(ShipPosition{}) : ShipPosition{};
  if (state.last_seq == 0 && saved.stream_seq == 0) {
    pos = saved;
    publish({meta_message(o.stream, o.store_id, o.sealing_json)});
    save();
  } else {
    if (state.last_seq != 0)
      check_meta(log, o.stream, o.store_id, sealer, o.verify_sealing);
    Resumed resumed = resume_position(log, o.stream, o.store_id, saved, state.last_seq);
    pos = std::move(resumed.position);
    partial = std::move(resumed.partial);
    if (resumed.folded > 0) save();
  }
  queued_through = pos.acked_seq;
  started = true;
}

void Shipper::State::run_pass(std::stop_token stop) {
  JournalPass pass(*fs, o.dir);
  if (!started) start();
  forget_removed(pass);
  finish_partial(pass);
  publish_covered(pass);
  std::optional<uint64_t> last_read = ship_frames(pass, stop);
  if (last_read && !pass.snapshots().empty() &&
      pass.snapshots().back().seq > pos.acked_seq) {
    // The journal ends before the newest snapshot: its records are gone.
    bridge(pass, pos.acked_seq + 1, pass.snapshots().back().seq);
  }
  if (last_read && !stop.stop_requested()) {
    publish_covered(pass);
    caught_up(*last_read);
  } else {
    measure(pass);
  }
  report();
}

// The position names the published snapshots the store still holds: one
// retention removed can never be published again, and a later snapshot that
// takes its id covers another seq, so it is another snapshot (subjects.h).
void Shipper::State::forget_removed(const JournalPass& pass) {
  const auto& present = pass.snapshots();
  std::erase_if(pos.snapshots, [&](const ShippedSnapshot& done) {
    return std::none_of(present.begin(), present.end(), [&](const SnapshotInfo& s) {
      return s.id == done.id && s.seq == done.seq;
    });
  });
}

std::optional<JournalCursor> Shipper::State::cursor_at_acked() const {
  if (cursor && cursor->seq == pos.acked_seq) return cursor;
  return std::nullopt;
}

std::optional<uint64_t> Shipper::State::ship_frames(JournalPass& pass,
                                                    std::stop_token stop) {
  queued_through = pos.acked_seq;
  bool stopped = false;
  uint64_t last = pass.read_after(
      pos.acked_seq,
      [&](const JournalFrame& frame) {
        if (stop.stop_requested()) {
          stopped = true;
          return false;
        }
        if (frame.first() > queued_through + 1) {
          flush();
          bridge(pass, queued_through + 1, frame.first() - 1);
        }
        queue(frame);
        if (batch.size() >= o.batch_size) {
          flush();
          publish_covered(pass);
        }
        return true;
      },
      cursor_at_acked());
  flush();
  if (stopped) return std::nullopt;
  return last;
}

void Shipper::State::queue(const JournalFrame& frame) {
  batch.push_back(record_message(o.stream, o.store_id, sealer, frame.seq, frame.lost_from,
                                 frame.bytes));
  queued_through = frame.seq;
  queued_cursor = JournalCursor{frame.segment, frame.end, frame.seq};
}

void Shipper::State::flush() {
  if (batch.empty()) return;
  publish(batch);
  status.records_published += batch.size();
  batch.clear();
  pos.acked_seq = queued_through;
  cursor = queued_cursor;
  save();
  report();
}

// A bridge is a snapshot published right before the record after the hole
// (the clone accepts a hole only there), so one the stream holds already
// does not bridge: the least that covers among the others.
void Shipper::State::bridge(JournalPass& pass, uint64_t first, uint64_t last) {
  for (const SnapshotInfo& s : pass.snapshots()) {  // oldest first
    if (s.seq < last || contains(status.damaged_snapshots, s.id)) continue;
    if (shipped(pos, s)) continue;
    if (!publish_snapshot(pass, s)) continue;
    pos.acked_seq = queued_through = last;
    save();
    status.bridged_holes.push_back({first, last, s.id});
    return;
  }
  throw ReplicationError(
      "records " + std::to_string(first) + " to " + std::to_string(last) +
      " of the store in " + o.dir +
      " are no longer in its journal (a compaction removed them "
      "before they were shipped) and no snapshot covers them: stream " +
      o.stream + " cannot go on without a hole");
}

void Shipper::State::publish_covered(JournalPass& pass) {
  for (const SnapshotInfo& s : pass.snapshots()) {
    if (s.seq > pos.acked_seq) break;
    if (shipped(pos, s) || contains(status.damaged_snapshots, s.id)) continue;
    if (partial && same(*partial, s)) continue;
    publish_snapshot(pass, s);
  }
}

void Shipper::State::finish_partial(JournalPass& pass) {
  if (!partial) return;
  PartialSnapshot p = *partial;
  partial.reset();
  for (const SnapshotInfo& s : pass.snapshots()) {
    if (same(p, s)) {
      publish_snapshot(pass, s, p);
      return;
    }
  }
  status.incomplete_snapshots.push_back(p.id);  // retention removed it meanwhile
}

// Publishes the chunks of snapshot info, or, finishing one cut short (from),
// those after from.next_index. False (and the snapshot noted) if its files
// fail their manifest, or it no longer packs into from.count chunks.
bool Shipper::State::publish_snapshot(JournalPass& pass, const SnapshotInfo& info,
                                      const PartialSnapshot& from) {
  std::string bundle;
  try {
    bundle = pack_snapshot(*fs, pass.backups(), info);
  } catch (const CorruptedDataError&) {
    status.damaged_snapshots.push_back(info.id);
    return false;
  }
  std::vector<std::string_view> chunks = cut_chunks(bundle, kMaxChunkBytes);
  if (from.count != 0 && from.count != chunks.size()) {
    status.incomplete_snapshots.push_back(info.id);
    return false;
  }
  std::vector<OutMessage> messages;
  for (uint64_t i = from.next_index; i < chunks.size(); ++i) {
    messages.push_back(chunk_message(o.stream, o.store_id, sealer, info.id, info.seq, i,
                                     chunks.size(), chunks[i]));
    if (messages.size() >= o.batch_size || i + 1 == chunks.size()) {
      publish(messages);
      messages.clear();
    }
  }
  pos.snapshots.push_back({info.id, info.seq});
  status.snapshots_published.push_back(info.id);
  save();
  return true;
}

void Shipper::State::publish(const std::vector<OutMessage>& messages) {
  std::vector<PublishAck> acks = log.publish(o.stream, pos.stream_seq, messages);
  if (acks.size() != messages.size()) {
    throw ReplicationError("stream " + o.stream + " acknowledged " +
                           std::to_string(acks.size()) + " of " +
                           std::to_string(messages.size()) + " messages");
  }
  for (size_t i = 0; i < acks.size(); ++i) {
    if (acks[i].duplicate) {
      throw ReplicationError("stream " + o.stream + " already held message " +
                             messages[i].msg_id + " (stream seq " +
                             std::to_string(acks[i].stream_seq) +
                             "): the saved position is behind the stream");
    }
  }
  pos.stream_seq = acks.back().stream_seq;
  // The log answers again: the reports of this pass no longer carry the
  // error of an earlier try.
  status.error.clear();
  status.retry_in_ms = 0;
}

void Shipper::State::save() {
  if (o.save_position) o.save_position(pos);
  status.acked_seq = pos.acked_seq;
  status.stream_seq = pos.stream_seq;
}

// Every frame the pass read is acknowledged: no lag.
void Shipper::State::caught_up(uint64_t last_read) {
  status.acked_seq = pos.acked_seq;
  status.stream_seq = pos.stream_seq;
  status.durable_seq = std::max(last_read, pos.acked_seq);
  status.records_behind = status.durable_seq - pos.acked_seq;
  status.seconds_behind = 0;
}

// The lag: the durable end, and how far the acknowledged end is behind it.
void Shipper::State::measure(JournalPass& pass) {
  int64_t oldest_ns = 0;
  auto visit = [&](const JournalFrame& frame) {
    if (oldest_ns == 0) oldest_ns = frame.time_ns;
    return true;
  };
  uint64_t last = pass.read_after(pos.acked_seq, visit, cursor_at_acked());
  status.acked_seq = pos.acked_seq;
  status.stream_seq = pos.stream_seq;
  status.durable_seq = std::max(last, pos.acked_seq);
  status.records_behind = status.durable_seq - pos.acked_seq;
  int64_t now = o.clock_ns();
  status.seconds_behind = oldest_ns != 0 && now > oldest_ns ? (now - oldest_ns) / 1e9 : 0;
}

void Shipper::State::report() {
  if (o.on_status) o.on_status(status);
}

Shipper::Shipper(ReplicaLog& log, const Sealer& sealer, ShipperOptions options)
    : state_(std::make_unique<State>(log, sealer, std::move(options))) {}

Shipper::~Shipper() = default;

const ShipStatus& Shipper::status() const { return state_->status; }

ShipStatus Shipper::ship(std::stop_token stop) {
  try {
    state_->run_pass(stop);
  } catch (...) {
    // What the stream holds may now be ahead of what this object knows:
    // the next pass folds it in again from the saved position.
    state_->started = false;
    state_->batch.clear();
    throw;
  }
  state_->status.error.clear();
  state_->status.retry_in_ms = 0;
  return state_->status;
}

ShipStatus Shipper::follow(std::stop_token stop, const FollowOptions& follow) {
  uint32_t retry_ms = 0;
  while (!stop.stop_requested()) {
    uint64_t before = state_->status.records_published;
    try {
      ship(stop);
      retry_ms = 0;
      if (state_->status.records_published == before) sleep_for(follow.poll_ms, stop);
      continue;
    } catch (const ReplicationError& e) {
      if (!e.unavailable()) throw;
      retry_ms = retry_ms == 0 ? follow.first_retry_ms
                               : std::min(retry_ms * 2, follow.max_retry_ms);
      state_->status.error = e.what();
      state_->status.retry_in_ms = retry_ms;
    }
    try {
      JournalPass pass(*state_->fs, state_->o.dir);
      state_->measure(pass);
    } catch (const StorageError&) {
      // The lag stays as last measured; the next try says what is wrong.
    }
    state_->report();
    sleep_for(retry_ms, stop);
  }
  return state_->status;
}

}  // namespace pa_journal::replication
