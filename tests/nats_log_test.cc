// NatsLog (replication/nats_log.h) against real nats-server processes that
// the tests start on 127.0.0.1 (tests/nats_cluster.h): one server, a 3-node
// JetStream cluster (shared by the tests of a suite; each test its own
// stream), and one server without JetStream. Every wait is bounded: a publish
// waits at most its timeout, every retry loop has a fixed number of rounds.
#include "replication/nats_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "pa_journal/errors.h"
#include "replication/subjects.h"
#include "tests/nats_cluster.h"

namespace pa_journal::replication {
namespace {

using testing::NatsCluster;
using testing::NatsClusterOptions;

// The default timeout: generous enough for a machine busy with other tests
// (a timeout is an unavailable error, which most tests do not expect).
constexpr NatsLogOptions kOptions{std::chrono::milliseconds(5000),
                                  std::chrono::milliseconds(2000)};

NatsClusterOptions servers(int nodes, bool jetstream = true, std::string token = "") {
  NatsClusterOptions options;
  options.nodes = nodes;
  options.jetstream = jetstream;
  options.token = std::move(token);
  return options;
}

StreamSettings settings_for(const std::string& stream) {
  return StreamSettings{stream, {stream_subjects(stream)}, 0};
}

// Message n of a test's sequence: id "s:n", data "record n" padded to size.
OutMessage message(const std::string& stream, uint64_t n, size_t size = 0) {
  std::string data = "record " + std::to_string(n);
  if (data.size() < size) data.resize(size, '.');
  return OutMessage{record_subject(stream),
                    "s:" + std::to_string(n),
                    data,
                    {{"Pa-Journal-Seq", std::to_string(n)}}};
}

std::vector<OutMessage> messages(const std::string& stream, uint64_t first,
                                 uint64_t count, size_t size = 0) {
  std::vector<OutMessage> out;
  for (uint64_t n = first; n < first + count; ++n)
    out.push_back(message(stream, n, size));
  return out;
}

std::vector<LogMessage> read_all(NatsLog& log, const std::string& stream,
                                 uint64_t from = 1) {
  std::vector<LogMessage> out;
  log.read(stream, from, [&](const LogMessage& m) {
    out.push_back(m);
    return true;
  });
  return out;
}

std::string header(const LogMessage& m, const std::string& key) {
  for (const auto& [k, v] : m.headers) {
    if (k == key) return v;
  }
  return "";
}

// read_all, tried again (at most 30 times) while the servers are
// unavailable, as after a node was killed.
std::vector<LogMessage> read_all_patiently(NatsLog& log, const std::string& stream) {
  for (int attempt = 1;; ++attempt) {
    try {
      return read_all(log, stream);
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 30) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

// Every message 1..count in place: stream seq n holds message n, once.
void expect_exactly(NatsLog& log, const std::string& stream, uint64_t count) {
  std::vector<LogMessage> all = read_all_patiently(log, stream);
  ASSERT_EQ(all.size(), count);
  for (uint64_t n = 1; n <= count; ++n) {
    ASSERT_EQ(all[n - 1].stream_seq, n);
    ASSERT_EQ(header(all[n - 1], "Nats-Msg-Id"), "s:" + std::to_string(n));
  }
}

// Publishes messages first.. first+count-1 as a shipper would: in batches,
// and after an unavailable error from where the stream says it stands.
// Returns the number of unavailable errors met; gives up (test failure)
// after max_failures of them.
int ship(NatsLog& log, const std::string& stream, uint64_t count, uint64_t batch,
         int max_failures, const std::function<void(uint64_t)>& between = {}) {
  int failures = 0;
  uint64_t last = 0;
  for (int attempt = 1;; ++attempt) {
    try {
      last = log.stream_state(stream)->last_seq;
      break;
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 50) throw;  // no leader yet
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  while (last < count) {
    try {
      uint64_t n = std::min(batch, count - last);
      auto acks = log.publish(stream, last, messages(stream, last + 1, n));
      last = acks.back().stream_seq;
      if (between) between(last);
    } catch (const ReplicationError& e) {
      EXPECT_TRUE(e.unavailable()) << e.what();
      if (!e.unavailable() || ++failures > max_failures) {
        ADD_FAILURE() << "gave up shipping at " << last << ": " << e.what();
        return failures;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      try {
        last = log.stream_state(stream)->last_seq;
      } catch (const ReplicationError&) {
        // still unavailable: the next publish finds out again
      }
    }
  }
  return failures;
}

class NatsSingleNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new NatsCluster(servers(1)); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    stream_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    log_ = std::make_unique<NatsLog>(cluster_->url(), kOptions);
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << cluster_->logs().substr(0, 20000);
  }

  static NatsCluster* cluster_;
  std::string stream_;
  std::unique_ptr<NatsLog> log_;
};
NatsCluster* NatsSingleNodeTest::cluster_ = nullptr;

TEST_F(NatsSingleNodeTest, EnsureStreamIsIdempotentAndOneReplicaOnOneServer) {
  StreamState first = log_->ensure_stream(settings_for(stream_));
  EXPECT_EQ(first.replicas, 1);
  EXPECT_EQ(first.messages, 0u);
  EXPECT_EQ(first.last_seq, 0u);
  log_->publish(stream_, 0, messages(stream_, 1, 2));
  StreamState again = log_->ensure_stream(settings_for(stream_));
  EXPECT_EQ(again.messages, 2u);
  EXPECT_EQ(again.first_seq, 1u);
  EXPECT_EQ(again.last_seq, 2u);
}

TEST_F(NatsSingleNodeTest, MissingStreamHasNoState) {
  EXPECT_FALSE(log_->stream_state(stream_).has_value());
  EXPECT_THROW(read_all(*log_, stream_), ReplicationError);
}

TEST_F(NatsSingleNodeTest, PublishThenReadReturnsEveryMessageInOrderWithHeaders) {
  log_->ensure_stream(settings_for(stream_));
  auto acks = log_->publish(stream_, 0, messages(stream_, 1, 500, 200));
  ASSERT_EQ(acks.size(), 500u);
  for (uint64_t n = 1; n <= 500; ++n) {
    EXPECT_EQ(acks[n - 1].stream_seq, n);
    EXPECT_FALSE(acks[n - 1].duplicate);
  }
  std::vector<LogMessage> all = read_all(*log_, stream_);
  ASSERT_EQ(all.size(), 500u);
  for (uint64_t n = 1; n <= 500; ++n) {
    const LogMessage& m = all[n - 1];
    EXPECT_EQ(m.stream_seq, n);
    EXPECT_EQ(m.subject, record_subject(stream_));
    EXPECT_EQ(m.data, message(stream_, n, 200).data);
    EXPECT_EQ(header(m, "Nats-Msg-Id"), "s:" + std::to_string(n));
    EXPECT_EQ(header(m, "Pa-Journal-Seq"), std::to_string(n));
    EXPECT_GT(m.time_ns, 0);
  }
}

// More messages than nats.c keeps in flight (4096): publish waits for room
// instead of failing, and the acks still come back in order.
TEST_F(NatsSingleNodeTest, BatchLargerThanThePendingLimitIsPublishedWhole) {
  log_->ensure_stream(settings_for(stream_));
  auto acks = log_->publish(stream_, 0, messages(stream_, 1, 10000));
  ASSERT_EQ(acks.size(), 10000u);
  for (uint64_t n = 1; n <= 10000; ++n) ASSERT_EQ(acks[n - 1].stream_seq, n);
  expect_exactly(*log_, stream_, 10000);
}

TEST_F(NatsSingleNodeTest, ReadStartsAtFromSeqAndStopsWhenVisitSaysSo) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 20));
  std::vector<LogMessage> tail = read_all(*log_, stream_, 15);
  ASSERT_EQ(tail.size(), 6u);
  EXPECT_EQ(tail.front().stream_seq, 15u);
  EXPECT_EQ(tail.back().stream_seq, 20u);
  int visited = 0;
  log_->read(stream_, 1, [&](const LogMessage&) { return ++visited < 3; });
  EXPECT_EQ(visited, 3);
  EXPECT_TRUE(read_all(*log_, stream_, 21).empty());
}

TEST_F(NatsSingleNodeTest, RepeatedMsgIdIsDuplicateAndStoresNothing) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 3));
  auto acks = log_->publish(stream_, 3, {message(stream_, 2)});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].duplicate);
  EXPECT_EQ(acks[0].stream_seq, 2u);
  EXPECT_EQ(log_->stream_state(stream_)->last_seq, 3u);
  expect_exactly(*log_, stream_, 3);
}

