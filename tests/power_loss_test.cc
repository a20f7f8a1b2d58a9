// Simulated power loss through the file-system seam (docs/design.md 8), with
// PowerLossFileSystem (tests/power_loss_file_system.h).
//
// First, what the model drops: unsynced bytes, and directory entries changed
// since their directory's last sync. Then the campaign: a store with `always`,
// `none` and `interval` durability in turn (under the last two each call is
// acknowledged only after an explicit Store::sync()) runs WorkloadRound (four
// writer threads, background compaction
// on 4 KiB segments, restores, exports and imports; tests/kill_workload.h) on
// the simulated file system; the power goes off after a random number of
// file-system calls; what survives is written back to disk (half the rounds
// strictly what was synced, half with a random part of the unsynced bytes and
// directory changes as well); the store is reopened on the real file system
// and HistoryChecker checks that every acknowledged commit, restore and import
// survived byte for byte, the history is an exact prefix of what each thread
// issued, restores and imports produced the states they name, the reopened
// state is the one its history produces, and verify is clean; the 4 KiB
// segments make compaction roll the journal before its capture (store/compactor.h,
// step 0), and the campaign fails if storage.log counts no such roll. The same
// campaign again with every loss keeping a random subset of the unsynced
// sectors (PowerLoss::kScattered), opened in point-in-time mode where the
// default refuses. Then power losses while a store is created and compacted
// for the first time, which the long campaign (one store, started before the
// simulation) never sees. Last, `interval`'s bound on loss: a writer that
// never syncs loses only the commits of the last window before the cut.
//
// PA_JOURNAL_POWER_LOSS_ROUNDS=N sets the number of power losses (200 by
// default; half that for the scattered campaign and for fresh stores);
// PA_JOURNAL_POWER_LOSS_SEED=N repeats a run's contents and cut points (not its thread
// interleavings).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "tests/kill_workload.h"
#include "tests/power_loss_file_system.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

void append_and_sync(FileSystem& fs, const std::string& path, const std::string& first,
                     const std::string& second) {
  auto file = fs.new_writable(path);
  file->append(first);
  file->sync();
  file->append(second);
  file->close();
}

TEST(PowerLossFileSystem, DropsBytesWrittenAfterTheLastSync) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  append_and_sync(*fs, tmp / "f", "synced", "unsynced");
  fs->sync_dir(tmp.path());
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "f"), "synced");
}

TEST(PowerLossFileSystem, PartialLossKeepsAPrefixOfTheUnsyncedBytes) {
  TempDir tmp;
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 rng(seed);
    auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
    append_and_sync(*fs, tmp / "f", "ab", "cd");
    fs->sync_dir(tmp.path());
    fs->lose_power(PowerLoss::kPartial, rng);
    seen.insert(read_bytes(tmp / "f"));
    std::filesystem::remove(tmp / "f");
  }
  EXPECT_EQ(seen, (std::set<std::string>{"ab", "abc", "abcd"}));
}

TEST(PowerLossFileSystem, SyncedFileVanishesUnlessItsDirectoryWasSynced) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  fs->create_dir(tmp / "d");
  fs->sync_dir(tmp.path());
  append_and_sync(*fs, tmp / "d/lost", "x", "");
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_TRUE(std::filesystem::exists(tmp / "d"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "d/lost"));

  fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  append_and_sync(*fs, tmp / "d/kept", "x", "");
  fs->sync_dir(tmp / "d");
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "d/kept"), "x");
}

TEST(PowerLossFileSystem, DirectoryCreatedSinceItsParentsSyncVanishes) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  fs->create_dir(tmp / "d");
  append_and_sync(*fs, tmp / "d/f", "x", "");
  fs->sync_dir(tmp / "d");
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_FALSE(std::filesystem::exists(tmp / "d"));
}

