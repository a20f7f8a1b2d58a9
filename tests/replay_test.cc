// Tests of the replay engine (replay/state.h, replay/recovery.h): replaying a
// random history from the start, from each snapshot, or up to a time gives the
// same state as an independent model of the store; damaged snapshots are never
// loaded, the open falls back to an older one and says so, and a journal whose
// beginning is gone is not mistaken for a whole one.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "journal/journal_reader.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "replay/recovery.h"
#include "replay/state.h"
#include "snapshot/catalogue.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

constexpr int64_t kStartNs = 1'795'600'800'000'000'000;  // 2026-11-25T10:00:00Z
constexpr int64_t kTickNs = 1'000'000;                   // 1 ms per commit

// RFC 7396, written out independently of the library under test.
json merge(json target, const json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object();
  for (const auto& [name, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(name);
    } else {
      target[name] = merge(target.contains(name) ? target[name] : json(), value);
    }
  }
  return target;
}

// The model: what the store must hold after a sequence of accepted commits.
class Oracle {
 public:
  void apply(const Operation& op) {
    auto& docs = collections_[op.collection];  // a touched collection exists
    switch (op.kind) {
      case OpKind::kPut:
        docs[op.key] = json::parse(op.document);
        break;
      case OpKind::kPatch: {
        auto it = docs.find(op.key);
        docs[op.key] =
            merge(it == docs.end() ? json() : it->second, json::parse(op.document));
        break;
      }
      case OpKind::kDelete:
        docs.erase(op.key);
        break;
    }
  }
  bool has(const std::string& collection, const std::string& key) const {
    auto c = collections_.find(collection);
    return c != collections_.end() && c->second.count(key) > 0;
  }
  Collections dump() const {
    Collections out;
    for (const auto& [name, docs] : collections_) {
      auto& collection = out[name];
      for (const auto& [key, doc] : docs) collection[key] = doc.dump();
    }
    return out;
  }
  uint64_t hash() const {
    State state;
    state.load(dump(), 0, 0);
    return state.hash();
  }

 private:
  std::map<std::string, std::map<std::string, json>> collections_;
};

Collections store_state(const Store& store) { return store.state(); }

// Random documents, patches and commits from one seed.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::string collection() {
    static const char* names[] = {"contacts", "notes", "config", "misc_1"};
    return names[below(4)];
  }
  std::string key() {
    static const char* keys[] = {"alice",      "bob", "carol",        "Zoë",
                                 "日本",       "😀",   "quote\"key",   "back\\slash",
                                 "with space", "k-1", "{\"json\":1}", "z"};
    return keys[below(12)];
  }
  json scalar() {
    switch (below(7)) {
      case 0:
        return nullptr;
      case 1:
        return chance(0.5);
      case 2:
        return static_cast<int64_t>(below(2000)) - 1000;
      case 3:
        return static_cast<double>(below(64)) / 8.0;
      case 4:
        return "s" + std::to_string(below(100));
      case 5:
        return "ünï\"cødé\\\n" + std::to_string(below(10));
      default:
        return "";
    }
  }
  json value(int depth) {
    if (depth >= 3 || chance(0.6)) return scalar();
    if (chance(0.5)) {
      json array = json::array();
      for (size_t i = below(4); i > 0; --i) array.push_back(value(depth + 1));
      return array;
    }
    return object(depth + 1, /*nulls=*/false);
  }
  json object(int depth, bool nulls) {
    static const char* fields[] = {"name", "n", "tags", "nested", "flag", "x", "ключ"};
    json doc = json::object();
    for (size_t i = below(4) + 1; i > 0; --i) {
      std::string field = fields[below(7)];
      if (nulls && chance(0.3)) {
        doc[field] = nullptr;  // in a patch: remove the member
      } else if (nulls && chance(0.3)) {
        doc[field] = object(depth + 1, true);  // a nested patch
      } else {
        doc[field] = value(depth);
      }
    }
    return doc;
  }
  std::string document() {
    json doc = chance(0.9) ? object(0, false) : value(0);
    // Send it with whitespace: the store must keep it compact.
    return chance(0.5) ? doc.dump(2) : doc.dump();
  }
  std::string patch() {
    json patch = chance(0.9) ? object(0, true) : value(1);
    return patch.dump();
  }

  // A valid commit of 1 to 4 operations against model (applied to it).
  std::vector<Operation> commit(Oracle& model) {
    std::vector<Operation> ops;
    size_t count = chance(0.7) ? 1 : 2 + below(3);
    for (size_t i = 0; i < count; ++i) {
      Operation op;
      op.collection = collection();
      op.key = key();
      bool exists = model.has(op.collection, op.key);
      size_t pick = below(100);
      if (!exists || pick < 40) {
        op.kind = OpKind::kPut;
        op.document = document();
      } else if (pick < 75) {
        op.kind = OpKind::kPatch;
        op.document = patch();
      } else {
        op.kind = OpKind::kDelete;
      }
      Operation canonical = op;
      if (op.kind != OpKind::kDelete) {
        canonical.document = json::parse(op.document).dump();
      }
      model.apply(canonical);
      ops.push_back(std::move(op));
    }
    return ops;
  }

 private:
  std::mt19937 rng_;
};

