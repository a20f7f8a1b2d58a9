// What opening a store found and did: the report that recovery on open
// (replay/recovery.h) fills in and Store::recovery() returns. It sits at the
// replay layer, below the store API, so that replay/ needs nothing from
// store.h; store.h includes it. summary() is defined with the store API
// (store/store.cc), beside the storage.log line and the tools that print it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/options.h"

namespace pa_journal {

struct RecoveryReport {
  RecoveryMode mode = RecoveryMode::kTolerateTail;
  std::string snapshot_id;    // the snapshot loaded, empty if none
  uint64_t snapshot_seq = 0;  // the sequence number it covers
  // Snapshots passed over because they were damaged, newest first, each with
  // why: the open fell back to an older snapshot and a longer journal.
  std::vector<Damage> snapshot_fallbacks;
  // Derived files a read-only open found damaged, each with where and why: a
  // snapshot's key index, or a block of its collection file read through the
  // index. Harmless to data: the open then read the snapshot's JSON files
  // whole instead, checked against the manifest (a JSON file found damaged
  // then is in snapshot_fallbacks too). Compaction writes new indexes.
  std::vector<Damage> index_fallbacks;
  uint64_t records_replayed = 0;
  // Bytes of names and documents in those records: with records_replayed,
  // how far the journal has grown since the snapshot (compaction's triggers).
  uint64_t bytes_replayed = 0;
  uint64_t first_seq = 0;      // first record replayed, 0 if none
  uint64_t last_seq = 0;       // last record replayed, 0 if none
  std::vector<Damage> damage;  // everything found, torn tails included
  // The part of damage that a writable open repaired (cut off, or marked lost
  // by salvage), each kept in quarantined first; empty for a read-only open.
  // Damage left as it is (under a snapshot that holds its records, say) is
  // found again by the next open.
  std::vector<Damage> repaired;
  uint64_t torn_bytes_cut = 0;
  std::vector<std::string> quarantined;  // copies kept of cut or rewritten bytes
  // One line for storage.log and the tools.
  std::string summary() const;
};

}  // namespace pa_journal
