#include "journal/record_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "journal/format.h"
#include "pa_journal/errors.h"
#include "record.capnp.h"

namespace pa_journal {
namespace {

using schema::Operation;

Operation::Kind to_schema(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return Operation::Kind::PUT;
    case OpKind::kPatch:
      return Operation::Kind::PATCH;
    case OpKind::kDelete:
      return Operation::Kind::REMOVE;
  }
  throw StorageError("unknown operation kind");
}

OpKind from_schema(Operation::Kind kind) {
  switch (kind) {
    case Operation::Kind::PUT:
      return OpKind::kPut;
    case Operation::Kind::PATCH:
      return OpKind::kPatch;
    case Operation::Kind::REMOVE:
      return OpKind::kDelete;
  }
  throw CorruptedDataError("record holds an unknown operation kind");
}

std::string as_string(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }

capnp::Text::Reader text(const std::string& s) { return {s.c_str(), s.size()}; }

Record read_record(schema::Record::Reader reader) {
  Record record;
  record.seq = reader.getSeq();
  record.time_ns = reader.getTimeNs();
  record.origin = as_string(reader.getOrigin());
  auto ops = reader.getOps();
  record.ops.reserve(ops.size());
  for (auto op : ops) {
    record.ops.push_back({from_schema(op.getKind()), as_string(op.getCollection()),
                          as_string(op.getKey()), as_string(op.getDocument())});
  }
  return record;
}

}  // namespace

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kPatch:
      return "patch";
    case OpKind::kDelete:
      return "delete";
  }
  return "unknown";
}

namespace {

// Words of the text's Cap'n Proto blob: its bytes, a NUL, padding to a word.
size_t text_words(const std::string& s) { return (s.size() + 1 + 7) / 8; }

// An upper bound of the words a Record message takes, so that one first
// segment holds it: a single-segment message with no zeroing of a default-sized
// first segment and no growth.
unsigned record_words(const Record& record) {
  size_t words = 1 + 4 + 1 + text_words(record.origin);  // root, Record, list tag
  for (const auto& op : record.ops) {
    words += 4 + text_words(op.collection) + text_words(op.key) + text_words(op.document);
  }
  return static_cast<unsigned>(std::min<size_t>(words, 1u << 28));
}

// A message builder whose first segment is the caller's zeroed buffer, left as
// the message made it (MallocMessageBuilder zeroes a caller's segment again
// when it is destroyed). Further segments, if any, are its own.
class InPlaceBuilder : public capnp::MessageBuilder {
 public:
  explicit InPlaceBuilder(kj::ArrayPtr<capnp::word> first) : first_(first) {}

  kj::ArrayPtr<capnp::word> allocateSegment(unsigned minimum_words) override {
    if (!first_given_ && minimum_words <= first_.size()) {
      first_given_ = true;
      return first_;
    }
    size_t words = std::max<size_t>(minimum_words, 1024);
    more_.push_back(std::make_unique<capnp::word[]>(words));  // zeroed
    return kj::arrayPtr(more_.back().get(), words);
  }

 private:
  kj::ArrayPtr<capnp::word> first_;
  bool first_given_ = false;
  std::vector<std::unique_ptr<capnp::word[]>> more_;
};

void build_record(schema::Record::Builder builder, const Record& record) {
  builder.setSeq(record.seq);
  builder.setTimeNs(record.time_ns);
  if (!record.origin.empty()) builder.setOrigin(text(record.origin));
  auto ops = builder.initOps(static_cast<unsigned>(record.ops.size()));
  for (size_t i = 0; i < record.ops.size(); ++i) {
    const auto& op = record.ops[i];
    auto out = ops[static_cast<unsigned>(i)];
    out.setKind(to_schema(op.kind));
    out.setCollection(text(op.collection));
    out.setKey(text(op.key));
    if (!op.document.empty()) out.setDocument(text(op.document));
  }
}

// segments in the flat-array layout: segment count - 1, each segment's size
// in words, padding to a word, then the segments.
std::string flat_array(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
  size_t table_words = (segments.size() + 2) / 2;
  size_t total = table_words;
  for (auto segment : segments) total += segment.size();
  std::string out(total * sizeof(capnp::word), '\0');
  put_u32(out.data(), static_cast<uint32_t>(segments.size() - 1));
  char* at = out.data() + table_words * sizeof(capnp::word);
  for (size_t i = 0; i < segments.size(); ++i) {
    put_u32(out.data() + 4 * (i + 1), static_cast<uint32_t>(segments[i].size()));
    std::memcpy(at, segments[i].begin(), segments[i].size() * sizeof(capnp::word));
    at += segments[i].size() * sizeof(capnp::word);
  }
  return out;
}

}  // namespace

std::string encode_payload(const Record& record) {
  // The flat-array layout of messageToFlatArray for one segment: segment
  // count - 1 and the segment's size in words, then the segment, which the
  // message is built in.
  unsigned words = record_words(record);
  std::string out((1 + size_t{words}) * sizeof(capnp::word), '\0');
  auto* first = reinterpret_cast<capnp::word*>(out.data() + sizeof(capnp::word));
  InPlaceBuilder message(kj::arrayPtr(first, words));
  build_record(message.initRoot<schema::Record>(), record);
  auto segments = message.getSegmentsForOutput();
  if (segments.size() != 1 || segments[0].begin() != first) {
    return flat_array(segments);  // record_words() fell short: never expected
  }
  put_u32(out.data() + 4, static_cast<uint32_t>(segments[0].size()));
  out.resize((1 + segments[0].size()) * sizeof(capnp::word));
  return out;
}

Record decode_payload(std::string_view payload) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) {
    throw CorruptedDataError("record payload is not a whole number of 8-byte words");
  }
  // Cap'n Proto reads words in place; copy into an aligned buffer so that the
  // frame's position in its file does not matter.
  auto words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  capnp::ReaderOptions limits;
  limits.traversalLimitInWords = words.size();
  limits.nestingLimit = format::kMaxNestingDepth;
  try {
    capnp::FlatArrayMessageReader message(words, limits);
    return read_record(message.getRoot<schema::Record>());
  } catch (const kj::Exception& e) {
    throw CorruptedDataError(std::string("record payload does not decode: ") +
                             e.getDescription().cStr());
  }
}

uint64_t checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

void put_u32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

void put_u64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

uint32_t get_u32(const char* src) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  return v;
}

uint64_t get_u64(const char* src) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  return v;
}

void append_frame(std::string* out, uint8_t type, std::string_view payload) {
  size_t start = out->size();
  out->resize(start + format::kFrameHeaderSize);
  char* header = out->data() + start;
  put_u32(header + format::kFrameLengthOffset, static_cast<uint32_t>(payload.size()));
  header[format::kFrameTypeOffset] = static_cast<char>(type);
  out->append(payload);
  std::string_view covered(
      out->data() + start + format::kFrameLengthOffset,
      format::kFrameHeaderSize - format::kFrameLengthOffset + payload.size());
  put_u64(out->data() + start + format::kFrameChecksumOffset, checksum(covered));
}

std::string encode_segment_header(uint64_t first_seq) {
  std::string header(format::kSegmentHeaderSize, '\0');
  std::memcpy(header.data(), format::kSegmentMagic.data(), format::kSegmentMagic.size());
  put_u32(header.data() + 8, format::kFormatVersion);
  put_u64(header.data() + 16, first_seq);
  put_u64(header.data() + format::kSegmentHeaderChecked,
          checksum({header.data(), format::kSegmentHeaderChecked}));
  return header;
}

}  // namespace pa_journal
