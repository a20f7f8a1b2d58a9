// docs/journal-format.md, journal/format.h and the codec must agree. This test
// reads the document, takes the worked example's bytes from its fenced blocks
// (```hex worked-example, the annotated dump, and ```text worked-example-xxd)
// and its constants table (between the constants:begin/end markers), and checks
// them against the constants, the reader (SegmentReader, checksum,
// decode_payload) and the writer's encoders.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "journal/durable_end.h"
#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/damage.h"
#include "pa_journal/record.h"
#include "pa_journal/time.h"
#include "tests/doc_examples.h"
#include "tests/run_command.h"

namespace pa_journal {
namespace {

const std::string kDocPath = testing::source_dir() + "/docs/journal-format.md";

// The record the worked example describes in prose.
constexpr int64_t kExampleTimeNs = 1795600800000000000;  // 2026-11-25T10:00:00Z
Record documented_record() {
  return Record{1,
                kExampleTimeNs,
                {{OpKind::kPut, "contacts", "alice", R"({"name":"Alice"})"}},
                ""};
}

using testing::fenced_block;
using testing::lines_of;

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

bool is_hex(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Appends the bytes of hex words ("4d", "a4", ...) to out; false on a bad word.
bool append_hex_bytes(const std::vector<std::string>& words, size_t first,
                      std::string* out) {
  for (size_t i = first; i < words.size(); ++i) {
    if (words[i].size() != 2 || !is_hex(words[i])) return false;
    out->push_back(static_cast<char>(std::stoul(words[i], nullptr, 16)));
  }
  return true;
}

// Lines "OFFSET: bytes... | comment"; '#' lines are comments. Every offset must
// be where the bytes so far end, so the dump can neither skip nor repeat bytes.
std::string parse_annotated_dump(const std::string& block, std::string* error) {
  std::string bytes;
  for (const auto& line : lines_of(block)) {
    if (line.empty() || line[0] == '#') continue;
    auto words = words_of(line.substr(0, line.find('|')));
    if (words.empty() || words[0].back() != ':' ||
        !is_hex(words[0].substr(0, words[0].size() - 1))) {
      *error = "line without an offset: " + line;
      return "";
    }
    if (std::stoul(words[0], nullptr, 16) != bytes.size()) {
      *error = "offset does not follow the previous bytes: " + line;
      return "";
    }
    if (!append_hex_bytes(words, 1, &bytes)) {
      *error = "not a hex byte in: " + line;
      return "";
    }
  }
  return bytes;
}

// `xxd -g1` lines: "00000010: 01 00 ... 00  ascii". The ASCII column starts
// after the first double space following the bytes.
std::string parse_xxd_dump(const std::string& block, std::string* error) {
  std::string bytes;
  for (const auto& line : lines_of(block)) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    size_t ascii = line.find("  ", colon + 2);
    auto words = words_of(line.substr(colon + 2, ascii - (colon + 2)));
    if (std::stoul(line.substr(0, colon), nullptr, 16) != bytes.size() ||
        !append_hex_bytes(words, 0, &bytes)) {
      *error = "bad xxd line: " + line;
      return "";
    }
  }
  return bytes;
}

// Rows "| `kName` | `value` | ..." between the constants markers, values
// normalised: quoted strings stay quoted, numbers become decimal.
std::map<std::string, std::string> documented_constants(const std::string& doc) {
  std::map<std::string, std::string> constants;
  size_t begin = doc.find("<!-- constants:begin -->");
  size_t end = doc.find("<!-- constants:end -->");
  if (begin == std::string::npos || end == std::string::npos) return constants;
  for (const auto& line : lines_of(doc.substr(begin, end - begin))) {
    std::vector<std::string> quoted;
    for (size_t pos = 0; quoted.size() < 2;) {
      size_t open = line.find('`', pos);
      size_t close = open == std::string::npos ? open : line.find('`', open + 1);
      if (close == std::string::npos) break;
      quoted.push_back(line.substr(open + 1, close - open - 1));
      pos = close + 1;
    }
    if (quoted.size() < 2 || quoted[0].empty() || quoted[0][0] != 'k') continue;
    std::string value = quoted[1];
    if (value.rfind("0x", 0) == 0) {
      value = std::to_string(std::stoull(value.substr(2), nullptr, 16));
    }
    constants[quoted[0]] = value;
  }
  return constants;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string hex64(uint64_t v) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(v));
  return text;
}

class DamageList : public Reporter {
 public:
  void report(const Damage& damage) override { damage_.push_back(damage.describe()); }
  const std::vector<std::string>& damage() const { return damage_; }

