// Phases 1-3 of the benchmark: commit throughput with one writer (durable
// contenders, then the others), group commit with 1..8 threads, and the cost
// of one durable commit against the number of documents.
#include <algorithm>
#include <deque>
#include <memory>

#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

// Phase 1: every contender, one writer, keys over config.docs documents.
// Durable contenders take turns with each other, then the others do, so the
// writeback of buffered contenders does not land on the durable ones.
void Runner::throughput() {
  Workload w(config_.docs);
  std::string group =
      "Commit throughput, one writer, keys over " + count_text(w.docs()) + " documents";
  std::vector<std::vector<std::unique_ptr<Peer>>> sets(2);
  sets[0].push_back(
      std::make_unique<StorePeer>(scratch_.sub("always"), Durability::kAlways));
  if (auto p = make_sqlite_peer(scratch_.sub("sqlite-full.db"), Synchronous::kFull, 1)) {
    sets[0].push_back(std::move(p));
  }
  sets[0].push_back(make_disk_peer(scratch_.sub("disk-sync.dat"), true));
  sets[0].push_back(make_disk_overwrite_peer(scratch_.sub("disk-overwrite.dat")));
  sets[0].push_back(make_seed_peer(scratch_.sub("seed")));
  sets[1].push_back(
      std::make_unique<StorePeer>(scratch_.sub("interval"), Durability::kInterval));
  sets[1].push_back(std::make_unique<StorePeer>(scratch_.sub("none"), Durability::kNone));
  for (int rows : {1, 1000}) {
    std::string name = "sqlite-normal-" + std::to_string(rows) + ".db";
    if (auto p = make_sqlite_peer(scratch_.sub(name), Synchronous::kNormal, rows)) {
      sets[1].push_back(std::move(p));
    }
  }
  sets[1].push_back(make_disk_peer(scratch_.sub("disk-buffered.dat"), false));
  for (auto& set : sets) {
    std::deque<Contender> contenders;
    std::vector<Contender*> order;
    for (auto& peer : set) {
      peer->populate(w);
      contenders.push_back(peer->contender(w));
      order.push_back(&contenders.back());
    }
    say("commit throughput: " + std::to_string(order.size()) + " contenders, " +
        seconds_text(config_.seconds) + " each");
    interleave(order, config_.seconds, config_.rounds);
    for (const Contender* c : order) add("commit." + c->id, group, c->label, c->sample);
    set.clear();  // close before the next set starts
  }
  remove_scratch_files();
}

// Phase 2: group commit, durable, 1..8 threads on one store.
void Runner::group_commit() {
  Workload w(config_.docs);
  StorePeer peer(scratch_.sub("threads"), Durability::kAlways);
  peer.populate(w);
  std::deque<Contender> contenders;
  std::vector<Contender*> order;
  for (int t : config_.threads) {
    contenders.push_back(peer.contender(w));
    contenders.back().threads = t;
    contenders.back().id = "threads." + std::to_string(t);
    contenders.back().label =
        "pa-journal always, " + std::to_string(t) + (t == 1 ? " thread" : " threads");
    order.push_back(&contenders.back());
  }
  say("group commit: " + std::to_string(order.size()) + " thread counts");
  interleave(order, config_.seconds, config_.rounds);
  for (const Contender* c : order) {
    add(c->id, "Durable commits (always) from several threads, one store", c->label,
        c->sample);
  }
  peer.close();
  remove_scratch_files();
  group_commit_waits(w);
}

// Part of phase 2: the group commit's two spin waits (journal/spin_wait.h),
// each on and off, at the largest thread count, each on its own store. A wait
// is kept where its figure beats the one without it (docs/design.md).
void Runner::group_commit_waits(const Workload& w) {
  const int threads = *std::max_element(config_.threads.begin(), config_.threads.end());
  struct Variant {
    const char* id;
    const char* label;
    bool spin, linger;
  };
  const Variant variants[] = {
      {"spin-linger", "yield then sleep, linger", true, true},
      {"block-linger", "sleep at once, linger", false, true},
      {"spin-nolinger", "yield then sleep, no linger", true, false},
      {"block", "sleep at once, no linger (plain blocking)", false, false}};
  std::vector<std::unique_ptr<StorePeer>> peers;
  std::deque<Contender> contenders;
  std::vector<Contender*> order;
  for (const Variant& v : variants) {
    Options options;
    options.spin_waits = v.spin;
    options.linger = v.linger;
    peers.push_back(
        std::make_unique<StorePeer>(scratch_.sub(std::string("waits-") + v.id), options));
    peers.back()->populate(w);
    contenders.push_back(peers.back()->contender(w));
    contenders.back().threads = threads;
    contenders.back().id = std::string("waits.") + v.id;
    contenders.back().label =
        "always, " + std::to_string(threads) + " threads, " + v.label;
    order.push_back(&contenders.back());
  }
  say("group commit waits: spinning and lingering on and off");
  interleave(order, config_.seconds, config_.rounds);
  for (const Contender* c : order) {
    add(c->id, "Group commit's waits, spinning against plain blocking", c->label,
        c->sample);
  }
  peers.clear();
  remove_scratch_files();
}

// Phase 3: the cost of one durable commit against the number of documents,
// and the seed's whole-file rewrite at seed_docs.
void Runner::commit_cost() {
  std::deque<Workload> workloads;
  std::vector<std::unique_ptr<Peer>> peers;
  std::deque<Contender> contenders;
  std::vector<Contender*> order;
  for (uint64_t n : config_.cost_docs) {
    workloads.emplace_back(n);
    auto peer = std::make_unique<StorePeer>(scratch_.sub("cost-" + std::to_string(n)),
                                            Durability::kAlways);
    peer->populate(workloads.back());
    contenders.push_back(peer->contender(workloads.back()));
    contenders.back().id = "cost.pa-journal." + std::to_string(n);
    contenders.back().label = "pa-journal always, " + count_text(n) + " documents";
    order.push_back(&contenders.back());
    peers.push_back(std::move(peer));
  }
  workloads.emplace_back(config_.seed_docs);
  auto seed = make_seed_peer(scratch_.sub("seed-cost"));
  seed->populate(workloads.back());
  contenders.push_back(seed->contender(workloads.back()));
  contenders.back().id = "cost.seed." + std::to_string(config_.seed_docs);
  contenders.back().label =
      "seed rewrite, " + count_text(config_.seed_docs) + " documents";
  order.push_back(&contenders.back());
  peers.push_back(std::move(seed));
  say("commit cost: " + std::to_string(order.size()) + " stores");
  interleave(order, config_.seconds, config_.rounds);
  for (const Contender* c : order) {
    Figure f;
    f.id = c->id;
    f.group = "Cost of one durable commit against the number of documents";
    f.label = c->label;
    f.value = c->sample.mean_us();
    f.unit = "us/commit";
    f.p50_us = c->sample.percentile_us(50);
    f.p99_us = c->sample.percentile_us(99);
    f.samples = c->sample.ops;
    add(std::move(f));
  }
  peers.clear();
  remove_scratch_files();
}

}  // namespace pa_journal::bench
