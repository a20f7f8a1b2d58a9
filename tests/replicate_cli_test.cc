// `pa-journal replicate` against real NATS JetStream servers
// (tests/nats_cluster.h): a 3-node cluster for shipping (caught up, kill -9
// of --follow, the whole cluster down, one node killed, beside a live
// writer), one node for the errors (bad URL, another store's stream, wrong or
// missing key, a second shipper). The stream is read back with NatsLog and
// clone_from_log. Every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "journal/replica_position.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "replication/clone.h"
#include "replication/messages.h"
#include "replication/nats_log.h"
#include "tests/nats_cluster.h"
#include "tests/replication_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

using nlohmann::json;
using replication::Classified;
using replication::LogMessage;
using replication::NatsLog;

constexpr char kName[] = "REPL";
using Clock = std::chrono::steady_clock;

// Reads the --json status lines of a running `replicate --follow` one by one.
class StatusLines {
 public:
  explicit StatusLines(ChildProcess& child) : child_(child) {}

  // The first line (in at most timeout_ms) that satisfies want; nullopt if
  // none came in time or the child ended.
  std::optional<json> until(const std::function<bool(const json&)>& want,
                            int timeout_ms = 30'000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      size_t end = buffer_.find('\n');
      if (end == std::string::npos) {
        if (!child_.read_stdout(&buffer_, 200) && buffer_.find('\n') == std::string::npos)
          return std::nullopt;
        continue;
      }
      json line = json::parse(buffer_.substr(0, end));
      buffer_.erase(0, end + 1);
      seen_.push_back(line);
      if (want(line)) return line;
    }
    return std::nullopt;
  }
  const std::vector<json>& seen() const { return seen_; }

 private:
  ChildProcess& child_;
  std::string buffer_;
  std::vector<json> seen_;
};

class ReplicateCliTest : public ::testing::Test {
 protected:
  void start_cluster(int nodes) {
    NatsClusterOptions options;
    options.nodes = nodes;
    cluster_ = std::make_unique<NatsCluster>(options);
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->logs().substr(0, 20000);
  }

  // n commits of notes/kI in the store at dir (made if missing).
  static uint64_t commit(const std::string& dir, int from, int n) {
    Options o;
    o.durability = Durability::kNone;
    o.auto_compact = false;
    o.segment_bytes = 4096;
    auto store = Store::open(dir, o);
    for (int i = from; i < from + n; ++i) {
      store->put("notes", "k" + std::to_string(i), contact(i));
    }
    return store->last_seq();
  }

  std::vector<std::string> replicate_args(const std::string& dir,
                                          std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"--dir",         dir,        "replicate", "--url",
                                     cluster_->url(), "--stream", kName};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  CommandResult replicate(const std::string& dir, std::vector<std::string> more = {}) {
    return run_pa_journal(replicate_args(dir, std::move(more)));
  }

  std::unique_ptr<ChildProcess> follow(const std::string& dir) {
    std::vector<std::string> argv = {pa_journal_binary()};
    for (auto& a : replicate_args(dir, {"--follow", "--json"})) argv.push_back(a);
    return std::make_unique<ChildProcess>(argv);
  }

