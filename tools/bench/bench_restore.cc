// Phase 8 of the benchmark: the commit latency beside a restore and beside
// an import of a large state (docs/design.md 7), both run on one store of
// compaction_docs documents.
//
// The committer runs open-loop: it means to start a commit every `period`
// and times each from when it was due, not from when it started, so that a
// commit held up for a second counts as the second of commits it delays
// (as a client with a steady rate sees it), not as one slow commit among
// thousands that a closed-loop p99 would hide. The period is 4x a durable
// commit's median and at least 5 ms, so that a disk whose latency drifts
// does not leave the committer ever further behind.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <thread>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {
namespace {

using Window = std::pair<Clock::time_point, Clock::time_point>;

struct Due {
  Clock::time_point due, end;
};

// Commits one document every period (or at once when behind) until stop.
class SteadyCommitter {
 public:
  SteadyCommitter(Store& store, const Workload& w, Clock::duration period)
      : thread_([this, &store, &w, period] { run(store, w, period); }) {}
  ~SteadyCommitter() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Latencies of the commits due within any of windows (after stop()).
  Sample within(const std::vector<Window>& windows) const {
    Sample s;
    for (const Due& c : commits_) {
      for (const auto& [a, b] : windows) {
        if (c.due >= a && c.due <= b) {
          auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(c.end - c.due);
          s.latency_ns.push_back(
              static_cast<uint32_t>(std::min<int64_t>(ns.count(), UINT32_MAX)));
          ++s.ops;
          break;
        }
      }
    }
    return s;
  }

 private:
  void run(Store& store, const Workload& w, Clock::duration period) {
    Clock::time_point due = Clock::now();
    for (uint64_t i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
      std::this_thread::sleep_until(due);
      store.put("contacts", w.key(w.doc_for(i)), w.document(i));
      commits_.push_back({due, Clock::now()});
      due += period;
    }
  }

  std::vector<Due> commits_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The median latency of a few durable commits in a row.
Clock::duration median_commit(Store& store, const Workload& w) {
  std::vector<Clock::duration> took;
  for (uint64_t i = 0; i < 50; ++i) {
    auto start = Clock::now();
    store.put("contacts", w.key(w.doc_for(i)), w.document(i));
    took.push_back(Clock::now() - start);
  }
  std::sort(took.begin(), took.end());
  return took[took.size() / 2];
}

// Runs work until it has taken min_seconds in all (20 runs at most); the
// windows it ran in.
std::vector<Window> repeat_for(double min_seconds, const std::function<void()>& work) {
  std::vector<Window> windows;
  double total = 0;
  for (int r = 0; r < 20 && (r == 0 || total < min_seconds); ++r) {
    auto start = Clock::now();
    work();
    auto end = Clock::now();
    windows.push_back({start, end});
    total += std::chrono::duration<double>(end - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return windows;
}

double seconds_of(const std::vector<Window>& windows) {
  double total = 0;
  for (const auto& [a, b] : windows)
    total += std::chrono::duration<double>(b - a).count();
  return total / static_cast<double>(windows.size());
}

}  // namespace

// The store is written with durability none in commits of 10,000 documents,
// then changed in 0.1% of its documents: the restore goes back to before that
// change, and the import brings back an export taken after it, so that both
// change a few documents of a large state. They are measured with durability
// always, a durable committer beside them.
void Runner::restore_import() {
  Workload w(config_.compaction_docs);
  std::string dir = scratch_.sub("restore");
  std::string exported = scratch_.sub("restore-export");
  say("restore/import: writing " + count_text(w.docs()) + " documents");
  int64_t before_change = 0;
  {
    Options options;
    options.durability = Durability::kNone;
    options.auto_compact = false;
    auto store = Store::open(dir, options);
    populate_store(*store, w);
    before_change = store->put("contacts", w.key(0), w.document(0)).time_ns;
    std::vector<Operation> ops;
    for (uint64_t d = 0; d < w.docs(); d += 1000) {
      ops.push_back({OpKind::kPut, "contacts", w.key(d), w.document(d + 1)});
    }
    store->commit(std::move(ops));
    store->compact();
  }
  Options options;
  options.durability = Durability::kAlways;
  options.auto_compact = false;
  auto store = Store::open(dir, options);
  store->export_to(exported);
  Clock::duration period = std::max<Clock::duration>(4 * median_commit(*store, w),
                                                     std::chrono::milliseconds(5));
  // Long enough for 20 commits due at least, however slow the disk.
  double seconds =
      std::max(config_.seconds, 20 * std::chrono::duration<double>(period).count());
  SteadyCommitter committer(*store, w, period);
  auto idle_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::vector<Window> idle = {{idle_start, Clock::now()}};
  say("restore/import: restoring");
  std::vector<Window> restores =
      repeat_for(seconds, [&] { store->restore_to(before_change); });
  say("restore/import: importing");
  std::vector<Window> imports =
      repeat_for(seconds, [&] { store->import_from(exported); });
  committer.stop();
  std::string group =
      "Restore and import of " + count_text(w.docs()) +
      " documents, one durable writer beside them (a commit due every " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::microseconds>(period).count()) +
      " us, timed from when it was due)";
  struct Row {
    const char* id;
    const char* label;
    const std::vector<Window>* windows;
  };
  for (const Row& row :
       {Row{"restore.p99_idle", "commit latency, idle", &idle},
        Row{"restore.p99_during", "commit latency, during a restore", &restores},
        Row{"import.p99_during", "commit latency, during an import", &imports}}) {
    Sample s = committer.within(*row.windows);
    Figure f;
    f.id = row.id;
    f.group = group;
    f.label = row.label;
    f.value = s.percentile_us(99);
    f.unit = "us p99";
    f.p50_us = s.percentile_us(50);
    f.samples = s.ops;
    f.detail = "slowest " + std::to_string(std::lround(s.percentile_us(100))) + " us";
    if (row.windows != &idle) {
      f.detail += "; " + std::to_string(row.windows->size()) + " run(s) of " +
                  seconds_text(seconds_of(*row.windows));
    }
    add(std::move(f));
  }
  store.reset();
  remove_phase_dir(exported);
  remove_phase_dir(dir);
}

}  // namespace pa_journal::bench
