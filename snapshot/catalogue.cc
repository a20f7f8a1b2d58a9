#include "snapshot/catalogue.h"

#include <date/date.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "model/progress_ticker.h"
#include "pa_journal/errors.h"
#include "snapshot/compression.h"
#include "snapshot/file_links.h"
#include "snapshot/key_index.h"

namespace pa_journal {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string stamp(int64_t time_ns) {
  date::sys_seconds t = date::floor<std::chrono::seconds>(
      date::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(time_ns)));
  return date::format("%Y%m%d_%H%M%S", t);
}

// The snapshot id a name in backups/ belongs to by its shape alone: the
// manifest, intent or tombstone of <id>, a collection file "<c>_<id>.json",
// or the temporary of any of them; "" for any other name.
std::string id_in_name(const std::string& name) {
  std::optional<FileName> parsed = parse_backups_name(name);
  if (parsed && parsed->type == FileType::kTemp) parsed = parse_file_name(parsed->target);
  if (parsed && !parsed->id.empty()) return parsed->id;
  std::string_view target(name);
  if (target.ends_with(kTempSuffix)) target.remove_suffix(strlen(kTempSuffix));
  return snapshot_id_in_file_name(target);
}

// The entries of backups/, and the snapshot ids of the collection files that
// are orphans: of no snapshot whose manifest is present (valid or not: a
// damaged manifest's files stay for a human) and named by no valid manifest.
// For reporting snapshots that did not finish; nothing is removed by shape.
struct Orphans {
  std::vector<std::string> names;
  std::map<std::string, std::string> id_of;  // orphan file name -> its id
};

Orphans find_orphans(FileSystem& fs, const std::string& backups_dir) {
  Orphans out;
  out.names = fs.list_dir(backups_dir);
  std::set<std::string> ids;
  for (const auto& name : out.names) {
    if (ends_with(name, kManifestSuffix)) {
      ids.insert(name.substr(0, name.size() - std::string_view(kManifestSuffix).size()));
    }
  }
  std::set<std::string> named;
  for (const auto& snapshot : list_snapshots(fs, backups_dir)) {
    for (const auto& f : snapshot.files) named.insert(f.file);
  }
  for (const auto& name : out.names) {
    std::string id = snapshot_id_in_file_name(name);
    if (!id.empty() && !ids.count(id) && !named.count(name)) out.id_of[name] = id;
  }
  return out;
}

std::string without_suffix(const std::string& name, std::string_view suffix) {
  return name.substr(0, name.size() - suffix.size());
}

// The intent in backups/name, if it is whole and checksummed, of the id its
// name says, and names only collection files of that id; else nullopt (a
// torn or damaged one is no proof that the store wrote what it names).
std::optional<SnapshotIntent> read_intent(FileSystem& fs, const std::string& backups_dir,
                                          const std::string& name) {
  std::optional<SnapshotIntent> intent;
  try {
    intent = parse_intent(fs.read_file(join_path(backups_dir, name)), in_backups(name));
  } catch (const StorageError&) {
    return std::nullopt;
  }
  if (id_in_name(name) != intent->id) return std::nullopt;
  for (const auto& file : intent->files) {
    if (!ends_with(file, snapshot_file_name("", intent->id)) &&
        !ends_with(file, snapshot_index_name("", intent->id))) {
      return std::nullopt;
    }
  }
  return intent;
}

// The manifest in the tombstone backups/name, if it parses and is of the id
// the name says.
std::optional<SnapshotInfo> read_tombstone(FileSystem& fs, const std::string& backups_dir,
                                           const std::string& name) {
  try {
    SnapshotInfo info =
        parse_manifest(fs.read_file(join_path(backups_dir, name)), in_backups(name));
    if (id_in_name(name) == info.id) return info;
  } catch (const StorageError&) {
  }
  return std::nullopt;
}

// What clean-up may remove from backups/, found from the store's own files.
struct Leftovers {
  std::set<std::string> present;       // every entry
  std::set<std::string> manifest_ids;  // ids with a manifest, valid or not
  std::set<std::string> listed;        // files a valid manifest names: kept
  std::set<std::string> vouched;       // names whose temporaries are the store's
  std::vector<std::string> payload;    // files to remove first
  std::vector<std::string> markers;    // intents and tombstones, removed last
  std::vector<SnapshotInfo> pending;   // manifests to rewrite without pending_files
};

