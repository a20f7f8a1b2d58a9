// Phase 9 of the benchmark: replication to NATS JetStream, on a 3-node
// cluster of nats-server processes on 127.0.0.1 that the phase starts and
// stops itself (free ports, its own temporary directories, stopped by pid;
// tests/nats_cluster.h).
//
// - ship: a store of replication_records records (one 205-byte contact
//   document each, keys over `docs` documents) published by one
//   Shipper::ship() pass, with the library's batch size, into a stream
//   replicated on the three nodes: not sealed, then sealed with a key file
//   (XChaCha20-Poly1305). Records per second of the whole pass.
// - clone: clone_from_log of each of those streams into a new directory,
//   every message checked, every file synced. Records per second.
// - lag: a store committing at replication_rate commits per second, open
//   loop (each commit due at a fixed period, so a slow one does not lower
//   the rate), durability always, for replication_seconds, while
//   Shipper::follow ships it with the library's defaults (it polls every
//   200 ms). The seconds behind (now minus the commit time of the oldest
//   record the stream has not acknowledged) and the records behind are
//   sampled every 10 ms from what the committer committed and what the
//   shipper's statuses say was acknowledged: their p50, p99 and maximum.
#include "tools/bench/bench_replication.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stop_token>
#include <thread>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "replication/clone.h"
#include "replication/keys.h"
#include "replication/nats_log.h"
#include "replication/sealing_meta.h"
#include "replication/shipper.h"
#include "tests/nats_cluster.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {
namespace {

using replication::ShipPosition;
using replication::ShipStatus;

constexpr size_t kRecordDocumentBytes = 205;
constexpr char kGroup[] = "Replication to a local 3-node NATS JetStream cluster";

// A store of n records, one put each, as fast as it goes (no sync).
std::string make_store(const std::string& dir, uint64_t n, uint64_t docs) {
  Options options;
  options.durability = Durability::kNone;
  options.auto_compact = false;
  auto store = Store::open(dir, options);
  Workload w(docs);
  std::vector<std::string> documents;
  for (uint64_t v = 0; v < 1024; ++v)
    documents.push_back(contact_document(v, kRecordDocumentBytes));
  for (uint64_t i = 0; i < n; ++i) {
    store->put("contacts", w.key(w.doc_for(i)), documents[i % documents.size()]);
  }
  return store->store_id();
}

replication::ShipperOptions shipper_options(const std::string& dir,
                                            const std::string& stream,
                                            const std::string& store_id,
                                            std::shared_ptr<ShipPosition> saved) {
  replication::ShipperOptions o;
  o.dir = dir;
  o.stream = stream;
  o.store_id = store_id;
  o.replicas = 3;
  o.load_position = [saved]() -> std::optional<ShipPosition> {
    if (saved->acked_seq == 0) return std::nullopt;
    return *saved;
  };
  o.save_position = [saved](const ShipPosition& p) { *saved = p; };
  return o;
}

struct Sealed {
  std::unique_ptr<replication::Sealer> sealer;
  std::string meta;  // the "sealing" JSON
  replication::KeySource key;
};

Sealed sealing_for(const std::string& key_file, const std::string& store_id) {
  if (key_file.empty()) return {std::make_unique<replication::PlainSealer>(), "null", {}};
  replication::generate_key_file(key_file);
  replication::KeySource key = replication::KeySource::from_key_file(key_file);
  replication::Sealing s = replication::new_sealing(key, store_id);
  return {std::move(s.sealer), s.meta.dump(), std::move(key)};
}

struct Quantiles {
  double p50 = 0, p99 = 0, max = 0;
};

Quantiles quantiles(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double p) {
    return v[std::min(v.size() - 1,
                      static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  return {at(0.50), at(0.99), v.back()};
}

// The committer and the shipper of the lag measurement, seen from a third
// thread: when each record was committed, the last one committed and the last
// one the stream acknowledged (set from the shipper's status after each
// batch). The lag is sampled every kSampleEvery, not at the shipper's
// statuses alone, which come right after an acknowledgement (the lag's low
// point) and, for a pass that took one batch, say nothing was behind.
struct Steady {
  static constexpr auto kSampleEvery = std::chrono::milliseconds(10);

  explicit Steady(uint64_t commits) : committed_at(commits + 2) {}

  void sample(std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(kSampleEvery);
      const uint64_t a = acked.load(), last = committed.load();
      const bool behind = last > a && a + 1 < committed_at.size();
      const int64_t since = behind ? committed_at[a + 1].load() : 0;
      seconds_behind.push_back(
          behind && since > 0 ? static_cast<double>(now_ns() - since) / 1e9 : 0);
      records_behind.push_back(behind ? static_cast<double>(last - a) : 0);
    }
  }
  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               Clock::now().time_since_epoch())
        .count();
  }

