#include "journal/journal_reader.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "journal/format.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "journal/recovery_policy.h"
#include "journal/segment_reader.h"
#include "model/progress_ticker.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

// Collects what one SegmentReader reports so that the scan can apply policy.
class Collector : public Reporter {
 public:
  void report(const Damage& damage) override { pending.push_back(damage); }
  std::vector<Damage> pending;
};

// One scan: walks the segments, keeps the chain, turns what it reads into
// events (journal/recovery_policy.h), asks the mode's policy, and acts.
class Scanner {
 public:
  Scanner(FileSystem& fs, std::string dir, RecoveryMode mode, const RecordSink& sink,
          const ScanOptions& options)
      : fs_(fs),
        dir_(std::move(dir)),
        policy_(policy_for(mode)),
        sink_(sink),
        after_seq_(options.after_seq),
        from_start_(options.from_start),
        limit_(options.limit),
        progress_(options.progress) {}

  ScanReport run();

 private:
  // Whether segment index holds only records at or before after_seq_ (the
  // next one starts at or before after_seq_ + 1): it is not read.
  bool wholly_covered(size_t index) const {
    const auto& segments = report_.segments;
    return index + 1 < segments.size() && segments[index + 1].first_seq <= after_seq_ + 1;
  }
  // Returns false when the scan must stop at this segment.
  bool scan_segment(size_t index);
  bool deliver(size_t index, const Frame& frame);
  // Asks the policy about damage or a gap; returns false when the scan stops
  // here. A refusal throws.
  bool on_damage(size_t index, Damage damage);
  bool on_gap(size_t index, Damage gap, bool covered);
  bool act(size_t index, ScanEvent event);
  ScanEvent event(ScanEvent::Kind kind, Damage damage = {}) const;
  [[noreturn]] void refuse(const ScanEvent& event, std::string refusal) const;
  void skip(size_t index, Damage damage);
  // Deferred damage (see on_damage) is settled by the next event: a record
  // at or before after_seq_ + 1 shows that it lost only records the snapshot
  // covers; anything else makes it damage like any other.
  bool settle_deferred(uint64_t next_seq);
  bool drain(size_t index, Collector& collector);
  void note_cut(size_t index, uint64_t offset);
  bool attribute_gap(uint64_t next_seq);
  bool accept_loss(size_t index, const Frame& frame);

  static constexpr size_t kNone = static_cast<size_t>(-1);

  FileSystem& fs_;
  std::string dir_;
  const RecoveryPolicy policy_;
  const RecordSink& sink_;
  const uint64_t after_seq_;
  const bool from_start_;  // the chain must start at after_seq_ + 1 even if 0
  const std::optional<ScanLimit> limit_;
  ScanReport report_;
  uint64_t expected_ = 0;           // next sequence number in the chain, 0 before any
  size_t open_corruption_ = kNone;  // salvage: damage awaiting its lost range
  // Progress: bytes of the segments read before the current one, and the
  // ticker of the whole scan (made once the segments are listed).
  const ProgressTick progress_;
  ProgressTicker ticker_;
  uint64_t done_bytes_ = 0;
  std::optional<std::pair<size_t, Damage>> deferred_;  // segment index, damage
};

ScanReport Scanner::run() {
  if (!fs_.exists(dir_)) {
    ProgressTicker(progress_, 0).start();
    return report_;
  }
  report_.segments = list_segments(fs_, dir_);
  if (limit_) {
    std::erase_if(report_.segments,
                  [&](const SegmentInfo& s) { return s.first_seq > limit_->segment; });
  }
  const auto& segments = report_.segments;
  uint64_t to_read = 0;  // progress counts the segments the scan reads
  for (size_t i = 0; i < segments.size(); ++i) {
    report_.bytes += segments[i].bytes;
    if (!wholly_covered(i)) to_read += segments[i].bytes;
  }
  ticker_ = ProgressTicker(progress_, to_read);
  ticker_.start();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (wholly_covered(i)) continue;
    bool go_on = scan_segment(i);
    done_bytes_ += segments[i].bytes;
    ticker_.update(done_bytes_);
    if (!go_on) break;
  }
  // At the end, nothing shows deferred damage was covered.
  if (settle_deferred(UINT64_MAX)) act(0, event(ScanEvent::Kind::kEnd));
  ticker_.finish();
  report_.next_seq = expected_ != 0 ? expected_ : after_seq_ + 1;
  return report_;
}

