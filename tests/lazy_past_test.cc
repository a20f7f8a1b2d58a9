// The past read as a read-only open reads the present (docs/readers.md, "A
// lazy read-only open"): Store::open_at (get, list and count --at), a
// document's history and `collections` give the answers of the full load on
// random histories with compactions, whether the snapshot they start from is
// read through its key indexes or, compressed, without indexes or with
// damaged ones, loaded whole; and the tool's output is the same byte for
// byte either way.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "replay/lazy_state.h"
#include "snapshot/catalogue.h"
#include "snapshot/compression.h"
#include "snapshot/key_index.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::read_bytes;
using testing::write_bytes;

constexpr int64_t kSecond = 1'000'000'000;
// 2021-01-01T00:00:00Z: every commit lies in the past.
constexpr int64_t kBase = int64_t{1'609'459'200} * kSecond;

// How the snapshot a past read starts from is left on disk.
enum class Snapshots {
  kAsWritten,         // the newest plain with its indexes, the older compressed
  kNoIndexFiles,      // every .index file removed: damage of a derived file
  kDamagedIndexes,    // a byte of every index flipped
  kNewestCompressed,  // every snapshot compressed: no index to read through
};

std::vector<std::string> key_pool() {
  std::vector<std::string> keys = {"quote\"d", "back\\slash", "ünïcode", "日本語", "a"};
  for (int i = 0; i < 400; ++i) keys.push_back("k" + std::to_string(10000 + i));
  return keys;
}

std::string doc_for(std::mt19937& rng) {
  std::string text(20 + rng() % 300, 'x');
  for (char& c : text) c = static_cast<char>('a' + rng() % 26);
  return R"({"n":)" + std::to_string(rng() % 1000) + R"(,"t":")" + text + R"("})";
}

class LazyPastTest : public ::testing::TestWithParam<Snapshots> {
 protected:
  // Rounds of random puts, patches and deletes, one second apart, with a
  // compaction after each round but the last: several snapshots (the older
  // compressed), small segments that retention removes, and a journal tail.
  void SetUp() override {
    Options options;
    options.auto_compact = false;
    options.backup_count = 3;
    options.segment_bytes = 64 << 10;
    options.clock_ns = [this] { return now_ += kSecond; };
    auto writer = Store::open(dir(), options);
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < 300; ++i) edit(*writer);
      times_.push_back(now_);
      if (round < 4) writer->compact();
    }
    writer.reset();
    leave_snapshots(GetParam());
  }

  void edit(Store& writer) {
    const std::string& key = keys_[rng_() % keys_.size()];
    const char* c = rng_() % 8 == 0 ? "notes" : "contacts";
    try {
      switch (rng_() % 5) {
        case 0:
          writer.remove(c, key);
          break;
        case 1:
          writer.patch(c, key, R"({"p":)" + std::to_string(rng_() % 100) + "}");
          break;
        default:
          writer.put(c, key, doc_for(rng_));
      }
    } catch (const NotFoundError&) {
    }
  }

  void leave_snapshots(Snapshots how) {
    FileSystem& fs = *posix_file_system();
    std::string backups = backups_dir(dir());
    for (const auto& entry : fs::directory_iterator(backups)) {
      std::string path = entry.path().string();
      if (!path.ends_with(".index")) continue;
      if (how == Snapshots::kNoIndexFiles) std::remove(path.c_str());
      if (how == Snapshots::kDamagedIndexes) {
        std::string bytes = read_bytes(path);
        bytes[bytes.size() / 2] ^= 0x10;
        write_bytes(path, bytes);
      }
    }
    if (how == Snapshots::kNewestCompressed) {
      auto snapshots = list_snapshots(fs, backups);
      compress_snapshot(fs, backups, snapshots.front(), snapshots);
      ASSERT_TRUE(list_snapshots(fs, backups).front().files.front().compressed());
    }
  }

  std::string dir() const { return tmp_.path() + "/store"; }

  // Times to read at: each commit of a sample, a moment between two, the
  // end of each round and now.
  // Times to read at, inside the restorable window: the end of each round
  // in it, commits drawn at random and moments between two.
  std::vector<int64_t> read_times() {
    int64_t from = restorable_window(dir()).from_ns;
    std::vector<int64_t> out;
    for (int64_t t : times_)
      if (t >= from) out.push_back(t);
    for (int i = 0; i < 12; ++i) {
      int64_t t = from + kSecond * static_cast<int64_t>(
                                       rng_() % ((times_.back() - from) / kSecond));
      out.push_back(t);
      if (t > from) out.push_back(t - kSecond / 2);
    }
    return out;
  }

  testing::TempDir tmp_;
  std::mt19937 rng_{20261207};
  std::vector<std::string> keys_ = key_pool();
  std::atomic<int64_t> now_{kBase};
  std::vector<int64_t> times_;  // the last commit of each round
};

