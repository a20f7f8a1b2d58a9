// The inside of a Store (include/pa_journal/store.h), shared by the files
// that implement its calls: store.cc (open, commits, restore, compaction),
// store_reads.cc (reads), lazy_open.cc and import.cc.
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
//
// Locks, as clang's analysis checks them (journal/thread_annotations.h):
// head_mu and published_mu are Mutexes, taken in that order. The journal
// writer's own lock, under which it calls stage, prepare, cut and publish,
// is private to JournalWriter: writer_held (a WriterHeld) stands for it. Each
// of those callbacks asserts it as it starts, on the writer's word
// (journal/journal_writer.h, crash-safety rule 6), and what only that lock
// guards is GUARDED_BY(writer_held), so the analysis checks that nothing
// outside those callbacks touches it.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "journal/journal_writer.h"
#include "journal/mutex.h"
#include "journal/thread_annotations.h"
#include "model/canonical_json.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "replay/lazy_state.h"
#include "replay/recovery.h"
#include "replay/state.h"
#include "store/background_shipper.h"
#include "store/compactor.h"
#include "store/storage_log.h"

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
// the writer's lock and head_mu; read by its owner under the writer's lock
// (in its Prepare), so it needs no lock of its own.
struct ChangeLog {
  static constexpr size_t kMaxKeys = 100000;
  std::set<std::pair<std::string, std::string>> keys;
  bool overflowed = false;

  void note(const std::vector<Operation>& ops);
};

// Stands for the journal writer's lock, which the store cannot name. Holds
// no lock itself: only the writer's callbacks may call assert_held().
class CAPABILITY("the journal writer's lock") WriterHeld {
 public:
  void assert_held() const ASSERT_CAPABILITY(this) {}
};

struct Store::Impl {
  std::string dir;
  Options options;
  std::shared_ptr<FileSystem> fs;
  std::unique_ptr<FileLock> writer_lock;
  std::unique_ptr<StorageLog> log;
  RecoveryReport report;
  bool created = false;  // this open made journal/ (Store::created)
  std::string store_id;  // STORE_ID (Store::store_id)

  WriterHeld writer_held;
  // The head is applied to under both the writer's lock and head_mu, and
  // frozen under head_mu alone; so head_mu guards it, and the writer's
  // callbacks, which hold the other lock, read it through head_for_writer().
  // Such a read may run beside a freeze under head_mu: freeze() writes only
  // the head's frozen_ and session_, which find(), resolve() and
  // collections() never read (replay/state.h, "Thread-safety").
  Mutex head_mu;
  State head GUARDED_BY(head_mu);
  bool lazy_publish = false;             // kInterval, kNone; set before any commit
  std::atomic<uint64_t> written_seq{0};  // lazy: the newest commit written
  // Versions frozen when a batch was cut, waiting for its sync, oldest
  // first.
  std::deque<StateVersion> cut_versions GUARDED_BY(writer_held);
  mutable Mutex published_mu ACQUIRED_AFTER(head_mu);
  StateVersion published GUARDED_BY(published_mu);
  // The change logs registered now.
  std::vector<ChangeLog*> change_logs GUARDED_BY(head_mu);
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<Compactor> compactor;  // after writer: destroyed before it
  // Options::replication; stopped first at close.
  std::unique_ptr<BackgroundShipper> shipper;
  // A read-only open leaves the state on disk (replay/lazy_state.h) until a
  // read needs all of it or finds a snapshot block damaged; then the state is
  // recovered in full, once, and lazy_live goes false for good
  // (store/lazy_open.cc). lazy itself stays: a read may still be using it.
  std::unique_ptr<LazyState> lazy;
  std::atomic<bool> lazy_live{false};
  std::once_flag full_load;
  RecoverOptions recover_options;
  // A lazy open or read that found an index or block damaged and read the
  // JSON whole instead: the full load's report with that damage in
  // index_fallbacks, written once before fallback_reported is set (release);
  // Store::recovery() returns it from then on, the open's report before.
  RecoveryReport fallback_report;
  std::atomic<bool> fallback_reported{false};
  // Tries a read-only open without loading the state; false: recover in full
  // (damaged then names the derived file that was damaged, if one was).
  bool open_lazily(std::optional<Damage>* damaged);
  // Recovers the state in full if the open was lazy (once; thread-safe);
  // damaged: the block that made a read fall back, if one did.
  void load_in_full(std::optional<Damage> damaged = std::nullopt)
      EXCLUDES(head_mu, published_mu);
  // Runs read against the lazy state; false (read not done, or to be done
  // again in full) if there is none or it found damage.
  bool lazy_read(const std::function<void(const LazyState&)>& read);