bool Scanner::scan_segment(size_t index) {
  const SegmentInfo& info = report_.segments[index];
  std::string data = fs_.read_file(join_path(dir_, info.name));
  if (limit_ && info.first_seq == limit_->segment && data.size() > limit_->end)
    data.resize(limit_->end);
  bool newest = index + 1 == report_.segments.size();
  Collector collector;
  SegmentReader reader(in_journal(info.name), data, newest, &collector);
  bool header_ok = reader.read_header();
  if (header_ok && reader.first_seq() != info.first_seq) {
    collector.pending.push_back(Damage::corruption(
        in_journal(info.name), 0, format::kSegmentHeaderSize,
        "segment header names first record " + std::to_string(reader.first_seq())));
  }
  bool first_read = expected_ == 0;
  if (first_read) {
    expected_ = after_seq_ > 0 || from_start_ ? std::min(info.first_seq, after_seq_ + 1)
                                              : info.first_seq;
  }
  if (!drain(index, collector)) return false;
  if (info.first_seq > std::max(expected_, after_seq_ + 1)) {
    std::string why = "segment starts past the end of the previous one";
    if (first_read && after_seq_ > 0) {
      why = "the journal resumes past the snapshot's seq " + std::to_string(after_seq_);
    } else if (first_read) {
      why = "the journal starts past seq 1 and no snapshot covers the records before it";
    }
    Damage gap = Damage::missing_records(in_journal(info.name), 0,
                                         std::max(expected_, after_seq_ + 1),
                                         info.first_seq - 1, why);
    if (!attribute_gap(info.first_seq) && !on_gap(index, std::move(gap), false)) {
      return false;
    }
    expected_ = info.first_seq;
  }
  Frame frame;
  while (reader.next(&frame)) {
    if (!drain(index, collector)) return false;
    if (!deliver(index, frame)) return false;
    ticker_.update(done_bytes_ + std::min<uint64_t>(frame.end, info.bytes));
  }
  report_.segments[index].data_end = reader.data_end();
  return drain(index, collector);
}

bool Scanner::drain(size_t index, Collector& collector) {
  std::vector<Damage> pending;
  pending.swap(collector.pending);
  for (auto& damage : pending) {
    if (!on_damage(index, std::move(damage))) return false;
  }
  return true;
}

bool Scanner::deliver(size_t index, const Frame& frame) {
  const std::string file = in_journal(report_.segments[index].name);
  uint64_t frame_bytes = frame.end - frame.offset;
  if (frame.type == format::kTypeLoss) return accept_loss(index, frame);
  if (frame.type != format::kTypeCommit) {
    if (frame.type & format::kIgnorableBit) return true;
    return on_damage(
        index, Damage::corruption(file, frame.offset, frame_bytes,
                                  "unknown record type " + std::to_string(frame.type)));
  }
  Record record;
  try {
    record = decode_payload(frame.payload);
  } catch (const CorruptedDataError& e) {
    return on_damage(index,
                     Damage::corruption(file, frame.offset, frame_bytes, e.what()));
  }
  if (!settle_deferred(record.seq)) return false;
  if (record.seq < expected_) {
    return on_damage(index, Damage::corruption(file, frame.offset, frame_bytes,
                                               "sequence number repeats or goes back"));
  }
  // Records lost inside skipped bytes belong to that damage even where the
  // snapshot covers them (a salvage marks them as a loss); other records
  // missing at or below after_seq are covered by the snapshot.
  uint64_t first_missing = std::max(expected_, after_seq_ + 1);
  bool lost_in_damage = record.seq > expected_ && attribute_gap(record.seq);
  if (record.seq > expected_ && !lost_in_damage) {
    bool covered = record.seq <= first_missing;
    Damage gap = covered ? Damage{}
                         : Damage::missing_records(
                               file, frame.offset, first_missing, record.seq - 1,
                               "records missing from the sequence chain");
    if (!on_gap(index, std::move(gap), covered)) return false;
  }
  open_corruption_ = kNone;
  expected_ = record.seq + 1;
  report_.last_time_ns = record.time_ns;
  if (!act(index, event(ScanEvent::Kind::kRecord))) return false;
  if (record.seq <= after_seq_) return true;
  if (report_.records == 0) {
    report_.first_seq = record.seq;
    report_.first_time_ns = record.time_ns;
  }
  ++report_.records;
  report_.last_seq = record.seq;
  sink_(record);
  return true;
}

// Damage in the frames of a segment where the chain is still at or before
// the snapshot's seq may have lost only records the snapshot covers; the
// policy may hold it until the next event says which (settle_deferred).
bool Scanner::on_damage(size_t index, Damage damage) {
  if (!settle_deferred(UINT64_MAX)) return false;
  ScanEvent damaged = event(ScanEvent::Kind::kDamage, std::move(damage));
  damaged.maybe_covered = damaged.damage.kind == Damage::Kind::kCorruption &&
                          damaged.damage.offset >= format::kSegmentHeaderSize &&
                          expected_ != 0 && expected_ <= after_seq_;
  return act(index, std::move(damaged));
}

bool Scanner::on_gap(size_t index, Damage gap, bool covered) {
  if (!settle_deferred(UINT64_MAX)) return false;
  ScanEvent missing = event(ScanEvent::Kind::kGap, std::move(gap));
  missing.covered = covered;
  return act(index, std::move(missing));
}

