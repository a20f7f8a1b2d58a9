#include "snapshot/import_dir.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "model/progress_ticker.h"
#include "model/validation.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "snapshot/export.h"
#include "snapshot/list_file.h"
#include "snapshot/snapshot.h"

namespace pa_journal {
namespace {

using nlohmann::json;

const char* const kCollectionFileForm =
    "an import directory holds one NAME.json per collection, NAME matching "
    "[a-z0-9][a-z0-9_-]{0,63}";

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_plain_file(FileSystem& fs, const std::string& path) {
  try {
    return fs.read_file(path);  // O_NOFOLLOW: a symlink fails here
  } catch (const IoError& e) {
    throw InvalidInputError("refusing to import " + path +
                            " (not a regular file, or unreadable): " + e.what());
  }
}

// The collection a file name stands for, or "" if it is no NAME.json.
std::string collection_of(const std::string& name) {
  if (!ends_with(name, kJsonSuffix) || name.size() == kJsonSuffix.size()) return {};
  return name.substr(0, name.size() - kJsonSuffix.size());
}

// Reads progress as bytes of the files read and checked.
struct Reading {
  ProgressTicker ticker;
  uint64_t before = 0;  // bytes of the files done
  void start(const ProgressTick& progress, FileSystem& fs, const std::string& dir,
             const std::vector<std::string>& names) {
    uint64_t total = 0;
    for (const auto& name : names) {
      if (!collection_of(name).empty() && fs.exists(join_path(dir, name))) {
        total += fs.file_size(join_path(dir, name));
      }
    }
    ticker = ProgressTicker(progress, total);
    ticker.start();
  }
  // bytes of the file being checked are done.
  void within(uint64_t bytes) { ticker.update(before + bytes); }
  // The file being checked, of bytes, is done.
  void read(uint64_t bytes) { ticker.update(before += bytes); }
};

// A NAME.json given as it is: an object of documents or a list file.
// checked, if set, hears about how many bytes of text are checked so far
// (of an object, as its documents are: each counts for an equal share).
ImportedCollection parse_json_file(const std::string& shown,
                                   const std::string& collection, const std::string& text,
                                   const ProgressCount& checked = nullptr) {
  try {
    validate_collection_name(collection);
    json value = parse_input_json(text, /*wrapping_levels=*/1);
    if (value.is_array()) {
      if (collection == kOrderCollection) {
        throw InvalidInputError("facade-order keeps the order of list files: an object");
      }
      ListDocuments list = documents_of_list(collection, value);
      ImportedCollection out{std::move(list.documents), std::nullopt};
      if (collection != kConfigCollection) out.order = std::move(list.order);
      return out;
    }
    if (!value.is_object()) {
      throw InvalidInputError(std::string("holds a JSON ") + value.type_name() +
                              "; a collection file holds an object (key -> document) "
                              "or a list");
    }
    ImportedCollection out;
    const uint64_t n = value.size();
    for (const auto& [key, doc] : value.items()) {
      validate_key(key);
      out.documents.emplace(key, dump_element(doc, "the document '" + key + "'"));
      if (checked && out.documents.size() % kDocumentsPerProgress == 0)
        checked(text.size() * out.documents.size() / n);
    }
    return out;
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(shown + ": " + e.what());
  }
}

// An export file whose bytes are the exporter's (checksum verified).
// checked hears about how many bytes of text are checked so far.
ImportedCollection parse_export_file(const std::string& shown, const std::string& text,
                                     const ProgressCount& checked) {
  Collection docs;
  try {
    docs = parse_collection(text, shown);
    uint64_t bytes = 0, n = 0;
    for (auto& [key, doc] : docs) {
      validate_key(key);
      bytes += key.size() + doc.size() + 6;  // '  "key": doc,\n'
      doc = canonical_json(doc);
      if (++n % kDocumentsPerProgress == 0) checked(bytes);
    }
  } catch (const StorageError& e) {
    throw InvalidInputError(std::string("refusing to import: ") + e.what());
  }
  return {std::move(docs), std::nullopt};
}

// A manifest.json that is not one of this store's exports: another
// program's (the app's export writes one), unless it says it is ours.
bool claims_to_be_export(const std::string& text) {
  try {
    json body = json::parse(text);
    return body.is_object() && body.value("format", "") == kExportFormat;
  } catch (const json::exception&) {
    return false;
  }
}

// The export manifest of dir, or nullopt if dir is not an export (then
// what its manifest.json is has been noted in out).
std::optional<SnapshotInfo> export_manifest(FileSystem& fs, const std::string& dir,
                                            bool accept_edits, ImportSource& out) {
  const std::string path = export_manifest_file_name(dir);
  if (!fs.exists(path)) return std::nullopt;
  std::string text = read_plain_file(fs, path);
  SnapshotInfo info;
  try {
    info = parse_manifest(text, path);
  } catch (const UnusableManifestError& e) {
    throw InvalidInputError(std::string("refusing to import: ") + e.what());
  } catch (const CorruptedDataError& e) {
    if (!claims_to_be_export(text)) {
      out.not_imported.emplace_back(std::string(kExportManifestName),
                                    "not a pa-journal export manifest");
      return std::nullopt;
    }
    if (!accept_edits) {
      throw CorruptedDataError(e.what(), path, 0, 0,
                               {Remedy::Kind::kAcceptEditsExport, {}});
    }
    out.not_imported.emplace_back(
        std::string(kExportManifestName),
        "edited: its checksum fails, the files are taken as JSON");
    out.form = ImportForm::kEditedExport;
    return std::nullopt;
  }
  if (info.format != kExportFormat) {
    throw InvalidInputError(path + " is not an export manifest");
  }
  return info;
}

void check_manifest_names(const SnapshotInfo& info, const std::string& dir) {
  for (const auto& f : info.files) {
    validate_collection_name(f.collection);
    if (f.file != state_name(f.collection)) {
      throw InvalidInputError(dir + ": manifest names file '" + f.file +
                              "' for collection '" + f.collection + "'");
    }
  }
}

// Entries of an export that its manifest does not name: with accept_edits a
// NAME.json is taken as added by hand, anything else is refused.
void read_export_strangers(FileSystem& fs, const std::string& dir,
                           const SnapshotInfo& info, bool accept_edits, ImportSource& out,
                           Reading& reading) {
  std::set<std::string> known{std::string(kExportManifestName)};
  for (const auto& f : info.files) known.insert(f.file);
  std::vector<std::string> names = fs.list_dir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (known.count(name)) continue;
    std::string collection = collection_of(name);
    if (!accept_edits || collection.empty() || is_directory(fs, join_path(dir, name))) {
      Remedy added{
          collection.empty() ? Remedy::Kind::kNone : Remedy::Kind::kAcceptEditsAdded, {}};
      throw InvalidInputError(
          dir + ": refusing to import, unknown file '" + name +
              "' (an export holds manifest.json and the files it names)",
          added);
    }
    std::string text = read_plain_file(fs, join_path(dir, name));
    out.collections[collection] = parse_json_file(join_path(dir, name), collection, text);
    out.edited.push_back(name);
    reading.read(text.size());
  }
}

void read_export(FileSystem& fs, const std::string& dir, const SnapshotInfo& info,
                 bool accept_edits, ImportSource& out, Reading& reading) {
  check_manifest_names(info, dir);
  read_export_strangers(fs, dir, info, accept_edits, out, reading);
  for (const auto& f : info.files) {
    const std::string path = join_path(dir, f.file);
    if (!fs.exists(path) && accept_edits) {
      out.not_imported.emplace_back(f.file, "named by the manifest but gone");
      continue;
    }
    if (!fs.exists(path)) throw CorruptedDataError(path + " is missing", path);
    std::string data = read_plain_file(fs, path);
    if (data.size() == f.bytes && checksum(data) == f.xxh3) {
      out.collections[f.collection] = parse_export_file(
          path, data, [&reading](uint64_t bytes) { reading.within(bytes); });
    } else if (accept_edits) {
      out.collections[f.collection] = parse_json_file(path, f.collection, data);
      out.edited.push_back(f.file);
    } else {
      throw CorruptedDataError(path + ": size or checksum differs from the manifest",
                               path, 0, 0, {Remedy::Kind::kAcceptEditsFile, {}});
    }
    reading.read(data.size());
  }
  bool edited = !out.edited.empty() || !out.not_imported.empty();
  out.form = edited ? ImportForm::kEditedExport : ImportForm::kExport;
}

void read_json_files(FileSystem& fs, const std::string& dir, ImportSource& out,
                     Reading& reading) {
  std::vector<std::string> names = fs.list_dir(dir);
  std::sort(names.begin(), names.end());
  bool app = false;
  for (const auto& name : names) {
    const std::string path = join_path(dir, name);
    if (name == kExportManifestName) continue;  // noted by export_manifest
    if (name == kBackupsDirName && is_directory(fs, path)) {
      out.not_imported.emplace_back(std::string(kBackupsDirName) + "/",
                                    "the app's backups");
      app = true;
    } else if (name == kStorageLogName) {
      out.not_imported.emplace_back(name, "the app's log");
      app = true;
    } else if (is_directory(fs, path)) {
      throw InvalidInputError(path + " is a directory; " + kCollectionFileForm);
    } else if (collection_of(name).empty()) {
      throw InvalidInputError(path + " is not a NAME.json file; " + kCollectionFileForm);
    } else {
      std::string text = read_plain_file(fs, path);
      out.collections[collection_of(name)] =
          parse_json_file(path, collection_of(name), text,
                          [&reading](uint64_t bytes) { reading.within(bytes); });
      reading.read(text.size());
    }
  }
  if (out.form != ImportForm::kEditedExport) {
    out.form = app ? ImportForm::kAppDirectory : ImportForm::kJsonFiles;
  }
}

}  // namespace

