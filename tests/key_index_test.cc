// The key index format (snapshot/key_index.h): the builder, the reader and
// docs/snapshot-format.md's worked example agree; the reader refuses indexes
// that do not tile their file; a block's lines parse with escaped keys.
#include "snapshot/key_index.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "snapshot/snapshot.h"
#include "tests/run_command.h"

namespace pa_journal {
namespace {

// The index of the text serialize_collection writes for c.
KeyIndex index_of(const Collection& c) {
  std::string text;
  IndexBuilder builder(c.size());
  serialize_collection(
      view_of(c), 7, [&text](std::string_view piece) { text.append(piece); }, nullptr,
      [&builder](const std::string& key, std::string_view line) {
        builder.add_line(key, line);
      });
  EXPECT_EQ(text, serialize_collection(c));
  return builder.finish(checksum(text));
}

// The bytes of the ```text key-index-example block: the leading two-digit hex
// tokens of each line.
std::string documented_example() {
  std::ifstream in(testing::source_dir() + "/docs/snapshot-format.md");
  std::string line, bytes;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "```text key-index-example") {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line == "```") break;
    std::istringstream tokens(line);
    std::string t;
    while (tokens >> t && t.size() == 2 && std::isxdigit(t[0]) && std::isxdigit(t[1]))
      bytes.push_back(static_cast<char>(std::stoi(t, nullptr, 16)));
  }
  return bytes;
}

TEST(KeyIndexTest, TheDocumentedExampleIsWhatTheBuilderWritesAndTheReaderReads) {
  Collection c = {{"alice", R"({"email":"alice@example.com","name":"Alice"})"},
                  {"bob", R"({"name":"Bob","phone":"555-0100"})"}};
  std::string doc = documented_example();
  ASSERT_EQ(doc.size(), 97u);
  EXPECT_EQ(serialize_index(index_of(c)), doc);
  KeyIndex parsed = parse_index(doc, "example.index");
  EXPECT_EQ(parsed.file_bytes, 104u);
  EXPECT_EQ(parsed.file_xxh3, 0xa7bdc87be6137d76ull);
  ASSERT_EQ(parsed.blocks.size(), 1u);
  EXPECT_EQ(parsed.blocks[0].first_key, "alice");
  EXPECT_EQ(parsed.blocks[0].offset, kFirstLineOffset);
  EXPECT_EQ(parsed.blocks[0].length, 100u);
}

TEST(KeyIndexTest, BlocksTileTheDocumentLinesAndRoundTrip) {
  Collection c;
  for (int i = 0; i < 2000; ++i)
    c["key" + std::to_string(10000 + i)] = R"({"t":")" + std::string(100, 'a') + "\"}";
  KeyIndex index = index_of(c);
  EXPECT_GT(index.blocks.size(), 2u);
  EXPECT_EQ(parse_index(serialize_index(index), "x.index"), index);
  std::string text = serialize_collection(c);
  for (const IndexBlock& b : index.blocks) {
    std::string block = text.substr(b.offset, b.length);
    EXPECT_EQ(checksum(block), b.xxh3);
    auto lines = parse_block(block, "x.json");
    ASSERT_EQ(lines.size(), b.documents);
    EXPECT_EQ(lines.front().first, b.first_key);
    EXPECT_EQ(lines.front().second, c[b.first_key]);
  }
}

TEST(KeyIndexTest, AnEmptyCollectionHasNoBlocks) {
  KeyIndex index = index_of({});
  EXPECT_TRUE(index.blocks.empty());
  EXPECT_EQ(index.file_bytes, 3u);
  EXPECT_EQ(parse_index(serialize_index(index), "e.index"), index);
}

TEST(KeyIndexTest, EscapedAndUtf8KeysAreUnescapedInBlocksAndIndex) {
  Collection c = {{"a\"q", "1"}, {"b\\s", "2"}, {"ü日本", "3"}};
  KeyIndex index = index_of(c);
  EXPECT_EQ(index.blocks[0].first_key, "a\"q");
  // parse_block's views point into the block's text: it must outlive them.
  std::string block = serialize_collection(c).substr(2, index.blocks[0].length);
  auto lines = parse_block(block, "u");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].first, "b\\s");
  EXPECT_EQ(lines[2].first, "ü日本");
  EXPECT_EQ(lines[2].second, "3");
}

TEST(KeyIndexTest, AnIndexWhoseBlocksDoNotTileItsFileIsRefused) {
  Collection c = {{"a", "1"}, {"b", "2"}};
  KeyIndex good = index_of(c);
  KeyIndex gap = good;
  gap.blocks[0].offset += 1;
  EXPECT_THROW(parse_index(serialize_index(gap), "g"), CorruptedDataError);
  KeyIndex count = good;
  count.documents += 1;
  EXPECT_THROW(parse_index(serialize_index(count), "c"), CorruptedDataError);
  KeyIndex longer = good;
  longer.file_bytes += 1;
  EXPECT_THROW(parse_index(serialize_index(longer), "l"), CorruptedDataError);
  SnapshotFile other{"c", "c_x.json", good.file_bytes, good.file_xxh3 ^ 1,
                     2,   "c_x.index"};
  EXPECT_THROW(check_index_matches(good, other, "c_x.index"), CorruptedDataError);
}

}  // namespace
}  // namespace pa_journal
