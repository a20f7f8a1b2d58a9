// Adopting the personal-assistant app's directory (include/pa_journal/adopt.h).
//
// Crash-safety argument
// ---------------------
// The adoption record backups/adopted/adoption.json (snapshot/seed_layout.h)
// is the adoption's commit point, written atomically before anything of the
// app's is touched; from then until it says "done", every writable open
// refuses the directory, so nothing but `adopt` writes there meanwhile.
// 1. Plan (read only): every file of the app is read and parsed; the commits
//    are computed by replaying them onto an empty state. A refused file
//    stops here, and nothing has changed but a LOCK file.
// 2. Under LOCK, the record is written: the files to move with their sizes
//    and XXH3, the commits with their origins and times.
// 3. Each file is moved by rename(2) to backups/adopted/<its path>, and both
//    directories are synced. A rename is atomic, so after a crash each file
//    is whole at exactly one of its two places.
// 4. The store is opened (LOCK again) and the commits appended in order,
//    each durable before the next. After a crash the journal holds the
//    first k of them: checked by their origins, the rest are appended.
// 5. A compaction writes the first snapshot and readable files; then the
//    record is rewritten with "done".
// Running adopt again after a crash at any step re-reads the record, checks
// that every file it names is at one of its two places with its recorded
// size and checksum (else it stops and says which file), finishes the moves,
// appends the commits the journal lacks, and goes on from step 5. No step
// deletes or rewrites a file of the app, so nothing of the app's is lost.
//
// Thread-safety: see adopt.h.
#include "pa_journal/adopt.h"

#include <atomic>
#include <memory>
#include <set>

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "snapshot/list_file.h"
#include "snapshot/seed_layout.h"
#include "store/store_impl.h"

