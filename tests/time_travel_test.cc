// Point-in-time reads and restores (time_travel.h, Store::restore_to and
// Store::plan_restore) against an oracle: random histories, seeded, with
// commit times from a clock the test moves by hand (strictly increasing steps
// and some equal times), compactions at random points, and small segments and
// backup counts so that retention deletes journal segments. The oracle is a
// map that replays the same operations (nlohmann::json merge_patch for
// patches) and remembers the state after every commit.
#include "pa_journal/time_travel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
// 2021-01-01T00:00:00Z: every commit time of these tests lies in the past, so
// that the refusal of future times (against the system clock) never gets in
// the way.
constexpr int64_t kBase = int64_t{1'609'459'200} * kSecond;

// The commit clock of a store, moved by hand.
class TestClock {
 public:
  int64_t now() const { return now_->load(); }
  void advance(int64_t ns) { *now_ += ns; }
  std::function<int64_t()> fn() const {
    auto now = now_;
    return [now] { return now->load(); };
  }

 private:
  std::shared_ptr<std::atomic<int64_t>> now_ =
      std::make_shared<std::atomic<int64_t>>(kBase);
};

// Documents as the oracle holds them. A collection is present only while it
// holds a document.
using Docs = std::map<std::string, std::map<std::string, json>>;

Collections to_collections(const Docs& docs) {
  Collections out;
  for (const auto& [name, keys] : docs) {
    for (const auto& [key, value] : keys) out[name][key] = value.dump();
  }
  return out;
}

// A collection whose last document was deleted may or may not still be
// listed; what counts is the documents.
Collections normalized(Collections c) {
  std::erase_if(c, [](const auto& entry) { return entry.second.empty(); });
  return c;
}

void apply_op(Docs& docs, const Operation& op) {
  switch (op.kind) {
    case OpKind::kPut:
      docs[op.collection][op.key] = json::parse(op.document);
      return;
    case OpKind::kPatch:
      docs.at(op.collection).at(op.key).merge_patch(json::parse(op.document));
      return;
    case OpKind::kDelete: {
      auto& keys = docs.at(op.collection);
      keys.erase(op.key);
      if (keys.empty()) docs.erase(op.collection);
      return;
    }
  }
}

bool has_doc(const Docs& docs, const std::string& collection, const std::string& key) {
  auto c = docs.find(collection);
  return c != docs.end() && c->second.count(key) > 0;
}

struct ExpectedVersion {
  uint64_t seq = 0;
  int64_t time_ns = 0;
  OpKind op = OpKind::kPut;
  std::optional<json> value;
};

struct SnapshotMark {
  uint64_t seq = 0;
  int64_t time_ns = 0;
};

class Oracle {
 public:
  const Docs& current() const { return current_; }
  uint64_t last_seq() const { return steps_.size(); }
  int64_t last_time() const { return steps_.empty() ? 0 : steps_.back().time_ns; }
  int64_t first_time() const { return steps_.front().time_ns; }

  void commit(uint64_t seq, int64_t time_ns, const std::vector<Operation>& ops) {
    EXPECT_EQ(seq, last_seq() + 1);
    for (const auto& op : ops) {
      apply_op(current_, op);
      std::optional<json> value;
      if (has_doc(current_, op.collection, op.key)) {
        value = current_.at(op.collection).at(op.key);
      }
      versions_[{op.collection, op.key}].push_back({seq, time_ns, op.kind, value});
    }
    steps_.push_back({time_ns, current_});
  }

  // The operations a restore to `target` commits: a put of every document
  // that is added or changed, a delete of every one that goes, in collection
  // and key order.
  std::vector<Operation> restore_ops(const Docs& target) const {
    std::map<std::pair<std::string, std::string>, std::pair<const json*, const json*>>
        ids;
    for (const auto& [name, keys] : current_) {
      for (const auto& [key, value] : keys) ids[{name, key}].first = &value;
    }
    for (const auto& [name, keys] : target) {
      for (const auto& [key, value] : keys) ids[{name, key}].second = &value;
    }
    std::vector<Operation> ops;
    for (const auto& [id, pair] : ids) {
      const auto& [before, after] = pair;
      if (after == nullptr) {
        ops.push_back({OpKind::kDelete, id.first, id.second, {}});
      } else if (before == nullptr || *before != *after) {
        ops.push_back({OpKind::kPut, id.first, id.second, after->dump()});
      }
    }
    return ops;
  }

  // The documents after every record committed at or before t.
  Docs at(int64_t t) const {
    Docs none;
    const Docs* found = &none;
    for (const auto& step : steps_) {
      if (step.time_ns > t) break;
      found = &step.docs;
    }
    return *found;
  }

  const Docs& after_seq(uint64_t seq) const { return steps_.at(seq - 1).docs; }
  std::vector<int64_t> commit_times() const {
    std::vector<int64_t> times;
    for (const auto& step : steps_) times.push_back(step.time_ns);
    return times;
  }
  const std::map<std::pair<std::string, std::string>, std::vector<ExpectedVersion>>&
  versions() const {
    return versions_;
  }

  // Retention as the contract states it.
  void note_snapshot(uint64_t seq, int64_t time_ns, size_t keep) {
    snapshots_.push_back({seq, time_ns});
    while (snapshots_.size() > keep) snapshots_.erase(snapshots_.begin());
  }
  void note_segments_removed() { journal_starts_at_one_ = false; }
  bool journal_starts_at_one() const { return journal_starts_at_one_; }
  const std::vector<SnapshotMark>& snapshots() const {
    return snapshots_;
  }  // oldest first
  int64_t window_from() const {
    return journal_starts_at_one_ ? first_time() : snapshots_.front().time_ns;
  }
  int64_t newest_snapshot_time() const { return snapshots_.back().time_ns; }

 private:
  struct Step {
    int64_t time_ns = 0;
    Docs docs;
  };
  Docs current_;
  std::vector<Step> steps_;  // steps_[seq - 1]: after record seq
  std::map<std::pair<std::string, std::string>, std::vector<ExpectedVersion>> versions_;
  std::vector<SnapshotMark> snapshots_;
  bool journal_starts_at_one_ = true;
};

// The message of the InvalidInputError that fn throws; a failure if it throws
// nothing.
std::string refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidInputError";
  return {};
}

