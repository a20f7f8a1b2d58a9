// End-to-end tests of the pa-journal command line (docs/design.md 6): the built
// binary is run as a child process and its stdout, stderr and exit code are
// checked, every --json output parsed. Bad input of every kind must be refused
// with exit 1 or 2, a message on stderr, and nothing appended to the journal.

// GCC 12 with -O1 -fsanitize=address warns that std::regex's std::function
// members may be used uninitialized, falsely (GCC bug 105616). The warning
// points into <functional>, so this must come before its first inclusion.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandOptions;
using testing::CommandResult;
using testing::run_pa_journal;

constexpr int kOk = testing::kExitOk, kError = testing::kExitError,
              kUsage = testing::kExitUsage, kCorruption = testing::kExitCorruption;
using testing::contains;
auto& parse = testing::parse_json;
auto& parse_lines = testing::parse_json_lines;

bool is_rfc3339_ns(const json& value) {
  static const std::regex form(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");
  return value.is_string() && std::regex_match(value.get<std::string>(), form);
}

std::string put_line(const std::string& collection, const std::string& key,
                     const json& value) {
  return json{{"op", "put"}, {"collection", collection}, {"key", key}, {"value", value}}
      .dump();
}

// 2026-01-01T00:00:00Z plus hours.
int64_t new_year_plus_hours(int hours) {
  return int64_t{1767225600} * 1'000'000'000 + int64_t{hours} * 3600 * 1'000'000'000;
}

class CliTest : public ::testing::Test {
 protected:
  // pa-journal --dir <store> args...
  CommandResult pj(std::vector<std::string> args, const std::string& stdin_data = {}) {
    args.insert(args.begin(), {"--dir", dir});
    CommandOptions options;
    options.stdin_data = stdin_data;
    return run_pa_journal(args, options);
  }

  // Every file under journal/ with its bytes: what "nothing appended" compares.
  std::string journal_bytes() const { return testing::journal_bytes(dir); }

  std::vector<Record> records(RecoveryMode mode = RecoveryMode::kTolerateTail) const {
    std::vector<Record> out;
    Options options;
    options.recovery = mode;
    read_records(
        dir, {}, [&](const Record& r) { out.push_back(r); }, options);
    return out;
  }

  // A store written through the library with commit times at
  // 2026-01-01T00:00Z + 0..5 hours:
  //   1 put contacts/alice  2 put notes/n1  3 patch contacts/alice
  //   4 put contacts/bob + put notes/n2 (one commit)  5 delete notes/n1
  //   6 put contacts/alice
  void make_timed_store() {
    Options options;
    int hour = 0;
    options.clock_ns = [&hour] { return new_year_plus_hours(hour++); };
    auto store = Store::open(dir, options);
    store->put("contacts", "alice", R"({"name":"Alice"})");
    store->put("notes", "n1", R"({"text":"one"})");
    store->patch("contacts", "alice", R"({"phone":"555"})");
    store->commit({{OpKind::kPut, "contacts", "bob", R"({"name":"Bob"})"},
                   {OpKind::kPut, "notes", "n2", R"({"text":"two"})"}});
    store->remove("notes", "n1");
    store->put("contacts", "alice", R"({"name":"Alice B"})");
  }

  // The seqs `inspect --records --json` lists with the extra arguments.
  std::vector<uint64_t> listed_seqs(std::vector<std::string> filter,
                                    const CommandOptions& options = {}) {
    std::vector<std::string> args{"--dir", dir, "inspect", "--records", "--json"};
    args.insert(args.end(), filter.begin(), filter.end());
    CommandResult r = run_pa_journal(args, options);
    std::vector<uint64_t> seqs;
    EXPECT_EQ(r.exit_code, kOk) << r.describe();
    for (const auto& record : parse_lines(r.out))
      seqs.push_back(record.at("seq").get<uint64_t>());
    return seqs;
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

using Seqs = std::vector<uint64_t>;

// ---------------------------------------------------------------- success

TEST_F(CliTest, HelpAndVersionExitZero) {
  CommandResult help = run_pa_journal({"--help"});
  EXPECT_EQ(help.exit_code, kOk) << help.describe();
  for (const char* command :
       {"put", "patch", "delete", "get", "list", "apply", "inspect", "verify"}) {
    EXPECT_TRUE(contains(help.out, command)) << command << "\n" << help.out;
  }
  CommandResult version = run_pa_journal({"--version"});
  EXPECT_EQ(version.exit_code, kOk) << version.describe();
  EXPECT_TRUE(contains(version.out, "pa-journal")) << version.out;
}

TEST_F(CliTest, PutPrintsTheSequenceNumber) {
  CommandResult first = pj({"put", "contacts", "alice", R"({"name":"Alice"})"});
  ASSERT_EQ(first.exit_code, kOk) << first.describe();
  EXPECT_EQ(first.out, "1\n");
  // The first write to a new directory creates the store and says so.
  EXPECT_EQ(first.err, "pa-journal: created a new store in " + dir + "\n");

  CommandResult second =
      pj({"--json", "put", "contacts", "bob", R"({"name": "Bob", "age": 40})"});
  ASSERT_EQ(second.exit_code, kOk) << second.describe();
  json ack = parse(second.out);
  EXPECT_EQ(ack.size(), 2u) << ack;
  EXPECT_EQ(ack.at("seq"), 2);
  EXPECT_TRUE(is_rfc3339_ns(ack.at("time"))) << ack;

  auto all = records();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(format_time_ns(all[1].time_ns), ack.at("time").get<std::string>());
  EXPECT_EQ(all[1].ops, (std::vector<Operation>{{OpKind::kPut, "contacts", "bob",
                                                 R"({"age":40,"name":"Bob"})"}}));
}

TEST_F(CliTest, PutReadsTheDocumentFromStandardInput) {
  CommandResult r =
      pj({"put", "notes", "n1", "-", "--json"}, "{\"text\": \"from stdin\"}\n");
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(parse(r.out).at("seq"), 1);
  auto store = Store::open(dir);
  EXPECT_EQ(store->get("notes", "n1").value(), R"({"text":"from stdin"})");
}

TEST_F(CliTest, PatchMergesPerRfc7396) {
  ASSERT_EQ(pj({"put", "contacts", "alice", R"({"name":"Alice","tags":["a"],"old":1})"})
                .exit_code,
            kOk);
  CommandResult r =
      pj({"patch", "contacts", "alice", R"({"phone":"555","old":null})", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json ack = parse(r.out);
  EXPECT_EQ(ack.at("seq"), 2);
  EXPECT_TRUE(is_rfc3339_ns(ack.at("time"))) << ack;

  CommandResult plain = pj({"patch", "contacts", "alice", R"({"tags":["b"]})"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_EQ(plain.out, "3\n");

  CommandResult get = pj({"get", "contacts", "alice"});
  ASSERT_EQ(get.exit_code, kOk) << get.describe();
  EXPECT_EQ(parse(get.out),
            json::parse(R"({"name":"Alice","phone":"555","tags":["b"]})"));
}

TEST_F(CliTest, DeleteRemovesTheDocument) {
  ASSERT_EQ(pj({"put", "contacts", "alice", "{}"}).exit_code, kOk);
  ASSERT_EQ(pj({"put", "contacts", "bob", "{}"}).exit_code, kOk);
  CommandResult r = pj({"delete", "contacts", "alice", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json ack = parse(r.out);
  EXPECT_EQ(ack.at("seq"), 3);
  EXPECT_TRUE(is_rfc3339_ns(ack.at("time"))) << ack;
  CommandResult plain = pj({"delete", "contacts", "bob"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_EQ(plain.out, "4\n");

  EXPECT_EQ(pj({"get", "contacts", "alice"}).exit_code, kError);
  CommandResult list = pj({"list", "contacts", "--json"});
  ASSERT_EQ(list.exit_code, kOk) << list.describe();
  EXPECT_EQ(parse(list.out), json::object());
  auto all = records();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].ops,
            (std::vector<Operation>{{OpKind::kDelete, "contacts", "alice", ""}}));
}

TEST_F(CliTest, GetPrintsTheDocument) {
  const std::string doc = R"({"name":"Ünïcødé","n":[1,2.5,null,true],"o":{"x":"y"}})";
  ASSERT_EQ(pj({"put", "contacts", "alice", doc}).exit_code, kOk);
  CommandResult pretty = pj({"get", "contacts", "alice"});
  ASSERT_EQ(pretty.exit_code, kOk) << pretty.describe();
  EXPECT_EQ(parse(pretty.out), json::parse(doc));
  EXPECT_EQ(pretty.err, "");

  CommandResult compact = pj({"get", "contacts", "alice", "--json"});
  ASSERT_EQ(compact.exit_code, kOk) << compact.describe();
  EXPECT_EQ(parse(compact.out), json::parse(doc));
  EXPECT_EQ(compact.out.find('\n'), compact.out.size() - 1)
      << "one line: " << compact.out;
}

TEST_F(CliTest, ListJsonMapsEachKeyToItsDocument) {
  ASSERT_EQ(pj({"put", "contacts", "bob", R"({"name":"Bob"})"}).exit_code, kOk);
  ASSERT_EQ(pj({"put", "contacts", "alice", R"({"name":"Alice"})"}).exit_code, kOk);
  ASSERT_EQ(pj({"put", "notes", "n1", R"("a note")"}).exit_code, kOk);
  CommandResult r = pj({"list", "contacts", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(parse(r.out),
            json::parse(R"({"alice":{"name":"Alice"},"bob":{"name":"Bob"}})"));

  CommandResult plain = pj({"list", "contacts"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_TRUE(contains(plain.out, "alice")) << plain.out;
  EXPECT_TRUE(contains(plain.out, "bob")) << plain.out;
  EXPECT_FALSE(contains(plain.out, "n1")) << plain.out;
  EXPECT_LT(plain.out.find("alice"), plain.out.find("bob")) << "key order: " << plain.out;

  CommandResult empty = pj({"list", "nothing-here", "--json"});
  ASSERT_EQ(empty.exit_code, kOk) << empty.describe();
  EXPECT_EQ(parse(empty.out), json::object());
}

// The human listing shortens long documents; the cut must not split a
// character, or the output is not UTF-8.
TEST_F(CliTest, ListShortensLongDocumentsBetweenCharacters) {
  std::string text = "x";  // so that byte 67 falls inside a character
  for (int i = 0; i < 40; ++i) text += "\u00e9";  // é, two bytes each
  ASSERT_EQ(pj({"put", "notes", "long", "\"" + text + "\""}).exit_code, kOk);
  CommandResult plain = pj({"list", "notes"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_TRUE(contains(plain.out, "...")) << plain.out;
  EXPECT_NO_THROW(json(plain.out).dump()) << "not UTF-8: " << plain.out;
}

TEST_F(CliTest, ApplyPrintsOneAckPerCommitInOrder) {
  std::string input = put_line("notes", "a", {{"t", 1}}) + "\n" +
                      "\n" +  // blank lines are skipped
                      R"([{"op":"put","collection":"notes","key":"b","value":2},)"
                      R"({"op":"delete","collection":"notes","key":"a"}])"
                      "\n" +
                      R"({"op":"patch","collection":"notes","key":"b","value":{"x":1}})"
                      "\n" +
                      put_line("contacts", "c", "last");  // no final newline
  CommandResult r = pj({"apply"}, input);
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  auto acks = parse_lines(r.out);
  ASSERT_EQ(acks.size(), 4u) << r.out;
  auto all = records();
  ASSERT_EQ(all.size(), 4u);
  for (size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ(acks[i].size(), 2u) << acks[i];
    EXPECT_EQ(acks[i].at("seq"), i + 1);
    ASSERT_TRUE(is_rfc3339_ns(acks[i].at("time"))) << acks[i];
    EXPECT_EQ(acks[i].at("time").get<std::string>(), format_time_ns(all[i].time_ns));
    if (i > 0) {
      EXPECT_GE(acks[i].at("time"), acks[i - 1].at("time"));
    }
  }
  EXPECT_EQ(all[1].ops, (std::vector<Operation>{{OpKind::kPut, "notes", "b", "2"},
                                                {OpKind::kDelete, "notes", "a", ""}}));
  EXPECT_EQ(all[2].ops,
            (std::vector<Operation>{{OpKind::kPatch, "notes", "b", R"({"x":1})"}}));
  auto store = Store::open(dir);
  EXPECT_FALSE(store->get("notes", "a").has_value());
  EXPECT_EQ(store->get("notes", "b").value(), R"({"x":1})");
  EXPECT_EQ(store->get("contacts", "c").value(), R"("last")");
}

TEST_F(CliTest, ApplyReadsAFileAndAcceptsGlobalsAfterIt) {
  std::string file = tmp / "input.ndjson";
  testing::write_bytes(
      file, put_line("notes", "a", 1) + "\n" + put_line("notes", "b", 2) + "\n");
  CommandResult r = run_pa_journal({"apply", file, "--dir", dir, "--durability", "none"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  auto acks = parse_lines(r.out);
  ASSERT_EQ(acks.size(), 2u) << r.out;
  EXPECT_EQ(acks[0].at("seq"), 1);
  EXPECT_EQ(acks[1].at("seq"), 2);
  CommandResult list = pj({"list", "notes", "--json"});
  EXPECT_EQ(parse(list.out), json::parse(R"({"a":1,"b":2})"));
}

TEST_F(CliTest, InspectJsonSummary) {
  make_timed_store();
  CommandResult r = pj({"inspect", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json s = parse(r.out);
  EXPECT_EQ(s.at("first_seq"), 1);
  EXPECT_EQ(s.at("last_seq"), 6);
  EXPECT_EQ(s.at("first_time"), "2026-01-01T00:00:00.000000000Z");
  EXPECT_EQ(s.at("last_time"), "2026-01-01T05:00:00.000000000Z");
  ASSERT_TRUE(s.at("segments").is_array()) << s;
  ASSERT_EQ(s.at("segments").size(), testing::segment_count(dir)) << s;
  EXPECT_EQ(s.at("segments").size(), 1u) << s;
  EXPECT_TRUE(s.at("snapshots").is_array()) << s;
  ASSERT_TRUE(s.at("window").is_object()) << s;
  EXPECT_EQ(s.at("window").at("from"), "2026-01-01T00:00:00.000000000Z");
  ASSERT_TRUE(is_rfc3339_ns(s.at("window").at("to"))) << s;
  EXPECT_GE(s.at("window").at("to").get<std::string>(), "2026-01-01T05:00:00.000000000Z");

  CommandResult plain = pj({"inspect"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_TRUE(contains(plain.out, "1..6")) << plain.out;
}

TEST_F(CliTest, InspectJsonOfAnEmptyStore) {
  Store::open(dir).reset();
  CommandResult r = pj({"inspect", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json s = parse(r.out);
  EXPECT_EQ(s.at("first_seq"), 0);
  EXPECT_EQ(s.at("last_seq"), 0);
  EXPECT_TRUE(s.at("first_time").is_null()) << s;
  EXPECT_TRUE(s.at("last_time").is_null()) << s;
  EXPECT_TRUE(s.at("segments").is_array()) << s;
  EXPECT_TRUE(s.at("window").is_object()) << s;
}

// NDJSON: one record a line, each printed as it is read.
TEST_F(CliTest, InspectRecordsJsonPrintsOneRecordPerLine) {
  make_timed_store();
  CommandResult r = pj({"inspect", "--records", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  std::vector<json> all = parse_lines(r.out);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6) << r.out;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].at("seq"), i + 1);
    EXPECT_EQ(all[i].at("time"),
              format_time_ns(new_year_plus_hours(static_cast<int>(i))));
  }
  EXPECT_EQ(all[2].at("ops"),
            json::parse(R"([{"op":"patch","collection":"contacts","key":"alice",)"
                        R"("value":{"phone":"555"}}])"));
  EXPECT_EQ(
      all[3].at("ops"),
      json::parse(
          R"([{"op":"put","collection":"contacts","key":"bob","value":{"name":"Bob"}},)"
          R"({"op":"put","collection":"notes","key":"n2","value":{"text":"two"}}])"));
  EXPECT_EQ(all[4].at("ops"),
            json::parse(R"([{"op":"delete","collection":"notes","key":"n1"}])"));

  CommandResult plain = pj({"inspect", "--records"});
  ASSERT_EQ(plain.exit_code, kOk) << plain.describe();
  EXPECT_TRUE(contains(plain.out, "patch contacts/alice")) << plain.out;
  EXPECT_TRUE(contains(plain.out, "delete notes/n1")) << plain.out;
}

TEST_F(CliTest, InspectRecordsSinceAndUntil) {
  make_timed_store();
  EXPECT_EQ(listed_seqs({"--since", "2026-01-01T02:00:00Z"}), (Seqs{3, 4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--until", "2026-01-01T02:00:00Z"}), (Seqs{1, 2, 3}));
  EXPECT_EQ(
      listed_seqs({"--since", "2026-01-01T01:00:00Z", "--until", "2026-01-01T03:00:00Z"}),
      (Seqs{2, 3, 4}));
  // Inclusive to the nanosecond.
  EXPECT_EQ(listed_seqs({"--since", "2026-01-01T01:59:59.999999999Z"}),
            (Seqs{3, 4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--since", "2026-01-01T02:00:00.000000001Z"}), (Seqs{4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--until", "2026-01-01T01:59:59.999999999Z"}), (Seqs{1, 2}));
  // The other time forms.
  EXPECT_EQ(listed_seqs({"--since", "2026-01-01T03:00:00+01:00"}), (Seqs{3, 4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--since", "20260101_020000"}), (Seqs{3, 4, 5, 6}));
  CommandOptions utc;
  utc.env = {{"TZ", "UTC"}};
  EXPECT_EQ(listed_seqs({"--until", "2026-01-01 02:00:00"}, utc), (Seqs{1, 2, 3}));
  EXPECT_EQ(listed_seqs({"--since", "-3650d"}), (Seqs{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--since", "2200-01-01T00:00:00Z"}), Seqs{});
  EXPECT_EQ(listed_seqs({"--until", "1970-01-01T00:00:00Z"}), Seqs{});
  EXPECT_EQ(
      listed_seqs({"--since", "2026-01-01T04:00:00Z", "--until", "2026-01-01T01:00:00Z"}),
      Seqs{});
}

TEST_F(CliTest, InspectRecordsFromSeqCollectionKeyAndLimit) {
  make_timed_store();
  EXPECT_EQ(listed_seqs({"--from-seq", "4"}), (Seqs{4, 5, 6}));
  EXPECT_EQ(listed_seqs({"--from-seq", "7"}), Seqs{});
  EXPECT_EQ(listed_seqs({"--collection", "notes"}), (Seqs{2, 4, 5}));
  EXPECT_EQ(listed_seqs({"--collection", "contacts"}), (Seqs{1, 3, 4, 6}));
  EXPECT_EQ(listed_seqs({"--collection", "config"}), Seqs{});
  EXPECT_EQ(listed_seqs({"--key", "alice"}), (Seqs{1, 3, 6}));
  EXPECT_EQ(listed_seqs({"--key", "bob"}), (Seqs{4}));
  EXPECT_EQ(listed_seqs({"--collection", "notes", "--key", "n1"}), (Seqs{2, 5}));
  EXPECT_EQ(listed_seqs({"--collection", "notes", "--key", "alice"}), Seqs{});
  EXPECT_EQ(listed_seqs({"--limit", "2"}), (Seqs{1, 2}));
  EXPECT_EQ(listed_seqs({"--from-seq", "3", "--limit", "2"}), (Seqs{3, 4}));
  EXPECT_EQ(listed_seqs({"--collection", "contacts", "--limit", "3"}), (Seqs{1, 3, 4}));
  EXPECT_EQ(
      listed_seqs({"--key", "alice", "--since", "2026-01-01T01:00:00Z", "--limit", "1"}),
      (Seqs{3}));
  // Global options after the filters.
  CommandResult r =
      run_pa_journal({"inspect", "--records", "--key", "bob", "--json", "--dir", dir});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(parse_lines(r.out).size(), 1u) << r.out;
}

TEST_F(CliTest, VerifyJsonOfAHealthyStore) {
  make_timed_store();
  CommandResult r = pj({"verify", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json v = parse(r.out);
  EXPECT_EQ(v.at("ok"), true);
  EXPECT_EQ(v.at("records"), 6);
  EXPECT_EQ(v.at("segments"), 1);
  EXPECT_EQ(v.at("damage"), json::array());
  CommandResult plain = pj({"verify"});
  EXPECT_EQ(plain.exit_code, kOk) << plain.describe();
}

TEST_F(CliTest, GlobalOptionsAfterTheCommand) {
  CommandResult put = run_pa_journal({"put", "contacts", "alice", R"({"a":1})", "--dir",
                                      dir, "--json", "--durability", "none"});
  ASSERT_EQ(put.exit_code, kOk) << put.describe();
  EXPECT_EQ(parse(put.out).at("seq"), 1);
  CommandResult patch = run_pa_journal({"patch", "contacts", "alice", R"({"b":2})",
                                        "--durability", "interval", "--dir", dir});
  ASSERT_EQ(patch.exit_code, kOk) << patch.describe();
  EXPECT_EQ(patch.out, "2\n");
  CommandResult del = run_pa_journal(
      {"delete", "contacts", "zed", "--dir", dir, "--durability", "always"});
  EXPECT_EQ(del.exit_code, kError) << del.describe();
  CommandResult get = run_pa_journal(
      {"get", "contacts", "alice", "--json", "--dir", dir, "--recovery", "strict"});
  ASSERT_EQ(get.exit_code, kOk) << get.describe();
  EXPECT_EQ(parse(get.out), json::parse(R"({"a":1,"b":2})"));
  CommandResult list = run_pa_journal({"list", "contacts", "--dir", dir, "--json"});
  ASSERT_EQ(list.exit_code, kOk) << list.describe();
  EXPECT_EQ(parse(list.out), json::parse(R"({"alice":{"a":1,"b":2}})"));
  CommandResult inspect = run_pa_journal({"inspect", "--dir", dir, "--json"});
  ASSERT_EQ(inspect.exit_code, kOk) << inspect.describe();
  EXPECT_EQ(parse(inspect.out).at("last_seq"), 2);
  CommandResult verify = run_pa_journal({"verify", "--json", "--dir", dir});
  ASSERT_EQ(verify.exit_code, kOk) << verify.describe();
  EXPECT_EQ(parse(verify.out).at("records"), 2);
  // Mixed: some before, some after.
  CommandResult mixed =
      run_pa_journal({"--json", "get", "contacts", "alice", "--dir", dir});
  ASSERT_EQ(mixed.exit_code, kOk) << mixed.describe();
  EXPECT_EQ(parse(mixed.out), json::parse(R"({"a":1,"b":2})"));
}

TEST_F(CliTest, StoreDirectoryFromTheEnvironment) {
  CommandOptions options;
  options.env = {{"PA_JOURNAL_DIR", dir}};
  CommandResult put = run_pa_journal({"put", "notes", "n", "1"}, options);
  ASSERT_EQ(put.exit_code, kOk) << put.describe();
  CommandResult get = pj({"get", "notes", "n", "--json"});
  ASSERT_EQ(get.exit_code, kOk) << get.describe();
  EXPECT_EQ(get.out, "1\n");
}

// Without --dir or $PA_JOURNAL_DIR the store is ~/.personal_assistant, as
// FileStorage's; --dir wins over the variable.
TEST_F(CliTest, StoreDirectoryDefaultsToPersonalAssistantUnderHome) {
  testing::TempDir home;
  CommandOptions options;
  options.env = {{"HOME", home.path()}, {"PA_JOURNAL_DIR", ""}};
  CommandResult put = run_pa_journal({"put", "notes", "n", "1"}, options);
  ASSERT_EQ(put.exit_code, kOk) << put.describe();
  std::string default_dir = home / ".personal_assistant";
  EXPECT_TRUE(std::filesystem::is_directory(default_dir + "/journal"));
  CommandResult get =
      run_pa_journal({"get", "notes", "n", "--json", "--dir", default_dir});
  EXPECT_EQ(get.out, "1\n") << get.describe();

  options.env = {{"HOME", home.path()}, {"PA_JOURNAL_DIR", default_dir}};
  CommandResult put_elsewhere =
      run_pa_journal({"put", "notes", "m", "2", "--dir", dir}, options);
  ASSERT_EQ(put_elsewhere.exit_code, kOk) << put_elsewhere.describe();
  EXPECT_EQ(pj({"get", "notes", "m", "--json"}).out, "2\n");
  EXPECT_EQ(run_pa_journal({"get", "notes", "m", "--dir", default_dir}).exit_code,
            kError);

  options.env = {{"HOME", ""}, {"PA_JOURNAL_DIR", ""}};
  CommandResult no_home = run_pa_journal({"list", "notes"}, options);
  EXPECT_EQ(no_home.exit_code, kUsage) << no_home.describe();
  EXPECT_NE(no_home.err.find("HOME"), std::string::npos) << no_home.describe();
}

// ---------------------------------------------------------------- usage errors (exit 2)
// Bad input of every kind (names, keys, JSON, sizes, missing documents,
// unknown commands and options, missing arguments) is one table in
// bad_input_test.cc; what stays here is particular to one command.

TEST_F(CliTest, BadTimeIsAUsageErrorNamingTheAcceptedForms) {
  make_timed_store();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--since", "yesterday"},
        {"--until", "2026-13-01T00:00:00Z"},
        {"--since", "2026-01-01T00:00:00"},  // RFC 3339 needs a zone
        {"--since", "-15x"},
        {"--since", ""},
        {"--until", ""}}) {
    std::vector<std::string> all{"inspect", "--records"};
    all.insert(all.end(), args.begin(), args.end());
    CommandResult r = pj(all);
    EXPECT_EQ(r.exit_code, kUsage) << ::testing::PrintToString(args) << "\n"
                                   << r.describe();
    EXPECT_TRUE(contains(r.err, "RFC 3339")) << r.describe();
    if (!args[1].empty()) {
      EXPECT_TRUE(contains(r.err, args[1])) << r.describe();
    }
    EXPECT_EQ(r.out, "");
  }
  // Well-formed but beyond what int64_t nanoseconds hold (1677..2262): refused,
  // never wrapped around into some other time.
  for (const std::string& t :
       {std::string("2999-01-01T00:00:00Z"), std::string("1600-01-01T00:00:00Z"),
        std::string("22620101_000000"), std::string("-999999999d")}) {
    CommandResult r = pj({"inspect", "--records", "--since", t});
    EXPECT_EQ(r.exit_code, kUsage) << t << "\n" << r.describe();
    EXPECT_TRUE(contains(r.err, t)) << r.describe();
    EXPECT_EQ(r.out, "");
  }
}

// ---------------------------------------------------------------- refused input (exit 1)

TEST_F(CliTest, GetOfAMissingDocumentIsAnError) {
  ASSERT_EQ(pj({"put", "contacts", "alice", "{}"}).exit_code, kOk);
  std::string before = journal_bytes();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"get", "contacts", "bob"},
        {"get", "notes", "alice"},
        {"get", "contacts", "bob", "--json"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kError) << r.describe();
    EXPECT_TRUE(contains(r.err, args[1] + "/" + args[2])) << r.describe();
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(journal_bytes(), before);
}

TEST_F(CliTest, ReadingANonexistentStoreIsAnErrorAndCreatesNothing) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"get", "contacts", "alice"},
        {"list", "contacts"},
        {"inspect"},
        {"inspect", "--records"},
        {"verify"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kError) << ::testing::PrintToString(args) << "\n"
                                   << r.describe();
    EXPECT_TRUE(contains(r.err, dir)) << r.describe();
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// ---------------------------------------------------------------- apply with bad lines

struct BadLine {
  std::string line;
  std::string why;  // a word the message must contain
};

const std::vector<BadLine>& bad_lines() {
  static const std::vector<BadLine> lines = {
      {R"({"op":"put","collection":"notes","key":"x","value":)", "JSON"},
      {R"(not json at all)", "JSON"},
      {R"({"op":"frob","collection":"notes","key":"x","value":1})", "op"},
      {R"({"op":"put","collection":"notes","key":"x"})", "value"},
      {R"({"op":"delete","collection":"notes","key":"first","value":1})", "value"},
      {R"({"op":"put","collection":"notes","value":1})", "key"},
      {R"({"op":"put","collection":"notes","key":7,"value":1})", "key"},
      {R"({"op":"put","collection":"Notes","key":"x","value":1})", "collection"},
      {R"({"op":"put","collection":"notes","key":"a/b","value":1})", "key"},
      {R"({"op":"put","collection":"notes","key":"x","value":1,"extra":1})", "extra"},
      {R"(42)", "object"},
      {R"([])", "empty"},
      {R"([{"op":"put","collection":"notes","key":"x","value":1},{"op":"frob"}])", "op"},
      {R"([{"op":"put","collection":"notes","key":"x","value":1},)"
       R"({"op":"put","collection":"BAD","key":"y","value":1}])",
       "collection"},
      {R"({"op":"patch","collection":"notes","key":"missing","value":{"a":1}})",
       "notes/missing"},
      {R"({"op":"delete","collection":"notes","key":"missing"})", "notes/missing"},
      {R"([{"op":"put","collection":"notes","key":"x","value":1},)"
       R"({"op":"delete","collection":"notes","key":"missing"}])",
       "notes/missing"},
  };
  return lines;
}

TEST_F(CliTest, ApplyStopsAtARefusedLine) {
  for (const BadLine& bad : bad_lines()) {
    SCOPED_TRACE(bad.line);
    testing::TempDir scratch;
    dir = scratch / "store";
    std::string input = put_line("notes", "first", 1) + "\n" + bad.line + "\n" +
                        put_line("notes", "third", 3) + "\n";
    CommandResult r = pj({"apply"}, input);
    EXPECT_EQ(r.exit_code, kError) << r.describe();
    EXPECT_TRUE(contains(r.err, "line 2")) << r.describe();
    EXPECT_TRUE(contains(r.err, bad.why)) << r.describe();
    auto acks = parse_lines(r.out);
    ASSERT_EQ(acks.size(), 1u) << r.describe();
    EXPECT_EQ(acks[0].at("seq"), 1);
    auto all = records();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].ops,
              (std::vector<Operation>{{OpKind::kPut, "notes", "first", "1"}}));
  }
}

TEST_F(CliTest, ApplyContinuesPastRefusedLinesWhenAsked) {
  for (const BadLine& bad : bad_lines()) {
    SCOPED_TRACE(bad.line);
    testing::TempDir scratch;
    dir = scratch / "store";
    std::string input = put_line("notes", "first", 1) + "\n" + bad.line + "\n" +
                        put_line("notes", "third", 3) + "\n";
    CommandResult r = pj({"apply", "--continue-on-error"}, input);
    EXPECT_EQ(r.exit_code, kError) << r.describe();
    EXPECT_TRUE(contains(r.err, "line 2")) << r.describe();
    EXPECT_TRUE(contains(r.err, bad.why)) << r.describe();
    auto acks = parse_lines(r.out);
    ASSERT_EQ(acks.size(), 2u) << r.describe();
    EXPECT_EQ(acks[0].at("seq"), 1);
    EXPECT_EQ(acks[1].at("seq"), 2);
    auto all = records();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].ops,
              (std::vector<Operation>{{OpKind::kPut, "notes", "first", "1"}}));
    EXPECT_EQ(all[1].ops,
              (std::vector<Operation>{{OpKind::kPut, "notes", "third", "3"}}));
  }
}

TEST_F(CliTest, ApplyLineNumbersCountBlankLinesAndEveryRefusal) {
  std::string input = "\n" + put_line("notes", "a", 1) + "\n\n{bad\n" +
                      put_line("notes", "b", 2) + "\n" + put_line("BAD", "c", 3) + "\n" +
                      put_line("notes", "d", 4) + "\n";
  CommandResult r = pj({"apply", "-", "--continue-on-error"}, input);
  EXPECT_EQ(r.exit_code, kError) << r.describe();
  EXPECT_TRUE(contains(r.err, "line 4")) << r.describe();
  EXPECT_TRUE(contains(r.err, "line 6")) << r.describe();
  auto acks = parse_lines(r.out);
  ASSERT_EQ(acks.size(), 3u) << r.describe();
  for (size_t i = 0; i < acks.size(); ++i) EXPECT_EQ(acks[i].at("seq"), i + 1);
  CommandResult list = pj({"list", "notes", "--json"});
  EXPECT_EQ(parse(list.out), json::parse(R"({"a":1,"b":2,"d":4})"));
}

TEST_F(CliTest, ApplyOfAMissingFileIsAnError) {
  CommandResult r = pj({"apply", tmp / "no-such.ndjson"});
  EXPECT_EQ(r.exit_code, kError) << r.describe();
  EXPECT_TRUE(contains(r.err, "no-such.ndjson")) << r.describe();
  EXPECT_EQ(r.out, "");
}

// ---------------------------------------------------------------- a locked store

TEST_F(CliTest, ALockedStoreRefusesWritersAtOnceButServesReaders) {
  auto holder = Store::open(dir);
  holder->put("contacts", "alice", R"({"name":"Alice"})");
  std::string before = journal_bytes();
  const std::string pid = "pid " + std::to_string(::getpid());
  for (std::vector<std::string> args :
       {std::vector<std::string>{"put", "contacts", "bob", "{}"},
        {"patch", "contacts", "alice", R"({"x":1})"},
        {"delete", "contacts", "alice"},
        {"apply"},
        {"put", "contacts", "bob", "{}", "--durability", "none", "--json"}}) {
    auto start = std::chrono::steady_clock::now();
    CommandResult r = pj(args, put_line("contacts", "bob", 1) + "\n");
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, kError) << ::testing::PrintToString(args) << "\n"
                                   << r.describe();
    EXPECT_TRUE(contains(r.err, pid)) << r.describe();
    EXPECT_TRUE(contains(r.err, "lock")) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_LT(elapsed, std::chrono::seconds(5)) << "a locked store must fail at once";
  }
  EXPECT_EQ(journal_bytes(), before);

  CommandResult get = pj({"get", "contacts", "alice", "--json"});
  ASSERT_EQ(get.exit_code, kOk) << get.describe();
  EXPECT_EQ(parse(get.out), json::parse(R"({"name":"Alice"})"));
  holder->put("contacts", "carol", R"({"name":"Carol"})");  // readers see the live writer
  CommandResult list = pj({"list", "contacts", "--json"});
  ASSERT_EQ(list.exit_code, kOk) << list.describe();
  EXPECT_EQ(parse(list.out),
            json::parse(R"({"alice":{"name":"Alice"},"carol":{"name":"Carol"}})"));
  CommandResult inspect = pj({"inspect", "--json"});
  ASSERT_EQ(inspect.exit_code, kOk) << inspect.describe();
  EXPECT_EQ(parse(inspect.out).at("last_seq"), 2);
  CommandResult records_out = pj({"inspect", "--records", "--json"});
  ASSERT_EQ(records_out.exit_code, kOk) << records_out.describe();
  EXPECT_EQ(parse_lines(records_out.out).size(), 2u);
  CommandResult verify = pj({"verify", "--json"});
  ASSERT_EQ(verify.exit_code, kOk) << verify.describe();
  EXPECT_EQ(parse(verify.out).at("ok"), true);

  holder.reset();
  CommandResult put = pj({"put", "contacts", "bob", "{}"});
  EXPECT_EQ(put.exit_code, kOk) << put.describe();
  EXPECT_EQ(put.out, "3\n");
}

// ---------------------------------------------------------------- a damaged store

class DamagedStoreTest : public CliTest {
 protected:
  // Three records; then one bit of the first record's payload is flipped
  // (header 32 bytes, frame header 16: the payload starts at 48).
  void SetUp() override {
    ASSERT_EQ(pj({"put", "contacts", "alice", R"({"name":"Alice"})"}).exit_code, kOk);
    ASSERT_EQ(pj({"put", "contacts", "bob", R"({"name":"Bob"})"}).exit_code, kOk);
    ASSERT_EQ(pj({"put", "notes", "n1", R"("hello")"}).exit_code, kOk);
    segment = testing::segment_path(dir);
    segment_name = "journal/" + std::filesystem::path(segment).filename().string();
    std::string bytes = testing::read_bytes(segment);
    ASSERT_GT(bytes.size(), 60u);
    bytes[60] ^= 0x10;
    testing::write_bytes(segment, bytes);
  }

  std::string segment, segment_name;
};

TEST_F(DamagedStoreTest, VerifyExitsThreeNamingFileAndOffset) {
  CommandResult r = pj({"verify", "--json"});
  EXPECT_EQ(r.exit_code, kCorruption) << r.describe();
  json v = parse(r.out);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("segments"), 1);
  EXPECT_EQ(v.at("records"), 2);
  ASSERT_TRUE(v.at("damage").is_array());
  ASSERT_FALSE(v.at("damage").empty()) << v;
  const json& first = v.at("damage")[0];
  EXPECT_EQ(first.at("file"), segment_name) << first;
  EXPECT_EQ(first.at("offset"), 32) << first;

  CommandResult plain = pj({"verify"});
  EXPECT_EQ(plain.exit_code, kCorruption) << plain.describe();
  EXPECT_TRUE(contains(plain.out, segment_name)) << plain.describe();
  EXPECT_TRUE(contains(plain.out, "offset 32")) << plain.describe();
}

TEST_F(DamagedStoreTest, ReadsAndWritesRefuseWithFileAndOffset) {
  std::string before = journal_bytes();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"get", "contacts", "bob"},
        {"get", "contacts", "alice", "--json"},
        {"list", "contacts", "--json"},
        {"put", "contacts", "carol", "{}"},
        {"--recovery", "strict", "get", "contacts", "bob"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kCorruption) << ::testing::PrintToString(args) << "\n"
                                        << r.describe();
    EXPECT_TRUE(contains(r.err, segment_name)) << r.describe();
    EXPECT_TRUE(contains(r.err, "offset 32")) << r.describe();
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(journal_bytes(), before) << "a refused open must not change the journal";
}

// The library names the modes that open the store anyway; the tool adds its
// option (docs/cli.md 3).
TEST_F(DamagedStoreTest, ARefusalEndsWithTheRecoveryOptionThatOpensItAnyway) {
  CommandResult r = pj({"get", "contacts", "bob"});
  EXPECT_EQ(r.exit_code, kCorruption) << r.describe();
  EXPECT_TRUE(contains(r.err,
                       "; to open anyway, recovery mode point-in-time keeps the records "
                       "before the damage and salvage keeps every valid record "
                       "(pa-journal --recovery MODE)\n"))
      << r.describe();
}

TEST_F(DamagedStoreTest, InspectStillReportsTheDamage) {
  CommandResult r = pj({"inspect", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json s = parse(r.out);
  EXPECT_EQ(s.at("last_seq"), 3);
  ASSERT_TRUE(s.contains("damage")) << s;
  EXPECT_FALSE(s.at("damage").empty()) << s;
}

TEST_F(DamagedStoreTest, SalvageOpensItReadOnly) {
  std::string before = journal_bytes();
  CommandResult get = pj({"--recovery", "salvage", "get", "contacts", "bob", "--json"});
  ASSERT_EQ(get.exit_code, kOk) << get.describe();
  EXPECT_EQ(parse(get.out), json::parse(R"({"name":"Bob"})"));
  CommandResult list = pj({"list", "contacts", "--json", "--recovery", "salvage"});
  ASSERT_EQ(list.exit_code, kOk) << list.describe();
  EXPECT_EQ(parse(list.out), json::parse(R"({"bob":{"name":"Bob"}})"));
  CommandResult lost = pj({"--recovery", "salvage", "get", "contacts", "alice"});
  EXPECT_EQ(lost.exit_code, kError) << lost.describe();
  CommandResult prefix =
      pj({"--recovery", "point-in-time", "list", "contacts", "--json"});
  ASSERT_EQ(prefix.exit_code, kOk) << prefix.describe();
  EXPECT_EQ(parse(prefix.out), json::object()) << "nothing precedes the damage";
  EXPECT_EQ(journal_bytes(), before) << "read-only opens never write";
}

TEST_F(DamagedStoreTest, SalvageWritableOpenRepairsIt) {
  CommandResult put = pj({"--recovery", "salvage", "put", "contacts", "carol",
                          R"({"name":"Carol"})", "--json"});
  ASSERT_EQ(put.exit_code, kOk) << put.describe();
  EXPECT_EQ(parse(put.out).at("seq"), 4);
  CommandResult verify = pj({"verify", "--json"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.describe();
  CommandResult list = pj({"list", "contacts", "--json"});
  ASSERT_EQ(list.exit_code, kOk) << list.describe();
  EXPECT_EQ(parse(list.out),
            json::parse(R"({"bob":{"name":"Bob"},"carol":{"name":"Carol"}})"));
  CommandResult n1 = pj({"get", "notes", "n1", "--json"});
  ASSERT_EQ(n1.exit_code, kOk) << n1.describe();
  EXPECT_EQ(parse(n1.out), "hello");
}

TEST_F(CliTest, ATornTailIsCutByTheDefaultModeAndRefusedByStrict) {
  ASSERT_EQ(pj({"put", "contacts", "alice", "{}"}).exit_code, kOk);
  ASSERT_EQ(pj({"put", "contacts", "bob", "{}"}).exit_code, kOk);
  std::string segment = testing::segment_path(dir);
  std::string bytes = testing::read_bytes(segment);
  testing::write_bytes(segment, bytes + std::string("\x10\x20\x30\x40\x50", 5));

  CommandResult strict = pj({"--recovery", "strict", "get", "contacts", "bob"});
  EXPECT_EQ(strict.exit_code, kCorruption) << strict.describe();
  EXPECT_TRUE(contains(strict.err, "offset " + std::to_string(bytes.size())))
      << strict.describe();
  EXPECT_TRUE(contains(strict.err, "the default mode (tolerate-tail) cuts a torn tail\n"))
      << strict.describe();
  EXPECT_FALSE(contains(strict.err, "--recovery MODE")) << strict.describe();
  CommandResult get = pj({"get", "contacts", "bob", "--json"});
  EXPECT_EQ(get.exit_code, kOk) << get.describe();
  CommandResult put = pj({"put", "contacts", "carol", "{}"});
  ASSERT_EQ(put.exit_code, kOk) << put.describe();
  EXPECT_EQ(put.out, "3\n");
  CommandResult verify = pj({"verify"});
  EXPECT_EQ(verify.exit_code, kOk) << verify.describe();
  EXPECT_EQ(records().size(), 3u);
}

}  // namespace
}  // namespace pa_journal
