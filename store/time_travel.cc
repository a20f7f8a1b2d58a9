// Reading the past (include/pa_journal/time_travel.h), on top of recovery with
// a time limit.
#include "pa_journal/time_travel.h"

#include <algorithm>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "model/progress_ticker.h"
#include "model/validation.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "replay/recovery.h"
#include "replay/state.h"
#include "snapshot/catalogue.h"
#include "snapshot/compression.h"
#include "snapshot/key_index.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

std::shared_ptr<FileSystem> file_system(const Options& options) {
  return options.file_system ? options.file_system : posix_file_system();
}

void require_store(FileSystem& fs, const std::string& dir) { require_store_dir(fs, dir); }

// The commit time of the first record of a segment, if it has a readable one.
std::optional<int64_t> first_record_time(FileSystem& fs, const std::string& path) {
  std::string data = fs.read_file(path);
  SegmentReader reader(path, data, /*is_newest=*/true, nullptr);
  Frame frame;
  if (!reader.read_header()) return std::nullopt;
  while (reader.next(&frame)) {
    if (frame.type == format::kTypeCommit) return decode_payload(frame.payload).time_ns;
  }
  return std::nullopt;
}

// The newest commit time: of the newest snapshot or of the last record.
int64_t last_commit_time(FileSystem& fs, const std::string& dir, RecoveryMode mode,
                         const ReadView& view) {
  int64_t last = 0;
  auto snapshots = list_snapshots(fs, backups_dir(dir));
  if (!snapshots.empty()) last = snapshots.front().time_ns;
  scan_journal(fs, journal_dir(dir), mode, [&](const Record& r) { last = r.time_ns; },
               {.limit = view.journal_limit()});
  return std::max(last, snapshots.empty() ? 0 : snapshots.front().time_ns);
}

// Within view (docs/readers.md): nothing listed is removed meanwhile.
Window window_in(FileSystem& fs, const std::string& dir, RecoveryMode mode,
                 const ReadView& view) {
  Window w;
  auto segments = list_segments(fs, journal_dir(dir));
  std::optional<int64_t> from;
  if (!segments.empty() && segments.front().first_seq == 1) {
    from = first_record_time(fs, join_path(journal_dir(dir), segments.front().name));
    w.from_start = from.has_value();
  }
  auto snapshots = list_snapshots(fs, backups_dir(dir));
  if (!from && !snapshots.empty()) from = snapshots.back().time_ns;
  if (!from) return w;
  w.empty = false;
  w.from_ns = *from;
  w.last_commit_ns = last_commit_time(fs, dir, mode, view);
  return w;
}

Window window_of(FileSystem& fs, const std::string& dir, RecoveryMode mode) {
  require_store(fs, dir);
  ReadView view(fs, dir);
  return window_in(fs, dir, mode, view);
}

std::optional<std::string> apply_to(std::optional<std::string> value,
                                    const Operation& op) {
  switch (op.kind) {
    case OpKind::kPut:
      return op.document;
    case OpKind::kPatch:
      return merge_patch(value ? &*value : nullptr, op.document);
    case OpKind::kDelete:
      return std::nullopt;
  }
  return value;
}

}  // namespace

std::string Window::describe() const {
  if (empty) return "the store has no records yet";
  std::string from = from_start ? "the empty state before the first record (" +
                                      format_time_ns(from_ns) + ")"
                                : format_time_ns(from_ns);
  return "can restore from " + from + " to now (last commit " +
         format_time_ns(last_commit_ns) + ")";
}

Window restorable_window(const std::string& dir, const Options& options) {
  return window_of(*file_system(options), dir, options.recovery);
}

namespace {

// The window, after refusing t_ns if it lies outside it (check_in_window).
Window window_holding(FileSystem& fs, const std::string& dir, int64_t t_ns,
                      RecoveryMode mode) {
  Window w = window_of(fs, dir, mode);
  // A time at or before the last commit is never in the future, even if the
  // clock has gone back since (or the commit clock runs ahead of it).
  int64_t now = std::max(system_now_ns(), w.last_commit_ns);
  bool future = !w.empty && t_ns > now;
  bool before = !w.empty && t_ns < w.from_ns && !w.from_start;
  if (w.empty || future || before) {
    std::string why = future   ? ": that is in the future; "
                      : before ? ": that is before the oldest kept snapshot; "
                               : ": ";
    throw InvalidInputError("cannot read the state at " + format_time_ns(t_ns) + why +
                            w.describe());
  }
  return w;
}

}  // namespace

void check_in_window(const std::string& dir, int64_t t_ns, const Options& options) {
  window_holding(*file_system(options), dir, t_ns, options.recovery);
}

Collections state_at(const std::string& dir, int64_t t_ns, const Options& options) {
  auto fs = file_system(options);
  Window w = window_holding(*fs, dir, t_ns, options.recovery);
  if (t_ns < w.from_ns) return {};  // before the first record
  RecoverOptions recover_options;
  recover_options.mode = options.recovery;
  recover_options.until_ns = t_ns;
  recover_options.progress = options.progress;
  return recover(*fs, dir, recover_options).state.collections();
}

std::unique_ptr<Store> Store::open_at(const std::string& dir, int64_t t_ns,
                                      Options options) {
  auto fs = file_system(options);
  window_holding(*fs, dir, t_ns, options.recovery);
  options.read_only = true;
  return open_unchecked(dir, std::move(options), t_ns);
}

