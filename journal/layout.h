// The store's layout: every file and folder name a store, a snapshot or an
// export uses, built and recognised here and nowhere else (docs/design.md 4,
// docs/journal-format.md, docs/snapshot-format.md). It lives in the lowest
// layer so that journal/, snapshot/, replay/, store/ and tools/ can all use it.
//
// Three kinds of name: a path (`*_dir(dir)`, `*_file_name(dir, ...)`: the
// folder joined with the name by join_path, the one place paths are joined);
// a base name (`*_name(...)`: the name inside its folder, as manifests and
// SegmentInfo keep it); and a name relative to the store (in_journal,
// in_backups: "journal/...", "backups/...", as Damage::file and messages
// give it). Pure functions of their arguments; no file is touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pa_journal {

enum class FileType {
  kLock,                // LOCK: the writer's lock
  kStorageLog,          // storage.log: the log of events, as the seed app writes it
  kSegment,             // journal/<20-digit first seq>.log
  kQuarantine,          // journal/quarantine/<segment>.from-<offset>.<seconds>[.<n>]
  kDurableEnd,          // journal/DURABLE: where the durable journal ends (readers.md)
  kReadersLock,         // journal/READERS: readers share it, file removal excludes them
  kManifest,            // backups/<id>.manifest.json: a finished snapshot
  kSnapshotFile,        // backups/<c>_<id>.json[.zst]: one collection of a snapshot
  kSnapshotIndex,       // backups/<collection>_<id>.index: its key index (derived)
  kIntent,              // backups/<id>.pending.json: a snapshot being written
  kTombstone,           // backups/<id>.removing.json: a snapshot being removed
  kTemp,                // <name>.tmp: a file being written (write_file_via_temp)
  kStateFile,           // <collection>.json: a readable state file of the store
  kAdoptionRecordFile,  // backups/adopted/adoption.json
  kAdoptedFile,         // backups/adopted/<path>: an app's file, kept as it was
  kExportManifest,      // manifest.json in an export (never inside a store)
  kStoreId,             // STORE_ID: the store's id (journal/store_id.h)
  kReplicaPosition,     // replicas/<stream>.json: what a stream acknowledged
  kReplicaLock,         // replicas/<stream>.lock: held by the stream's one shipper
};

// Folder names inside a store (and inside journal/, backups/).
inline constexpr std::string_view kJournalDirName = "journal";
inline constexpr std::string_view kBackupsDirName = "backups";
inline constexpr std::string_view kQuarantineDirName = "quarantine";
inline constexpr std::string_view kAdoptedDirName = "adopted";
// The positions of the store's replicas (journal/replica_position.h).
inline constexpr std::string_view kReplicasDirName = "replicas";
// File names and suffixes.
inline constexpr std::string_view kLockName = "LOCK";
inline constexpr std::string_view kStoreIdName = "STORE_ID";
// replicas/<stream> + this: the shipper's lock of that stream's position.
inline constexpr std::string_view kLockSuffix = ".lock";
// Inside journal/: the durable-end file the writer publishes, and the lock file
// that readers hold shared and a compaction's removal step exclusively.
inline constexpr std::string_view kDurableEndName = "DURABLE";
inline constexpr std::string_view kReadersLockName = "READERS";
inline constexpr std::string_view kStorageLogName = "storage.log";
inline constexpr std::string_view kAdoptionRecordName = "adoption.json";
inline constexpr std::string_view kExportManifestName = "manifest.json";
inline constexpr std::string_view kJsonSuffix = ".json";
inline constexpr const char* kManifestSuffix = ".manifest.json";
inline constexpr const char* kIntentSuffix = ".pending.json";
inline constexpr const char* kTombstoneSuffix = ".removing.json";
// A collection file's key index: "<collection>_<id>" + this (snapshot/index.h).
inline constexpr std::string_view kIndexSuffix = ".index";
// What an older snapshot's compressed collection file appends to its name:
// "contacts_20261125_100000.json.zst", a standard zstd frame.
inline constexpr const char* kZstdSuffix = ".zst";
// What write_file_via_temp appends to a file's name for its temporary.
inline constexpr const char* kTempSuffix = ".tmp";

// dir + "/" + name; name alone if dir is empty. The only path join.
std::string join_path(std::string_view dir, std::string_view name);

// Folders of the store in `dir`.
std::string journal_dir(std::string_view dir);
std::string backups_dir(std::string_view dir);
std::string adopted_dir(std::string_view dir);
std::string replicas_dir(std::string_view dir);
// journal/quarantine of the journal folder `journal`.
std::string quarantine_dir(std::string_view journal);