// A clock that advances one tick per reading, from a fixed start.
std::function<int64_t()> ticking_clock() {
  auto now = std::make_shared<std::atomic<int64_t>>(kStartNs);
  return [now] { return now->fetch_add(kTickNs); };
}

// A store built from a random history, with the model's state after every
// commit and the commit times.
struct History {
  Oracle model;
  std::map<uint64_t, uint64_t> hash_at;  // seq -> model hash after it
  std::map<uint64_t, int64_t> time_at;   // seq -> commit time
  std::vector<uint64_t> snapshot_seqs;   // in the order they were made
  uint64_t last_seq = 0;
};

Options history_options() {
  Options options;
  options.durability = Durability::kNone;  // speed; close syncs
  options.auto_compact = false;
  options.backup_count = 1000;
  options.clock_ns = ticking_clock();
  return options;
}

// Makes `commits` random commits in dir, compacting a third and two thirds of
// the way and now and then (unless compact_chance is negative: never).
History make_history(const std::string& dir, uint32_t seed, size_t commits,
                     Options options = history_options(), double compact_chance = 0.06) {
  History h;
  Generator gen(seed);
  auto store = Store::open(dir, options);
  h.hash_at[0] = h.model.hash();
  for (size_t i = 1; i <= commits; ++i) {
    CommitResult r = store->commit(gen.commit(h.model));
    EXPECT_EQ(r.seq, i);
    h.hash_at[r.seq] = h.model.hash();
    h.time_at[r.seq] = r.time_ns;
    h.last_seq = r.seq;
    bool compact = compact_chance >= 0 && (i == commits / 3 || i == 2 * commits / 3 ||
                                           gen.chance(compact_chance));
    if (compact) {
      CompactionResult c = store->compact();
      EXPECT_EQ(c.seq, r.seq);
      EXPECT_FALSE(c.snapshot_id.empty());
      h.snapshot_seqs.push_back(c.seq);
    }
  }
  EXPECT_EQ(store_state(*store), h.model.dump())
      << "the live store differs from the model";
  return h;
}

Recovered recover_with(const std::string& dir, RecoverOptions options) {
  return recover(*posix_file_system(), dir, options);
}

// --- Replay equivalence ---

class ReplayEquivalenceTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReplayEquivalenceTest, EveryWayOfReplayingGivesTheModelState) {
  TempDir dir;
  const uint32_t seed = GetParam();
  History h = make_history(dir.path(), seed, 150);
  const uint64_t expected = h.hash_at[h.last_seq];
  ASSERT_GE(h.snapshot_seqs.size(), 2u);

  // The whole journal, no snapshot.
  RecoverOptions whole;
  whole.use_snapshots = false;
  Recovered full = recover_with(dir.path(), whole);
  EXPECT_TRUE(full.report.snapshot_id.empty());
  EXPECT_EQ(full.report.records_replayed, h.last_seq);
  EXPECT_EQ(full.state.last_seq(), h.last_seq);
  EXPECT_EQ(full.state.hash(), expected);
  EXPECT_EQ(full.state.collections(), h.model.dump());