 private:
  std::vector<std::string> damage_;
};

class FormatDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = testing::read_doc(kDocPath);
    ASSERT_FALSE(doc_.empty()) << "cannot read " << kDocPath;
    std::string block = fenced_block(doc_, "hex worked-example");
    ASSERT_FALSE(block.empty()) << "no ```hex worked-example block in " << kDocPath;
    std::string error;
    bytes_ = parse_annotated_dump(block, &error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_GE(bytes_.size(), format::kSegmentHeaderSize + format::kFrameHeaderSize);
  }

  size_t frame_offset() const { return format::kSegmentHeaderSize; }
  uint32_t payload_length() const {
    return get_u32(bytes_.data() + frame_offset() + format::kFrameLengthOffset);
  }

  std::string doc_;
  std::string bytes_;  // the worked example: a whole segment file
};

TEST_F(FormatDocTest, ConstantsTableMatchesFormatHeader) {
  using namespace format;
  const std::map<std::string, std::string> expected = {
      {"kSegmentSuffix", quoted(kSegmentSuffix)},
      {"kSegmentNameDigits", std::to_string(kSegmentNameDigits)},
      {"kSegmentMagic", quoted(kSegmentMagic)},
      {"kFormatVersion", std::to_string(kFormatVersion)},
      {"kSegmentHeaderSize", std::to_string(kSegmentHeaderSize)},
      {"kSegmentHeaderChecked", std::to_string(kSegmentHeaderChecked)},
      {"kFrameHeaderSize", std::to_string(kFrameHeaderSize)},
      {"kFrameChecksumOffset", std::to_string(kFrameChecksumOffset)},
      {"kFrameLengthOffset", std::to_string(kFrameLengthOffset)},
      {"kFrameTypeOffset", std::to_string(kFrameTypeOffset)},
      {"kFrameAlignment", std::to_string(kFrameAlignment)},
      {"kMaxPayloadSize", std::to_string(kMaxPayloadSize)},
      {"kTypeCommit", std::to_string(kTypeCommit)},
      {"kTypeLoss", std::to_string(kTypeLoss)},
      {"kLossPayloadSize", std::to_string(kLossPayloadSize)},
      {"kIgnorableBit", std::to_string(kIgnorableBit)},
      {"kTypePadding", std::to_string(kTypePadding)},
      {"kMaxNestingDepth", std::to_string(kMaxNestingDepth)},
      {"kReservedFill", std::to_string(static_cast<uint8_t>(kReservedFill))},
      {"kDurableEndMagic", quoted(kDurableEndMagic)},
      {"kDurableEndSlotSize", std::to_string(kDurableEndSlotSize)},
      {"kDurableEndSlots", std::to_string(kDurableEndSlots)},
      {"kDurableEndChecked", std::to_string(kDurableEndChecked)},
  };
  EXPECT_EQ(documented_constants(doc_), expected);
}

// Section 16's example: the file Store::open + put leaves, decoded and encoded.
TEST_F(FormatDocTest, DurableEndExampleDecodesToTheDocumentedEnd) {
  std::string block = fenced_block(doc_, "hex durable-end-example");
  ASSERT_FALSE(block.empty()) << "no ```hex durable-end-example block";
  std::string error;
  std::string file = parse_annotated_dump(block, &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(file.size(), format::kDurableEndSlots * format::kDurableEndSlotSize);
  const DurableEnd documented{1, 1'795'600'800'000'000'000, 1, 184};
  std::optional<PublishedEnd> decoded = decode_durable_end(file);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->end, documented);
  EXPECT_EQ(decoded->counter, 2u);
  EXPECT_EQ(file, encode_durable_end_slot(documented, 2) +
                      encode_durable_end_slot(DurableEnd{}, 1));
  EXPECT_EQ(documented.end, bytes_.size()) << "the end of section 14's segment";
}

