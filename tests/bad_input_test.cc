// Bad input of every kind (docs/design.md 3, 6 and 8), in one table, each case
// tried twice: through the library, where it must throw the right error type
// with a message that names the problem, and through the built pa-journal,
// where it must exit with the docs/design.md 6 code and say the same on stderr.
// Either way the journal's bytes must not change: nothing is appended.
//
// Cases that are command-line syntax only (unknown commands and options,
// missing arguments) have no library call.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::CommandResult;
using testing::contains;

enum class Refusal {
  kInvalidInput,  // InvalidInputError; exit 1
  kNotFound,      // NotFoundError; exit 1
  kUsage,         // the command line itself is wrong; exit 2, no library call
};

struct BadInput {
  std::string what;
  std::vector<std::string> args;  // after --dir STORE
  Refusal refusal;
  // In the library's error and on stderr (cli_message, if set, on stderr).
  std::string message;
  std::function<void(Store&)> api;  // the same input through the library
  std::string stdin_data = {};
  std::string cli_message = {};
};

std::string put_line(const std::string& collection, const std::string& key,
                     const std::string& value) {
  return R"({"op":"put","collection":")" + collection + R"(","key":")" + key +
         R"(","value":)" + value + "}\n";
}

std::function<void(Store&)> put(std::string c, std::string k, std::string doc) {
  return [=](Store& s) { s.put(c, k, doc); };
}
std::function<void(Store&)> patch(std::string c, std::string k, std::string doc) {
  return [=](Store& s) { s.patch(c, k, doc); };
}
std::function<void(Store&)> remove(std::string c, std::string k) {
  return [=](Store& s) { s.remove(c, k); };
}
std::function<void(Store&)> time_text(std::string text) {
  return [=](Store&) { parse_time(text, system_now_ns()); };
}