// Every file under dir with its bytes.
std::map<std::string, std::string> files_under(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[entry.path().string()] = testing::read_bytes(entry.path().string());
    }
  }
  return files;
}

std::string journal_bytes(const std::string& dir) {
  std::string all;
  for (const auto& [path, bytes] : files_under(dir + "/journal"))
    all += path + "\n" + bytes;
  return all;
}

std::string time_text(int64_t t) { return format_time_ns(t); }

using ChangeTuple = std::tuple<std::string, std::string, std::optional<std::string>,
                               std::optional<std::string>>;

std::vector<ChangeTuple> as_tuples(const std::vector<DocumentChange>& changes) {
  std::vector<ChangeTuple> out;
  for (const auto& c : changes) out.emplace_back(c.collection, c.key, c.before, c.after);
  return out;
}

// A store with a hand-moved clock and its oracle.
class TimeTravelTest : public ::testing::Test {
 protected:
  void open(size_t backup_count, uint64_t segment_bytes) {
    options_.clock_ns = clock_.fn();
    options_.auto_compact = false;
    options_.backup_count = backup_count;
    options_.segment_bytes = segment_bytes;
    options_.durability = Durability::kNone;
    store_ = Store::open(dir_.path(), options_);
  }

  const std::string& dir() const { return dir_.path(); }

  CommitResult commit(const std::vector<Operation>& ops) {
    CommitResult r = store_->commit(ops);
    EXPECT_GE(r.time_ns, clock_.now());  // later when the clock stands still
    oracle_.commit(r.seq, r.time_ns, ops);
    return r;
  }
  CommitResult put(const std::string& c, const std::string& k, const json& v) {
    return commit({{OpKind::kPut, c, k, v.dump()}});
  }
  CommitResult patch(const std::string& c, const std::string& k, const json& p) {
    return commit({{OpKind::kPatch, c, k, p.dump()}});
  }
  CommitResult remove(const std::string& c, const std::string& k) {
    return commit({{OpKind::kDelete, c, k, {}}});
  }

  CompactionResult compact() {
    CompactionResult r = store_->compact();
    if (!r.snapshot_id.empty()) {
      EXPECT_EQ(r.seq, oracle_.last_seq());
      EXPECT_EQ(r.time_ns, oracle_.last_time());
      oracle_.note_snapshot(r.seq, r.time_ns, options_.backup_count);
    }
    if (!r.removed_segments.empty()) oracle_.note_segments_removed();
    return r;
  }

  // A restore to t, checked against the oracle, which then records it.
  CommitResult restore(int64_t t) {
    Docs target = oracle_.at(t);
    std::vector<Operation> ops = oracle_.restore_ops(target);
    uint64_t seq_before = store_->last_seq();
    CommitResult r = store_->restore_to(t);
    if (ops.empty()) {
      EXPECT_EQ(r.seq, 0u) << "restore to " << time_text(t) << " changes nothing";
      EXPECT_EQ(store_->last_seq(), seq_before);
      return r;
    }
    EXPECT_EQ(r.seq, seq_before + 1);
    EXPECT_GE(r.time_ns, clock_.now());  // later when the clock stands still
    oracle_.commit(r.seq, r.time_ns, ops);
    std::vector<Record> records;
    RecordFilter filter;
    filter.from_seq = r.seq;
    read_records(dir(), filter, [&](const Record& rec) { records.push_back(rec); });
    EXPECT_EQ(records.size(), 1u);
    if (!records.empty()) {
      EXPECT_EQ(records[0].origin, "restore to " + time_text(t));
      EXPECT_EQ(records[0].ops, ops);
    }
    EXPECT_EQ(current_state(), to_collections(target))
        << "after restore to " << time_text(t);
    return r;
  }

  // The store's live state, documents only.
  Collections current_state() const {
    Collections out;
    for (const auto& name : store_->collections()) {
      for (auto& [key, doc] : store_->list(name)) out[name][key] = doc;
    }
    return normalized(out);
  }

  void expect_window() {
    Window w = restorable_window(dir());
    ASSERT_FALSE(w.empty);
    EXPECT_EQ(w.from_ns, oracle_.window_from())
        << time_text(w.from_ns) << " vs " << time_text(oracle_.window_from());
    EXPECT_EQ(w.last_commit_ns, oracle_.last_time());
    JournalSummary summary = inspect_journal(dir());
    EXPECT_EQ(summary.window_from_ns, w.from_ns);
    EXPECT_EQ(summary.first_seq == 1, oracle_.journal_starts_at_one());
  }

  void expect_state_at(int64_t t) {
    Collections got;
    try {
      got = normalized(state_at(dir(), t));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "state_at(" << time_text(t) << "): " << e.what();
      return;
    }
    EXPECT_EQ(got, to_collections(oracle_.at(t))) << "state at " << time_text(t);
  }