// Every answer of the store at t equals the full load's state at t.
void expect_state(const Store& at, const Collections& full,
                  const std::vector<std::string>& keys, std::mt19937& rng) {
  std::vector<std::string> names;
  for (const auto& [name, _] : full) names.push_back(name);
  ASSERT_EQ(at.collections(), names);
  for (const auto& [name, docs] : full) {
    std::vector<std::pair<std::string, std::string>> listed(docs.begin(), docs.end());
    ASSERT_EQ(at.list(name), listed) << name;
    EXPECT_EQ(at.count(name), docs.size()) << name;
    EXPECT_EQ(at.snapshot_bytes(name), collection_file_bytes(docs)) << name;
    for (int i = 0; i < 60; ++i) {
      const std::string& key = keys[rng() % keys.size()];
      auto it = docs.find(key);
      ASSERT_EQ(at.get(name, key),
                it == docs.end() ? std::nullopt : std::optional<std::string>(it->second))
          << name << "/" << key;
    }
    ListOptions range;
    range.from = keys[rng() % keys.size()];
    range.limit = rng() % 40;
    EXPECT_EQ(at.count(name, range), at.list(name, range).size()) << name;
  }
  EXPECT_EQ(at.get("no_such_collection", "k"), std::nullopt);
}

TEST_P(LazyPastTest, OpenAtAnswersAsTheFullLoadAtEveryTime) {
  for (int64_t t : read_times()) {
    SCOPED_TRACE(format_time_ns(t));
    Collections full = state_at(dir(), t);
    auto at = Store::open_at(dir(), t);
    expect_state(*at, full, keys_, rng_);
  }
}

TEST_P(LazyPastTest, OpenAtAfterTheNewestSnapshotReadsThroughItsIndexes) {
  RecoverOptions options;
  options.until_ns = times_.back();
  bool lazy = LazyState::open(*posix_file_system(), dir(), options) != nullptr;
  EXPECT_EQ(lazy, GetParam() == Snapshots::kAsWritten);
  auto at = Store::open_at(dir(), times_.back());
  const RecoveryReport& report = at->recovery();
  EXPECT_EQ(report.snapshot_seq, list_backups(dir()).front().seq);
  // Indexes missing or damaged are reported; a compressed file has none.
  bool damaged =
      GetParam() == Snapshots::kNoIndexFiles || GetParam() == Snapshots::kDamagedIndexes;
  EXPECT_EQ(report.index_fallbacks.empty(), !damaged) << report.summary();
}

TEST_P(LazyPastTest, OpenAtRefusesATimeOutsideTheWindowAsStateAtDoes) {
  int64_t future = system_now_ns() + 3600 * kSecond;
  EXPECT_THROW(state_at(dir(), future), InvalidInputError);
  EXPECT_THROW(Store::open_at(dir(), future), InvalidInputError);
  int64_t early = kBase - kSecond;  // before the oldest kept snapshot
  EXPECT_THROW(state_at(dir(), early), InvalidInputError);
  EXPECT_THROW(Store::open_at(dir(), early), InvalidInputError);
}