TEST_F(NatsSingleNodeTest, DuplicatesAtTheHeadOfABatchDoNotStopTheRest) {
  // A shipper resending after a lost ack: 2 and 3 are in the stream already.
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 3));
  auto acks = log_->publish(stream_, 1, messages(stream_, 2, 5));
  ASSERT_EQ(acks.size(), 5u);
  EXPECT_TRUE(acks[0].duplicate);
  EXPECT_TRUE(acks[1].duplicate);
  EXPECT_EQ(acks[2].stream_seq, 4u);
  EXPECT_EQ(acks[4].stream_seq, 6u);
  expect_exactly(*log_, stream_, 6);
}

TEST_F(NatsSingleNodeTest, WrongExpectedLastSeqIsRefusedNamingBothSequences) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 3));
  try {
    log_->publish(stream_, 1, messages(stream_, 10, 2));
    FAIL() << "a wrong expected last sequence was accepted";
  } catch (const ReplicationError& e) {
    EXPECT_FALSE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("last sequence is 3, not 1"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(log_->stream_state(stream_)->last_seq, 3u);
}

TEST_F(NatsSingleNodeTest, ExpectingAnEmptyStreamIsRefusedWhenItHoldsMessages) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 2));
  try {
    log_->publish(stream_, 0, messages(stream_, 10, 1));
    FAIL() << "publishing to a non-empty stream expecting it empty was accepted";
  } catch (const ReplicationError& e) {
    EXPECT_FALSE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("last sequence is 2, not 0"), std::string::npos)
        << e.what();
  }
}

