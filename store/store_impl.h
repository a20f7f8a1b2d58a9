// The inside of a Store (include/pa_journal/store.h), shared by the files
// that implement its calls: store.cc (open, commits, reads, restore,
// compaction) and import.cc.
//
// Thread-safety: as Store. Two states (docs/design.md, "Reads beside
// writes"): head, the state every commit so far leaves, read and changed only
// under the journal writer's lock (its stage, prepare and visibility hooks);
// and published, the version readers take, which under Durability::kAlways
// holds only durable commits (journal/journal_writer.h, crash-safety rule 6).
// published_mu is held only to copy or replace that one handle.
//
// Under kInterval and kNone publishing is lazy, so that a commit costs no
// freeze (which makes the next commit copy the nodes on its path): the
// writer only notes the newest seq written, and the first read that finds
// the published version older freezes the head itself, under head_mu (which
// a commit holds only while it applies to the head). Readers in those modes
// may so wait for one commit's apply; under kAlways they never take head_mu.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
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

  // Under the journal writer's lock; also under head_mu when changed or
  // frozen.
  State head;
  std::mutex head_mu;
  bool lazy_publish = false;             // kInterval, kNone
  std::atomic<uint64_t> written_seq{0};  // lazy: the newest commit written
  // Versions frozen when a batch was cut, waiting for its sync, oldest
  // first; under the journal writer's lock.
  std::deque<StateVersion> cut_versions;
  mutable std::mutex published_mu;
  StateVersion published;  // guarded by published_mu
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<Compactor> compactor;  // after writer: destroyed before it
  // Commits are refused if they leave a config setting with a value it does
  // not allow (pa_journal/config.h); an adoption takes the app's as they are.
  bool check_config = true;

  CommitResult enqueue(std::vector<Operation> ops, std::string origin,
                       const JournalWriter::Prepare& prepare = nullptr);
  void check_readable() const;
  // The version readers see: under kAlways every durable commit and nothing
  // more. Its last_seq() is its seq. Any thread, no lock held after it returns.
  StateVersion published_version();
  // The visibility hooks the journal writer calls (under its lock).
  void cut(uint64_t last_seq);
  void publish(uint64_t last_seq) noexcept;
  void publish_head();  // lazy: freezes the head and publishes it
  Compactor::Capture capture();
  Collections past_state(int64_t t_ns) const;
  Compactor::Settings settings();
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
