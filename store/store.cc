#include "pa_journal/store.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "journal/layout.h"
#include "journal/store_id.h"
#include "model/progress_ticker.h"
#include "model/validation.h"
#include "pa_journal/config.h"
#include "pa_journal/file_system.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "replay/recovery.h"
#include "snapshot/export.h"
#include "snapshot/seed_layout.h"
#include "store/backup.h"
#include "store/canonical_commit.h"
#include "store/store_dir.h"
#include "store/store_impl.h"

namespace pa_journal {

namespace {

// The operations of a one-operation commit, built in place: an
// initializer_list would copy the document once more.
std::vector<Operation> one_op(OpKind kind, std::string_view collection,
                              std::string_view key, std::string_view document,
                              std::optional<uint64_t> if_seq = std::nullopt) {
  std::vector<Operation> ops;
  ops.push_back(
      {kind, std::string(collection), std::string(key), std::string(document), if_seq});
  return ops;
}

// Validates names and JSON, and stores documents compact. Throws
// InvalidInputError before anything is appended. documents_canonical: every
// document is known to be canonical already (CanonicalOps), so only its size
// is checked; what is refused, and the message, are the same either way.
void validate(std::vector<Operation>& ops, bool documents_canonical = false) {
  if (ops.empty()) throw InvalidInputError("a commit needs at least one operation");
  for (auto& op : ops) {
    validate_collection_name(op.collection);
    validate_key(op.key);
    if (op.kind == OpKind::kDelete) {
      op.document.clear();
    } else if (documents_canonical) {
      validate_document_size(op.document, "document");
    } else {
      canonicalise_json(&op.document);
    }
  }
}

// Refuses a commit that leaves a known config setting with a value it does
// not allow (pa_journal/config.h). ops: as they apply, patches resolved.
void validate_config(const std::vector<Operation>& ops) {
  for (const auto& op : ops) {
    if (op.kind == OpKind::kPut && op.collection == kConfigCollection) {
      validate_config_value(op.key, op.document);
    }
  }
}

// The value of a JSON document that is a positive integer, else 0.
size_t positive_integer(const std::string& json_text) {
  size_t value = 0;
  for (char c : json_text) {
    if (c < '0' || c > '9' || value > 1'000'000) return 0;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  return value;
}

// Takes LOCK, creating dir first if needed (or refusing a dir without a
// store); returns whether this open creates the store. journal/ is looked
// for under LOCK, so that of two writers creating one store only the first
// says it did.
bool lock_and_create(FileSystem& fs, const std::string& dir, const Options& options,
                     std::unique_ptr<FileLock>* lock) {
  if (!options.create_if_missing) require_store_dir(fs, dir);
  create_dirs_durably(fs, dir);
  *lock = fs.lock_within(lock_file_name(dir), options.lock_wait_ms);
  bool created = !fs.exists(journal_dir(dir));
  create_dir_durably(fs, journal_dir(dir));
  return created;
}

// A read-only open's: the id, or "" for a store that has none yet or whose
// STORE_ID does not read (inspect and verify say so; a read needs no id).
std::string existing_store_id(FileSystem& fs, const std::string& dir) {
  try {
    return read_store_id(fs, dir);
  } catch (const StorageError&) {
    return {};
  }
}

}  // namespace

// See store.h. Once per process: mallopt is not thread-safe against itself.
void keep_frees_off_the_commit_path() {
#if defined(__GLIBC__)
  static std::once_flag once;
  std::call_once(once, [] { mallopt(M_MXFAST, 0); });
#endif
}

std::string RecoveryReport::summary() const {
  std::string text = "recovery (" + std::string(to_string(mode)) + "): ";
  text += snapshot_id.empty()
              ? "no snapshot"
              : "snapshot " + snapshot_id + " (seq " + std::to_string(snapshot_seq) + ")";
  for (const auto& f : snapshot_fallbacks) text += "; passed over " + f.describe();
  for (const auto& f : index_fallbacks) text += "; read in full: " + f.describe();
  text += ", " + std::to_string(records_replayed) + " records replayed";
  if (records_replayed > 0) {
    text += " (seq " + std::to_string(first_seq) + ".." + std::to_string(last_seq) + ")";
  }
  if (torn_bytes_cut > 0)
    text += ", torn tail of " + std::to_string(torn_bytes_cut) + " bytes cut";
  for (const auto& d : damage) text += "; " + d.describe();
  for (const auto& q : quarantined) text += "; kept a copy in " + q;
  return text;
}

std::unique_ptr<Store> Store::open(const std::string& dir, Options options) {
  if (!options.read_only) {
    FileSystem& fs = options.file_system ? *options.file_system : *posix_file_system();
    refuse_unadopted(fs, dir);
  }
  return open_unchecked(dir, std::move(options));
}

std::unique_ptr<Store> Store::open_unchecked(const std::string& dir, Options options,
                                             std::optional<int64_t> until_ns) {
  if (options.durability == Durability::kInterval && options.sync_interval_ms == 0) {
    throw InvalidInputError("interval durability needs a sync_interval_ms of at least 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->fs = options.file_system ? options.file_system : posix_file_system();
  impl->options = options;
  FileSystem& fs = *impl->fs;
  if (options.read_only) {
    require_store_dir(fs, dir);
    impl->store_id = existing_store_id(fs, dir);
  } else {
    impl->created = lock_and_create(fs, dir, options, &impl->writer_lock);
    impl->store_id = ensure_store_id(fs, dir);
    impl->log = std::make_unique<StorageLog>(impl->fs, storage_log_file_name(dir));
    if (impl->created) impl->log->write("INFO", "created a new store in " + dir);
  }
  RecoverOptions& recover_options = impl->recover_options;
  recover_options.mode = options.recovery;
  recover_options.writable = !options.read_only;
  recover_options.progress = options.progress;
  recover_options.until_ns = until_ns;
  Impl* self = impl.get();
  impl->lazy_publish = options.durability != Durability::kAlways;
  // A read-only open reads the state from disk as reads need it.
  std::optional<Damage> index_damage;
  if (options.read_only && impl->open_lazily(&index_damage))
    return std::unique_ptr<Store>(new Store(std::move(impl)));
  Recovered recovered = recover(fs, dir, recover_options);
  if (index_damage) recovered.report.index_fallbacks.push_back(std::move(*index_damage));
  {
    // No other thread has the store yet: the locks are for the analysis.
    MutexLock head_lock(&self->head_mu);
    MutexLock lock(&self->published_mu);
    self->head = std::move(recovered.state);
    self->published = self->head.freeze();
    self->written_seq = self->head.last_seq();
  }
  impl->report = std::move(recovered.report);
  if (!options.read_only) {
    bool clean = impl->report.damage.empty() && impl->report.snapshot_fallbacks.empty();
    impl->log->write(clean ? "INFO" : "WARN",
                     "open " + dir + ": " + impl->report.summary());
    impl->writer = std::make_unique<JournalWriter>(impl->fs, journal_dir(dir), options,
                                                   std::move(recovered.tail));
    // The writer calls both under its lock (journal_writer.h, rule 6).
    impl->writer->set_visibility({[self](uint64_t seq) {
                                    self->writer_held.assert_held();
                                    self->cut(seq);
                                  },
                                  [self](uint64_t seq) {
                                    self->writer_held.assert_held();
                                    self->publish(seq);
                                  }});
    impl->compactor = std::make_unique<Compactor>(
        impl->fs, dir, options, impl->writer.get(), impl->log.get(),
        [self] { return self->capture(); }, [self] { return self->settings(); },
        impl->report.snapshot_seq);
    // The journal grew since the snapshot in earlier runs too: a store used
    // by one short process after another must still reach the thresholds.
    impl->compactor->note_commit(impl->report.bytes_replayed,
                                 impl->report.records_replayed);
    if (options.replication) {
      impl->shipper = std::make_unique<BackgroundShipper>(dir, *options.replication,
                                                          impl->fs, impl->log.get());
    }
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  impl_->shipper.reset();    // waits at most for the request in flight
  impl_->compactor.reset();  // waits for a compaction in flight
  impl_->writer.reset();     // syncs and closes before LOCK is released
  if (impl_->log) impl_->log->write("INFO", "close " + impl_->dir);
}

CommitResult Store::Impl::enqueue(std::vector<Operation> ops, std::string origin,
                                  const JournalWriter::Prepare& prepare) {
  if (!writer) throw StorageError("store " + dir + " is open read-only");
  if (!prepare) validate(ops);
  return append(std::move(ops), std::move(origin), prepare);
}

CommitResult Store::Impl::enqueue_canonical(CanonicalOps ops, std::string origin) {
  if (!writer) throw StorageError("store " + dir + " is open read-only");
  std::vector<Operation> checked = std::move(ops).release();
  validate(checked, /*documents_canonical=*/true);
  return append(std::move(checked), std::move(origin), nullptr);
}

// The head takes the record's strings: the writer has encoded it already.
CommitResult Store::Impl::append(std::vector<Operation> ops, std::string origin,
                                 const JournalWriter::Prepare& prepare) {
  // A restore or an import (prepare) brings back values the store held or
  // the files hold: they are not refused.
  bool config = false;  // the record writes the config collection
  auto stage = [this, check = check_config && !prepare, &config](Record& record) {
    writer_held.assert_held();  // the writer stages under its lock
    auto resolved = head_for_writer().resolve(record.ops);  // may refuse
    if (check) validate_config(resolved ? *resolved : record.ops);
    for (const auto& op : record.ops)
      config = config || op.collection == kConfigCollection;
    MutexLock lock(&head_mu);
    for (ChangeLog* changes : change_logs) changes->note(record.ops);
    if (resolved) {
      head.apply({record.seq, record.time_ns, std::move(*resolved), {}});
    } else {
      head.apply(std::move(record));
    }
  };
  uint64_t bytes = 0;
  for (const auto& op : ops)
    bytes += op.collection.size() + op.key.size() + op.document.size();
  Record record = writer->enqueue(std::move(ops), std::move(origin), stage, prepare);
  compactor->note_commit(bytes, 1, config);
  return {record.seq, record.time_ns};
}

// Freezes the head at the batch's last commit: the batch's committers are
// queued behind the writer's lock, so the head is at exactly last_seq.
void Store::Impl::cut(uint64_t last_seq) {
  if (lazy_publish) return;
  MutexLock lock(&head_mu);
  StateVersion version = head.freeze();
  (void)last_seq;  // the head's own seq, which stage() set
  cut_versions.push_back(std::move(version));
}

// Publishes the newest version cut at or before last_seq. The one it
// replaces is released after published_mu, so that freeing the nodes only
// it held never holds up a reader.
void Store::Impl::publish(uint64_t last_seq) noexcept {
  if (lazy_publish) {
    written_seq.store(last_seq, std::memory_order_release);
    return;
  }
  std::optional<StateVersion> newest;
  while (!cut_versions.empty() && cut_versions.front().last_seq() <= last_seq) {
    newest = std::move(cut_versions.front());
    cut_versions.pop_front();
  }
  if (!newest) return;
  {
    MutexLock lock(&published_mu);
    std::swap(published, *newest);
  }
}

// Lazy publishing: a read that finds the published version behind the
// newest write publishes the head. The head may hold a commit being written
// meanwhile, which kInterval and kNone allow to be seen (docs/design.md 10).
StateVersion Store::Impl::published_version() {
  load_in_full();
  if (lazy_publish) {
    uint64_t written = written_seq.load(std::memory_order_acquire);
    MutexLock lock(&published_mu);
    if (published.last_seq() >= written) return published;
    lock.unlock();
    publish_head();
  }
  MutexLock lock(&published_mu);
  return published;
}

void Store::Impl::publish_head() {
  MutexLock head_lock(&head_mu);
  StateVersion version = head.freeze();
  MutexLock lock(&published_mu);
  if (version.last_seq() > published.last_seq()) std::swap(published, version);
}

// The config settings the store honours (the seed's DEFAULT_CONFIG names),
// without freezing a version (published_version() does under lazy
// publishing), which would make the next commit copy its tree paths again:
// last_seq is the seq published_version() would have, and the settings are
// read from the head under head_mu, a few lookups that hold up a commit's
// stage for as long. The head may hold a config commit not yet durable: it
// decides only whether and when to compact, and compaction captures the
// published version all the same.
Compactor::Settings Store::Impl::settings() {
  Compactor::Settings out;
  {
    MutexLock lock(&published_mu);
    out.last_seq = published.last_seq();
  }
  if (lazy_publish)
    out.last_seq = std::max(out.last_seq, written_seq.load(std::memory_order_acquire));
  auto is_false = [](const std::string* v) { return v != nullptr && *v == "false"; };
  MutexLock lock(&head_mu);
  out.automatic = !is_false(head.find(kConfigCollection, "backup_enabled")) &&
                  !is_false(head.find(kConfigCollection, "auto_save"));
  if (const std::string* seconds = head.find(kConfigCollection, "auto_save_interval")) {
    out.interval_ms = positive_integer(*seconds) * 1000;
  }
  return out;
}

// A version is already the state at one seq, whatever is committed after:
// reading it in place (state_views) holds up no commit, and copies nothing.
Compactor::Capture Store::Impl::capture() {
  StateVersion state = published_version();
  Compactor::Capture out;
  if (const std::string* count = state.find(kConfigCollection, "backup_count")) {
    out.backup_count = positive_integer(*count);
  }
  out.collections = state_views(state);
  out.seq = state.last_seq();
  out.time_ns = state.last_time_ns();
  return out;
}

CommitResult Store::put(std::string_view collection, std::string_view key,
                        std::string_view json) {
  return commit(one_op(OpKind::kPut, collection, key, json));
}

CommitResult Store::patch(std::string_view collection, std::string_view key,
                          std::string_view json_merge_patch) {
  return commit(one_op(OpKind::kPatch, collection, key, json_merge_patch));
}

CommitResult Store::remove(std::string_view collection, std::string_view key) {
  return commit(one_op(OpKind::kDelete, collection, key, {}));
}

CommitResult Store::put(std::string_view collection, std::string_view key,
                        std::string_view json, uint64_t if_seq) {
  return commit(one_op(OpKind::kPut, collection, key, json, if_seq));
}

CommitResult Store::patch(std::string_view collection, std::string_view key,
                          std::string_view json_merge_patch, uint64_t if_seq) {
  return commit(one_op(OpKind::kPatch, collection, key, json_merge_patch, if_seq));
}

CommitResult Store::remove(std::string_view collection, std::string_view key,
                           uint64_t if_seq) {
  return commit(one_op(OpKind::kDelete, collection, key, {}, if_seq));
}

CommitResult Store::commit(std::vector<Operation> ops, std::string origin) {
  CommitResult result = impl_->enqueue(std::move(ops), std::move(origin));
  wait_durable(result.seq);
  return result;
}

CommitResult Store::enqueue(std::vector<Operation> ops, std::string origin) {
  return impl_->enqueue(std::move(ops), std::move(origin));
}

CommitResult CanonicalCommits::enqueue(Store& store, CanonicalOps ops,
                                       std::string origin) {
  return store.impl_->enqueue_canonical(std::move(ops), std::move(origin));
}

void Store::wait_durable(uint64_t seq) {
  if (impl_->writer) impl_->writer->wait_durable(seq);
}

// The state at t_ns, read from the store's files while no compaction removes
// a snapshot or segment under the reader. Under kAlways the files are read
// only as far as they are durable (docs/readers.md): the commits made so far
// are waited for first, so that none made before t_ns is missed.
Collections Store::Impl::past_state(int64_t t_ns) const {
  if (writer && options.durability == Durability::kAlways) {
    try {
      writer->sync();
    } catch (const StorageError&) {
      // A failed journal: what is durable is all there is to read.
    }
  }
  std::unique_lock<std::mutex> paused;
  if (compactor) paused = compactor->pause();
  return state_at(dir, t_ns, options);
}

std::vector<DocumentChange> Store::plan_restore(int64_t t_ns) const {
  Collections target = impl_->past_state(t_ns);
  return diff_version(impl_->published_version(), target);
}

// The change is computed against a consistent state without the writer's
// lock, and under it only the keys written since are looked at again
// (store/change_log.cc): the commit lands exactly on target, and committers
// wait for O(commits since) at most, not for a diff of the whole state.
CommitResult Store::restore_to(int64_t t_ns) {
  Impl::ChangeWatch watch(*impl_);  // before the consistent state is taken
  StateVersion base = impl_->consistent_state();
  Collections target = impl_->past_state(t_ns);
  std::vector<DocumentChange> changes = diff_version(base, target);
  base = {};
  auto target_of = [&target](const std::string& collection, const std::string& key,
                             const std::string*) -> std::optional<std::string> {
    auto c = target.find(collection);
    if (c == target.end()) return std::nullopt;
    auto d = c->second.find(key);
    if (d == c->second.end()) return std::nullopt;
    return d->second;
  };
  auto prepare = [&](Record& record) {
    impl_->writer_held.assert_held();  // the writer prepares under its lock
    auto at_head = impl_->changes_at_head(std::move(changes), watch, target_of);
    if (!at_head) at_head = diff_states(impl_->head_for_writer().collections(), target);
    record.ops = operations_for(std::move(*at_head));
    if (record.ops.empty()) throw NothingToRestore{};
  };
  CommitResult result;
  try {
    result = impl_->enqueue({}, "restore to " + format_time_ns(t_ns), prepare);
  } catch (const NothingToRestore&) {
    return {};
  }
  wait_durable(result.seq);
  if (impl_->log) {
    impl_->log->write("INFO", "restore to " + format_time_ns(t_ns) + ": commit " +
                                  std::to_string(result.seq));
  }
  return result;
}

void Store::retain_backups(size_t keep_count) {
  if (!impl_->compactor) throw StorageError("store " + impl_->dir + " is open read-only");
  impl_->compactor->retain(keep_count);
}

CommitResult Store::export_to(const std::string& out_dir) const {
  Compactor::Capture state = impl_->capture();
  write_export(*impl_->fs, out_dir, state.collections, state.seq, state.time_ns,
               task_ticks(impl_->options.progress, "export", "documents"));
  log_event("INFO", "export of seq " + std::to_string(state.seq) + " to " + out_dir);
  return {state.seq, state.time_ns};
}

BackupResult Store::backup_to(const std::string& out_dir) {
  std::unique_lock<std::mutex> paused;
  if (impl_->compactor) paused = impl_->compactor->pause();
  BackupResult result =
      backup_store_publishing(impl_->dir, out_dir, impl_->options, [this] { sync(); });
  log_event("INFO",
            "backup to " + result.out_dir + " at seq " + std::to_string(result.seq));
  return result;
}

void Store::log_event(std::string_view level, std::string_view message) const {
  if (level != "INFO" && level != "WARN" && level != "ERROR") {
    throw InvalidInputError("log level '" + std::string(level) +
                            "' is not INFO, WARN or ERROR");
  }
  if (impl_->log) impl_->log->write(level, message);
}

CompactionResult Store::compact() {
  if (!impl_->compactor) throw StorageError("store " + impl_->dir + " is open read-only");
  return impl_->compactor->compact(impl_->options.progress);
}

const RecoveryReport& Store::recovery() const {
  return impl_->fallback_reported.load(std::memory_order_acquire) ? impl_->fallback_report
                                                                  : impl_->report;
}

const std::string& Store::dir() const { return impl_->dir; }

bool Store::created() const { return impl_->created; }

const std::string& Store::store_id() const { return impl_->store_id; }

std::optional<ReplicationStatus> Store::replication_status() const {
  if (!impl_->shipper) return std::nullopt;
  return impl_->shipper->status();
}

void Store::sync() {
  if (impl_->writer) impl_->writer->sync();
}

}  // namespace pa_journal
