#include "snapshot/catalogue.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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
    throw CorruptedDataError("backups/" + f.file + ": checksum mismatch", "backups/" + f.file);
  }
  (void)path;
}

// "<collection>_YYYYMMDD_HHMMSS[_N].json": the id part of a collection file's
// name, or "" if the name is not one.
std::string snapshot_id_of(const std::string& name) {
  if (!ends_with(name, ".json") || ends_with(name, kManifestSuffix)) return {};
  std::string stem = name.substr(0, name.size() - 5);
  for (size_t pos = stem.find('_'); pos != std::string::npos; pos = stem.find('_', pos + 1)) {
    std::string id = stem.substr(pos + 1);
    bool shaped = id.size() >= 15 && id[8] == '_' &&
                  id.find_first_not_of("0123456789_") == std::string::npos &&
                  (id.size() == 15 || (id.size() > 16 && id[15] == '_')) &&
                  id.find('_', 16) == std::string::npos;
    if (shaped) return id;
  }
  return {};
}

// Removes temporary files and collection files of no snapshot whose manifest
// is present (valid or not: a damaged manifest's files stay for a human).
void remove_orphans(FileSystem& fs, const std::string& backups_dir) {
  std::set<std::string> ids;
  std::vector<std::string> names = fs.list_dir(backups_dir);
  for (const auto& name : names) {
    if (ends_with(name, kManifestSuffix)) {
      ids.insert(name.substr(0, name.size() - std::string_view(kManifestSuffix).size()));
    }
  }
  std::set<std::string> named;
  for (const auto& snapshot : list_snapshots(fs, backups_dir)) {
    for (const auto& f : snapshot.files) named.insert(f.file);
  }
  bool removed = false;
  for (const auto& name : names) {
    std::string id = snapshot_id_of(name);
    bool orphan = !id.empty() && !ids.count(id) && !named.count(name);
    if (ends_with(name, ".tmp") || orphan) {
      fs.remove(backups_dir + "/" + name);
      removed = true;
    }
  }
  if (removed) fs.sync_dir(backups_dir);
}

}  // namespace

std::vector<SnapshotInfo> list_snapshots(FileSystem& fs, const std::string& backups_dir,
                                         std::vector<Damage>* damaged) {
  std::vector<SnapshotInfo> out;
  if (!fs.exists(backups_dir)) return out;
  for (const auto& name : fs.list_dir(backups_dir)) {
    if (!ends_with(name, kManifestSuffix)) continue;
    try {
      out.push_back(parse_manifest(fs.read_file(backups_dir + "/" + name), "backups/" + name));
    } catch (const StorageError& e) {
      if (damaged) {
        damaged->push_back({Damage::Kind::kCorruption, "backups/" + name, 0, 0, 0, 0, e.what()});
      }
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

SnapshotInfo write_snapshot(FileSystem& fs, const std::string& backups_dir,
                            const Collections& collections, uint64_t seq, int64_t time_ns) {
  fs.create_dir(backups_dir);
  SnapshotInfo info;
  info.id = new_snapshot_id(list_snapshots(fs, backups_dir), time_ns);
  info.seq = seq;
  info.time_ns = time_ns;
  for (const auto& [name, collection] : collections) {
    std::string text = serialize_collection(collection);
    SnapshotFile file{name, name + "_" + info.id + ".json", text.size(), checksum(text),
                      collection.size()};
    write_file_atomically(fs, backups_dir + "/" + file.file, text);
    info.files.push_back(std::move(file));
  }
  fs.sync_dir(backups_dir);
  write_file_atomically(fs, backups_dir + "/" + info.manifest_name(), serialize_manifest(info));
  return info;
}

std::vector<std::string> apply_retention(FileSystem& fs, const std::string& backups_dir,
                                         size_t keep_count) {
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir);
  keep_count = std::max<size_t>(keep_count, 1);
  std::vector<std::string> removed;
  for (size_t i = keep_count; i < snapshots.size(); ++i) {
    fs.remove(backups_dir + "/" + snapshots[i].manifest_name());
    removed.push_back(snapshots[i].id);
  }
  if (!removed.empty()) fs.sync_dir(backups_dir);
  remove_orphans(fs, backups_dir);
  return removed;
}

void write_state_files(FileSystem& fs, const std::string& dir, const Collections& collections,
                       bool overwrite) {
  fs.create_dir(dir);
  for (const auto& [name, _] : collections) {
    if (!overwrite && fs.exists(dir + "/" + name + ".json")) {
      throw InvalidInputError(dir + "/" + name + ".json exists; pass --force to overwrite");
    }
  }
  for (const auto& [name, collection] : collections) {
    write_file_atomically(fs, dir + "/" + name + ".json", serialize_collection(collection));
  }
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
