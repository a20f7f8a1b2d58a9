// The key index beside a snapshot's collection file, and reading a collection
// through it (docs/snapshot-format.md, "Key index").
//
// backups/<c>_<id>.index is derived from backups/<c>_<id>.json, never trusted
// over it: it says where the file's blocks of whole document lines start, how
// many documents each holds, the first key of each and the XXH3-64 of each
// block's bytes. A reader checks the index whole (its trailing checksum, its
// header against the manifest's size, XXH3 and document count of the file,
// blocks that tile the document lines in key order) and each block it reads
// against the block's XXH3; anything else is damage (CorruptedDataError), and
// the reader then loads the JSON file whole as it did before indexes existed.
//
// Format, little-endian (every constant here, prose and example in the doc):
//   index   = header block* trailer
//   header  = magic[8] version:u32 reserved:u32 file_bytes:u64 file_xxh3:u64
//             documents:u64 blocks:u64
//   block   = key_bytes:u32 first_key[key_bytes] offset:u64 length:u64
//             documents:u64 xxh3:u64
//   trailer = xxh3:u64 of every byte before it
//
// Thread-safety: KeyIndex is a value. IndexedCollection is immutable once
// made: any number of threads may read it at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/file_system.h"
#include "pa_journal/record.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

inline constexpr std::string_view kIndexMagic = "PAJINDEX";
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderBytes = 48;
inline constexpr size_t kIndexTrailerBytes = 8;
// A block's entry without its first key: key_bytes, offset, length,
// documents, xxh3.
inline constexpr size_t kIndexEntryBytes = 36;
// A block is cut after the document line that brings it to this size.
inline constexpr uint64_t kIndexBlockBytes = 64 << 10;
// Where the document lines of a collection file start ("{\n") and how many
// bytes follow the last one ("}\n").
inline constexpr uint64_t kFirstLineOffset = 2;
inline constexpr uint64_t kClosingBytes = 2;
// The largest index a reader accepts: one block per document line of the
// largest collection file, a megabyte of keys each, is never near it.
inline constexpr uint64_t kMaxIndexBytes = uint64_t{1} << 32;

struct IndexBlock {
  std::string first_key;  // unescaped
  uint64_t offset = 0;    // in the collection file
  uint64_t length = 0;    // whole lines, their "\n" included
  uint64_t documents = 0;
  uint64_t xxh3 = 0;  // of those bytes
  bool operator==(const IndexBlock&) const = default;
};

struct KeyIndex {
  uint64_t file_bytes = 0;
  uint64_t file_xxh3 = 0;
  uint64_t documents = 0;
  std::vector<IndexBlock> blocks;
  bool operator==(const KeyIndex&) const = default;
};

std::string serialize_index(const KeyIndex& index);
// Throws CorruptedDataError (naming file) unless data is a whole index whose
// checksum holds and whose blocks tile a collection file of file_bytes in
// strictly ascending key order.
KeyIndex parse_index(std::string_view data, const std::string& file);
// Throws CorruptedDataError unless index describes exactly the file f of a
// manifest (its size, XXH3 and document count).
void check_index_matches(const KeyIndex& index, const SnapshotFile& f,
                         const std::string& file);
// Where block i's entry starts in the serialized index.
uint64_t index_entry_offset(const KeyIndex& index, size_t i);

// Builds the index of the text serialize_collection writes for a collection
// of `documents` documents, fed each document line in order (the
// serializer's on_line: the key and the line's bytes, '\n' included).
class IndexBuilder {
 public:
  explicit IndexBuilder(uint64_t documents);
  ~IndexBuilder();
  void add_line(const std::string& key, std::string_view line);
  // The index, once every line was added; file_xxh3 is the whole file's.
  KeyIndex finish(uint64_t file_xxh3);

 private:
  struct Hash;
  void close_block();

  uint64_t offset_;  // where the next line starts: after "{\n"
  uint64_t lines_left_;
  IndexBlock block_;
  std::unique_ptr<Hash> hash_;
  KeyIndex index_;
};

// One block's document lines as (key, document) pairs, keys unescaped, the
// documents views into block. Throws CorruptedDataError for text that is not
// document lines.
std::vector<std::pair<std::string, std::string_view>> parse_block(
    std::string_view block, const std::string& file);

// A collection file read through its index: one block per lookup.
class IndexedCollection {
 public:
  using Visitor = std::function<bool(std::string_view key, std::string_view doc)>;

  // file: the open collection file; name: its name for messages.
  IndexedCollection(std::unique_ptr<ReadableFile> file, KeyIndex index, std::string name);

  uint64_t documents() const { return index_.documents; }
  // The collection file's size: "{}\n" for no documents, else 3 bytes and
  // each document line's (docs/snapshot-format.md).
  uint64_t file_bytes() const { return index_.file_bytes; }
  const KeyIndex& index() const { return index_; }
  // Throw CorruptedDataError when a block read fails its XXH3 or does not
  // parse, IoError when it cannot be read.
  std::optional<std::string> find(std::string_view key) const;
  // Visits the documents whose key is at least from, in key order, until
  // visit returns false. Holds one block at a time.
  void scan(std::string_view from, const Visitor& visit) const;
  // Reads and checks every block (what find and scan check), for verify.
  void check_blocks() const;

 private:
  // The block that holds key if any does: the last whose first key <= key.
  size_t block_for(std::string_view key) const;
  // Block i read, checked against its XXH3 and its entry, and parsed.
  struct Block {
    std::string data;
    std::vector<std::pair<std::string, std::string_view>> lines;  // into data
  };
  void read_block(size_t i, Block& out) const;

  std::unique_ptr<ReadableFile> file_;
  KeyIndex index_;
  std::string name_;
};

// f's collection file read through its index, or null if it cannot be: f
// lists no index or is compressed (damaged stays unset), or the index is
// missing, does not verify or is not of f (damaged, if not null, says where
// and why), or the file is not f's size (the full load reports that). The
// caller then reads the JSON file whole.
std::unique_ptr<IndexedCollection> open_indexed(FileSystem& fs,
                                                const std::string& backups_dir,
                                                const SnapshotFile& f,
                                                std::optional<Damage>* damaged = nullptr);

}  // namespace pa_journal
