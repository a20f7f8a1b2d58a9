// The state model: collections of keyed JSON documents, changed only by
// applying records. Documents are held as compact JSON text and parsed only to
// apply a merge patch. A collection, once it exists, stays (possibly empty), so
// that snapshots and readable state files can say it is empty.
//
// Versions. A State is the head that records are applied to; freeze() hands
// out the state as it stands as a StateVersion, which never changes
// afterwards. Versions and the head share every document they have in
// common: each collection is a persistent B+tree (replay/doc_tree.h) that a
// record changes by copying only the nodes on its paths.
//
// Invariants:
// 1. A StateVersion is immutable: no record applied to the head after the
//    freeze() that made it changes what it reads, and any number of threads
//    may keep and read versions without a lock, beside the head's writer.
// 2. The head writes in place only the tree nodes of its own edit session;
//    freeze() (and copying a State) ends the session, so the nodes a version
//    reaches are never written again (doc_tree.h, invariants 1 and 2).
// 3. apply() is all or nothing: a record that throws part-way leaves the head
//    as it was before the record.
// 4. Every document's seq (DocTree::Entry) is at or after the commit that
//    last changed it, and every collection's erased_seq() at or after its
//    newest delete that the state still shows (a document absent now): exact
//    for records applied, the snapshot's seq for what load() brought in. So
//    a compare-and-set judged on them may refuse a commit that was safe,
//    never accept one that loses a change.
//
// Thread-safety: a State has one writer at a time. freeze() counts as a
// writer, but writes only frozen_ and session_, which the const functions
// never read: so a freeze may run beside find(), collection(), resolve() and
// collections(), though not beside apply() or load() (the store's head,
// store/store_impl.h). A StateVersion: any thread, no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pa_journal/record.h"
#include "replay/doc_tree.h"

namespace pa_journal {

// Collection name -> its documents; a version's or the head's.
using CollectionTrees = std::map<std::string, DocTree, std::less<>>;

// The state after one record (or a load), frozen. A handle: copying it copies
// one pointer. Pointers it returns live as long as it or a copy of it does.
class StateVersion {
 public:
  StateVersion();  // the empty state at seq 0

  const std::string* find(std::string_view collection, std::string_view key) const;
  // The same, with the seq of the document's last change (invariant 4).
  const DocTree::Entry* find_entry(std::string_view collection,
                                   std::string_view key) const;
  const DocTree* collection(std::string_view name) const;
  const CollectionTrees& trees() const { return data_->trees; }
  std::vector<std::string> collection_names() const;
  uint64_t last_seq() const { return data_->seq; }
  int64_t last_time_ns() const { return data_->time_ns; }
  size_t document_count() const;
  uint64_t hash() const;
  // A copy of every collection: O(documents), for the callers that need the
  // whole state as a value (snapshots, exports, diffs).
  Collections materialize() const;

 private:
  friend class State;
  struct Data {
    CollectionTrees trees;
    uint64_t seq = 0;
    int64_t time_ns = 0;
  };
  explicit StateVersion(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;
};

class State {
 public:
  State();
  // Both states share every node; copying ends the source's edit session
  // (invariant 2), so it must not run beside the source's writer.
  State(const State& other);
  State& operator=(const State& other);
  State(State&&) noexcept;
  State& operator=(State&&) noexcept;
  ~State();

  // Checks a commit against the current state (docs/design.md 3: a patch or delete
  // of a missing document is refused) and returns its operations with every
  // patch turned into the put of the document it produces; nullopt if the
  // commit holds no patch, so that its operations apply as they are. Throws
  // ConflictError for an operation whose if_seq the state contradicts
  // (pa_journal/record.h; judged before the commit's own operations),
  // InvalidInputError or NotFoundError; the state is not changed either way.
  std::optional<std::vector<Operation>> resolve(const std::vector<Operation>& ops) const;

  // Replaces the whole state with a snapshot's collections at seq/time_ns.
  void load(Collections collections, uint64_t seq, int64_t time_ns);

  // Applies a record exactly as it says. Never throws for content: a patch of a
  // missing document patches null, a delete of a missing one does nothing, so
  // replay is total. All or nothing (invariant 3): if it throws part-way
  // (memory, or a patch of a stored document that does not parse), the state
  // is as it was. Versions frozen before are never changed (invariant 1).
  void apply(const Record& record);
  // The same, taking the record's documents instead of copying them.
  void apply(Record&& record);

  // The state as it stands, as a version that later records do not change.
  // O(collections) the first time after a change; ends the edit session, so
  // the next record copies the nodes on its paths once more.
  StateVersion freeze();

  // O(log documents).
  const std::string* find(std::string_view collection, std::string_view key) const;
  const DocTree* collection(std::string_view name) const;
  std::vector<std::string> collection_names() const;
  // A copy of every collection: O(documents).
  Collections collections() const;

  uint64_t last_seq() const { return last_seq_; }
  int64_t last_time_ns() const { return last_time_ns_; }
  size_t document_count() const;
  // XXH3 of a canonical serialisation: equal states hash equal.
  uint64_t hash() const;

 private:
  template <typename Ops>
  void apply_all(Ops&& ops, uint64_t seq, int64_t time_ns);
  template <typename Op>
  void apply_op(Op&& op, uint64_t seq);
  void check_deletes(const std::vector<Operation>& ops) const;
  void check_if_seqs(const std::vector<Operation>& ops) const;
  void end_session() const { session_ = DocTree::new_session(); }

  CollectionTrees trees_;
  uint64_t last_seq_ = 0;
  int64_t last_time_ns_ = 0;
  uint64_t loaded_seq_ = 0;             // load()'s seq: seqs at it are bounds
  mutable uint64_t session_;            // the head's edit session
  std::optional<StateVersion> frozen_;  // freeze()'s, while nothing changed
};

// RFC 7396: the document that results from applying patch to target (null if
// absent). Both are compact JSON; so is the result.
std::string merge_patch(const std::string* target, const std::string& patch);

}  // namespace pa_journal