TEST_P(LazyPastTest, HistoryEqualsTheHistoryFromTheWholeOldestSnapshot) {
  // The journal no longer starts at seq 1: each history starts at the
  // oldest snapshot's version of the document.
  ASSERT_GT(inspect_journal(dir()).first_seq, 1u);
  auto backups = list_backups(dir());
  Collections oldest = load_backup(dir(), backups.back().id);
  for (const char* c : {"contacts", "notes"}) {
    for (size_t i = 0; i < keys_.size(); i += 7) {
      const std::string& key = keys_[i];
      auto versions = document_history(dir(), c, key);
      auto it = oldest[c].find(key);
      bool held = it != oldest[c].end();
      ASSERT_EQ(!versions.empty() && versions.front().from_snapshot, held) << key;
      if (held) {
        EXPECT_EQ(versions.front().value, it->second) << key;
      }
      // Each later version is the document at its commit's time.
      for (size_t v = held ? 1 : 0; v < versions.size(); v += 5) {
        Collections then = state_at(dir(), versions[v].time_ns);
        auto doc = then[c].find(key);
        EXPECT_EQ(versions[v].value, doc == then[c].end()
                                         ? std::nullopt
                                         : std::optional<std::string>(doc->second))
            << c << "/" << key << " seq " << versions[v].seq;
      }
    }
  }
}

