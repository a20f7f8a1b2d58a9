// Store: the embedded API seen from outside. Numbering and times, segments,
// durability modes, the failed state, the writer lock, refused input, atomic
// multi-operation commits, recovery modes on reopen, and file permissions.
#include "pa_journal/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::FaultFileSystem;
using testing::FaultMode;
using testing::FsOp;

using testing::frames_of;
using testing::FrameSpan;

int mode_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string doc(int v) { return R"({"v":)" + std::to_string(v) + "}"; }

class StoreTest : public ::testing::Test {
 protected:
  std::string store_dir() const { return dir_.path() + "/store"; }
  std::string path(const std::string& name) const { return store_dir() + "/" + name; }

  std::unique_ptr<Store> open(Options options = {}) {
    return Store::open(store_dir(), std::move(options));
  }

  std::unique_ptr<Store> open(RecoveryMode mode) {
    Options options;
    options.recovery = mode;
    return open(options);
  }

  // Every file of journal/ (not its subdirectories): names and bytes.
  std::string journal_bytes() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(path("journal"))) {
      if (entry.is_regular_file()) {
        files[entry.path().filename()] = testing::read_bytes(entry.path());
      }
    }
    std::string all;
    for (const auto& [name, bytes] : files) all += name + ":" + bytes + "\n";
    return all;
  }

  // A store holding records 1..n, one put of k<i> = {"v":i} each, closed.
  void make_store(int n) {
    auto store = open();
    for (int i = 1; i <= n; ++i) store->put("contacts", "k" + std::to_string(i), doc(i));
  }

  testing::TempDir dir_;
};

// --- numbering and time ---

TEST_F(StoreTest, SequenceNumbersStartAtOneAndStayGapFreeAcrossReopen) {
  {
    auto store = open();
    EXPECT_EQ(store->last_seq(), 0u);
    EXPECT_EQ(store->put("contacts", "a", doc(1)).seq, 1u);
    EXPECT_EQ(store->patch("contacts", "a", R"({"w":2})").seq, 2u);
    EXPECT_EQ(store->put("notes", "n", doc(3)).seq, 3u);
    EXPECT_EQ(store->remove("notes", "n").seq, 4u);
  }
  auto store = open();
  EXPECT_EQ(store->last_seq(), 4u);
  EXPECT_EQ(store->recovery().records_replayed, 4u);
  EXPECT_EQ(store->put("contacts", "b", doc(5)).seq, 5u);
  EXPECT_EQ(store->get("contacts", "a").value(), R"({"v":1,"w":2})");
  EXPECT_FALSE(store->get("notes", "n").has_value());
}