// An intent whose snapshot has a manifest is done: only the intent goes.
// Without one, the compaction stopped: the files it names go too.
void note_intent(FileSystem& fs, const std::string& backups_dir, const std::string& name,
                 Leftovers& out) {
  std::optional<SnapshotIntent> intent = read_intent(fs, backups_dir, name);
  if (!intent) return;
  bool finished = out.manifest_ids.count(intent->id) > 0;
  out.vouched.insert(manifest_name(intent->id));
  for (const auto& file : intent->files) {
    out.vouched.insert(file);
    if (!finished) out.payload.push_back(file);
  }
  out.markers.push_back(name);
}

// A tombstone is the manifest of a snapshot retention removes: its files go.
void note_tombstone(FileSystem& fs, const std::string& backups_dir,
                    const std::string& name, Leftovers& out) {
  std::optional<SnapshotInfo> info = read_tombstone(fs, backups_dir, name);
  if (!info) return;
  for (const auto& f : info->files) {
    for (const std::string& file : {f.file, f.index}) {
      if (file.empty()) continue;
      out.vouched.insert(file);
      out.payload.push_back(file);
    }
  }
  out.markers.push_back(name);
}

// A temporary is the store's if the file it would become is one the store
// names, or if it is a whole intent (a crash between its sync and rename).
bool is_own_temp(FileSystem& fs, const std::string& backups_dir, const std::string& name,
                 const Leftovers& found) {
  if (!ends_with(name, kTempSuffix)) return false;
  std::string target = without_suffix(name, kTempSuffix);
  if (found.vouched.count(target)) return true;
  if (!ends_with(target, kIntentSuffix)) return false;
  return read_intent(fs, backups_dir, name).has_value();
}

Leftovers find_leftovers(FileSystem& fs, const std::string& backups_dir) {
  Leftovers out;
  for (auto& name : fs.list_dir(backups_dir)) out.present.insert(std::move(name));
  for (const auto& name : out.present) {
    if (!ends_with(name, kManifestSuffix)) continue;
    out.manifest_ids.insert(without_suffix(name, kManifestSuffix));
    out.vouched.insert(name);
  }
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir);
  for (const auto& snapshot : snapshots) {
    for (const auto& f : snapshot.files) {
      out.listed.insert(f.file);
      if (!f.index.empty()) out.listed.insert(f.index);
    }
  }
  out.vouched.insert(out.listed.begin(), out.listed.end());
  // Files of a compression that did not finish (compression.h).
  for (auto& snapshot : snapshots) {
    if (snapshot.pending_files.empty()) continue;
    for (const auto& file : snapshot.pending_files) {
      out.vouched.insert(file);
      out.payload.push_back(file);
    }
    out.pending.push_back(std::move(snapshot));
  }
  for (const auto& name : out.present) {
    if (ends_with(name, kIntentSuffix)) note_intent(fs, backups_dir, name, out);
    if (ends_with(name, kTombstoneSuffix)) note_tombstone(fs, backups_dir, name, out);
  }
  for (const auto& name : out.present) {
    if (is_own_temp(fs, backups_dir, name, out)) out.payload.push_back(name);
  }
  return out;
}

// Removes each of names that is present and that no valid manifest names;
// syncs backups/ if any was removed.
void remove_present(FileSystem& fs, const std::string& backups_dir,
                    const std::vector<std::string>& names, const Leftovers& found) {
  bool removed = false;
  for (const auto& name : std::set<std::string>(names.begin(), names.end())) {
    if (!found.present.count(name) || found.listed.count(name)) continue;
    fs.remove(join_path(backups_dir, name));
    removed = true;
  }
  if (removed) fs.sync_dir(backups_dir);
}

// A large file is synced in steps as it is written, so that no sync has more
// than kWriteBehindBytes of page cache to write back. A single sync of a whole
// snapshot (200 MB for 1,000,000 documents) fills the disk's queue for tens of
// milliseconds, and a durable commit beside it waits for all of it
// (docs/design.md, "Restore and import off the commit path"). The extra syncs
// are of a temporary file, renamed only after its final sync: they change
// nothing a crash can leave.
constexpr uint64_t kWriteBehindBytes = 8 << 20;

class WriteBehind {
 public:
  explicit WriteBehind(WritableFile& file) : file_(file) {}
  void append(std::string_view piece) {
    file_.append(piece);
    unsynced_ += piece.size();
    if (unsynced_ < kWriteBehindBytes) return;
    file_.sync();
    unsynced_ = 0;
  }

 private:
  WritableFile& file_;
  uint64_t unsynced_ = 0;
};