TEST_F(FormatDocTest, WorkedExampleLayoutFollowsFormatConstants) {
  const char* h = bytes_.data();
  EXPECT_EQ(std::string_view(h, format::kSegmentMagic.size()), format::kSegmentMagic);
  EXPECT_EQ(get_u32(h + 8), format::kFormatVersion);
  EXPECT_EQ(get_u32(h + 12), 0u) << "flags";
  EXPECT_EQ(get_u64(h + 16), 1u) << "first_seq";
  EXPECT_EQ(frame_offset() % format::kFrameAlignment, 0u);
  EXPECT_EQ(static_cast<uint8_t>(h[frame_offset() + format::kFrameTypeOffset]),
            format::kTypeCommit);
  for (size_t i = format::kFrameTypeOffset + 1; i < format::kFrameHeaderSize; ++i) {
    EXPECT_EQ(h[frame_offset() + i], 0) << "reserved byte " << i;
  }
  EXPECT_EQ(payload_length() % format::kFrameAlignment, 0u);
  EXPECT_LE(payload_length(), format::kMaxPayloadSize);
  EXPECT_EQ(bytes_.size(), frame_offset() + format::kFrameHeaderSize + payload_length())
      << "the example is exactly one header and one frame";
}

TEST_F(FormatDocTest, XxdDumpShowsTheSameBytesAsTheAnnotatedDump) {
  std::string block = fenced_block(doc_, "text worked-example-xxd");
  ASSERT_FALSE(block.empty()) << "no ```text worked-example-xxd block";
  std::string error;
  std::string xxd = parse_xxd_dump(block, &error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(xxd, bytes_);
}

TEST_F(FormatDocTest, ChecksumsQuotedInTheDocumentHoldOverTheStatedRanges) {
  const char* h = bytes_.data();
  uint64_t header = checksum({h, format::kSegmentHeaderChecked});
  EXPECT_EQ(get_u64(h + format::kSegmentHeaderChecked), header);
  uint64_t frame = checksum(
      std::string_view(bytes_).substr(frame_offset() + format::kFrameLengthOffset));
  EXPECT_EQ(get_u64(h + frame_offset() + format::kFrameChecksumOffset), frame);
  EXPECT_NE(doc_.find("header checksum = " + hex64(header)), std::string::npos)
      << "the document should quote the header checksum " << hex64(header);
  EXPECT_NE(doc_.find("frame checksum = " + hex64(frame)), std::string::npos)
      << "the document should quote the frame checksum " << hex64(frame);
}

TEST_F(FormatDocTest, SegmentReaderReadsTheExampleWithoutDamage) {
  DamageList damage;
  SegmentReader reader(segment_name(1), bytes_, /*is_newest=*/true, &damage);
  ASSERT_TRUE(reader.read_header());
  EXPECT_EQ(reader.first_seq(), 1u);
  EXPECT_EQ(reader.version(), format::kFormatVersion);
  EXPECT_EQ(reader.good_end(), format::kSegmentHeaderSize);

  Frame frame;
  ASSERT_TRUE(reader.next(&frame));
  EXPECT_EQ(frame.offset, frame_offset());
  EXPECT_EQ(frame.end, bytes_.size());
  EXPECT_EQ(frame.type, format::kTypeCommit);
  EXPECT_EQ(frame.payload.size(), payload_length());
  EXPECT_FALSE(reader.next(&frame));
  EXPECT_EQ(reader.good_end(), bytes_.size());
  EXPECT_TRUE(damage.damage().empty()) << damage.damage().front();
}

TEST_F(FormatDocTest, PayloadDecodesToTheDocumentedRecord) {
  std::string_view payload =
      std::string_view(bytes_).substr(frame_offset() + format::kFrameHeaderSize);
  EXPECT_EQ(decode_payload(payload), documented_record());
}

TEST_F(FormatDocTest, EncodingTheDocumentedRecordReproducesTheExampleBytes) {
  std::string segment = encode_segment_header(1);
  append_frame(&segment, format::kTypeCommit, encode_payload(documented_record()));
  EXPECT_EQ(segment, bytes_);
}

TEST_F(FormatDocTest, ProseNamesTheExampleFileTimeAndDocument) {
  EXPECT_EQ(format_time_ns(kExampleTimeNs), "2026-11-25T10:00:00.000000000Z");
  for (const std::string& text :
       {segment_name(1), std::string("2026-11-25T10:00:00Z"),
        std::to_string(kExampleTimeNs), hex64(static_cast<uint64_t>(kExampleTimeNs)),
        std::string(R"({"name":"Alice"})"), std::to_string(bytes_.size()) + " bytes"}) {
    EXPECT_NE(doc_.find(text), std::string::npos) << "the document should say " << text;
  }
}

}  // namespace
}  // namespace pa_journal
