// The property of `pa-journal clone` (docs/replication.md, "Cloning"): for
// random commit streams (puts, patches and deletes over a few collections,
// commits of several operations, origin notes, compactions) shipped by a
// Shipper that follows the store while one node of a 3-node JetStream
// cluster is killed and restarted, the clone made by the command prints what
// its source prints, byte for byte: `collections`, `list --json` of every
// collection, `history` of keys, `get` and `list --at` mid-history times,
// `inspect --records --json`; and `clone --at T` holds the source's state at T.
//
// The source also names a replica that was never shipped (a position at seq
// 0), so that its compactions keep the whole journal, and its history is
// whole to compare with the clone's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "journal/replica_position.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "replication/nats_log.h"
#include "replication/shipper.h"
#include "tests/clone_cli_util.h"
#include "tests/nats_cluster.h"
#include "tests/replication_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::cli;
using testing::NatsCluster;
using testing::on_both;
using testing::TempDir;

constexpr int kSeeds = 3;
constexpr int kCommitsPerPhase = 40;  // three phases: before, during, after the kill
constexpr int kKeysPerCollection = 10;
const std::vector<std::string> kCollections = {"contacts", "notes", "tasks"};

// A random commit stream on one store: what it wrote, for the comparisons.
class RandomCommits {
 public:
  RandomCommits(Store& store, uint32_t seed) : store_(store), rng_(seed) {}

  void commit_one() {
    std::vector<Operation> ops;
    std::set<std::string> used;
    const int count = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < count; ++i) {
      std::string collection = kCollections[rng_() % kCollections.size()];
      std::string key = "k" + std::to_string(rng_() % kKeysPerCollection);
      if (!used.insert(collection + "/" + key).second) continue;
      ops.push_back(operation(collection, key));
    }
    ++commits_;
    // Every seventh commit carries an origin note, as an import or a sync would.
    std::string origin = commits_ % 7 == 0 ? "sync " + std::to_string(commits_) : "";
    times_.push_back(store_.commit(std::move(ops), origin).time_ns);
    if (commits_ % 30 == 0) store_.compact();
  }

  const std::vector<int64_t>& times() const { return times_; }
  // Keys that were written at least once: "collection/key".
  std::vector<std::pair<std::string, std::string>> touched() const {
    return {written_.begin(), written_.end()};
  }
  std::mt19937& rng() { return rng_; }

 private:
  Operation operation(const std::string& collection, const std::string& key) {
    const bool exists = live_.count({collection, key}) > 0;
    written_.insert({collection, key});
    const int n = static_cast<int>(rng_() % 1000);
    const uint32_t pick = rng_() % 4;
    if (!exists || pick == 0) {
      live_.insert({collection, key});
      return {OpKind::kPut, collection, key, testing::contact(n, commits_)};
    }
    if (pick == 1) {
      live_.erase({collection, key});
      return {OpKind::kDelete, collection, key};
    }
    return {OpKind::kPatch, collection, key,
            R"({"version":)" + std::to_string(commits_) + R"(,"seen":)" +
                std::to_string(n) + "}"};
  }

  Store& store_;
  std::mt19937 rng_;
  int commits_ = 0;
  std::vector<int64_t> times_;
  std::set<std::pair<std::string, std::string>> live_, written_;
};

