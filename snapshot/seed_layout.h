// The personal-assistant app's directory layout (the store's predecessor),
// and the record of its adoption by the store.
//
// The app keeps, in one directory:
//   contacts.json  notes.json  config.json     JSON lists (config: one object)
//   backups/contacts_20240115_120000.json      copies made before saves, named
//                                              by the collection and the local
//                                              time of the copy
//   storage.log                                its log
// and no journal/. `pa-journal adopt` (store/adopt.cc) turns such a directory
// into a store. It keeps every file of the app byte-identical by moving it
// under backups/adopted/ (contacts.json to backups/adopted/contacts.json,
// backups/X to backups/adopted/backups/X), and records what it does in
// backups/adopted/adoption.json (docs/adoption.md):
//
//   {"format": "pa-journal-adoption", "version": 1,
//    "state": "started" | "done",
//    "files": [{"path": "contacts.json", "bytes": 812, "xxh3": "<16 hex>"}, ...],
//    "commits": [{"origin": "adopted from backups/...", "time": "<RFC 3339>"}, ...],
//    "skipped": [{"path": "notes.json", "reason": "..."}],
//    "checksum": "<16 hex: XXH3 of the compact JSON without this member>"}
//
// "files" lists every file the adoption moves (paths relative to the
// directory), "commits" the commits it appends, in order, from seq 1 (the
// last one, of the current files, carries the adoption's own time). A record
// in state "started" means an adoption that has not finished: a writable open
// refuses the directory until `pa-journal adopt` has finished it.
//
// Thread-safety: free functions; they read and write through fs only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

// The adoption record relative to the store (journal/layout.h builds its path).
inline constexpr const char* kAdoptionRecord = "backups/adopted/adoption.json";
inline constexpr const char* kAdoptionFormat = "pa-journal-adoption";
inline constexpr int kAdoptionFormatVersion = 1;

struct SeedFile {
  std::string path;        // relative to the directory
  std::string collection;  // "contacts"; empty for storage.log
  // A backup's time (its name read as local time); nullopt for the current
  // files and the log.
  std::optional<int64_t> backup_time_ns;
};

struct SeedLayout {
  std::vector<SeedFile> current;  // top-level NAME.json, by name
  std::vector<SeedFile> backups;  // oldest first, then by collection
  std::vector<SeedFile> logs;     // storage.log
  // Entries adopt leaves where they are, each with why ("not a collection
  // name", "not a file of the app").
  std::vector<std::pair<std::string, std::string>> left_alone;
  bool has_data() const { return !current.empty() || !backups.empty(); }
};

// The app's files in dir, at their original places. Entries of the store's
// own (journal/, LOCK, backups/adopted/, manifests) are neither listed nor
// left alone.
SeedLayout find_seed_files(FileSystem& fs, const std::string& dir);

// "contacts_20240115_120000.json" -> its collection and local time, or
// nullopt if name is not a backup of the app.
std::optional<SeedFile> parse_seed_backup_name(const std::string& name);

struct AdoptionRecord {
  struct File {
    std::string path;
    uint64_t bytes = 0;
    uint64_t xxh3 = 0;
  };
  struct Commit {
    std::string origin;
    int64_t time_ns = 0;
  };
  bool done = false;
  std::vector<File> files;
  std::vector<Commit> commits;
  std::vector<std::pair<std::string, std::string>> skipped;  // path, reason
};

// The record in dir, or nullopt if there is none. Throws CorruptedDataError
// naming the file if it does not parse or its checksum fails.
std::optional<AdoptionRecord> read_adoption_record(FileSystem& fs,
                                                   const std::string& dir);
// Writes the record atomically (temporary file, sync, rename, directory sync).
void write_adoption_record(FileSystem& fs, const std::string& dir,
                           const AdoptionRecord& record);

enum class SeedDirState {
  kNotSeed,      // a store, an empty or new directory, or a finished adoption
  kNeedsAdopt,   // the app's files and no journal with a segment
  kInterrupted,  // an adoption record in state "started"
};
SeedDirState seed_dir_state(FileSystem& fs, const std::string& dir);

// For a writable open of dir: throws StorageError if dir is in the app's
// layout (Remedy kAdoptAppFiles) or holds an interrupted adoption (Remedy
// kAdoptToFinish).
void refuse_unadopted(FileSystem& fs, const std::string& dir);

}  // namespace pa_journal