  // t, t-1ns and t+1ns of every commit, where they lie in the window.
  std::set<int64_t> times_in_window() const {
    std::set<int64_t> times;
    int64_t from = oracle_.window_from();
    for (int64_t t : oracle_.commit_times()) {
      for (int64_t x : {t - 1, t, t + 1}) {
        if (x >= from) times.insert(x);
      }
    }
    return times;
  }

  void expect_every_time_matches() {
    for (int64_t t : times_in_window()) {
      expect_state_at(t);
      if (HasFailure()) return;
    }
  }

  // Before the window is refused, unless the journal still starts at seq 1:
  // then it is the empty state before the first record.
  void expect_refusals() {
    int64_t from = oracle_.window_from();
    std::string window = "can restore from ";
    if (restorable_window(dir()).from_start) {
      EXPECT_TRUE(state_at(dir(), from - 1).empty());
      window += "the empty state before the first record (" + time_text(from) + ")";
    } else {
      window += time_text(from);
      std::string before = refusal([&] { state_at(dir(), from - 1); });
      EXPECT_NE(before.find(window), std::string::npos) << before;
    }
    int64_t future = system_now_ns() + 3600 * kSecond;
    std::string later = refusal([&] { state_at(dir(), future); });
    EXPECT_NE(later.find(window), std::string::npos) << later;
    EXPECT_NE(later.find("future"), std::string::npos) << later;
  }

  void expect_histories() {
    for (const auto& [id, all] : oracle_.versions()) {
      const auto& [collection, key] = id;
      std::vector<ExpectedVersion> expected;
      std::vector<bool> from_snapshot;
      uint64_t after = 0;
      if (!oracle_.journal_starts_at_one()) {
        const SnapshotMark& oldest = oracle_.snapshots().front();
        after = oldest.seq;
        const Docs& base = oracle_.after_seq(oldest.seq);
        if (has_doc(base, collection, key)) {
          expected.push_back(
              {oldest.seq, oldest.time_ns, OpKind::kPut, base.at(collection).at(key)});
          from_snapshot.push_back(true);
        }
      }
      for (const auto& v : all) {
        if (v.seq <= after) continue;
        expected.push_back(v);
        from_snapshot.push_back(false);
      }
      auto got = document_history(dir(), collection, key);
      ASSERT_EQ(got.size(), expected.size()) << collection << "/" << key;
      for (size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE(collection + "/" + key + " version " + std::to_string(i));
        EXPECT_EQ(got[i].seq, expected[i].seq);
        EXPECT_EQ(got[i].time_ns, expected[i].time_ns);
        EXPECT_EQ(got[i].from_snapshot, from_snapshot[i]);
        if (!from_snapshot[i]) {
          EXPECT_EQ(got[i].op, expected[i].op);
        }
        ASSERT_EQ(got[i].value.has_value(), expected[i].value.has_value());
        if (got[i].value) {
          EXPECT_EQ(*got[i].value, expected[i].value->dump());
        }
      }
    }
  }

  TempDir dir_;
  TestClock clock_;
  Options options_;
  std::unique_ptr<Store> store_;
  Oracle oracle_;
};

// Random operations -------------------------------------------------------

const char* const kCollections[] = {"contacts", "notes", "tasks"};

json random_value(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0:
      return static_cast<int>(rng() % 100);  // not every document is an object
    case 1:
      return json::array({1, "two", static_cast<int>(rng() % 5)});
    default:
      break;
  }
  json v = json::object();
  v["n"] = static_cast<int>(rng() % 1000);
  if (rng() % 2)
    v["s"] = std::string(1 + rng() % 12, static_cast<char>('a' + rng() % 26));
  if (rng() % 2) {
    v["nested"] = {{"a", static_cast<int>(rng() % 10)}, {"b", json::array({1, 2})}};
  }
  if (rng() % 5 == 0) v["unicode"] = "caf\u00e9 \u2603";
  return v;
}

json random_patch(std::mt19937_64& rng) {
  json p = json::object();
  switch (rng() % 6) {
    case 0:
      p["n"] = static_cast<int>(rng() % 1000);
      break;
    case 1:
      p["s"] = nullptr;  // removes a member
      break;
    case 2:
      p["nested"] = {{"a", static_cast<int>(rng() % 10)}, {"c", true}};
      break;
    case 3:
      p["nested"] = nullptr;
      break;
    case 4:
      p["added"] = {{"deep", {{"x", static_cast<int>(rng() % 3)}}}};
      break;
    default:
      p["n"] = nullptr;
      p["t"] = "patched";
      break;
  }
  return p;
}

int64_t random_step(std::mt19937_64& rng) {
  switch (rng() % 7) {
    case 0:
      return 0;  // the same commit time as the record before
    case 1:
      return 1;
    case 2:
      return 2;
    case 3:
      return 1000 + static_cast<int64_t>(rng() % 1000);
    case 4:
      return kSecond;
    default:
      return 1 + static_cast<int64_t>(rng() % (10 * kSecond));
  }
}

// One commit of one to three valid operations against docs.
std::vector<Operation> random_commit(std::mt19937_64& rng, const Docs& docs) {
  Docs scratch = docs;
  size_t count = rng() % 4 == 0 ? 2 + rng() % 2 : 1;
  std::vector<Operation> ops;
  for (size_t i = 0; i < count; ++i) {
    std::string collection = kCollections[rng() % 3];
    std::string key = "k" + std::to_string(rng() % 6);
    int pick = static_cast<int>(rng() % 10);
    Operation op{OpKind::kPut, collection, key, {}};
    if (!has_doc(scratch, collection, key) || pick < 4) {
      op.document = random_value(rng).dump();
    } else if (pick < 8) {
      op.kind = OpKind::kPatch;
      op.document = random_patch(rng).dump();
    } else {
      op.kind = OpKind::kDelete;
    }
    apply_op(scratch, op);
    ops.push_back(std::move(op));
  }
  return ops;
}