TEST_F(StoreTest, CommitTimesStrictlyIncreaseEvenWhenTheClockStepsBack) {
  auto now = std::make_shared<std::atomic<int64_t>>(5'000'000);
  Options options;
  options.clock_ns = [now] { return now->load(); };
  {
    auto store = open(options);
    EXPECT_EQ(store->put("contacts", "a", doc(1)).time_ns, 5'000'000);
    now->store(4'000'000);  // the clock steps back
    EXPECT_EQ(store->put("contacts", "b", doc(2)).time_ns, 5'000'001);
    now->store(6'000'000);
    EXPECT_EQ(store->put("contacts", "c", doc(3)).time_ns, 6'000'000);
  }
  now->store(1'000);  // and further back, across a reopen
  auto store = open(options);
  EXPECT_EQ(store->put("contacts", "d", doc(4)).time_ns, 6'000'001);
  now->store(7'000'000);
  EXPECT_EQ(store->put("contacts", "e", doc(5)).time_ns, 7'000'000);
}

// --- segments ---

TEST_F(StoreTest, ReopenReadsEveryRecordAcrossManySegmentsNamedByTheirFirstSeq) {
  Options options;
  options.segment_bytes = 1024;
  options.durability = Durability::kNone;  // quicker; segments roll the same way
  {
    auto store = open(options);
    for (int i = 1; i <= 300; ++i)
      store->put("contacts", "k" + std::to_string(i), doc(i));
  }
  size_t segments = testing::segment_count(store_dir());
  EXPECT_GT(segments, 20u);
  // Names are the first sequence number: consecutive names leave no gap and
  // the strict open below would refuse one that lied.
  EXPECT_EQ(fs::path(testing::segment_path(store_dir(), 0)).filename(),
            "00000000000000000001.log");

  options.recovery = RecoveryMode::kStrict;
  auto store = open(options);
  EXPECT_EQ(store->recovery().records_replayed, 300u);
  EXPECT_EQ(store->last_seq(), 300u);
  auto docs = store->list("contacts");
  ASSERT_EQ(docs.size(), 300u);
  for (int i = 1; i <= 300; ++i) {
    EXPECT_EQ(store->get("contacts", "k" + std::to_string(i)).value(), doc(i));
  }
  EXPECT_EQ(store->put("contacts", "next", doc(0)).seq, 301u);
}

// --- durability ---

class StoreDurabilityTest : public StoreTest,
                            public ::testing::WithParamInterface<Durability> {};

TEST_P(StoreDurabilityTest, CommitsSurviveACleanCloseAndReopen) {
  Options options;
  options.durability = GetParam();
  options.sync_interval_ms = 5;
  {
    auto store = open(options);
    for (int i = 1; i <= 100; ++i) {
      EXPECT_EQ(store->put("contacts", "k" + std::to_string(i), doc(i)).seq,
                static_cast<uint64_t>(i));
    }
    store->patch("contacts", "k1", R"({"v":null,"w":1})");
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_EQ(store->last_seq(), 101u);
  EXPECT_EQ(store->list("contacts").size(), 100u);
  EXPECT_EQ(store->get("contacts", "k1").value(), R"({"w":1})");
  EXPECT_EQ(store->get("contacts", "k100").value(), doc(100));
}

TEST_P(StoreDurabilityTest, ExplicitSyncMakesCommitsDurable) {
  auto fault_fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.durability = GetParam();
  options.sync_interval_ms = 60'000;  // no background sync during the test
  options.file_system = fault_fs;
  auto store = open(options);
  store->put("contacts", "a", doc(1));
  uint64_t syncs = fault_fs->count(FsOp::kSync);
  store->put("contacts", "b", doc(2));
  store->sync();
  if (GetParam() != Durability::kAlways) {
    EXPECT_GT(fault_fs->count(FsOp::kSync), syncs);
  }
  Options read_only;
  read_only.read_only = true;
  auto reader = Store::open(store_dir(), read_only);
  EXPECT_EQ(reader->last_seq(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Modes, StoreDurabilityTest,
                         ::testing::Values(Durability::kAlways, Durability::kInterval,
                                           Durability::kNone),
                         [](const auto& param) {
                           return std::string(to_string(param.param));
                         });

TEST_F(StoreTest, ConcurrentCommittersShareSyncsAndEveryCommitSurvives) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  auto fault_fs = std::make_shared<FaultFileSystem>();
  fault_fs->set_latency(FsOp::kSync, std::chrono::microseconds(300));
  Options options;
  options.file_system = fault_fs;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  {
    auto store = open(options);
    fault_fs->reset_counts();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string key = std::to_string(t) + "-" + std::to_string(i);
          seqs[t].push_back(store->put("contacts", key, doc(t * 1000 + i)).seq);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_LT(fault_fs->count(FsOp::kSync), uint64_t{kThreads * kPerThread});
  }
  std::set<uint64_t> unique;
  for (const auto& s : seqs) unique.insert(s.begin(), s.end());
  ASSERT_EQ(unique.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*unique.begin(), 1u);
  EXPECT_EQ(*unique.rbegin(), uint64_t{kThreads * kPerThread});

  auto store = open(RecoveryMode::kStrict);
  EXPECT_EQ(store->last_seq(), uint64_t{kThreads * kPerThread});
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(store->get("contacts", std::to_string(t) + "-" + std::to_string(i)),
                doc(t * 1000 + i));
    }
  }
}

TEST_F(StoreTest, PipelinedCommitsShareOneSyncAndWaitingForAnUnmadeOneIsRefused) {
  auto fault_fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = fault_fs;
  {
    auto store = open(options);
    store->put("contacts", "k1", doc(1));  // creates the segment and its reservation
    fault_fs->reset_counts();
    uint64_t last = 0;
    for (int i = 2; i <= 6; ++i) {
      last = store->enqueue({{OpKind::kPut, "contacts", "k" + std::to_string(i), doc(i)}})
                 .seq;
    }
    EXPECT_EQ(last, 6u);
    // Under kAlways a commit is visible only once durable (docs/design.md 10).
    EXPECT_EQ(store->get("contacts", "k6"), std::nullopt);
    EXPECT_EQ(store->last_seq(), 1u);
    EXPECT_EQ(fault_fs->count(FsOp::kSync), 0u);
    store->wait_durable(last);
    EXPECT_EQ(fault_fs->count(FsOp::kSync), 1u);
    EXPECT_EQ(store->get("contacts", "k6"), doc(6));
    EXPECT_EQ(store->last_seq(), 6u);
    testing::returns_within(std::chrono::seconds(10), "wait_durable(7)", [&] {
      EXPECT_THROW(store->wait_durable(7), InvalidInputError);
    });
    EXPECT_EQ(store->put("contacts", "k7", doc(7)).seq, 7u);
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_EQ(store->last_seq(), 7u);
}

TEST_F(StoreTest, IntervalDurabilityWithAZeroIntervalIsRefusedBeforeAnythingIsCreated) {
  Options options;
  options.durability = Durability::kInterval;
  options.sync_interval_ms = 0;
  EXPECT_THROW(open(options), InvalidInputError);
  EXPECT_FALSE(fs::exists(store_dir()));
  options.sync_interval_ms = 1;
  EXPECT_EQ(open(options)->put("contacts", "a", doc(1)).seq, 1u);
}

// --- the failed state ---

class StoreFailureTest : public StoreTest, public ::testing::WithParamInterface<FsOp> {};

TEST_P(StoreFailureTest, FailedCallStopsTheStoreAndReopenShowsExactlyTheAcknowledged) {
  auto fault_fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = fault_fs;
  {
    auto store = open(options);
    for (int i = 1; i <= 3; ++i) store->put("contacts", "k" + std::to_string(i), doc(i));
    fault_fs->fail(GetParam(), 1, FaultMode::kOnce);
    EXPECT_THROW(store->put("contacts", "lost", doc(0)), JournalFailedError);
    EXPECT_EQ(fault_fs->failures(GetParam()), 1u);
    // The fault is gone, but the store does not write again.
    try {
      store->put("contacts", "after", doc(0));
      ADD_FAILURE() << "a commit after the failure was accepted";
    } catch (const JournalFailedError& e) {
      EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(store->patch("contacts", "k1", R"({"w":1})"), JournalFailedError);
    EXPECT_THROW(store->remove("contacts", "k1"), JournalFailedError);
    EXPECT_THROW(store->commit({{OpKind::kPut, "notes", "n", "{}"}}), JournalFailedError);
    EXPECT_THROW(store->get("contacts", "k1"), JournalFailedError);
    EXPECT_THROW(store->sync(), JournalFailedError);
  }
  auto store = open(RecoveryMode::kStrict);  // the healthy POSIX file system
  EXPECT_EQ(store->last_seq(), 3u);
  auto docs = store->list("contacts");
  ASSERT_EQ(docs.size(), 3u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(docs[i - 1], std::make_pair("k" + std::to_string(i), doc(i)));
  }
  EXPECT_EQ(store->put("contacts", "k4", doc(4)).seq, 4u);
}

// The failed commit was applied to the writer's state but never published
// nor acknowledged: after the failure no read reports anything,
// collections() and last_seq() no more than get(), list() and state().
TEST_P(StoreFailureTest, EveryReadThrowsJournalFailedAfterTheFailure) {
  auto fault_fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = fault_fs;
  auto store = open(options);
  for (int i = 1; i <= 3; ++i) store->put("contacts", "k" + std::to_string(i), doc(i));
  EXPECT_EQ(store->last_seq(), 3u);
  fault_fs->fail(GetParam(), 1, FaultMode::kOnce);
  EXPECT_THROW(store->put("lost", "k", doc(0)), JournalFailedError);
  EXPECT_THROW(store->last_seq(), JournalFailedError);
  EXPECT_THROW(store->collections(), JournalFailedError);
  EXPECT_THROW(store->get("contacts", "k1"), JournalFailedError);
  EXPECT_THROW(store->list("contacts"), JournalFailedError);
  EXPECT_THROW(store->state(), JournalFailedError);
}

INSTANTIATE_TEST_SUITE_P(Faults, StoreFailureTest,
                         ::testing::Values(FsOp::kAppend, FsOp::kSync),
                         [](const auto& param) {
                           return testing::to_string(param.param);
                         });

// The Nth call of one kind failing, for every N, while commits run (with
// segment roll-overs): the store stops at the first failure and a healthy
// reopen shows exactly the commits that were acknowledged.
class StoreEveryNthFailureTest
    : public StoreTest,
      public ::testing::WithParamInterface<std::tuple<FsOp, FaultMode>> {};

TEST_P(StoreEveryNthFailureTest, ReopenShowsExactlyTheAcknowledgedCommits) {
  auto [op, mode] = GetParam();
  constexpr int kCommits = 12;
  bool fired = true;
  for (uint64_t n = 1; fired; ++n) {
    ASSERT_LT(n, 200u) << "the fault kept firing";
    SCOPED_TRACE("call " + std::to_string(n));
    std::string dir = dir_.path() + "/n" + std::to_string(n);
    auto fault_fs = std::make_shared<FaultFileSystem>();
    Options options;
    options.file_system = fault_fs;
    options.segment_bytes = 300;
    uint64_t acknowledged = 0;
    {
      auto store = Store::open(dir, options);
      fault_fs->fail(op, n, mode);
      bool failed = false;
      for (int i = 1; i <= kCommits; ++i) {
        try {
          store->put("contacts", "k" + std::to_string(i), doc(i));
          EXPECT_FALSE(failed) << "commit " << i << " acknowledged after a failure";
          ++acknowledged;
        } catch (const JournalFailedError&) {
          failed = true;
        }
      }
    }
    fired = fault_fs->failures(op) > 0;

    auto store = Store::open(dir);  // healthy, tolerate-tail
    ASSERT_EQ(store->last_seq(), acknowledged);
    for (uint64_t i = 1; i <= acknowledged; ++i) {
      EXPECT_EQ(store->get("contacts", "k" + std::to_string(i)),
                doc(static_cast<int>(i)));
    }
    EXPECT_EQ(store->list("contacts").size(), acknowledged);
    EXPECT_EQ(store->put("contacts", "next", doc(0)).seq, acknowledged + 1);
    store.reset();
    Options strict;
    strict.recovery = RecoveryMode::kStrict;
    EXPECT_EQ(Store::open(dir, strict)->last_seq(), acknowledged + 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, StoreEveryNthFailureTest,
    ::testing::Combine(::testing::Values(FsOp::kAppend, FsOp::kSync, FsOp::kOpen,
                                         FsOp::kSyncDir, FsOp::kClose),
                       ::testing::Values(FaultMode::kOnce, FaultMode::kPersistent)),
    [](const auto& param) {
      return std::string(testing::to_string(std::get<0>(param.param))) +
             (std::get<1>(param.param) == FaultMode::kOnce ? "_once" : "_persistent");
    });

// --- the writer lock ---

TEST_F(StoreTest, SecondWriterIsRefusedWithAnErrorNamingTheHoldersPid) {
  auto store = open();
  std::string pid = std::to_string(::getpid());
  EXPECT_EQ(testing::read_bytes(path("LOCK")), pid);
  try {
    open();
    FAIL() << "a second writer opened the store";
  } catch (const StoreLockedError& e) {
    EXPECT_NE(std::string(e.what()).find("pid " + pid), std::string::npos) << e.what();
  }
  // The refused open changed nothing for the writer.
  EXPECT_EQ(store->put("contacts", "a", doc(1)).seq, 1u);
}

// A writer that has just taken the lock writes its pid a moment later; a
// second writer refused in between waits for it rather than saying "unknown".
TEST_F(StoreTest, SecondWriterRefusedWhileTheHolderWritesItsPidStillNamesIt) {
  std::filesystem::create_directories(store_dir());
  int held = ::open(path("LOCK").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  std::thread holder([held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(::pwrite(held, "4242", 4, 0), 4);
  });
  try {
    posix_file_system()->lock(path("LOCK"));
    ADD_FAILURE() << "the lock was taken twice";
  } catch (const StoreLockedError& e) {
    EXPECT_NE(std::string(e.what()).find("pid 4242"), std::string::npos) << e.what();
  }
  holder.join();
  ::close(held);
}

// Another program may take LOCK (flock) after pa-journal let it go, or after
// a writer was killed with -9 and left its pid in the file: the refusal must
// not name a pid that does not hold the lock.
TEST_F(StoreTest, LockHeldByAnotherProgramIsNotBlamedOnAnEarlierWriter) {
  open()->put("contacts", "a", doc(1));
  EXPECT_EQ(testing::read_bytes(path("LOCK")), "");  // a closing writer clears it
  pid_t gone = ::fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);
  testing::write_bytes(path("LOCK"), std::to_string(gone));  // as kill -9 leaves it
  int held = ::open(path("LOCK").c_str(), O_RDWR);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  try {
    open();
    ADD_FAILURE() << "the lock was taken twice";
  } catch (const StoreLockedError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("pid unknown"), std::string::npos) << what;
    EXPECT_NE(what.find("not running"), std::string::npos) << what;
  }
  ::close(held);
}

TEST_F(StoreTest, LockIsReleasedWhenTheStoreCloses) {
  open()->put("contacts", "a", doc(1));
  auto store = open();
  EXPECT_EQ(store->put("contacts", "b", doc(2)).seq, 2u);
}

TEST_F(StoreTest, WriterInAnotherProcessIsRefusedAndReadOnlyOpenWorksBesideIt) {
  auto store = open();
  store->put("contacts", "a", doc(1));
  std::string parent_pid = std::to_string(::getpid());
  std::string dir = store_dir();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions in the child: the exit code says what happened.
    int code = 0;
    try {
      Store::open(dir);
      code = 10;  // opened: the lock did not hold
    } catch (const StoreLockedError& e) {
      if (std::string(e.what()).find("pid " + parent_pid) == std::string::npos) code = 11;
    } catch (...) {
      code = 12;
    }
    if (code == 0) {
      try {
        Options read_only;
        read_only.read_only = true;
        auto reader = Store::open(dir, read_only);
        if (reader->get("contacts", "a") != doc(1)) code = 13;
      } catch (...) {
        code = 14;
      }
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: opened, 11: message without the holder's pid, 12: other error, "
         "13/14: read-only open failed";
  EXPECT_EQ(store->put("contacts", "b", doc(2)).seq, 2u);
}

TEST_F(StoreTest, ReadOnlyOpenWorksBesideTheWriterAndSeesItsCommits) {
  auto writer = open();
  writer->put("contacts", "a", doc(1));
  Options read_only;
  read_only.read_only = true;
  {
    auto reader = Store::open(store_dir(), read_only);
    EXPECT_EQ(reader->get("contacts", "a").value(), doc(1));
    EXPECT_EQ(reader->last_seq(), 1u);
    EXPECT_THROW(reader->put("contacts", "x", doc(0)), StorageError);
  }
  writer->put("contacts", "b", doc(2));
  auto reader = Store::open(store_dir(), read_only);
  EXPECT_EQ(reader->last_seq(), 2u);
  EXPECT_EQ(writer->put("contacts", "c", doc(3)).seq, 3u);
}

TEST_F(StoreTest, ReadOnlyOpenNeverCreatesLockNorWritesAnything) {
  make_store(2);
  fs::remove(path("LOCK"));
  std::string log = testing::read_bytes(path("storage.log"));
  std::string journal = journal_bytes();
  {
    Options read_only;
    read_only.read_only = true;
    auto reader = Store::open(store_dir(), read_only);
    EXPECT_EQ(reader->last_seq(), 2u);
    EXPECT_FALSE(fs::exists(path("LOCK")));
  }
  EXPECT_FALSE(fs::exists(path("LOCK")));
  EXPECT_EQ(testing::read_bytes(path("storage.log")), log);
  EXPECT_EQ(journal_bytes(), journal);
}

TEST_F(StoreTest, ReadOnlyOpenOfAMissingStoreIsRefusedAndCreatesNothing) {
  Options read_only;
  read_only.read_only = true;
  EXPECT_THROW(Store::open(store_dir(), read_only), NotFoundError);
  EXPECT_FALSE(fs::exists(store_dir()));
}

// --- refused input ---

// Runs `refused`, which must throw E, and checks that nothing was appended and
// no sequence number was used.
class StoreInputTest : public StoreTest {
 protected:
  void SetUp() override {
    // No background compaction: its segment roll would change the journal's
    // files while a refusal is checked for appending nothing.
    Options options;
    options.auto_compact = false;
    store_ = open(options);
    store_->put("contacts", "alice", R"({"name":"Alice"})");
  }

  template <typename E, typename F>
  void expect_refused(F refused, const std::string& what) {
    SCOPED_TRACE(what);
    std::string before = journal_bytes();
    uint64_t seq = store_->last_seq();
    auto docs = store_->list("contacts");
    EXPECT_THROW(refused(), E);
    EXPECT_EQ(journal_bytes(), before);
    EXPECT_EQ(store_->last_seq(), seq);
    EXPECT_TRUE(store_->list("contacts") == docs);  // not printed: may be huge
    EXPECT_EQ(store_->collections(), std::vector<std::string>{"contacts"});
  }

  // After every refusal, the next commit takes the next number: no gap.
  void TearDown() override {
    uint64_t seq = store_->last_seq();
    EXPECT_EQ(store_->put("contacts", "bob", "{}").seq, seq + 1);
  }

  std::unique_ptr<Store> store_;
};

TEST_F(StoreInputTest, InvalidJsonIsRefusedAndNothingAppended) {
  for (std::string json : {"", "{", R"({"a":})", "nul", "{} {}", R"({"a":1,})", "'x'"}) {
    expect_refused<InvalidInputError>([&] { store_->put("contacts", "x", json); },
                                      "put " + json);
    expect_refused<InvalidInputError>([&] { store_->patch("contacts", "alice", json); },
                                      "patch " + json);
  }
}

TEST_F(StoreInputTest, BadCollectionNamesAreRefusedAndNothingAppended) {
  for (std::string name : {std::string("Contacts"), std::string(""), std::string(65, 'c'),
                           std::string("-notes"), std::string("_notes"),
                           std::string("a/b"), std::string("no tes"), std::string("é")}) {
    expect_refused<InvalidInputError>([&] { store_->put(name, "k", "{}"); },
                                      "collection '" + name + "'");
  }
  // The limits themselves are allowed.
  EXPECT_NO_THROW(store_->put(std::string(64, 'c'), "k", "{}"));
  EXPECT_NO_THROW(store_->put("0a_b-c", "k", "{}"));
}

TEST_F(StoreInputTest, BadKeysAreRefusedAndNothingAppended) {
  for (std::string key :
       {std::string(""), std::string(257, 'k'),
        std::string("a\x01"
                    "b"),
        std::string("tab\there"), std::string("del\x7f"), std::string("a/b"),
        std::string("\xff\xfe"), std::string("trunc\xc3"), std::string("\xc0\xaf"),
        std::string("nul\0byte", 8)}) {
    expect_refused<InvalidInputError>([&] { store_->put("contacts", key, "{}"); },
                                      "key of " + std::to_string(key.size()) + " bytes");
  }
  EXPECT_NO_THROW(store_->put("contacts", std::string(256, 'k'), "{}"));
  EXPECT_NO_THROW(store_->put("contacts", "Zoë Ünïcode ✓", "{}"));
}

TEST_F(StoreInputTest, OversizedDocumentIsRefusedAndNothingAppended) {
  std::string big = "\"" + std::string(16u << 20, 'x') + "\"";  // 16 MiB + 2
  expect_refused<InvalidInputError>([&] { store_->put("contacts", "big", big); }, "put");
  expect_refused<InvalidInputError>(
      [&] { store_->patch("contacts", "alice", R"({"big":)" + big + "}"); }, "patch");
}

TEST_F(StoreInputTest, PatchThatGrowsADocumentPast16MiBIsRefusedAndNothingAppended) {
  std::string half = "\"" + std::string(9u << 20, 'x') + "\"";
  store_->put("contacts", "grow", R"({"a":)" + half + "}");
  expect_refused<InvalidInputError>(
      [&] { store_->patch("contacts", "grow", R"({"b":)" + half + "}"); }, "patch");
}

TEST_F(StoreInputTest, CommitTooLargeForOneRecordIsRefusedAndLeavesTheStateAlone) {
  // Every document is within the limit; together they exceed one record's.
  std::string doc14 = "\"" + std::string(14u << 20, 'x') + "\"";
  std::vector<Operation> ops;
  for (int i = 0; i < 5; ++i) {
    ops.push_back({OpKind::kPut, "contacts", "big" + std::to_string(i), doc14});
  }
  expect_refused<InvalidInputError>([&] { store_->commit(ops); }, "5 x 14 MiB");
  EXPECT_FALSE(store_->get("contacts", "big0").has_value());
}

TEST_F(StoreInputTest, PatchOfAMissingDocumentIsRefusedAndNothingAppended) {
  expect_refused<NotFoundError>([&] { store_->patch("contacts", "nobody", "{}"); },
                                "missing key");
  expect_refused<NotFoundError>([&] { store_->patch("notes", "alice", "{}"); },
                                "missing collection");
}

TEST_F(StoreInputTest, DeleteOfAMissingDocumentIsRefusedAndNothingAppended) {
  expect_refused<NotFoundError>([&] { store_->remove("contacts", "nobody"); },
                                "missing key");
  expect_refused<NotFoundError>([&] { store_->remove("notes", "alice"); },
                                "missing collection");
}

TEST_F(StoreInputTest, EmptyCommitIsRefusedAndNothingAppended) {
  expect_refused<InvalidInputError>([&] { store_->commit({}); }, "no operations");
  expect_refused<InvalidInputError>([&] { store_->commit({}, "origin only"); },
                                    "origin only");
}

TEST_F(StoreInputTest, DocumentOfExactly16MiBIsAccepted) {
  std::string exact = "\"" + std::string((16u << 20) - 2, 'x') + "\"";
  EXPECT_EQ(store_->put("contacts", "exact", exact).seq, 2u);
  EXPECT_EQ(store_->get("contacts", "exact")->size(), size_t{16u << 20});
}

// --- multi-operation commits ---

TEST_F(StoreTest, PutThenPatchOfTheSameKeyInOneCommitIsAppliedAtomically) {
  {
    auto store = open();
    CommitResult result = store->commit({{OpKind::kPut, "contacts", "a", R"({"x":1})"},
                                         {OpKind::kPatch, "contacts", "a", R"({"y":2})"},
                                         {OpKind::kPut, "notes", "n", R"("text")"}},
                                        "import");
    EXPECT_EQ(result.seq, 1u);
    EXPECT_EQ(store->get("contacts", "a").value(), R"({"x":1,"y":2})");
    EXPECT_EQ(store->get("notes", "n").value(), R"("text")");
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_EQ(store->last_seq(), 1u);
  EXPECT_EQ(store->get("contacts", "a").value(), R"({"x":1,"y":2})");
  EXPECT_EQ(store->get("notes", "n").value(), R"("text")");
}

TEST_F(StoreTest, CommitWhoseLaterOperationIsInvalidAppendsNothing) {
  auto store = open();
  store->put("contacts", "a", doc(1));
  std::string before = journal_bytes();
  EXPECT_THROW(store->commit({{OpKind::kPut, "contacts", "b", doc(2)},
                              {OpKind::kPut, "contacts", "bad/key", doc(3)}}),
               InvalidInputError);
  EXPECT_THROW(store->commit({{OpKind::kPut, "contacts", "b", doc(2)},
                              {OpKind::kPatch, "contacts", "missing", "{}"}}),
               NotFoundError);
  EXPECT_THROW(store->commit({{OpKind::kDelete, "contacts", "a", ""},
                              {OpKind::kPatch, "contacts", "a", "{}"}}),
               NotFoundError);  // deleted earlier in the same commit
  EXPECT_THROW(store->commit({{OpKind::kPut, "contacts", "b", doc(2)},
                              {OpKind::kPut, "contacts", "c", "{not json"}}),
               InvalidInputError);
  EXPECT_EQ(journal_bytes(), before);
  EXPECT_FALSE(store->get("contacts", "b").has_value());
  EXPECT_EQ(store->get("contacts", "a").value(), doc(1));
  EXPECT_EQ(store->put("contacts", "b", doc(2)).seq, 2u);
}

// Commits of puts and deletes only are checked without resolving patches; a
// delete must still see what the commit's earlier operations left.
TEST_F(StoreTest, DeleteInOneCommitSeesTheCommitsEarlierOperations) {
  auto store = open();
  store->put("contacts", "a", doc(1));
  std::string before = journal_bytes();
  EXPECT_THROW(store->commit({{OpKind::kDelete, "contacts", "a", ""},
                              {OpKind::kDelete, "contacts", "a", ""}}),
               NotFoundError);  // deleted earlier in the same commit
  EXPECT_THROW(store->commit({{OpKind::kPut, "contacts", "b", doc(2)},
                              {OpKind::kDelete, "notes", "b", ""}}),
               NotFoundError);  // same key, other collection
  EXPECT_EQ(journal_bytes(), before);
  EXPECT_EQ(store->get("contacts", "a").value(), doc(1));
  EXPECT_FALSE(store->get("contacts", "b").has_value());

  store->commit({{OpKind::kPut, "contacts", "b", doc(2)},
                 {OpKind::kDelete, "contacts", "b", ""},
                 {OpKind::kDelete, "contacts", "a", ""},
                 {OpKind::kPut, "contacts", "a", doc(3)}});
  EXPECT_FALSE(store->get("contacts", "b").has_value());
  EXPECT_EQ(store->get("contacts", "a").value(), doc(3));
  EXPECT_EQ(store->list("contacts").size(), 1u);
}

// --- recovery on reopen ---

TEST_F(StoreTest, TornTailIsCutLoggedAndQuarantinedThenAppendingContinues) {
  make_store(5);
  std::string segment = testing::segment_path(store_dir());
  std::string original = testing::read_bytes(segment);
  FrameSpan last = frames_of(original).back();
  ASSERT_EQ(last.offset + last.size, original.size());
  uint64_t torn_size = original.size() - 5;  // the last record, cut mid-way
  fs::resize_file(segment, torn_size);

  {
    auto store = open();  // tolerate-tail
    const RecoveryReport& report = store->recovery();
    EXPECT_EQ(report.records_replayed, 4u);
    EXPECT_EQ(store->last_seq(), 4u);
    ASSERT_EQ(report.damage.size(), 1u);
    EXPECT_EQ(report.damage[0].kind, Damage::Kind::kTornTail);
    EXPECT_EQ(report.damage[0].offset, last.offset);
    EXPECT_EQ(report.torn_bytes_cut, last.size - 5);
    EXPECT_EQ(fs::file_size(segment), last.offset);
    // A copy of exactly the bytes cut.
    ASSERT_EQ(report.quarantined.size(), 1u);
    EXPECT_EQ(report.quarantined[0].rfind("journal/quarantine/", 0), 0u);
    EXPECT_EQ(testing::read_bytes(path(report.quarantined[0])),
              original.substr(last.offset, last.size - 5));
    // Logged.
    std::string log = testing::read_bytes(path("storage.log"));
    EXPECT_NE(log.find("torn tail"), std::string::npos) << log;
    EXPECT_NE(log.find(report.quarantined[0]), std::string::npos) << log;
    // Appending goes on from the cut.
    EXPECT_EQ(store->put("contacts", "k5", doc(55)).seq, 5u);
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
  EXPECT_EQ(store->last_seq(), 5u);
  EXPECT_EQ(store->get("contacts", "k5").value(), doc(55));
  EXPECT_EQ(store->get("contacts", "k4").value(), doc(4));
}

// Two repairs that cut the same segment at the same offset (usually within
// one second, so the names would otherwise match) keep both copies.
TEST_F(StoreTest, TwoTornTailsCutAtOneOffsetKeepBothQuarantineCopies) {
  make_store(5);
  std::string segment = testing::segment_path(store_dir());
  std::vector<std::string> copies, cut_bytes;
  for (int round = 0; round < 2; ++round) {
    std::string original = testing::read_bytes(segment);
    FrameSpan last = frames_of(original).back();
    fs::resize_file(segment, original.size() - 5);
    cut_bytes.push_back(original.substr(last.offset, last.size - 5));
    auto store = open();
    ASSERT_EQ(store->recovery().quarantined.size(), 1u);
    copies.push_back(store->recovery().quarantined[0]);
    store->put("contacts", "k5", doc(100 + round));  // a new seq 5 at the same place
  }
  EXPECT_NE(copies[0], copies[1]);
  EXPECT_EQ(testing::read_bytes(path(copies[0])), cut_bytes[0]);
  EXPECT_EQ(testing::read_bytes(path(copies[1])), cut_bytes[1]);
}

TEST_F(StoreTest, TornTailRefusesAStrictOpenAndChangesNothing) {
  make_store(3);
  std::string segment = testing::segment_path(store_dir());
  fs::resize_file(segment, fs::file_size(segment) - 3);
  std::string before = journal_bytes();
  EXPECT_THROW(open(RecoveryMode::kStrict), CorruptedDataError);
  EXPECT_EQ(journal_bytes(), before);
}

// The Nth call of one kind failing, for every N, while an open repairs a torn
// tail: the open either succeeds or throws, and in both cases the next healthy
// open finishes the repair, so that the journal holds records 1..4 and reads
// clean in strict mode once a commit has been appended.
class StoreRepairFailureTest : public StoreTest,
                               public ::testing::WithParamInterface<FsOp> {};

TEST_P(StoreRepairFailureTest, NextOpenFinishesTheRepair) {
  bool fired = true;
  for (uint64_t n = 1; fired; ++n) {
    ASSERT_LT(n, 200u) << "the fault kept firing";
    SCOPED_TRACE("call " + std::to_string(n));
    std::string dir = dir_.path() + "/n" + std::to_string(n);
    {
      auto store = Store::open(dir);
      for (int i = 1; i <= 5; ++i)
        store->put("contacts", "k" + std::to_string(i), doc(i));
    }
    std::string segment = testing::segment_path(dir);
    fs::resize_file(segment, fs::file_size(segment) - 5);

    auto fault_fs = std::make_shared<FaultFileSystem>();
    fault_fs->fail(GetParam(), n, FaultMode::kOnce);
    Options options;
    options.file_system = fault_fs;
    try {
      auto store = Store::open(dir, options);
      EXPECT_EQ(store->last_seq(), 4u);
    } catch (const StorageError& e) {
      EXPECT_EQ(fault_fs->failures(GetParam()), 1u) << e.what();
    }
    fired = fault_fs->failures(GetParam()) > 0;

    {
      auto store = Store::open(dir);
      EXPECT_EQ(store->last_seq(), 4u);
      EXPECT_EQ(store->get("contacts", "k4"), doc(4));
      EXPECT_EQ(store->put("contacts", "k5", doc(55)).seq, 5u);
    }
    Options strict;
    strict.recovery = RecoveryMode::kStrict;
    auto store = Store::open(dir, strict);
    EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
    EXPECT_EQ(store->get("contacts", "k5"), doc(55));
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, StoreRepairFailureTest,
                         ::testing::Values(FsOp::kRead, FsOp::kOpen, FsOp::kAppend,
                                           FsOp::kSync, FsOp::kClose, FsOp::kRename,
                                           FsOp::kSyncDir, FsOp::kTruncate,
                                           FsOp::kCreateDir, FsOp::kListDir),
                         [](const auto& param) {
                           return testing::to_string(param.param);
                         });

// Flips one payload byte of the record with sequence number seq (1-based, all
// in the first segment); returns its frame.
FrameSpan corrupt_record(const std::string& segment, uint64_t seq) {
  std::string data = testing::read_bytes(segment);
  FrameSpan frame = frames_of(data).at(seq - 1);
  data[frame.offset + format::kFrameHeaderSize + 3] ^= 0x5a;
  testing::write_bytes(segment, data);
  return frame;
}

TEST_F(StoreTest, CorruptedMiddleRecordRefusesTheDefaultOpenNamingWhere) {
  make_store(10);
  std::string segment = testing::segment_path(store_dir());
  FrameSpan bad = corrupt_record(segment, 5);
  std::string before = journal_bytes();
  try {
    open();
    FAIL() << "opened a journal with a corrupted middle record";
  } catch (const CorruptedDataError& e) {
    EXPECT_EQ(e.file(), "journal/" + fs::path(segment).filename().string());
    EXPECT_EQ(e.offset(), bad.offset);
    EXPECT_NE(std::string(e.what()).find("seq 4"), std::string::npos) << e.what();
  }
  EXPECT_EQ(journal_bytes(), before);
}

TEST_F(StoreTest, PointInTimeOpenKeepsThePrefixQuarantinesTheRestAndContinues) {
  make_store(10);
  std::string segment = testing::segment_path(store_dir());
  FrameSpan bad = corrupt_record(segment, 5);
  std::string damaged = testing::read_bytes(segment);
  {
    auto store = open(RecoveryMode::kPointInTime);
    const RecoveryReport& report = store->recovery();
    EXPECT_EQ(report.records_replayed, 4u);
    EXPECT_EQ(store->last_seq(), 4u);
    ASSERT_FALSE(report.damage.empty());
    EXPECT_EQ(report.damage[0].kind, Damage::Kind::kCorruption);
    EXPECT_EQ(report.damage[0].offset, bad.offset);
    EXPECT_EQ(store->list("contacts").size(), 4u);
    EXPECT_FALSE(store->get("contacts", "k5").has_value());
    EXPECT_FALSE(store->get("contacts", "k10").has_value());
    // Everything from the damage on is kept aside, then cut.
    ASSERT_EQ(report.quarantined.size(), 1u);
    EXPECT_EQ(testing::read_bytes(path(report.quarantined[0])),
              damaged.substr(bad.offset));
    EXPECT_EQ(fs::file_size(segment), bad.offset);
    EXPECT_EQ(store->put("contacts", "new", doc(0)).seq, 5u);
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
  EXPECT_EQ(store->last_seq(), 5u);
  EXPECT_EQ(store->list("contacts").size(), 5u);
  EXPECT_EQ(store->get("contacts", "new").value(), doc(0));
}

TEST_F(StoreTest, SalvageOpenKeepsEveryValidRecordMarksTheLossInPlaceAndContinues) {
  make_store(10);
  std::string segment = testing::segment_path(store_dir());
  FrameSpan bad = corrupt_record(segment, 5);
  std::string damaged = testing::read_bytes(segment);
  {
    auto store = open(RecoveryMode::kSalvage);
    const RecoveryReport& report = store->recovery();
    EXPECT_EQ(report.records_replayed, 9u);
    EXPECT_EQ(store->last_seq(), 10u);
    ASSERT_EQ(report.damage.size(), 1u);
    EXPECT_EQ(report.damage[0].kind, Damage::Kind::kCorruption);
    EXPECT_EQ(report.damage[0].offset, bad.offset);
    EXPECT_EQ(report.damage[0].bytes, bad.size);
    EXPECT_EQ(report.damage[0].first_seq, 5u);
    EXPECT_EQ(report.damage[0].last_seq, 5u);
    EXPECT_FALSE(store->get("contacts", "k5").has_value());
    for (int i : {1, 2, 3, 4, 6, 7, 8, 9, 10}) {
      EXPECT_EQ(store->get("contacts", "k" + std::to_string(i)).value(), doc(i));
    }
    // The damaged segment was kept whole before it was rewritten in place.
    ASSERT_EQ(report.quarantined.size(), 1u);
    EXPECT_EQ(testing::read_bytes(path(report.quarantined[0])), damaged);
    std::string repaired = testing::read_bytes(segment);
    EXPECT_EQ(repaired.size(), damaged.size());
    EXPECT_EQ(repaired.substr(0, bad.offset), damaged.substr(0, bad.offset));
    EXPECT_EQ(repaired.substr(bad.offset + bad.size),
              damaged.substr(bad.offset + bad.size));
    EXPECT_EQ(store->put("contacts", "new", doc(0)).seq, 11u);
  }
  auto store = open(RecoveryMode::kStrict);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
  EXPECT_EQ(store->recovery().records_replayed, 10u);  // 9 kept + the new one
  EXPECT_EQ(store->last_seq(), 11u);
  EXPECT_FALSE(store->get("contacts", "k5").has_value());
  EXPECT_EQ(store->get("contacts", "new").value(), doc(0));
  store.reset();
  EXPECT_TRUE(verify_store(store_dir()).ok());
}

// Records missing inside a segment (their frames gone whole, every checksum
// intact) leave no bytes to rewrite: a writable salvage open refuses, changes
// nothing, and says how to get every valid record out, which a read-only
// salvage open still gives.
TEST_F(StoreTest, SalvageOpenRefusesRecordsMissingInsideASegmentWithTheExtractAdvice) {
  make_store(10);
  std::string segment = testing::segment_path(store_dir());
  std::string data = testing::read_bytes(segment);
  std::vector<FrameSpan> frames = frames_of(data);
  data.erase(frames[3].offset, frames[5].offset - frames[3].offset);  // records 4, 5
  testing::write_bytes(segment, data);
  std::string before = journal_bytes();
  try {
    open(RecoveryMode::kSalvage);
    FAIL() << "salvage opened a segment with records missing inside it";
  } catch (const StorageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("salvage cannot mark"), std::string::npos) << message;
    EXPECT_NE(message.find("records 4..5 lost"), std::string::npos) << message;
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kSalvageReplay) << message;
    EXPECT_EQ(message.find("pa-journal"), std::string::npos) << message;
  }
  EXPECT_EQ(journal_bytes(), before);
  Options read_only;
  read_only.recovery = RecoveryMode::kSalvage;
  read_only.read_only = true;
  EXPECT_EQ(open(read_only)->list("contacts").size(), 8u);
}

// --- retention ---

// retain_backups(0) keeps one snapshot, the newest: replay starts there.
TEST_F(StoreTest, RetainBackupsOfZeroKeepsTheNewestSnapshot) {
  Options options;
  options.auto_compact = false;
  auto clock =
      std::make_shared<std::atomic<int64_t>>(int64_t{1'795'600'800} * 1'000'000'000);
  options.clock_ns = [clock] { return clock->fetch_add(1'000'000'000); };
  auto store = open(options);
  std::string newest;
  for (int i = 1; i <= 3; ++i) {
    store->put("contacts", "k", doc(i));
    newest = store->compact().snapshot_id;
  }
  ASSERT_EQ(list_backups(store_dir()).size(), 3u);
  store->retain_backups(0);
  auto kept = list_backups(store_dir());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, newest);
  store.reset();
  EXPECT_EQ(open()->get("contacts", "k"), doc(3));
}

// --- storage.log ---

// log_event is open to callers: a level outside the three is refused, and a
// message cannot add a line of its own (a forged event) with a newline or
// any other control character.
TEST_F(StoreTest, LogEventRefusesOtherLevelsAndCannotForgeALine) {
  auto store = open();
  std::string before = testing::read_bytes(path("storage.log"));
  for (const char* level : {"DEBUG", "info", "", "INFO ", "ERROR\nINFO"}) {
    EXPECT_THROW(store->log_event(level, "refused"), InvalidInputError) << level;
  }
  EXPECT_EQ(testing::read_bytes(path("storage.log")), before);

  store->log_event("WARN", "a\n2026-11-25T10:00:00.000000000Z ERROR forged\r\x01\x7f\tb");
  std::string added = testing::read_bytes(path("storage.log")).substr(before.size());
  ASSERT_FALSE(added.empty());
  EXPECT_EQ(std::count(added.begin(), added.end(), '\n'), 1) << added;
  EXPECT_EQ(added.back(), '\n');
  EXPECT_NE(
      added.find(
          " WARN a\\n2026-11-25T10:00:00.000000000Z ERROR forged\\r\\x01\\x7f\\tb\n"),
      std::string::npos)
      << added;
}

// --- permissions ---

TEST_F(StoreTest, DirectoriesAre0700AndFiles0600) {
  mode_t old_umask = ::umask(0);  // the store must not rely on the umask
  make_store(3);
  // A torn tail makes the open write a quarantine copy too.
  std::string segment = testing::segment_path(store_dir());
  fs::resize_file(segment, fs::file_size(segment) - 3);
  auto store = open();
  ::umask(old_umask);

  EXPECT_EQ(mode_of(store_dir()), 0700);
  EXPECT_EQ(mode_of(path("journal")), 0700);
  EXPECT_EQ(mode_of(path("journal/quarantine")), 0700);
  EXPECT_EQ(mode_of(path("LOCK")), 0600);
  EXPECT_EQ(mode_of(path("storage.log")), 0600);
  EXPECT_EQ(mode_of(segment), 0600);
  ASSERT_EQ(store->recovery().quarantined.size(), 1u);
  EXPECT_EQ(mode_of(path(store->recovery().quarantined[0])), 0600);
}

}  // namespace
}  // namespace pa_journal