TEST_F(NatsSingleNodeTest, LastOnSubjectReturnsTheNewestMessageOfThatSubject) {
  log_->ensure_stream(settings_for(stream_));
  EXPECT_FALSE(log_->last_on_subject(stream_, record_subject(stream_)).has_value());
  OutMessage meta{meta_subject(stream_), "s:meta", "{\"format\":1}", {}};
  log_->publish(stream_, 0, {meta});
  log_->publish(stream_, 1, messages(stream_, 2, 4));
  auto last = log_->last_on_subject(stream_, record_subject(stream_));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->stream_seq, 5u);
  EXPECT_EQ(header(*last, "Pa-Journal-Seq"), "5");
  EXPECT_GT(last->time_ns, 0);
  auto first = log_->last_on_subject(stream_, meta_subject(stream_));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->stream_seq, 1u);
  EXPECT_EQ(first->data, "{\"format\":1}");
  EXPECT_FALSE(log_->last_on_subject(stream_, snapshot_subject(stream_)).has_value());
}

TEST_F(NatsSingleNodeTest, ServerDownIsUnavailableAndPublishWorksAfterRestart) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 2));
  cluster_->stop(0);
  try {
    log_->publish(stream_, 2, messages(stream_, 3, 2));
    ADD_FAILURE() << "publish succeeded with the server down";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
  }
  cluster_->start(0);
  ship(*log_, stream_, 6, 2, 20);
  expect_exactly(*log_, stream_, 6);
}

// ---- URLs and servers that are not what is expected.

