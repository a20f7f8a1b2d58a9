// The original storage module's API (shared/seed/storage-module-spec.md) in
// C++, on top of the journal store: an application written against the seed
// keeps its calls and their meaning, and gains the journal's guarantees.
//
// A "file" of the seed is a collection: save("contacts.json", list) keeps the
// list in the collection "contacts". Items that are JSON objects with an "id"
// are keyed by it, other items by their position, and the list's order is kept
// in the collection "facade-order". save() journals only what changed, as one
// atomic commit: saving a 10,000-item list with one item edited appends one
// small record. "config.json" holds one object whose members are the keys of
// the collection "config" (see ConfigManager).
//
// Backups are the store's snapshots (docs/snapshot-format.md): one snapshot
// holds every collection, so create_backup snapshots them all and
// delete_old_backups keeps the newest N snapshots.
//
// Errors: the seed's StorageError, CorruptedDataError and BackupNotFoundError
// (include/pa_journal/errors.h). Methods the seed documents as returning a
// success flag return false on a StorageError, after logging it to
// storage.log; last_error() says what it was.
//
// Thread-safety: as Store.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/store.h"

namespace pa_journal {

struct BackupEntry {
  std::string filename;      // e.g. "contacts_20261125_100000.json", inside backups/
  int64_t timestamp_ns = 0;  // UTC nanoseconds: the snapshot's time
  std::string timestamp;     // the same in RFC 3339
  uint64_t size = 0;         // bytes
  uint64_t seq = 0;          // the last record the snapshot includes
};

class FileStorage {
 public:
  // Opens (creating) the store in base_dir, by default ~/.personal_assistant.
  // If the journal is damaged beyond a torn tail, it is opened in salvage mode
  // (every valid record kept, the damage logged, copies quarantined); if even
  // that fails, the constructor throws CorruptedDataError.
  explicit FileStorage(std::optional<std::string> base_dir = std::nullopt,
                       Options options = {});

  bool save(const std::string& filename, const nlohmann::json& data);
  // The list saved under filename; an empty list if there is none.
  nlohmann::json load(const std::string& filename) const;
  bool create_backup(const std::string& filename);
  // Puts filename back to its content in a backup (the newest, or the one
  // whose time is backup_time_ns, to the second), as one new commit. Throws
  // BackupNotFoundError if there is no such backup.
  bool restore_from_backup(const std::string& filename,
                           std::optional<int64_t> backup_time_ns = std::nullopt);
  // Backups holding filename, newest first.
  std::vector<BackupEntry> list_backups(const std::string& filename) const;
  void delete_old_backups(const std::string& filename, size_t keep_count = 10);
  bool export_data(const std::string& export_path);
  bool import_data(const std::string& import_path);

  const std::string& base_dir() const { return base_dir_; }
  std::string backup_dir() const { return base_dir_ + "/backups"; }
  const std::string& last_error() const { return last_error_; }
  Store& store() { return *store_; }

 private:
  template <typename Fn>
  bool report(const char* what, const std::string& name, Fn&& fn);

  std::string base_dir_;
  std::unique_ptr<Store> store_;
  std::string last_error_;
};

// The seed's recover_from_corruption: the list saved under filename, read as
// well as the store can (the journal in salvage mode, then each backup from
// the newest), or an empty list if nothing can be read. Logs each attempt.
nlohmann::json recover_from_corruption(FileStorage& storage, const std::string& filename);

class ConfigManager {
 public:
  // The seed's DEFAULT_CONFIG.
  static const nlohmann::json& default_config();

  explicit ConfigManager(FileStorage& storage);
  // The defaults overlaid with every setting stored in the collection "config".
  nlohmann::json load_config() const;
  // Journals every setting of config() that differs from the store, as one commit.
  void save_config();
  nlohmann::json get(const std::string& key,
                     const nlohmann::json& fallback = nullptr) const;
  // One journaled commit.
  void set(const std::string& key, const nlohmann::json& value);
  const nlohmann::json& config() const { return config_; }

 private:
  FileStorage& storage_;
  nlohmann::json config_;
};

// The seed's serialisation helpers: pretty-printed (2 spaces), keys sorted,
// non-ASCII kept as UTF-8.
std::string serialize_for_storage(const nlohmann::json& data);
// Throws CorruptedDataError if text is not JSON.
nlohmann::json deserialize_from_storage(const std::string& text);
// The DateTimeEncoder: ISO 8601 text of a time (UTC, "Z") and of a date.
std::string isoformat(std::chrono::system_clock::time_point t);
std::string isoformat(int year, unsigned month, unsigned day);

}  // namespace pa_journal
