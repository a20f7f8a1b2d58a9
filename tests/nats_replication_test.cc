// The shipper and the clone (replication/shipper.h, replication/clone.h) over
// NatsLog and a real 3-node JetStream cluster (tests/nats_cluster.h), where
// the other replication tests use the in-memory log: a store shipped in
// several runs, one node killed between runs and another while the clone
// reads, clones equal to its source.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "pa_journal/store.h"
#include "replication/clone.h"
#include "replication/nats_log.h"
#include "replication/shipper.h"
#include "tests/nats_cluster.h"
#include "tests/replication_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using replication::NatsLog;
using replication::PlainSealer;
using replication::Shipper;
using testing::NatsCluster;
using testing::SavedPosition;
using testing::TempDir;

// Ships until everything is acknowledged, trying again while the servers are
// unavailable (at most 150 times: 30 s and more), as `replicate` would.
void ship_patiently(NatsLog& log, const PlainSealer& sealer, const std::string& dir,
                    SavedPosition& saved) {
  for (int attempt = 1;; ++attempt) {
    try {
      Shipper(log, sealer, testing::shipper_options(dir, saved)).ship();
      return;
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 150) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

replication::CloneResult clone_patiently(NatsLog& log, const std::string& target) {
  for (int attempt = 1;; ++attempt) {
    try {
      return replication::clone_from_log(log, testing::kStream, testing::choose_plain(),
                                         *posix_file_system(), target);
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 150) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

TEST(NatsReplicationTest, StoreShippedToAClusterThatLosesNodesClonesEqual) {
  NatsCluster cluster;
  NatsLog log(cluster.url());
  TempDir dir, out;
  PlainSealer plain;
  SavedPosition saved;
  auto store = Store::open(dir.path(), testing::test_store_options());
  int n = 0;
  for (int run = 0; run < 4; ++run) {
    for (int i = 0; i < 50; ++i, ++n) {
      store->put(n % 2 ? "contacts" : "notes", "k" + std::to_string(n % 40),
                 testing::contact(n));
    }
    if (run % 2 == 1) store->compact();
    if (run == 2) cluster.stop(1);  // the next run ships to two nodes of three
    ship_patiently(log, plain, dir.path(), saved);
  }
  cluster.start(1);
  cluster.stop(0);  // the clone reads from the two others
  std::string target = out / "clone";
  replication::CloneResult result = clone_patiently(log, target);
  EXPECT_EQ(result.store_id, testing::kStoreId);
  EXPECT_EQ(result.last_seq, store->last_seq());
  store.reset();
  testing::StoreImage source = testing::image_of(dir.path());
  testing::StoreImage cloned = testing::image_of(target);
  EXPECT_EQ(cloned.state, source.state);
  // The clone holds every record shipped; the source only those compaction
  // left it, which are the clone's last ones.
  ASSERT_GE(cloned.records.size(), source.records.size());
  std::vector<Record> tail(cloned.records.end() - source.records.size(),
                           cloned.records.end());
  EXPECT_TRUE(tail == source.records);
  EXPECT_EQ(cloned.records.size(), 200u);
  EXPECT_EQ(cloned.records.front().seq, 1u);
  EXPECT_EQ(cloned.backups, source.backups);
  if (HasFailure()) std::cerr << cluster.logs().substr(0, 20000);
}

}  // namespace
}  // namespace pa_journal
