// Replica positions (journal/replica_position.h): replicas/<stream>.json
// written whole and atomically, read back exactly, damage named, strays
// reported and left alone, and a crash at any step leaving the old or the new.
#include "journal/replica_position.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/replicas.h"
#include "pa_journal/store.h"
#include "replication/subjects.h"
#include "tests/power_loss_file_system.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

namespace fs = std::filesystem;

const std::string kId = "0123456789abcdef0123456789abcdef";

ReplicaPosition position(const std::string& stream, uint64_t acked) {
  ReplicaPosition p;
  p.stream = stream;
  p.url = "nats://127.0.0.1:4222,127.0.0.1:4223";
  p.store_id = kId;
  p.acked_seq = acked;
  p.stream_seq = acked + 1;
  p.snapshots = {{"20261125_100000", 40}, {"20261125_100000", 12}};
  p.updated = "2026-11-25T10:00:00.000000000Z";
  return p;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class ReplicaPositionTest : public ::testing::Test {
 protected:
  FileSystem& fs() { return *posix_file_system(); }
  std::string file(const std::string& stream) {
    return dir_ / ("replicas/" + stream + ".json");
  }
  // The CorruptedDataError's file for the position of stream, or "" if none.
  std::string damaged_file(const std::string& stream) {
    try {
      read_replica_position(fs(), dir_.path(), stream);
    } catch (const CorruptedDataError& e) {
      EXPECT_NE(std::string(e.what()).find("replicas/" + stream + ".json"),
                std::string::npos)
          << e.what();
      return e.file();
    }
    return "";
  }
  TempDir dir_;
};

TEST_F(ReplicaPositionTest, WhatIsWrittenReadsBackExactlyInAPrivateFile) {
  write_replica_position(fs(), dir_.path(), position("PA_JOURNAL", 41));
  EXPECT_EQ(read_replica_position(fs(), dir_.path(), "PA_JOURNAL"),
            position("PA_JOURNAL", 41));
  EXPECT_EQ(mode_of(dir_ / "replicas"), 0700u);
  EXPECT_EQ(mode_of(file("PA_JOURNAL")), 0600u);
  nlohmann::json j = nlohmann::json::parse(read_bytes(file("PA_JOURNAL")));
  EXPECT_EQ(j["acked_seq"], 41);
  EXPECT_EQ(j["stream_seq"], 42);
  EXPECT_EQ(j["store_id"], kId);
  EXPECT_EQ(j.size(), 7u);
}

TEST_F(ReplicaPositionTest, AWriteReplacesTheWholeFileAndFillsInTheTime) {
  write_replica_position(fs(), dir_.path(), position("S", 5));
  ReplicaPosition later = position("S", 9);
  later.snapshots.clear();
  later.updated.clear();
  write_replica_position(fs(), dir_.path(), later);
  ReplicaPosition read = read_replica_position(fs(), dir_.path(), "S");
  EXPECT_EQ(read.acked_seq, 9u);
  EXPECT_TRUE(read.snapshots.empty());
  EXPECT_EQ(read.updated.size(), std::string("2026-11-25T10:00:00.000000000Z").size())
      << read.updated;
  EXPECT_FALSE(fs::exists(file("S") + ".tmp"));
}

TEST_F(ReplicaPositionTest, ABadStreamNameOrStoreIdIsRefusedBeforeAnythingIsWritten) {
  EXPECT_THROW(write_replica_position(fs(), dir_.path(), position("a.b", 1)),
               InvalidInputError);
  EXPECT_THROW(write_replica_position(fs(), dir_.path(), position("../x", 1)),
               InvalidInputError);
  ReplicaPosition bad_id = position("S", 1);
  bad_id.store_id = "nope";
  EXPECT_THROW(write_replica_position(fs(), dir_.path(), bad_id), InvalidInputError);
  EXPECT_FALSE(fs::exists(dir_ / "replicas"));
  EXPECT_THROW(read_replica_position(fs(), dir_.path(), "S"), NotFoundError);
}

TEST_F(ReplicaPositionTest, EachKindOfDamageIsCorruptedDataNamingTheFile) {
  write_replica_position(fs(), dir_.path(), position("S", 3));
  const std::string good = read_bytes(file("S"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  for (const std::string& bad :
       {std::string(), good.substr(0, good.size() / 2), std::string("[]"),
        with("\"acked_seq\": 3", "\"acked_seq\": -3"),
        with("\"acked_seq\": 3", "\"acked_seq\": \"3\""),
        with("\"acked_seq\": 3", "\"acked_sequence\": 3"),
        with("\"stream\": \"S\"", "\"stream\": \"T\""), with(kId, "not-an-id"),
        with("\"20261125_100000\"", "7"), with("\"seq\": 40", "\"seq\": -40"),
        with("\"seq\": 40", "\"sequence\": 40")}) {
    write_bytes(file("S"), bad);
    EXPECT_EQ(damaged_file("S"), "replicas/S.json") << bad;
  }
}

TEST_F(ReplicaPositionTest, TheListingSkipsLocksAndTemporariesAndReportsStraysAndDamage) {
  write_replica_position(fs(), dir_.path(), position("B", 7));
  write_replica_position(fs(), dir_.path(), position("A", 4));
  write_bytes(file("B") + ".tmp", "half a position");
  write_bytes(dir_ / "replicas/A.lock", "");
  write_bytes(dir_ / "replicas/C.json", "{");
  write_bytes(dir_ / "replicas/notes.txt", "mine");
  write_bytes(dir_ / "replicas/bad.name.json", "{}");
  ReplicaListing listing = list_replica_positions(fs(), dir_.path());
  ASSERT_EQ(listing.positions.size(), 2u);
  EXPECT_EQ(listing.positions[0], position("A", 4));
  EXPECT_EQ(listing.positions[1], position("B", 7));
  ASSERT_EQ(listing.damaged.size(), 1u);
  EXPECT_NE(listing.damaged[0].find("replicas/C.json"), std::string::npos);
  EXPECT_EQ(listing.strays,
            (std::vector<std::string>{"replicas/bad.name.json", "replicas/notes.txt"}));
  // Strays are reported, never trusted nor removed.
  EXPECT_EQ(read_bytes(dir_ / "replicas/notes.txt"), "mine");
}

TEST_F(ReplicaPositionTest, TheHoldIsTheSmallestAckedSeqAndADamagedFileHoldsAll) {
  EXPECT_EQ(list_replica_positions(fs(), dir_.path()).held_after(), std::nullopt);
  write_replica_position(fs(), dir_.path(), position("A", 40));
  write_replica_position(fs(), dir_.path(), position("B", 12));
  EXPECT_EQ(list_replica_positions(fs(), dir_.path()).held_after(), 12u);
  write_bytes(file("C"), "garbage");
  EXPECT_EQ(list_replica_positions(fs(), dir_.path()).held_after(), 0u);
}

TEST_F(ReplicaPositionTest, RemoveTakesOneStreamsFileAndSaysWhetherThereWasOne) {
  write_replica_position(fs(), dir_.path(), position("A", 1));
  write_replica_position(fs(), dir_.path(), position("B", 2));
  EXPECT_TRUE(remove_replica_position(fs(), dir_.path(), "A"));
  EXPECT_FALSE(remove_replica_position(fs(), dir_.path(), "A"));
  EXPECT_FALSE(fs::exists(file("A")));
  EXPECT_TRUE(fs::exists(file("B")));
}

// The shipper of a stream holds its lock; forgetting the stream meanwhile
// would be undone by its next write, so it is refused.
TEST_F(ReplicaPositionTest, ForgetIsRefusedWhileAnotherProcessShipsToTheStream) {
  Store::open(dir_.path(), Options{})->put("c", "k", "1");
  write_replica_position(fs(), dir_.path(), position("S", 1));
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = lock_replica(*posix_file_system(), dir_.path(), "S");
    char c = 'x';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    sleep(30);  // killed long before
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_THROW(forget_replica(dir_.path(), "S"), StoreLockedError);
  EXPECT_TRUE(fs::exists(file("S")));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_TRUE(forget_replica(dir_.path(), "S"));
  EXPECT_FALSE(fs::exists(file("S")));
  EXPECT_FALSE(forget_replica(dir_.path(), "S"));
  EXPECT_THROW(forget_replica(dir_.path(), "no/such"), InvalidInputError);
}

// One rule for stream names, in the layout (file names) and in replication.
TEST_F(ReplicaPositionTest, TheLayoutsStreamNamesAreTheReplicationLayers) {
  for (const std::string& name :
       {std::string("PA_JOURNAL"), std::string("a-b_9"), std::string(64, 'x'),
        std::string(65, 'x'), std::string(), std::string("a.b"), std::string("a b"),
        std::string("a/b"), std::string("a*"), std::string("a>"), std::string("é")}) {
    bool valid = true;
    try {
      replication::validate_stream_name(name);
    } catch (const InvalidInputError&) {
      valid = false;
    }
    EXPECT_EQ(is_stream_name(name), valid) << name;
  }
}

// replica_position.cc's crash argument: a power loss at any call of a write
// leaves the old position or the new one, whole.
TEST_F(ReplicaPositionTest, PowerLossDuringAWriteLeavesTheOldPositionOrTheNew) {
  std::mt19937_64 rng(11);
  for (PowerLoss kind :
       {PowerLoss::kStrict, PowerLoss::kPartial, PowerLoss::kScattered}) {
    for (bool first : {true, false}) {
      for (uint64_t cut = 1; cut <= 12; ++cut) {
        TempDir dir;
        if (!first) write_replica_position(fs(), dir.path(), position("S", 10));
        auto power = std::make_shared<PowerLossFileSystem>(dir.path());
        power->cut_power_after(cut);
        bool returned = false;
        try {
          write_replica_position(*power, dir.path(), position("S", 20));
          returned = true;
        } catch (const IoError&) {
        }
        power->lose_power(kind, rng);
        const std::string what = "cut " + std::to_string(cut);
        if (!fs::exists(dir / "replicas/S.json")) {
          EXPECT_TRUE(first && !returned) << what;
          continue;
        }
        ReplicaPosition read = read_replica_position(fs(), dir.path(), "S");
        if (returned) {
          EXPECT_EQ(read, position("S", 20)) << what;
        } else {
          EXPECT_TRUE(read == position("S", 20) || (!first && read == position("S", 10)))
              << what;
        }
        EXPECT_TRUE(list_replica_positions(fs(), dir.path()).damaged.empty()) << what;
      }
    }
  }
}

// Forgetting is one unlink and a directory sync: gone, or (power lost
// before the sync) back whole, which holds the journal: the safe side.
TEST_F(ReplicaPositionTest, PowerLossDuringRemovalLeavesTheWholeFileOrNone) {
  std::mt19937_64 rng(12);
  for (uint64_t cut = 1; cut <= 3; ++cut) {
    TempDir dir;
    write_replica_position(fs(), dir.path(), position("S", 10));
    auto power = std::make_shared<PowerLossFileSystem>(dir.path());
    power->cut_power_after(cut);
    bool removed = false;
    try {
      removed = remove_replica_position(*power, dir.path(), "S");
    } catch (const IoError&) {
    }
    power->lose_power(PowerLoss::kStrict, rng);
    if (removed) {
      EXPECT_FALSE(fs::exists(dir / "replicas/S.json")) << cut;
    } else if (fs::exists(dir / "replicas/S.json")) {
      EXPECT_EQ(read_replica_position(fs(), dir.path(), "S"), position("S", 10)) << cut;
    }
  }
}

}  // namespace
}  // namespace pa_journal::testing
