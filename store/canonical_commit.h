// The commit path for operations whose documents are known to be canonical
// already (model/canonical_json.h, CanonicalOps): internal to the library and
// its own tools, never installed. `pa-journal apply`'s fast parser checks each
// document as it parses it, on its own thread; this path spares the
// committing thread a second check of the same bytes. The public API checks
// everything it receives, as before.
#pragma once

#include <string>

#include "model/canonical_json.h"
#include "pa_journal/store.h"

namespace pa_journal {

struct CanonicalCommits {
  // store.enqueue(std::move(ops).release(), origin), refusing exactly what it
  // refuses with the same messages (names, keys, sizes, the state's rules),
  // without running is_canonical_json over the documents again. A document
  // that is not canonical cannot get here: CanonicalOps::add refuses it.
  static CommitResult enqueue(Store& store, CanonicalOps ops, std::string origin = {});
};

}  // namespace pa_journal