// restore --out and replay --out: once write_state returns, the directory it
// created (parents included) and the files in it survive a power loss.
TEST(PowerLossWriteState, TheStateWrittenOutSurvivesAPowerLoss) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  Options options;
  options.file_system = fs;
  write_state(tmp / "out/at-noon", {{"notes", {{"n1", R"({"a":1})"}}}}, false, options);
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "out/at-noon/notes.json"), "{\n  \"n1\": {\"a\":1}\n}\n");
}

TEST(PowerLossFileSystem, RenameAndRemoveAreUndoneUntilTheDirectoryIsSynced) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  write_bytes(tmp / "old", "old");
  write_bytes(tmp / "gone", "gone");
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  append_and_sync(*fs, tmp / "new.tmp", "new", "");
  fs->rename(tmp / "new.tmp", tmp / "old");
  fs->remove(tmp / "gone");
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "old"), "old");
  EXPECT_EQ(read_bytes(tmp / "gone"), "gone");
  EXPECT_FALSE(std::filesystem::exists(tmp / "new.tmp"));

  fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  append_and_sync(*fs, tmp / "new.tmp", "new", "");
  fs->rename(tmp / "new.tmp", tmp / "old");
  fs->sync_dir(tmp.path());
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "old"), "new");
  EXPECT_FALSE(std::filesystem::exists(tmp / "new.tmp"));
}

// Compaction's readable state files are hard links of snapshot files.
TEST(PowerLossFileSystem, LinkIsUndoneUntilTheDirectoryIsSyncedAndKeepsTheBytes) {
  TempDir tmp;
  std::mt19937_64 rng(1);
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  append_and_sync(*fs, tmp / "snapshot", "state", "");
  fs->sync_dir(tmp.path());
  fs->link(tmp / "snapshot", tmp / "readable");
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "snapshot"), "state");
  EXPECT_FALSE(std::filesystem::exists(tmp / "readable"));

  fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  fs->link(tmp / "snapshot", tmp / "readable");
  fs->sync_dir(tmp.path());
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "readable"), "state");
  EXPECT_EQ(read_bytes(tmp / "snapshot"), "state");
}

// The journal writes its records into reserved space (WritableFile::reserve).
TEST(PowerLossFileSystem, StoresIntoAReservationAreLostUntilSyncedAndTearInOrder) {
  TempDir tmp;
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  auto file = fs->new_writable(tmp / "f");
  fs->sync_dir(tmp.path());
  file->append("head");
  file->reserve(8, '#', true);
  file->sync();
  file->append("abcdef");
  std::mt19937_64 rng(7);
  fs->lose_power(PowerLoss::kStrict, rng);
  EXPECT_EQ(read_bytes(tmp / "f"), "head########") << "the stores were not synced";

  std::set<std::string> seen;
  for (int seed = 0; seed < 64; ++seed) {
    auto again = std::make_shared<PowerLossFileSystem>(tmp.path());
    write_bytes(tmp / "f", "");
    auto f = again->new_writable(tmp / "f");
    f->append("head");
    f->reserve(8, '#', true);
    f->sync();
    f->append("abcdef");
    f->close();  // cuts the reservation off, unsynced
    std::mt19937_64 r(static_cast<uint64_t>(seed));
    again->lose_power(PowerLoss::kPartial, r);
    std::string bytes = read_bytes(tmp / "f");
    ASSERT_EQ(bytes.size(), 12u) << "the unsynced cut is undone: " << bytes;
    size_t stored = bytes.find('#') == std::string::npos ? 8 : bytes.find('#') - 4;
    EXPECT_EQ(bytes, "head" + std::string("abcdef##").substr(0, stored) +
                         std::string(8 - stored, '#'))
        << "a prefix of the stores, then the durable fill";
    seen.insert(bytes);
  }
  EXPECT_GT(seen.size(), 3u) << "different seeds tear at different points";
}

