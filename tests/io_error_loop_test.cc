// The I/O error loop for restore, import and open (commits, compaction and
// torn-tail repair have theirs in store_test and compaction_test): for every
// kind of file-system call and N = 1, 2, ... until the operation completes
// without reaching an Nth call, the Nth call fails once, and from then on.
// Each run must either succeed or throw a StorageError, and a healthy reopen
// must show the last acknowledged state: the state before the operation if it
// threw, its result if it succeeded (restore and import are all or nothing).
// After a failed journal sync the same Store acknowledges no further commit.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "journal/format.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/store.h"
#include "tests/fault_loop.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::FaultInjection;
using testing::FaultMode;
using testing::for_each_nth_fault;
using testing::FsOp;
using testing::succeeds_or_reports;
using testing::TempDir;

constexpr int64_t kStartNs = 1'795'600'800'000'000'000;  // 2026-11-25T10:00:00Z

std::function<int64_t()> ticking_clock(int64_t start) {
  auto now = std::make_shared<std::atomic<int64_t>>(start);
  return [now] { return now->fetch_add(1'000'000); };  // 1 ms per call
}

// Small segments (several roll-overs), manual compaction, durable commits.
Options loop_options(std::shared_ptr<FileSystem> fs = nullptr) {
  Options options;
  options.durability = Durability::kAlways;
  options.auto_compact = false;
  options.segment_bytes = 512;
  options.backup_count = 3;
  options.clock_ns = ticking_clock(kStartNs + 3'600'000'000'000);  // an hour later
  options.file_system = std::move(fs);
  return options;
}

// The state without empty collections: a restore or delete may leave one.
Collections normalized(Collections state) {
  std::erase_if(state, [](const auto& entry) { return entry.second.empty(); });
  return state;
}

void copy_dir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to,
                        std::filesystem::copy_options::recursive |
                            std::filesystem::copy_options::overwrite_existing);
}

std::string doc(int v) { return R"({"v":)" + std::to_string(v) + "}"; }

// A store with two snapshots, journal segments before and after them, and
// fresh-key puts at its end; an export of another store to import; and
// variants of the store with a torn tail and with a damaged record.
class IoErrorLoopTest : public ::testing::TestWithParam<FsOp> {
 protected:
  void SetUp() override {
    Options options = loop_options();
    options.durability = Durability::kNone;  // building fast; closing syncs
    options.clock_ns = ticking_clock(kStartNs);
    {
      auto store = Store::open(store_.path(), options);
      for (int i = 1; i <= 10; ++i) {
        store->put(i % 2 ? "contacts" : "notes", "k" + std::to_string(i % 4), doc(i));
      }
      store->compact();
      for (int i = 11; i <= 18; ++i) {
        auto r = i % 3 ? store->put("contacts", "k" + std::to_string(i % 5), doc(i))
                       : store->remove("contacts", "k" + std::to_string(i % 5 + 1));
        if (i == 14) restore_time_ns_ = r.time_ns;
        if (i == 14) restore_state_ = store->state();
      }
      store->put("config", "theme", R"("dark")");
      store->compact();
      for (int i = 1; i <= 6; ++i) {
        if (i == 6) before_last_ = store->state();
        store->put("notes", "tail-" + std::to_string(i), doc(100 + i));
      }
      state_ = store->state();
    }
    ASSERT_GE(testing::segment_count(store_.path()), 4u);

    {
      Options other = options;
      auto source = Store::open(source_.path() + "/store", other);
      source->put("contacts", "imported", doc(7));
      source->put("imports", "a", doc(8));
      source->export_to(source_.path() + "/export");
    }
    imported_ = state_;
    imported_["contacts"] = {{"imported", doc(7)}};
    imported_["imports"] = {{"a", doc(8)}};

    copy_dir(store_.path(), torn_.path());
    std::string newest =
        testing::segment_path(torn_.path(), testing::segment_count(torn_.path()) - 1);
    std::filesystem::resize_file(newest, std::filesystem::file_size(newest) - 5);

    // The record "tail-5" damaged in a segment that is not the newest: the
    // segment ends with it or holds a later record, so salvage must skip it.
    copy_dir(store_.path(), damaged_.path());
    salvaged_ = state_;
    salvaged_["notes"].erase(damage_record(damaged_.path(), "tail-5"));
  }

  // Flips a payload byte of the record that puts key; returns key.
  static std::string damage_record(const std::string& dir, const std::string& key) {
    for (size_t s = 0; s < testing::segment_count(dir); ++s) {
      std::string path = testing::segment_path(dir, s);
      std::string data = testing::read_bytes(path);
      size_t at = data.find(key);
      if (at == std::string::npos) continue;
      data[at] ^= 0x20;
      testing::write_bytes(path, data);
      return key;
    }
    ADD_FAILURE() << "no record puts " << key;
    return key;
  }

  // A commit on the same Store once the fault is healed: refused after a
  // failed journal sync, and counted as acknowledged when it succeeds.
  static void probe(Store& store, FaultInjection& injection, Collections* expected) {
    injection.fs()->heal();
    // Segments are named by digits ("journal/000...42.log"): this needle
    // matches them and not journal/quarantine/.
    bool journal_sync_failed =
        injection.fault().op == FsOp::kSync && injection.failed_on("/journal/0");
    if (succeeds_or_reports([&] { store.put("probe", "p", "1"); })) {
      EXPECT_FALSE(journal_sync_failed)
          << "a commit was acknowledged after a failed journal sync";
      (*expected)["probe"]["p"] = "1";
    }
  }