  // Each snapshot, then the records after it.
  auto snapshots = list_snapshots(*posix_file_system(), dir / "backups");
  ASSERT_EQ(snapshots.size(), h.snapshot_seqs.size());
  for (const auto& info : snapshots) {
    SCOPED_TRACE("snapshot " + info.id + " at seq " + std::to_string(info.seq));
    State at_snapshot;
    at_snapshot.load(load_snapshot(*posix_file_system(), dir / "backups", info), info.seq,
                     info.time_ns);
    EXPECT_EQ(at_snapshot.hash(), h.hash_at[info.seq]);
    EXPECT_EQ(info.time_ns, h.time_at[info.seq]);

    RecoverOptions from_snapshot;
    from_snapshot.max_snapshot_seq = info.seq;
    Recovered r = recover_with(dir.path(), from_snapshot);
    EXPECT_EQ(r.report.snapshot_id, info.id);
    EXPECT_EQ(r.report.snapshot_seq, info.seq);
    EXPECT_TRUE(r.report.snapshot_fallbacks.empty());
    EXPECT_EQ(r.report.records_replayed, h.last_seq - info.seq);
    EXPECT_EQ(r.state.last_seq(), h.last_seq);
    EXPECT_EQ(r.state.hash(), expected);
  }

  // Up to a time, with and without snapshots.
  Generator pick(seed + 1000);
  for (int i = 0; i < 6; ++i) {
    uint64_t seq = 1 + pick.below(h.last_seq);
    for (bool use_snapshots : {true, false}) {
      RecoverOptions until;
      until.until_ns = h.time_at[seq];
      until.use_snapshots = use_snapshots;
      Recovered r = recover_with(dir.path(), until);
      EXPECT_EQ(r.state.last_seq(), seq) << "until seq " << seq;
      EXPECT_EQ(r.state.hash(), h.hash_at[seq]) << "until seq " << seq;
      if (use_snapshots) {
        EXPECT_LE(r.report.snapshot_seq, seq);
      }
    }
  }

  // And reopening the store.
  auto store = Store::open(dir.path(), history_options());
  EXPECT_EQ(store->recovery().snapshot_seq, h.snapshot_seqs.back());
  EXPECT_EQ(store->last_seq(), h.last_seq);
  EXPECT_EQ(store_state(*store), h.model.dump());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplayEquivalenceTest, ::testing::Range<uint32_t>(1, 31));

TEST(SegmentedReplayTest, ManySegmentsReplayTheSameAsOne) {
  TempDir one, many;
  Options small = history_options();
  small.segment_bytes = 512;
  History a = make_history(one.path(), 77, 200, history_options(), -1);
  History b = make_history(many.path(), 77, 200, small, -1);
  EXPECT_GT(testing::segment_count(many.path()), 10u);
  RecoverOptions whole;
  whole.use_snapshots = false;
  EXPECT_EQ(recover_with(one.path(), whole).state.hash(), a.hash_at[a.last_seq]);
  EXPECT_EQ(recover_with(many.path(), whole).state.hash(), b.hash_at[b.last_seq]);
  EXPECT_EQ(a.hash_at[a.last_seq], b.hash_at[b.last_seq]);
}

// --- Falling back from damaged snapshots ---