TEST_P(LazyPastTest, CollectionsBytesAreTheSnapshotFileSizes) {
  Options read_only;
  read_only.read_only = true;
  auto store = Store::open(dir(), read_only);
  Collections state = state_at(dir(), times_.back());
  for (const auto& [name, docs] : state)
    EXPECT_EQ(store->snapshot_bytes(name), collection_file_bytes(docs)) << name;
  EXPECT_EQ(store->snapshot_bytes("no_such_collection"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Snapshots, LazyPastTest,
                         ::testing::Values(Snapshots::kAsWritten,
                                           Snapshots::kNoIndexFiles,
                                           Snapshots::kDamagedIndexes,
                                           Snapshots::kNewestCompressed),
                         [](const auto& param) {
                           switch (param.param) {
                             case Snapshots::kAsWritten:
                               return "AsWritten";
                             case Snapshots::kNoIndexFiles:
                               return "NoIndexFiles";
                             case Snapshots::kDamagedIndexes:
                               return "DamagedIndexes";
                             case Snapshots::kNewestCompressed:
                               return "NewestCompressed";
                           }
                           return "Unknown";
                         });

// A store whose one snapshot is plain (backup_count 1) and whose journal
// starts after it: each history starts with one block read through the
// index, and equals the history read with the index gone; a compressed
// oldest snapshot is streamed, and one that is damaged refuses as before.
TEST(LazyHistoryTest, TheOldestSnapshotsVersionIsReadThroughItsIndexOrStreamed) {
  testing::TempDir tmp;
  std::string dir = tmp.path() + "/store";
  std::mt19937 rng(11);
  std::vector<std::string> keys = key_pool();
  Options options;
  options.auto_compact = false;
  options.backup_count = 1;
  options.segment_bytes = 32 << 10;
  {
    auto writer = Store::open(dir, options);
    for (int round = 0; round < 3; ++round) {
      for (const std::string& key : keys) writer->put("contacts", key, doc_for(rng));
      writer->compact();
      for (int i = 0; i < 50; ++i)
        writer->put("contacts", keys[rng() % 40], doc_for(rng));
    }
  }
  ASSERT_GT(inspect_journal(dir).first_seq, 1u);
  auto history = [&] {
    std::vector<std::vector<DocumentVersion>> out;
    for (size_t i = 0; i < 40; ++i)
      out.push_back(document_history(dir, "contacts", keys[i]));
    return out;
  };
  auto through_index = history();
  for (const auto& versions : through_index) {
    ASSERT_FALSE(versions.empty());
    EXPECT_TRUE(versions.front().from_snapshot);
  }
  FileSystem& fs = *posix_file_system();
  std::string backups = backups_dir(dir);
  auto snapshots = list_snapshots(fs, backups);
  ASSERT_EQ(snapshots.size(), 1u);
  std::string index = backups + "/" + snapshots[0].files[0].index;
  std::string index_bytes = read_bytes(index);
  std::remove(index.c_str());
  auto streamed = history();
  write_bytes(index, index_bytes);
  compress_snapshot(fs, backups, snapshots[0], snapshots);
  auto compressed = history();
  auto field = [](const std::vector<std::vector<DocumentVersion>>& h) {
    std::vector<std::tuple<uint64_t, std::optional<std::string>, bool>> out;
    for (const auto& versions : h)
      for (const auto& v : versions) out.emplace_back(v.seq, v.value, v.from_snapshot);
    return out;
  };
  EXPECT_EQ(field(streamed), field(through_index));
  EXPECT_EQ(field(compressed), field(through_index));
  // One bit of the compressed file flipped: damage, as the whole load says.
  SnapshotInfo info = list_snapshots(fs, backups).front();
  ASSERT_TRUE(info.files[0].compressed());
  std::string path = backups + "/" + info.files[0].file;
  std::string bytes = read_bytes(path);
  bytes[bytes.size() / 2] ^= 0x04;
  write_bytes(path, bytes);
  EXPECT_THROW(document_history(dir, "contacts", keys[0]), CorruptedDataError);
}

// The tool's answers through the indexes and, with them removed, from the
// whole JSON files: the same bytes on stdout, the same exit.
TEST(LazyPastCliTest, ReadsOfThePastPrintTheSameBytesWithAndWithoutIndexes) {
  testing::TempDir tmp;
  std::string dir = tmp.path() + "/store";
  std::mt19937 rng(7);
  std::vector<std::string> keys = key_pool();
  std::vector<int64_t> times;
  {
    Options options;
    options.auto_compact = false;
    auto writer = Store::open(dir, options);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 200; ++i) {
        const std::string& key = keys[rng() % keys.size()];
        if (rng() % 4 == 0) {
          try {
            writer->remove("contacts", key);
          } catch (const NotFoundError&) {
          }
        } else {
          writer->put(rng() % 6 == 0 ? "notes" : "contacts", key, doc_for(rng));
        }
      }
      times.push_back(system_now_ns());
      writer->compact();
    }
    writer->put("contacts", "after the last snapshot", R"({"x":1})");
    writer->remove("contacts", keys[5]);
  }
  std::string at = format_time_ns(system_now_ns());
  std::string before = format_time_ns(times[1]);
  std::vector<std::vector<std::string>> commands = {
      {"collections"},
      {"collections", "--json"},
      {"get", "contacts", "after the last snapshot", "--at", at},
      {"get", "contacts", keys[5], "--at", at},
      {"get", "contacts", keys[6], "--at", before},
      {"list", "contacts", "--at", at},
      {"list", "contacts", "--at", at, "--json"},
      {"list", "contacts", "--at", at, "--count"},
      {"list", "contacts", "--at", before, "--from", "k10100", "--limit", "20"},
      {"list", "notes", "--at", at, "--prefix", "k101"},
      {"history", "contacts", keys[5]},
      {"history", "contacts", keys[7], "--json"},
      {"history", "notes", keys[8]},
  };
  std::vector<CommandResult> lazy;
  for (const auto& args : commands) lazy.push_back(testing::run_in_store(dir, args));
  for (const auto& entry : fs::directory_iterator(backups_dir(dir))) {
    if (entry.path().string().ends_with(".index")) fs::remove(entry.path());
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    CommandResult full = testing::run_in_store(dir, commands[i]);
    SCOPED_TRACE(commands[i][0] + " " + (commands[i].size() > 1 ? commands[i][1] : ""));
    EXPECT_EQ(lazy[i].exit_code, full.exit_code) << lazy[i].describe();
    EXPECT_EQ(lazy[i].out, full.out);
  }
}

}  // namespace
}  // namespace pa_journal
