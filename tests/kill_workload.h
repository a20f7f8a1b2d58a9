// The workload of the crash campaigns (kill -9 and power loss), shared by the
// child program that runs it and the tests that check what survived.
//
// Writer threads each commit a numbered series of commits. A commit is a pure
// function of (seed, round, thread, index), so the checker knows what every
// commit issued holds without being told, acknowledged or not. Each thread
// reuses a small set of keys, so the state stays small however long a soak
// runs; every value names its commit, so a record identifies itself.
//
// Besides the writers' commits the history holds restores ("restore to T") and
// imports ("import from DIR"); Model checks those against the state they must
// produce.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "pa_journal/record.h"
#include "pa_journal/store.h"

namespace pa_journal::testing {

struct WriterCommitId {
  uint32_t thread = 0;
  uint64_t index = 0;
};

// What one round was told had succeeded (returned, so durable under `always`).
struct Acks {
  std::map<uint64_t, WriterCommitId> commits;  // writer commits, by seq
  std::map<uint64_t, std::string> admin;       // seq -> "restore" or "import"
  std::map<std::string, uint64_t> exports;     // export dir -> seq it holds
};

// The operations of commit `index` of writer `thread`: one to three puts,
// and sometimes a put of a scratch key that the same commit deletes again (a
// delete that succeeds whatever restores did meanwhile).
std::vector<Operation> writer_commit(uint64_t seed, uint64_t round, uint32_t thread,
                                     uint64_t index);

// Which writer commit a record claims to be (from its first operation's
// value), or nullopt if it is not a writer commit of this round.
std::optional<WriterCommitId> writer_commit_id(const Record& record, uint64_t round);

// One round of the workload on an open store: kWriters threads commit
// writer_commit(seed, round, thread, 0..kCommits-1) in order while an admin
// thread, paced by their progress, restores to the time of an earlier commit
// of the round, exports to a new directory under exports_dir, or imports an
// earlier export. Each success is reported through `say` only after the call
// returned (so after its bytes were synced), as one line:
//   c THREAD INDEX SEQ     a writer commit
//   r SEQ                  a restore
//   e SEQ DIR              an export of the state at SEQ
//   i SEQ                  an import
// The store should compact after kCompactAfter records: a round then
// compacts at most kCommits * kWriters / kCompactAfter times on its own and
// once per admin action (imports compact), 9 times at most. So if the checker
// compacts after each check, the snapshot it made is among the newest
// backup_count (10) all through the next round, and no segment holding a
// record the checker has not seen yet is ever removed.
class WorkloadRound {
 public:
  static constexpr uint32_t kWriters = 4;
  static constexpr uint64_t kCommits = 30;  // per writer
  static constexpr uint64_t kAdminEvery = 30;
  static constexpr uint64_t kCompactAfter = 24;

  using Say = std::function<void(const std::string& line)>;
  // With sync_before_ack, every call is followed by Store::sync() before it
  // is reported: for stores opened with Durability::kNone, where only an
  // explicit sync makes a commit durable.
  WorkloadRound(Store* store, uint64_t seed, uint64_t round, std::string exports_dir,
                Say say, bool sync_before_ack = false);
  // Runs the round to its end, or until a call throws: then every thread
  // stops at its next step and the first error's message is returned.
  std::string run();

 private:
  void writer(uint32_t thread);
  void admin();
  void act(int64_t restore_time);
  bool stopped();
  void ack(const std::string& line);

  Store* store_;
  uint64_t seed_, round_;
  std::string exports_;
  Say say_;
  bool sync_before_ack_;
  std::mt19937_64 rng_;                // admin thread only
  std::vector<std::string> exported_;  // admin thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> times_;  // of acknowledged writer commits; guarded by mu_
  uint32_t writers_done_ = 0;   // guarded by mu_
  std::string error_;           // the first failure; guarded by mu_
};

// The acknowledgements in the complete lines of `say` output; sets *done if a
// line "done" is among them.
Acks parse_acks(const std::string& lines, bool* done);

// Collections without empty collections, so that "no collection" and "an
// empty collection" compare equal.
Collections without_empty(Collections collections);

// The state a history produces, and the states it passed through, to check
// restores and imports. Keeps the states of the records applied since the
// last forget_before(), so a round's checks cost a round's records.
class Model {
 public:
  const Collections& state() const { return state_; }
  uint64_t last_seq() const { return last_seq_; }
  void apply(const Record& record);
  // The state after the last record committed at or before t_ns among those
  // kept (the oldest kept state if t_ns is older; check with has_time_ns).
  const Collections& state_at_time(int64_t t_ns) const;
  bool covers_time(int64_t t_ns) const;
  // The state after record seq, which must be kept.
  const Collections* state_after(uint64_t seq) const;
  // Drops the kept states older than the current one.
  void forget_history();

