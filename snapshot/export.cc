#include "snapshot/export.h"

#include <set>

#include "journal/record_codec.h"
#include "journal/validation.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

void check_names(const SnapshotInfo& info, const std::string& dir) {
  for (const auto& f : info.files) {
    validate_collection_name(f.collection);
    if (f.file != f.collection + ".json") {
      throw InvalidInputError(dir + ": manifest names file '" + f.file +
                              "' for collection '" + f.collection + "'");
    }
  }
}

void check_no_strangers(FileSystem& fs, const SnapshotInfo& info,
                        const std::string& dir) {
  std::set<std::string> known{kExportManifest};
  for (const auto& f : info.files) known.insert(f.file);
  for (const auto& name : fs.list_dir(dir)) {
    if (!known.count(name)) {
      throw InvalidInputError(dir + ": refusing to import, unknown file '" + name +
                              "' (an export holds manifest.json and the files it names)");
    }
  }
}

std::string read_plain_file(FileSystem& fs, const std::string& path) {
  try {
    return fs.read_file(path);  // O_NOFOLLOW: a symlink fails here
  } catch (const IoError& e) {
    throw InvalidInputError(std::string("refusing to import ") + path +
                            " (not a regular file, or unreadable): " + e.what());
  }
}

Collection read_collection(FileSystem& fs, const std::string& dir,
                           const SnapshotFile& f) {
  std::string data = read_plain_file(fs, dir + "/" + f.file);
  if (data.size() != f.bytes || checksum(data) != f.xxh3) {
    throw CorruptedDataError(
        dir + "/" + f.file + ": size or checksum differs from the manifest",
        dir + "/" + f.file);
  }
  // The bytes are the exporter's: what is wrong from here on is content.
  Collection docs;
  try {
    docs = parse_collection(data, dir + "/" + f.file);
  } catch (const CorruptedDataError& e) {
    throw InvalidInputError(std::string("refusing to import: ") + e.what());
  }
  for (auto& [key, doc] : docs) {
    validate_key(key);
    doc = canonical_json(doc);
  }
  return docs;
}

}  // namespace

SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const Collections& collections, uint64_t seq, int64_t time_ns) {
  if (fs.exists(dir) && !fs.list_dir(dir).empty()) {
    throw InvalidInputError(dir + " is not empty; export into a new or empty directory");
  }
  create_dirs_durably(fs, dir);
  SnapshotInfo info;
  info.format = kExportFormat;
  info.id = "export";
  info.seq = seq;
  info.time_ns = time_ns;
  for (const auto& [name, collection] : collections) {
    std::string text = serialize_collection(collection);
    info.files.push_back(
        {name, name + ".json", text.size(), checksum(text), collection.size()});
    write_file_atomically(fs, dir + "/" + name + ".json", text);
  }
  write_file_atomically(fs, dir + "/" + kExportManifest, serialize_manifest(info));
  return info;
}

Collections read_export(FileSystem& fs, const std::string& dir, SnapshotInfo* info_out,
                        const ProgressTick& progress) {
  if (!fs.exists(dir)) throw InvalidInputError(dir + " does not exist");
  if (!fs.exists(dir + "/" + kExportManifest)) {
    throw InvalidInputError(dir + " holds no manifest.json: not a pa-journal export");
  }
  SnapshotInfo info;
  try {
    info = parse_manifest(read_plain_file(fs, dir + "/" + kExportManifest),
                          dir + "/manifest.json");
  } catch (const UnusableManifestError& e) {
    throw InvalidInputError(std::string("refusing to import: ") + e.what());
  }
  if (info.format != kExportFormat) {
    throw InvalidInputError(dir + "/manifest.json is not an export manifest");
  }
  check_names(info, dir);
  check_no_strangers(fs, info, dir);
  uint64_t total = 0, done = 0;
  for (const auto& f : info.files) total += f.documents;
  if (progress) progress(done, total);
  Collections out;
  for (const auto& f : info.files) {
    out[f.collection] = read_collection(fs, dir, f);
    if (progress) progress(done += f.documents, total);
  }
  if (info_out) *info_out = info;
  return out;
}

}  // namespace pa_journal