bool Scanner::settle_deferred(uint64_t next_seq) {
  if (!deferred_) return true;
  auto [index, damage] = std::move(*deferred_);
  deferred_.reset();
  ScanEvent settled = event(ScanEvent::Kind::kDamage, std::move(damage));
  if (next_seq <= after_seq_ + 1) {
    settled.damage.reason += "; only records up to the snapshot's seq " +
                             std::to_string(after_seq_) + " were lost, and it holds them";
    settled.covered = true;
  }
  return act(index, std::move(settled));
}

ScanEvent Scanner::event(ScanEvent::Kind kind, Damage damage) const {
  ScanEvent made;
  made.kind = kind;
  made.torn_tail =
      kind == ScanEvent::Kind::kDamage && damage.kind == Damage::Kind::kTornTail;
  made.damage = std::move(damage);
  made.last_good_seq = expected_ ? expected_ - 1 : 0;
  return made;
}

bool Scanner::act(size_t index, ScanEvent event) {
  using Verdict = PolicyAnswer::Verdict;
  PolicyAnswer answer = policy_(event);
  bool damaged = event.kind == ScanEvent::Kind::kDamage ||
                 (event.kind == ScanEvent::Kind::kGap && !event.covered);
  switch (answer.verdict) {
    case Verdict::kGoOn:
      if (damaged) report_.damage.push_back(std::move(event.damage));
      return true;
    case Verdict::kWait:
      deferred_.emplace(index, std::move(event.damage));
      return true;
    case Verdict::kRefuse:
      refuse(event, std::move(answer.refusal));
    case Verdict::kCut:
      note_cut(index, event.damage.offset);
      report_.damage.push_back(std::move(event.damage));
      return false;
    case Verdict::kSkip:
      skip(index, std::move(event.damage));
      return true;
  }
  return true;
}

void Scanner::refuse(const ScanEvent& event, std::string refusal) const {
  const Damage& damage = event.damage;
  if (event.torn_tail) {
    throw CorruptedDataError(std::move(refusal), damage.file, damage.offset,
                             event.last_good_seq);
  }
  throw RecoveryRefusedError(std::move(refusal), damage.file, damage.offset,
                             event.last_good_seq);
}

void Scanner::skip(size_t index, Damage damage) {
  // Records can be lost inside damaged frames, not inside a segment header.
  bool frames = damage.offset >= format::kSegmentHeaderSize;
  bool corruption = damage.kind == Damage::Kind::kCorruption;
  report_.damage.push_back(std::move(damage));
  if (corruption && frames) open_corruption_ = report_.damage.size() - 1;
  if (report_.damaged_segments.empty() || report_.damaged_segments.back() != index) {
    report_.damaged_segments.push_back(index);
  }
}

// Salvage: records missing right after skipped bytes were lost in those bytes;
// say so on that damage instead of reporting a second one.
bool Scanner::attribute_gap(uint64_t next_seq) {
  if (open_corruption_ == kNone) return false;
  Damage& damage = report_.damage[open_corruption_];
  damage.first_seq = expected_;
  damage.last_seq = next_seq - 1;
  return true;
}

bool Scanner::accept_loss(size_t index, const Frame& frame) {
  bool sized = frame.payload.size() >= format::kLossPayloadSize;
  uint64_t first = sized ? get_u64(frame.payload.data()) : 0;
  uint64_t last = sized ? get_u64(frame.payload.data() + 8) : 0;
  if (!sized || first != expected_ || last < first) {
    return on_damage(
        index, Damage::corruption(in_journal(report_.segments[index].name), frame.offset,
                                  frame.end - frame.offset,
                                  "loss marker does not continue the sequence chain"));
  }
  if (!act(index, event(ScanEvent::Kind::kLossMarker))) return false;
  report_.known_losses.push_back({first, last});
  expected_ = last + 1;
  return true;
}

void Scanner::note_cut(size_t index, uint64_t offset) {
  report_.cut = true;
  report_.cut_point = {index, offset};
}

}  // namespace

std::vector<SegmentInfo> list_segments(FileSystem& fs, const std::string& journal_dir) {
  std::vector<SegmentInfo> segments;
  for (const auto& name : fs.list_dir(journal_dir)) {
    std::optional<FileName> parsed = parse_file_name(in_journal(name));
    if (!parsed || parsed->type != FileType::kSegment) continue;
    SegmentInfo info;
    info.first_seq = parsed->number;
    info.name = name;
    info.bytes = fs.file_size(join_path(journal_dir, name));
    info.data_end = info.bytes;
    segments.push_back(std::move(info));
  }
  std::sort(segments.begin(), segments.end(),
            [](const auto& a, const auto& b) { return a.first_seq < b.first_seq; });
  return segments;
}

ScanReport scan_journal(FileSystem& fs, const std::string& journal_dir, RecoveryMode mode,
                        const RecordSink& sink, const ScanOptions& options) {
  return Scanner(fs, journal_dir, mode, sink, options).run();
}

}  // namespace pa_journal
