// Tests of journal/record_codec: the Cap'n Proto payload of a record, the
// frame around it and the segment header, byte for byte as journal/format.h
// lays them out, and the decoder's refusal of hostile payloads.
#include "journal/record_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "journal/format.h"
#include "model/validation.h"
#include "pa_journal/errors.h"
#include "record.capnp.h"

namespace pa_journal {
namespace {

Record sample_record() {
  Record record;
  record.seq = 42;
  record.time_ns = 1'764'064'800'123'456'789;
  record.origin = "restore to 2026-11-25T10:00:00Z";
  record.ops = {{OpKind::kPut, "contacts", "alice", R"({"name":"Alice"})"},
                {OpKind::kPatch, "contacts", "bob", R"({"phone":"555","email":null})"},
                {OpKind::kDelete, "notes", "old-note", ""}};
  return record;
}

// Decoding must either succeed or throw CorruptedDataError; anything else
// (another exception, a crash) fails the test.
void decode_or_refuse(std::string_view payload) {
  try {
    decode_payload(payload);
  } catch (const CorruptedDataError&) {
  }
}

std::string words_to_string(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

std::string le64(uint64_t v) {
  std::string out(8, '\0');
  put_u64(out.data(), v);
  return out;
}

// ---------------------------------------------------------------------------
// Payload round trips.

TEST(RecordCodecTest, RoundTripsRecordWithSeveralOperations) {
  Record record = sample_record();
  EXPECT_EQ(decode_payload(encode_payload(record)), record);
}

TEST(RecordCodecTest, RoundTripsEveryOperationKind) {
  for (OpKind kind : {OpKind::kPut, OpKind::kPatch, OpKind::kDelete}) {
    Record record;
    record.seq = 1;
    record.ops = {{kind, "config", "k", kind == OpKind::kDelete ? "" : "{}"}};
    EXPECT_EQ(decode_payload(encode_payload(record)).ops.at(0).kind, kind);
  }
}

TEST(RecordCodecTest, RoundTripsUnicodeNamesKeysAndDocuments) {
  Record record;
  record.seq = 7;
  record.time_ns = 1;
  record.origin = "import from Zoë's phone \xF0\x9F\x93\xB1";
  record.ops = {{OpKind::kPut, "contacts", "\xE5\xBC\xA0\xE4\xB8\x89",  // 张三
                 R"({"name":"Jürgen Müller","note":"日本語","emoji":"🎉"})"}};
  Record decoded = decode_payload(encode_payload(record));
  EXPECT_EQ(decoded, record);
  EXPECT_EQ(decoded.ops[0].key, "\xE5\xBC\xA0\xE4\xB8\x89");
}

TEST(RecordCodecTest, EmptyOriginAndEmptyDocumentRoundTripAsEmpty) {
  Record record;
  record.seq = 3;
  record.time_ns = 99;
  record.ops = {{OpKind::kDelete, "notes", "n1", ""}};
  Record decoded = decode_payload(encode_payload(record));
  EXPECT_EQ(decoded, record);
  EXPECT_TRUE(decoded.origin.empty());
  EXPECT_TRUE(decoded.ops[0].document.empty());
}

TEST(RecordCodecTest, RoundTripsExtremeSequenceNumbersAndTimes) {
  Record record;
  record.seq = UINT64_MAX;
  record.time_ns = INT64_MIN;
  record.ops = {{OpKind::kPut, "a", "b", "1"}};
  EXPECT_EQ(decode_payload(encode_payload(record)), record);
  record.seq = 0;
  record.time_ns = INT64_MAX;
  EXPECT_EQ(decode_payload(encode_payload(record)), record);
}

TEST(RecordCodecTest, RoundTripsSixteenMebibyteDocument) {
  Record record;
  record.seq = 5;
  std::string big = "\"" + std::string((16u << 20) - 2, 'x') + "\"";
  ASSERT_EQ(big.size(), 16u << 20);
  record.ops = {{OpKind::kPut, "notes", "big", big}};
  std::string payload = encode_payload(record);
  EXPECT_GT(payload.size(), big.size());
  EXPECT_LE(payload.size(), format::kMaxPayloadSize);
  EXPECT_EQ(decode_payload(payload), record);
}

TEST(RecordCodecTest, RoundTripsThousandOperations) {
  Record record;
  record.seq = 9;
  for (int i = 0; i < 1000; ++i) {
    record.ops.push_back({OpKind::kPut, "notes", "key-" + std::to_string(i),
                          "{\"i\":" + std::to_string(i) + "}"});
  }
  EXPECT_EQ(decode_payload(encode_payload(record)), record);
}

// The writer sizes its first message segment to the record (docs section 5),
// so that large records need no far pointers.
TEST(RecordCodecTest, EveryRecordIsOneMessageSegmentInFlatArrayLayout) {
  std::vector<Record> records = {sample_record(), Record{}};
  Record big;
  big.ops = {{OpKind::kPut, "notes", "big", "\"" + std::string(100000, 'x') + "\""},
             {OpKind::kPut, "notes", "small", "1"}};
  records.push_back(big);
  Record many;
  for (int i = 0; i < 1000; ++i) many.ops.push_back({OpKind::kDelete, "n", "k", ""});
  records.push_back(many);
  for (const Record& record : records) {
    std::string payload = encode_payload(record);
    EXPECT_EQ(get_u32(payload.data()), 0u) << "segment count - 1";
    EXPECT_EQ(get_u32(payload.data() + 4) * 8u + 8u, payload.size());
    EXPECT_TRUE(decode_payload(payload) == record);
  }
}

// What the Cap'n Proto builder makes of record: the reference the direct
// encoder must reproduce byte for byte.
std::string builder_encoding(const Record& record) {
  auto text = [](const std::string& s) {
    return capnp::Text::Reader(s.data(), s.size());
  };
  capnp::MallocMessageBuilder message(1u << 16);  // one segment for these sizes
  auto root = message.initRoot<schema::Record>();
  root.setSeq(record.seq);
  root.setTimeNs(record.time_ns);
  if (!record.origin.empty()) root.setOrigin(text(record.origin));
  auto ops = root.initOps(static_cast<unsigned>(record.ops.size()));
  for (unsigned i = 0; i < record.ops.size(); ++i) {
    const Operation& op = record.ops[i];
    ops[i].setKind(op.kind == OpKind::kPut     ? schema::Operation::Kind::PUT
                   : op.kind == OpKind::kPatch ? schema::Operation::Kind::PATCH
                                               : schema::Operation::Kind::REMOVE);
    ops[i].setCollection(text(op.collection));
    ops[i].setKey(text(op.key));
    if (!op.document.empty()) ops[i].setDocument(text(op.document));
  }
  return words_to_string(capnp::messageToFlatArray(message));
}

bool names_are_valid(const Record& record) {
  try {
    for (const Operation& op : record.ops) {
      validate_collection_name(op.collection);
      validate_key(op.key);
    }
    return true;
  } catch (const InvalidInputError&) {
    return false;
  }
}

// Random texts, names included: a record whose names no writer accepts must
// still encode exactly as the builder does, and must fail to decode.
TEST(RecordCodecTest, EncodingIsTheCapnProtoBuildersByteForByte) {
  std::mt19937_64 rng(8);
  auto text = [&](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  std::vector<Record> records = {sample_record(), Record{}};
  Record empty_texts;
  empty_texts.ops = {{OpKind::kPut, "", "", ""}, {OpKind::kDelete, "", "", ""}};
  records.push_back(empty_texts);
  for (int i = 0; i < 500; ++i) {
    Record r{rng(), static_cast<int64_t>(rng()), {}, text(i % 3 == 0 ? 20 : 0)};
    for (size_t n = rng() % 6; n > 0; --n) {
      r.ops.push_back({static_cast<OpKind>(rng() % 3), text(17), text(9), text(300)});
    }
    records.push_back(std::move(r));
  }
  for (const Record& record : records) {
    std::string payload = encode_payload(record);
    ASSERT_EQ(payload, builder_encoding(record))
        << record.ops.size() << " ops, origin of " << record.origin.size() << " bytes";
    if (names_are_valid(record)) {
      EXPECT_EQ(decode_payload(payload), record);
    } else {
      EXPECT_THROW(decode_payload(payload), CorruptedDataError);
    }
  }
}

// A record that decodes but names what no writer accepts ("../x" as a
// collection becomes a path when the state is written out; a key must be
// UTF-8 for the JSON writers) is damage.
TEST(RecordCodecTest, RecordWithAnInvalidCollectionOrKeyIsCorruption) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"../escaped", "k"},
      {"", "k"},
      {"Contacts", "k"},
      {"c", ""},
      {"c", "a/b"},
      {"c",
       "a\xed\xa0\x80"
       "b"},
      {"c",
       "a\xc2\x85"
       "b"},
      {"c", std::string(1, '\0')}};
  for (const auto& [collection, key] : bad) {
    Record r = sample_record();
    r.ops.push_back({OpKind::kPut, collection, key, "{}"});
    try {
      decode_payload(encode_payload(r));
      ADD_FAILURE() << "decoded collection '" << collection << "'";
    } catch (const CorruptedDataError& e) {
      EXPECT_NE(std::string(e.what()).find("record holds an invalid"), std::string::npos)
          << e.what();
    }
  }
}

// The writer encodes in place, after the frames already queued (which must
// stay as they were); the frame must be the one append_frame makes.
TEST(RecordCodecTest, InPlaceRecordFrameIsAppendFrameOfThePayload) {
  Record big = sample_record();
  big.ops.at(0).document = "\"" + std::string(300000, 'x') + "\"";
  std::string queued = "bytes already queued";
  for (const Record& record : {sample_record(), Record{}, big}) {
    std::string expected = queued, actual = queued;
    std::string payload = encode_payload(record);
    append_frame(&expected, format::kTypeCommit, payload);
    EXPECT_EQ(append_record_frame(&actual, format::kTypeCommit, record), payload.size());
    EXPECT_EQ(actual, expected);
  }
}

TEST(RecordCodecTest, PayloadIsWholeNumberOfWords) {
  Record record = sample_record();
  for (size_t n = 0; n < 20; ++n) {
    record.origin = std::string(n, 'o');
    EXPECT_EQ(encode_payload(record).size() % 8, 0u) << "origin of " << n << " bytes";
  }
}

TEST(RecordCodecTest, DecodesPayloadAtUnalignedAddress) {
  std::string payload = encode_payload(sample_record());
  std::string shifted = "x" + payload;
  EXPECT_EQ(decode_payload(std::string_view(shifted).substr(1)), sample_record());
}

// ---------------------------------------------------------------------------
// Decoding refuses what is not a record, and never crashes.

TEST(RecordCodecTest, EmptyPayloadIsRefused) {
  EXPECT_THROW(decode_payload({}), CorruptedDataError);
}

TEST(RecordCodecTest, PayloadThatIsNotWholeWordsIsRefused) {
  std::string payload = encode_payload(sample_record());
  for (size_t cut = 1; cut < 8; ++cut) {
    EXPECT_THROW(
        decode_payload(std::string_view(payload).substr(0, payload.size() - cut)),
        CorruptedDataError)
        << "cut " << cut;
  }
  EXPECT_THROW(decode_payload(payload + "x"), CorruptedDataError);
}

TEST(RecordCodecTest, EveryTruncationAtAWordBoundaryIsRefused) {
  std::string payload = encode_payload(sample_record());
  for (size_t size = 8; size < payload.size(); size += 8) {
    EXPECT_THROW(decode_payload(std::string_view(payload).substr(0, size)),
                 CorruptedDataError)
        << "truncated to " << size << " of " << payload.size() << " bytes";
  }
}

TEST(RecordCodecTest, GarbageIsRefused) {
  // Segment counts or sizes that the bytes cannot hold.
  EXPECT_THROW(decode_payload(std::string(64, '\xFF')), CorruptedDataError);
  EXPECT_THROW(decode_payload(le64(0x0000'0100'0000'0000) + std::string(8, '\0')),
               CorruptedDataError);
  // One empty segment: no root pointer.
  EXPECT_THROW(decode_payload(std::string(8, '\0')), CorruptedDataError);
  EXPECT_THROW(decode_payload("PAJRNSEGPAJRNSEG"), CorruptedDataError);
}

TEST(RecordCodecTest, UnknownOperationKindIsRefused) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::Record>();
  root.setSeq(1);
  auto op = root.initOps(1)[0];
  op.setKind(static_cast<schema::Operation::Kind>(7));
  op.setCollection("notes");
  op.setKey("k");
  std::string payload = words_to_string(capnp::messageToFlatArray(message));
  EXPECT_THROW(decode_payload(payload), CorruptedDataError);
}

TEST(RecordCodecTest, AmplifiedListOfEmptyElementsIsRefused) {
  // One segment of five words: a root struct (2 data words, 2 pointers) whose
  // ops pointer claims 2^29 - 1 elements of size zero. Decoding it must stop at
  // the traversal limit rather than allocate for half a billion operations.
  std::string payload = le64(5ull << 32);                   // segment table
  payload += le64((2ull << 32) | (2ull << 48));             // root struct pointer
  payload += le64(1) + le64(0);                             // seq, timeNs
  payload += le64(1 | ((uint64_t{(1u << 29) - 1}) << 35));  // ops: void list
  payload += le64(0);                                       // origin: null
  EXPECT_THROW(decode_payload(payload), CorruptedDataError);
}

TEST(RecordCodecTest, RootPointerThatPointsAtItselfIsRefused) {
  // One segment of one word: a root struct pointer with offset -1 (so the
  // struct is the pointer itself) and one pointer field, which the schema reads
  // as the ops list but which is a struct pointer.
  std::string payload = le64(1ull << 32);
  payload += le64(0xFFFFFFFCull | (1ull << 48));
  EXPECT_THROW(decode_payload(payload), CorruptedDataError);
}

TEST(RecordCodecTest, EveryBitFlipOfAPayloadDecodesOrIsRefused) {
  std::string payload = encode_payload(sample_record());
  for (size_t bit = 0; bit < payload.size() * 8; ++bit) {
    std::string damaged = payload;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    decode_or_refuse(damaged);
  }
}

TEST(RecordCodecTest, RandomGarbageDecodesOrIsRefused) {
  std::mt19937_64 random(20261125);
  for (int round = 0; round < 2000; ++round) {
    std::string garbage((1 + random() % 32) * 8, '\0');
    for (auto& c : garbage) c = static_cast<char>(random());
    // Keep the segment table plausible half of the time so that the pointer
    // decoding, not just the table check, sees the garbage.
    if (round % 2 == 0) {
      put_u32(garbage.data(), 0);
      put_u32(garbage.data() + 4, static_cast<uint32_t>(garbage.size() / 8 - 1));
    }
    decode_or_refuse(garbage);
  }
}

// ---------------------------------------------------------------------------
// Integers and checksums.

TEST(RecordCodecTest, IntegersAreLittleEndian) {
  char buf[8];
  put_u32(buf, 0x04030201);
  EXPECT_EQ(std::string(buf, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(get_u32(buf), 0x04030201u);
  put_u64(buf, 0x0807060504030201ull);
  EXPECT_EQ(std::string(buf, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(get_u64(buf), 0x0807060504030201ull);
  put_u64(buf, UINT64_MAX);
  EXPECT_EQ(get_u64(buf), UINT64_MAX);
  EXPECT_EQ(get_u32(buf), UINT32_MAX);
}

TEST(RecordCodecTest, ChecksumIsXxh3SixtyFourWithSeedZero) {
  EXPECT_EQ(checksum(""), 0x2D06800538D394C2ull);
  EXPECT_EQ(checksum("abc"), 0x78AF5F94892F3950ull);
}

// ---------------------------------------------------------------------------
// Frame layout: checksum u64 | length u32 | type u8 | reserved[3] | payload.

TEST(RecordCodecTest, FrameLayoutMatchesFormat) {
  std::string payload = encode_payload(sample_record());
  std::string frame;
  append_frame(&frame, format::kTypeCommit, payload);
  ASSERT_EQ(frame.size(), format::kFrameHeaderSize + payload.size());
  EXPECT_EQ(get_u32(frame.data() + 8), payload.size());
  EXPECT_EQ(frame[12], static_cast<char>(format::kTypeCommit));
  EXPECT_EQ(frame.substr(13, 3), std::string(3, '\0'));
  EXPECT_EQ(frame.substr(16), payload);
  // The checksum covers bytes [8, 16 + length): header after the checksum and
  // the payload.
  EXPECT_EQ(get_u64(frame.data()), checksum(std::string_view(frame).substr(8)));
  EXPECT_NE(get_u64(frame.data()), checksum(payload));
}

TEST(RecordCodecTest, FrameConstantsAgreeWithLayout) {
  EXPECT_EQ(format::kFrameChecksumOffset, 0u);
  EXPECT_EQ(format::kFrameLengthOffset, 8u);
  EXPECT_EQ(format::kFrameTypeOffset, 12u);
  EXPECT_EQ(format::kFrameHeaderSize, 16u);
  EXPECT_EQ(format::kFrameAlignment, 8u);
  EXPECT_EQ(format::kSegmentHeaderSize % format::kFrameAlignment, 0u);
}

TEST(RecordCodecTest, FrameChecksumCoversTypeAndLength) {
  std::string payload(8, 'p');
  std::string commit, padding;
  append_frame(&commit, format::kTypeCommit, payload);
  append_frame(&padding, format::kTypePadding, payload);
  EXPECT_EQ(commit.substr(8 + 5), padding.substr(8 + 5));
  EXPECT_NE(get_u64(commit.data()), get_u64(padding.data()));
}

TEST(RecordCodecTest, AppendFrameAppendsAfterExistingBytes) {
  std::string out = "prefix!!";
  std::string p1 = encode_payload(sample_record());
  std::string p2(16, '\x5A');
  append_frame(&out, format::kTypeCommit, p1);
  append_frame(&out, format::kTypeLoss, p2);
  ASSERT_EQ(out.size(), 8 + 16 + p1.size() + 16 + p2.size());
  EXPECT_EQ(out.substr(0, 8), "prefix!!");
  std::string first;
  append_frame(&first, format::kTypeCommit, p1);
  EXPECT_EQ(out.substr(8, first.size()), first);
  size_t second = 8 + first.size();
  EXPECT_EQ(get_u32(out.data() + second + 8), 16u);
  EXPECT_EQ(out[second + 12], static_cast<char>(format::kTypeLoss));
  EXPECT_EQ(out.substr(second + 16), p2);
  EXPECT_EQ(get_u64(out.data() + second),
            checksum(std::string_view(out).substr(second + 8)));
}

// ---------------------------------------------------------------------------
// Segment header: magic[8] | version u32 | flags u32 | first_seq u64 | checksum.

TEST(RecordCodecTest, SegmentHeaderLayoutMatchesFormat) {
  std::string header = encode_segment_header(0x0102030405060708ull);
  ASSERT_EQ(header.size(), format::kSegmentHeaderSize);
  ASSERT_EQ(header.size(), 32u);
  EXPECT_EQ(header.substr(0, 8), "PAJRNSEG");
  EXPECT_EQ(get_u32(header.data() + 8), format::kFormatVersion);
  EXPECT_EQ(get_u32(header.data() + 8), 1u);
  EXPECT_EQ(get_u32(header.data() + 12), 0u);  // flags
  EXPECT_EQ(header.substr(16, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(format::kSegmentHeaderChecked, 24u);
  EXPECT_EQ(get_u64(header.data() + 24),
            checksum(std::string_view(header).substr(0, 24)));
}

TEST(RecordCodecTest, SegmentHeadersDifferOnlyInSequenceAndChecksum) {
  std::string a = encode_segment_header(1);
  std::string b = encode_segment_header(2);
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16));
  EXPECT_NE(a.substr(16, 8), b.substr(16, 8));
  EXPECT_NE(a.substr(24), b.substr(24));
}

}  // namespace
}  // namespace pa_journal
