// See snapshot/file_links.h.
#include "snapshot/file_links.h"

#include <xxhash.h>

#include <memory>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "snapshot/key_index.h"

namespace pa_journal {
namespace {

// The size and XXH3 of collection's text, without writing it.
void hash_collection(const CollectionView& collection, SnapshotFile* out) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                &XXH3_freeState);
  XXH3_64bits_reset(hash.get());
  serialize_collection(collection, kStreamChunkBytes, [&](std::string_view piece) {
    XXH3_64bits_update(hash.get(), piece.data(), piece.size());
    out->bytes += piece.size();
  });
  out->xxh3 = XXH3_64bits_digest(hash.get());
}

// Whether f's key index is whole and of f (its trailer checksum covers every
// byte, so this finds any damage since it was written).
bool index_verifies(FileSystem& fs, const std::string& backups_dir,
                    const SnapshotFile& f) {
  try {
    KeyIndex index = parse_index(fs.read_file(join_path(backups_dir, f.index)), f.index);
    check_index_matches(index, f, f.index);
    return true;
  } catch (const StorageError&) {
    return false;  // damaged, missing or unreadable: written afresh
  }
}

}  // namespace

bool try_link(FileSystem& fs, const std::string& from, const std::string& to) {
  try {
    fs.link(from, to);
    return true;
  } catch (const IoError&) {
    return false;
  }
}

std::optional<SnapshotFile> unchanged_file(const SnapshotInfo* previous,
                                           const std::string& name,
                                           const CollectionView& collection) {
  if (previous == nullptr) return std::nullopt;
  for (const SnapshotFile& f : previous->files) {
    if (f.collection != name || f.compressed() || f.documents != collection.size)
      continue;
    SnapshotFile now;
    hash_collection(collection, &now);
    if (now.bytes == f.bytes && now.xxh3 == f.xxh3) return f;
  }
  return std::nullopt;
}

bool link_unchanged(FileSystem& fs, const std::string& backups_dir,
                    const std::string& path, const std::optional<SnapshotFile>& same,
                    SnapshotFile* out) {
  // A damaged index is not passed on: the file is written again with a new
  // one (what verify tells the user compaction does).
  if (!same || (!same->index.empty() && !index_verifies(fs, backups_dir, *same)) ||
      !try_link(fs, join_path(backups_dir, same->file), temp_file_name(path)))
    return false;
  fs.rename(temp_file_name(path), path);
  out->bytes = same->bytes;
  out->xxh3 = same->xxh3;
  // The index binds to the text (its size and XXH3), not to a name: the
  // previous file's index serves this name too. Without one, none.
  std::string index_path = join_path(backups_dir, out->index);
  if (same->index.empty() ||
      !try_link(fs, join_path(backups_dir, same->index), temp_file_name(index_path))) {
    out->index.clear();
    return true;
  }
  fs.rename(temp_file_name(index_path), index_path);
  return true;
}

std::vector<std::string> rebuild_damaged_indexes(FileSystem& fs,
                                                 const std::string& backups_dir,
                                                 const SnapshotInfo& info,
                                                 const CollectionViews& collections) {
  std::vector<std::string> rebuilt;
  for (const SnapshotFile& f : info.files) {
    auto c = collections.find(f.collection);
    if (f.index.empty() || f.compressed() || c == collections.end() ||
        index_verifies(fs, backups_dir, f))
      continue;
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                  &XXH3_freeState);
    XXH3_64bits_reset(hash.get());
    IndexBuilder index(c->second.size);
    uint64_t bytes = 0;
    serialize_collection(
        c->second, kStreamChunkBytes,
        [&](std::string_view piece) {
          XXH3_64bits_update(hash.get(), piece.data(), piece.size());
          bytes += piece.size();
        },
        nullptr,
        [&index](const std::string& key, std::string_view line) {
          index.add_line(key, line);
        });
    uint64_t xxh3 = XXH3_64bits_digest(hash.get());
    if (bytes != f.bytes || xxh3 != f.xxh3) continue;  // not this file's text
    std::string text = serialize_index(index.finish(xxh3));
    write_file_via_temp(fs, join_path(backups_dir, f.index),
                        [&text](WritableFile& file) { file.append(text); });
    rebuilt.push_back(f.index);
  }
  if (!rebuilt.empty()) fs.sync_dir(backups_dir);
  return rebuilt;
}

}  // namespace pa_journal
