#include "snapshot/seed_layout.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "journal/journal_reader.h"
#include "journal/record_codec.h"
#include "model/validation.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "snapshot/catalogue.h"
#include "snapshot/list_file.h"

namespace pa_journal {
namespace {

using nlohmann::json;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_collection_name(const std::string& name) {
  try {
    validate_collection_name(name);
    return true;
  } catch (const InvalidInputError&) {
    return false;
  }
}

// "20240115_120000" read as local time ("2024-01-15 12:00:00").
std::optional<int64_t> local_stamp_ns(const std::string& stamp) {
  if (stamp.size() != 15 || stamp[8] != '_' ||
      stamp.find_first_not_of("0123456789_") != std::string::npos) {
    return std::nullopt;
  }
  std::string text = stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" +
                     stamp.substr(6, 2) + " " + stamp.substr(9, 2) + ":" +
                     stamp.substr(11, 2) + ":" + stamp.substr(13, 2);
  try {
    return parse_time(text, 0);
  } catch (const InvalidInputError&) {
    return std::nullopt;
  }
}

// Collection files that the store's own manifests name: never the app's.
std::set<std::string> store_snapshot_files(FileSystem& fs, const std::string& backups) {
  std::set<std::string> out;
  for (const auto& snapshot : list_snapshots(fs, backups)) {
    for (const auto& f : snapshot.files) out.insert(f.file);
  }
  return out;
}

void find_current(FileSystem& fs, const std::string& dir, SeedLayout& out) {
  std::vector<std::string> names = fs.list_dir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name == kJournalDirName || name == kBackupsDirName || name == kLockName) continue;
    if (name == kStorageLogName) {
      out.logs.push_back({name, {}, std::nullopt});
      continue;
    }
    std::string stem = ends_with(name, kJsonSuffix)
                           ? name.substr(0, name.size() - kJsonSuffix.size())
                           : "";
    if (stem.empty() || is_directory(fs, join_path(dir, name))) {
      out.left_alone.emplace_back(name, "not a data file of the app");
    } else if (!is_collection_name(stem) || stem == kOrderCollection) {
      out.left_alone.emplace_back(name, "'" + stem + "' is not a collection name");
    } else {
      out.current.push_back({name, stem, std::nullopt});
    }
  }
}

void find_backups(FileSystem& fs, const std::string& dir, SeedLayout& out) {
  const std::string backups = backups_dir(dir);
  if (!fs.exists(backups) || !is_directory(fs, backups)) return;
  std::set<std::string> own = store_snapshot_files(fs, backups);
  for (const auto& name : fs.list_dir(backups)) {
    if (name == kAdoptedDirName || own.count(name) || ends_with(name, kManifestSuffix))
      continue;
    std::optional<SeedFile> backup = parse_seed_backup_name(name);
    if (backup && !is_directory(fs, join_path(backups, name))) {
      out.backups.push_back(std::move(*backup));
    } else {
      out.left_alone.emplace_back(in_backups(name), "not a backup of the app");
    }
  }
  std::sort(out.backups.begin(), out.backups.end(), [](const auto& a, const auto& b) {
    return a.backup_time_ns != b.backup_time_ns ? a.backup_time_ns < b.backup_time_ns
                                                : a.path < b.path;
  });
}

std::string hex64(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

json record_body(const AdoptionRecord& record) {
  json files = json::array(), commits = json::array(), skipped = json::array();
  for (const auto& f : record.files)
    files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"xxh3", hex64(f.xxh3)}});
  for (const auto& c : record.commits)
    commits.push_back({{"origin", c.origin}, {"time", format_time_ns(c.time_ns)}});
  for (const auto& [path, reason] : record.skipped)
    skipped.push_back({{"path", path}, {"reason", reason}});
  return {{"format", kAdoptionFormat},
          {"version", kAdoptionFormatVersion},
          {"state", record.done ? "done" : "started"},
          {"files", files},
          {"commits", commits},
          {"skipped", skipped}};
}

AdoptionRecord record_from(const json& body) {
  AdoptionRecord record;
  record.done = body.at("state").get<std::string>() == "done";
  for (const auto& f : body.at("files")) {
    record.files.push_back({f.at("path").get<std::string>(),
                            f.at("bytes").get<uint64_t>(),
                            std::stoull(f.at("xxh3").get<std::string>(), nullptr, 16)});
  }
  for (const auto& c : body.at("commits")) {
    record.commits.push_back({c.at("origin").get<std::string>(),
                              parse_time(c.at("time").get<std::string>(), 0)});
  }
  for (const auto& s : body.at("skipped"))
    record.skipped.emplace_back(s.at("path").get<std::string>(),
                                s.at("reason").get<std::string>());
  return record;
}

}  // namespace

