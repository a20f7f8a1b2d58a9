// The store's background shipper (Options::replication,
// store/background_shipper.h) against real NATS servers
// (tests/nats_cluster.h): an app that commits through Store ships every
// record as it goes (the clone equals the source), commits go on while the
// whole cluster is down and the shipper catches up when it is back, an error
// that is not the cluster's absence stops the shipper and is reported, never
// thrown into the commits, and a close never hangs on an absent cluster.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/replication.h"
#include "pa_journal/store.h"
#include "replication/clone.h"
#include "replication/nats_log.h"
#include "tests/nats_cluster.h"
#include "tests/replication_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

constexpr char kName[] = "BACKGROUND";

class BackgroundShipperTest : public ::testing::Test {
 protected:
  void start_cluster(int nodes) {
    NatsClusterOptions options;
    options.nodes = nodes;
    cluster_ = std::make_unique<NatsCluster>(options);
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->logs().substr(0, 20000);
  }

  Options store_options(const std::string& key_file = {}) const {
    Options o;
    o.durability = Durability::kNone;
    o.auto_compact = false;
    o.segment_bytes = 4096;
    ReplicationOptions r;
    r.url = cluster_->url();
    r.stream = kName;
    r.key_file = key_file;
    r.batch_size = 16;
    r.max_retry_ms = 1000;
    o.replication = r;
    return o;
  }

  static void put(Store& store, int from, int n) {
    for (int i = from; i < from + n; ++i) {
      store.put(i % 2 ? "contacts" : "notes", "k" + std::to_string(i % 70), contact(i));
    }
  }

  // Waits (bounded) until the shipper acknowledged the store's last seq.
  static bool caught_up(const Store& store, std::chrono::seconds limit) {
    return eventually(
        [&] {
          std::optional<ReplicationStatus> s = store.replication_status();
          return s && s->error.empty() && s->acked_seq == store.last_seq();
        },
        limit);
  }

  std::string clone() {
    replication::NatsLog log(cluster_->url());
    std::string target = out_ / "clone";
    for (int attempt = 1;; ++attempt) {
      try {
        replication::clone_from_log(log, kName, choose_plain(), *posix_file_system(),
                                    target);
        return target;
      } catch (const ReplicationError& e) {
        if (!e.unavailable() || attempt == 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  std::unique_ptr<NatsCluster> cluster_;
  TempDir dir_, out_;
};

TEST_F(BackgroundShipperTest, AppCommitsAreShippedAndTheCloneEqualsTheSource) {
  start_cluster(3);
  auto store = Store::open(dir_.path(), store_options());
  put(*store, 0, 100);
  store->compact();
  put(*store, 100, 50);
  ASSERT_TRUE(caught_up(*store, std::chrono::seconds(30)))
      << store->replication_status()->error;
  std::optional<ReplicationStatus> s = store->replication_status();
  EXPECT_TRUE(s->running);
  EXPECT_EQ(s->store_id, store->store_id());
  EXPECT_EQ(s->snapshots_published.size(), 1u);
  store.reset();
  EXPECT_EQ(image_of(clone()), image_of(dir_.path()));
}

TEST_F(BackgroundShipperTest, CommitsGoOnWhileTheClusterIsDownAndItCatchesUp) {
  start_cluster(3);
  auto store = Store::open(dir_.path(), store_options());
  put(*store, 0, 20);
  ASSERT_TRUE(caught_up(*store, std::chrono::seconds(30)));
  for (int i = 0; i < cluster_->size(); ++i) cluster_->stop(i);
  put(*store, 20, 30);  // throws nothing: the commits never wait for the cluster
  ASSERT_TRUE(eventually(
      [&] {
        auto s = store->replication_status();
        return !s->error.empty() && s->running && s->records_behind > 0;
      },
      std::chrono::seconds(30)));
  cluster_->start_all();
  ASSERT_TRUE(caught_up(*store, std::chrono::seconds(60)))
      << store->replication_status()->error;
  store.reset();
  EXPECT_NE(read_bytes(dir_ / "storage.log").find("waits for the servers"),
            std::string::npos);
  EXPECT_EQ(image_of(clone()), image_of(dir_.path()));
}

TEST_F(BackgroundShipperTest, WrongKeyStopsTheShipperButNotTheCommits) {
  start_cluster(1);
  std::string right = out_ / "right.key", wrong = out_ / "wrong.key";
  ASSERT_EQ(run_pa_journal({"keygen", right}).exit_code, 0);
  ASSERT_EQ(run_pa_journal({"keygen", wrong}).exit_code, 0);
  {
    auto store = Store::open(dir_.path(), store_options(right));
    put(*store, 0, 10);
    ASSERT_TRUE(caught_up(*store, std::chrono::seconds(30)));
  }
  auto store = Store::open(dir_.path(), store_options(wrong));
  put(*store, 10, 10);
  ASSERT_TRUE(eventually([&] { return !store->replication_status()->running; },
                         std::chrono::seconds(30)));
  std::optional<ReplicationStatus> s = store->replication_status();
  EXPECT_NE(s->error.find("the key in " + wrong + " does not open stream " + kName),
            std::string::npos)
      << s->error;
  put(*store, 20, 5);
  EXPECT_EQ(store->last_seq(), 25u);
  store.reset();
  EXPECT_NE(read_bytes(dir_ / "storage.log").find("stopped: the key in " + wrong),
            std::string::npos);
}

TEST_F(BackgroundShipperTest, CloseWithNoServerAnsweringReturns) {
  start_cluster(1);
  Options o = store_options();
  o.replication->timeout_ms = 1000;
  cluster_->stop(0);
  returns_within(std::chrono::seconds(30), "closing a store whose cluster is down", [&] {
    auto store = Store::open(dir_.path(), o);
    put(*store, 0, 5);
    ASSERT_TRUE(eventually([&] { return !store->replication_status()->error.empty(); },
                           std::chrono::seconds(20)));
    EXPECT_TRUE(store->replication_status()->running);
  });
}

TEST_F(BackgroundShipperTest, ReadOnlyOpenAndNoOptionShipNothing) {
  start_cluster(1);
  { Store::open(dir_.path())->put("notes", "a", contact(1)); }
  Options o = store_options();
  o.read_only = true;
  EXPECT_FALSE(Store::open(dir_.path(), o)->replication_status());
  EXPECT_FALSE(Store::open(dir_.path())->replication_status());
  replication::NatsLog log(cluster_->url());
  EXPECT_FALSE(log.stream_state(kName));
}

}  // namespace
}  // namespace pa_journal::testing