namespace pa_journal {

// The one way in to Store::open_unchecked: adoption opens the directory
// that every other writable open refuses.
struct AdoptionAccess {
  // The app's settings are adopted as the app left them, allowed or not: the
  // store ignores a value it cannot use, and refusing it would refuse the
  // whole adoption.
  static std::unique_ptr<Store> open(const std::string& dir, Options options) {
    std::unique_ptr<Store> store = Store::open_unchecked(dir, std::move(options));
    store->impl_->check_config = false;
    return store;
  }
};

namespace {

using nlohmann::json;

// One commit of the plan and the files whose lists it holds.
struct Step {
  AdoptionCommit commit;
  std::vector<SeedFile> files;
};

struct Plan {
  AdoptionRecord record;
  std::vector<Step> steps;
  std::vector<std::pair<std::string, std::string>> left_alone;
  bool resumed = false;
};

std::string kept_path(const std::string& path) { return adopted_path(path); }

// Where a file of the app is now: moved already, or still at its place.
// Once it is moved, its place may hold a file of the store's own (the
// readable contacts.json, storage.log).
std::string located(FileSystem& fs, const std::string& dir, const std::string& path) {
  std::string kept = adopted_file_name(dir, path);
  return fs.exists(kept) ? kept : join_path(dir, path);
}

// The list a file of the app holds. Throws InvalidInputError naming the
// file and, for text that is not JSON, the line and column.
ListDocuments parse_list(const SeedFile& file, const std::string& text) {
  try {
    json list = parse_input_json(text, /*wrapping_levels=*/1);
    if (!list.is_array()) throw InvalidInputError("not a JSON list");
    return documents_of_list(file.collection, list);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(file.path + ": " + e.what());
  }
}

// The state the plan's commits build, to find what each one changes.
struct Simulation {
  Collections state;
  std::vector<Operation> apply(const SeedFile& file, const ListDocuments& docs) {
    Collection& current = state[file.collection];
    const Collection& orders = state[kOrderCollection];
    auto order = orders.find(file.collection);
    std::vector<Operation> ops = list_changes(
        file.collection, current, order == orders.end() ? nullptr : &order->second, docs);
    for (const Operation& op : ops) {
      if (op.kind == OpKind::kDelete) {
        state[op.collection].erase(op.key);
      } else {
        state[op.collection][op.key] = op.document;
      }
    }
    return ops;
  }
};

std::string origin_of(const std::vector<SeedFile>& files) {
  std::string origin = "adopted from ";
  for (size_t i = 0; i < files.size(); ++i) origin += (i ? ", " : "") + files[i].path;
  return origin;
}

// Reads the files of steps (each a commit of the files it names) in order
// and keeps the steps that change something.
std::vector<Step> simulate(FileSystem& fs, const std::string& dir,
                           const std::vector<Step>& candidates) {
  Simulation sim;
  std::vector<Step> out;
  for (const Step& step : candidates) {
    uint64_t operations = 0;
    for (const SeedFile& f : step.files) {
      operations +=
          sim.apply(f, parse_list(f, fs.read_file(located(fs, dir, f.path)))).size();
    }
    if (operations == 0) continue;
    out.push_back(step);
    out.back().commit.operations = operations;
  }
  return out;
}

// Every file of the app that adoption moves, with its size and checksum.
void add_file(FileSystem& fs, const std::string& dir, const std::string& path,
              AdoptionRecord& record) {
  std::string data = fs.read_file(located(fs, dir, path));
  record.files.push_back({path, data.size(), checksum(data)});
}

// Drops (with skip_damaged, noting why) or refuses the files that are not
// valid lists.
std::vector<SeedFile> valid_files(FileSystem& fs, const std::string& dir,
                                  const std::vector<SeedFile>& files, bool skip_damaged,
                                  AdoptionRecord& record) {
  std::vector<SeedFile> out;
  for (const SeedFile& f : files) {
    try {
      parse_list(f, fs.read_file(located(fs, dir, f.path)));
      out.push_back(f);
    } catch (const InvalidInputError& e) {
      if (!skip_damaged) {
        throw InvalidInputError(std::string(e.what()) + "; nothing was changed",
                                {Remedy::Kind::kSkipDamaged, {}});
      }
      record.skipped.emplace_back(f.path, e.what());
    }
  }
  return out;
}

Plan new_plan(FileSystem& fs, const std::string& dir, bool skip_damaged) {
  SeedLayout layout = find_seed_files(fs, dir);
  if (!layout.has_data()) {
    throw InvalidInputError(dir + " holds none of the app's files (NAME.json, " +
                            "backups/NAME_YYYYMMDD_HHMMSS.json): nothing to adopt");
  }
  Plan plan;
  plan.left_alone = layout.left_alone;
  std::vector<Step> candidates;
  for (const SeedFile& b :
       valid_files(fs, dir, layout.backups, skip_damaged, plan.record)) {
    candidates.push_back({{"adopted from " + b.path, *b.backup_time_ns}, {b}});
  }
  std::vector<SeedFile> current =
      valid_files(fs, dir, layout.current, skip_damaged, plan.record);
  if (!current.empty())
    candidates.push_back({{origin_of(current), system_now_ns()}, current});
  plan.steps = simulate(fs, dir, candidates);
  for (const auto* group : {&layout.backups, &layout.current, &layout.logs}) {
    for (const SeedFile& f : *group) add_file(fs, dir, f.path, plan.record);
  }
  for (const Step& s : plan.steps)
    plan.record.commits.push_back({s.commit.origin, s.commit.time_ns});
  return plan;
}

// A file named in the record, as the plan needs it.
SeedFile seed_file_of(const std::string& path) {
  const std::string backups = in_backups("");
  if (path.starts_with(backups)) {
    if (auto b = parse_seed_backup_name(path.substr(backups.size()))) return *b;
  }
  const size_t suffix = kJsonSuffix.size();  // a recorded file: NAME.json, storage.log
  return {path, path.size() > suffix ? path.substr(0, path.size() - suffix) : path,
          std::nullopt};
}

// Checks that every file the record names is whole at one of its places.
void check_recorded_files(FileSystem& fs, const std::string& dir,
                          const AdoptionRecord& record) {
  for (const auto& f : record.files) {
    std::string path = located(fs, dir, f.path);
    std::string what;
    if (!fs.exists(path)) {
      what = "is neither at " + f.path + " nor at " + kept_path(f.path);
    } else {
      std::string data = fs.read_file(path);
      if (data.size() != f.bytes || checksum(data) != f.xxh3) {
        what = "(at " + path.substr(dir.size() + 1) + ") changed since";
      }
    }
    if (!what.empty()) {
      throw StorageError("cannot finish the adoption of " + dir + ": " + f.path + " " +
                             what + " the adoption began (" + kAdoptionRecord +
                             " lists it); put the app's file back as it was",
                         {Remedy::Kind::kAdoptToFinish, dir});
    }
  }
}

// The plan of an adoption that did not finish, rebuilt from its record.
Plan resumed_plan(FileSystem& fs, const std::string& dir, AdoptionRecord record) {
  check_recorded_files(fs, dir, record);
  std::set<std::string> skipped;
  for (const auto& [path, _] : record.skipped) skipped.insert(path);
  std::vector<SeedFile> current;
  std::vector<Step> candidates;
  for (const auto& f : record.files) {
    SeedFile file = seed_file_of(f.path);
    if (skipped.count(f.path) || f.path == kStorageLogName) continue;
    if (file.backup_time_ns) {
      candidates.push_back({{"adopted from " + file.path, 0}, {file}});
    } else {
      current.push_back(file);
    }
  }
  if (!current.empty()) candidates.push_back({{origin_of(current), 0}, current});
  Plan plan;
  plan.resumed = true;
  plan.steps = simulate(fs, dir, candidates);
  if (plan.steps.size() != record.commits.size()) {
    throw StorageError("cannot finish the adoption of " + dir + ": its files no longer " +
                       "give the commits " + kAdoptionRecord + " lists");
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].commit.origin != record.commits[i].origin) {
      throw StorageError("cannot finish the adoption of " + dir + ": commit " +
                         std::to_string(i + 1) + " would be '" +
                         plan.steps[i].commit.origin + "', the record says '" +
                         record.commits[i].origin + "'");
    }
    plan.steps[i].commit.time_ns = record.commits[i].time_ns;  // the first run's times
  }
  plan.record = std::move(record);
  return plan;
}

