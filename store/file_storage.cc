// The seed's FileStorage on the journal store (include/pa_journal/file_storage.h).
#include "pa_journal/file_storage.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "journal/layout.h"
#include "model/validation.h"
#include "pa_journal/adopt.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "snapshot/list_file.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// "contacts.json" -> "contacts". Throws InvalidInputError for other names,
// and for the collection FileStorage keeps its lists' order in.
std::string collection_of(const std::string& filename) {
  const std::string suffix(kJsonSuffix);
  if (filename.size() <= suffix.size() ||
      filename.compare(filename.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw InvalidInputError("'" + filename +
                            "' is not a data file name like contacts.json");
  }
  std::string collection = filename.substr(0, filename.size() - suffix.size());
  validate_collection_name(collection);
  if (collection == kOrderCollection) {
    throw InvalidInputError(
        "'" + filename +
        "' is reserved: FileStorage keeps the order of saved lists there");
  }
  return collection;
}

std::string default_dir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0')
    throw StorageError("HOME is not set: pass a base_dir");
  return std::string(home) + "/.personal_assistant";
}

// The list a collection holds, in its saved order (snapshot/list_file.h).
json as_list(const std::string& collection, const Collection& docs, const json& order) {
  return list_of_documents(collection, docs, order);
}

Collection current_documents(const Store& store, const std::string& collection) {
  auto docs = store.list(collection);
  return {docs.begin(), docs.end()};
}

json stored_order(const Store& store, const std::string& collection) {
  auto order = store.get(kOrderCollection, collection);
  return order ? parse_document(*order) : json::array();
}

// Operations turning `from` into `to` for one collection.
std::vector<Operation> changes(const std::string& collection, const Collection& from,
                               const Collection& to) {
  std::vector<Operation> ops;
  for (const auto& [key, doc] : to) {
    auto it = from.find(key);
    if (it == from.end() || it->second != doc) {
      ops.push_back({OpKind::kPut, collection, key, doc});
    }
  }
  for (const auto& [key, _] : from) {
    if (!to.count(key)) ops.push_back({OpKind::kDelete, collection, key, {}});
  }
  return ops;
}

// The backup restore_from_backup(filename, time_ns) means: the newest; else
// the one made at exactly time_ns; else the newest within time_ns's second
// (a time read from a backup's name has whole seconds). backups is newest first.
std::vector<BackupEntry>::const_iterator chosen_backup(
    const std::vector<BackupEntry>& backups, std::optional<int64_t> time_ns) {
  if (!time_ns) return backups.begin();
  auto exact = std::find_if(backups.begin(), backups.end(), [&](const BackupEntry& b) {
    return b.timestamp_ns == *time_ns;
  });
  if (exact != backups.end()) return exact;
  auto second = [](int64_t ns) { return ns / 1'000'000'000; };
  return std::find_if(backups.begin(), backups.end(), [&](const BackupEntry& b) {
    return second(b.timestamp_ns) == second(*time_ns);
  });
}

// "contacts_20261125_100000.json" -> "20261125_100000", the snapshot's id.
std::string backup_id(const BackupEntry& backup) {
  std::optional<FileName> parsed = parse_backups_name(backup.filename);
  return parsed ? parsed->id : std::string();
}

void add_order(std::vector<Operation>& ops, const Store& store,
               const std::string& collection, const json& order) {
  if (collection == kConfigCollection || order == stored_order(store, collection)) return;
  ops.push_back({OpKind::kPut, kOrderCollection, collection, order.dump()});
}

}  // namespace

std::string FileStorage::backup_dir() const { return backups_dir(base_dir_); }

