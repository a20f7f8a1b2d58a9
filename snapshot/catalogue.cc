#include "snapshot/catalogue.h"

#include <date/date.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string stamp(int64_t time_ns) {
  date::sys_seconds t = date::floor<std::chrono::seconds>(
      date::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(time_ns)));
  return date::format("%Y%m%d_%H%M%S", t);
}

void check_file(const SnapshotFile& f, const std::string& path, std::string_view data) {
  if (data.size() != f.bytes) {
    throw CorruptedDataError("backups/" + f.file + ": " + std::to_string(data.size()) +
                                 " bytes, the manifest says " + std::to_string(f.bytes),
                             "backups/" + f.file);
  }
  if (checksum(data) != f.xxh3) {
    throw CorruptedDataError("backups/" + f.file + ": checksum mismatch",
                             "backups/" + f.file);
  }
  (void)path;
}

// "<collection>_YYYYMMDD_HHMMSS[_N].json": the id part of a collection file's
// name, or "" if the name is not one.
std::string snapshot_id_of(const std::string& name) {
  if (!ends_with(name, ".json") || ends_with(name, kManifestSuffix)) return {};
  std::string stem = name.substr(0, name.size() - 5);
  for (size_t pos = stem.find('_'); pos != std::string::npos;
       pos = stem.find('_', pos + 1)) {
    std::string id = stem.substr(pos + 1);
    bool shaped = id.size() >= 15 && id[8] == '_' &&
                  id.find_first_not_of("0123456789_") == std::string::npos &&
                  (id.size() == 15 || (id.size() > 16 && id[15] == '_')) &&
                  id.find('_', 16) == std::string::npos;
    if (shaped) return id;
  }
  return {};
}

// The entries of backups/, and the snapshot ids of the collection files that
// are orphans: of no snapshot whose manifest is present (valid or not: a
// damaged manifest's files stay for a human) and named by no valid manifest.
struct Orphans {
  std::vector<std::string> names;
  std::map<std::string, std::string> id_of;  // orphan file name -> its id
};

Orphans find_orphans(FileSystem& fs, const std::string& backups_dir) {
  Orphans out;
  out.names = fs.list_dir(backups_dir);
  std::set<std::string> ids;
  for (const auto& name : out.names) {
    if (ends_with(name, kManifestSuffix)) {
      ids.insert(name.substr(0, name.size() - std::string_view(kManifestSuffix).size()));
    }
  }
  std::set<std::string> named;
  for (const auto& snapshot : list_snapshots(fs, backups_dir)) {
    for (const auto& f : snapshot.files) named.insert(f.file);
  }
  for (const auto& name : out.names) {
    std::string id = snapshot_id_of(name);
    if (!id.empty() && !ids.count(id) && !named.count(name)) out.id_of[name] = id;
  }
  return out;
}

// Removes temporary files and orphaned collection files.
void remove_orphans(FileSystem& fs, const std::string& backups_dir) {
  Orphans orphans = find_orphans(fs, backups_dir);
  bool removed = false;
  for (const auto& name : orphans.names) {
    if (ends_with(name, ".tmp") || orphans.id_of.count(name)) {
      fs.remove(backups_dir + "/" + name);
      removed = true;
    }
  }
  if (removed) fs.sync_dir(backups_dir);
}

// Streams a collection's text to a temporary file in large pieces (hashing
// and counting as it goes), syncs it and renames it to path. The caller syncs
// the directory.
void write_collection_file(FileSystem& fs, const std::string& path,
                           const Collection& collection, SnapshotFile* out) {
  constexpr size_t kChunkBytes = 4 << 20;
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                &XXH3_freeState);
  XXH3_64bits_reset(hash.get());
  write_file_via_temp(fs, path, [&](WritableFile& file) {
    serialize_collection(collection, kChunkBytes, [&](std::string_view piece) {
      XXH3_64bits_update(hash.get(), piece.data(), piece.size());
      out->bytes += piece.size();
      file.append(piece);
    });
  });
  out->xxh3 = XXH3_64bits_digest(hash.get());
}

}  // namespace

