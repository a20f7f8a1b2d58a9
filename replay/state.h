// The state model: collections of keyed JSON documents, changed only by
// applying records. Documents are held as compact JSON text and parsed only to
// apply a merge patch. A collection, once it exists, stays (possibly empty), so
// that snapshots and readable state files can say it is empty.
//
// Thread-safety: none; the store guards a State with a shared mutex. The
// capture functions below say what they need.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pa_journal/record.h"
#include "replay/key_index.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

class State {
 public:
  State();
  // A copy has no capture in progress.
  State(const State& other);
  State& operator=(const State& other);
  // Moves keep every document where it is, so the index stays valid.
  State(State&&) noexcept;
  State& operator=(State&&) noexcept;
  ~State();

  // Checks a commit against the current state (docs/design.md 3: a patch or delete
  // of a missing document is refused) and returns its operations with every
  // patch turned into the put of the document it produces; nullopt if the
  // commit holds no patch, so that its operations apply as they are. Throws
  // InvalidInputError or NotFoundError; the state is not changed either way.
  std::optional<std::vector<Operation>> resolve(const std::vector<Operation>& ops) const;

  // Replaces the whole state with a snapshot's collections at seq/time_ns.
  // Ends any capture in progress (its copy is lost).
  void load(Collections collections, uint64_t seq, int64_t time_ns);

  // Applies a record exactly as it says. Never throws for content: a patch of a
  // missing document patches null, a delete of a missing one does nothing, so
  // replay is total. All or nothing: if it throws part-way (memory, or a patch
  // of a stored document that does not parse), every operation of the record
  // applied so far is undone and the state is as it was (a capture in progress
  // may have kept values at its moment meanwhile, which stay right).
  void apply(const Record& record);
  // The same, taking the record's documents instead of copying them.
  void apply(Record&& record);

  const std::string* find(std::string_view collection, std::string_view key) const;
  const Collection* collection(std::string_view name) const;
  std::vector<std::string> collection_names() const;
  const Collections& collections() const { return collections_; }

  uint64_t last_seq() const { return last_seq_; }
  int64_t last_time_ns() const { return last_time_ns_; }
  size_t document_count() const;
  // XXH3 of a canonical serialisation: equal states hash equal.
  uint64_t hash() const;

  // A copy of the collections as they stand at one moment, taken in steps so
  // that records can be applied in between (compaction copies a large state
  // without holding off commits for the whole copy).
  //
  // begin_capture() notes the moment: last_seq(), last_time_ns() and the
  // collections that exist. Each capture_step() copies up to `budget` more
  // documents, in collection and key order, and returns true once the copy is
  // whole; take_capture() then hands it over. Invariant: for every document
  // the copy has not reached, apply() first keeps its value at the moment
  // (absent included) unless it already has, and the steps copy that value
  // instead of the current one; so the copy is exactly the state at the
  // moment, whatever was applied between the steps. Collections created since
  // are left out; collections emptied since are copied as they were.
  //
  // One capture at a time: capture_step() and take_capture() need one in
  // progress (capturing()); load() and cancel_capture() end it. Thread-safety:
  // none of these may run beside apply() or load(), but they change nothing
  // that find(), collection() and the other readers look at, so a caller may
  // hold a shared lock that excludes apply() while other threads read under
  // the same shared lock. capturing() reads what they change: only the thread
  // that captures, or one that excludes it, may call it.
  struct Captured {
    Collections collections;
    uint64_t seq = 0;
    int64_t time_ns = 0;
  };
  void begin_capture();
  bool capture_step(size_t budget);
  Captured take_capture();  // after capture_step() returned true
  void cancel_capture();    // drops a capture in progress, if any
  bool capturing() const { return capture_ != nullptr; }

 private:
  struct Capture;

  // One collection's documents in key order (for snapshots, listings and
  // diffs) and indexed by key, so that a commit or a get finds its document
  // in O(1) whatever the store's size. Both point into the nodes of
  // collections_, which never move while they exist.
  struct Indexed {
    Collection* docs;
    KeyIndex by_key;
  };

  // One change apply() made to the state, kept until the record is whole so
  // that a throw part-way can undo it. Undoing never allocates: it moves a
  // value or a node back, or erases one. It points to a document's key or
  // value rather than holding an iterator: a later operation of the record
  // may erase the document (extract its node) and the undo put it back, which
  // keeps pointers to the element valid but not iterators.
  struct Undo {
    enum Kind { kCreated, kInserted, kReplaced, kErased } kind;
    Indexed* c = nullptr;                // kInserted, kErased: its collection
    const std::string* key = nullptr;    // kInserted: the new document's key
    std::string* document = nullptr;     // kReplaced: the document replaced
    std::string value;                   // kReplaced: its value before
    Collection::node_type erased;        // kErased: the document's node
    Collections::iterator collection{};  // kCreated
  };

  template <typename Ops>
  void apply_all(Ops&& ops, uint64_t seq, int64_t time_ns);
  void roll_back() noexcept;
  // The changes of the record being applied: one log per thread, empty
  // between records, so that State stays as small as it was.
  static std::vector<Undo>& undo_log();
  void check_deletes(const std::vector<Operation>& ops) const;
  void keep_for_capture(const std::string& collection, const std::string& key,
                        const std::string* current);
  bool capture_collection(size_t& budget);
  template <typename Op>
  void apply_op(Op&& op, bool last);
  template <typename Document>
  void insert_document(Indexed& c, const std::string& key, Document&& document);
  void replace_document(Collection::iterator node, std::string document);
  void erase_document(Indexed& c, Collection::iterator node);
  Indexed& writable(const std::string& collection);
  void reindex();

  Collections collections_;
  std::unordered_map<std::string_view, Indexed> index_;  // over collections_
  uint64_t last_seq_ = 0;
  int64_t last_time_ns_ = 0;
  std::unique_ptr<Capture> capture_;  // while a capture is in progress
};

// RFC 7396: the document that results from applying patch to target (null if
// absent). Both are compact JSON; so is the result.
std::string merge_patch(const std::string* target, const std::string& patch);

}  // namespace pa_journal
