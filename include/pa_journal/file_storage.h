// The original storage module's API (the personal-assistant app's FileStorage) in
// C++, on top of the journal store: an application written against the seed
// keeps its calls and their meaning, and gains the journal's guarantees.
//
// A "file" of the seed is a collection: save("contacts.json", list) keeps the
// list in the collection "contacts". The keys: if every item is an object
// whose "id" is a string or an integer that is a store key (1 to 256 bytes of
// UTF-8, no '/' and no control character) and no two items share one, each
// item is keyed by its id; otherwise every item is keyed by its position,
// "#0", "#1", ... (so a list with one item lacking an id, or two items
// sharing one, is kept by position: inserting at its front then changes
// every key after it). The list's order is kept in the collection
// "facade-order" (so "facade-order.json" is refused), and load() returns the
// list in the order it was saved. pa-journal adopt and import of list files
// follow the same rule.
// An item holding NaN, an infinity or a binary value is refused: JSON text
// cannot hold them, and storing null or {"bytes": ...} instead would alter it.
// save() journals only what changed, as one atomic commit: saving a
// 10,000-item list with one item edited appends one small record.
// "config.json" holds one object whose members are the keys of the
// collection "config" (see ConfigManager).
//
// Backups are the store's snapshots (docs/snapshot-format.md): one snapshot
// holds every collection, so create_backup snapshots them all and
// delete_old_backups keeps the newest N snapshots (at least one: the journal
// is replayed from the newest). Unlike the seed's, save() makes no backup
// copy: every save is a journaled commit, so any earlier state is restorable
// by time (Store::restore_to, `pa-journal restore --at`) back to the oldest
// kept backup. backups/ is created by the first backup.
//
// Errors: the seed's StorageError, CorruptedDataError and BackupNotFoundError
// (include/pa_journal/errors.h). Methods the seed documents as returning a
// success flag return false on a StorageError, after logging it to
// storage.log; last_error() says what it was.
//
// Thread-safety: as Store: a FileStorage may be shared by any number of
// threads. Each save and restore_from_backup reads the current list and
// commits the difference as one step with respect to the other calls on the
// same FileStorage, so that two saves of one file leave one of the two lists;
// a commit made through store() meanwhile is not part of that step.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
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
  // A directory the personal-assistant app wrote (its lists and backups, no
  // journal yet) is adopted first, as `pa-journal adopt --skip-damaged` does
  // (pa_journal/adopt.h): every file kept under backups/adopted/, each
  // backup a commit at its time, the current lists the last commit; a file
  // that is not a valid list is left out of the store (its backups still
  // give its history) and named in a WARN line of storage.log. An adoption
  // that did not finish is finished the same way.
  // If the journal is damaged beyond a torn tail, it is opened in salvage mode:
  // every valid record kept, the damage logged, the damaged segments copied to
  // journal/quarantine/ first (a journal with no valid record opens empty that
  // way, its bytes kept there). Other failures (permissions, I/O, a store
  // locked by another process) throw their StorageError.
  explicit FileStorage(std::optional<std::string> base_dir = std::nullopt,
                       Options options = {});

  // Returns false (last_error() says why) for a name that is not NAME.json,
  // data that is not a list, or an item refused as above; nothing is saved then.
  bool save(const std::string& filename, const nlohmann::json& data);
  // The list saved under filename; an empty list if there is none.
  nlohmann::json load(const std::string& filename) const;
  // Snapshots the store (a backup of every file). False if nothing is saved
  // under filename. If nothing was committed since the newest backup, that
  // backup already holds the state: true, and no new one is made.
  bool create_backup(const std::string& filename);
  // Puts filename back to its content in a backup, as one new commit: the
  // newest backup, or the one made at exactly backup_time_ns (a
  // BackupEntry::timestamp_ns), else the newest made within that second (a
  // time read from a backup's name). Throws BackupNotFoundError if there is
  // no such backup; false if the backup is damaged (nothing is appended).
  bool restore_from_backup(const std::string& filename,
                           std::optional<int64_t> backup_time_ns = std::nullopt);
  // Backups holding filename, newest first.
  std::vector<BackupEntry> list_backups(const std::string& filename) const;
  // keep_count 0 keeps one: the newest backup is where replay starts.
  void delete_old_backups(const std::string& filename, size_t keep_count = 10);
  bool export_data(const std::string& export_path);
  bool import_data(const std::string& import_path);

  const std::string& base_dir() const { return base_dir_; }
  std::string backup_dir() const;
  // The error of the latest call returning a success flag: why it returned
  // false, or empty if it returned true. Shared by the threads using this
  // FileStorage: the latest call of any of them.
  std::string last_error() const;
  Store& store() { return *store_; }

 private:
  template <typename Fn>
  bool report(const char* what, const std::string& name, Fn&& fn);
  void set_last_error(std::string error);

  std::string base_dir_;
  std::unique_ptr<Store> store_;
  struct Locks {
    std::mutex commit;  // from reading a collection to enqueueing the change
    std::mutex error;   // guards last_error_
  };
  std::unique_ptr<Locks> locks_ = std::make_unique<Locks>();  // FileStorage stays movable
  std::string last_error_;
};

