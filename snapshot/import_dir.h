// What `pa-journal import DIR` reads: the forms of a directory of JSON files
// that users have, each checked completely before the caller changes
// anything.
//
//  - An export of this store (snapshot/export.h): manifest.json with the
//    format "pa-journal-export" and the files it names. Every file's size and
//    XXH3 must match the manifest, and nothing else may be there. With
//    accept_edits, a file whose checksum no longer matches (an export edited
//    by hand) is named in `edited` and its JSON checked instead; a NAME.json
//    the manifest does not name is taken the same way, and a file it names
//    that is gone is named and not imported.
//  - A directory of plain JSON files, one collection per NAME.json (NAME a
//    collection name): an object maps keys to documents (the output of
//    `restore --out`, `replay --out`, and an export's files); a list is a
//    list file of the app (snapshot/list_file.h: keys by id or position, its
//    order kept).
//  - The app's own directory or its export: its NAME.json lists; backups/,
//    storage.log and a manifest.json of another program are not imported, and
//    are named in `not_imported`.
// Anything else in DIR (a file that is not NAME.json, a name that is not a
// collection name, a subdirectory, a symlink, a FIFO) is refused: an import
// reads nothing outside DIR, and everything it reads becomes documents of
// the collections it names.
//
// Thread-safety: a free function; it reads through fs only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pa_journal/file_system.h"
#include "pa_journal/progress.h"
#include "pa_journal/record.h"

namespace pa_journal {

enum class ImportForm { kExport, kEditedExport, kJsonFiles, kAppDirectory };
// "export", "edited export", "JSON files", "the app's files".
const char* to_string(ImportForm form);

struct ImportedCollection {
  Collection documents;
  // A list file's keys in list order; nullopt for an object file.
  std::optional<std::vector<std::string>> order;
};

struct ImportSource {
  ImportForm form = ImportForm::kJsonFiles;
  std::map<std::string, ImportedCollection> collections;
  std::vector<std::string> edited;  // files taken though their checksum fails
  std::vector<std::pair<std::string, std::string>> not_imported;  // entry, why
};

// Reads and checks dir. Throws InvalidInputError for a directory that is not
// one of the forms above or content the store must not import (the message
// names the file and, for text that is not JSON, the line and column), and
// CorruptedDataError for an export whose files do not match their manifest
// (without accept_edits; the message says how to import it all the same).
// progress, if set, gets bytes of the directory's NAME.json files (its
// manifest.json too) read and checked, as a ProgressTicker reports them
// (model/progress_ticker.h): within a file as its documents are checked
// (a list file, or one added to an export by hand: after it).
ImportSource read_import_dir(FileSystem& fs, const std::string& dir, bool accept_edits,
                             const ProgressTick& progress = nullptr);

}  // namespace pa_journal
