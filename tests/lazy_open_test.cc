// A read-only open that reads the snapshot through its key indexes
// (replay/lazy_state.h, snapshot/key_index.h): its get, list and count equal
// those of the writer's full state, on random stores, beside the live writer;
// and a damaged or missing index, or a damaged block, gives the same answers
// by falling back to the full load.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "replay/lazy_state.h"
#include "snapshot/catalogue.h"
#include "snapshot/key_index.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::read_bytes;
using testing::write_bytes;
using Docs = std::vector<std::pair<std::string, std::string>>;

// Keys that need escaping in JSON, UTF-8, and plain ones, in no order.
std::vector<std::string> key_pool(size_t plain) {
  std::vector<std::string> keys = {"quote\"d",   "back\\slash", "both\\\"",  "ünïcode",
                                   "日本語",     "emoji😀",      "zzz\"last", "a",
                                   "k 00100 sp", "~tilde"};
  for (size_t i = 0; i < plain; ++i) keys.push_back("k" + std::to_string(100000 + i));
  return keys;
}

std::string doc_for(std::mt19937& rng, size_t bytes) {
  std::string text(bytes, 'x');
  for (char& c : text) c = static_cast<char>('a' + rng() % 26);
  return R"({"n":)" + std::to_string(rng() % 1000) + R"(,"t":")" + text + R"("})";
}

Options writer_options() {
  Options options;
  options.auto_compact = false;
  return options;
}

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

bool opens_lazily(const std::string& dir) {
  RecoverOptions options;
  return LazyState::open(*posix_file_system(), dir, options) != nullptr;
}

// Every answer of reader equals expected's, for the keys given and ranges
// drawn from them.
void expect_same_answers(const Store& expected, const Store& reader,
                         const std::vector<std::string>& keys, std::mt19937& rng) {
  EXPECT_EQ(reader.collections(), expected.collections());
  EXPECT_EQ(reader.last_seq(), expected.last_seq());
  for (const std::string& c : expected.collections()) {
    ASSERT_EQ(reader.list(c), expected.list(c)) << c;
    EXPECT_EQ(reader.count(c), expected.count(c)) << c;
    for (const std::string& key : keys) {
      ASSERT_EQ(reader.get(c, key), expected.get(c, key)) << c << "/" << key;
    }
    for (int i = 0; i < 20; ++i) {
      ListOptions range;
      const std::string& a = keys[rng() % keys.size()];
      const std::string& b = keys[rng() % keys.size()];
      if (rng() % 2) range.from = std::min(a, b);
      if (rng() % 2) range.to = std::max(a, b);
      if (rng() % 3 == 0) range.prefix = a.substr(0, rng() % 4);
      range.limit = rng() % 3 == 0 ? rng() % 50 : 0;
      EXPECT_EQ(reader.list(c, range), expected.list(c, range)) << c;
      EXPECT_EQ(reader.count(c, range), expected.count(c, range)) << c;
    }
  }
  EXPECT_EQ(reader.get("no_such_collection", "k"), std::nullopt);
  EXPECT_EQ(reader.list("no_such_collection"), Docs{});
}

class LazyOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = Store::open(dir(), writer_options());
    std::vector<Operation> ops;
    for (const std::string& key : keys_)
      ops.push_back({OpKind::kPut, "contacts", key, doc_for(rng_, 150)});
    ops.push_back({OpKind::kPut, "notes", "only", R"({"x":1})"});
    writer_->commit(std::move(ops));
    writer_->compact();
  }

  std::string dir() const { return dir_.path() + "/store"; }

  // The one snapshot's collection file and index of contacts.
  SnapshotFile contacts_file() const {
    auto snapshots = list_snapshots(*posix_file_system(), backups_dir(dir()));
    for (const auto& f : snapshots.front().files)
      if (f.collection == "contacts") return f;
    ADD_FAILURE() << "no contacts file";
    return {};
  }

  // A few hundred random puts, patches and deletes; some fail (a patch or
  // delete of a missing document) and commit nothing.
  void random_edits(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string& key = keys_[rng_() % keys_.size()];
      const char* c = rng_() % 10 == 0 ? "notes" : "contacts";
      try {
        switch (rng_() % 4) {
          case 0:
            writer_->remove(c, key);
            break;
          case 1:
            writer_->patch(c, key, R"({"p":)" + std::to_string(rng_() % 100) + "}");
            break;
          default:
            writer_->put(c, key, doc_for(rng_, 100));
        }
      } catch (const NotFoundError&) {
      }
    }
  }

  testing::TempDir dir_;
  std::mt19937 rng_{20261207};
  std::vector<std::string> keys_ = key_pool(3000);
  std::unique_ptr<Store> writer_;
};

TEST_F(LazyOpenTest, CompactionWritesAnIndexThatTilesTheCollectionFile) {
  SnapshotFile f = contacts_file();
  ASSERT_FALSE(f.index.empty());
  KeyIndex index = parse_index(read_bytes(backups_dir(dir()) + "/" + f.index), f.index);
  check_index_matches(index, f, f.index);
  EXPECT_GT(index.blocks.size(), 5u);  // 3,000 documents of ~190 bytes
  EXPECT_EQ(index.documents, keys_.size());
}

TEST_F(LazyOpenTest, ReadOnlyOpenBesideTheWriterAnswersAsTheWriterThroughCompactions) {
  std::vector<std::string> probe = keys_;
  probe.push_back("missing");
  probe.push_back("k0");
  probe.push_back("k2");
  for (int round = 0; round < 6; ++round) {
    random_edits(300);
    if (round % 2 == 1) writer_->compact();
    ASSERT_TRUE(opens_lazily(dir())) << round;
    auto reader = Store::open(dir(), read_only());
    expect_same_answers(*writer_, *reader, probe, rng_);
  }
}

TEST_F(LazyOpenTest, KeysAtBlockBoundariesAndTheirNeighboursAreFound) {
  SnapshotFile f = contacts_file();
  KeyIndex index = parse_index(read_bytes(backups_dir(dir()) + "/" + f.index), f.index);
  auto reader = Store::open(dir(), read_only());
  std::vector<std::string> sorted;
  for (auto& [key, doc] : writer_->list("contacts")) sorted.push_back(key);
  for (const IndexBlock& b : index.blocks) {
    auto at = std::lower_bound(sorted.begin(), sorted.end(), b.first_key);
    ASSERT_NE(at, sorted.end());
    for (auto it = at == sorted.begin() ? at : at - 1; it != sorted.end() && it <= at + 1;
         ++it) {
      EXPECT_EQ(reader->get("contacts", *it), writer_->get("contacts", *it)) << *it;
      ListOptions from_here;
      from_here.from = *it;
      from_here.limit = 3;
      EXPECT_EQ(reader->list("contacts", from_here),
                writer_->list("contacts", from_here));
    }
  }
}

TEST_F(LazyOpenTest, EveryByteOfTheIndexFlippedStillGivesTheRightAnswers) {
  random_edits(100);
  SnapshotFile f = contacts_file();
  std::string path = backups_dir(dir()) + "/" + f.index;
  std::string good = read_bytes(path);
  std::vector<std::string> sample = {keys_[0], keys_[1], keys_[2999], "quote\"d",
                                     "missing"};
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    write_bytes(path, bad);
    ASSERT_FALSE(opens_lazily(dir())) << "byte " << i;
    if (i % 16 != 0 && i + 1 != good.size()) continue;  // a full open per 16 bytes
    auto reader = Store::open(dir(), read_only());
    for (const std::string& key : sample)
      ASSERT_EQ(reader->get("contacts", key), writer_->get("contacts", key)) << i;
    ASSERT_EQ(reader->count("contacts"), writer_->count("contacts")) << i;
  }
  write_bytes(path, good);
  EXPECT_TRUE(opens_lazily(dir()));
}