struct HistoryParams {
  uint64_t seed;
  size_t backup_count;
  uint64_t segment_bytes;
  int commits;
};

void PrintTo(const HistoryParams& p, std::ostream* out) {
  *out << "seed " << p.seed << ", keep " << p.backup_count << ", segment_bytes "
       << p.segment_bytes << ", " << p.commits << " commits";
}

class RandomHistoryTest : public TimeTravelTest,
                          public ::testing::WithParamInterface<HistoryParams> {
 protected:
  void build(std::mt19937_64& rng, int commits) {
    for (int i = 0; i < commits; ++i) {
      clock_.advance(oracle_.last_seq() == 0 ? 0 : random_step(rng));
      commit(random_commit(rng, oracle_.current()));
      if (HasFailure()) return;
      if (rng() % 12 == 0) {
        compact();
        // The window and a sample of times in it, while it moves.
        expect_window();
        expect_refusals();
        std::set<int64_t> window = times_in_window();
        std::vector<int64_t> times(window.begin(), window.end());
        for (int j = 0; j < 10 && !times.empty(); ++j)
          expect_state_at(times[rng() % times.size()]);
        expect_state_at(oracle_.window_from());
      }
    }
  }
};

TEST_P(RandomHistoryTest, StateAtEveryCommitTimeMatchesTheOracle) {
  const HistoryParams& p = GetParam();
  open(p.backup_count, p.segment_bytes);
  std::mt19937_64 rng(p.seed);
  build(rng, p.commits);
  ASSERT_FALSE(HasFailure());
  if (p.segment_bytes < 4096) {
    // The history is long enough that retention deleted journal segments.
    EXPECT_FALSE(oracle_.journal_starts_at_one());
  } else {
    EXPECT_TRUE(oracle_.journal_starts_at_one());
  }
  expect_window();
  expect_refusals();
  expect_every_time_matches();
  expect_histories();

  // Reopening (replay from the newest snapshot) changes none of it.
  store_.reset();
  store_ = Store::open(dir(), options_);
  EXPECT_EQ(current_state(), to_collections(oracle_.current()));
  expect_window();
}

TEST_P(RandomHistoryTest, RestoreAndUndoMatchTheOracle) {
  const HistoryParams& p = GetParam();
  open(p.backup_count, p.segment_bytes);
  std::mt19937_64 rng(p.seed ^ 0x5eed);
  build(rng, p.commits);
  ASSERT_FALSE(HasFailure());

  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::set<int64_t> window = times_in_window();
    std::vector<int64_t> times(window.begin(), window.end());
    int64_t t = times[rng() % times.size()];
    if (round == 0) t = oracle_.window_from();  // from the oldest snapshot or record 1
    if (round == 1 && !oracle_.snapshots().empty() &&
        oracle_.newest_snapshot_time() - 1 >= oracle_.window_from()) {
      t = oracle_.newest_snapshot_time() - 1;  // across the newest compaction
    }
    Collections before = current_state();
    ASSERT_EQ(before, to_collections(oracle_.current()));
    // plan_restore says what restore_to does, and does nothing.
    auto files = files_under(dir());
    auto plan = store_->plan_restore(t);
    EXPECT_EQ(as_tuples(plan),
              as_tuples(diff_states(before, to_collections(oracle_.at(t)))));
    EXPECT_EQ(plan.size(), oracle_.restore_ops(oracle_.at(t)).size());
    EXPECT_EQ(files_under(dir()), files);

    clock_.advance(1 +
                   static_cast<int64_t>(rng() % kSecond));  // after every commit so far
    CommitResult r = restore(t);
    ASSERT_FALSE(HasFailure());
    if (r.seq == 0) {
      EXPECT_TRUE(plan.empty());
      continue;
    }
    // The undo may have to cross a compaction (with one snapshot kept, that
    // compaction would move the window past the restore's own time).
    if (p.backup_count >= 2 && rng() % 2) compact();
    // Undo: restore to just before the restore's own commit.
    clock_.advance(1 + static_cast<int64_t>(rng() % kSecond));
    CommitResult undo = restore(r.time_ns - 1);
    ASSERT_FALSE(HasFailure());
    EXPECT_NE(undo.seq, 0u);
    EXPECT_EQ(current_state(), before) << "undo of the restore to " << time_text(t);
    EXPECT_EQ(normalized(state_at(dir(), undo.time_ns)), before);
    // More history after the restore.
    for (int i = 0; i < 5; ++i) {
      clock_.advance(random_step(rng));
      commit(random_commit(rng, oracle_.current()));
    }
    if (rng() % 2) compact();
  }
  expect_window();
  expect_every_time_matches();
  expect_histories();
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, RandomHistoryTest,
    ::testing::Values(HistoryParams{1, 2, 300, 160}, HistoryParams{2, 3, 700, 200},
                      HistoryParams{3, 1, 256, 120}, HistoryParams{4, 3, 1 << 20, 150},
                      HistoryParams{5, 5, 1024, 220}),
    [](const ::testing::TestParamInfo<HistoryParams>& param_info) {
      return "seed" + std::to_string(param_info.param.seed) + "_keep" +
             std::to_string(param_info.param.backup_count) + "_segment" +
             std::to_string(param_info.param.segment_bytes);
    });

// Deterministic cases -----------------------------------------------------