// The seed's recover_from_corruption: the list saved under filename as the
// store reads it (the constructor opens a damaged journal in salvage mode);
// if that is empty or unreadable, the newest backup that can be read is put
// back with restore_from_backup (one commit) and its list returned; if it can
// be read but not put back (a read-only or failed store), its list is returned
// all the same. An empty list if nothing can be read. Logs each attempt.
nlohmann::json recover_from_corruption(FileStorage& storage, const std::string& filename);

// Settings the store itself honours once they are stored (set(), save_config()
// or save("config.json", ...)): backup_enabled or auto_save false switches
// automatic compaction off; backup_count (a positive integer) is the number of
// backups kept; auto_save_interval (seconds) adds a compaction timer, each
// timed compaction making a backup if anything was committed since the last.
// Until stored, the store follows its Options (compaction by journal size and
// record count, no timer), whatever get() reports from the defaults. So
// save_config() on a fresh store, which stores every default, starts a
// 60-second timer; with backup_count 10 that keeps restorable history to the
// last ten timed backups. A value a setting does not allow is refused by set(),
// save_config() and save() with InvalidInputError (pa_journal/config.h).
//
// Thread-safety: none of its own (its copy of the settings is a plain
// member): use one ConfigManager from one thread at a time. Each set() and
// save_config() is one commit, so two ConfigManagers on one FileStorage never
// leave a setting half written; the later commit of a key wins.
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
  // One journaled commit. key is a store key (1 to 256 bytes of UTF-8, no '/'
  // and no control character); InvalidInputError otherwise.
  void set(const std::string& key, const nlohmann::json& value);
  const nlohmann::json& config() const { return config_; }

 private:
  FileStorage& storage_;
  nlohmann::json config_;
};

// The seed's serialisation helpers: pretty-printed (2 spaces), keys sorted,
// non-ASCII kept as UTF-8. Throws InvalidInputError for data JSON text cannot
// hold: NaN, an infinity, a binary value, a string that is not UTF-8.
std::string serialize_for_storage(const nlohmann::json& data);
// Throws CorruptedDataError if text is not JSON.
nlohmann::json deserialize_from_storage(const std::string& text);

// The seed's model_class hooks (to_dict / from_dict) are nlohmann's to_json /
// from_json for T, found by argument-dependent lookup; define them next to a
// model type. Throws InvalidInputError if an item cannot be converted.
template <typename T>
std::string serialize_for_storage(const std::vector<T>& items) {
  nlohmann::json data;
  try {
    data = items;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("an item cannot be serialised: ") + e.what());
  }
  return serialize_for_storage(data);
}

// Throws CorruptedDataError if text is not a JSON list whose every item
// converts to T.
template <typename T>
std::vector<T> deserialize_from_storage(const std::string& text) {
  nlohmann::json data = deserialize_from_storage(text);
  if (!data.is_array()) throw CorruptedDataError("stored data is not a JSON list");
  try {
    return data.get<std::vector<T>>();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError(std::string("a stored item does not fit its type: ") +
                             e.what());
  }
}
// The DateTimeEncoder: ISO 8601 text of a time (UTC, "Z") and of a date.
std::string isoformat(std::chrono::system_clock::time_point t);
std::string isoformat(int year, unsigned month, unsigned day);

}  // namespace pa_journal
