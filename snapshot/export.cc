#include "snapshot/export.h"

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "model/progress_ticker.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"

namespace pa_journal {

SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const Collections& collections, uint64_t seq, int64_t time_ns,
                          const ProgressTick& progress) {
  return write_export(fs, dir, views_of(collections), seq, time_ns, progress);
}

SnapshotInfo write_export(FileSystem& fs, const std::string& dir,
                          const CollectionViews& collections, uint64_t seq,
                          int64_t time_ns, const ProgressTick& progress) {
  if (fs.exists(dir) && !fs.list_dir(dir).empty()) {
    throw InvalidInputError(dir + " is not empty; export into a new or empty directory");
  }
  create_dirs_durably(fs, dir);
  SnapshotInfo info;
  info.format = kExportFormat;
  info.id = "export";
  info.seq = seq;
  info.time_ns = time_ns;
  ProgressTicker ticker(progress, progress ? count_documents(collections) : 0);
  ticker.start();
  uint64_t before = 0;  // documents of the collections before this one
  for (const auto& [name, collection] : collections) {
    std::string text;
    serialize_collection(
        collection, 1 << 20, [&text](std::string_view piece) { text.append(piece); },
        [&](uint64_t n) { ticker.update(before + n); });
    info.files.push_back(
        {name, state_name(name), text.size(), checksum(text), collection.size, ""});
    write_file_atomically(fs, state_file_name(dir, name), text);
    before += collection.size;
  }
  write_file_atomically(fs, export_manifest_file_name(dir), serialize_manifest(info));
  ticker.finish();
  return info;
}

}  // namespace pa_journal