// A disk with a volatile cache may keep any of the sectors it was sent.
TEST(PowerLossFileSystem, ScatteredLossKeepsAnySubsetOfTheUnsyncedSectors) {
  constexpr size_t kSector = PowerLossFileSystem::kSector;
  TempDir tmp;
  std::set<std::string> patterns;
  for (int seed = 0; seed < 64; ++seed) {
    auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
    auto f = fs->new_writable(tmp / "f");
    fs->sync_dir(tmp.path());
    f->reserve(4 * kSector, '#', false);
    f->sync();
    f->append(std::string(3 * kSector, 'a'));   // three sectors, unsynced
    f->append(std::string(kSector + 10, 'b'));  // past the durable size: 10 bytes
    std::mt19937_64 r(static_cast<uint64_t>(seed));
    fs->lose_power(PowerLoss::kScattered, r);
    std::string bytes = read_bytes(tmp / "f");
    ASSERT_GE(bytes.size(), 4 * kSector);
    ASSERT_LE(bytes.size(), 4 * kSector + 10);
    std::string pattern;
    for (size_t s = 0; s < 4; ++s) {
      std::string sector = bytes.substr(s * kSector, kSector);
      char written = s < 3 ? 'a' : 'b';
      ASSERT_TRUE(sector == std::string(kSector, written) ||
                  sector == std::string(kSector, '#'))
          << "sector " << s << " is neither written nor the durable fill";
      pattern += sector[0];
    }
    EXPECT_EQ(bytes.substr(4 * kSector), std::string(bytes.size() - 4 * kSector, 'b'));
    patterns.insert(pattern);
    std::filesystem::remove(tmp / "f");
  }
  EXPECT_GT(patterns.size(), 8u) << "sectors are kept independently";
  EXPECT_EQ(patterns.count("#a#b"), 1u) << "a later sector kept, an earlier lost";
}

TEST(PowerLossFileSystem, EveryCallFailsOnceThePowerIsOff) {
  TempDir tmp;
  auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
  fs->cut_power_after(2);
  auto file = fs->new_writable(tmp / "f");
  EXPECT_THROW(file->append("x"), IoError);
  EXPECT_TRUE(fs->power_is_off());
  EXPECT_THROW(fs->sync_dir(tmp.path()), IoError);
  EXPECT_THROW(fs->read_file(tmp / "f"), IoError);
  EXPECT_EQ(read_bytes(tmp / "f"), "") << "the failed append wrote nothing";
}

Options campaign_options() {
  Options options;
  options.durability = Durability::kAlways;
  options.segment_bytes = 4096;
  options.compact_after_records = WorkloadRound::kCompactAfter;
  options.compact_after_bytes = 1ull << 30;
  return options;
}

// What one campaign did, for its summary line.
struct CampaignCounts {
  uint64_t cut_in_work = 0, acked = 0, admin_acked = 0, kept_some = 0, refused = 0;
  uint64_t verified_seq = 0;
  uint64_t rolls = 0;  // journal rolls compaction asked for (store/compactor.h, step 0)
};

// Opens dir as a user would after a power loss: the default mode first, and
// point-in-time (which cuts the damage to quarantine) if that refuses.
// Returns whether the default open refused.
bool open_after_scattered_loss(const std::string& dir) {
  Options options;
  options.auto_compact = false;
  try {
    Store::open(dir, options);
    return false;
  } catch (const CorruptedDataError&) {
    options.recovery = RecoveryMode::kPointInTime;
    Store::open(dir, options);
    return true;
  }
}

