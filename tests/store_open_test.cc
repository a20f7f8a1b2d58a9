// Who creates a store and who waits for its lock (include/pa_journal/options.h:
// create_if_missing, lock_wait_ms; Store::created). The lock is held here by
// a second open file description of LOCK in this process: flock locks belong
// to it, so the store's own open conflicts with it as with another process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;

class StoreOpenTest : public ::testing::Test {
 protected:
  std::string store_dir() const { return dir_.path() + "/store"; }
  std::string path(const std::string& name) const { return store_dir() + "/" + name; }

  static Options options_with(bool create_if_missing, uint32_t lock_wait_ms = 0) {
    Options options;
    options.create_if_missing = create_if_missing;
    options.lock_wait_ms = lock_wait_ms;
    return options;
  }

  // Takes LOCK the way another writer would (flock) and writes pid into it;
  // returns the descriptor, which holds the lock until closed.
  int hold_lock(const std::string& pid) {
    int fd = ::open(path("LOCK").c_str(), O_RDWR | O_CREAT, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(::ftruncate(fd, 0), 0);
    EXPECT_EQ(::pwrite(fd, pid.data(), pid.size(), 0), static_cast<ssize_t>(pid.size()));
    return fd;
  }

  testing::TempDir dir_;
};

TEST_F(StoreOpenTest, FirstWritableOpenCreatesTheStoreAndSaysSoLaterOnesDoNot) {
  {
    auto store = Store::open(store_dir());
    EXPECT_TRUE(store->created());
    store->put("contacts", "a", "1");
  }
  EXPECT_TRUE(fs::is_directory(path("journal")));
  EXPECT_NE(testing::read_bytes(path("storage.log")).find("created a new store in"),
            std::string::npos);
  EXPECT_FALSE(Store::open(store_dir())->created());
  Options read_only;
  read_only.read_only = true;
  EXPECT_FALSE(Store::open(store_dir(), read_only)->created());
}

TEST_F(StoreOpenTest, AnEmptyExistingDirectoryBecomesAStoreThatSaysItWasCreated) {
  fs::create_directories(store_dir());
  EXPECT_TRUE(Store::open(store_dir())->created());
}

TEST_F(StoreOpenTest, WithoutCreateIfMissingAMissingDirectoryIsRefusedAndNotCreated) {
  try {
    Store::open(store_dir(), options_with(false));
    ADD_FAILURE() << "a store was opened where there is none";
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("no store at " + store_dir()), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(store_dir()));
}

TEST_F(StoreOpenTest, WithoutCreateIfMissingAnEmptyDirectoryIsRefusedAndLeftEmpty) {
  fs::create_directories(store_dir());
  EXPECT_THROW(Store::open(store_dir(), options_with(false)), NotFoundError);
  EXPECT_TRUE(fs::is_empty(store_dir()));
}

TEST_F(StoreOpenTest, WithoutCreateIfMissingAnExistingStoreOpens) {
  Store::open(store_dir())->put("contacts", "a", "1");
  auto store = Store::open(store_dir(), options_with(false));
  EXPECT_FALSE(store->created());
  EXPECT_EQ(store->get("contacts", "a"), "1");
}

// How to wait (an Options field, a command-line option) is the caller's to say.
TEST_F(StoreOpenTest, RefusalNamesTheHoldersPidAndCommandLineAndNoToolOption) {
  auto holder = Store::open(store_dir());
  try {
    Store::open(store_dir());
    ADD_FAILURE() << "the lock was taken twice";
  } catch (const StoreLockedError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("the store in " + store_dir() + " is locked by pid " +
                        std::to_string(::getpid()) + " (store_open_test"),
              std::string::npos)
        << what;
    EXPECT_TRUE(e.held());
    EXPECT_EQ(what.find("--wait"), std::string::npos) << what;
  }
}

TEST_F(StoreOpenTest, LockWaitTakesTheLockOnceTheHolderLetsGo) {
  Store::open(store_dir())->put("contacts", "a", "1");
  int held = hold_lock("4242");
  std::thread releaser([held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::ftruncate(held, 0);
    ::close(held);
  });
  std::unique_ptr<Store> store;
  EXPECT_NO_THROW(store = Store::open(store_dir(), options_with(true, 60'000)));
  releaser.join();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->put("contacts", "b", "2").seq, 2u);
  EXPECT_EQ(testing::read_bytes(path("LOCK")), std::to_string(::getpid()));
}

TEST_F(StoreOpenTest, LockWaitRunsOutNamingTheHolderAndHowLongItWaited) {
  Store::open(store_dir())->put("contacts", "a", "1");
  int held = hold_lock(std::to_string(::getpid()));
  try {
    Store::open(store_dir(), options_with(true, 100));
    ADD_FAILURE() << "the lock was taken twice";
  } catch (const StoreLockedError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("locked by pid " + std::to_string(::getpid())), std::string::npos)
        << what;
    EXPECT_NE(what.find("still after waiting 0.1 s"), std::string::npos) << what;
  }
  ::close(held);
}

TEST_F(StoreOpenTest, AForeignLockFileIsNotHeldByAProcess) {
  Store::open(store_dir())->put("contacts", "a", "1");
  testing::write_bytes(path("LOCK"), "locked by the app\n");
  try {
    Store::open(store_dir());
    ADD_FAILURE() << "a foreign LOCK file was taken";
  } catch (const StoreLockedError& e) {
    EXPECT_FALSE(e.held()) << e.what();
  }
}

// Waiting cannot make a file that is not pa-journal's lock file one: refused
// at once however long the wait (a wait of ten minutes would hang the test).
TEST_F(StoreOpenTest, LockWaitDoesNotWaitForAForeignLockFile) {
  Store::open(store_dir())->put("contacts", "a", "1");
  testing::write_bytes(path("LOCK"), "locked by the app\n");
  testing::returns_within(std::chrono::seconds(60), "a wait for a foreign LOCK", [&] {
    EXPECT_THROW(Store::open(store_dir(), options_with(true, 600'000)), StoreLockedError);
  });
  EXPECT_EQ(testing::read_bytes(path("LOCK")), "locked by the app\n");
}

}  // namespace
}  // namespace pa_journal
