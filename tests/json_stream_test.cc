// tools/json_stream.h: the JSON that inspect --records --json and list --json
// write a piece at a time must be byte for byte what dumping the whole value
// gives (docs/cli.md 4), for documents in the store's form or not.
#include "tools/json_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

Record record_of(std::vector<Operation> ops, std::string origin = {}) {
  Record r;
  r.seq = 42;
  r.time_ns = 1'764'064'800'123'456'789;
  r.ops = std::move(ops);
  r.origin = std::move(origin);
  return r;
}

void expect_same_as_dump(const Record& r) {
  EXPECT_EQ(record_json_line(r), record_json(r).dump() + "\n");
}

TEST(JsonStreamTest, RecordLineEqualsTheDumpOfEachOperationKind) {
  expect_same_as_dump(record_of({{OpKind::kPut, "contacts", "alice", R"({"a":1})"}}));
  expect_same_as_dump(
      record_of({{OpKind::kPatch, "contacts", "alice", R"({"b":null})"}}));
  expect_same_as_dump(record_of({{OpKind::kDelete, "contacts", "alice", ""}}));
  expect_same_as_dump(record_of({{OpKind::kPut, "notes", "n1", R"("text")"},
                                 {OpKind::kDelete, "notes", "n2", ""},
                                 {OpKind::kPut, "notes", "n3", "[1,2,{}]"}},
                                "restore to 2026-11-25T10:00:00.000000000Z"));
}

TEST(JsonStreamTest, RecordLineEscapesNamesKeysAndOriginAsDumpDoes) {
  expect_same_as_dump(record_of({{OpKind::kPut, "contacts", "quote\"back\\slash", "1"},
                                 {OpKind::kPut, "contacts", "tab\tbell\x07", "2"},
                                 {OpKind::kPut, "contacts", "Zoë 日本", "3"}},
                                "import from /tmp/a \"b\"\n"));
}

TEST(JsonStreamTest, DocumentNotInTheStoresFormIsWrittenAsDumpWritesIt) {
  // Whitespace, members out of order, an escape dump() does not use.
  expect_same_as_dump(
      record_of({{OpKind::kPut, "c", "k",
                  "{ \"b\" : 1,\n \"a\": [1, 2.50], \"\\u0041\": \"\\/\" }"}}));
}

TEST(JsonStreamTest, ObjectWriterEqualsTheDumpOfTheWholeObject) {
  std::vector<std::pair<std::string, std::string>> docs = {
      {"a\"b", R"({"x":1})"},
      {"alice", "{ \"z\":1, \"y\":2 }"},
      {"bob", "null"},
      {"zoë", "[]"}};
  std::ostringstream out;
  JsonObjectWriter writer(out);
  json whole = json::object();
  for (const auto& [key, doc] : docs) {
    writer.add(key, doc);
    whole[key] = json::parse(doc);
  }
  writer.finish();
  EXPECT_EQ(out.str(), whole.dump() + "\n");
}

TEST(JsonStreamTest, ObjectWriterWithNothingAddedWritesAnEmptyObject) {
  std::ostringstream out;
  JsonObjectWriter writer(out);
  writer.finish();
  EXPECT_EQ(out.str(), "{}\n");
}

// Past the writer's buffer, pieces go out while the object is still open,
// and the whole is still the dump.
TEST(JsonStreamTest, ObjectWriterWritesLargeObjectsInPiecesThatJoinUp) {
  std::ostringstream out;
  JsonObjectWriter writer(out);
  json whole = json::object();
  bool written_before_finish = false;
  for (int i = 0; i < 2000; ++i) {
    std::string key = "k" + std::to_string(10000 + i);
    std::string doc =
        R"({"n":)" + std::to_string(i) + R"(,"pad":")" + std::string(64, 'x') + "\"}";
    writer.add(key, doc);
    whole[key] = json::parse(doc);
    written_before_finish = written_before_finish || !out.str().empty();
  }
  writer.finish();
  EXPECT_TRUE(written_before_finish);
  EXPECT_EQ(out.str(), whole.dump() + "\n");
}

}  // namespace
}  // namespace pa_journal::cli