// Commits within one clock tick get consecutive nanoseconds, so each commit
// has a moment of its own: the state at T includes exactly the records up to
// the one committed at T.
TEST_F(TimeTravelTest, CommitsWithinOneClockTickEachGetAMomentOfTheirOwn) {
  open(10, 1 << 20);
  put("notes", "a", {{"v", 0}});
  clock_.advance(kSecond);
  int64_t t = clock_.now();
  EXPECT_EQ(put("notes", "a", {{"v", 1}}).time_ns, t);
  EXPECT_EQ(put("notes", "b", {{"v", 2}}).time_ns, t + 1);    // the clock stood still
  EXPECT_EQ(patch("notes", "a", {{"w", 3}}).time_ns, t + 2);  // and still
  clock_.advance(1);  // behind the last commit's time now
  EXPECT_EQ(remove("notes", "b").time_ns, t + 3);
  EXPECT_EQ(normalized(state_at(dir(), t - 1)), to_collections(oracle_.at(t - 1)));
  Collections at_t = normalized(state_at(dir(), t));
  EXPECT_EQ(at_t["notes"]["a"], R"({"v":1})");
  EXPECT_EQ(at_t["notes"].count("b"), 0u);
  Collections at_t1 = normalized(state_at(dir(), t + 1));
  EXPECT_EQ(at_t1["notes"]["a"], R"({"v":1})");
  EXPECT_EQ(at_t1["notes"]["b"], R"({"v":2})");
  Collections at_t2 = normalized(state_at(dir(), t + 2));
  EXPECT_EQ(at_t2["notes"]["a"], R"({"v":1,"w":3})");
  EXPECT_EQ(at_t2["notes"]["b"], R"({"v":2})");
  EXPECT_EQ(normalized(state_at(dir(), t + 3)), to_collections(oracle_.current()));
}

TEST_F(TimeTravelTest, RestoreAcrossACompactionBoundary) {
  open(10, 1 << 20);
  put("contacts", "alice", {{"phone", "1"}});
  put("contacts", "bob", {{"phone", "2"}});
  clock_.advance(kSecond);
  int64_t before_compaction = clock_.now() - 1;
  patch("contacts", "alice", {{"phone", "3"}});
  clock_.advance(kSecond);
  ASSERT_FALSE(compact().snapshot_id.empty());
  remove("contacts", "bob");
  put("notes", "n1", "text");
  clock_.advance(kSecond);
  ASSERT_FALSE(compact().snapshot_id.empty());
  clock_.advance(kSecond);
  put("contacts", "carol", {{"phone", "4"}});

  clock_.advance(kSecond);
  CommitResult r = restore(before_compaction);  // before both snapshots
  ASSERT_NE(r.seq, 0u);
  EXPECT_EQ(current_state(), to_collections(oracle_.at(before_compaction)));
  EXPECT_EQ(*store_->get("contacts", "alice"), R"({"phone":"1"})");
  EXPECT_EQ(*store_->get("contacts", "bob"), R"({"phone":"2"})");
  EXPECT_FALSE(store_->get("notes", "n1").has_value());
  EXPECT_FALSE(store_->get("contacts", "carol").has_value());

  // The restore survives a reopen and a compaction after it, and is undone.
  store_.reset();
  store_ = Store::open(dir(), options_);
  EXPECT_EQ(current_state(), to_collections(oracle_.current()));
  clock_.advance(kSecond);
  compact();
  clock_.advance(kSecond);
  Collections restored = current_state();
  restore(r.time_ns - 1);
  EXPECT_EQ(*store_->get("contacts", "carol"), R"({"phone":"4"})");
  EXPECT_EQ(normalized(state_at(dir(), r.time_ns)), restored);
  expect_every_time_matches();
}

TEST_F(TimeTravelTest, RestoreAcrossARetentionDeletion) {
  open(2, 200);
  std::vector<int64_t> snapshot_times;
  for (int i = 0; i < 40; ++i) {
    clock_.advance(kSecond);
    put("tasks", "t" + std::to_string(i % 4), {{"i", i}});
    if (i % 3 == 1) patch("tasks", "t0", {{"p", i}});
    if (i % 10 == 9) {
      clock_.advance(kSecond);
      compact();
    }
  }
  ASSERT_FALSE(oracle_.journal_starts_at_one()) << "retention deleted no segment";
  expect_window();
  int64_t from = oracle_.window_from();
  ASSERT_GT(from, oracle_.first_time());

  // The oldest moment left is rebuilt from the oldest kept snapshot.
  clock_.advance(kSecond);
  CommitResult r = restore(from);
  ASSERT_NE(r.seq, 0u);
  clock_.advance(kSecond);
  restore(r.time_ns - 1);
  EXPECT_EQ(current_state(), to_collections(oracle_.at(r.time_ns - 1)));

  // Before it: refused with the window, nothing appended.
  uint64_t last = store_->last_seq();
  std::string journal = journal_bytes(dir());
  std::string message = refusal([&] { store_->restore_to(from - 1); });
  EXPECT_NE(message.find("can restore from " + time_text(from)), std::string::npos)
      << message;
  refusal([&] { store_->plan_restore(oracle_.first_time()); });
  EXPECT_EQ(store_->last_seq(), last);
  EXPECT_EQ(journal_bytes(dir()), journal);
  expect_every_time_matches();
  expect_histories();
}

