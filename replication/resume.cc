#include "replication/resume.h"

#include <algorithm>

#include "pa_journal/errors.h"
#include "replication/messages.h"
#include "replication/subjects.h"

namespace pa_journal::replication {
namespace {

// Folds the messages of the stream past the saved position, one by one.
class Fold {
 public:
  Fold(const std::string& stream, const std::string& store_id, const ShipPosition& saved,
       const SnapshotSeq& snapshot_seq)
      : stream_(stream), store_id_(store_id), snapshot_seq_(snapshot_seq) {
    out_.position = saved;
  }

  void take(const LogMessage& m) {
    Classified c = classify(m, stream_, store_id_);
    switch (c.kind) {
      case Classified::Kind::kMeta:
        if (m.stream_seq != 1) refuse(m, "a second meta message");
        break;
      case Classified::Kind::kRecord:
        take_record(m, c);
        break;
      case Classified::Kind::kChunk:
        take_chunk(m, c);
        break;
      case Classified::Kind::kForeign:
        refuse(m, c.why);
    }
    out_.position.stream_seq = m.stream_seq;
    ++out_.folded;
  }

  Resumed result() && { return std::move(out_); }

 private:
  void take_record(const LogMessage& m, const Classified& c) {
    ShipPosition& pos = out_.position;
    if (out_.partial)
      refuse(m, "a record inside the chunks of snapshot " + out_.partial->id);
    bool next = c.from == pos.acked_seq + 1;
    bool bridged = c.from > pos.acked_seq + 1 && bridge_through_ + 1 >= c.from;
    if (!next && !bridged) {
      refuse(m, "record " + std::to_string(c.from) + " where record " +
                    std::to_string(pos.acked_seq + 1) + " was due");
    }
    pos.acked_seq = c.seq;
  }

  void take_chunk(const LogMessage& m, const Classified& c) {
    auto& partial = out_.partial;
    if (partial && (c.snapshot != partial->id || c.index != partial->next_index ||
                    c.count != partial->count)) {
      refuse(m, "chunk " + std::to_string(c.index) + " of snapshot " + c.snapshot +
                    " where chunk " + std::to_string(partial->next_index) +
                    " of snapshot " + partial->id + " was due");
    }
    if (!partial) {
      const auto& done = out_.position.snapshots;
      if (c.index != 0 || std::find(done.begin(), done.end(), c.snapshot) != done.end()) {
        refuse(m, "chunk " + std::to_string(c.index) + " of snapshot " + c.snapshot +
                      ", which does not start a snapshot not yet published");
      }
      partial = PartialSnapshot{c.snapshot, 0, c.count};
    }
    if (++partial->next_index < partial->count) return;
    out_.position.snapshots.push_back(partial->id);
    // A whole snapshot bridges a hole up to its seq (shipper.h, point 4).
    if (auto seq = snapshot_seq_(partial->id)) bridge_through_ = *seq;
    partial.reset();
  }

  [[noreturn]] void refuse(const LogMessage& m, const std::string& what) const {
    throw ReplicationError(
        "stream " + stream_ + " holds at " + describe(m) + " " + what +
        ", which this store's shipper did not publish after journal seq " +
        std::to_string(out_.position.acked_seq) + " (stream seq " +
        std::to_string(out_.position.stream_seq) +
        "): another publisher wrote into the stream; shipping stops rather than leave "
        "a gap or a duplicate");
  }

  const std::string& stream_;
  const std::string& store_id_;
  const SnapshotSeq& snapshot_seq_;
  uint64_t bridge_through_ = 0;
  Resumed out_;
};

}  // namespace

void check_meta(ReplicaLog& log, const std::string& stream, const std::string& store_id,
                const Sealer& sealer,
                const std::function<void(const std::string&)>& verify) {
  std::optional<LogMessage> message = log.last_on_subject(stream, meta_subject(stream));
  if (!message) {
    throw ReplicationError("stream " + stream +
                           " holds messages but no meta message: it is not the replica "
                           "of a pa-journal store");
  }
  Meta meta = parse_meta(*message, stream);
  if (meta.store_id != store_id) {
    throw ReplicationError("stream " + stream + " holds the replica of store " +
                           meta.store_id + ", not of this store (" + store_id +
                           "): one stream holds one store");
  }
  if (verify) return verify(meta.sealing_json);
  bool sealed = meta.sealing_json != "null";
  if (sealed && !sealer.encrypts()) {
    throw KeyError("stream " + stream + " is encrypted, and no key was given for it");
  }
  if (!sealed && sealer.encrypts()) {
    throw KeyError("stream " + stream +
                   " was started without encryption; a key was given for it");
  }
}

Resumed resume_position(ReplicaLog& log, const std::string& stream,
                        const std::string& store_id, const ShipPosition& saved,
                        uint64_t stream_last, const SnapshotSeq& snapshot_seq) {
  if (stream_last < saved.stream_seq) {
    throw ReplicationError(
        "stream " + stream + " ends at stream seq " + std::to_string(stream_last) +
        ", but it acknowledged up to stream seq " + std::to_string(saved.stream_seq) +
        " (journal seq " + std::to_string(saved.acked_seq) +
        "): the stream lost what it acknowledged; shipping on would leave a hole");
  }
  Fold fold(stream, store_id, saved, snapshot_seq);
  if (stream_last > saved.stream_seq) {
    log.read(stream, saved.stream_seq + 1, [&](const LogMessage& m) {
      fold.take(m);
      return true;
    });
  }
  return std::move(fold).result();
}

}  // namespace pa_journal::replication
