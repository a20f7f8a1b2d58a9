// pa-journal put/patch/delete --if-seq, get --seq and apply's "if_seq": a
// compare-and-set refused exits 4, names the document and the seq it changed
// at, and appends nothing (docs/cli.md, "Compare-and-set").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::contains;

class CompareAndSetCliTest : public ::testing::Test {
 protected:
  CommandResult pj(std::vector<std::string> args, const std::string& stdin_data = {}) {
    return testing::run_in_store(dir, std::move(args), stdin_data);
  }
  // The seq `get --seq --json` reports for contacts/key.
  uint64_t seq_of(const std::string& key) {
    CommandResult r = pj({"--json", "get", "contacts", key, "--seq"});
    EXPECT_EQ(r.exit_code, testing::kExitOk) << r.describe();
    return testing::parse_json(r.out).at("seq").get<uint64_t>();
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

TEST_F(CompareAndSetCliTest, GetSeqPrintsTheDocumentWithTheSeqOfItsLastChange) {
  pj({"put", "contacts", "alice", R"({"name":"Alice"})"});
  pj({"put", "contacts", "bob", R"({"name":"Bob"})"});
  CommandResult r = pj({"--json", "get", "contacts", "alice", "--seq"});
  ASSERT_EQ(r.exit_code, testing::kExitOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out),
            json::parse(R"({"seq":1,"document":{"name":"Alice"}})"));
  CommandResult human = pj({"get", "contacts", "bob", "--seq"});
  ASSERT_EQ(human.exit_code, testing::kExitOk) << human.describe();
  EXPECT_EQ(human.out, "{\n  \"name\": \"Bob\"\n}\nseq 2\n");
}

TEST_F(CompareAndSetCliTest, GetSeqWithAtIsAUsageError) {
  pj({"put", "contacts", "alice", "{}"});
  CommandResult r = pj({"get", "contacts", "alice", "--seq", "--at", "1"});
  EXPECT_EQ(r.exit_code, testing::kExitUsage) << r.describe();
}

TEST_F(CompareAndSetCliTest,
       PutWithAStaleIfSeqExitsFourNamingTheDocumentAndAppendsNothing) {
  pj({"put", "contacts", "alice", R"({"v":1})"});
  CommandResult ok = pj({"put", "contacts", "alice", R"({"v":2})", "--if-seq", "1"});
  ASSERT_EQ(ok.exit_code, testing::kExitOk) << ok.describe();
  EXPECT_EQ(ok.out, "2\n");
  std::string before = testing::journal_bytes(dir);
  CommandResult stale = pj({"put", "contacts", "alice", R"({"v":3})", "--if-seq", "1"});
  EXPECT_EQ(stale.exit_code, testing::kExitConflict) << stale.describe();
  EXPECT_TRUE(contains(stale.err, "contacts/alice changed at seq 2")) << stale.err;
  EXPECT_EQ(testing::journal_bytes(dir), before);
  EXPECT_EQ(seq_of("alice"), 2u);
}

TEST_F(CompareAndSetCliTest, PatchAndDeleteTakeIfSeq) {
  pj({"put", "contacts", "alice", R"({"v":1})"});
  EXPECT_EQ(pj({"patch", "contacts", "alice", R"({"w":2})", "--if-seq", "1"}).exit_code,
            testing::kExitOk);
  EXPECT_EQ(pj({"delete", "contacts", "alice", "--if-seq", "1"}).exit_code,
            testing::kExitConflict);
  EXPECT_EQ(pj({"delete", "contacts", "alice", "--if-seq", "2"}).exit_code,
            testing::kExitOk);
}

TEST_F(CompareAndSetCliTest, IfSeqZeroCreatesOnlyOnce) {
  EXPECT_EQ(pj({"put", "contacts", "alice", "{}", "--if-seq", "0"}).exit_code,
            testing::kExitOk);
  CommandResult again = pj({"put", "contacts", "alice", "{}", "--if-seq", "0"});
  EXPECT_EQ(again.exit_code, testing::kExitConflict) << again.describe();
  EXPECT_TRUE(contains(again.err, "contacts/alice exists")) << again.err;
}

TEST_F(CompareAndSetCliTest, IfSeqThatIsNotAWholeNumberIsAUsageError) {
  CommandResult r = pj({"put", "contacts", "alice", "{}", "--if-seq", "-1"});
  EXPECT_EQ(r.exit_code, testing::kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "--if-seq")) << r.err;
}

TEST_F(CompareAndSetCliTest, ApplyRefusesALineWhoseIfSeqTheDocumentContradicts) {
  pj({"put", "contacts", "alice", R"({"v":1})"});
  pj({"put", "contacts", "alice", R"({"v":2})"});
  std::string lines =
      R"({"op":"put","collection":"contacts","key":"alice","value":{"v":3},"if_seq":2})"
      "\n"
      R"({"op":"put","collection":"contacts","key":"alice","value":{"v":4},"if_seq":2})"
      "\n";
  CommandResult r = pj({"apply"}, lines);
  EXPECT_EQ(r.exit_code, testing::kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "line 2 refused")) << r.err;
  EXPECT_TRUE(contains(r.err, "conflict: contacts/alice changed at seq 3")) << r.err;
  EXPECT_EQ(seq_of("alice"), 3u);
  CommandResult bad = pj(
      {"apply"}, R"({"op":"delete","collection":"contacts","key":"alice","if_seq":"3"})");
  EXPECT_EQ(bad.exit_code, testing::kExitError) << bad.describe();
  EXPECT_TRUE(contains(bad.err, "\"if_seq\" must be a whole number")) << bad.err;
}

}  // namespace
}  // namespace pa_journal