// A store with snapshots at seq 10, 20 and 30 and records up to 40, all in one
// segment, so that the journal still holds every record.
class SnapshotFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options = history_options();
    Generator gen(4242);
    auto store = Store::open(dir_.path(), options);
    for (uint64_t seq = 1; seq <= 40; ++seq) {
      store->commit(gen.commit(model_));
      if (seq % 10 == 0 && seq < 40) {
        snapshot_ids_.push_back(store->compact().snapshot_id);
        hash_at_snapshot_.push_back(model_.hash());
      }
    }
    expected_ = model_.dump();
    ASSERT_EQ(snapshot_ids_.size(), 3u);
    // The newest snapshot's files are plain JSON, the older ones' compressed.
    for (const auto& s : list_snapshots(*posix_file_system(), dir_ / "backups")) {
      for (const auto& f : s.files)
        if (f.collection == "contacts") contacts_files_[s.id] = f.file;
    }
  }

  std::string backup(const std::string& name) const { return dir_ / ("backups/" + name); }
  std::string manifest(size_t i) const {
    return backup(snapshot_ids_[i] + kManifestSuffix);
  }
  // As its manifest names it (compaction compresses all but the newest).
  std::string contacts_file(size_t i) const {
    return backup(contacts_files_.at(snapshot_ids_[i]));
  }

  // Opens the store and checks that it loaded snapshot `loaded` (or none, if
  // -1), reported `fallbacks` passed-over snapshots, and holds every record.
  std::unique_ptr<Store> expect_open(int loaded, size_t fallbacks) {
    auto store = Store::open(dir_.path(), history_options());
    const RecoveryReport& report = store->recovery();
    if (loaded < 0) {
      EXPECT_TRUE(report.snapshot_id.empty());
      EXPECT_EQ(report.snapshot_seq, 0u);
      EXPECT_EQ(report.records_replayed, 40u);
    } else {
      EXPECT_EQ(report.snapshot_id, snapshot_ids_[loaded]);
      EXPECT_EQ(report.snapshot_seq, 10u * (loaded + 1));
      EXPECT_EQ(report.records_replayed, 40u - 10u * (loaded + 1));
    }
    EXPECT_EQ(report.snapshot_fallbacks.size(), fallbacks) << report.summary();
    EXPECT_TRUE(report.damage.empty()) << report.summary();
    EXPECT_EQ(store->last_seq(), 40u);
    EXPECT_EQ(store_state(*store), expected_);
    return store;
  }

  void expect_fallback_names(const std::unique_ptr<Store>& store,
                             const std::string& file) {
    const auto& fallbacks = store->recovery().snapshot_fallbacks;
    ASSERT_FALSE(fallbacks.empty());
    EXPECT_EQ(fallbacks[0].file, file) << fallbacks[0].describe();
    EXPECT_EQ(fallbacks[0].kind, Damage::Kind::kCorruption);
    EXPECT_NE(store->recovery().summary().find("passed over"), std::string::npos);
  }

  TempDir dir_;
  Oracle model_;
  Collections expected_;
  std::map<std::string, std::string> contacts_files_;  // snapshot id -> file
  std::vector<std::string> snapshot_ids_;
  std::vector<uint64_t> hash_at_snapshot_;
};

TEST_F(SnapshotFallbackTest, IntactSnapshotsLoadTheNewest) { expect_open(2, 0); }

TEST_F(SnapshotFallbackTest, CorruptNewestManifestFallsBackToTheOlderSnapshot) {
  std::string text = read_bytes(manifest(2));
  text[text.size() / 2] ^= 0x04;
  write_bytes(manifest(2), text);
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/" + snapshot_ids_[2] + kManifestSuffix);
}

TEST_F(SnapshotFallbackTest, TruncatedNewestManifestFallsBackToTheOlderSnapshot) {
  std::string text = read_bytes(manifest(2));
  write_bytes(manifest(2), text.substr(0, text.size() - 20));
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/" + snapshot_ids_[2] + kManifestSuffix);
}

TEST_F(SnapshotFallbackTest, EmptyNewestManifestFallsBackToTheOlderSnapshot) {
  write_bytes(manifest(2), "");
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/" + snapshot_ids_[2] + kManifestSuffix);
}

TEST_F(SnapshotFallbackTest, MissingNewestManifestFallsBackToTheOlderSnapshot) {
  // Its collection files are still there: a snapshot whose manifest is lost
  // (or was never written) is passed over, and the open says so.
  std::filesystem::remove(manifest(2));
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/" + snapshot_ids_[2] + kManifestSuffix);
}

TEST_F(SnapshotFallbackTest, CorruptNewestCollectionFileFallsBackToTheOlderSnapshot) {
  std::string text = read_bytes(contacts_file(2));
  text[text.size() / 2] ^= 0x01;
  write_bytes(contacts_file(2), text);
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/contacts_" + snapshot_ids_[2] + ".json");
}