const char* to_string(ImportForm form) {
  switch (form) {
    case ImportForm::kExport:
      return "export";
    case ImportForm::kEditedExport:
      return "edited export";
    case ImportForm::kJsonFiles:
      return "JSON files";
    case ImportForm::kAppDirectory:
      return "the app's files";
  }
  return "?";
}

ImportSource read_import_dir(FileSystem& fs, const std::string& dir, bool accept_edits,
                             const ProgressTick& progress) {
  if (!fs.exists(dir)) throw InvalidInputError(dir + " does not exist");
  if (!is_directory(fs, dir)) throw InvalidInputError(dir + " is not a directory");
  ImportSource out;
  Reading reading;
  reading.start(progress, fs, dir, fs.list_dir(dir));
  std::optional<SnapshotInfo> info = export_manifest(fs, dir, accept_edits, out);
  if (fs.exists(export_manifest_file_name(dir))) {
    reading.read(fs.file_size(export_manifest_file_name(dir)));
  }
  if (info) {
    read_export(fs, dir, *info, accept_edits, out, reading);
  } else {
    read_json_files(fs, dir, out, reading);
  }
  if (out.collections.empty() && !info) {  // an export of an empty store is one
    throw InvalidInputError(dir + " holds no NAME.json file: nothing to import");
  }
  reading.ticker.finish();
  return out;
}

}  // namespace pa_journal