std::optional<SeedFile> parse_seed_backup_name(const std::string& name) {
  // NAME_YYYYMMDD_HHMMSS.json: the stamp is the 15 characters before ".json".
  std::optional<FileName> parsed = parse_backups_name(name);
  if (!parsed || parsed->type != FileType::kSnapshotFile || parsed->compressed)
    return std::nullopt;
  const std::string& collection = parsed->collection;
  std::optional<int64_t> time_ns = local_stamp_ns(parsed->id);
  if (!time_ns || !is_collection_name(collection) || collection == kOrderCollection) {
    return std::nullopt;
  }
  return SeedFile{in_backups(name), collection, time_ns};
}

SeedLayout find_seed_files(FileSystem& fs, const std::string& dir) {
  SeedLayout out;
  find_current(fs, dir, out);
  find_backups(fs, dir, out);
  return out;
}

std::optional<AdoptionRecord> read_adoption_record(FileSystem& fs,
                                                   const std::string& dir) {
  const std::string path = adoption_record_file_name(dir);
  if (!fs.exists(path)) return std::nullopt;
  std::string text = fs.read_file(path);
  try {
    json body = json::parse(text);
    std::string stored = body.at("checksum").get<std::string>();
    body.erase("checksum");
    if (stored != hex64(checksum(body.dump()))) {
      throw CorruptedDataError(path + ": checksum mismatch", path);
    }
    if (body.at("format") != kAdoptionFormat ||
        body.at("version") != kAdoptionFormatVersion) {
      throw CorruptedDataError(path + ": not an adoption record this pa-journal reads",
                               path);
    }
    return record_from(body);
  } catch (const json::exception& e) {
    throw CorruptedDataError(
        path + ": not a valid adoption record: " + describe_json_error(e), path);
  } catch (const std::logic_error& e) {  // std::stoull
    throw CorruptedDataError(path + ": not a valid adoption record", path);
  }
}

void write_adoption_record(FileSystem& fs, const std::string& dir,
                           const AdoptionRecord& record) {
  json body = record_body(record);
  body["checksum"] = hex64(checksum(body.dump()));
  create_dirs_durably(fs, adopted_dir(dir));
  write_file_atomically(fs, adoption_record_file_name(dir), body.dump(2) + "\n");
}

SeedDirState seed_dir_state(FileSystem& fs, const std::string& dir) {
  if (!fs.exists(dir) || !is_directory(fs, dir)) return SeedDirState::kNotSeed;
  std::optional<AdoptionRecord> record = read_adoption_record(fs, dir);
  if (record) return record->done ? SeedDirState::kNotSeed : SeedDirState::kInterrupted;
  // A journal with a segment, or a snapshot of the store's: a store, even one
  // whose journal was lost (recovery reports that).
  const std::string journal = journal_dir(dir);
  if (fs.exists(journal) && !list_segments(fs, journal).empty()) {
    return SeedDirState::kNotSeed;
  }
  if (!list_snapshots(fs, backups_dir(dir)).empty()) return SeedDirState::kNotSeed;
  return find_seed_files(fs, dir).has_data() ? SeedDirState::kNeedsAdopt
                                             : SeedDirState::kNotSeed;
}

void refuse_unadopted(FileSystem& fs, const std::string& dir) {
  switch (seed_dir_state(fs, dir)) {
    case SeedDirState::kNotSeed:
      return;
    case SeedDirState::kInterrupted:
      throw StorageError("an adoption of " + dir + " did not finish",
                         {Remedy::Kind::kAdoptToFinish, dir});
    case SeedDirState::kNeedsAdopt: {
      std::string names;
      for (const auto& f : find_seed_files(fs, dir).current)
        names += (names.empty() ? "" : ", ") + f.path;
      throw StorageError(dir + " holds JSON files (" +
                             (names.empty() ? "backups/" : names) + ") and no store yet",
                         {Remedy::Kind::kAdoptAppFiles, dir});
    }
  }
}

}  // namespace pa_journal