// Step 3: every file not moved yet goes under backups/adopted/.
void move_files(FileSystem& fs, const std::string& dir, const AdoptionRecord& record) {
  std::set<std::string> touched;
  for (const auto& f : record.files) {
    std::string from = join_path(dir, f.path), to = adopted_file_name(dir, f.path);
    if (fs.exists(to)) continue;
    std::string to_dir = to.substr(0, to.rfind('/'));
    create_dirs_durably(fs, to_dir);
    fs.rename(from, to);
    touched.insert(from.substr(0, from.rfind('/')));
    touched.insert(to_dir);
  }
  for (const auto& d : touched) fs.sync_dir(d);
}

// Step 4: the origins of the commits already in the journal must be the
// plan's first ones; returns how many there are.
size_t commits_done(const std::string& dir, const Options& options, const Plan& plan) {
  std::vector<std::string> origins;
  Options read = options;
  read.read_only = true;
  read_records(
      dir, {}, [&](const Record& r) { origins.push_back(r.origin); }, read);
  if (origins.size() > plan.steps.size()) {
    throw StorageError("cannot finish the adoption of " + dir + ": its journal holds " +
                       std::to_string(origins.size()) + " commits, the adoption has " +
                       std::to_string(plan.steps.size()));
  }
  for (size_t i = 0; i < origins.size(); ++i) {
    if (origins[i] != plan.steps[i].commit.origin) {
      throw StorageError("cannot finish the adoption of " + dir + ": commit " +
                         std::to_string(i + 1) + " is '" + origins[i] + "', not '" +
                         plan.steps[i].commit.origin + "'");
    }
  }
  return origins.size();
}

// The operations of step against the store's state now.
std::vector<Operation> step_operations(FileSystem& fs, const std::string& dir,
                                       const Store& store, const Step& step) {
  std::vector<Operation> ops;
  for (const SeedFile& f : step.files) {
    ListDocuments docs = parse_list(f, fs.read_file(located(fs, dir, f.path)));
    auto listed = store.list(f.collection);
    Collection current(listed.begin(), listed.end());
    std::optional<std::string> order = store.get(kOrderCollection, f.collection);
    for (auto& op :
         list_changes(f.collection, current, order ? &*order : nullptr, docs)) {
      ops.push_back(std::move(op));
    }
  }
  return ops;
}

