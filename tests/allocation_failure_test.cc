// Memory running out part-way through a commit: State::apply is all or
// nothing, and a store whose commit failed for want of memory serves and
// reopens to the state without it. Every allocation the commit makes fails in
// turn, as in SQLite's out-of-memory tests.
//
// This program replaces the global operator new: an allocation fails with
// std::bad_alloc once the calling thread's countdown reaches zero. Only the
// thread that arms it is affected, so the store's background threads allocate
// as usual.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "replay/state.h"
#include "test_util.h"

namespace {

thread_local long allocations_until_failure = -1;  // -1: never fail

}  // namespace

// The replacements pair malloc with free; GCC cannot see that they pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  if (allocations_until_failure >= 0 && allocations_until_failure-- == 0) {
    allocations_until_failure = -1;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace pa_journal {
namespace {

// Fails the n-th allocation (from 0) this thread makes while it is alive.
class FailingAllocation {
 public:
  explicit FailingAllocation(long n) { allocations_until_failure = n; }
  ~FailingAllocation() { allocations_until_failure = -1; }
  bool fired() const { return allocations_until_failure == -1; }
};

// 11 documents in "c": two more fill its index past 3/4 of 16 slots, so the
// record below also grows the index part-way.
State starting_state() {
  Collection c = {{"a", R"({"n":1})"}, {"b", R"({"n":2})"}, {"d", R"({"y":1})"}};
  for (int i = 0; i < 8; ++i) c["k" + std::to_string(i)] = R"({"k":true})";
  State state;
  state.load({{"c", c}, {"empty", {}}}, 7, 7);
  return state;
}

// Every kind of change apply() makes, several to one document. No patch:
// nlohmann::json allocates while it destroys an object, so a failure there
// ends the program whatever the store does (a patch that throws part-way is
// the test below, PatchOfUnparsableStoredJson...).
Record every_kind_of_change() {
  return {8,
          8,
          {{OpKind::kPut, "new", "x", R"({"x":1})"},  // creates a collection
           {OpKind::kPut, "c", "a", R"({"n":10})"},   // replaces
           {OpKind::kDelete, "c", "b", ""},
           {OpKind::kPut, "c", "d", R"({"y":2,"z":3})"},
           {OpKind::kPut, "c", "b", R"({"n":20})"},  // back after its delete
           {OpKind::kPut, "c", "e", R"({"e":1})"},
           {OpKind::kPut, "c", "f", R"({"f":1})"},  // grows the index
           {OpKind::kDelete, "c", "d", ""},         // what this record replaced
           {OpKind::kDelete, "new", "x", ""},       // what this record inserted
           // allocates after those deletes, so undoing puts "d" and "x" back
           // first, then restores and removes them through pointers
           {OpKind::kPut, "c", "g", R"({"g":"longer than a short string's buffer"})"},
           {OpKind::kPut, "c", "a", R"({"n":11})"}},  // the last: in place
          {}};
}

// Everything a reader of the state can see, through the index and in order.
void expect_same_state(const State& actual, const State& expected,
                       const std::string& at) {
  EXPECT_EQ(actual.hash(), expected.hash()) << at;
  EXPECT_EQ(actual.collection_names(), expected.collection_names()) << at;
  EXPECT_EQ(actual.last_seq(), expected.last_seq()) << at;
  for (const auto& [name, docs] : expected.collections()) {
    for (const auto& [key, doc] : docs) {
      const std::string* found = actual.find(name, key);
      ASSERT_NE(found, nullptr) << at << ": " << name << "/" << key;
      EXPECT_EQ(*found, doc) << at << ": " << name << "/" << key;
    }
  }
  for (const char* key : {"a", "b", "d", "e", "f", "g"}) {
    EXPECT_EQ(actual.find("c", key) != nullptr, expected.find("c", key) != nullptr)
        << at << ": c/" << key;
  }
}

// Runs apply(record) with its n-th allocation failing, n = 0, 1, ... until it
// goes through, and checks after each failure that nothing was applied and
// that the record then applies as it would have. Returns the failures seen.
template <typename Apply>
int fail_each_allocation_in_turn(Apply apply) {
  State expected_after = starting_state();
  expected_after.apply(every_kind_of_change());
  int failures = 0;
  for (long n = 0;; ++n) {
    State state = starting_state();
    State before = state;
    bool threw = false;
    {
      FailingAllocation failing(n);
      try {
        apply(state);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
      if (!threw) {
        EXPECT_FALSE(failing.fired()) << "allocation " << n << " failed unseen";
      }
    }
    std::string at = "allocation " + std::to_string(n) + " failing";
    if (!threw) {
      expect_same_state(state, expected_after, at + " (went through)");
      return failures;
    }
    ++failures;
    expect_same_state(state, before, at);
    apply(state);  // and the state is whole: the record applies as it would have
    expect_same_state(state, expected_after, at + ", then applied again");
    if (::testing::Test::HasFailure()) return failures;
  }
}

TEST(AllocationFailureTest, StateApplyIsAllOrNothingWhicheverAllocationFails) {
  int copied = fail_each_allocation_in_turn(
      [](State& state) { state.apply(every_kind_of_change()); });
  Record record = every_kind_of_change();
  int moved = fail_each_allocation_in_turn([&record](State& state) {
    Record copy = record;  // allocations of the copy fail too: also nothing applied
    state.apply(std::move(copy));
  });
  // At least one failure per operation: each one's undo path ran.
  EXPECT_GE(copied, 9);
  EXPECT_GE(moved, 9);
}

TEST(AllocationFailureTest, VersionFrozenBeforeAFailedApplyStaysAsItWas) {
  for (long n = 0;; ++n) {
    State state = starting_state();
    state.apply({8, 8, {{OpKind::kPut, "c", "a", R"({"n":5})"}}, {}});
    StateVersion version = state.freeze();
    Collections moment = version.materialize();
    bool threw = false;
    {
      FailingAllocation failing(n);
      try {
        state.apply(every_kind_of_change());
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    EXPECT_EQ(version.materialize(), moment) << "allocation " << n;
    EXPECT_EQ(version.last_seq(), 8u);
    if (!threw || HasFailure()) {
      EXPECT_GE(n, 9);
      break;
    }
  }
}

// A state deep enough that one put splits a leaf and its parent, and one
// delete merges leaves, written in an edit session that has ended, so the
// record copies every node on its path too.
State deep_state() {
  State state;
  for (uint64_t i = 0; i < 600; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%03u", static_cast<unsigned>(i * 2));
    state.apply(
        {i + 1, static_cast<int64_t>(i + 1), {{OpKind::kPut, "c", key, "1"}}, {}});
  }
  state.freeze();
  return state;
}

TEST(AllocationFailureTest, OneOperationThatSplitsOrMergesNodesIsAllOrNothing) {
  const State deep = deep_state();
  std::vector<Record> records;
  for (uint64_t i = 0; i < 600; i += 7) {
    char key[8];
    std::snprintf(key, sizeof key, "k%03u", static_cast<unsigned>(i * 2 + 1));
    records.push_back({700 + i, 700, {{OpKind::kPut, "c", key, "2"}}, {}});
    std::snprintf(key, sizeof key, "k%03u", static_cast<unsigned>(i * 2));
    records.push_back({700 + i, 700, {{OpKind::kDelete, "c", key, ""}}, {}});
  }
  int failures = 0;
  for (const Record& record : records) {
    for (long n = 0;; ++n) {
      State state = deep;
      bool threw = false;
      {
        FailingAllocation failing(n);
        try {
          state.apply(record);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
      }
      if (!threw) break;
      ++failures;
      expect_same_state(state, deep, "allocation " + std::to_string(n));
      ASSERT_FALSE(HasFailure()) << record.ops[0].key;
    }
  }
  EXPECT_GE(failures, static_cast<int>(records.size()));
}

TEST(AllocationFailureTest, PatchOfUnparsableStoredJsonPartWayUndoesTheRecord) {
  State state;
  state.apply({1, 1, {{OpKind::kPut, "c", "bad", "not json"}}, {}});
  State before = state;
  Record record{
      2,
      2,
      {{OpKind::kPut, "c", "new", "{}"}, {OpKind::kPatch, "c", "bad", R"({"a":1})"}},
      {}};
  EXPECT_THROW(state.apply(record), CorruptedDataError);
  expect_same_state(state, before, "after the refused patch");
}

// Store level: a commit whose n-th allocation fails either goes through, or
// is refused and the store serves, and reopens to, the state without it; or
// its batch failed to be written (JournalFailedError), after which a reopen
// finds the state with or without it, nothing else.
void check_store_commit_with_failing_allocations(Durability durability) {
  const std::vector<Operation> ops = {{OpKind::kPut, "c", "a", R"({"n":10})"},
                                      {OpKind::kDelete, "c", "b", ""},
                                      {OpKind::kPut, "c", "a", R"({"m":1,"n":10})"},
                                      {OpKind::kPut, "d", "x", R"({"x":1})"}};
  const Collections with_it = {{"c", {{"a", R"({"m":1,"n":10})"}}},
                               {"d", {{"x", R"({"x":1})"}}}};
  for (long n = 0;; ++n) {
    testing::TempDir dir;
    Options options;
    options.durability = durability;
    options.auto_compact = false;
    Collections before, shown;
    bool refused = false, journal_failed = false;
    {
      auto store = Store::open(dir.path(), options);
      store->commit({{OpKind::kPut, "c", "a", R"({"n":1})"},
                     {OpKind::kPut, "c", "b", R"({"n":2})"}});
      before = store->state();
      {
        FailingAllocation failing(n);
        try {
          store->commit(ops);
        } catch (const std::bad_alloc&) {
          refused = true;
        } catch (const JournalFailedError&) {
          journal_failed = true;
        }
      }
      // A failed journal serves no reads (the batch's cut, which freezes
      // the state for its readers, allocates too).
      if (!journal_failed) shown = store->state();
    }
    Collections reopened = Store::open(dir.path(), options)->state();
    std::string at = "allocation " + std::to_string(n);
    if (refused) {
      EXPECT_EQ(shown, before) << at << ": the refused commit shows";
      EXPECT_EQ(reopened, before) << at << ", reopened";
    } else if (journal_failed) {
      EXPECT_TRUE(reopened == before || reopened == with_it) << at << ", reopened";
    } else {
      EXPECT_EQ(shown, with_it) << at;
      EXPECT_EQ(reopened, with_it) << at << ", reopened";
      EXPECT_GE(n, 4) << "fewer allocations than operations";
      return;
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(AllocationFailureTest,
     StoreCommitFailingAnyAllocationLeavesStoreAndJournalAgreeing) {
  check_store_commit_with_failing_allocations(Durability::kAlways);
  check_store_commit_with_failing_allocations(Durability::kNone);
}

}  // namespace
}  // namespace pa_journal
