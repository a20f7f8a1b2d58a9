#include "snapshot/key_index.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Reads an index's fields in order; any read past the end is damage.
class Reader {
 public:
  Reader(std::string_view data, const std::string& file) : data_(data), file_(file) {}
  uint64_t u64() { return number(8); }
  uint32_t u32() { return static_cast<uint32_t>(number(4)); }
  std::string_view bytes(uint64_t n) {
    if (n > data_.size() - pos_) fail("ends inside a field");
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  bool done() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  // Damage at the field being read; fail_at: at offset in the index.
  [[noreturn]] void fail(const std::string& why) const { fail_at(pos_, why); }
  [[noreturn]] void fail_at(uint64_t offset, const std::string& why) const {
    throw CorruptedDataError(file_ + ": not a valid key index: " + why, file_, offset);
  }

 private:
  uint64_t number(int n) {
    std::string_view b = bytes(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  std::string_view data_;
  const std::string& file_;
  size_t pos_ = 0;
};

// The blocks must tile the document lines: from kFirstLineOffset, each
// starting where the one before ends, the last ending kClosingBytes before
// the file does, keys ascending, counts adding up. entries[i]: where block
// i's entry starts in the index, for the message.
void check_tiling(const KeyIndex& index, const std::vector<size_t>& entries,
                  const Reader& r) {
  uint64_t at = kFirstLineOffset, documents = 0;
  for (size_t i = 0; i < index.blocks.size(); ++i) {
    const IndexBlock& b = index.blocks[i];
    if (b.offset != at || b.length == 0 || b.documents == 0)
      r.fail_at(entries[i], "blocks do not tile");
    if (i > 0 && !(index.blocks[i - 1].first_key < b.first_key))
      r.fail_at(entries[i], "first keys are not ascending");
    if (b.length > index.file_bytes - at)
      r.fail_at(entries[i], "a block lies past the file's end");
    at += b.length;
    documents += b.documents;
  }
  bool empty = index.blocks.empty();
  if (empty ? index.file_bytes != 3 : at + kClosingBytes != index.file_bytes)
    r.fail_at(kIndexHeaderBytes - 32, "blocks do not cover the file");
  if (documents != index.documents)
    r.fail_at(kIndexHeaderBytes - 16, "document counts do not add up");
}

// The end of the quoted key at the start of line (the closing quote), or npos.
size_t closing_quote(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string unescape_key(std::string_view quoted, const std::string& file) {
  if (quoted.find('\\') == std::string_view::npos)
    return std::string(quoted.substr(1, quoted.size() - 2));
  try {
    return nlohmann::json::parse(quoted).get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw CorruptedDataError(file + ": a key that is not a JSON string", file);
  }
}

}  // namespace

std::string serialize_index(const KeyIndex& index) {
  std::string out(kIndexMagic);
  put_u32(&out, kIndexVersion);
  put_u32(&out, 0);
  put_u64(&out, index.file_bytes);
  put_u64(&out, index.file_xxh3);
  put_u64(&out, index.documents);
  put_u64(&out, index.blocks.size());
  for (const IndexBlock& b : index.blocks) {
    put_u32(&out, static_cast<uint32_t>(b.first_key.size()));
    out += b.first_key;
    put_u64(&out, b.offset);
    put_u64(&out, b.length);
    put_u64(&out, b.documents);
    put_u64(&out, b.xxh3);
  }
  put_u64(&out, checksum(out));
  return out;
}

KeyIndex parse_index(std::string_view data, const std::string& file) {
  Reader r(data, file);
  if (data.size() < kIndexHeaderBytes + kIndexTrailerBytes ||
      data.size() > kMaxIndexBytes)
    r.fail("too short or too long");
  std::string_view body = data.substr(0, data.size() - kIndexTrailerBytes);
  Reader trailer(data.substr(body.size()), file);
  if (trailer.u64() != checksum(body)) r.fail_at(body.size(), "checksum mismatch");
  Reader in(body, file);
  if (in.bytes(kIndexMagic.size()) != kIndexMagic) in.fail("no magic");
  if (in.u32() != kIndexVersion) in.fail("an unknown version");
  in.u32();  // reserved
  KeyIndex index;
  index.file_bytes = in.u64();
  index.file_xxh3 = in.u64();
  index.documents = in.u64();
  uint64_t blocks = in.u64();
  // Each block takes at least kIndexEntryBytes: a count beyond that is damage.
  if (blocks > body.size() / kIndexEntryBytes) in.fail("more blocks than bytes");
  index.blocks.resize(blocks);
  std::vector<size_t> entries;
  entries.reserve(blocks);
  for (IndexBlock& b : index.blocks) {
    entries.push_back(in.pos());
    b.first_key = in.bytes(in.u32());
    b.offset = in.u64();
    b.length = in.u64();
    b.documents = in.u64();
    b.xxh3 = in.u64();
  }
  if (!in.done()) in.fail("bytes after the last block");
  check_tiling(index, entries, in);
  return index;
}

void check_index_matches(const KeyIndex& index, const SnapshotFile& f,
                         const std::string& file) {
  if (index.file_bytes != f.bytes || index.file_xxh3 != f.xxh3 ||
      index.documents != f.documents) {
    // The header's file_bytes, file_xxh3 and documents disagree.
    throw CorruptedDataError(file + ": the key index is not of " + in_backups(f.file),
                             file, 16);
  }
}

struct IndexBuilder::Hash {
  Hash() : state(XXH3_createState()) {}
  ~Hash() { XXH3_freeState(state); }
  XXH3_state_t* state;
};

IndexBuilder::IndexBuilder(uint64_t documents)
    : offset_(2), lines_left_(documents), hash_(std::make_unique<Hash>()) {
  index_.documents = documents;
}

IndexBuilder::~IndexBuilder() = default;

void IndexBuilder::add_line(const std::string& key, std::string_view line) {
  if (lines_left_ == 0) return;  // serialize_collection refuses such a view
  if (block_.length == 0) {
    block_.offset = offset_;
    block_.first_key = key;
    XXH3_64bits_reset(hash_->state);
  }
  XXH3_64bits_update(hash_->state, line.data(), line.size());
  block_.length += line.size();
  offset_ += line.size();
  ++block_.documents;
  if (--lines_left_ == 0 || block_.length >= kIndexBlockBytes) close_block();
}

void IndexBuilder::close_block() {
  block_.xxh3 = XXH3_64bits_digest(hash_->state);
  index_.blocks.push_back(std::move(block_));
  block_ = {};
}

KeyIndex IndexBuilder::finish(uint64_t file_xxh3) {
  // "}\n" after the lines; "{}\n" alone for none.
  index_.file_bytes = index_.documents == 0 ? kEmptyCollectionFileBytes : offset_ + 2;
  index_.file_xxh3 = file_xxh3;
  return std::move(index_);
}

std::vector<std::pair<std::string, std::string_view>> parse_block(
    std::string_view block, const std::string& file) {
  std::vector<std::pair<std::string, std::string_view>> out;
  while (!block.empty()) {
    size_t nl = block.find('\n');
    if (nl == std::string_view::npos || block.substr(0, 3) != "  \"")
      throw CorruptedDataError(file + ": a block that is not document lines", file);
    std::string_view line = block.substr(2, nl - 2);
    block.remove_prefix(nl + 1);
    size_t close = closing_quote(line);
    if (close == std::string_view::npos || line.substr(close, 3) != "\": ")
      throw CorruptedDataError(file + ": a document line without a key", file);
    std::string_view doc = line.substr(close + 3);
    if (!doc.empty() && doc.back() == ',') doc.remove_suffix(1);
    out.emplace_back(unescape_key(line.substr(0, close + 1), file), doc);
  }
  return out;
}

IndexedCollection::IndexedCollection(std::unique_ptr<ReadableFile> file, KeyIndex index,
                                     std::string name)
    : file_(std::move(file)), index_(std::move(index)), name_(std::move(name)) {}

size_t IndexedCollection::block_for(std::string_view key) const {
  auto after = std::upper_bound(
      index_.blocks.begin(), index_.blocks.end(), key,
      [](std::string_view k, const IndexBlock& b) { return k < b.first_key; });
  return static_cast<size_t>(after - index_.blocks.begin());  // 0: before every block
}

void IndexedCollection::read_block(size_t i, Block& out) const {
  const IndexBlock& b = index_.blocks[i];
  auto damaged = [&](const std::string& why) {
    return CorruptedDataError(
        name_ + ": block at offset " + std::to_string(b.offset) + " " + why, name_,
        b.offset);
  };
  out.data = file_->read_at(b.offset, b.length);
  if (checksum(out.data) != b.xxh3) throw damaged("fails its checksum");
  try {
    out.lines = parse_block(out.data, name_);
  } catch (const CorruptedDataError& e) {
    throw damaged("is not document lines (" + std::string(e.what()) + ")");
  }
  // The index is derived: its claims about the block are checked too.
  bool ascending =
      std::is_sorted(out.lines.begin(), out.lines.end(),
                     [](const auto& x, const auto& y) { return x.first <= y.first; });
  if (out.lines.size() != b.documents || out.lines.front().first != b.first_key ||
      !ascending) {
    throw damaged("is not as indexed");
  }
}

std::optional<std::string> IndexedCollection::find(std::string_view key) const {
  size_t after = block_for(key);
  if (after == 0) return std::nullopt;
  Block block;
  read_block(after - 1, block);
  auto it = std::lower_bound(
      block.lines.begin(), block.lines.end(), key,
      [](const auto& line, std::string_view k) { return line.first < k; });
  if (it == block.lines.end() || it->first != key) return std::nullopt;
  return std::string(it->second);
}

void IndexedCollection::scan(std::string_view from, const Visitor& visit) const {
  size_t after = block_for(from);
  for (size_t i = after == 0 ? 0 : after - 1; i < index_.blocks.size(); ++i) {
    Block block;
    read_block(i, block);
    for (const auto& line : block.lines) {
      if (line.first < from) continue;
      if (!visit(line.first, line.second)) return;
    }
  }
}

void IndexedCollection::check_blocks() const {
  for (size_t i = 0; i < index_.blocks.size(); ++i) {
    Block block;
    read_block(i, block);
  }
}

uint64_t index_entry_offset(const KeyIndex& index, size_t i) {
  uint64_t at = kIndexHeaderBytes;
  for (size_t j = 0; j < i; ++j)
    at += kIndexEntryBytes + index.blocks[j].first_key.size();
  return at;
}

std::unique_ptr<IndexedCollection> open_indexed(FileSystem& fs,
                                                const std::string& backups_dir,
                                                const SnapshotFile& f,
                                                std::optional<Damage>* damaged) {
  if (f.index.empty() || !f.file.ends_with(kJsonSuffix)) return nullptr;
  const std::string index_name = in_backups(f.index);
  try {
    std::string index_path = join_path(backups_dir, f.index);
    if (!fs.exists(index_path)) {
      if (damaged) *damaged = Damage::snapshot(index_name, "the key index is missing");
      return nullptr;
    }
    KeyIndex index = parse_index(fs.read_file(index_path), index_name);
    check_index_matches(index, f, index_name);
    std::unique_ptr<ReadableFile> file = fs.open_readable(join_path(backups_dir, f.file));
    if (file->size() != f.bytes) return nullptr;  // the JSON's own damage
    return std::make_unique<IndexedCollection>(std::move(file), std::move(index),
                                               in_backups(f.file));
  } catch (const CorruptedDataError& e) {
    if (damaged) *damaged = Damage::corruption(index_name, e.offset(), 0, e.what());
    return nullptr;
  } catch (const StorageError&) {
    return nullptr;  // the full load reads the file and says what is wrong
  }
}

}  // namespace pa_journal