TEST_F(LazyOpenTest, AnIndexOfAnotherFileOrTruncatedIsNotUsed) {
  SnapshotFile f = contacts_file();
  std::string path = backups_dir(dir()) + "/" + f.index;
  std::string good = read_bytes(path);
  write_bytes(path, good.substr(0, good.size() / 2));
  EXPECT_FALSE(opens_lazily(dir()));
  KeyIndex other = parse_index(good, f.index);
  other.file_xxh3 ^= 1;  // checksummed anew, but of another file
  write_bytes(path, serialize_index(other));
  EXPECT_FALSE(opens_lazily(dir()));
  auto reader = Store::open(dir(), read_only());
  EXPECT_EQ(reader->list("contacts"), writer_->list("contacts"));
}

TEST_F(LazyOpenTest, ADamagedBlockGivesTheSameAnswersAsAFullOpen) {
  writer_->put("contacts", "in the tail", R"({"t":1})");
  writer_->remove("contacts", keys_[7]);
  SnapshotFile f = contacts_file();
  std::string path = backups_dir(dir()) + "/" + f.index;
  std::string json_path = backups_dir(dir()) + "/" + f.file;
  std::string json = read_bytes(json_path);
  json[json.size() / 2] = json[json.size() / 2] == 'q' ? 'r' : 'q';  // inside a document
  write_bytes(json_path, json);
  // The index still verifies: the open is lazy until it reads that block.
  ASSERT_TRUE(opens_lazily(dir()));
  auto lazy = Store::open(dir(), read_only());
  EXPECT_EQ(lazy->list("contacts"), writer_->list("contacts"));
  for (const std::string& key : keys_)
    ASSERT_EQ(lazy->get("contacts", key), writer_->get("contacts", key)) << key;
  std::remove(path.c_str());  // a full open, for comparison
  ASSERT_FALSE(opens_lazily(dir()));
  auto full = Store::open(dir(), read_only());
  EXPECT_EQ(full->list("contacts"), lazy->list("contacts"));
  EXPECT_FALSE(full->recovery().snapshot_fallbacks.empty());
}

TEST_F(LazyOpenTest, AListingThatMeetsADamagedBlockGoesOnWithoutRepeatingAKey) {
  SnapshotFile f = contacts_file();
  std::string json_path = backups_dir(dir()) + "/" + f.file;
  std::string json = read_bytes(json_path);
  json[json.size() - 100] = json[json.size() - 100] == 'q' ? 'r' : 'q';  // the last block
  write_bytes(json_path, json);
  auto lazy = Store::open(dir(), read_only());
  Docs seen;
  uint64_t n =
      lazy->list("contacts", {}, [&seen](std::string_view k, std::string_view d) {
        seen.emplace_back(k, d);
        return true;
      });
  EXPECT_EQ(n, seen.size());
  EXPECT_EQ(seen, writer_->list("contacts"));
}

TEST_F(LazyOpenTest, RecoveryReportsAnIndexFoundDamagedAtOpen) {
  SnapshotFile f = contacts_file();
  std::string path = backups_dir(dir()) + "/" + f.index;
  std::string bytes = read_bytes(path);
  bytes[60] ^= 0x01;  // inside the first block's entry
  write_bytes(path, bytes);
  auto reader = Store::open(dir(), read_only());
  const RecoveryReport& report = reader->recovery();
  ASSERT_EQ(report.index_fallbacks.size(), 1u) << report.summary();
  EXPECT_EQ(report.index_fallbacks[0].file, "backups/" + f.index);
  EXPECT_EQ(report.index_fallbacks[0].offset, bytes.size() - kIndexTrailerBytes);
  EXPECT_NE(report.summary().find("read in full: backups/" + f.index), std::string::npos)
      << report.summary();
  EXPECT_TRUE(report.snapshot_fallbacks.empty()) << "the JSON file is whole";
  EXPECT_EQ(reader->list("contacts"), writer_->list("contacts"));
}

