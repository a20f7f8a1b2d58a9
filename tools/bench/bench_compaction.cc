// Phases 5 and 6 of the benchmark: compaction of one large store (and the
// commit latency beside it), then loading that store from its snapshot.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <tuple>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

// Phases 5-7 share one store of compaction_docs documents.
void Runner::compaction_snapshot_memory() {
  Workload w(config_.compaction_docs);
  std::string dir = scratch_.sub("compaction");
  say("compaction: writing " + count_text(w.docs()) + " documents");
  uint64_t snapshot_bytes = 0;
  {
    StorePeer peer(dir, Durability::kAlways, /*auto_compact=*/false);
    peer.populate(w);
    compaction(peer.store(), w);
    snapshot_bytes = peer.store().compact().bytes;  // covers every commit
    if (snapshot_bytes == 0) snapshot_bytes = tree_bytes(backups_dir(dir));
  }
  snapshot_load(dir, snapshot_bytes);
  memory(dir);
  remove_phase_dir(dir);
}

// Compacts while one thread commits durably, and compares the p99 latency of
// the commits beside a compaction with that of commits before any. The
// slowest commit of each is printed too: it shows a commit held up by the copy
// of the state, which the p99 of a few thousand commits does not.
void Runner::compaction(Store& store, const Workload& w) {
  struct Commit {
    Clock::time_point start, end;
  };
  std::vector<Commit> commits;
  commits.reserve(1 << 16);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      Commit c;
      c.start = Clock::now();
      store.put("contacts", w.key(w.doc_for(i)), w.document(i));
      c.end = Clock::now();
      commits.push_back(c);
    }
  });
  auto idle_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(config_.seconds));
  auto idle_end = Clock::now();
  std::vector<std::pair<Clock::time_point, Clock::time_point>> runs;
  std::vector<double> seconds;
  for (int r = 0; r < std::max(config_.compaction_runs, 1); ++r) {
    say("compaction: run " + std::to_string(r + 1) + " of " +
        std::to_string(config_.compaction_runs));
    auto start = Clock::now();
    store.compact();
    auto end = Clock::now();
    runs.push_back({start, end});
    seconds.push_back(std::chrono::duration<double>(end - start).count());
    // Let the writer commit a little between runs, so each finds new state.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  writer.join();
  Sample idle, during;
  for (const Commit& c : commits) {
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(c.end - c.start).count();
    uint32_t lat = static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX));
    if (c.start >= idle_start && c.end <= idle_end) {
      idle.latency_ns.push_back(lat);
      ++idle.ops;
    }
    for (const auto& [a, b] : runs) {
      if (c.end >= a && c.start <= b) {
        during.latency_ns.push_back(lat);
        ++during.ops;
        break;
      }
    }
  }
  std::sort(seconds.begin(), seconds.end());
  std::string group = "Compaction of " + count_text(w.docs()) +
                      " documents, one durable writer beside it";
  Figure t;
  t.id = "compaction.seconds";
  t.group = group;
  t.label = "compaction time (median)";
  t.value = seconds[seconds.size() / 2];
  t.unit = "s";
  t.samples = seconds.size();
  t.detail = "slowest " + seconds_text(seconds.back());
  add(std::move(t));
  for (auto [id, label, s] :
       {std::tuple{"compaction.p99_idle", "commit latency, idle", &idle},
        std::tuple{"compaction.p99_during", "commit latency, during compaction",
                   &during}}) {
    Figure f;
    f.id = id;
    f.group = group;
    f.label = label;
    f.value = s->percentile_us(99);
    f.unit = "us p99";
    f.p50_us = s->percentile_us(50);
    f.samples = s->ops;
    f.detail = "slowest " + std::to_string(std::lround(s->percentile_us(100))) + " us";
    add(std::move(f));
  }
}

// Opens (read-only) the store whose newest snapshot covers every record.
void Runner::snapshot_load(const std::string& dir, uint64_t snapshot_bytes) {
  say("snapshot load: " + std::to_string(snapshot_bytes / 1000000) + " MB");
  uint64_t replayed = 0;
  double best = best_read_only_open(dir, 2, &replayed);
  Figure f;
  f.id = "snapshot.load";
  f.group = "Snapshot load (read-only open from a snapshot, warm page cache)";
  f.label = count_text(config_.compaction_docs) + " documents";
  f.value = static_cast<double>(snapshot_bytes) / kMB / best;
  f.unit = "MB/s";
  f.samples = 2;
  f.detail = std::to_string(snapshot_bytes / 1000000) + " MB snapshot in " +
             seconds_text(best) + ", " + std::to_string(replayed) +
             " records replayed after it";
  add(std::move(f));
}

}  // namespace pa_journal::bench
