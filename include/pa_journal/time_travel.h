// Reading the past: the restorable window, the state at a time, the history
// of one document, and what changed between two times. All read-only: they
// never take LOCK and work beside a live writer. Restoring (which appends a
// commit) is Store::restore_to.
//
// A time T includes every record committed at or before T (a record whose
// commit time equals T is part of the state at T).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/options.h"
#include "pa_journal/record.h"

namespace pa_journal {

// Every moment from `from_ns` to now can be restored record-exactly: from the
// first record while the journal still starts at seq 1, else from the oldest
// kept snapshot. empty when the store has no record and no snapshot.
struct Window {
  bool empty = true;
  int64_t from_ns = 0;
  int64_t last_commit_ns = 0;
  // The journal still starts at seq 1: every time before from_ns (the first
  // record's) is the empty state before the first record, inside the window,
  // so that a first import or adoption can be undone.
  bool from_start = false;
  // "can restore from <from> to now (last commit <last>)".
  std::string describe() const;
};

struct DocumentVersion {
  uint64_t seq = 0;
  int64_t time_ns = 0;
  OpKind op = OpKind::kPut;
  std::optional<std::string> value;  // the document after the record; none if deleted
  bool from_snapshot = false;        // the version the history starts from
  // The origin note of the commit that made this version ("restore to T",
  // "import from DIR", "adopted from backups/NAME"...); empty if it has none,
  // and for the version taken from a snapshot.
  std::string origin;
};

struct DocumentChange {
  std::string collection, key;
  std::optional<std::string> before, after;  // none: absent at that time
};

Window restorable_window(const std::string& dir, const Options& options = {});

// The one rule for a time outside the window, shared by every reader of a
// state at a time (state_at, Store::restore_to, export_store's until, the
// CLI's replay --until): throws InvalidInputError naming the window if t_ns
// lies before its start (the journal no longer starting at seq 1), in the
// future (after both now and the last commit), or the store has no record.
void check_in_window(const std::string& dir, int64_t t_ns, const Options& options = {});

// The state at t_ns. Throws InvalidInputError with the window if t_ns lies
// outside it (check_in_window).
Collections state_at(const std::string& dir, int64_t t_ns, const Options& options = {});

// Every version of one document over the retained journal, oldest first.
// Throws InvalidInputError for a name or key that no document could have.
// Like every read-only pass, reads again when it meets what a live writer
// beside it explains (see Store::open with read_only).
std::vector<DocumentVersion> document_history(const std::string& dir,
                                              const std::string& collection,
                                              const std::string& key,
                                              const Options& options = {});

// Writes a state as readable JSON files, out_dir/<collection>.json, each
// through a temporary file and a rename, documents compact. Refuses with
// InvalidInputError before writing anything a collection name, key or
// document that a commit would refuse (a name such as "../x" or "", text
// that is not JSON), and, unless overwrite, if one of the files exists.
void write_state(const std::string& out_dir, const Collections& state, bool overwrite,
                 const Options& options = {});

// Documents added, changed and deleted from `from` to `to`, in collection and
// key order.
std::vector<DocumentChange> diff_states(const Collections& from, const Collections& to);

}  // namespace pa_journal
