// The state model: collections of keyed JSON documents, changed only by
// applying records. Documents are held as compact JSON text and parsed only to
// apply a merge patch. A collection, once it exists, stays (possibly empty), so
// that snapshots and readable state files can say it is empty.
//
// Thread-safety: none; the store guards a State with a shared mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/record.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

class State {
 public:
  // Checks a commit against the current state and turns every patch into the
  // put of the document it produces (DESIGN.md 3: a patch or delete of a
  // missing document is refused). Throws InvalidInputError or NotFoundError;
  // the state is not changed either way.
  std::vector<Operation> resolve(const std::vector<Operation>& ops) const;

  // Replaces the whole state with a snapshot's collections at seq/time_ns.
  void load(Collections collections, uint64_t seq, int64_t time_ns);

  // Applies a record exactly as it says. Never throws for content: a patch of a
  // missing document patches null, a delete of a missing one does nothing, so
  // replay is total.
  void apply(const Record& record);

  const std::string* find(const std::string& collection, const std::string& key) const;
  const Collection* collection(const std::string& name) const;
  std::vector<std::string> collection_names() const;
  const Collections& collections() const { return collections_; }

  uint64_t last_seq() const { return last_seq_; }
  int64_t last_time_ns() const { return last_time_ns_; }
  size_t document_count() const;
  // XXH3 of a canonical serialisation: equal states hash equal.
  uint64_t hash() const;

 private:
  void apply_op(const Operation& op);

  Collections collections_;
  uint64_t last_seq_ = 0;
  int64_t last_time_ns_ = 0;
};

// RFC 7396: the document that results from applying patch to target (null if
// absent). Both are compact JSON; so is the result.
std::string merge_patch(const std::string* target, const std::string& patch);

}  // namespace pa_journal