TEST_F(SnapshotFallbackTest, TruncatedNewestCollectionFileFallsBackToTheOlderSnapshot) {
  std::string text = read_bytes(contacts_file(2));
  write_bytes(contacts_file(2), text.substr(0, text.size() - 1));
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/contacts_" + snapshot_ids_[2] + ".json");
}

TEST_F(SnapshotFallbackTest, MissingNewestCollectionFileFallsBackToTheOlderSnapshot) {
  std::filesystem::remove(contacts_file(2));
  auto store = expect_open(1, 1);
  expect_fallback_names(store, "backups/contacts_" + snapshot_ids_[2] + ".json");
}

TEST_F(SnapshotFallbackTest, TwoDamagedSnapshotsFallBackTwice) {
  std::filesystem::remove(contacts_file(2));
  write_bytes(manifest(1), "{}");
  auto store = expect_open(0, 2);
  // Newest first.
  const auto& fallbacks = store->recovery().snapshot_fallbacks;
  EXPECT_EQ(fallbacks[0].file, "backups/contacts_" + snapshot_ids_[2] + ".json");
  EXPECT_EQ(fallbacks[1].file, "backups/" + snapshot_ids_[1] + kManifestSuffix);
}

TEST_F(SnapshotFallbackTest, AllSnapshotsDamagedReplaysFromTheFirstRecord) {
  std::filesystem::remove(contacts_file(2));
  write_bytes(manifest(1), "garbage");
  std::string text = read_bytes(contacts_file(0));
  text[3] ^= 0x20;
  write_bytes(contacts_file(0), text);
  expect_open(-1, 3);
}

TEST_F(SnapshotFallbackTest, ReadOnlyRecoveryFallsBackTheSameWay) {
  write_bytes(contacts_file(2), "{}");
  Recovered r = recover_with(dir_.path(), {});
  EXPECT_EQ(r.report.snapshot_seq, 20u);
  EXPECT_EQ(r.report.snapshot_fallbacks.size(), 1u);
  EXPECT_EQ(r.state.collections(), expected_);
  // A read-only recovery changes nothing on disk.
  EXPECT_EQ(read_bytes(contacts_file(2)), "{}");
  EXPECT_EQ(verify_store(dir_.path()).damage.size(), 1u);
}

TEST_F(SnapshotFallbackTest, ALaterCompactionReplacesTheDamagedSnapshot) {
  write_bytes(contacts_file(2), "{}");
  auto store = expect_open(1, 1);
  // The store knows it has no good snapshot at seq 30 or later, so a
  // compaction with nothing new since still writes one.
  CompactionResult c = store->compact();
  EXPECT_FALSE(c.snapshot_id.empty());
  EXPECT_EQ(c.seq, 40u);
  store.reset();
  auto reopened = Store::open(dir_.path(), history_options());
  EXPECT_EQ(reopened->recovery().snapshot_seq, 40u);
  EXPECT_TRUE(reopened->recovery().snapshot_fallbacks.empty());
  EXPECT_EQ(store_state(*reopened), expected_);
}

// --- When the journal no longer holds the beginning ---

// Compactions with few kept snapshots and small segments, so the segments
// before the oldest kept snapshot are gone.
class TrimmedJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options = trimmed_options();
    Generator gen(99);
    auto store = Store::open(dir_.path(), options);
    for (uint64_t seq = 1; seq <= 120; ++seq) {
      store->commit(gen.commit(model_));
      if (seq % 20 == 0 && seq < 120) kept_.push_back(store->compact());
    }
    expected_ = model_.dump();
    auto segments = list_segments(*posix_file_system(), dir_ / "journal");
    ASSERT_GT(segments.size(), 2u);
    first_seq_ = segments.front().first_seq;
    ASSERT_GT(first_seq_, 1u) << "compaction deleted no segment";
  }

  static Options trimmed_options() {
    Options options = history_options();
    options.segment_bytes = 1024;
    options.backup_count = 2;
    return options;
  }

  std::string backup(const std::string& name) const { return dir_ / ("backups/" + name); }

  void damage_every_snapshot() {
    for (const auto& info : list_snapshots(*posix_file_system(), dir_ / "backups")) {
      write_bytes(backup(info.files.front().file), "{\"damaged\": true}\n");
    }
  }

  TempDir dir_;
  Oracle model_;
  Collections expected_;
  std::vector<CompactionResult> kept_;
  uint64_t first_seq_ = 0;
};