TEST_F(LazyOpenTest, RecoveryReportsAMissingIndex) {
  SnapshotFile f = contacts_file();
  std::remove((backups_dir(dir()) + "/" + f.index).c_str());
  RecoveryReport report = Store::open(dir(), read_only())->recovery();
  ASSERT_EQ(report.index_fallbacks.size(), 1u) << report.summary();
  EXPECT_EQ(report.index_fallbacks[0].file, "backups/" + f.index);
  EXPECT_NE(report.index_fallbacks[0].reason.find("missing"), std::string::npos);
}

TEST_F(LazyOpenTest, RecoveryReportsABlockFoundDamagedByALaterRead) {
  SnapshotFile f = contacts_file();
  std::string json_path = backups_dir(dir()) + "/" + f.file;
  std::string json = read_bytes(json_path);
  size_t at = json.size() / 2;
  json[at] = json[at] == 'q' ? 'r' : 'q';  // inside a document
  write_bytes(json_path, json);
  auto reader = Store::open(dir(), read_only());
  ASSERT_TRUE(reader->recovery().index_fallbacks.empty()) << "lazy until the block";
  std::string lazy_summary = reader->recovery().summary();
  EXPECT_EQ(reader->list("contacts"), writer_->list("contacts"));
  const RecoveryReport& report = reader->recovery();
  ASSERT_EQ(report.index_fallbacks.size(), 1u) << report.summary();
  const Damage& d = report.index_fallbacks[0];
  EXPECT_EQ(d.file, "backups/" + f.file);
  EXPECT_LE(d.offset, at);
  EXPECT_GT(d.offset + kIndexBlockBytes + 4096, at);  // the block that holds it
  EXPECT_NE(d.reason.find("whole instead"), std::string::npos) << d.reason;
  // The full load checked the file against the manifest and passed over it.
  ASSERT_FALSE(report.snapshot_fallbacks.empty()) << report.summary();
  EXPECT_EQ(report.snapshot_fallbacks[0].file, "backups/" + f.file);
  EXPECT_NE(report.summary(), lazy_summary);
}

TEST_F(LazyOpenTest, AFileWithoutAnIndexIsNoDamageToReport) {
  std::string backups = backups_dir(dir());
  SnapshotInfo info = list_snapshots(*posix_file_system(), backups).front();
  for (auto& f : info.files) f.index.clear();
  write_bytes(backups + "/" + info.manifest_name(), serialize_manifest(info));
  auto reader = Store::open(dir(), read_only());
  EXPECT_TRUE(reader->recovery().index_fallbacks.empty()) << reader->recovery().summary();
}

TEST_F(LazyOpenTest, AManifestWithoutIndexesIsReadInFull) {
  writer_->put("contacts", "after", R"({"a":1})");
  std::string backups = backups_dir(dir());
  SnapshotInfo info = list_snapshots(*posix_file_system(), backups).front();
  for (auto& f : info.files) f.index.clear();
  write_bytes(backups + "/" + info.manifest_name(), serialize_manifest(info));
  ASSERT_FALSE(opens_lazily(dir()));
  auto reader = Store::open(dir(), read_only());
  EXPECT_EQ(reader->list("contacts"), writer_->list("contacts"));
  EXPECT_EQ(reader->get("contacts", "after"), R"({"a":1})");
}

TEST_F(LazyOpenTest, WholeStateReadsLoadInFullAndAgree) {
  random_edits(200);
  auto reader = Store::open(dir(), read_only());
  EXPECT_EQ(reader->count("contacts"), writer_->count("contacts"));
  EXPECT_EQ(reader->state(), writer_->state());
  // After the full load, the reads still agree.
  EXPECT_EQ(reader->get("contacts", keys_[5]), writer_->get("contacts", keys_[5]));
  EXPECT_EQ(reader->list("notes"), writer_->list("notes"));
}