  // Commits are refused if they leave a config setting with a value it does
  // not allow (pa_journal/config.h); an adoption takes the app's as they are.
  bool check_config = true;

  // prepare runs under the writer's lock: it may read head_for_writer()
  // once it has asserted writer_held.
  CommitResult enqueue(std::vector<Operation> ops, std::string origin,
                       const JournalWriter::Prepare& prepare = nullptr)
      EXCLUDES(writer_held, head_mu, published_mu);
  // enqueue() of operations whose documents are known canonical: the same
  // checks and refusals, without checking the JSON again.
  CommitResult enqueue_canonical(CanonicalOps ops, std::string origin)
      EXCLUDES(writer_held, head_mu, published_mu);
  // enqueue() after its checks.
  CommitResult append(std::vector<Operation> ops, std::string origin,
                      const JournalWriter::Prepare& prepare)
      EXCLUDES(writer_held, head_mu, published_mu);
  void check_readable() const;
  // The version readers see: under kAlways every durable commit and nothing
  // more. Its last_seq() is its seq. Any thread, no lock held after it returns.
  StateVersion published_version() EXCLUDES(head_mu, published_mu);
  // The visibility hooks the journal writer calls (under its lock).
  void cut(uint64_t last_seq) REQUIRES(writer_held) EXCLUDES(head_mu);
  void publish(uint64_t last_seq) noexcept REQUIRES(writer_held) EXCLUDES(published_mu);
  // lazy: freezes the head and publishes it
  void publish_head() EXCLUDES(head_mu, published_mu);
  // The head, read by a callback of the writer. The analysis cannot say
  // "head_mu or the writer's lock": this is the one place it is told.
  const State& head_for_writer() const REQUIRES(writer_held) NO_THREAD_SAFETY_ANALYSIS {
    return head;
  }
  Compactor::Capture capture();
  Collections past_state(int64_t t_ns) const;
  Compactor::Settings settings() EXCLUDES(head_mu, published_mu);

  // A version of the head (every commit staged so far, durable or not),
  // taken without the writer's lock, under head_mu.
  StateVersion consistent_state() EXCLUDES(head_mu);

  // Keeps a ChangeLog registered while it lives. Made before the consistent
  // state is taken, it holds every key written since that state's seq.
  class ChangeWatch {
   public:
    explicit ChangeWatch(Impl& impl) EXCLUDES(impl.head_mu);
    ~ChangeWatch() EXCLUDES(impl_.head_mu);
    ChangeWatch(const ChangeWatch&) = delete;
    ChangeWatch& operator=(const ChangeWatch&) = delete;
    // Commits note keys under the writer's lock and head_mu: read it under
    // the writer's lock (changes_at_head, which requires it; the analysis
    // cannot tell that a watch's impl_ is the caller's this).
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
      const TargetOf& target_of) const REQUIRES(writer_held);
};

// The changes from a version to a state, exactly as
// diff_states(from.materialize(), to) gives them, without copying the
// version's documents (store/change_log.cc).
std::vector<DocumentChange> diff_version(const StateVersion& from, const Collections& to);

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