// Every case refuses the input against a store holding contacts/alice.
std::vector<BadInput> cases() {
  const std::string big = "\"" + std::string((16u << 20) + 1, 'x') + "\"";
  const std::string too_deep = std::string(513, '[') + std::string(513, ']');
  std::vector<BadInput> t = {
      // Collection names: [a-z0-9][a-z0-9_-]{0,63}.
      {"upper-case collection",
       {"put", "Contacts", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("Contacts", "k", "{}")},
      {"empty collection",
       {"put", "", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("", "k", "{}")},
      {"collection starting with -",
       {"patch", "--", "-notes", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       patch("-notes", "k", "{}")},
      {"collection starting with _",
       {"delete", "_x", "k"},
       Refusal::kInvalidInput,
       "invalid collection name",
       remove("_x", "k")},
      {"collection with a space",
       {"put", "a b", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("a b", "k", "{}")},
      {"collection with a dot",
       {"put", "a.b", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("a.b", "k", "{}")},
      {"collection of 65 characters",
       {"put", std::string(65, 'a'), "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put(std::string(65, 'a'), "k", "{}")},
      {"non-ASCII collection",
       {"put", "caf\xc3\xa9", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("caf\xc3\xa9", "k", "{}")},
      {"collection escaping the store (../x)",
       {"put", "../x", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("../x", "k", "{}")},
      {"collection that is a path (a/b)",
       {"delete", "a/b", "k"},
       Refusal::kInvalidInput,
       "invalid collection name",
       remove("a/b", "k")},
      {"collection ..",
       {"put", "..", "k", "{}"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("..", "k", "{}")},
      // Reading a name no document could have is a mistake, not "not found".
      {"get from an upper-case collection",
       {"get", "Contacts", "alice"},
       Refusal::kInvalidInput,
       "invalid collection name",
       [](Store& s) { s.get("Contacts", "alice"); }},
      {"list of an upper-case collection",
       {"list", "Contacts"},
       Refusal::kInvalidInput,
       "invalid collection name",
       [](Store& s) { s.list("Contacts"); }},
      {"list at a time of an invalid collection",
       {"list", "../x", "--at", "-1s"},
       Refusal::kInvalidInput,
       "invalid collection name",
       nullptr},
      {"history of an invalid collection",
       {"history", "Contacts", "alice"},
       Refusal::kInvalidInput,
       "invalid collection name",
       nullptr},
      // Keys: 1 to 256 bytes of UTF-8, no control characters, no '/'.
      {"empty key",
       {"put", "contacts", "", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "", "{}")},
      {"key with a slash",
       {"put", "contacts", "a/b", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "a/b", "{}")},
      {"get of a key with a slash",
       {"get", "contacts", "a/b"},
       Refusal::kInvalidInput,
       "invalid key",
       [](Store& s) { s.get("contacts", "a/b"); }},
      {"key escaping the store (../x)",
       {"patch", "contacts", "../x", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       patch("contacts", "../x", "{}")},
      {"key with a tab",
       {"put", "contacts", "tab\there", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "tab\there", "{}")},
      {"key with a newline",
       {"delete", "contacts", "nl\nhere"},
       Refusal::kInvalidInput,
       "invalid key",
       remove("contacts", "nl\nhere")},
      {"key with DEL",
       {"put", "contacts", "del\x7f", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "del\x7f", "{}")},
      {"key of 257 bytes",
       {"put", "contacts", std::string(257, 'k'), "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", std::string(257, 'k'), "{}")},
      {"key that is not UTF-8",
       {"put", "contacts", "\xff\xfe", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "\xff\xfe", "{}")},
      {"key with a truncated UTF-8 sequence",
       {"put", "contacts", "\xc3", "{}"},
       Refusal::kInvalidInput,
       "invalid key",
       put("contacts", "\xc3", "{}")},
      // Not UTF-8 by RFC 3629, and refused by the JSON writers: a store that
      // took such a key could never write a snapshot again.
      {"key with an encoded surrogate",
       {"put", "contacts", "a\xed\xa0\x80", "{}"},
       Refusal::kInvalidInput,
       "not valid UTF-8",
       put("contacts", "a\xed\xa0\x80", "{}")},
      {"key with an overlong '/'",
       {"put", "contacts", "a\xe0\x80\xaf", "{}"},
       Refusal::kInvalidInput,
       "not valid UTF-8",
       put("contacts", "a\xe0\x80\xaf", "{}")},
      {"key with a code point above U+10FFFF",
       {"put", "contacts", "a\xf4\x90\x80\x80", "{}"},
       Refusal::kInvalidInput,
       "not valid UTF-8",
       put("contacts", "a\xf4\x90\x80\x80", "{}")},
      {"key with a C1 control character",
       {"put", "contacts", "a\xc2\x85", "{}"},
       Refusal::kInvalidInput,
       "control characters",
       put("contacts", "a\xc2\x85", "{}")},
      // Documents: JSON of at most 16 MiB.
      {"invalid JSON",
       {"put", "contacts", "bob", "{bad"},
       Refusal::kInvalidInput,
       "invalid JSON",
       put("contacts", "bob", "{bad")},
      // The position of the token itself: nlohmann says "column 0" of the
      // line when the token it refuses ends that line.
      {"invalid JSON whose bad token ends a line",
       {"put", "contacts", "bob", "{\n  \"a\" 2\n}"},
       Refusal::kInvalidInput,
       "invalid JSON at line 2, column 7:",
       put("contacts", "bob", "{\n  \"a\" 2\n}")},
      {"empty JSON",
       {"put", "contacts", "bob", ""},
       Refusal::kInvalidInput,
       "invalid JSON",
       put("contacts", "bob", "")},
      {"JSON with trailing text",
       {"put", "contacts", "bob", R"({"a":1} trailing)"},
       Refusal::kInvalidInput,
       "invalid JSON",
       put("contacts", "bob", R"({"a":1} x)")},
      {"invalid JSON on stdin",
       {"put", "contacts", "bob", "-"},
       Refusal::kInvalidInput,
       "invalid JSON",
       put("contacts", "bob", "{\"unterminated\": "),
       "{\"unterminated\": "},
      // nlohmann's parser stops at a NUL byte; what follows must not vanish.
      {"JSON followed by a NUL byte and more text",
       {"put", "contacts", "bob", "-"},
       Refusal::kInvalidInput,
       "NUL byte",
       put("contacts", "bob", std::string("{\"a\":1}\0{\"b\":2}", 15)),
       std::string("{\"a\":1}\0{\"b\":2}", 15)},
      {"invalid merge patch",
       {"patch", "contacts", "alice", "[1,"},
       Refusal::kInvalidInput,
       "invalid JSON",
       patch("contacts", "alice", "[1,")},
      // Writing out or comparing a value recurses once per level.
      {"document nested deeper than 512 levels",
       {"put", "notes", "deep", too_deep},
       Refusal::kInvalidInput,
       "nested deeper than 512",
       put("notes", "deep", too_deep)},
      {"merge patch nested deeper than 512 levels",
       {"patch", "contacts", "alice", R"({"a":)" + too_deep + "}"},
       Refusal::kInvalidInput,
       "nested deeper than 512",
       patch("contacts", "alice", R"({"a":)" + too_deep + "}")},
      // JSON the store would keep as something else, silently.
      {"a member name twice in one object",
       {"put", "notes", "dup", R"({"a":1,"a":2})"},
       Refusal::kInvalidInput,
       "appears twice",
       put("notes", "dup", R"({"a":1,"a":2})")},
      {"an integer beyond 64 bits",
       {"put", "notes", "big", "123456789012345678901234"},
       Refusal::kInvalidInput,
       "does not fit in 64 bits",
       put("notes", "big", "123456789012345678901234")},
      {"a number that would read as 0",
       {"put", "notes", "tiny", "[1e-400]"},
       Refusal::kInvalidInput,
       "beyond what a double holds",
       put("notes", "tiny", "[1e-400]")},
      {"a merge patch with a member name twice",
       {"patch", "contacts", "alice", R"({"x":{"y":1,"y":null}})"},
       Refusal::kInvalidInput,
       "appears twice",
       patch("contacts", "alice", R"({"x":{"y":1,"y":null}})")},
      {"document over 16 MiB",
       {"put", "notes", "big", "-"},
       Refusal::kInvalidInput,
       "too large",
       put("notes", "big", big),
       big},
      // Documents that must exist.
      {"patch of a missing document",
       {"patch", "contacts", "bob", R"({"a":1})"},
       Refusal::kNotFound,
       "contacts/bob",
       patch("contacts", "bob", R"({"a":1})")},
      {"delete of a missing document",
       {"delete", "contacts", "bob"},
       Refusal::kNotFound,
       "contacts/bob",
       remove("contacts", "bob")},
      {"patch in a missing collection",
       {"patch", "notes", "alice", "{}"},
       Refusal::kNotFound,
       "notes/alice",
       patch("notes", "alice", "{}")},
      // Times.
      {"a time in words",
       {"get", "contacts", "alice", "--at", "yesterday"},
       Refusal::kUsage,
       "RFC 3339",
       time_text("yesterday")},
      {"month 13",
       {"list", "contacts", "--at", "2026-13-01T00:00:00Z"},
       Refusal::kUsage,
       "RFC 3339",
       time_text("2026-13-01T00:00:00Z")},
      {"RFC 3339 without a zone",
       {"diff", "--from", "2026-01-01T00:00:00"},
       Refusal::kUsage,
       "RFC 3339",
       time_text("2026-01-01T00:00:00")},
      {"unknown relative unit",
       {"restore", "--at", "-15x", "--dry-run"},
       Refusal::kUsage,
       "RFC 3339",
       time_text("-15x")},
      {"a year int64 nanoseconds cannot hold",
       {"inspect", "--records", "--since", "2999-01-01T00:00:00Z"},
       Refusal::kUsage,
       "2999-01-01T00:00:00Z",
       time_text("2999-01-01T00:00:00Z")},
      {"an empty time",
       {"inspect", "--records", "--until", ""},
       Refusal::kUsage,
       "RFC 3339",
       time_text("")},
      // An empty time read as "now" before: refused wherever a time is taken.
      {"an empty --at of get",
       {"get", "contacts", "alice", "--at", ""},
       Refusal::kUsage,
       "RFC 3339",
       time_text("")},
      {"an empty --at of export",
       {"export", "out", "--at", ""},
       Refusal::kUsage,
       "RFC 3339",
       time_text("")},
      {"an empty --until of replay",
       {"replay", "--until", ""},
       Refusal::kUsage,
       "RFC 3339",
       time_text("")},
      {"an empty --to of diff",
       {"diff", "--from", "-1h", "--to", ""},
       Refusal::kUsage,
       "RFC 3339",
       time_text("")},
      {"a restore in the future",
       {"restore", "--at", "2200-01-01T00:00:00Z"},
       Refusal::kInvalidInput,
       "that is in the future",
       [](Store& s) { s.restore_to(parse_time("2200-01-01T00:00:00Z", 0)); }},
      // apply: a bad NDJSON line refuses the whole line.
      {"apply: a bad collection",
       {"apply"},
       Refusal::kInvalidInput,
       "invalid collection name",
       put("Notes", "x", "1"),
       put_line("Notes", "x", "1"),
       "line 1"},
      {"apply: a bad key",
       {"apply"},
       Refusal::kInvalidInput,
       "invalid key",
       put("notes", "a/b", "1"),
       put_line("notes", "a/b", "1")},
      {"apply: an operation with two values",
       {"apply"},
       Refusal::kInvalidInput,
       "appears twice",
       put("notes", "x", R"({"v":1,"v":2})"),
       R"({"op":"put","collection":"notes","key":"x","value":1,"value":2})"
       "\n"},
      {"apply: an empty array",
       {"apply"},
       Refusal::kInvalidInput,
       "",
       [](Store& s) { s.commit({}); },
       "[]\n",
       "line 1"},
      {"apply: one bad operation in an atomic array",
       {"apply"},
       Refusal::kInvalidInput,
       "invalid collection name",
       [](Store& s) {
         s.commit({{OpKind::kPut, "notes", "x", "1"}, {OpKind::kPut, "BAD", "y", "1"}});
       },
       "[" +
           put_line("notes", "x", "1").substr(0, put_line("notes", "x", "1").size() - 1) +
           "," +
           put_line("BAD", "y", "1").substr(0, put_line("BAD", "y", "1").size() - 1) +
           "]\n"},
      {"apply: a delete of a missing document",
       {"apply"},
       Refusal::kNotFound,
       "notes/missing",
       remove("notes", "missing"),
       R"({"op":"delete","collection":"notes","key":"missing"})"
       "\n"},
      {"apply: not JSON",
       {"apply"},
       Refusal::kInvalidInput,
       "invalid JSON",
       nullptr,
       "not json at all\n"},
      {"apply: a line with a NUL byte after the operation",
       {"apply"},
       Refusal::kInvalidInput,
       "NUL byte",
       nullptr,
       std::string(R"({"op":"delete","collection":"contacts","key":"alice"})") +
           std::string(1, '\0') + "x\n"},
      {"apply: an unknown op",
       {"apply"},
       Refusal::kInvalidInput,
       "\"op\" must be",
       nullptr,
       R"({"op":"frob","collection":"notes","key":"x","value":1})"
       "\n"},
      // Command-line syntax.
      {"no command", {}, Refusal::kUsage, "", nullptr},
      {"unknown command",
       {"frobnicate", "contacts", "alice"},
       Refusal::kUsage,
       "frobnicate",
       nullptr},
      {"unknown option after the command",
       {"get", "contacts", "alice", "--frob"},
       Refusal::kUsage,
       "--frob",
       nullptr},
      {"unknown option before the command",
       {"--frob", "put", "contacts", "b", "{}"},
       Refusal::kUsage,
       "--frob",
       nullptr},
      {"unknown option of apply",
       {"apply", "--frob"},
       Refusal::kUsage,
       "--frob",
       nullptr},
      {"put without a document",
       {"put", "contacts", "bob"},
       Refusal::kUsage,
       "json",
       nullptr},
      {"put with an extra argument",
       {"put", "contacts", "bob", "{}", "extra"},
       Refusal::kUsage,
       "extra",
       nullptr},
      {"delete without a key", {"delete", "contacts"}, Refusal::kUsage, "key", nullptr},
      {"get without arguments", {"get"}, Refusal::kUsage, "collection", nullptr},
      {"a record filter on the inspect summary",
       {"inspect", "--collection", "contacts"},
       Refusal::kUsage,
       "--records",
       nullptr},
      {"a number that is not one",
       {"inspect", "--records", "--limit", "many"},
       Refusal::kUsage,
       "many",
       nullptr},
      {"a negative sequence number",
       {"inspect", "--records", "--from-seq", "-1"},
       Refusal::kUsage,
       "whole number",
       nullptr},
      {"a sequence number too large for 64 bits",
       {"inspect", "--records", "--from-seq", "18446744073709551616"},
       Refusal::kUsage,
       "too large",
       nullptr},
      {"a limit of no records",
       {"inspect", "--records", "--limit", "0"},
       Refusal::kUsage,
       "at least 1",
       nullptr},
      {"--dir without a directory", {"--dir"}, Refusal::kUsage, "--dir", nullptr},
      {"unknown durability",
       {"put", "contacts", "b", "{}", "--durability", "sometimes"},
       Refusal::kUsage,
       "durability",
       nullptr},
      {"unknown recovery mode",
       {"--recovery", "optimistic", "put", "contacts", "b", "{}"},
       Refusal::kUsage,
       "recovery",
       nullptr},
      {"restore without --at",
       {"restore", "--dry-run"},
       Refusal::kUsage,
       "--at",
       nullptr},
  };
  return t;
}

int exit_code_of(Refusal r) {
  return r == Refusal::kUsage ? testing::kExitUsage : testing::kExitError;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir);
    store->put("contacts", "alice", R"({"a":1})");
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

TEST_F(BadInputTest, TheLibraryThrowsTheRightErrorNamingTheProblem) {
  const std::string before = testing::journal_bytes(dir);
  for (const BadInput& c : cases()) {
    if (!c.api) continue;
    SCOPED_TRACE(c.what);
    auto store = Store::open(dir);
    try {
      c.api(*store);
      ADD_FAILURE() << "accepted";
    } catch (const InvalidInputError& e) {
      EXPECT_NE(c.refusal, Refusal::kNotFound) << e.what();
      EXPECT_TRUE(contains(e.what(), c.message)) << e.what();
    } catch (const NotFoundError& e) {
      EXPECT_EQ(c.refusal, Refusal::kNotFound) << e.what();
      EXPECT_TRUE(contains(e.what(), c.message)) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong error type: " << e.what();
    }
    EXPECT_EQ(store->last_seq(), 1u);
    store.reset();
    EXPECT_EQ(testing::journal_bytes(dir), before) << "nothing appended";
  }
}

TEST_F(BadInputTest, TheCommandLineExitsWithItsCodeNamingTheProblem) {
  const std::string before = testing::journal_bytes(dir);
  for (const BadInput& c : cases()) {
    SCOPED_TRACE(c.what);
    CommandResult r = testing::run_in_store(dir, c.args, c.stdin_data);
    EXPECT_EQ(r.exit_code, exit_code_of(c.refusal)) << r.describe().substr(0, 2000);
    EXPECT_NE(r.err, "");
    EXPECT_TRUE(contains(r.err, c.message)) << r.err.substr(0, 2000);
    if (!c.cli_message.empty()) {
      EXPECT_TRUE(contains(r.err, c.cli_message)) << r.err.substr(0, 2000);
    }
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(testing::journal_bytes(dir), before) << "nothing appended";
  }
}

TEST_F(BadInputTest, UsageErrorsNeverCreateAStore) {
  testing::TempDir scratch;
  std::string fresh = scratch / "store";
  for (const BadInput& c : cases()) {
    if (c.refusal != Refusal::kUsage) continue;
    SCOPED_TRACE(c.what);
    CommandResult r = testing::run_in_store(fresh, c.args, c.stdin_data);
    EXPECT_EQ(r.exit_code, testing::kExitUsage) << r.describe();
    EXPECT_FALSE(std::filesystem::exists(fresh));
  }
}

// put, patch and delete check their input before they open the store: a
// refusal against a directory that holds no store yet creates none. (A
// document over 16 MiB is measured by the store, after the open.)
TEST_F(BadInputTest, RefusedWritesNeverCreateAStore) {
  testing::TempDir scratch;
  std::string fresh = scratch / "store";
  size_t checked = 0;
  for (const BadInput& c : cases()) {
    std::string command = c.args.empty() ? "" : c.args.front();
    bool single_write = command == "put" || command == "patch" || command == "delete";
    // A patch or delete of a missing document cannot succeed without a store
    // either (a mistyped --dir), so it creates none.
    bool refused = c.refusal == Refusal::kInvalidInput ||
                   (c.refusal == Refusal::kNotFound && command != "put");
    if (!refused || !single_write || c.message == "too large") {
      continue;
    }
    SCOPED_TRACE(c.what);
    CommandResult r = testing::run_in_store(fresh, c.args, c.stdin_data);
    EXPECT_EQ(r.exit_code, testing::kExitError) << r.describe();
    EXPECT_FALSE(std::filesystem::exists(fresh));
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

// An empty --dir (an unset shell variable) is refused; before, it meant the
// default store, and a put went there.
TEST_F(BadInputTest, AnEmptyDirIsRefusedNotTheDefaultStore) {
  testing::TempDir home;
  testing::CommandOptions options;
  options.env = {{"HOME", home.path()}, {"PA_JOURNAL_DIR", ""}};
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--dir", "", "put", "notes", "n", "{}"},
        {"--dir=", "list", "notes"}}) {
    CommandResult r = testing::run_pa_journal(args, options);
    EXPECT_EQ(r.exit_code, testing::kExitUsage) << r.describe();
    EXPECT_NE(r.err.find("--dir"), std::string::npos) << r.describe();
    EXPECT_FALSE(std::filesystem::exists(home / ".personal_assistant"));
  }
}

// A read must never take a store it cannot see for an empty one: a --dir that
// is a file, or a directory without a journal, is an error, not "ok: 0 segments".
TEST_F(BadInputTest, ReadsRefuseADirThatIsNoStore) {
  testing::TempDir scratch;
  testing::write_bytes(scratch / "file", "x");
  std::filesystem::create_directory(scratch / "empty");
  for (const std::string& no_store : {scratch / "file", scratch / "empty"}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"verify"},
                                          {"inspect"},
                                          {"list", "notes"},
                                          {"backups"}}) {
      CommandResult r = testing::run_in_store(no_store, args);
      EXPECT_EQ(r.exit_code, testing::kExitError) << no_store << " " << r.describe();
      EXPECT_NE(r.err.find(no_store), std::string::npos) << r.describe();
    }
  }
}

// A directory opens and reads as empty; apply would have applied nothing,
// silently, with exit 0.
TEST_F(BadInputTest, ApplyOfADirectoryIsRefused) {
  testing::TempDir scratch;
  CommandResult r = testing::run_in_store(dir, {"apply", scratch.path()});
  EXPECT_EQ(r.exit_code, testing::kExitError) << r.describe();
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.describe();
}

// Reading a FIFO would wait for a writer forever, holding LOCK.
TEST_F(BadInputTest, ImportOfAnExportHoldingAFifoIsRefusedAtOnce) {
  testing::TempDir scratch;
  std::string out = scratch / "export";
  ASSERT_EQ(testing::run_in_store(dir, {"export", out}).exit_code, testing::kExitOk);
  std::filesystem::remove(out + "/manifest.json");
  ASSERT_EQ(::mkfifo((out + "/manifest.json").c_str(), 0600), 0);
  testing::CommandOptions options;
  options.timeout_ms = 20'000;  // SIGKILL, and so a failure, if it waits
  CommandResult r = testing::run_pa_journal({"--dir", dir, "import", out}, options);
  EXPECT_EQ(r.exit_code, testing::kExitError) << r.describe();
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.describe();
}

// The edges next to the refused cases are accepted.
TEST_F(BadInputTest, TheAllowedEdgesAreAccepted) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"put", std::string(64, 'a'), "k", "{}"},
        {"put", "0-a_b", "k", "{}"},
        {"put", "contacts", std::string(256, 'k'), "{}"},
        {"put", "contacts", "Ünïcødé key with spaces", "{}"},
        {"put", "contacts", "..", "{}"},  // a key never becomes a path
        {"put", "--", "contacts", "-dash", "{}"},
        {"put", "notes", "scalar", "42"},
        {"put", "notes", "deepest", std::string(512, '[') + std::string(512, ']')},
        {"put", "notes", "widest",
         "[9223372036854775807,-9223372036854775808,18446744073709551615,5e-324,"
         "1.7976931348623157e308,0.0,-0e5,{\"a\":{\"a\":1}}]"}}) {
    CommandResult r = testing::run_in_store(dir, args);
    EXPECT_EQ(r.exit_code, testing::kExitOk) << r.describe();
  }
  CommandResult get =
      testing::run_in_store(dir, {"get", "--json", "--", "contacts", "-dash"});
  EXPECT_EQ(get.exit_code, testing::kExitOk) << get.describe();
}

}  // namespace
}  // namespace pa_journal