std::vector<SnapshotInfo> list_snapshots(FileSystem& fs, const std::string& backups_dir,
                                         std::vector<Damage>* damaged) {
  std::vector<SnapshotInfo> out;
  if (!fs.exists(backups_dir)) return out;
  for (const auto& name : fs.list_dir(backups_dir)) {
    if (!ends_with(name, kManifestSuffix)) continue;
    std::string path = backups_dir + "/" + name;
    try {
      out.push_back(parse_manifest(fs.read_file(path), "backups/" + name));
    } catch (const CorruptedDataError& e) {
      if (damaged) {
        damaged->push_back(
            {Damage::Kind::kCorruption, "backups/" + name, 0, 0, 0, 0, e.what()});
      }
    } catch (const IoError&) {
      // A manifest that cannot be read is not a damaged one: leaving it out
      // would let retention and segment deletion act on a partial list. Only
      // one that retention removed meanwhile (a concurrent reader) is skipped.
      if (fs.exists(path)) throw;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.seq != b.seq ? a.seq > b.seq : a.id > b.id;
  });
  return out;
}

Collections load_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info) {
  Collections out;
  for (const auto& f : info.files) {
    std::string path = backups_dir + "/" + f.file;
    if (!fs.exists(path)) {
      throw CorruptedDataError("backups/" + f.file + " is missing", "backups/" + f.file);
    }
    std::string data = fs.read_file(path);
    check_file(f, path, data);
    out[f.collection] = parse_collection(data, "backups/" + f.file);
  }
  return out;
}

uint64_t count_documents(const Collections& collections) {
  uint64_t n = 0;
  for (const auto& [_, collection] : collections) n += collection.size();
  return n;
}

SnapshotInfo write_snapshot(FileSystem& fs, const std::string& backups_dir,
                            const Collections& collections, uint64_t seq, int64_t time_ns,
                            const ProgressTick& progress) {
  const uint64_t total = progress ? count_documents(collections) : 0;
  uint64_t done = 0;
  if (progress) progress(done, total);
  create_dir_durably(fs, backups_dir);
  SnapshotInfo info;
  // Every id with a manifest file is taken, a damaged one's too: its files
  // are left for a human and must not be overwritten.
  std::vector<SnapshotInfo> taken = list_snapshots(fs, backups_dir);
  for (const auto& name : fs.list_dir(backups_dir)) {
    if (!ends_with(name, kManifestSuffix)) continue;
    taken.emplace_back();
    taken.back().id =
        name.substr(0, name.size() - std::string_view(kManifestSuffix).size());
  }
  info.id = new_snapshot_id(taken, time_ns);
  info.seq = seq;
  info.time_ns = time_ns;
  for (const auto& [name, collection] : collections) {
    SnapshotFile file{name, name + "_" + info.id + ".json", 0, 0, collection.size()};
    write_collection_file(fs, backups_dir + "/" + file.file, collection, &file);
    info.files.push_back(std::move(file));
    if (progress) progress(done += collection.size(), total);
  }
  fs.sync_dir(backups_dir);
  write_file_atomically(fs, backups_dir + "/" + info.manifest_name(),
                        serialize_manifest(info));
  return info;
}

bool snapshot_files_intact(FileSystem& fs, const std::string& backups_dir,
                           const SnapshotInfo& info) {
  try {
    for (const auto& f : info.files) {
      std::string path = backups_dir + "/" + f.file;
      if (!fs.exists(path)) return false;
      check_file(f, path, fs.read_file(path));
    }
    return true;
  } catch (const CorruptedDataError&) {
    return false;
  }
}