FileStorage::FileStorage(std::optional<std::string> base_dir, Options options)
    : base_dir_(base_dir ? *base_dir : default_dir()) {
  // The app's own directory is adopted first (pa_journal/adopt.h); a file of
  // it that is not a valid list is left out, kept, and logged.
  AdoptionReport adopted;
  if (needs_adoption(base_dir_, options)) {
    AdoptOptions adopt;
    adopt.skip_damaged = true;
    adopted = adopt_store(base_dir_, adopt, options);
  }
  // Store::open creates missing parents (0700), as the seed's mkdir(parents=True).
  try {
    store_ = Store::open(base_dir_, options);
  } catch (const CorruptedDataError& e) {
    options.recovery = RecoveryMode::kSalvage;
    store_ = Store::open(base_dir_, options);
    store_->log_event(
        "WARN",
        std::string("FileStorage opened the store in salvage mode after: ") + e.what());
  }
  for (const auto& [path, reason] : adopted.skipped) {
    store_->log_event("WARN", "adoption left " + path + " out of the store: " + reason +
                                  " (kept in " + adopted_dir(base_dir_) + "/)");
  }
}

template <typename Fn>
bool FileStorage::report(const char* what, const std::string& name, Fn&& fn) {
  try {
    fn();
    store_->log_event("INFO", std::string(what) + " " + name);
    set_last_error({});
    return true;
  } catch (const BackupNotFoundError&) {
    throw;
  } catch (const StorageError& e) {
    set_last_error(e.what());
    store_->log_event("ERROR", std::string(what) + " " + name + " failed: " + e.what());
    return false;
  }
}

void FileStorage::set_last_error(std::string error) {
  std::lock_guard<std::mutex> lock(locks_->error);
  last_error_ = std::move(error);
}

std::string FileStorage::last_error() const {
  std::lock_guard<std::mutex> lock(locks_->error);
  return last_error_;
}

bool FileStorage::save(const std::string& filename, const json& data) {
  return report("save", filename, [&] {
    std::string collection = collection_of(filename);
    ListDocuments desired = documents_of_list(collection, data);
    // The difference is taken against the list it is committed onto. Reads
    // see enqueued commits, so the lock need not last through the sync, and
    // saves from several threads share one (group commit).
    uint64_t seq = 0;
    {
      std::lock_guard<std::mutex> lock(locks_->commit);
      auto ops =
          changes(collection, current_documents(*store_, collection), desired.documents);
      add_order(ops, *store_, collection, json(desired.order));
      if (!ops.empty()) seq = store_->enqueue(std::move(ops), "save " + filename).seq;
    }
    if (seq) store_->wait_durable(seq);
  });
}

json FileStorage::load(const std::string& filename) const {
  std::string collection = collection_of(filename);
  return as_list(collection, current_documents(*store_, collection),
                 stored_order(*store_, collection));
}

bool FileStorage::create_backup(const std::string& filename) {
  return report("create_backup", filename, [&] {
    if (store_->list(collection_of(filename)).empty()) {
      throw StorageError("nothing is saved under " + filename + " to back up");
    }
    store_->compact();
  });
}

std::vector<BackupEntry> FileStorage::list_backups(const std::string& filename) const {
  std::string collection = collection_of(filename);
  std::vector<BackupEntry> out;
  for (const auto& b : pa_journal::list_backups(base_dir_)) {
    for (const auto& f : b.files) {
      if (f.collection == collection) {
        out.push_back({f.file, b.time_ns, format_time_ns(b.time_ns), f.bytes, b.seq});
      }
    }
  }
  return out;
}