// Files of the store in `dir`.
std::string lock_file_name(std::string_view dir);
std::string store_id_file_name(std::string_view dir);
// STORE_ID.<tag>.tmp: the temporary of one creator of STORE_ID. Unlike the
// other temporaries it carries a tag of its own (random), as several
// processes may create STORE_ID at once without LOCK.
std::string store_id_temp_file_name(std::string_view dir, std::string_view tag);
// replicas/<stream>.json and replicas/<stream>.lock.
std::string replica_position_file_name(std::string_view dir, std::string_view stream);
std::string replica_lock_file_name(std::string_view dir, std::string_view stream);
// journal/DURABLE and journal/READERS of the journal folder `journal`.
std::string durable_end_file_name(std::string_view journal);
std::string readers_lock_file_name(std::string_view journal);
std::string storage_log_file_name(std::string_view dir);
std::string adoption_record_file_name(std::string_view dir);
// A file the app kept under backups/adopted/: `path` relative to the store.
std::string adopted_file_name(std::string_view dir, std::string_view path);
// "backups/adopted/<path>", relative to the store.
std::string adopted_path(std::string_view path);
// The readable state file (or an export's file) of `collection` in `dir`.
std::string state_file_name(std::string_view dir, std::string_view collection);
std::string export_manifest_file_name(std::string_view dir);
std::string temp_file_name(std::string_view path);

// Base names. "00000000000000000042.log" for 42.
std::string segment_name(uint64_t first_seq);
std::string state_name(std::string_view collection);  // "contacts.json"
std::string manifest_name(std::string_view id);
std::string intent_name(std::string_view id);
std::string tombstone_name(std::string_view id);
// "contacts_20261125_100000.json".
std::string snapshot_file_name(std::string_view collection, std::string_view id);
// "contacts_20261125_100000.index": the key index beside that file.
std::string snapshot_index_name(std::string_view collection, std::string_view id);
// "contacts_20261125_100000.json.zst": the same file compressed with zstd.
std::string compressed_snapshot_file_name(std::string_view collection,
                                          std::string_view id);
// "<segment>.from-<from>.<seconds>", before the ".<n>" that keeps it unused.
std::string quarantine_name(std::string_view segment, uint64_t from, int64_t seconds);

// Paths in the journal folder `journal` and the backups folder `backups`.
std::string segment_file_name(std::string_view journal, uint64_t first_seq);
std::string manifest_file_name(std::string_view backups, std::string_view id);
std::string intent_file_name(std::string_view backups, std::string_view id);
std::string tombstone_file_name(std::string_view backups, std::string_view id);

// Names relative to the store: "journal/<name>", "backups/<name>".
std::string in_journal(std::string_view name);
std::string in_backups(std::string_view name);

// What parse_file_name found in a name.
struct FileName {
  FileType type = FileType::kLock;
  uint64_t number = 0;     // kSegment, kQuarantine: the segment's first seq
  std::string id;          // kManifest, kSnapshotFile, kIntent, kTombstone
  std::string stream;      // kReplicaPosition, kReplicaLock
  std::string collection;  // kSnapshotFile, kStateFile
  std::string target;      // kTemp: the name it stands in for; kAdoptedFile: the path
  // kSnapshotFile: "<collection>_<id>.json.zst", compressed.
  bool compressed = false;
};

// Recognises a name relative to the store ("LOCK", "contacts.json",
// "journal/00000000000000000001.log", "backups/<id>.manifest.json", ...), the
// inverse of the builders above. Returns nullopt for any other name, near
// misses included (a segment number of the wrong width or 0, an id not shaped
// YYYYMMDD_HHMMSS[_N], a collection name that breaks the naming rules). A
// collection file of the app's own backups (backups/NAME_YYYYMMDD_HHMMSS.json)
// reads as kSnapshotFile: only a manifest tells the two apart. kExportManifest
// is never returned: an export is not a store, and inside a store
// "manifest.json" is the state file of the collection "manifest".
std::optional<FileName> parse_file_name(std::string_view name);

// The same for a base name inside backups/ (in_backups(name)).
std::optional<FileName> parse_backups_name(std::string_view name);

// The id of a name shaped "<anything>_<id>.json" or "<anything>_<id>.json.zst"
// (split at the first '_' after which an id follows), or "": looser than parse_file_name,
// so that a file another program wrote with a stamp-shaped name still takes its id.
std::string snapshot_id_in_file_name(std::string_view name);

// True if `name` is a name a replica's stream may have, and so a file name
// in replicas/: 1 to 64 of [A-Za-z0-9_-], the rule of the replication
// layer's validate_stream_name (layout_test holds the two together).
bool is_stream_name(std::string_view name);

// True if `id` is shaped like a snapshot id: YYYYMMDD_HHMMSS or
// YYYYMMDD_HHMMSS_N (digits only; the date is not checked).
bool is_snapshot_id(std::string_view id);

}  // namespace pa_journal
