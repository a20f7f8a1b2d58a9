// model/canonical_json.h: the commit path's shortcut must never accept a text
// that the full parse would refuse or print differently.
#include "model/canonical_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "model/validation.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// What the store stored before the shortcut existed; nullopt for invalid JSON.
std::optional<std::string> full_parse(const std::string& text) {
  try {
    return json::parse(text).dump();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

void expect_sound(const std::string& text) {
  if (is_canonical_json(text)) {
    EXPECT_EQ(full_parse(text), text) << "accepted as canonical: " << text;
  }
}

TEST(CanonicalJsonTest, AcceptsWhatDumpWrites) {
  for (const char* text :
       {R"({"name":"Alice"})", R"({"a":1,"b":[true,false,null],"c":{"d":-12}})", R"([])",
        R"({})", R"("x")", "0", "-7", "123456789012345678", "true", "null",
        R"(["tab\there","q\"uote\\","\u001f"])",
        "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\x7f\"]",
        R"({"A":1,"a":2,"b":3})"}) {
    EXPECT_TRUE(is_canonical_json(text)) << text;
    EXPECT_EQ(full_parse(text), text) << text;
  }
}

TEST(CanonicalJsonTest, RefusesEveryOtherForm) {
  for (const char* text : {"",
                           " {}",
                           "{} ",
                           R"({"b":1,"a":2})",
                           R"({"a":1,"a":2})",
                           R"({ "a":1})",
                           "1.0",
                           "1e3",
                           "-0",
                           "01",
                           "1234567890123456789",
                           R"(["\/"])",
                           R"(["\u0041"])",
                           R"(["\u000a"])",
                           R"(["\u001F"])",
                           R"({"\n":1})",
                           "[\"\x01\"]",
                           "[\"\xc0\x80\"]",
                           "[\"\xed\xa0\x80\"]",
                           "[\"\xf4\x90\x80\x80\"]",
                           "[\"\xe2\x82\"]",
                           "[1,]",
                           "[1",
                           R"({"a"})",
                           "tru",
                           "nul",
                           R"({"a":1}x)",
                           "\"abc"}) {
    EXPECT_FALSE(is_canonical_json(text)) << text;
  }
}

TEST(CanonicalJsonTest, DeepNestingTakesTheFullParse) {
  std::string deep = std::string(300, '[') + std::string(300, ']');
  EXPECT_FALSE(is_canonical_json(deep));
  EXPECT_EQ(canonical_json(deep), deep);
  std::string shallow = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(is_canonical_json(shallow));
}

// Random documents as dump() writes them, then every one-byte change of each:
// whatever the shortcut accepts, the full parse prints identically.
TEST(CanonicalJsonTest, MutationsOfDumpedDocumentsAreNeverMisjudged) {
  std::mt19937_64 rng(20261125);
  const std::string alphabet =
      "{}[],:\"\\/ -0123456789.eEtrufalsn\x01\x7f\xc3\xa9\xed\xf4";
  auto random_value = [&](auto& self, int depth) -> json {
    switch (rng() % (depth > 3 ? 4 : 6)) {
      case 0:
        return static_cast<int64_t>(rng()) >> (rng() % 64);
      case 1:
        return std::string(1 + rng() % 4, alphabet[rng() % alphabet.size()]);
      case 2:
        return rng() % 2 == 0;
      case 3:
        return nullptr;
      case 4: {
        json a = json::array();
        for (size_t n = rng() % 4; n > 0; --n) a.push_back(self(self, depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (size_t n = rng() % 4; n > 0; --n)
          o[std::string(1, "abAB_\xc3"[rng() % 5])] = self(self, depth + 1);
        return o;
      }
    }
  };
  size_t accepted = 0, originals = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    try {
      text = random_value(random_value, 0).dump();
    } catch (const json::exception&) {
      continue;  // a lone 0xc3 byte: not UTF-8, dump() refuses it
    }
    expect_sound(text);
    originals += is_canonical_json(text) ? 1 : 0;
    for (size_t i = 0; i < text.size(); ++i) {
      for (char c : {'"', '\\', ' ', '0', '1', '}', ']', ',', '\x80', '-', 'a'}) {
        std::string changed = text;
        changed[i] = c;
        expect_sound(changed);
        accepted += is_canonical_json(changed) ? 1 : 0;
        changed = text;
        changed.insert(i, 1, c);
        expect_sound(changed);
      }
      expect_sound(text.substr(0, i));
      expect_sound(text.substr(0, i) + text.substr(i + 1));
    }
  }
  EXPECT_GT(originals, 100u);  // dumped documents are recognised
  EXPECT_GT(accepted, 0u);     // the mutations do reach the accepting paths
}

// Strings are skipped eight bytes at a time: every byte value at every place
// of a long string, and a two-byte character across each eight-byte boundary,
// is judged exactly as the full parse judges it.
TEST(CanonicalJsonTest, EveryByteAtEveryPlaceOfALongStringIsJudgedExactly) {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123";
  for (size_t at = 0; at < plain.size(); ++at) {
    for (int byte = 1; byte < 256; ++byte) {
      std::string inner = plain;
      inner[at] = static_cast<char>(byte);
      std::string text = "[\"" + inner + "\"]";
      EXPECT_EQ(is_canonical_json(text), full_parse(text) == text)
          << "byte " << byte << " at " << at;
    }
    std::string inner = plain;
    inner.insert(at, "\xc3\xa9");
    EXPECT_TRUE(is_canonical_json("{\"" + inner + "\":\"" + inner + "\"}")) << at;
  }
}

TEST(CanonicalJsonTest, CanonicaliseKeepsCanonicalTextAndRewritesTheRest) {
  std::string doc = R"({"a":1})";
  canonicalise_json(&doc);
  EXPECT_EQ(doc, R"({"a":1})");
  doc = R"({ "b" : 1.50, "a" : "\u0041" })";
  canonicalise_json(&doc);
  EXPECT_EQ(doc, R"({"a":"A","b":1.5})");
  doc = "{";
  EXPECT_THROW(canonicalise_json(&doc), InvalidInputError);
}

// Brackets inside strings, escaped quotes included, do not nest.
TEST(DocumentDepthTest, NestingDepthCountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(json_nesting_depth("42"), 0u);
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}]})"), 4u);
  EXPECT_EQ(json_nesting_depth(R"(["[[[", "\"[[", {}])"), 2u);
  EXPECT_EQ(json_nesting_depth(R"([[]],[[[]]])"), 3u);
}

// Stored text deeper than the limit would overflow the stack of whoever
// writes it out; it is damage, reported before any value is built.
TEST(DocumentDepthTest, ParseDocumentRefusesTextDeeperThanTheLimit) {
  std::string deepest =
      std::string(kMaxDocumentDepth, '[') + std::string(kMaxDocumentDepth, ']');
  EXPECT_EQ(parse_document(deepest).dump(), deepest);
  std::string deeper = std::string(200000, '{') + std::string(200000, '}');
  EXPECT_THROW(parse_document(deeper), CorruptedDataError);
  EXPECT_THROW(parse_document("[" + deepest + "]"), CorruptedDataError);
  EXPECT_THROW(parse_document("{bad"), CorruptedDataError);
}

}  // namespace
}  // namespace pa_journal