bool FileStorage::restore_from_backup(const std::string& filename,
                                      std::optional<int64_t> backup_time_ns) {
  std::string collection = collection_of(filename);
  auto backups = list_backups(filename);
  auto chosen = chosen_backup(backups, backup_time_ns);
  if (chosen == backups.end()) {
    throw BackupNotFoundError(
        "no backup of " + filename +
        (backup_time_ns ? " at " + format_time_ns(*backup_time_ns) : ""));
  }
  std::string id = backup_id(*chosen);
  return report("restore_from_backup", filename + " from " + chosen->filename, [&] {
    Collections backup = load_backup(base_dir_, id);
    uint64_t seq = 0;
    {
      std::lock_guard<std::mutex> lock(locks_->commit);  // as in save()
      auto ops =
          changes(collection, current_documents(*store_, collection), backup[collection]);
      auto order = backup[kOrderCollection].find(collection);
      if (order != backup[kOrderCollection].end()) {
        add_order(ops, *store_, collection, parse_document(order->second));
      }
      if (!ops.empty()) {
        seq =
            store_->enqueue(std::move(ops), "restore " + filename + " from backup " + id)
                .seq;
      }
    }
    if (seq) store_->wait_durable(seq);
  });
}

void FileStorage::delete_old_backups(const std::string& filename, size_t keep_count) {
  collection_of(filename);
  store_->retain_backups(keep_count);
  store_->log_event("INFO", "delete_old_backups " + filename + ": kept the newest " +
                                std::to_string(keep_count) + " snapshots");
}

bool FileStorage::export_data(const std::string& export_path) {
  return report("export_data", export_path, [&] { store_->export_to(export_path); });
}

bool FileStorage::import_data(const std::string& import_path) {
  return report("import_data", import_path, [&] { store_->import_from(import_path); });
}

namespace {

// The list a backup holds for collection, read without changing the store.
json read_backup_list(const FileStorage& storage, const std::string& collection,
                      const BackupEntry& backup) {
  Collections state = load_backup(storage.base_dir(), backup_id(backup));
  auto order = state[kOrderCollection].find(collection);
  return as_list(collection, state[collection],
                 order == state[kOrderCollection].end() ? json::array()
                                                        : parse_document(order->second));
}

// The seed's step for one backup: restore it (one commit) and load. If it
// cannot be put back (a read-only or failed store) but can be read, its list
// is returned as it is. Throws StorageError if the backup cannot be read.
json recover_from_backup(FileStorage& storage, const std::string& filename,
                         const std::string& collection, const BackupEntry& backup) {
  Store& store = storage.store();
  store.log_event("INFO",
                  "recovery of " + filename + ": restoring backup " + backup.filename);
  try {
    if (storage.restore_from_backup(filename, backup.timestamp_ns))
      return storage.load(filename);
    store.log_event("WARN",
                    "restoring " + backup.filename + " failed: " + storage.last_error());
  } catch (const BackupNotFoundError& e) {
    store.log_event("WARN", e.what());
  }
  json data = read_backup_list(storage, collection, backup);
  store.log_event("WARN", "recovery of " + filename + ": returning " + backup.filename +
                              " without putting it back into the store");
  return data;
}

}  // namespace

json recover_from_corruption(FileStorage& storage, const std::string& filename) {
  Store& store = storage.store();
  try {
    store.log_event("INFO", "recovery of " + filename + ": reading the store");
    json data = storage.load(filename);
    if (!data.empty()) return data;
  } catch (const StorageError& e) {
    store.log_event("WARN", std::string("reading the store failed: ") + e.what());
  }
  std::string collection = collection_of(filename);
  for (const auto& backup : storage.list_backups(filename)) {
    try {
      return recover_from_backup(storage, filename, collection, backup);
    } catch (const StorageError& e) {
      store.log_event("WARN", "backup " + backup.filename + " unusable: " + e.what());
    }
  }
  store.log_event("ERROR", "all recovery attempts failed for " + filename);
  return json::array();
}

std::string serialize_for_storage(const json& data) {
  refuse_unstorable(data, "data");
  try {
    return data.dump(2, ' ', /*ensure_ascii=*/false);
  } catch (const json::exception& e) {
    throw InvalidInputError("data cannot be serialised: " + json_error_reason(e));
  }
}

json deserialize_from_storage(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw CorruptedDataError("stored data is not JSON: " + describe_json_error(e));
  }
}

}  // namespace pa_journal
