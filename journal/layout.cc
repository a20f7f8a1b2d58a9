#include "journal/layout.h"

#include <charconv>

#include "journal/format.h"
#include "pa_journal/errors.h"
#include "pa_journal/record.h"

namespace pa_journal {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// s without `suffix`, or nullopt if s does not end in it or is only it.
std::optional<std::string_view> stem_of(std::string_view s, std::string_view suffix) {
  if (s.size() <= suffix.size() || !ends_with(s, suffix)) return std::nullopt;
  return s.substr(0, s.size() - suffix.size());
}

// name without `folder` + "/", or nullopt if it is not directly inside it.
std::optional<std::string_view> inside(std::string_view name, std::string_view folder) {
  if (name.size() <= folder.size() + 1 || name.substr(0, folder.size()) != folder ||
      name[folder.size()] != '/') {
    return std::nullopt;
  }
  return name.substr(folder.size() + 1);
}

bool is_collection_name(std::string_view name) {
  try {
    validate_collection_name(name);
    return true;
  } catch (const InvalidInputError&) {
    return false;
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<uint64_t> parse_segment_number(std::string_view name) {
  std::optional<std::string_view> digits = stem_of(name, format::kSegmentSuffix);
  if (!digits || digits->size() != format::kSegmentNameDigits || !all_digits(*digits)) {
    return std::nullopt;
  }
  uint64_t first_seq = 0;
  auto [ptr, ec] =
      std::from_chars(digits->data(), digits->data() + digits->size(), first_seq);
  if (ec != std::errc() || ptr != digits->data() + digits->size() || first_seq == 0) {
    return std::nullopt;
  }
  return first_seq;
}

FileName typed(FileType type) {
  FileName out;
  out.type = type;
  return out;
}

FileName with_id(FileType type, std::string_view id) {
  FileName out = typed(type);
  out.id = id;
  return out;
}

// "<segment>.from-<offset>.<seconds>[.<n>]".
std::optional<FileName> parse_quarantine_name(std::string_view name) {
  size_t from = name.find(".from-");
  if (from == std::string_view::npos) return std::nullopt;
  std::optional<uint64_t> seq = parse_segment_number(name.substr(0, from));
  std::string_view rest = name.substr(from + 6);
  size_t dot = rest.find('.');
  if (!seq || dot == std::string_view::npos || !all_digits(rest.substr(0, dot))) {
    return std::nullopt;
  }
  rest = rest.substr(dot + 1);
  dot = rest.find('.');
  bool counted = dot != std::string_view::npos;
  if (!all_digits(rest.substr(0, dot)) ||
      (counted && !all_digits(rest.substr(dot + 1)))) {
    return std::nullopt;
  }
  FileName out = typed(FileType::kQuarantine);
  out.number = *seq;
  return out;
}

std::optional<FileName> parse_journal_name(std::string_view name) {
  if (std::optional<std::string_view> q = inside(name, kQuarantineDirName)) {
    return parse_quarantine_name(*q);
  }
  if (name == kDurableEndName) return typed(FileType::kDurableEnd);
  if (name == kReadersLockName) return typed(FileType::kReadersLock);
  std::optional<uint64_t> seq = parse_segment_number(name);
  if (!seq) return std::nullopt;
  FileName out = typed(FileType::kSegment);
  out.number = *seq;
  return out;
}

// "<collection>_<id>.json[.zst]" with a valid collection name.
std::optional<FileName> parse_snapshot_file_name(std::string_view name) {
  std::optional<std::string_view> plain = stem_of(name, kZstdSuffix);
  std::string id = snapshot_id_in_file_name(plain.value_or(name));
  if (id.empty()) return std::nullopt;
  std::string_view collection = plain.value_or(name).substr(
      0, plain.value_or(name).size() - kJsonSuffix.size() - id.size() - 1);
  if (!is_collection_name(collection)) return std::nullopt;
  FileName out = with_id(FileType::kSnapshotFile, id);
  out.collection = collection;
  out.compressed = plain.has_value();
  return out;
}

std::optional<FileName> parse_id_name(std::string_view name, std::string_view suffix,
                                      FileType type) {
  std::optional<std::string_view> id = stem_of(name, suffix);
  if (!id || !is_snapshot_id(*id)) return std::nullopt;
  return with_id(type, *id);
}

std::optional<FileName> parse_adopted_name(std::string_view path) {
  if (path == kAdoptionRecordName) return typed(FileType::kAdoptionRecordFile);
  FileName out = typed(FileType::kAdoptedFile);
  out.target = path;
  return out;
}

// "replicas/<stream>.json" or "replicas/<stream>.lock".
std::optional<FileName> parse_replicas_name(std::string_view name) {
  std::optional<std::string_view> stream = stem_of(name, kJsonSuffix);
  FileType type = FileType::kReplicaPosition;
  if (!stream) {
    stream = stem_of(name, kLockSuffix);
    type = FileType::kReplicaLock;
  }
  if (!stream || !is_stream_name(*stream)) return std::nullopt;
  FileName out = typed(type);
  out.stream = *stream;
  return out;
}

// "STORE_ID.<tag>.tmp", tag lowercase hex: a creator's temporary.
bool is_store_id_temp(std::string_view name) {
  std::optional<std::string_view> tagged = stem_of(name, kTempSuffix);
  if (!tagged || tagged->size() <= kStoreIdName.size() + 1 ||
      tagged->substr(0, kStoreIdName.size()) != kStoreIdName ||
      (*tagged)[kStoreIdName.size()] != '.') {
    return false;
  }
  std::string_view tag = tagged->substr(kStoreIdName.size() + 1);
  return tag.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::optional<FileName> parse_store_name(std::string_view name) {
  if (name == kLockName) return typed(FileType::kLock);
  if (name == kStoreIdName) return typed(FileType::kStoreId);
  if (name == kStorageLogName) return typed(FileType::kStorageLog);
  std::optional<std::string_view> collection = stem_of(name, kJsonSuffix);
  if (!collection || !is_collection_name(*collection)) return std::nullopt;
  FileName out = typed(FileType::kStateFile);
  out.collection = *collection;
  return out;
}

std::optional<FileName> parse_in_backups(std::string_view name) {
  if (std::optional<std::string_view> adopted = inside(name, kAdoptedDirName)) {
    return parse_adopted_name(*adopted);
  }
  if (auto m = parse_id_name(name, kManifestSuffix, FileType::kManifest)) return m;
  if (auto i = parse_id_name(name, kIntentSuffix, FileType::kIntent)) return i;
  if (auto t = parse_id_name(name, kTombstoneSuffix, FileType::kTombstone)) return t;
  if (std::optional<std::string_view> stem = stem_of(name, kIndexSuffix)) {
    std::optional<FileName> file = parse_snapshot_file_name(state_name(*stem));
    if (file) file->type = FileType::kSnapshotIndex;
    return file;
  }
  return parse_snapshot_file_name(name);
}

}  // namespace

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

std::string journal_dir(std::string_view dir) { return join_path(dir, kJournalDirName); }
std::string backups_dir(std::string_view dir) { return join_path(dir, kBackupsDirName); }
std::string replicas_dir(std::string_view dir) {
  return join_path(dir, kReplicasDirName);
}
std::string adopted_dir(std::string_view dir) {
  return join_path(backups_dir(dir), kAdoptedDirName);
}
std::string quarantine_dir(std::string_view journal) {
  return join_path(journal, kQuarantineDirName);
}

std::string lock_file_name(std::string_view dir) { return join_path(dir, kLockName); }
std::string store_id_file_name(std::string_view dir) {
  return join_path(dir, kStoreIdName);
}
std::string store_id_temp_file_name(std::string_view dir, std::string_view tag) {
  return join_path(dir, std::string(kStoreIdName) + "." + std::string(tag) + kTempSuffix);
}
std::string replica_position_file_name(std::string_view dir, std::string_view stream) {
  return join_path(replicas_dir(dir), std::string(stream) + std::string(kJsonSuffix));
}
std::string replica_lock_file_name(std::string_view dir, std::string_view stream) {
  return join_path(replicas_dir(dir), std::string(stream) + std::string(kLockSuffix));
}
std::string storage_log_file_name(std::string_view dir) {
  return join_path(dir, kStorageLogName);
}
std::string adoption_record_file_name(std::string_view dir) {
  return join_path(adopted_dir(dir), kAdoptionRecordName);
}
std::string adopted_file_name(std::string_view dir, std::string_view path) {
  return join_path(adopted_dir(dir), path);
}
std::string adopted_path(std::string_view path) { return adopted_file_name("", path); }
std::string state_file_name(std::string_view dir, std::string_view collection) {
  return join_path(dir, state_name(collection));
}
std::string durable_end_file_name(std::string_view journal) {
  return join_path(journal, kDurableEndName);
}
std::string readers_lock_file_name(std::string_view journal) {
  return join_path(journal, kReadersLockName);
}
std::string export_manifest_file_name(std::string_view dir) {
  return join_path(dir, kExportManifestName);
}
std::string temp_file_name(std::string_view path) {
  return std::string(path) + kTempSuffix;
}

std::string segment_name(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(format::kSegmentNameDigits - digits.size(), '0') + digits +
         std::string(format::kSegmentSuffix);
}
std::string state_name(std::string_view collection) {
  return std::string(collection) + std::string(kJsonSuffix);
}
std::string manifest_name(std::string_view id) {
  return std::string(id) + kManifestSuffix;
}
std::string intent_name(std::string_view id) { return std::string(id) + kIntentSuffix; }
std::string tombstone_name(std::string_view id) {
  return std::string(id) + kTombstoneSuffix;
}
std::string snapshot_file_name(std::string_view collection, std::string_view id) {
  return std::string(collection) + "_" + state_name(id);
}
std::string snapshot_index_name(std::string_view collection, std::string_view id) {
  return std::string(collection) + "_" + std::string(id) + std::string(kIndexSuffix);
}
std::string compressed_snapshot_file_name(std::string_view collection,
                                          std::string_view id) {
  return snapshot_file_name(collection, id) + kZstdSuffix;
}
std::string quarantine_name(std::string_view segment, uint64_t from, int64_t seconds) {
  return std::string(segment) + ".from-" + std::to_string(from) + "." +
         std::to_string(seconds);
}

std::string segment_file_name(std::string_view journal, uint64_t first_seq) {
  return join_path(journal, segment_name(first_seq));
}
std::string manifest_file_name(std::string_view backups, std::string_view id) {
  return join_path(backups, manifest_name(id));
}
std::string intent_file_name(std::string_view backups, std::string_view id) {
  return join_path(backups, intent_name(id));
}
std::string tombstone_file_name(std::string_view backups, std::string_view id) {
  return join_path(backups, tombstone_name(id));
}

std::string in_journal(std::string_view name) { return join_path(kJournalDirName, name); }
std::string in_backups(std::string_view name) { return join_path(kBackupsDirName, name); }

std::string snapshot_id_in_file_name(std::string_view name) {
  name = stem_of(name, kZstdSuffix).value_or(name);
  std::optional<std::string_view> stem = stem_of(name, kJsonSuffix);
  if (!stem) return {};
  for (size_t pos = stem->find('_'); pos != std::string_view::npos;
       pos = stem->find('_', pos + 1)) {
    if (is_snapshot_id(stem->substr(pos + 1))) return std::string(stem->substr(pos + 1));
  }
  return {};
}

bool is_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_snapshot_id(std::string_view id) {
  if (id.size() < 15 || id[8] != '_' || !all_digits(id.substr(0, 8)) ||
      !all_digits(id.substr(9, 6))) {
    return false;
  }
  return id.size() == 15 || (id[15] == '_' && all_digits(id.substr(16)));
}

std::optional<FileName> parse_file_name(std::string_view name) {
  if (is_store_id_temp(name)) {
    FileName out = typed(FileType::kTemp);
    out.target = kStoreIdName;
    return out;
  }
  if (std::optional<std::string_view> target = stem_of(name, kTempSuffix)) {
    if (!parse_file_name(*target)) return std::nullopt;
    FileName out = typed(FileType::kTemp);
    out.target = *target;
    return out;
  }
  if (std::optional<std::string_view> j = inside(name, kJournalDirName)) {
    return parse_journal_name(*j);
  }
  if (std::optional<std::string_view> b = inside(name, kBackupsDirName)) {
    return parse_in_backups(*b);
  }
  if (std::optional<std::string_view> r = inside(name, kReplicasDirName)) {
    return parse_replicas_name(*r);
  }
  return parse_store_name(name);
}

std::optional<FileName> parse_backups_name(std::string_view name) {
  return parse_file_name(in_backups(name));
}

}  // namespace pa_journal