  // Runs read, again while the servers are unavailable (a cluster that just
  // lost a node elects a new leader): at most 100 tries, 200 ms apart.
  static void patiently(const std::function<void()>& read) {
    for (int attempt = 1;; ++attempt) {
      try {
        return read();
      } catch (const ReplicationError& e) {
        if (!e.unavailable() || attempt == 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  // The running nodes: a client that tries a stopped one first waits for it.
  std::string running_url() const {
    std::string url;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (!cluster_->running(i)) continue;
      url += (url.empty() ? "" : ",") + cluster_->url(i);
    }
    return url;
  }

  // The journal seqs of the record messages of the stream, in stream order.
  std::vector<uint64_t> stream_records(const std::string& store_id) {
    NatsLog log(running_url());
    std::vector<uint64_t> seqs;
    patiently([&] {
      seqs.clear();
      log.read(kName, 1, [&](const LogMessage& m) {
        Classified c = replication::classify(m, kName, store_id);
        EXPECT_NE(c.kind, Classified::Kind::kForeign) << c.why;
        if (c.kind == Classified::Kind::kRecord) seqs.push_back(c.seq);
        return true;
      });
    });
    return seqs;
  }

  // The store cloned from the stream into a new directory under out_.
  std::string clone() {
    NatsLog log(running_url());
    std::string target = out_ / ("clone" + std::to_string(++clones_));
    patiently([&] {
      replication::clone_from_log(log, kName, choose_plain(), *posix_file_system(),
                                  target);
    });
    return target;
  }

  static std::vector<uint64_t> one_to(uint64_t n) {
    std::vector<uint64_t> out;
    for (uint64_t i = 1; i <= n; ++i) out.push_back(i);
    return out;
  }

  std::unique_ptr<NatsCluster> cluster_;
  TempDir dir_, out_;
  int clones_ = 0;
};

bool caught_up_to(const json& line, uint64_t seq) {
  return line["error"].is_null() && line["acked_seq"] == seq &&
         line["records_behind"] == 0;
}

TEST_F(ReplicateCliTest, ExitsZeroWhenCaughtUpAndASecondRunPublishesNothing) {
  start_cluster(3);
  commit(dir_.path(), 0, 40);
  ASSERT_EQ(run_pa_journal({"--dir", dir_.path(), "compact"}).exit_code, 0);
  uint64_t last = commit(dir_.path(), 40, 20);
  CommandResult first = replicate(dir_.path(), {"--json"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  json status = json::parse(first.out);
  EXPECT_EQ(status["acked_seq"], last);
  EXPECT_EQ(status["records_published"], last);
  EXPECT_EQ(status["snapshots_published"], 1);
  EXPECT_EQ(status["records_behind"], 0);
  CommandResult second = replicate(dir_.path());
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  EXPECT_NE(second.out.find("0 records and 0 snapshots published; acked seq " +
                            std::to_string(last)),
            std::string::npos)
      << second.out;
  std::string id = Store::open(dir_.path())->store_id();
  EXPECT_EQ(stream_records(id), one_to(last));
  ReplicaPosition p = read_replica_position(*posix_file_system(), dir_.path(), kName);
  EXPECT_EQ(p.acked_seq, last);
  EXPECT_EQ(p.url, cluster_->url());
  EXPECT_EQ(image_of(clone()), image_of(dir_.path()));
}

TEST_F(ReplicateCliTest, KillNineOfFollowThenRerunLeavesEveryRecordOnceInOrder) {
  start_cluster(3);
  uint64_t last = commit(dir_.path(), 0, 400);
  auto child = follow(dir_.path());
  StatusLines lines(*child);
  // Killed at its first status line: after its first batch at the latest.
  ASSERT_TRUE(lines.until([](const json& l) { return l["acked_seq"] > 0; }))
      << child->stderr_text();
  child->kill(SIGKILL);
  child->wait(10'000);
  last = commit(dir_.path(), 400, 50);
  CommandResult rerun = replicate(dir_.path(), {"--json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.describe();
  EXPECT_EQ(json::parse(rerun.out)["acked_seq"], last);
  std::string id = Store::open(dir_.path())->store_id();
  EXPECT_EQ(stream_records(id), one_to(last));
}

TEST_F(ReplicateCliTest, WholeClusterDownReportsErrorAndGrowingLagThenCatchesUp) {
  start_cluster(3);
  uint64_t last = commit(dir_.path(), 0, 20);
  auto child = follow(dir_.path());
  StatusLines lines(*child);
  ASSERT_TRUE(lines.until([&](const json& l) { return caught_up_to(l, last); }))
      << child->stderr_text();
  for (int i = 0; i < cluster_->size(); ++i) cluster_->stop(i);
  last = commit(dir_.path(), 20, 10);
  auto down = lines.until(
      [](const json& l) { return !l["error"].is_null() && l["records_behind"] > 0; });
  ASSERT_TRUE(down) << child->stderr_text();
  EXPECT_GT((*down)["retry_in_ms"], 0);
  uint64_t behind = (*down)["records_behind"];
  last = commit(dir_.path(), 30, 10);
  ASSERT_TRUE(lines.until([&](const json& l) {
    return !l["error"].is_null() && l["records_behind"] > behind;
  })) << child->stderr_text();
  cluster_->start_all();
  ASSERT_TRUE(lines.until([&](const json& l) { return caught_up_to(l, last); }, 60'000))
      << child->stderr_text();
  child->kill(SIGINT);
  CommandResult end = child->wait(20'000);
  EXPECT_EQ(end.exit_code, 0) << end.describe();
  std::string id = Store::open(dir_.path())->store_id();
  EXPECT_EQ(stream_records(id), one_to(last));
}

TEST_F(ReplicateCliTest, OneNodeKilledMidStreamShippingGoesOn) {
  start_cluster(3);
  uint64_t last = commit(dir_.path(), 0, 30);
  auto child = follow(dir_.path());
  StatusLines lines(*child);
  ASSERT_TRUE(lines.until([&](const json& l) { return caught_up_to(l, last); }))
      << child->stderr_text();
  int leader = cluster_->stream_leader(kName);
  cluster_->stop(leader >= 0 ? leader : 0);
  last = commit(dir_.path(), 30, 60);
  ASSERT_TRUE(lines.until([&](const json& l) { return caught_up_to(l, last); }, 60'000))
      << child->stderr_text();
  child->kill(SIGTERM);
  CommandResult end = child->wait(20'000);
  EXPECT_EQ(end.exit_code, 0) << end.describe();
  std::string id = Store::open(dir_.path())->store_id();
  EXPECT_EQ(stream_records(id), one_to(last));
  EXPECT_EQ(image_of(clone()), image_of(dir_.path()));
}

TEST_F(ReplicateCliTest, FollowBesideALiveWriterShipsEveryCommit) {
  start_cluster(3);
  commit(dir_.path(), 0, 1);  // the store exists before replicate starts
  auto child = follow(dir_.path());
  constexpr int kCommits = 120;
  ChildProcess writer({PA_JOURNAL_WRITER_CHILD, dir_.path(), std::to_string(kCommits)});
  CommandResult written = writer.wait(60'000);
  ASSERT_EQ(written.exit_code, 0) << written.describe();
  StatusLines lines(*child);
  uint64_t last = kCommits + 1;
  ASSERT_TRUE(lines.until([&](const json& l) { return caught_up_to(l, last); }, 60'000))
      << child->stderr_text();
  child->kill(SIGTERM);
  EXPECT_EQ(child->wait(20'000).exit_code, 0);
  // The writer compacts as it goes: the clone may hold snapshots where the
  // source's journal was removed, but every document of every commit.
  std::string target = clone();
  Collections state = image_of(target).state;
  for (int n = 1; n <= kCommits; ++n) {
    EXPECT_EQ(state["notes"]["k" + std::to_string(n)],
              R"({"n":)" + std::to_string(n) + "}")
        << n;
  }
  EXPECT_EQ(image_of(target).state, image_of(dir_.path()).state);
}

TEST_F(ReplicateCliTest, OnATerminalStderrShowsTheAckedSeqAndNoneOnAPipe) {
  start_cluster(1);
  uint64_t last = commit(dir_.path(), 0, 12);
  CommandOptions terminal;
  terminal.stderr_terminal = true;
  CommandResult shown = run_pa_journal(replicate_args(dir_.path()), terminal);
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_NE(shown.err.find("replicate " + std::string(kName) + ": acked seq " +
                           std::to_string(last)),
            std::string::npos)
      << shown.err;
  commit(dir_.path(), 12, 3);
  CommandResult piped = replicate(dir_.path());
  ASSERT_EQ(piped.exit_code, 0) << piped.describe();
  EXPECT_EQ(piped.err, "");
}

TEST_F(ReplicateCliTest, BadUrlOrNoServerExitsOneNamingTheUrl) {
  commit(dir_.path(), 0, 3);
  CommandResult bad = run_pa_journal(
      {"--dir", dir_.path(), "replicate", "--url", "http://127.0.0.1:4222"});
  EXPECT_EQ(bad.exit_code, 1) << bad.describe();
  EXPECT_NE(bad.err.find("bad NATS URL 'http://127.0.0.1:4222'"), std::string::npos)
      << bad.err;
  CommandResult none =
      run_pa_journal({"--dir", dir_.path(), "replicate", "--url", "nats://127.0.0.1:1"});
  EXPECT_EQ(none.exit_code, 1) << none.describe();
  EXPECT_NE(none.err.find("no NATS server answered at nats://127.0.0.1:1"),
            std::string::npos)
      << none.err;
  CommandResult usage = run_pa_journal({"--dir", dir_.path(), "replicate"});
  EXPECT_EQ(usage.exit_code, 2) << usage.describe();
}

TEST_F(ReplicateCliTest, StreamOfAnotherStoreExitsOneNamingBothIds) {
  start_cluster(1);
  TempDir other;
  commit(dir_.path(), 0, 3);
  commit(other.path(), 0, 3);
  ASSERT_EQ(replicate(dir_.path()).exit_code, 0);
  CommandResult refused = replicate(other.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  std::string mine = Store::open(dir_.path())->store_id();
  std::string theirs = Store::open(other.path())->store_id();
  EXPECT_NE(refused.err.find("stream " + std::string(kName) +
                             " holds the replica of store " + mine),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find(theirs), std::string::npos) << refused.err;
}

TEST_F(ReplicateCliTest, WrongKeyOrNoKeyForASealedStreamExitsOneNamingTheKey) {
  start_cluster(1);
  commit(dir_.path(), 0, 5);
  std::string right = out_ / "right.key", wrong = out_ / "wrong.key";
  ASSERT_EQ(run_pa_journal({"keygen", right}).exit_code, 0);
  ASSERT_EQ(run_pa_journal({"keygen", wrong}).exit_code, 0);
  // --key-file before the command, then after it.
  std::vector<std::string> sealed = {"--key-file", right};
  std::vector<std::string> args = replicate_args(dir_.path());
  sealed.insert(sealed.end(), args.begin(), args.end());
  CommandResult first = run_pa_journal(sealed);
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  commit(dir_.path(), 5, 2);
  CommandResult again = replicate(dir_.path(), {"--key-file", right});
  EXPECT_EQ(again.exit_code, 0) << again.describe();
  CommandResult bad = replicate(dir_.path(), {"--key-file", wrong});
  EXPECT_EQ(bad.exit_code, 1) << bad.describe();
  EXPECT_NE(bad.err.find("the key in " + wrong + " does not open stream " + kName),
            std::string::npos)
      << bad.err;
  CommandResult none = replicate(dir_.path());
  EXPECT_EQ(none.exit_code, 1) << none.describe();
  EXPECT_NE(none.err.find("stream " + std::string(kName) + " is encrypted"),
            std::string::npos)
      << none.err;
  CommandResult missing = replicate(dir_.path(), {"--key-file", out_ / "absent.key"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
  EXPECT_NE(missing.err.find(out_ / "absent.key"), std::string::npos) << missing.err;
}

TEST_F(ReplicateCliTest, SecondShipperToTheSameStreamIsRefusedNamingTheLock) {
  start_cluster(1);
  commit(dir_.path(), 0, 3);
  auto lock = lock_replica(*posix_file_system(), dir_.path(), kName);
  CommandResult refused = replicate(dir_.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_NE(refused.err.find("stream " + std::string(kName) +
                             " is being shipped by another process"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("replicas/" + std::string(kName) + ".lock"),
            std::string::npos)
      << refused.err;
  lock.reset();
  EXPECT_EQ(replicate(dir_.path()).exit_code, 0);
}

TEST_F(ReplicateCliTest, DamageInTheJournalExitsThree) {
  start_cluster(1);
  commit(dir_.path(), 0, 30);
  // A byte flipped in the payload of the sixth record of the first segment:
  // damage before the end, not a torn tail.
  std::string segment = segment_path(dir_.path(), 0);
  std::string bytes = read_bytes(segment);
  std::vector<FrameSpan> frames = frames_of(bytes);
  ASSERT_GT(frames.size(), 6u);
  bytes[frames[5].offset + frames[5].size / 2] ^= 0x5a;
  write_bytes(segment, bytes);
  CommandResult damaged = replicate(dir_.path());
  EXPECT_EQ(damaged.exit_code, 3) << damaged.describe();
}

}  // namespace
}  // namespace pa_journal::testing
