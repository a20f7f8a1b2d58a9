// A fast check for documents that are already in the store's canonical form,
// so that the commit path can skip the full parse and re-serialisation.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "pa_journal/record.h"

namespace pa_journal {

// True only if text is byte for byte what nlohmann::json::parse(text).dump()
// returns: no whitespace outside strings, object keys (free of escapes) in
// strictly increasing byte order, integers of at most 18 digits and no "-0",
// no fractions or exponents, strings of valid UTF-8 using only the escapes
// dump() writes. False means "not known to be canonical" (it may be valid JSON
// in another form, or invalid): the caller must fall back to the full parse.
// Never reads outside text; recursion is bounded. Thread-safe.
bool is_canonical_json(std::string_view text);

// The operations of one commit, each document (or merge patch) checked by
// is_canonical_json as it was added: holding one is the proof that the check
// was made, because add() is the only way in. The store commits them without
// checking their JSON a second time (store/canonical_commit.h): a caller that
// has run the check already (the fast parser of `pa-journal apply`) hands
// over the proof instead of repeating the work on the committing thread.
// Names, keys and sizes are not checked here; the store checks them as it
// checks any commit. Thread-compatible.
class CanonicalOps {
 public:
  // Adds op if it is a delete (its document is dropped) or its document is
  // canonical; otherwise adds nothing and returns false, so that the caller
  // takes the full path.
  bool add(Operation op);

  bool empty() const { return ops_.empty(); }
  const std::vector<Operation>& ops() const { return ops_; }
  std::vector<Operation> release() && { return std::move(ops_); }

 private:
  std::vector<Operation> ops_;
};

}  // namespace pa_journal
