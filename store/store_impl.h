// The inside of a Store (include/pa_journal/store.h), shared by the files
// that implement its calls: store.cc (open, commits, reads, restore,
// compaction) and import.cc.
//
// Thread-safety: as Store. state is read under state_mu (shared) and changed
// only by commits, under the journal writer's lock and then state_mu.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "journal/journal_writer.h"
#include "journal/storage_log.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "replay/state.h"
#include "store/compactor.h"

namespace pa_journal {

// The (collection, key) pairs that commits wrote since a consistent state
// was taken, so that a change computed against that state without the
// writer's lock (a restore, an import) is fixed up under it for those keys
// alone (docs/design.md, "Restore and import off the commit path").
//
// Invariant: from its registration (Store::Impl::ChangeWatch) on, every
// commit applied to the state first adds each (collection, key) it writes,
// until that would hold more than kMaxKeys pairs: then keys is emptied and
// overflowed set for good, and the owner recomputes its whole change under
// the writer's lock instead. Thread-safety: changed only by commits, under
// the writer's lock and state_mu; read by its owner under the writer's lock
// (in its Prepare), so it needs no lock of its own.
struct ChangeLog {
  static constexpr size_t kMaxKeys = 100000;
  std::set<std::pair<std::string, std::string>> keys;
  bool overflowed = false;

  void note(const std::vector<Operation>& ops);
};

struct Store::Impl {
  std::string dir;
  Options options;
  std::shared_ptr<FileSystem> fs;
  std::unique_ptr<FileLock> writer_lock;
  std::unique_ptr<StorageLog> log;
  RecoveryReport report;
  bool created = false;  // this open made journal/ (Store::created)

  mutable std::shared_mutex state_mu;
  State state;  // guarded by state_mu
  // Commits waiting for state_mu. A capture lets them in between its steps,
  // since std::shared_mutex may let a reader in ahead of a waiting writer.
  std::atomic<int> commits_waiting{0};
  std::mutex capture_mu;  // one capture of the state at a time
  // The change logs registered now; guarded by state_mu.
  std::vector<ChangeLog*> change_logs;
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<Compactor> compactor;  // after writer: destroyed before it
  // Commits are refused if they leave a config setting with a value it does
  // not allow (pa_journal/config.h); an adoption takes the app's as they are.
  bool check_config = true;

  std::unique_lock<std::shared_mutex> lock_for_commit();
  CommitResult enqueue(std::vector<Operation> ops, std::string origin,
                       const JournalWriter::Prepare& prepare = nullptr);
  void check_readable() const;
  Compactor::Capture capture();
  State::Captured copy_in_steps();
  void let_commits_in() const;
  Collections past_state(int64_t t_ns) const;
  Compactor::Settings settings() const;

  // A copy of the collections at one seq, taken without the writer's lock
  // (commits go on meanwhile). The one place that says how: today the
  // capture of copy_in_steps().
  State::Captured consistent_state();

  // Keeps a ChangeLog registered while it lives. Made before the consistent
  // state is taken, it holds every key written since that state's seq.
  class ChangeWatch {
   public:
    explicit ChangeWatch(Impl& impl);
    ~ChangeWatch();
    ChangeWatch(const ChangeWatch&) = delete;
    ChangeWatch& operator=(const ChangeWatch&) = delete;
    const ChangeLog& log() const { return log_; }

   private:
    Impl& impl_;
    ChangeLog log_;
  };

  // A key's value once a restore or an import has run, given its value at
  // the head (null: absent); nullopt: absent.
  using TargetOf = std::function<std::optional<std::string>(
      const std::string& collection, const std::string& key, const std::string* head)>;
  // Under the writer's lock: off_lock (the changes, in collection and key
  // order, computed against a consistent state taken after watch was made)
  // with every key of watch's log recomputed against the head by target_of,
  // so that the result takes the head exactly where the target says. The
  // work is O(keys in the log) plus moving off_lock, never O(state). An
  // overflowed log gives nullopt: recompute the whole change instead.
  std::optional<std::vector<DocumentChange>> changes_at_head(
      std::vector<DocumentChange> off_lock, const ChangeWatch& watch,
      const TargetOf& target_of) const;
};

// Thrown from a restore's Prepare when the state at T equals the current one.
struct NothingToRestore {};

// Takes the changes' documents instead of copying them.
inline std::vector<Operation> operations_for(std::vector<DocumentChange> changes) {
  std::vector<Operation> ops;
  ops.reserve(changes.size());
  for (auto& c : changes) {
    ops.push_back(
        c.after
            ? Operation{OpKind::kPut, std::move(c.collection), std::move(c.key),
                        std::move(*c.after)}
            : Operation{OpKind::kDelete, std::move(c.collection), std::move(c.key), {}});
  }
  return ops;
}

}  // namespace pa_journal
