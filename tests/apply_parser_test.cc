// tools/apply_parser.h: the fast parser of apply's lines takes a document as
// its text only where that text is what the reference parser's dump() writes,
// and gives every other line (another form, a refusal) to the reference
// parser, so that both give the same operations and the same messages.
#include "tools/apply_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "pa_journal/errors.h"

namespace pa_journal::cli {
namespace {

constexpr const char* kContact =
    R"({"address":{"city":"Lyon","street":"12 rue Neuve"},"email":"alice@example.com",)"
    R"("name":"Alice Martin","phone":"+33 6 12 34 56 78","tags":["family","work"]})";

std::string put_line(const std::string& value) {
  return R"({"op":"put","collection":"contacts","key":"alice","value":)" + value + "}";
}

// The reference parser's operations, or its message.
struct Outcome {
  std::vector<Operation> ops;
  std::string error;
};

Outcome reference(const std::string& line) {
  try {
    return {parse_apply_line_reference(line), {}};
  } catch (const InvalidInputError& e) {
    return {{}, e.what()};
  }
}

Outcome parsed(const std::string& line) {
  try {
    return {parse_apply_line(line), {}};
  } catch (const InvalidInputError& e) {
    return {{}, e.what()};
  }
}

// Both parsers agree on line; the fast one takes it alone iff fast.
void expect_agree(const std::string& line, bool fast) {
  ApplyParser parser;
  std::optional<std::vector<Operation>> taken = parser.parse_fast(line);
  Outcome expected = reference(line);
  EXPECT_EQ(taken.has_value(), fast) << line;
  if (taken) {
    EXPECT_TRUE(expected.error.empty()) << line << ": " << expected.error;
    EXPECT_EQ(*taken, expected.ops) << line;
  }
  Outcome got = parsed(line);
  EXPECT_EQ(got.error, expected.error) << line;
  EXPECT_EQ(got.ops, expected.ops) << line;
}

TEST(ApplyParserTest, TakesACanonicalDocumentAsItsText) {
  ApplyParser parser;
  auto ops = parser.parse_fast(put_line(kContact));
  ASSERT_TRUE(ops.has_value());
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0], (Operation{OpKind::kPut, "contacts", "alice", kContact}));
  expect_agree(put_line(kContact), /*fast=*/true);
}

TEST(ApplyParserTest, TakesAnyWrapperFormFast) {
  for (
      std::string line : {
          std::string(R"({"value":{"a":1},"key":"k","collection":"c","op":"patch"})"),
          std::string(
              R"(  { "op" : "put" , "collection":"c", "key":"k", "value" : {"a":1} }  )"),
          std::string(R"({"op":"put","collection":"c","key":"k","value":{"a":1}})") +
              "\r",
          std::string(R"({"op":"delete","collection":"c","key":"k"})"),
          std::string(
              R"({"\u006fp":"put","collection":"c\u00e9","key":"k\n","value":[]})"),
          std::string(R"([{"op":"put","collection":"c","key":"a","value":{}},)"
                      R"({"op":"delete","collection":"c","key":"b"}])"),
          put_line("{}"),
          put_line("[]"),
          put_line(R"({"a":[[],{},[{}]]})"),
          put_line(R"({"a":"tab\there","b":"q\"uote\\","c":"\u001f"})"),
          put_line(R"({"a":"\b\f\n\r\t"})"),
          put_line("{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"),
          put_line(R"({"a":123456789012345678,"b":-123456789012345678})"),
      }) {
    expect_agree(line, /*fast=*/true);
  }
}

TEST(ApplyParserTest, GivesOtherFormsOfADocumentToTheReferenceParser) {
  for (const char* value : {
           R"({"b":1,"a":2})",                       // unsorted members
           R"({"a": 1})",                            // whitespace inside
           R"({"a":1.5,"b":1e3,"c":1.0,"d":-0.0})",  // floats
           "-0",                                     // -0 is written 0
           R"("text")", "12", "null", "true",        // scalars
           R"("a":{"b":1})",                         // a string, then junk
           R"({"a":1234567890123456789})",           // 19 digits
           R"({"a":18446744073709551615})",          // the largest uint64
           R"({"a":-9223372036854775808})",          // the smallest int64
           R"({"a":"\u00e9\/\u0041"})",              // escapes dump() does not write
           R"({"a":"\u001F"})",                      // upper-case hex
           R"({"a":"\ud83d\ude00"})",                // a surrogate pair
           R"({"\u0061":1})",                        // an escaped member name
       }) {
    expect_agree(put_line(value), /*fast=*/false);
  }
  std::string deep = std::string(300, '[') + std::string(300, ']');
  expect_agree(put_line(deep), /*fast=*/false);  // deeper than the fast scanner goes
}

TEST(ApplyParserTest, RefusesWithTheReferenceMessages) {
  for (std::string line : {
           std::string(R"({"op":"put","op":"put","collection":"c","key":"k","value":1})"),
           put_line(R"({"a":1,"a":2})"),
           put_line(R"({"a":123456789012345678901234567890})"),
           put_line(R"({"a":1e999})"),
           put_line(std::string(600, '[') + std::string(600, ']')),
           put_line("\"\xff\""),
           put_line(R"("\ud800")"),
           put_line(R"({"a":1})") + " x",
           put_line(R"({"a":1})") + "{}",
           put_line(R"({"a":1})") + std::string(1, '\0'),
           std::string("[]"),
           std::string(R"({"op":"put","collection":"c","key":"k","value":1,"when":2})"),
           std::string(R"({"op":"delete","collection":"c","key":"k","value":1})"),
           std::string(R"({"op":"put","collection":"c","key":"k"})"),
           std::string(R"({"op":1,"collection":"c","key":"k","value":1})"),
           std::string(R"({"op":"upsert","collection":"c","key":"k","value":1})"),
           std::string(R"({"op":"put","collection":2,"key":"k","value":1})"),
           std::string(R"([{"op":"put","collection":"c","key":"k","value":1},3])"),
           std::string("\"put\""),
           std::string(R"({"op":"put","collection":"c","key":"k","value":{"a":1})"),
           std::string(""),
       }) {
    expect_agree(line, /*fast=*/false);
    EXPECT_FALSE(reference(line).error.empty()) << line;
  }
}

// Lines cut and spliced from valid ones, bounded in count: wherever the fast
// parser takes one, the reference parser gives the same operations.
TEST(ApplyParserTest, AgreesWithTheReferenceOnMutatedLines) {
  std::vector<std::string> seeds = {
      put_line(kContact), put_line(R"({"a":[1,-2,{"b":"\u0001"}],"c":null})"),
      R"([{"op":"patch","collection":"c","key":"k","value":{"x":null}},)"
      R"({"op":"delete","collection":"c","key":"j"}])"};
  const std::string alphabet = "{}[]\",:\\ 0-1.eEu\x01\xc3\xa9";
  std::mt19937 random(25);
  ApplyParser parser;
  int fast = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = seeds[random() % seeds.size()];
    for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
      size_t at = random() % (line.size() + 1);
      if (random() % 2 == 0 && at < line.size()) {
        line.erase(at, 1);
      } else {
        line.insert(at, 1, alphabet[random() % alphabet.size()]);
      }
    }
    auto taken = parser.parse_fast(line);
    if (!taken) continue;
    ++fast;
    Outcome expected = reference(line);
    ASSERT_TRUE(expected.error.empty()) << line << ": " << expected.error;
    ASSERT_EQ(*taken, expected.ops) << line;
  }
  EXPECT_GT(fast, 0);  // the mutations left some lines the fast parser takes
}

}  // namespace
}  // namespace pa_journal::cli