// Streams a collection's text to a temporary file in large pieces (hashing,
// counting and indexing as it goes), syncs it and renames it to path, then
// writes its key index (out->index) beside it the same way. The caller syncs
// the directory. serialized hears the documents serialized so far.
void write_collection_file(FileSystem& fs, const std::string& backups_dir,
                           const CollectionView& collection, SnapshotFile* out,
                           const ProgressCount& serialized) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                &XXH3_freeState);
  XXH3_64bits_reset(hash.get());
  IndexBuilder index(collection.size);
  write_file_via_temp(fs, join_path(backups_dir, out->file), [&](WritableFile& file) {
    WriteBehind behind(file);
    serialize_collection(
        collection, kStreamChunkBytes,
        [&](std::string_view piece) {
          XXH3_64bits_update(hash.get(), piece.data(), piece.size());
          out->bytes += piece.size();
          behind.append(piece);
        },
        serialized,
        [&index](const std::string& key, std::string_view line) {
          index.add_line(key, line);
        });
  });
  out->xxh3 = XXH3_64bits_digest(hash.get());
  std::string text = serialize_index(index.finish(out->xxh3));
  write_file_via_temp(fs, join_path(backups_dir, out->index),
                      [&text](WritableFile& file) { file.append(text); });
}

// The intent of the snapshot id of collections: its collection files and
// their key indexes.
SnapshotIntent intent_for(const std::string& id, const CollectionViews& collections) {
  SnapshotIntent intent{id, {}};
  for (const auto& [name, _] : collections) {
    intent.files.push_back(snapshot_file_name(name, id));
    intent.files.push_back(snapshot_index_name(name, id));
  }
  return intent;
}

// An id for a snapshot at time_ns that nothing in backups/ uses: no manifest
// (valid or damaged: a damaged one's files stay for a human), and no entry
// whose name has that id's shape, the store's or not (a backup another
// program wrote with the same stamp must not be overwritten or adopted).
std::string unused_snapshot_id(FileSystem& fs, const std::string& backups_dir,
                               const CollectionViews& collections, int64_t time_ns) {
  std::vector<std::string> names = fs.list_dir(backups_dir);
  std::vector<SnapshotInfo> taken = list_snapshots(fs, backups_dir);
  for (const auto& name : names) {
    std::string id = id_in_name(name);
    if (!id.empty()) taken.emplace_back().id = id;
  }
  // And each exact name this snapshot would write, whatever shape it parses as.
  std::set<std::string> present(names.begin(), names.end());
  for (;;) {
    std::string id = new_snapshot_id(taken, time_ns);
    bool clash = false;
    for (const auto& file : intent_for(id, collections).files) {
      clash = clash || present.count(file) || present.count(temp_file_name(file));
    }
    if (!clash) return id;
    taken.emplace_back().id = id;
  }
}

}  // namespace

std::vector<SnapshotInfo> list_snapshots(FileSystem& fs, const std::string& backups_dir,
                                         std::vector<Damage>* damaged) {
  std::vector<SnapshotInfo> out;
  if (!fs.exists(backups_dir)) return out;
  for (const auto& name : fs.list_dir(backups_dir)) {
    if (!ends_with(name, kManifestSuffix)) continue;
    std::string path = join_path(backups_dir, name);
    try {
      out.push_back(parse_manifest(fs.read_file(path), in_backups(name)));
    } catch (const CorruptedDataError& e) {
      if (damaged) {
        damaged->push_back(Damage::snapshot(in_backups(name), e.what()));
      }
    } catch (const IoError&) {
      // A manifest that cannot be read is not a damaged one: leaving it out
      // would let retention and segment deletion act on a partial list. Only
      // one that retention removed meanwhile (a concurrent reader) is skipped.
      if (fs.exists(path)) throw;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.seq != b.seq ? a.seq > b.seq : a.id > b.id;
  });
  return out;
}

Collections load_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info, const ProgressTick& progress) {
  ProgressTicker ticker(progress, info.bytes());
  ticker.start();
  Collections out;
  uint64_t before = 0;  // bytes of the files before this one
  for (const auto& f : info.files) {
    std::string data = read_snapshot_file(fs, backups_dir, f);
    out[f.collection] = parse_collection(data, in_backups(f.file), [&](uint64_t parsed) {
      ticker.update(before + parsed);
    });
    ticker.update(before += f.bytes);
  }
  ticker.finish();
  return out;
}

uint64_t count_documents(const Collections& collections) {
  uint64_t n = 0;
  for (const auto& [_, collection] : collections) n += collection.size();
  return n;
}