TEST_F(TimeTravelTest, WindowRefusalNamesTheWindow) {
  open(10, 1 << 20);
  Window empty = restorable_window(dir());
  EXPECT_TRUE(empty.empty);
  refusal([&] { state_at(dir(), kBase); });

  put("notes", "a", 1);
  clock_.advance(kSecond);
  put("notes", "a", 2);
  Window w = restorable_window(dir());
  ASSERT_FALSE(w.empty);
  EXPECT_EQ(w.from_ns, kBase);
  EXPECT_EQ(w.last_commit_ns, kBase + kSecond);
  EXPECT_TRUE(w.from_start);
  const std::string window =
      "can restore from the empty state before the first record (" + time_text(kBase) +
      ")";
  EXPECT_EQ(w.describe(),
            window + " to now (last commit " + time_text(kBase + kSecond) + ")");
  EXPECT_TRUE(state_at(dir(), kBase - 1).empty()) << "the empty state before seq 1";
  std::string future = refusal([&] { state_at(dir(), system_now_ns() + 60 * kSecond); });
  EXPECT_NE(future.find(w.describe()), std::string::npos) << future;
  EXPECT_NE(future.find("future"), std::string::npos) << future;
  std::string journal = journal_bytes(dir());
  std::string m = refusal([&] { store_->restore_to(system_now_ns() + 60 * kSecond); });
  EXPECT_NE(m.find(window), std::string::npos) << m;
  m = refusal([&] { store_->plan_restore(system_now_ns() + 60 * kSecond); });
  EXPECT_NE(m.find(window), std::string::npos) << m;
  EXPECT_EQ(journal_bytes(dir()), journal);
  EXPECT_EQ(store_->last_seq(), 2u);
  // The window's ends are inside it.
  EXPECT_EQ(normalized(state_at(dir(), kBase))["notes"]["a"], "1");
  EXPECT_EQ(normalized(state_at(dir(), system_now_ns()))["notes"]["a"], "2");
}

// The ends of int64_t: the latest is a time in the future, refused with
// InvalidInputError naming it; the earliest lies before the first record. No
// overflow on the way (UBSan checks it in the sanitizer build).
TEST_F(TimeTravelTest, EndsOfTheInt64RangeAreTheFutureAndTheEmptyStateBeforeSeq1) {
  open(10, 1 << 20);
  put("notes", "a", 1);
  std::string journal = journal_bytes(dir());
  const int64_t kEnds[] = {std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max()};
  // The latest is in the future; the earliest is the empty state before the
  // first record while the journal starts at seq 1.
  std::string m = refusal([&] { store_->restore_to(kEnds[1]); });
  EXPECT_NE(m.find(format_time_ns(kEnds[1])), std::string::npos) << m;
  EXPECT_NE(m.find("(" + time_text(kBase) + ")"), std::string::npos) << m;
  refusal([&] { store_->plan_restore(kEnds[1]); });
  refusal([&] { state_at(dir(), kEnds[1]); });
  EXPECT_TRUE(state_at(dir(), kEnds[0]).empty());
  EXPECT_EQ(store_->plan_restore(kEnds[0]).size(), 1u);
  EXPECT_EQ(journal_bytes(dir()), journal);
  EXPECT_EQ(store_->last_seq(), 1u);
}

// The commit clock ahead of the system clock (or the system clock stepped
// back after commits): a time at or before the last commit is in the journal,
// never in the future, and a restore made then is still undone by restoring to
// just before it.
TEST_F(TimeTravelTest, CommitTimesAheadOfTheSystemClockAreNotInTheFuture) {
  clock_.advance(system_now_ns() + 24 * 3600 * kSecond - kBase);
  open(10, 1 << 20);
  put("notes", "a", 1);
  int64_t t1 = clock_.now();
  clock_.advance(kSecond);
  put("notes", "a", 2);
  EXPECT_EQ(normalized(state_at(dir(), t1))["notes"]["a"], "1");
  EXPECT_EQ(normalized(state_at(dir(), oracle_.last_time()))["notes"]["a"], "2");
  clock_.advance(kSecond);
  CommitResult r = restore(t1);
  ASSERT_NE(r.seq, 0u);
  EXPECT_EQ(*store_->get("notes", "a"), "1");
  clock_.advance(kSecond);
  restore(r.time_ns - 1);
  EXPECT_EQ(*store_->get("notes", "a"), "2");
  // Beyond the commit clock's now it is the future still.
  std::string future = refusal([&] { store_->restore_to(clock_.now() + kSecond); });
  EXPECT_NE(future.find("future"), std::string::npos) << future;
  for (int64_t t : oracle_.commit_times()) {
    for (int64_t x : {t - 1, t}) {
      if (x >= oracle_.window_from()) expect_state_at(x);
    }
  }
}

TEST_F(TimeTravelTest, DocumentHistoryListsEveryVersion) {
  open(10, 1 << 20);
  put("contacts", "alice", {{"name", "Alice"}});
  clock_.advance(5);
  patch("contacts", "alice", {{"phone", "555"}});
  clock_.advance(5);
  put("contacts", "bob", 1);
  remove("contacts", "alice");  // the clock stood still: one ns after bob's put
  clock_.advance(5);
  commit({{OpKind::kPut, "contacts", "alice", R"({"name":"A2"})"},
          {OpKind::kPatch, "contacts", "alice", R"({"x":null,"y":[1]})"}});
  auto h = document_history(dir(), "contacts", "alice");
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0].seq, 1u);
  EXPECT_EQ(h[0].time_ns, kBase);
  EXPECT_EQ(h[0].op, OpKind::kPut);
  EXPECT_EQ(h[0].value, R"({"name":"Alice"})");
  EXPECT_EQ(h[1].seq, 2u);
  EXPECT_EQ(h[1].time_ns, kBase + 5);
  EXPECT_EQ(h[1].op, OpKind::kPatch);
  EXPECT_EQ(h[1].value, R"({"name":"Alice","phone":"555"})");
  EXPECT_EQ(h[2].seq, 4u);
  EXPECT_EQ(h[2].time_ns, kBase + 11);
  EXPECT_EQ(h[2].op, OpKind::kDelete);
  EXPECT_FALSE(h[2].value.has_value());
  EXPECT_EQ(h[3].seq, 5u);
  EXPECT_EQ(h[3].op, OpKind::kPut);
  EXPECT_EQ(h[4].seq, 5u);
  EXPECT_EQ(h[4].op, OpKind::kPatch);
  EXPECT_EQ(h[4].value, R"({"name":"A2","y":[1]})");
  for (const auto& v : h) EXPECT_FALSE(v.from_snapshot);
  EXPECT_TRUE(document_history(dir(), "contacts", "nobody").empty());
  expect_histories();
}

