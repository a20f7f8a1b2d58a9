#include "journal/record_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "journal/format.h"
#include "model/validation.h"
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

// A record that passes its checksum must still name what a writer could have
// written: a collection name becomes a file name when the state is written out
// ("../x" would escape the store), and a key must be valid UTF-8 for the JSON
// writers. Anything else is damage, not input.
void check_names(const pa_journal::Operation& op) {
  try {
    validate_collection_name(op.collection);
    validate_key(op.key);
  } catch (const InvalidInputError& e) {
    throw CorruptedDataError(std::string("record holds an ") + e.what());
  }
}

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
    check_names(record.ops.back());
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
// segment holds it.
unsigned record_words(const Record& record) {
  size_t words = 1 + 4 + 1 + text_words(record.origin);  // root, Record, list tag
  for (const auto& op : record.ops) {
    words += 4 + text_words(op.collection) + text_words(op.key) + text_words(op.document);
  }
  return static_cast<unsigned>(std::min<size_t>(words, 1u << 28));
}

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

// --- The direct encoder ---
//
// The bytes the builder makes of build_record()'s calls, written without it
// (a quarter of the time): one segment, allocated in call order: the root
// pointer, the Record struct, the origin, the ops list (a tag word, then
// each Operation struct), then each operation's collection, key and document.
// RecordCodecTest compares the two encodings byte for byte. A schema change
// that resizes a struct stops the build here; a new field is left at its
// default until this encoder writes it.
static_assert(schema::Record::_capnpPrivate::dataWordSize == 2 &&
              schema::Record::_capnpPrivate::pointerCount == 2);
static_assert(schema::Operation::_capnpPrivate::dataWordSize == 1 &&
              schema::Operation::_capnpPrivate::pointerCount == 3);

// Larger messages (never a valid record) go through the builder, so that no
// offset or count can overflow its pointer field.
constexpr size_t kMaxDirectWords = size_t{1} << 26;
constexpr uint64_t kByteElements = 2, kCompositeElements = 7;

// Cap'n Proto pointers to a target `offset` words after the pointer's end.
uint64_t struct_pointer(size_t offset, uint16_t data_words, uint16_t pointers) {
  return uint64_t{offset} << 2 | uint64_t{data_words} << 32 | uint64_t{pointers} << 48;
}
uint64_t list_pointer(size_t offset, uint64_t element_size, size_t count) {
  return 1 | uint64_t{offset} << 2 | element_size << 32 | uint64_t{count} << 35;
}

// Writes into out, which must hold (1 + words) zeroed words: the segment
// table (one segment) and then the segment.
class DirectEncoder {
 public:
  DirectEncoder(char* out, size_t words) : segment_(out + sizeof(capnp::word)) {
    put_u32(out + 4, static_cast<uint32_t>(words));
  }

  size_t allocate(size_t words) { return std::exchange(next_, next_ + words); }
  void set_word(size_t at, uint64_t value) { put_u64(segment_ + at * 8, value); }
  void set_text(size_t pointer_at, const std::string& s) {
    size_t at = allocate(text_words(s));
    std::memcpy(segment_ + at * 8, s.data(), s.size());  // NUL and padding are zero
    set_word(pointer_at, list_pointer(at - pointer_at - 1, kByteElements, s.size() + 1));
  }

 private:
  char* segment_;
  size_t next_ = 0;
};

// The words of record's segment in the direct encoding, or 0 if the record
// is too large for this encoder.
size_t direct_words(const Record& record) {
  size_t words = 1 + 4 + 1 + (record.origin.empty() ? 0 : text_words(record.origin));
  for (const auto& op : record.ops) {
    words += 4 + text_words(op.collection) + text_words(op.key) +
             (op.document.empty() ? 0 : text_words(op.document));
  }
  return words < kMaxDirectWords ? words : 0;
}

