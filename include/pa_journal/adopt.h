// Adopting the personal-assistant app's directory: turning the JSON lists
// and timestamped backups that the app wrote (contacts.json, notes.json,
// config.json, backups/contacts_20240115_120000.json, storage.log; no
// journal/) into a store, keeping every file and the backups' history.
//
// What adoption does (docs/adoption.md):
//  - every file of the app is kept byte-identical, moved under
//    backups/adopted/ with its relative path (backups/adopted/contacts.json,
//    backups/adopted/backups/contacts_20240115_120000.json,
//    backups/adopted/storage.log); files it does not recognise stay where
//    they are, untouched;
//  - each backup of the app, oldest first, becomes one commit carrying the
//    backup's time (its name read as local time, as the app wrote it) and
//    the origin "adopted from backups/NAME": the collection then holds
//    exactly that backup's list;
//  - the current files become the last commit, at the time of the adoption,
//    with the origin "adopted from contacts.json, ...";
//  - a compaction writes the store's first snapshot and readable files.
// So the state at any moment since the oldest backup is what the app had
// then, and restoring to a time before the adoption's first commit undoes it.
// List files become documents by the rule in pa_journal/file_storage.h.
//
// An adoption interrupted at any point (kill -9, power loss) is finished by
// running it again; until then every writable open refuses the directory.
// Thread-safety: one adoption of a directory at a time (it holds the store's
// LOCK while it writes).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pa_journal/options.h"

namespace pa_journal {

struct AdoptOptions {
  bool dry_run = false;       // plan only: nothing is written
  bool skip_damaged = false;  // adopt without files that are not valid lists
};

struct AdoptionCommit {
  std::string origin;
  int64_t time_ns = 0;  // 0 in a plan: the adoption's own time
  uint64_t seq = 0;     // 0 in a dry run
  uint64_t operations = 0;
};

struct AdoptionReport {
  bool dry_run = false;
  bool resumed = false;  // an interrupted adoption was finished
  std::vector<AdoptionCommit> commits;
  // Files kept under backups/adopted/, paths relative to the directory.
  std::vector<std::string> kept;
  // Files that are not valid lists (with skip_damaged), and why.
  std::vector<std::pair<std::string, std::string>> skipped;
  // Entries adoption leaves where they are, and why.
  std::vector<std::pair<std::string, std::string>> left_alone;
};

// Whether dir is the app's directory with no store yet, or holds an
// adoption that did not finish: what a writable open refuses.
bool needs_adoption(const std::string& dir, const Options& options = {});

// Adopts dir (see above), or finishes an interrupted adoption. Throws
// InvalidInputError if dir holds none of the app's files, is a store
// already, or (without skip_damaged) holds a file of the app that is not a
// valid list: the message names the file and the position of the error, and
// nothing is changed. Throws StorageError if an interrupted adoption cannot
// be finished safely (a file it moved is gone or changed), saying what to do.
// options: durability and the file system; compaction runs once at the end.
AdoptionReport adopt_store(const std::string& dir, const AdoptOptions& adopt = {},
                           Options options = {});

}  // namespace pa_journal