uint64_t count_documents(const CollectionViews& collections) {
  uint64_t n = 0;
  for (const auto& [_, collection] : collections) n += collection.size;
  return n;
}

SnapshotInfo write_snapshot(FileSystem& fs, const std::string& backups_dir,
                            const Collections& collections, uint64_t seq, int64_t time_ns,
                            const ProgressTick& progress,
                            const std::optional<std::vector<std::string>>& state_files,
                            const SnapshotInfo* previous) {
  return write_snapshot(fs, backups_dir, views_of(collections), seq, time_ns, progress,
                        state_files, previous);
}

SnapshotInfo write_snapshot(FileSystem& fs, const std::string& backups_dir,
                            const CollectionViews& collections, uint64_t seq,
                            int64_t time_ns, const ProgressTick& progress,
                            const std::optional<std::vector<std::string>>& state_files,
                            const SnapshotInfo* previous) {
  ProgressTicker ticker(progress, progress ? count_documents(collections) : 0);
  ticker.start();
  create_dir_durably(fs, backups_dir);
  SnapshotInfo info;
  info.id = unused_snapshot_id(fs, backups_dir, collections, time_ns);
  info.seq = seq;
  info.time_ns = time_ns;
  info.state_files = state_files;
  const std::string intent = intent_file_name(backups_dir, info.id);
  write_file_atomically(fs, intent, serialize_intent(intent_for(info.id, collections)));
  uint64_t before = 0;  // documents of the collections before this one
  for (const auto& [name, collection] : collections) {
    SnapshotFile file{name,
                      snapshot_file_name(name, info.id),
                      0,
                      0,
                      collection.size,
                      snapshot_index_name(name, info.id)};
    std::string path = join_path(backups_dir, file.file);
    if (!link_unchanged(fs, backups_dir, path, unchanged_file(previous, name, collection),
                        &file)) {
      write_collection_file(fs, backups_dir, collection, &file,
                            [&](uint64_t n) { ticker.update(before + n); });
    }
    info.files.push_back(std::move(file));
    before += collection.size;
  }
  fs.sync_dir(backups_dir);
  write_file_atomically(fs, manifest_file_name(backups_dir, info.id),
                        serialize_manifest(info));
  // Not synced: an intent that comes back names a snapshot whose manifest
  // exists, and clean-up then removes the intent alone.
  fs.remove(intent);
  ticker.finish();
  return info;
}

bool snapshot_files_intact(FileSystem& fs, const std::string& backups_dir,
                           const SnapshotInfo& info) {
  try {
    for (const auto& f : info.files) check_snapshot_file(fs, backups_dir, f);
    return true;
  } catch (const CorruptedDataError&) {
    return false;
  }
}

Retention apply_retention(FileSystem& fs, const std::string& backups_dir,
                          size_t keep_count,
                          const std::function<bool(const SnapshotInfo&)>& intact_fn) {
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir);
  keep_count = std::max<size_t>(keep_count, 1);
  size_t intact = 0;
  uint64_t oldest = 0;
  Retention out;
  for (const SnapshotInfo& s : snapshots) {
    if (intact < keep_count) {
      if (intact_fn ? intact_fn(s) : snapshot_files_intact(fs, backups_dir, s)) {
        ++intact;
        oldest = s.seq;
      } else {
        out.damaged.push_back(s.id);
      }
      continue;
    }
    // The manifest becomes its tombstone: the snapshot stops existing, and
    // its files are still named for remove_leftovers.
    fs.rename(manifest_file_name(backups_dir, s.id),
              tombstone_file_name(backups_dir, s.id));
    out.removed.push_back(s.id);
  }
  if (intact >= std::min<size_t>(2, keep_count)) out.journal_needed_after = oldest;
  if (!out.removed.empty()) fs.sync_dir(backups_dir);
  remove_leftovers(fs, backups_dir);
  return out;
}

void remove_leftovers(FileSystem& fs, const std::string& backups_dir) {
  if (!fs.exists(backups_dir)) return;
  Leftovers found = find_leftovers(fs, backups_dir);
  remove_present(fs, backups_dir, found.payload, found);
  remove_present(fs, backups_dir, found.markers, found);
  for (SnapshotInfo& info : found.pending) {
    info.pending_files.clear();
    write_file_atomically(fs, manifest_file_name(backups_dir, info.id),
                          serialize_manifest(info));
  }
}