// Steps 4 and 5 in the store.
void append_and_finish(FileSystem& fs, const std::string& dir, Options options,
                       Plan& plan) {
  auto next_time = std::make_shared<std::atomic<int64_t>>(0);
  options.clock_ns = [next_time] { return next_time->load(); };
  options.auto_compact = false;
  options.read_only = false;
  auto store = AdoptionAccess::open(dir, options);
  size_t done = commits_done(dir, options, plan);
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    AdoptionCommit& commit = plan.steps[i].commit;
    if (i < done) {
      commit.seq = i + 1;
      continue;
    }
    next_time->store(commit.time_ns);
    CommitResult r =
        store->commit(step_operations(fs, dir, *store, plan.steps[i]), commit.origin);
    commit.seq = r.seq;
    commit.time_ns = r.time_ns;
  }
  next_time->store(std::max(system_now_ns(), next_time->load()));
  store->compact();
  plan.record.done = true;
  write_adoption_record(fs, dir, plan.record);
  store->log_event("INFO", "adopted " + dir + ": " + std::to_string(plan.steps.size()) +
                               " commits; the app's files are kept under " +
                               adopted_dir(""));
}

AdoptionReport report_of(const Plan& plan, bool dry_run) {
  AdoptionReport report;
  report.dry_run = dry_run;
  report.resumed = plan.resumed;
  for (const Step& s : plan.steps) report.commits.push_back(s.commit);
  for (const auto& f : plan.record.files) report.kept.push_back(f.path);
  report.skipped = plan.record.skipped;
  report.left_alone = plan.left_alone;
  return report;
}

std::shared_ptr<FileSystem> file_system_of(const Options& options) {
  return options.file_system ? options.file_system : posix_file_system();
}

// The plan for dir as it is now: a new one, or the rest of one that began.
Plan plan_for(FileSystem& fs, const std::string& dir, bool skip_damaged) {
  std::optional<AdoptionRecord> record = read_adoption_record(fs, dir);
  if (record && record->done) {
    throw InvalidInputError(dir + " was adopted already: it is a store (" +
                            kAdoptionRecord + ")");
  }
  if (record) return resumed_plan(fs, dir, std::move(*record));
  if (seed_dir_state(fs, dir) == SeedDirState::kNotSeed && fs.exists(journal_dir(dir))) {
    throw InvalidInputError(dir + " is a store already",
                            {Remedy::Kind::kImportInstead, {}});
  }
  return new_plan(fs, dir, skip_damaged);
}

}  // namespace

bool needs_adoption(const std::string& dir, const Options& options) {
  return seed_dir_state(*file_system_of(options), dir) != SeedDirState::kNotSeed;
}

AdoptionReport adopt_store(const std::string& dir, const AdoptOptions& adopt,
                           Options options) {
  std::shared_ptr<FileSystem> fs = file_system_of(options);
  if (!fs->exists(dir)) throw NotFoundError("no directory " + dir + " to adopt");
  // Planned first without LOCK, so that a refused file leaves the
  // directory exactly as it was.
  Plan plan = plan_for(*fs, dir, adopt.skip_damaged);
  if (adopt.dry_run) return report_of(plan, true);
  {
    // Planned again under LOCK if another adoption began or ended since, so
    // that of two adoptions started together the second goes on from the
    // first one's record.
    std::unique_ptr<FileLock> lock =
        fs->lock_within(lock_file_name(dir), options.lock_wait_ms);
    std::optional<AdoptionRecord> record = read_adoption_record(*fs, dir);
    if (record.has_value() != plan.resumed || (record && record->done)) {
      plan = plan_for(*fs, dir, adopt.skip_damaged);
    }
    if (!plan.resumed) write_adoption_record(*fs, dir, plan.record);  // step 2
    move_files(*fs, dir, plan.record);                                // step 3
  }
  append_and_finish(*fs, dir, options, plan);
  return report_of(plan, false);
}

}  // namespace pa_journal