// The campaign: rounds of the kill workload under always, none and interval
// in turn, each ended by a power loss of the kind `kind` picks, then settled
// (reopened, checked against what was acknowledged, verified, compacted). If
// scattered, a refusal of the default open is counted and the store is
// opened in point-in-time mode instead, which must keep every acknowledged
// commit all the same.
void run_campaign(uint64_t rounds, uint64_t seed,
                  const std::function<PowerLoss(std::mt19937_64&)>& kind_of_loss,
                  CampaignCounts* counts) {
  std::mt19937_64 rng(seed);
  TempDir tmp;
  const std::string dir = tmp / "store", exports = tmp / "exports";
  HistoryChecker checker(seed);
  start_campaign_store(dir, &checker);
  double round_calls = 0;  // file-system calls of a whole round, learned as we go
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    std::filesystem::create_directories(exports);
    const uint64_t rolls_before = requested_rolls(dir);
    auto fs = std::make_shared<PowerLossFileSystem>(dir);
    // Round 0 runs to its end (and loses power with everything synced), to
    // learn how many calls a round makes.
    if (round > 0)
      fs->cut_power_after(1 + rng() % static_cast<uint64_t>(1.1 * round_calls));
    const PowerLoss kind = kind_of_loss(rng);
    std::mutex out_mu;
    std::string out;
    // Rounds cycle through always, none and interval (its background sync
    // every millisecond, beside the workload's); under the last two each
    // call is acknowledged after Store::sync().
    static constexpr Durability kModes[] = {Durability::kAlways, Durability::kNone,
                                            Durability::kInterval};
    Options options = campaign_options();
    options.file_system = fs;
    options.durability = kModes[round % 3];
    options.sync_interval_ms = 1;
    const bool sync_before_ack = options.durability != Durability::kAlways;
    try {
      auto store = Store::open(dir, options);
      WorkloadRound work(
          store.get(), seed, round, exports,
          [&](const std::string& line) {
            std::lock_guard<std::mutex> lock(out_mu);
            out += line + "\n";
          },
          sync_before_ack);
      std::string error = work.run();
      ASSERT_TRUE(error.empty() || fs->power_is_off()) << error;
    } catch (const StorageError& e) {
      ASSERT_TRUE(fs->power_is_off()) << e.what();
    }
    if (fs->power_is_off()) {
      ++counts->cut_in_work;
    } else {
      double calls = static_cast<double>(fs->calls());
      round_calls = round == 0 ? calls : 0.8 * round_calls + 0.2 * calls;
    }
    // Counted on the disk as it is before the loss, which may take the
    // unsynced lines of storage.log.
    counts->rolls += requested_rolls(dir) - rolls_before;
    fs->lose_power(kind, rng);
    counts->kept_some += kind != PowerLoss::kStrict;
    if (kind == PowerLoss::kScattered) counts->refused += open_after_scattered_loss(dir);
    bool done = false;
    Acks acks = parse_acks(out, &done);

    bool torn_tail = false;
    ASSERT_EQ(settle_round(dir, round, acks, &checker, &torn_tail), "");
    counts->acked += acks.commits.size();
    counts->admin_acked += acks.admin.size();
    std::filesystem::remove_all(exports);
  }
  counts->verified_seq = checker.verified_seq();
}

TEST(PowerLossCampaign, PowerLossDuringConcurrentCommitsCompactionRestoreAndImport) {
  const uint64_t rounds = env_number("PA_JOURNAL_POWER_LOSS_ROUNDS", 200);
  const uint64_t seed = env_number("PA_JOURNAL_POWER_LOSS_SEED", std::random_device{}());
  std::cout << "power-loss campaign: seed " << seed << " (PA_JOURNAL_POWER_LOSS_SEED)"
            << std::endl;
  RecordProperty("seed", std::to_string(seed));
  const auto started = std::chrono::steady_clock::now();
  CampaignCounts counts;
  run_campaign(
      rounds, seed,
      [](std::mt19937_64& rng) {
        return rng() % 2 ? PowerLoss::kPartial : PowerLoss::kStrict;
      },
      &counts);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  std::cout << "power-loss campaign: " << rounds << " power losses ("
            << counts.cut_in_work << " before the round was all issued, "
            << counts.kept_some << " keeping part of the unsynced data), " << counts.acked
            << " writer commits and " << counts.admin_acked
            << " restores/imports acknowledged, " << counts.verified_seq
            << " records recovered and checked, " << counts.rolls
            << " journal rolls before compaction, " << took.count() << " s" << std::endl;
  EXPECT_GT(counts.cut_in_work, rounds / 2)
      << "most power losses must land while work is under way";
  EXPECT_GT(counts.acked, 0u);
  EXPECT_GT(counts.rolls, 0u) << "no compaction rolled the journal: no power loss "
                                 "came near a requested roll";
}