TEST_F(TimeTravelTest, DocumentHistoryStartsFromTheOldestSnapshot) {
  open(1, 150);
  put("contacts", "alice", {{"v", 1}});
  clock_.advance(kSecond);
  put("contacts", "gone", {{"v", 1}});
  clock_.advance(kSecond);
  patch("contacts", "alice", {{"v", 2}});
  compact();
  for (int i = 0; i < 6; ++i) {
    clock_.advance(kSecond);
    put("notes", "n" + std::to_string(i), {{"padding", std::string(60, 'x')}});
  }
  clock_.advance(kSecond);
  remove("contacts", "gone");
  clock_.advance(kSecond);
  patch("contacts", "alice", {{"v", 3}});
  CompactionResult oldest = compact();  // with backup_count 1, the only snapshot
  ASSERT_FALSE(oldest.snapshot_id.empty());
  ASSERT_FALSE(oracle_.journal_starts_at_one());
  clock_.advance(kSecond);
  patch("contacts", "alice", {{"v", 4}});
  clock_.advance(kSecond);
  put("contacts", "gone", {{"v", 2}});

  EXPECT_EQ(restorable_window(dir()).from_ns, oldest.time_ns);
  auto h = document_history(dir(), "contacts", "alice");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_TRUE(h[0].from_snapshot);
  EXPECT_EQ(h[0].seq, oldest.seq);
  EXPECT_EQ(h[0].time_ns, oldest.time_ns);
  EXPECT_EQ(h[0].value, R"({"v":3})");
  EXPECT_FALSE(h[1].from_snapshot);
  EXPECT_EQ(h[1].op, OpKind::kPatch);
  EXPECT_EQ(h[1].value, R"({"v":4})");
  // Deleted before the snapshot: the history starts with its new version.
  auto gone = document_history(dir(), "contacts", "gone");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_FALSE(gone[0].from_snapshot);
  EXPECT_EQ(gone[0].seq, oracle_.last_seq());
  EXPECT_EQ(gone[0].value, R"({"v":2})");
  expect_histories();
}

TEST(DiffStates, AddedChangedAndDeletedInCollectionAndKeyOrder) {
  Collections from = {{"a", {{"same", "1"}, {"y", "2"}, {"z", "3"}}},
                      {"b", {{"k", "true"}}},
                      {"empty", {}}};
  Collections to = {{"a", {{"same", "1"}, {"w", "4"}, {"y", "5"}}},
                    {"c", {{"q", R"({"x":1})"}}},
                    {"d", {}}};
  auto changes = diff_states(from, to);
  ASSERT_EQ(changes.size(), 5u);
  auto expect_change = [&](size_t i, const char* c, const char* k,
                           std::optional<std::string> before,
                           std::optional<std::string> after) {
    SCOPED_TRACE(i);
    EXPECT_EQ(changes[i].collection, c);
    EXPECT_EQ(changes[i].key, k);
    EXPECT_EQ(changes[i].before, before);
    EXPECT_EQ(changes[i].after, after);
  };
  expect_change(0, "a", "w", std::nullopt, "4");           // added
  expect_change(1, "a", "y", "2", "5");                    // changed
  expect_change(2, "a", "z", "3", std::nullopt);           // deleted
  expect_change(3, "b", "k", "true", std::nullopt);        // a whole collection gone
  expect_change(4, "c", "q", std::nullopt, R"({"x":1})");  // a new collection
  EXPECT_TRUE(diff_states(from, from).empty());
  EXPECT_TRUE(diff_states({}, {}).empty());
  EXPECT_TRUE(diff_states({{"x", {}}}, {}).empty());  // an empty collection is no change
  auto back = diff_states(to, from);
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back[0].key, "w");
  EXPECT_FALSE(back[0].after.has_value());
}

TEST_F(TimeTravelTest, DiffOfTwoStatesAtTimes) {
  open(10, 1 << 20);
  put("notes", "keep", 1);
  put("notes", "change", 1);
  put("notes", "drop", 1);
  clock_.advance(kSecond);
  int64_t t1 = clock_.now() - 1;
  put("notes", "change", 2);
  remove("notes", "drop");
  int64_t t2 = put("notes", "new", 3).time_ns;
  auto changes = diff_states(state_at(dir(), t1), state_at(dir(), t2));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].key, "change");
  EXPECT_EQ(changes[0].before, "1");
  EXPECT_EQ(changes[0].after, "2");
  EXPECT_EQ(changes[1].key, "drop");
  EXPECT_FALSE(changes[1].after.has_value());
  EXPECT_EQ(changes[2].key, "new");
  EXPECT_FALSE(changes[2].before.has_value());
}

