// A snapshot packed into one byte string for the stream (docs/replication.md,
// "Snapshot bundle"), cut into chunks of at most kMaxChunkBytes, and back.
//
//   bundle = magic "PAJRNBDL" | version u32 = 1 | count u32 |
//            count * (name_len u32 | name | data_len u64 | data) |
//            xxh3 u64 of every byte before it
//
// Integers little-endian. The first file is the bundle's manifest,
// "<id>.manifest.json": the snapshot's manifest rewritten so that it names
// every collection file plain ("<c>_<id>.json", never .zst), no key index and
// no pending files; its own checksum holds. The collection files follow in
// the manifest's order, their JSON text exactly as the manifest's size and
// XXH3 describe it. The same snapshot always packs to the same bytes.
//
// Thread-safety: pure functions, except pack_snapshot, which only reads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pa_journal/file_system.h"
#include "snapshot/snapshot.h"

namespace pa_journal::replication {

inline constexpr std::string_view kBundleMagic{"PAJRNBDL", 8};
inline constexpr uint32_t kBundleVersion = 1;

// The bundle of snapshot info of backups_dir. Its files are read, checked
// against the manifest and decompressed (CorruptedDataError naming a file
// that fails).
std::string pack_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info);

struct Bundle {
  SnapshotInfo info;          // parsed from manifest_text
  std::string manifest_text;  // the bundle's manifest, as written into backups/
  std::vector<std::pair<std::string, std::string>> files;  // name, JSON text
};

// Unpacks and checks a bundle: its checksum, the manifest's own checksum,
// every file the manifest names present with its size and XXH3, nothing
// else. Throws CorruptedDataError naming what (the snapshot's name, where).
Bundle unpack_bundle(std::string_view bundle, const std::string& where);

// bundle cut into pieces of at most max_bytes (one, empty, for an empty one).
std::vector<std::string_view> cut_chunks(std::string_view bundle, size_t max_bytes);

}  // namespace pa_journal::replication