// Every power loss keeps a random subset of the unsynced sectors written into
// synced reservations (PowerLoss::kScattered). The journal's torn-tail rule
// (docs/journal-format.md 8.2) assumes a torn write keeps a prefix, so such a
// loss may make the default open refuse; point-in-time must then open with
// every acknowledged commit, as the docs tell the user to do.
TEST(PowerLossCampaign, ScatteredSectorsLoseNoAcknowledgedCommitInPointInTime) {
  const uint64_t rounds = env_number("PA_JOURNAL_POWER_LOSS_ROUNDS", 200) / 2;
  const uint64_t seed = env_number("PA_JOURNAL_POWER_LOSS_SEED", std::random_device{}());
  std::cout << "scattered power losses: seed " << seed << std::endl;
  CampaignCounts counts;
  run_campaign(
      rounds, seed, [](std::mt19937_64&) { return PowerLoss::kScattered; }, &counts);
  std::cout << "scattered power losses: " << rounds << " rounds, " << counts.refused
            << " refused by the default open (then opened in point-in-time), "
            << counts.acked << " writer commits acknowledged and found, " << counts.rolls
            << " journal rolls before compaction" << std::endl;
  EXPECT_GT(counts.acked, 0u);
  EXPECT_GT(counts.rolls, 0u) << "no compaction rolled the journal";
}

// A store created under the simulation, and compacted for the first time:
// the power goes off at a random call of creating the store's directories,
// committing (one writer, unique keys), the first compaction (which removes
// the segments before its snapshot) and the commits after it. The reopened
// store holds every acknowledged put with its value and nothing that was not
// issued, its journal is an unbroken run of the issued commits, and verify is
// clean.
TEST(PowerLossCampaign, PowerLossWhileCreatingAndFirstCompactingAStore) {
  const uint64_t rounds = env_number("PA_JOURNAL_POWER_LOSS_ROUNDS", 200) / 2;
  const uint64_t seed = env_number("PA_JOURNAL_POWER_LOSS_SEED", std::random_device{}());
  std::cout << "fresh-store power losses: seed " << seed << std::endl;
  std::mt19937_64 rng(seed);
  constexpr int kCommits = 60, kCompactAt = 40;
  uint64_t round_calls = 0, acked_total = 0;
  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    TempDir tmp;
    const std::string dir = tmp / "home/store";
    auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
    if (round > 0) fs->cut_power_after(1 + rng() % (round_calls + round_calls / 10));
    std::vector<Operation> issued;
    size_t acked = 0;
    Options options = campaign_options();
    options.auto_compact = false;
    options.file_system = fs;
    try {
      auto store = Store::open(dir, options);
      for (int i = 0; i < kCommits; ++i) {
        std::string key = "n" + std::to_string(i);
        issued.push_back({OpKind::kPut, "notes", key,
                          R"({"i":)" + std::to_string(i) + R"(,"pad":")" +
                              std::string(rng() % 200, 'x') + R"("})"});
        store->commit({issued.back()});
        acked = issued.size();
        if (i == kCompactAt) store->compact();
      }
    } catch (const StorageError& e) {
      ASSERT_TRUE(fs->power_is_off()) << e.what();
    }
    if (round == 0) round_calls = fs->calls();
    fs->lose_power(rng() % 2 ? PowerLoss::kPartial : PowerLoss::kStrict, rng);
    acked_total += acked;

    Reopened reopened = reopen_store(dir);
    ASSERT_EQ(reopened.problem, "");
    const Collection& notes = reopened.state["notes"];
    for (size_t i = 0; i < acked; ++i) {
      auto it = notes.find(issued[i].key);
      ASSERT_NE(it, notes.end()) << "acknowledged " << issued[i].key << " lost";
      ASSERT_EQ(it->second, issued[i].document);
    }
    ASSERT_LE(notes.size(), issued.size()) << "a document that was never issued";
    for (size_t i = 0; i < notes.size(); ++i) {
      ASSERT_EQ(notes.at(issued[i].key), issued[i].document) << "not a prefix";
    }
    std::vector<Record> history = read_history(dir);
    for (size_t j = 0; j < history.size(); ++j) {
      ASSERT_EQ(history[j].seq, history.front().seq + j);
      ASSERT_EQ(history[j].ops, std::vector<Operation>{issued[history[j].seq - 1]});
    }
    if (!history.empty()) {
      EXPECT_EQ(history.back().seq, notes.size());
    }
    VerifyResult verified = verify_store(dir);
    ASSERT_TRUE(verified.ok()) << verified.damage.front().describe();
  }
  std::cout << "fresh-store power losses: " << rounds << " stores, " << acked_total
            << " commits acknowledged and found" << std::endl;
}