TEST_F(LazyOpenTest, RetentionRemovingTheSnapshotDoesNotDisturbAnOpenReader) {
  auto reader = Store::open(dir(), read_only());
  auto expected = writer_->list("contacts");
  writer_->put("contacts", "new", R"({"n":1})");
  writer_->compact();
  writer_->retain_backups(1);
  EXPECT_EQ(reader->list("contacts"), expected);
  EXPECT_EQ(reader->get("contacts", "new"), std::nullopt);
}

// --- The tail starts at the snapshot (Compactor step 0, JournalWriter::roll) ---

// Journal bytes a lazy open of dir reads, counted through a FaultFileSystem's
// read hook: the scan reads each segment it visits whole (read_file).
struct TailRead {
  uint64_t journal_bytes = 0;
  uint64_t records = 0;
  std::optional<std::string> got;  // contacts/probe
};

TailRead lazy_open_reading(const std::string& dir, const std::string& probe) {
  auto fs = std::make_shared<testing::FaultFileSystem>();
  std::atomic<uint64_t> bytes{0};
  fs->set_hook(testing::FsOp::kRead, [&bytes](const std::string& path) {
    if (path.find("/journal/") != std::string::npos && path.ends_with(".log"))
      bytes += posix_file_system()->file_size(path);
  });
  RecoverOptions options;
  std::unique_ptr<LazyState> lazy = LazyState::open(*fs, dir, options);
  fs->set_hook(testing::FsOp::kRead, nullptr);
  if (!lazy) {
    ADD_FAILURE() << "not opened lazily";
    return {};
  }
  return {bytes.load(), lazy->report().records_replayed, lazy->get("contacts", probe)};
}

// A snapshot taken when the journal's one segment is nearly full: a lazy
// open reads the segment the compaction started (its header, then the
// records after the snapshot), not the full one; beside the live writer
// (whose durable end names the new segment) and after it has closed.
TEST(LazyOpenTailTest, SnapshotAtTheEndOfANearlyFullSegmentReadsOnlyWhatFollowsIt) {
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/store";
  Options options = writer_options();
  options.segment_bytes = 4 << 20;
  auto writer = Store::open(dir, options);
  std::mt19937 rng(7);
  for (int c = 0; c < 100; ++c) {  // 10,000 documents, about 3 MiB of journal
    std::vector<Operation> ops;
    for (int i = 0; i < 100; ++i) {
      ops.push_back({OpKind::kPut, "contacts", "k" + std::to_string(c * 100 + i),
                     doc_for(rng, 250)});
    }
    writer->commit(std::move(ops));
  }
  auto journal = list_segments(*posix_file_system(), journal_dir(dir));
  ASSERT_EQ(journal.size(), 1u);
  const uint64_t full_segment = journal.front().bytes;
  ASSERT_GT(full_segment, 2u << 20);
  writer->compact();

  TailRead beside = lazy_open_reading(dir, "k5000");
  EXPECT_LT(beside.journal_bytes, full_segment / 100) << "read the full segment";
  EXPECT_EQ(beside.records, 0u);
  EXPECT_EQ(beside.got, writer->get("contacts", "k5000"));

  writer->put("contacts", "k5000", R"({"after":1})");
  writer->remove("contacts", "k7");
  writer.reset();
  TailRead after = lazy_open_reading(dir, "k5000");
  EXPECT_LT(after.journal_bytes, full_segment / 100) << "read the full segment";
  EXPECT_EQ(after.records, 2u);
  EXPECT_EQ(after.got, std::optional<std::string>(R"({"after":1})"));
  auto reader = Store::open(dir, read_only());
  EXPECT_EQ(reader->get("contacts", "k7"), std::nullopt);
  EXPECT_EQ(reader->count("contacts"), 9999u);
}

}  // namespace
}  // namespace pa_journal