  std::vector<std::atomic<int64_t>> committed_at;  // by seq: steady-clock ns
  std::atomic<uint64_t> committed{0}, acked{0};
  std::vector<double> seconds_behind, records_behind;  // the sampler's alone
};

class Phase {
 public:
  Phase(const Config& config, Report& report, const std::string& url)
      : config_(config), report_(report), scratch_(config), log_(url) {}

  void ship_and_clone() {
    const uint64_t n = config_.replication_records;
    const std::string dir = scratch_.sub("store");
    say("replication: writing a store of " + count_text(n) + " records");
    const std::string id = make_store(dir, n, config_.docs);
    const uint64_t journal = tree_bytes(journal_dir(dir));
    for (bool sealed : {false, true}) {
      const std::string stream = sealed ? "BENCH_SEALED" : "BENCH_PLAIN";
      const std::string what = sealed ? "sealed" : "not sealed";
      Sealed s = sealing_for(sealed ? scratch_.sub("bench.key") : "", id);
      auto options = shipper_options(dir, stream, id, std::make_shared<ShipPosition>());
      options.sealing_json = s.meta;
      say("replication: shipping " + count_text(n) + " records, " + what);
      auto start = Clock::now();
      ShipStatus status = replication::Shipper(log_, *s.sealer, options).ship();
      double took = seconds_since(start);
      if (status.acked_seq != n) {
        throw std::runtime_error("replication: the stream acknowledged " +
                                 std::to_string(status.acked_seq) + " of " +
                                 std::to_string(n) + " records");
      }
      add("replication.ship." + std::string(sealed ? "sealed" : "plain"),
          "ship " + count_text(n) + " records, " + what, n / took,
          std::to_string(journal / 1000000) + " MB journal, " + seconds_text(took) +
              ", batch " + std::to_string(options.batch_size));
      clone(stream, s, n, sealed ? "sealed" : "plain");
    }
    std::error_code ec;
    if (!config_.keep) std::filesystem::remove_all(dir, ec);
  }