// Waits (at most seconds) until acked reaches seq; false at the deadline.
bool wait_acked(const std::atomic<uint64_t>& acked, uint64_t seq, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (acked.load() < seq) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void expect_same(const std::string& source, const std::string& clone,
                 const std::vector<std::string>& args) {
  testing::SideBySide both = on_both(source, clone, args);
  std::string line;
  for (const auto& a : args) line += " " + a;
  EXPECT_TRUE(both.same()) << "pa-journal" << line << "\nsource: " << both.a.describe()
                           << "\nclone: " << both.b.describe();
}

// Makes the store in dir, ships it while a node is down for the middle
// third of its commits, and returns its commit times and touched keys.
struct Source {
  std::vector<int64_t> times;
  std::vector<std::pair<std::string, std::string>> touched;
  uint64_t last_seq = 0;
  std::string store_id;
};

Source make_and_ship(NatsCluster& cluster, const std::string& dir,
                     const std::string& stream, uint32_t seed) {
  auto store = Store::open(dir, testing::test_store_options());
  Source out;
  out.store_id = store->store_id();
  ReplicaPosition never_shipped{"UNSHIPPED", cluster.url(), out.store_id, 0, 0, {}, ""};
  write_replica_position(*posix_file_system(), dir, never_shipped);
  replication::NatsLog log(cluster.url());
  replication::PlainSealer plain;
  auto options = testing::store_shipper_options(dir, stream, out.store_id, cluster.url());
  options.replicas = 3;
  std::atomic<uint64_t> acked{0};
  options.on_status = [&acked](const replication::ShipStatus& s) { acked = s.acked_seq; };
  replication::Shipper shipper(log, plain, options);
  std::string follow_error;
  std::jthread follower([&](std::stop_token stop) {
    try {
      shipper.follow(stop,
                     {/*poll_ms=*/20, /*first_retry_ms=*/50, /*max_retry_ms=*/1000});
    } catch (const std::exception& e) {
      follow_error = e.what();
    }
  });
  RandomCommits commits(*store, seed);
  for (int i = 0; i < kCommitsPerPhase; ++i) commits.commit_one();
  EXPECT_TRUE(wait_acked(acked, store->last_seq(), 60)) << "before the kill";
  const int victim = static_cast<int>(commits.rng()() % 3);
  cluster.stop(victim);
  for (int i = 0; i < kCommitsPerPhase; ++i) {
    commits.commit_one();  // shipped (or retried) while the node is down
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  cluster.start(victim);
  for (int i = 0; i < kCommitsPerPhase; ++i) commits.commit_one();
  out.last_seq = store->last_seq();
  EXPECT_TRUE(wait_acked(acked, out.last_seq, 90))
      << "after node " << victim << " came back";
  follower.request_stop();
  follower.join();
  EXPECT_EQ(follow_error, "");
  out.times = commits.times();
  out.touched = commits.touched();
  return out;
}

void compare_now(const std::string& source, const std::string& clone, const Source& s) {
  expect_same(source, clone, {"collections", "--json"});
  for (const auto& c : kCollections) expect_same(source, clone, {"list", c, "--json"});
  for (size_t i = 0; i < s.touched.size(); i += 3) {
    expect_same(source, clone, {"history", s.touched[i].first, s.touched[i].second});
  }
  expect_same(source, clone, {"inspect", "--records", "--json"});
}

void compare_at(const std::string& source, const std::string& clone, const Source& s,
                std::mt19937& rng) {
  for (int round = 0; round < 3; ++round) {
    const std::string at = format_time_ns(s.times[rng() % s.times.size()]);
    for (const auto& c : kCollections) {
      expect_same(source, clone, {"list", c, "--at", at, "--json"});
    }
    const auto& [collection, key] = s.touched[rng() % s.touched.size()];
    expect_same(source, clone, {"get", collection, key, "--at", at});
  }
}

// `clone --at T` holds the source's state at T and its records up to T.
void compare_clone_at(const std::string& url, const std::string& stream,
                      const std::string& source, const std::string& target, int64_t t) {
  const std::string at = format_time_ns(t);
  json r = json::parse(
      cli({"clone", "--url", url, "--stream", stream, target, "--at", at, "--json"}).out);
  for (const auto& c : kCollections) {
    testing::CommandResult want = cli({"--dir", source, "list", c, "--at", at, "--json"});
    testing::CommandResult got = cli({"--dir", target, "list", c, "--json"});
    EXPECT_EQ(got.out, want.out) << c << " at " << at;
  }
  testing::CommandResult want =
      cli({"--dir", source, "inspect", "--records", "--until", at, "--json"});
  EXPECT_EQ(cli({"--dir", target, "inspect", "--records", "--json"}).out, want.out);
  EXPECT_LE(r["last_time"].get<std::string>(), at);
}

TEST(ClonePropertyTest, RandomCommitStreamsShippedWhileANodeRestartsCloneEqual) {
  NatsCluster cluster;
  for (uint32_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir, out;
    const std::string stream = "PROPERTY" + std::to_string(seed);
    Source s = make_and_ship(cluster, dir.path(), stream, seed);
    const std::string clone = out / "clone";
    json r = json::parse(
        cli({"clone", "--url", cluster.url(), "--stream", stream, clone, "--json"}).out);
    EXPECT_EQ(r["store_id"], s.store_id);
    EXPECT_EQ(r["first_seq"], 1u);
    EXPECT_EQ(r["last_seq"], s.last_seq);
    EXPECT_EQ(r["records"], s.last_seq);
    EXPECT_FALSE(r["snapshots"].empty());
    compare_now(dir.path(), clone, s);
    std::mt19937 rng(seed);
    compare_at(dir.path(), clone, s, rng);
    compare_clone_at(cluster.url(), stream, dir.path(), out / "at",
                     s.times[s.times.size() / 2]);
    cli({"--dir", clone, "verify"});
    if (HasFailure()) {
      std::cerr << cluster.logs().substr(0, 20000);
      break;
    }
  }
}

}  // namespace
}  // namespace pa_journal