// `interval` promises that a crash loses at most its window. One writer
// commits unique keys, paced, for a random while under a 50 ms interval and
// never syncs; then the power goes off, keeping only what was synced. Every
// commit acknowledged more than the window before the cut must survive, and
// the survivors must be a prefix. The allowance past the window (one sync, and
// the background thread's scheduling on a loaded CI machine, under
// ThreadSanitizer too) is twice the window, so this catches a background sync
// that stalls, syncs the wrong file or runs three times too rarely; the
// figures it prints show the real lag (within the window on an idle machine).
TEST(PowerLossCampaign, IntervalLosesOnlyCommitsOfItsLastWindow) {
  constexpr auto kWindow = std::chrono::milliseconds(50);
  constexpr auto kAllowance = 2 * kWindow;
  using Clock = std::chrono::steady_clock;
  const uint64_t seed = env_number("PA_JOURNAL_POWER_LOSS_SEED", std::random_device{}());
  std::mt19937_64 rng(seed);
  // Eight cuts: a writer syncing every 4 windows is caught with 90% odds.
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    TempDir tmp;
    const std::string dir = tmp / "store";
    auto fs = std::make_shared<PowerLossFileSystem>(tmp.path());
    Options options;
    options.durability = Durability::kInterval;
    options.sync_interval_ms = kWindow.count();
    options.auto_compact = false;
    options.file_system = fs;
    std::vector<Clock::time_point> acked;  // acked[i]: when "n<i>" returned
    auto store = Store::open(dir, options);
    const auto until = Clock::now() + std::chrono::milliseconds(200 + rng() % 300);
    while (Clock::now() < until) {
      store->put("notes", "n" + std::to_string(acked.size()), R"({"v":1})");
      acked.push_back(Clock::now());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const Clock::time_point cut = Clock::now();
    fs->lose_power(PowerLoss::kStrict, rng);
    store.reset();  // its calls fail now: the machine is off

    Reopened reopened = reopen_store(dir);
    ASSERT_EQ(reopened.problem, "");
    const Collection& notes = reopened.state["notes"];
    size_t kept = notes.size();
    for (size_t i = 0; i < kept; ++i) {
      ASSERT_EQ(notes.count("n" + std::to_string(i)), 1u) << "not a prefix";
    }
    ASSERT_LE(kept, acked.size());
    for (size_t i = kept; i < acked.size(); ++i) {
      ASSERT_GT(acked[i], cut - kWindow - kAllowance)
          << "n" << i << " lost, acknowledged "
          << std::chrono::duration<double, std::milli>(cut - acked[i]).count()
          << " ms before the power cut";
    }
    double lag_ms =
        kept == acked.size()
            ? 0
            : std::chrono::duration<double, std::milli>(cut - acked[kept]).count();
    std::cout << "interval power loss: " << acked.size() << " commits, "
              << acked.size() - kept << " lost, the oldest of them acknowledged "
              << lag_ms << " ms before the cut (window " << kWindow.count() << " ms)"
              << std::endl;
  }
}

}  // namespace
}  // namespace pa_journal::testing