  void lag() {
    const std::string dir = scratch_.sub("lag");
    Options options;  // durability always, as an application's store
    options.auto_compact = false;
    auto store = Store::open(dir, options);
    auto shipping = shipper_options(dir, "BENCH_LAG", store->store_id(),
                                    std::make_shared<ShipPosition>());
    Steady steady(static_cast<uint64_t>(config_.replication_seconds *
                                        static_cast<double>(config_.replication_rate)));
    shipping.on_status = [&steady](const ShipStatus& s) { steady.acked = s.acked_seq; };
    replication::PlainSealer plain;
    replication::Shipper shipper(log_, plain, shipping);
    shipper.ship();  // the stream and its meta message, before the clock starts
    std::string error;
    std::jthread follower([&shipper, &error](std::stop_token stop) {
      try {
        shipper.follow(stop);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    std::jthread sampler([&steady](std::stop_token stop) { steady.sample(stop); });
    say("replication: committing at " + count_text(config_.replication_rate) +
        " commits/s for " + seconds_text(config_.replication_seconds) +
        " while following");
    const double achieved = commit_steadily(*store, steady);
    sampler.request_stop();
    sampler.join();
    follower.request_stop();
    follower.join();
    if (!error.empty()) throw std::runtime_error("replication: following: " + error);
    report_lag(quantiles(steady.seconds_behind), quantiles(steady.records_behind),
               steady.seconds_behind.size(), achieved);
  }

 private:
  void say(const std::string& line) {
    if (config_.progress) config_.progress(line);
  }

  void add(std::string id, std::string label, double value, std::string detail,
           std::string unit = "records/s") {
    Figure f;
    f.id = std::move(id);
    f.group = kGroup;
    f.label = std::move(label);
    f.value = value;
    f.unit = std::move(unit);
    f.samples = 1;
    f.detail = std::move(detail);
    report_.figures.push_back(std::move(f));
  }

  void clone(const std::string& stream, const Sealed& s, uint64_t n,
             const std::string& kind) {
    const std::string out = scratch_.sub("clone-" + kind);
    const replication::KeySource& key = s.key;
    auto choose = [&key, &stream](const std::string& store_id, const std::string& meta) {
      return replication::check_meta_key(nlohmann::json::parse(meta), key, store_id,
                                         stream);
    };
    say("replication: cloning stream " + stream);
    auto start = Clock::now();
    replication::CloneResult r =
        replication::clone_from_log(log_, stream, choose, *posix_file_system(), out);
    double took = seconds_since(start);
    add("replication.clone." + kind,
        "clone " + count_text(r.records) + " records, " +
            (kind == "sealed" ? "sealed" : "not sealed"),
        static_cast<double>(r.records) / took,
        seconds_text(took) + ", every message checked, every file synced");
    if (r.records != n) throw std::runtime_error("replication: the clone lost records");
    std::error_code ec;
    if (!config_.keep) std::filesystem::remove_all(out, ec);
  }

  // Commits at config_.replication_rate for config_.replication_seconds, each
  // commit due at its own time; returns the rate achieved.
  double commit_steadily(Store& store, Steady& steady) {
    const auto period = std::chrono::nanoseconds(
        static_cast<int64_t>(1e9 / static_cast<double>(config_.replication_rate)));
    const uint64_t total = steady.committed_at.size() - 2;
    Workload w(config_.docs);
    const std::string document = contact_document(0, kRecordDocumentBytes);
    auto start = Clock::now();
    for (uint64_t i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + period * static_cast<int64_t>(i));
      const int64_t at = Steady::now_ns();
      CommitResult r = store.put("contacts", w.key(w.doc_for(i)), document);
      if (r.seq < steady.committed_at.size()) steady.committed_at[r.seq] = at;
      steady.committed = r.seq;
    }
    double took = seconds_since(start);
    // The shipper catches up with the last commits meanwhile: sampled too.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return static_cast<double>(total) / took;
  }

  void report_lag(const Quantiles& seconds, const Quantiles& records, size_t samples,
                  double achieved) {
    const std::string at =
        "at " + count_text(static_cast<uint64_t>(achieved)) + " commits/s (always)";
    Figure s;
    s.id = "replication.lag.seconds";
    s.group = kGroup;
    s.label = "lag " + at + ", seconds";
    s.value = seconds.p50 * 1000;
    s.unit = "ms p50";
    s.p50_us = seconds.p50 * 1e6;
    s.p99_us = seconds.p99 * 1e6;
    s.samples = samples;
    s.detail = "max " + seconds_text(seconds.max) + "; sampled every 10 ms (" +
               std::to_string(samples) + "); the shipper polls every 200 ms";
    report_.figures.push_back(std::move(s));
    add("replication.lag.records", "lag " + at + ", records", records.p50,
        "p99 " + count_text(static_cast<uint64_t>(records.p99)) + ", max " +
            count_text(static_cast<uint64_t>(records.max)),
        "records p50");
  }

  const Config& config_;
  Report& report_;
  ScratchDir scratch_;
  replication::NatsLog log_;
};

}  // namespace

void replication_phase(const Config& config, Report& report) {
  if (testing::find_nats_server().empty()) {
    report.notes.push_back(
        "replication: skipped: nats-server is not installed (apt-get install "
        "nats-server)");
    return;
  }
  if (config.progress) config.progress("replication: starting a 3-node NATS cluster");
  std::unique_ptr<testing::NatsCluster> cluster;
  try {
    cluster = std::make_unique<testing::NatsCluster>();
  } catch (const std::runtime_error& e) {
    std::string why = e.what();
    report.notes.push_back(
        "replication: skipped: the 3-node NATS cluster did not come "
        "up: " +
        why.substr(0, why.find('\n')));
    return;
  }
  Phase phase(config, report, cluster->url());
  phase.ship_and_clone();
  phase.lag();
  report.config["replication_records"] = config.replication_records;
  report.config["replication_rate"] = config.replication_rate;
  report.config["replication_seconds"] = config.replication_seconds;
}

}  // namespace pa_journal::bench
