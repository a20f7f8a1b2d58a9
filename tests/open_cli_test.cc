// What opening the store tells the user of pa-journal (docs/cli.md 2 and 6):
// how a writer waits for another's lock (--wait) and names it when it gives up.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;
using testing::contains;
using testing::kExitError;
using testing::kExitOk;
using testing::kExitUsage;

std::string put_line(const std::string& key) {
  return json{{"op", "put"}, {"collection", "contacts"}, {"key", key}, {"value", 1}}
             .dump() +
         "\n";
}

class OpenCliTest : public ::testing::Test {
 protected:
  CommandResult pj(const std::vector<std::string>& args, const std::string& input = {}) {
    return testing::run_in_store(store, args, input);
  }

  // `pa-journal apply -` on the store, holding its lock while its stdin is
  // open; returns once its first commit is acknowledged.
  std::unique_ptr<ChildProcess> start_holder() {
    auto child = std::make_unique<ChildProcess>(std::vector<std::string>{
        testing::pa_journal_binary(), "--dir", store, "apply", "-"});
    EXPECT_TRUE(child->write_all(put_line("held")));
    std::string out;
    while (out.find('\n') == std::string::npos && child->read_stdout(&out, 10'000)) {
    }
    EXPECT_TRUE(contains(out, "\"seq\"")) << out << child->stderr_text();
    return child;
  }

  std::string holder_text(const ChildProcess& child) const {
    return "locked by pid " + std::to_string(child.pid()) + " (pa-journal --dir " +
           store + " apply -)";
  }

  testing::TempDir tmp;
  std::string store = tmp / "store";
};

// --- the lock and --wait ---

TEST_F(OpenCliTest, AWriterRefusedByTheLockNamesTheHoldersPidAndCommandLine) {
  auto holder = start_holder();
  CommandResult r = pj({"put", "contacts", "b", "2"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: error: the store in " + store + " is " +
                                  holder_text(*holder) +
                                  "; retry with --wait SECONDS to wait for it"))
      << r.describe();
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
}

TEST_F(OpenCliTest, PutWithWaitCommitsOnceTheHolderLetsGo) {
  auto holder = start_holder();  // commit 1
  ChildProcess waiter({testing::pa_journal_binary(), "--dir", store, "put", "contacts",
                       "b", "2", "--wait", "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
  CommandResult put = waiter.wait();
  EXPECT_EQ(put.exit_code, kExitOk) << put.describe();
  EXPECT_EQ(put.out, "2\n");  // after the holder's commit
}

TEST_F(OpenCliTest, WaitRunsOutAgainstAHolderThatKeepsTheLock) {
  auto holder = start_holder();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--wait", "0.2", "put", "contacts", "b", "2"},
        {"put", "contacts", "b", "2", "--wait", "0.2"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, holder_text(*holder) + ", still after waiting 0.2 s"))
        << r.describe();
  }
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
}

TEST_F(OpenCliTest, WaitMustBeANonNegativeNumber) {
  for (const char* bad : {"-1", "soon", "", "inf"}) {
    CommandResult r = pj({"put", "contacts", "a", "1", "--wait", bad});
    EXPECT_EQ(r.exit_code, kExitUsage) << bad << "\n" << r.describe();
    EXPECT_TRUE(contains(r.err, "--wait")) << r.describe();
  }
  EXPECT_FALSE(fs::exists(store));
  CommandResult zero = pj({"put", "contacts", "a", "1", "--wait", "0"});
  EXPECT_EQ(zero.exit_code, kExitOk) << zero.describe();
}

}  // namespace
}  // namespace pa_journal