void write_state_files(FileSystem& fs, const std::string& dir,
                       const Collections& collections, bool overwrite,
                       const ProgressTick& progress) {
  create_dirs_durably(fs, dir);
  // Writing a file goes through its temporary, which must not be someone
  // else's either.
  for (const auto& [name, _] : collections) {
    for (std::string path :
         {state_file_name(dir, name), temp_file_name(state_file_name(dir, name))}) {
      if (!overwrite && fs.exists(path)) {
        throw InvalidInputError(path + " exists", {Remedy::Kind::kOverwrite, {}});
      }
    }
  }
  ProgressTicker ticker(progress, progress ? count_documents(collections) : 0);
  ticker.start();
  uint64_t before = 0;  // documents of the collections before this one
  // A loop variable, not a structured binding: clang 14 does not let the
  // lambdas below capture a binding.
  for (const auto& entry : collections) {
    const Collection& collection = entry.second;
    write_file_via_temp(fs, state_file_name(dir, entry.first), [&](WritableFile& file) {
      WriteBehind behind(file);
      serialize_collection(
          collection, kStreamChunkBytes,
          [&](std::string_view piece) { behind.append(piece); },
          [&](uint64_t n) { ticker.update(before + n); });
    });
    before += collection.size();
  }
  fs.sync_dir(dir);  // the renames of every file, at once
  ticker.finish();
}

std::vector<std::string> owned_state_files(const SnapshotInfo& info) {
  if (info.state_files) return *info.state_files;
  std::vector<std::string> out;
  for (const auto& f : info.files) out.push_back(state_name(f.collection));
  return out;
}

std::vector<std::string> claim_state_files(FileSystem& fs, const std::string& dir,
                                           const std::vector<SnapshotInfo>& snapshots,
                                           const CollectionViews& collections) {
  std::set<std::string> owned;
  for (const SnapshotInfo& s : snapshots) {
    for (auto& name : owned_state_files(s)) owned.insert(std::move(name));
  }
  for (const auto& [collection, _] : collections) {
    std::string path = state_file_name(dir, collection);
    if (!fs.exists(path) && !fs.exists(temp_file_name(path)))
      owned.insert(state_name(collection));
  }
  return {owned.begin(), owned.end()};
}

std::vector<std::string> link_state_files(FileSystem& fs, const std::string& dir,
                                          const std::string& backups_dir,
                                          const SnapshotInfo& info, bool copy,
                                          bool only_stale) {
  std::vector<std::string> owned = owned_state_files(info);
  std::vector<std::string> foreign;
  for (const auto& f : info.files) {
    std::string name = state_name(f.collection);
    if (std::find(owned.begin(), owned.end(), name) == owned.end()) {
      foreign.push_back(name);
      continue;
    }
    std::string from = join_path(backups_dir, f.file);
    std::string path = join_path(dir, name);
    std::string temp = temp_file_name(path);
    if (fs.exists(temp)) fs.remove(temp);  // left by a crash
    if (only_stale && fs.exists(path) && fs.file_size(path) == f.bytes) continue;
    if (!copy && try_link(fs, from, temp)) {
      fs.rename(temp, path);
      // A rename between two names of one file (an unchanged collection's
      // snapshot file is the one path already names) does nothing.
      if (fs.exists(temp)) fs.remove(temp);
    } else {
      write_file_atomically(fs, path, fs.read_file(from));
    }
  }
  fs.sync_dir(dir);
  return foreign;
}

std::vector<std::string> unfinished_snapshots(FileSystem& fs,
                                              const std::string& backups_dir) {
  if (!fs.exists(backups_dir)) return {};
  std::set<std::string> ids;
  for (const auto& [_, id] : find_orphans(fs, backups_dir).id_of) ids.insert(id);
  std::vector<std::string> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end(), later_snapshot_id);
  return out;
}

bool later_snapshot_id(const std::string& a, const std::string& b) {
  // "YYYYMMDD_HHMMSS" then an optional "_N"; no suffix counts as 1.
  auto suffix = [](const std::string& id) {
    return id.size() > 16 ? std::strtoull(id.c_str() + 16, nullptr, 10) : 1ull;
  };
  int by_time = a.compare(0, 15, b, 0, 15);
  return by_time != 0 ? by_time > 0 : suffix(a) > suffix(b);
}

std::string new_snapshot_id(const std::vector<SnapshotInfo>& existing, int64_t time_ns) {
  std::set<std::string> used;
  for (const auto& s : existing) used.insert(s.id);
  std::string base = stamp(time_ns);
  std::string id = base;
  for (int n = 2; used.count(id); ++n) id = base + "_" + std::to_string(n);
  return id;
}

}  // namespace pa_journal
