// `pa-journal replicas [--forget STREAM]` and what `inspect` shows of the
// store id and the replicas (docs/cli.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "journal/replica_position.h"
#include "journal/store_id.h"
#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

namespace fs = std::filesystem;

class ReplicasCliTest : public ::testing::Test {
 protected:
  // A store with `commits` commits on 1 KiB segments, compacted `rounds`
  // times along the way.
  void make_store(int commits, int rounds = 0) {
    Options o;
    o.durability = Durability::kNone;
    o.auto_compact = false;
    o.segment_bytes = 1024;
    auto store = Store::open(dir_.path(), o);
    id_ = store->store_id();
    for (int r = 0; r <= rounds; ++r) {
      for (int i = 0; i < commits; ++i) {
        store->put("notes", "k" + std::to_string(i % 20),
                   R"({"text":"some text to fill the segments up","i":)" +
                       std::to_string(i) + "}");
      }
      if (r < rounds) store->compact();
    }
    last_seq_ = store->last_seq();
  }

  void position(const std::string& stream, uint64_t acked) {
    ReplicaPosition p;
    p.stream = stream;
    p.url = "nats://127.0.0.1:4222";
    p.store_id = id_;
    p.acked_seq = acked;
    p.stream_seq = acked + 1;
    p.updated = "2026-12-07T10:00:00.000000000Z";
    write_replica_position(*posix_file_system(), dir_.path(), p);
  }

  TempDir dir_;
  std::string id_;
  uint64_t last_seq_ = 0;
};