// Writes the encoding (1 + words words) into out, which must be zeroed.
void encode_directly(const Record& record, size_t words, char* out) {
  DirectEncoder e(out, words);
  size_t root = e.allocate(1), fields = e.allocate(4);
  e.set_word(root, struct_pointer(fields - root - 1, 2, 2));
  e.set_word(fields, record.seq);
  e.set_word(fields + 1, static_cast<uint64_t>(record.time_ns));
  if (!record.origin.empty()) e.set_text(fields + 3, record.origin);
  size_t n = record.ops.size(), tag = e.allocate(1 + 4 * n);
  e.set_word(fields + 2, list_pointer(tag - fields - 3, kCompositeElements, 4 * n));
  e.set_word(tag, struct_pointer(n, 1, 3));  // a tag's offset is the element count
  for (size_t i = 0; i < n; ++i) {
    const pa_journal::Operation& op = record.ops[i];
    size_t at = tag + 1 + 4 * i;
    e.set_word(at, static_cast<uint16_t>(to_schema(op.kind)));
    e.set_text(at + 1, op.collection);
    e.set_text(at + 2, op.key);
    if (!op.document.empty()) e.set_text(at + 3, op.document);
  }
}

// Fills in the header of the frame at frame, whose payload of payload_bytes
// follows the header.
void seal_frame(char* frame, uint8_t type, size_t payload_bytes) {
  put_u32(frame + format::kFrameLengthOffset, static_cast<uint32_t>(payload_bytes));
  frame[format::kFrameTypeOffset] = static_cast<char>(type);
  std::string_view covered(
      frame + format::kFrameLengthOffset,
      format::kFrameHeaderSize - format::kFrameLengthOffset + payload_bytes);
  put_u64(frame + format::kFrameChecksumOffset, checksum(covered));
}

}  // namespace

std::string encode_payload(const Record& record) {
  if (size_t words = direct_words(record); words != 0) {
    std::string out((1 + words) * sizeof(capnp::word), '\0');
    encode_directly(record, words, out.data());
    return out;
  }
  capnp::MallocMessageBuilder message(record_words(record));
  build_record(message.initRoot<schema::Record>(), record);
  return flat_array(message.getSegmentsForOutput());
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
    // Cap'n Proto's reason, without its pointers into its own API ("See
    // capnp::ReaderOptions.").
    std::string reason = e.getDescription().cStr();
    size_t see = reason.find(" See capnp::");
    if (see != std::string::npos) reason.erase(see);
    throw CorruptedDataError("record payload does not decode as a record: " + reason);
  }
}

uint64_t checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

// The journal is little-endian. On a little-endian machine a word is copied
// as it is: the byte loops below are not merged into one store by g++ -O2,
// and the encoder writes a dozen words per record.
void put_u32(char* dst, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &v, sizeof v);
  } else {
    for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
  }
}

void put_u64(char* dst, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &v, sizeof v);
  } else {
    for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
  }
}

uint32_t get_u32(const char* src) {
  uint32_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, src, sizeof v);
  } else {
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  }
  return v;
}

uint64_t get_u64(const char* src) {
  uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, src, sizeof v);
  } else {
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  }
  return v;
}

void append_frame(std::string* out, uint8_t type, std::string_view payload) {
  size_t start = out->size();
  out->resize(start + format::kFrameHeaderSize);
  out->append(payload);
  seal_frame(out->data() + start, type, payload.size());
}

size_t append_record_frame(std::string* out, uint8_t type, const Record& record) {
  size_t words = direct_words(record);
  if (words == 0) {
    std::string payload = encode_payload(record);
    append_frame(out, type, payload);
    return payload.size();
  }
  size_t start = out->size(), payload_bytes = (1 + words) * sizeof(capnp::word);
  out->resize(start + format::kFrameHeaderSize + payload_bytes, '\0');
  encode_directly(record, words, out->data() + start + format::kFrameHeaderSize);
  seal_frame(out->data() + start, type, payload_bytes);
  return payload_bytes;
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