TEST_F(TrimmedJournalTest, OldestKeptSnapshotStillOpensWhenTheNewerOnesAreDamaged) {
  auto snapshots = list_snapshots(*posix_file_system(), dir_ / "backups");
  ASSERT_EQ(snapshots.size(), 2u);
  write_bytes(backup(snapshots[0].manifest_name()), "x");
  auto store = Store::open(dir_.path(), trimmed_options());
  EXPECT_EQ(store->recovery().snapshot_seq, snapshots[1].seq);
  EXPECT_EQ(store->recovery().snapshot_fallbacks.size(), 1u);
  EXPECT_EQ(store_state(*store), expected_);
}

TEST_F(TrimmedJournalTest, AllSnapshotsDamagedIsMissingRecordsInTolerateTail) {
  damage_every_snapshot();
  std::string segment = testing::segment_path(dir_.path(), 0);
  std::string before = read_bytes(segment);
  size_t segments_before = testing::segment_count(dir_.path());
  try {
    Store::open(dir_.path(), trimmed_options());
    FAIL() << "opened a journal that starts at seq " << first_seq_
           << " with no snapshot to cover what is before it";
  } catch (const CorruptedDataError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("missing records"), std::string::npos) << what;
    EXPECT_NE(what.find("records 1.." + std::to_string(first_seq_ - 1)),
              std::string::npos)
        << what;
  }
  // The refusal changed nothing.
  EXPECT_EQ(read_bytes(segment), before);
  EXPECT_EQ(testing::segment_count(dir_.path()), segments_before);

  // Read-only recovery and replay refuse the same way.
  EXPECT_THROW(recover_with(dir_.path(), {}), CorruptedDataError);
  Options read_only = trimmed_options();
  read_only.read_only = true;
  EXPECT_THROW(Store::open(dir_.path(), read_only), CorruptedDataError);
  RecoverOptions strict;
  strict.mode = RecoveryMode::kStrict;
  EXPECT_THROW(recover_with(dir_.path(), strict), CorruptedDataError);
}

TEST_F(TrimmedJournalTest, AllSnapshotsDamagedSalvageReportsExactlyWhatIsMissing) {
  damage_every_snapshot();
  RecoverOptions salvage;
  salvage.mode = RecoveryMode::kSalvage;
  Recovered r = recover_with(dir_.path(), salvage);
  ASSERT_EQ(r.report.damage.size(), 1u) << r.report.summary();
  EXPECT_EQ(r.report.damage[0].kind, Damage::Kind::kMissingRecords);
  EXPECT_EQ(r.report.damage[0].first_seq, 1u);
  EXPECT_EQ(r.report.damage[0].last_seq, first_seq_ - 1);
  EXPECT_EQ(r.report.first_seq, first_seq_);
  EXPECT_EQ(r.report.last_seq, 120u);
}

TEST_F(TrimmedJournalTest, ReplayWithoutSnapshotsIsRefusedToo) {
  RecoverOptions whole;
  whole.use_snapshots = false;
  EXPECT_THROW(recover_with(dir_.path(), whole), CorruptedDataError);
}

TEST_F(TrimmedJournalTest, ATimeBeforeTheOldestSnapshotIsNotAnsweredWithAPartialState) {
  // The state at the first commit is no longer restorable: the answer must be
  // a refusal, never the records that happen to be left.
  auto snapshots = list_snapshots(*posix_file_system(), dir_ / "backups");
  RecoverOptions until;
  until.until_ns = snapshots.back().time_ns - 1;
  EXPECT_THROW(recover_with(dir_.path(), until), CorruptedDataError);
  // From the oldest kept snapshot on, every moment is restorable.
  until.until_ns = snapshots.back().time_ns;
  Recovered r = recover_with(dir_.path(), until);
  EXPECT_EQ(r.state.last_seq(), snapshots.back().seq);
}

}  // namespace
}  // namespace pa_journal