TEST_F(ReplicasCliTest, ListsTheStoreIdAndNoReplicas) {
  make_store(3);
  CommandResult r = run_in_store(dir_.path(), {"replicas"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "store id     " + id_ + "\nno replicas\n");
  CommandResult j = run_in_store(dir_.path(), {"--json", "replicas"});
  nlohmann::json out = parse_json(j.out);
  EXPECT_EQ(out["store_id"], id_);
  EXPECT_EQ(out["last_seq"], 3);
  EXPECT_TRUE(out["replicas"].empty());
}

TEST_F(ReplicasCliTest, ListsEachPositionWithItsLagInRecords) {
  make_store(10);
  position("PA_JOURNAL", 7);
  position("OFFSITE", 10);
  CommandResult r = run_in_store(dir_.path(), {"replicas"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out,
                       "replica      PA_JOURNAL: acked seq 7 (3 records behind), "
                       "nats://127.0.0.1:4222, updated 2026-12-07T10:00:00.000000000Z\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "replica      OFFSITE: acked seq 10 (0 records behind)"))
      << r.out;
  nlohmann::json out = parse_json(run_in_store(dir_.path(), {"replicas", "--json"}).out);
  ASSERT_EQ(out["replicas"].size(), 2u);
  const nlohmann::json& p = out["replicas"][1];  // by name: OFFSITE, PA_JOURNAL
  EXPECT_EQ(p["stream"], "PA_JOURNAL");
  EXPECT_EQ(p["url"], "nats://127.0.0.1:4222");
  EXPECT_EQ(p["acked_seq"], 7);
  EXPECT_EQ(p["stream_seq"], 8);
  EXPECT_EQ(p["lag_records"], 3);
  EXPECT_EQ(p["updated"], "2026-12-07T10:00:00.000000000Z");
  EXPECT_EQ(p["store_id"], id_);
}

TEST_F(ReplicasCliTest, ForgetRemovesThePositionAndAnUnknownStreamIsAnError) {
  make_store(3);
  position("S", 2);
  CommandResult r = run_in_store(dir_.path(), {"replicas", "--forget", "S"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "forgot replica S: compaction no longer keeps the journal for it\n");
  EXPECT_FALSE(fs::exists(dir_ / "replicas/S.json"));
  CommandResult again = run_in_store(dir_.path(), {"replicas", "--forget", "S"});
  EXPECT_EQ(again.exit_code, kExitError) << again.describe();
  EXPECT_TRUE(contains(again.err, "no replica position for the stream S")) << again.err;
  CommandResult bad = run_in_store(dir_.path(), {"replicas", "--forget", "a.b"});
  EXPECT_EQ(bad.exit_code, kExitError) << bad.describe();
  EXPECT_TRUE(contains(bad.err, "bad stream name")) << bad.err;
}

TEST_F(ReplicasCliTest, ADamagedPositionIsNamedWithExit3AndCanBeForgotten) {
  make_store(3);
  position("GOOD", 3);
  write_bytes(dir_ / "replicas/BAD.json", "{\"stream\": ");
  write_bytes(dir_ / "replicas/notes.txt", "mine");
  CommandResult r = run_in_store(dir_.path(), {"replicas"});
  EXPECT_EQ(r.exit_code, kExitCorruption) << r.describe();
  EXPECT_TRUE(contains(r.out, "damaged      replicas/BAD.json is damaged")) << r.out;
  EXPECT_TRUE(contains(r.out, "stray        replicas/notes.txt")) << r.out;
  EXPECT_TRUE(contains(r.out, "replica      GOOD: acked seq 3")) << r.out;
  CommandResult forget = run_in_store(dir_.path(), {"replicas", "--forget", "BAD"});
  EXPECT_EQ(forget.exit_code, kExitOk) << forget.describe();
  EXPECT_EQ(run_in_store(dir_.path(), {"replicas"}).exit_code, kExitOk);
  EXPECT_EQ(read_bytes(dir_ / "replicas/notes.txt"), "mine");
}

// Recovery never reads them, but a damaged STORE_ID stops every writable
// open and a damaged position holds the whole journal: verify names both.
TEST_F(ReplicasCliTest, VerifyNamesADamagedStoreIdAndADamagedPosition) {
  make_store(3);
  position("GOOD", 3);
  EXPECT_EQ(run_in_store(dir_.path(), {"verify"}).exit_code, kExitOk);
  write_bytes(dir_ / "replicas/BAD.json", "[]");
  write_bytes(dir_ / "STORE_ID", "0123\n");
  CommandResult r = run_in_store(dir_.path(), {"verify", "--json"});
  EXPECT_EQ(r.exit_code, kExitCorruption) << r.describe();
  nlohmann::json damage = parse_json(r.out)["damage"];
  ASSERT_EQ(damage.size(), 2u) << r.out;
  EXPECT_EQ(damage[0]["file"], "STORE_ID");
  EXPECT_EQ(damage[1]["file"], "replicas/BAD.json");
  CommandResult put = run_in_store(dir_.path(), {"put", "c", "k", "1"});
  EXPECT_EQ(put.exit_code, kExitCorruption) << put.describe();
  EXPECT_TRUE(contains(put.err, "STORE_ID is damaged")) << put.err;
}

TEST_F(ReplicasCliTest, InspectShowsTheStoreIdAndTheJournalHeldForAReplica) {
  make_store(60);
  position("S", 20);
  {
    Options o;
    o.durability = Durability::kNone;
    o.auto_compact = false;
    o.segment_bytes = 1024;
    auto store = Store::open(dir_.path(), o);
    for (int round = 0; round < 3; ++round) {
      store->put("notes", "x", std::to_string(round));
      store->compact();
    }
  }
  CommandResult r = run_in_store(dir_.path(), {"inspect"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "store id     " + id_ + "\n")) << r.out;
  nlohmann::json j = parse_json(run_in_store(dir_.path(), {"inspect", "--json"}).out);
  EXPECT_EQ(j["store_id"], id_);
  ASSERT_EQ(j["replicas"]["replicas"].size(), 1u);
  const nlohmann::json& s = j["replicas"]["replicas"][0];
  EXPECT_EQ(s["acked_seq"], 20);
  uint64_t held = s["held_records"].get<uint64_t>();
  uint64_t bytes = s["held_bytes"].get<uint64_t>();
  EXPECT_GT(held, 0u);
  EXPECT_TRUE(contains(r.out, "held         for replica S: " + std::to_string(held) +
                                  " records, " + std::to_string(bytes) + " bytes\n"))
      << r.out;
}

TEST_F(ReplicasCliTest, AStoreWithoutAnIdYetSaysSoAndReadingMakesNone) {
  make_store(2);
  fs::remove(dir_ / "STORE_ID");
  CommandResult r = run_in_store(dir_.path(), {"replicas"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "store id     none yet\n")) << r.out;
  EXPECT_EQ(parse_json(run_in_store(dir_.path(), {"inspect", "--json"}).out)["store_id"],
            nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "STORE_ID"));
  EXPECT_EQ(run_in_store(dir_.path(), {"put", "c", "k", "1"}).exit_code, kExitOk);
  EXPECT_TRUE(is_store_id(read_store_id(*posix_file_system(), dir_.path())));
}

}  // namespace
}  // namespace pa_journal::testing