TEST(NatsUrlTest, GarbageAndWrongSchemeAreRefusedAndNotUnavailable) {
  for (std::string url : {"not a url", "http://127.0.0.1:4222", "nats://", "nats://host",
                          "nats://127.0.0.1:0", "nats://127.0.0.1:99999",
                          "nats://127.0.0.1:4222,", "nats://127.0.0.1:42x"}) {
    try {
      NatsLog log(url, kOptions);
      ADD_FAILURE() << "accepted " << url;
    } catch (const ReplicationError& e) {
      EXPECT_FALSE(e.unavailable()) << url;
      EXPECT_NE(std::string(e.what()).find("bad NATS URL '" + url + "'"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(NatsUrlTest, ServerListsAreSplitIntoServers) {
  auto servers = parse_nats_url("nats://a:1,b:2,nats://c:4222");
  EXPECT_EQ(servers,
            (std::vector<std::string>{"nats://a:1", "nats://b:2", "nats://c:4222"}));
}

TEST(NatsUrlTest, PortNothingListensOnIsUnavailableNamingTheUrl) {
  // A port that was free a moment ago: no server answers there.
  NatsCluster cluster(servers(1, false));
  std::string url = cluster.url(0);
  cluster.stop(0);
  NatsLog log(url, kOptions);
  try {
    log.stream_state("S");
    ADD_FAILURE() << "a port with no server answered";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
    EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
  }
}

TEST(NatsServerTest, ServerWithoutJetStreamRefusesClearly) {
  NatsCluster cluster(servers(1, false));
  NatsLog log(cluster.url(), kOptions);
  try {
    log.ensure_stream(settings_for("S"));
    ADD_FAILURE() << "a server without JetStream made a stream";
  } catch (const ReplicationError& e) {
    EXPECT_FALSE(e.unavailable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("JetStream is not enabled"), std::string::npos)
        << e.what();
  }
}

TEST(NatsServerTest, ServerThatRefusesTheClientIsAClearErrorNotUnavailable) {
  NatsCluster cluster(servers(1, true, "secret"));
  NatsLog log(cluster.url(), kOptions);
  try {
    log.ensure_stream(settings_for("S"));
    ADD_FAILURE() << "a server that wants a token took a client without one";
  } catch (const ReplicationError& e) {
    EXPECT_FALSE(e.unavailable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("the server refused"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find(".c:"), std::string::npos)
        << "nats.c's source place reached the user: " << e.what();
  }
}

// ---- A 3-node cluster.

class NatsClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new NatsCluster(servers(3)); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    cluster_->start_all();
    stream_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    log_ = std::make_unique<NatsLog>(cluster_->url(), kOptions);
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << cluster_->logs().substr(0, 20000);
  }

  static NatsCluster* cluster_;
  std::string stream_;
  std::unique_ptr<NatsLog> log_;
};
NatsCluster* NatsClusterTest::cluster_ = nullptr;

TEST_F(NatsClusterTest, EnsureStreamIsIdempotentAndThreeReplicas) {
  StreamState first = log_->ensure_stream(settings_for(stream_));
  EXPECT_EQ(first.replicas, 3);
  StreamState again = log_->ensure_stream(settings_for(stream_));
  EXPECT_EQ(again.replicas, 3);
  EXPECT_EQ(again.last_seq, 0u);
}

// With one node of three down (and JetStream's leader aware of it), the
// stream is never made with 1 copy (it would stay so): either JetStream
// places 3 copies anyway or the call is unavailable; once the node is back
// the stream has its 3 copies.
TEST_F(NatsClusterTest, StreamMadeWhileANodeIsDownIsNeverOneReplica) {
  log_->stream_state(stream_);  // connected: the client knows every node
  const int down = 2;
  cluster_->stop(down);
  ASSERT_TRUE(cluster_->wait_until_seen_down(down)) << cluster_->logs();
  try {
    StreamState st = log_->ensure_stream(settings_for(stream_));
    EXPECT_EQ(st.replicas, 3);
    std::cout << "JetStream placed 3 copies with a node down\n";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
    std::cout << "unavailable with a node down: " << e.what() << "\n";
  }
  cluster_->start(down);
  StreamState st{};
  for (int attempt = 1; attempt <= 50; ++attempt) {
    try {
      st = log_->ensure_stream(settings_for(stream_));
      break;
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 50) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  EXPECT_EQ(st.replicas, 3);
}

// The stream's leader is killed while a batch is in flight (a thread kills it
// as soon as a third of the messages is acknowledged, while the next batch
// is being published): the shipper meets at most a few unavailable errors,
// resumes from the stream's last sequence, and every message is there once.
TEST_F(NatsClusterTest, StreamLeaderKilledMidPublishLosesNothingAcknowledged) {
  log_->ensure_stream(settings_for(stream_));
  const int leader = cluster_->stream_leader(stream_);
  ASSERT_GE(leader, 0) << "no node leads the stream";
  constexpr uint64_t kCount = 3000;
  std::atomic<bool> kill{false}, killed{false};
  std::thread killer([&] {
    for (int i = 0; i < 600 && !kill; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    cluster_->stop(leader);
    killed = true;
  });
  int failures = ship(*log_, stream_, kCount, 100, 200, [&](uint64_t last) {
    if (last >= kCount / 3) kill = true;
  });
  killer.join();
  EXPECT_TRUE(killed);
  std::cout << "unavailable errors met while the leader died: " << failures << "\n";
  int new_leader = cluster_->stream_leader(stream_);
  EXPECT_NE(new_leader, leader);
  expect_exactly(*log_, stream_, kCount);
  cluster_->start(leader);
  expect_exactly(*log_, stream_, kCount);
}

TEST_F(NatsClusterTest, AllNodesDownIsUnavailableAndShippingResumesAfterRestart) {
  log_->ensure_stream(settings_for(stream_));
  log_->publish(stream_, 0, messages(stream_, 1, 10));
  for (int i = 0; i < cluster_->size(); ++i) cluster_->stop(i);
  try {
    log_->publish(stream_, 10, messages(stream_, 11, 10));
    ADD_FAILURE() << "publish succeeded with every node down";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
  }
  EXPECT_THROW(log_->stream_state(stream_), ReplicationError);
  cluster_->start_all();
  ship(*log_, stream_, 30, 10, 200);
  expect_exactly(*log_, stream_, 30);
}

// The ceiling for the shipper and the clone: 200-byte messages published in
// batches of 1000 to a 3-replica stream on a local 3-node cluster, then read
// back. Prints both rates; asserts only that every message was acknowledged
// and read in order (speed belongs in the bench).
TEST_F(NatsClusterTest, PublishAndReadThroughputArePrinted) {
  using Seconds = std::chrono::duration<double>;
  log_->ensure_stream(settings_for(stream_));
  constexpr uint64_t kCount = 20000, kBatch = 1000;
  auto start = std::chrono::steady_clock::now();
  uint64_t last = 0;
  for (uint64_t n = 1; n <= kCount; n += kBatch) {
    auto acks = log_->publish(stream_, last, messages(stream_, n, kBatch, 200));
    ASSERT_EQ(acks.size(), kBatch);
    last = acks.back().stream_seq;
  }
  double publish_s = Seconds(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(last, kCount);
  start = std::chrono::steady_clock::now();
  uint64_t next = 1;
  log_->read(stream_, 1, [&](const LogMessage& m) { return m.stream_seq == next++; });
  double read_s = Seconds(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(next, kCount + 1);
  std::cout << kCount << " messages of 200 bytes, R3 stream, 3 local nodes: published in "
            << "batches of " << kBatch << " at "
            << static_cast<uint64_t>(kCount / publish_s) << " messages/s, read at "
            << static_cast<uint64_t>(kCount / read_s) << " messages/s\n";
}

}  // namespace
}  // namespace pa_journal::replication