  // A healthy reopen in mode shows exactly expected and finishes any repair:
  // a strict read-only open afterwards is clean and shows the same.
  static void expect_reopens_to(const std::string& dir, const Collections& expected,
                                RecoveryMode mode) {
    Options options = loop_options();
    options.recovery = mode;
    try {
      EXPECT_EQ(normalized(Store::open(dir, options)->state()), normalized(expected));
      options.recovery = RecoveryMode::kStrict;
      options.read_only = true;
      auto store = Store::open(dir, options);
      EXPECT_EQ(normalized(store->state()), normalized(expected));
      EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
    } catch (const StorageError& e) {
      ADD_FAILURE() << "healthy reopen failed: " << e.what();
    }
  }

  // Runs op on a copy of the store opened through the injection's file
  // system, the fault armed just before op; after is op's expected result.
  void run_on_store(FaultInjection& injection, const std::function<void(Store&)>& op,
                    const Collections& after) {
    TempDir dir;
    copy_dir(store_.path(), dir.path());
    Collections expected = state_;
    {
      auto store = Store::open(dir.path(), loop_options(injection.fs()));
      injection.arm();
      if (succeeds_or_reports([&] { op(*store); })) expected = after;
      probe(*store, injection, &expected);
    }
    expect_reopens_to(dir.path(), expected, RecoveryMode::kTolerateTail);
  }

  // Opens a copy of source in mode with the fault armed from the start.
  void run_open(FaultInjection& injection, const std::string& source, RecoveryMode mode,
                const Collections& expected) {
    TempDir dir;
    copy_dir(source, dir.path());
    Options options = loop_options(injection.fs());
    options.recovery = mode;
    Collections acknowledged = expected;
    injection.arm();
    std::unique_ptr<Store> store;
    if (succeeds_or_reports([&] { store = Store::open(dir.path(), options); })) {
      EXPECT_EQ(normalized(store->state()), normalized(expected));
      probe(*store, injection, &acknowledged);
      store.reset();
    }
    expect_reopens_to(dir.path(), acknowledged, mode);
  }

  // Both fault modes; returns the faults injected.
  uint64_t loop(const std::function<void(FaultInjection&)>& run) {
    uint64_t faults = 0;
    for (FaultMode mode : {FaultMode::kOnce, FaultMode::kPersistent}) {
      faults += for_each_nth_fault(GetParam(), mode, run);
      if (HasFailure()) break;
    }
    RecordProperty("faults_injected", std::to_string(faults));
    return faults;
  }

  TempDir store_, source_, torn_, damaged_;
  int64_t restore_time_ns_ = 0;
  Collections restore_state_, before_last_, state_, imported_, salvaged_;
};

TEST_P(IoErrorLoopTest, RestoreIsAllOrNothing) {
  // The state at restore_time_ns_ is read from the older snapshot and the
  // journal after it, then written as one commit.
  Collections after = restore_state_;
  loop([&](FaultInjection& injection) {
    run_on_store(
        injection, [&](Store& store) { store.restore_to(restore_time_ns_); }, after);
  });
}

TEST_P(IoErrorLoopTest, ImportIsAllOrNothing) {
  std::string from = source_.path() + "/export";
  loop([&](FaultInjection& injection) {
    run_on_store(
        injection, [&](Store& store) { store.import_from(from); }, imported_);
  });
}

TEST_P(IoErrorLoopTest, FileStorageImportReportsFalseAndChangesNothing) {
  std::string from = source_.path() + "/export";
  loop([&](FaultInjection& injection) {
    TempDir dir;
    copy_dir(store_.path(), dir.path());
    Collections expected = state_;
    {
      FileStorage storage(dir.path(), loop_options(injection.fs()));
      injection.arm();
      bool imported = false;
      EXPECT_TRUE(succeeds_or_reports([&] { imported = storage.import_data(from); }));
      if (imported) expected = imported_;
      EXPECT_EQ(imported, storage.last_error().empty()) << storage.last_error();
      probe(storage.store(), injection, &expected);
    }
    expect_reopens_to(dir.path(), expected, RecoveryMode::kTolerateTail);
  });
}

TEST_P(IoErrorLoopTest, OpenWithSnapshotsSucceedsOrReports) {
  loop([&](FaultInjection& injection) {
    run_open(injection, store_.path(), RecoveryMode::kTolerateTail, state_);
  });
}

TEST_P(IoErrorLoopTest, OpenCuttingATornTailSucceedsOrReportsAndTheNextOpenFinishes) {
  loop([&](FaultInjection& injection) {
    run_open(injection, torn_.path(), RecoveryMode::kTolerateTail, before_last_);
  });
}

TEST_P(IoErrorLoopTest, SalvageOpenSucceedsOrReportsAndTheNextOpenFinishes) {
  loop([&](FaultInjection& injection) {
    run_open(injection, damaged_.path(), RecoveryMode::kSalvage, salvaged_);
  });
}

INSTANTIATE_TEST_SUITE_P(Faults, IoErrorLoopTest,
                         ::testing::ValuesIn(testing::all_fs_ops()),
                         [](const auto& param) {
                           return std::string(testing::to_string(param.param));
                         });

}  // namespace
}  // namespace pa_journal