namespace {

// The document key of collection as snapshot holds it, read without
// holding the snapshot: one block through the collection file's key index,
// else the file streamed a piece at a time (decompressed if compressed).
// Only a file that neither reads (damaged, or JSON of another layout) is
// loaded whole, which throws CorruptedDataError if it is damaged.
std::optional<std::string> snapshot_document(FileSystem& fs, const std::string& backups,
                                             const SnapshotInfo& snapshot,
                                             const std::string& collection,
                                             const std::string& key) {
  auto f =
      std::find_if(snapshot.files.begin(), snapshot.files.end(),
                   [&](const SnapshotFile& g) { return g.collection == collection; });
  if (f == snapshot.files.end()) return std::nullopt;
  try {
    if (auto indexed = open_indexed(fs, backups, *f)) return indexed->find(key);
  } catch (const CorruptedDataError&) {
    // A block that fails its checks: the whole file says what is wrong.
  }
  try {
    std::optional<std::string> found;
    stream_snapshot_lines(fs, backups, *f, [&](std::string_view k, std::string_view doc) {
      if (k == key) found = std::string(doc);
    });
    return found;
  } catch (const CorruptedDataError&) {
  }
  Collections base = load_snapshot(fs, backups, snapshot);
  auto doc = base[collection].find(key);
  if (doc == base[collection].end()) return std::nullopt;
  return std::move(doc->second);
}

// The history, read within view (docs/readers.md).
std::vector<DocumentVersion> document_history_in(FileSystem& fs, const std::string& dir,
                                                 const std::string& collection,
                                                 const std::string& key,
                                                 RecoveryMode mode,
                                                 const ReadView& view) {
  std::vector<DocumentVersion> versions;
  std::optional<std::string> value;
  uint64_t after = 0;
  auto snapshots = list_snapshots(fs, backups_dir(dir));
  auto segments = list_segments(fs, journal_dir(dir));
  if (!(segments.empty() ? snapshots.empty() : segments.front().first_seq == 1) &&
      !snapshots.empty()) {
    // The journal no longer starts at 1: start from the oldest snapshot.
    const SnapshotInfo& oldest = snapshots.back();
    value = snapshot_document(fs, backups_dir(dir), oldest, collection, key);
    after = oldest.seq;
    if (value) {
      versions.push_back({oldest.seq, oldest.time_ns, OpKind::kPut, value, true, {}});
    }
  }
  scan_journal(
      fs, journal_dir(dir), mode,
      [&](const Record& r) {
        for (const auto& op : r.ops) {
          if (op.collection != collection || op.key != key) continue;
          value = apply_to(value, op);
          versions.push_back({r.seq, r.time_ns, op.kind, value, false, r.origin});
        }
      },
      {.after_seq = after, .limit = view.journal_limit()});
  return versions;
}

}  // namespace

std::vector<DocumentVersion> document_history(const std::string& dir,
                                              const std::string& collection,
                                              const std::string& key,
                                              const Options& options) {
  validate_collection_name(collection);
  validate_key(key);
  auto fs = file_system(options);
  require_store(*fs, dir);
  ReadView view(*fs, dir);
  return document_history_in(*fs, dir, collection, key, options.recovery, view);
}

void write_state(const std::string& out_dir, const Collections& state, bool overwrite,
                 const Options& options) {
  // A state may come from the caller, not the store: a collection name
  // becomes a path (../x would leave out_dir) and a document is written as it
  // is, so both are checked, as a commit checks them, before anything is written.
  std::optional<Collections> compacted;  // only if a document is not compact
  for (const auto& [name, collection] : state) {
    validate_collection_name(name);
    for (const auto& [key, doc] : collection) {
      validate_key(key);
      std::string compact = canonical_json(doc);
      if (compact != doc) {
        if (!compacted) compacted = state;
        (*compacted)[name][key] = std::move(compact);
      }
    }
  }
  write_state_files(*file_system(options), out_dir, compacted ? *compacted : state,
                    overwrite, task_ticks(options.progress, "write state", "documents"));
}

namespace {

// Appends the changes from a to b, one collection's documents, in key order.
// Walks both in step: nothing is copied but what changed.
void diff_collection(const std::string& name, const Collection& a, const Collection& b,
                     std::vector<DocumentChange>* out) {
  auto x = a.begin(), y = b.begin();
  while (x != a.end() || y != b.end()) {
    if (y == b.end() || (x != a.end() && x->first < y->first)) {
      out->push_back({name, x->first, x->second, std::nullopt});
      ++x;
    } else if (x == a.end() || y->first < x->first) {
      out->push_back({name, y->first, std::nullopt, y->second});
      ++y;
    } else {
      if (x->second != y->second) out->push_back({name, x->first, x->second, y->second});
      ++x;
      ++y;
    }
  }
}

}  // namespace

std::vector<DocumentChange> diff_states(const Collections& from, const Collections& to) {
  static const Collection kEmpty;
  std::vector<DocumentChange> changes;
  auto a = from.begin(), b = to.begin();
  while (a != from.end() || b != to.end()) {
    if (b == to.end() || (a != from.end() && a->first < b->first)) {
      diff_collection(a->first, a->second, kEmpty, &changes);
      ++a;
    } else if (a == from.end() || b->first < a->first) {
      diff_collection(b->first, kEmpty, b->second, &changes);
      ++b;
    } else {
      diff_collection(a->first, a->second, b->second, &changes);
      ++a;
      ++b;
    }
  }
  return changes;
}

}  // namespace pa_journal
