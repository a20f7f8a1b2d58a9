// Record listings (pa_journal/inspect.h): read_records and RecordFollower.
//
// Each poll is one read-only pass of the reader protocol (docs/readers.md):
// a ReadView is made first and kept until the scan has read the last segment
// it listed, so a compaction removes nothing under it, and the scan stops at
// the durable end the writer published. A follower remembers the sequence
// number of the last record it read (matching or not) and starts its next
// scan after it: the segments before the one that holds the next record are
// not read, and a poll that finds the published end (or, with no writer,
// the segments' sizes) where the previous one left it reads nothing at all.
// Records a compaction removed before a poll reached them are skipped and
// reported as such, never as damage: the chain resumes at the first segment
// left.
#include <optional>
#include <utility>
#include <vector>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

bool matches(const RecordFilter& f, const Record& r) {
  if (r.seq < f.from_seq) return false;
  if (f.since_ns && r.time_ns < *f.since_ns) return false;
  if (f.until_ns && r.time_ns > *f.until_ns) return false;
  if (!f.collection && !f.key) return true;
  for (const auto& op : r.ops) {
    if ((!f.collection || op.collection == *f.collection) &&
        (!f.key || op.key == *f.key)) {
      return true;
    }
  }
  return false;
}

// What a poll saw of the journal before scanning it: equal between two polls
// means no record became readable in between.
struct JournalMark {
  std::optional<ScanLimit> limit;
  std::vector<std::pair<std::string, uint64_t>> segments;  // name, bytes

  bool operator==(const JournalMark& other) const {
    bool same_limit = limit.has_value() == other.limit.has_value() &&
                      (!limit || (limit->segment == other.limit->segment &&
                                  limit->end == other.limit->end));
    return same_limit && segments == other.segments;
  }
};

// The segments a scan within limit reads; their sizes only without a limit
// (with one, bytes past the durable end are not read).
JournalMark mark_of(const std::vector<SegmentInfo>& segments,
                    const std::optional<ScanLimit>& limit) {
  JournalMark mark{limit, {}};
  for (const auto& s : segments) {
    if (limit && s.first_seq > limit->segment) break;
    mark.segments.emplace_back(s.name, limit ? 0 : s.bytes);
  }
  return mark;
}

}  // namespace

struct RecordFollower::State {
  std::shared_ptr<FileSystem> fs;
  std::string dir;
  RecordFilter filter;
  Options options;
  uint64_t last_seq = 0;            // of the last record read, matching or not
  uint64_t delivered = 0;           // records given to a sink, for filter.limit
  std::optional<JournalMark> mark;  // unset before the first poll

  // The poll's scan, within view; sets mark and last_seq.
  RecordPoll scan(ReadView& view, const RecordSinkFn& sink);
};

RecordFollower::RecordFollower(std::string dir, RecordFilter filter, Options options)
    : state_(std::make_unique<State>()) {
  state_->fs = options.file_system ? options.file_system : posix_file_system();
  state_->dir = std::move(dir);
  state_->filter = std::move(filter);
  state_->options = std::move(options);
}

RecordFollower::~RecordFollower() = default;

bool RecordFollower::done() const {
  return state_->filter.limit != 0 && state_->delivered >= state_->filter.limit;
}

RecordPoll RecordFollower::poll(const RecordSinkFn& sink) {
  State& s = *state_;
  if (!s.mark) {  // the first poll: no store is an error, as for every read
    require_store_dir(*s.fs, s.dir);
    ReadView view(*s.fs, s.dir);
    return s.scan(view, sink);
  }
  if (done()) return {};
  try {
    ReadView view(*s.fs, s.dir);
    return s.scan(view, sink);
  } catch (const StorageError&) {
    // A store removed under the poll (its files vanishing mid-read) ends
    // the following; any other failure is the caller's to report.
    if (s.fs->exists(journal_dir(s.dir))) throw;
    return {.store_gone = true};
  }
}

RecordPoll RecordFollower::State::scan(ReadView& view, const RecordSinkFn& sink) {
  const std::string journal = journal_dir(dir);
  if (mark && !fs->exists(journal)) return {.store_gone = true};
  std::optional<ScanLimit> limit = view.journal_limit();
  std::vector<SegmentInfo> segments = list_segments(*fs, journal);
  JournalMark now = mark_of(segments, limit);
  RecordPoll out;
  if (mark && now == *mark) return out;
  uint64_t after = last_seq;
  if (after > 0 && !now.segments.empty() && segments.front().first_seq > after + 1) {
    out.removed_first = after + 1;
    out.removed_last = segments.front().first_seq - 1;
    after = out.removed_last;
  }
  scan_journal(*fs, journal, options.recovery,
               [&](const Record& r) {
                 last_seq = r.seq;
                 if (filter.limit != 0 && delivered >= filter.limit) return;
                 if (!matches(filter, r)) return;
                 ++delivered;
                 ++out.delivered;
                 sink(r);
               },
               {.after_seq = after, .limit = limit});
  mark = std::move(now);
  return out;
}

void read_records(const std::string& dir, const RecordFilter& filter,
                  const std::function<void(const Record&)>& sink,
                  const Options& options) {
  RecordFollower(dir, filter, options).poll(sink);
}

}  // namespace pa_journal