 private:
  struct Kept {
    uint64_t seq;
    int64_t time_ns;
    Collections state;
  };
  Collections state_;
  uint64_t last_seq_ = 0;
  int64_t last_time_ns_ = 0;
  std::vector<Kept> kept_;  // oldest first; kept_[0] is the state at the last forget
};

// Parses "restore to <RFC 3339 time>"; nullopt for another origin.
std::optional<int64_t> restore_target(const std::string& origin);

// Checks the history recovered after each crash against what was issued, and
// carries the verified history from one round to the next. A round's records
// (those after the last verified one) must be:
//   - contiguous, numbered on from the verified prefix, which is unchanged;
//   - per writer thread, its commits 0, 1, 2, ... in order, each holding
//     exactly writer_commit(...): no hole, duplicate, reordering or change;
//   - restores that produce exactly the state at their target time, and
//     imports that produce exactly the exported state;
//   - every acknowledged commit, restore and import among them;
// and the reopened store's state must be the state the history produces.
class HistoryChecker {
 public:
  explicit HistoryChecker(uint64_t seed) : seed_(seed) {}
  // journal: every record the reopened store's journal holds, in order.
  // Returns "" or the first violation found.
  std::string check_round(uint64_t round, const Acks& acks,
                          const std::vector<Record>& journal,
                          const Collections& reopened_state);
  // Takes a record the test committed itself, outside any round, as verified.
  void accept(const Record& record);
  uint64_t verified_seq() const { return model_.last_seq(); }

 private:
  std::string check_record(uint64_t round, const Acks& acks, const Record& record,
                           std::map<uint32_t, uint64_t>* next_index);

  uint64_t seed_;
  Model model_;
  std::vector<size_t> digests_;  // of every verified record, by seq - 1
};

// The campaigns' store between rounds, on the real file system.
// Creates the store in dir with one commit and a snapshot of it, and hands the
// commit to checker: every round then starts with a snapshot behind it.
void start_campaign_store(const std::string& dir, HistoryChecker* checker);
// Reopens the store in dir (which repairs a torn tail) and, after a round's
// check, compacts it (see WorkloadRound). A problem is damage other than a
// torn tail, or a restorable window whose start cannot be read.
struct Reopened {
  std::string problem;  // or ""
  bool torn_tail = false;
  Collections state;
};
Reopened reopen_store(const std::string& dir);
void compact_store(const std::string& dir);
// What both campaigns do after a round: reopen, check the round against what
// was issued, verify clean, then compact, so that the next round starts from
// a snapshot of checked history. Returns "" or the first problem; sets
// *torn_tail when the reopen cut one.
std::string settle_round(const std::string& dir, uint64_t round, const Acks& acks,
                         HistoryChecker* checker, bool* torn_tail);
// Every record of the store's journal, in order.
std::vector<Record> read_history(const std::string& dir);

// The rolls compaction asked for (store/compactor.h, step 0) that dir's
// storage.log records, one line each: the campaigns assert they reach them.
uint64_t requested_rolls(const std::string& dir);

// The records a follower (inspect --records --json --follow --from-seq from)
// printed, judged against the journal recovered after the kill (journal):
// its complete lines must be the records from, from + 1, ... in order, none
// skipped or printed twice, each exactly as recovered, so none that recovery
// did not keep. Returns "" or the first violation; sets *printed.
std::string check_followed(const std::string& followed, uint64_t from,
                           const std::vector<Record>& journal, uint64_t* printed);

}  // namespace pa_journal::testing
