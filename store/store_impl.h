// The inside of a Store (include/pa_journal/store.h), shared by the files
// that implement its calls: store.cc (open, commits, reads, restore,
// compaction) and import.cc.
//
// Thread-safety: as Store. state is read under state_mu (shared) and changed
// only by commits, under the journal writer's lock and then state_mu.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "journal/journal_writer.h"
#include "pa_journal/store.h"
#include "replay/state.h"
#include "store/compactor.h"
#include "store/storage_log.h"

namespace pa_journal {

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
};

// Thrown from a restore's Prepare when the state at T equals the current one.
struct NothingToRestore {};

inline std::vector<Operation> operations_for(const std::vector<DocumentChange>& changes) {
  std::vector<Operation> ops;
  for (const auto& c : changes) {
    ops.push_back(c.after ? Operation{OpKind::kPut, c.collection, c.key, *c.after}
                          : Operation{OpKind::kDelete, c.collection, c.key, {}});
  }
  return ops;
}

}  // namespace pa_journal