Retention apply_retention(FileSystem& fs, const std::string& backups_dir,
                          size_t keep_count,
                          const std::function<bool(const SnapshotInfo&)>& intact_fn) {
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir);
  keep_count = std::max<size_t>(keep_count, 1);
  size_t intact = 0;
  uint64_t oldest = 0;
  Retention out;
  for (const SnapshotInfo& s : snapshots) {
    if (intact < keep_count) {
      if (intact_fn ? intact_fn(s) : snapshot_files_intact(fs, backups_dir, s)) {
        ++intact;
        oldest = s.seq;
      } else {
        out.damaged.push_back(s.id);
      }
      continue;
    }
    fs.remove(backups_dir + "/" + s.manifest_name());
    out.removed.push_back(s.id);
  }
  if (intact >= std::min<size_t>(2, keep_count)) out.journal_needed_after = oldest;
  if (!out.removed.empty()) fs.sync_dir(backups_dir);
  remove_orphans(fs, backups_dir);
  return out;
}

void write_state_files(FileSystem& fs, const std::string& dir,
                       const Collections& collections, bool overwrite,
                       const ProgressTick& progress) {
  create_dirs_durably(fs, dir);
  for (const auto& [name, _] : collections) {
    if (!overwrite && fs.exists(dir + "/" + name + ".json")) {
      throw InvalidInputError(dir + "/" + name +
                              ".json exists; pass --force to overwrite");
    }
  }
  const uint64_t total = progress ? count_documents(collections) : 0;
  uint64_t done = 0;
  if (progress) progress(done, total);
  for (const auto& [name, collection] : collections) {
    write_file_atomically(fs, dir + "/" + name + ".json",
                          serialize_collection(collection));
    if (progress) progress(done += collection.size(), total);
  }
}

// False where the file system cannot link the two paths.
static bool try_link(FileSystem& fs, const std::string& from, const std::string& to) {
  try {
    fs.link(from, to);
    return true;
  } catch (const IoError&) {
    return false;
  }
}

void link_state_files(FileSystem& fs, const std::string& dir,
                      const std::string& backups_dir, const SnapshotInfo& info, bool copy,
                      bool only_stale) {
  for (const auto& f : info.files) {
    std::string from = backups_dir + "/" + f.file;
    std::string path = dir + "/" + f.collection + ".json";
    std::string temp = path + ".tmp";
    if (fs.exists(temp)) fs.remove(temp);  // left by a crash
    if (only_stale && fs.exists(path) && fs.file_size(path) == f.bytes) continue;
    if (!copy && try_link(fs, from, temp)) {
      fs.rename(temp, path);
    } else {
      write_file_atomically(fs, path, fs.read_file(from));
    }
  }
  fs.sync_dir(dir);
}

std::vector<std::string> unfinished_snapshots(FileSystem& fs,
                                              const std::string& backups_dir) {
  if (!fs.exists(backups_dir)) return {};
  std::set<std::string> ids;
  for (const auto& [_, id] : find_orphans(fs, backups_dir).id_of) ids.insert(id);
  std::vector<std::string> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end(), later_snapshot_id);
  return out;
}

bool later_snapshot_id(const std::string& a, const std::string& b) {
  // "YYYYMMDD_HHMMSS" then an optional "_N"; no suffix counts as 1.
  auto suffix = [](const std::string& id) {
    return id.size() > 16 ? std::strtoull(id.c_str() + 16, nullptr, 10) : 1ull;
  };
  int by_time = a.compare(0, 15, b, 0, 15);
  return by_time != 0 ? by_time > 0 : suffix(a) > suffix(b);
}

std::string new_snapshot_id(const std::vector<SnapshotInfo>& existing, int64_t time_ns) {
  std::set<std::string> used;
  for (const auto& s : existing) used.insert(s.id);
  std::string base = stamp(time_ns);
  std::string id = base;
  for (int n = 2; used.count(id); ++n) id = base + "_" + std::to_string(n);
  return id;
}

}  // namespace pa_journal