TEST_F(TimeTravelTest, PlanRestoreChangesNothingOnDisk) {
  open(3, 300);
  std::mt19937_64 rng(77);
  for (int i = 0; i < 30; ++i) {
    clock_.advance(random_step(rng));
    commit(random_commit(rng, oracle_.current()));
    if (i % 10 == 5) compact();
  }
  store_->sync();
  auto files = files_under(dir());
  uint64_t last = store_->last_seq();
  for (int64_t t : times_in_window()) {
    auto plan = store_->plan_restore(t);
    EXPECT_EQ(as_tuples(plan),
              as_tuples(diff_states(current_state(), to_collections(oracle_.at(t)))));
  }
  EXPECT_EQ(store_->last_seq(), last);
  EXPECT_EQ(current_state(), to_collections(oracle_.current()));
  EXPECT_EQ(files_under(dir()), files);
}

TEST_F(TimeTravelTest, RestoreToTheCurrentStateAppendsNothing) {
  open(10, 1 << 20);
  put("notes", "a", 1);
  clock_.advance(kSecond);
  int64_t same_as_now = clock_.now();
  put("notes", "b", 2);
  clock_.advance(kSecond);
  remove("notes", "b");
  std::string journal = journal_bytes(dir());
  for (int64_t t : {clock_.now(), clock_.now() + 1, same_as_now - 1}) {
    clock_.advance(kSecond);
    CommitResult r = store_->restore_to(t);
    EXPECT_EQ(r.seq, 0u) << time_text(t);
    EXPECT_EQ(store_->last_seq(), 3u);
    EXPECT_TRUE(store_->plan_restore(t).empty());
  }
  EXPECT_EQ(journal_bytes(dir()), journal);
  // A real change does append.
  clock_.advance(kSecond);
  CommitResult r = store_->restore_to(same_as_now);
  EXPECT_EQ(r.seq, 4u);
  EXPECT_EQ(*store_->get("notes", "b"), "2");
}

TEST_F(TimeTravelTest, WriteStateRefusesToOverwriteUnlessAsked) {
  TempDir out;
  std::string target = out / "state";
  Collections first = {{"contacts", {{"alice", R"({"v":1})"}}}, {"notes", {{"n", "1"}}}};
  write_state(target, first, /*overwrite=*/false);
  std::string contacts = testing::read_bytes(target + "/contacts.json");
  EXPECT_EQ(json::parse(contacts), json::parse(R"({"alice":{"v":1}})"));
  EXPECT_EQ(json::parse(testing::read_bytes(target + "/notes.json")),
            json::parse(R"({"n":1})"));

  Collections second = {{"contacts", {{"alice", R"({"v":2})"}}}, {"tasks", {{"t", "2"}}}};
  std::string message = refusal([&] { write_state(target, second, false); });
  EXPECT_NE(message.find("contacts.json"), std::string::npos) << message;
  EXPECT_EQ(testing::read_bytes(target + "/contacts.json"), contacts);
  EXPECT_FALSE(fs::exists(target + "/tasks.json")) << "refused, yet wrote another file";

  write_state(target, second, /*overwrite=*/true);
  EXPECT_EQ(json::parse(testing::read_bytes(target + "/contacts.json")),
            json::parse(R"({"alice":{"v":2}})"));
  EXPECT_EQ(json::parse(testing::read_bytes(target + "/tasks.json")),
            json::parse(R"({"t":2})"));
  // No temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(target)) {
    EXPECT_EQ(entry.path().extension(), ".json") << entry.path();
  }
}

// A state given to write_state need not come from the store: a collection
// name becomes a file name and a document is written into the file, so what a
// commit would refuse is refused here, before anything is written.
TEST_F(TimeTravelTest, WriteStateRefusesNamesLeavingOutDirAndDocumentsNotJson) {
  TempDir out;
  std::string target = out / "state";
  const Collections kRefused[] = {
      {{"../escaped", {{"k", "1"}}}},
      {{"", {{"k", "1"}}}},
      {{"a/b", {{"k", "1"}}}},
      {{"notes", {{"k", "not json"}}}},
      {{"notes", {{"k", R"({"a":1)"}}}},
      {{"notes", {{"", "1"}}}},
      // A valid collection first: nothing of it is written either.
      {{"contacts", {{"a", "1"}}}, {"notes", {{"k", "1"}, {"l", "{"}}}},
  };
  for (const Collections& state : kRefused) {
    refusal([&] { write_state(target, state, /*overwrite=*/true); });
  }
  EXPECT_FALSE(fs::exists(out / "escaped.json"));
  EXPECT_FALSE(fs::exists(target)) << "refused, yet wrote into the output directory";

  // A document that is JSON but not compact is written compact.
  write_state(target, {{"notes", {{"k", "{ \"a\" : [1, 2] }"}}}}, false);
  EXPECT_EQ(testing::read_bytes(target + "/notes.json"),
            "{\n  \"k\": {\"a\":[1,2]}\n}\n");
}

TEST_F(TimeTravelTest, ReadsWorkBesideALiveWriterAndAfterReopen) {
  open(10, 1 << 20);
  put("notes", "a", 1);
  clock_.advance(kSecond);
  put("notes", "a", 2);
  // The store is open for writing: state_at and document_history do not need LOCK.
  EXPECT_EQ(normalized(state_at(dir(), kBase))["notes"]["a"], "1");
  EXPECT_EQ(document_history(dir(), "notes", "a").size(), 2u);
  Options read_only;
  read_only.read_only = true;
  EXPECT_EQ(normalized(state_at(dir(), kBase, read_only))["notes"]["a"], "1");
  EXPECT_THROW(state_at(dir() + "/missing", kBase), NotFoundError);
}

}  // namespace
}  // namespace pa_journal
