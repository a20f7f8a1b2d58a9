// The state of a read-only open left on disk: the newest snapshot's
// collection files read through their key indexes (snapshot/key_index.h), a
// block at a time, and the journal records after it (the tail) applied in
// memory. Opening costs the manifests, the indexes and the tail, not the
// state; a get reads one block, a listing streams blocks in key order
// (docs/readers.md, "A lazy read-only open").
//
// What is trusted: the manifest (checksummed) and the journal, as a full
// recovery trusts them. An index is derived and trusted only for where to
// look: it must verify whole and name the manifest's size, XXH3 and document
// count of its file, and each block read must match its XXH3 and the index's
// entry. A snapshot that cannot be read this way (no index, a damaged one, a
// compressed file, a snapshot recovery would pass over) makes open() return
// null; a block found damaged later throws CorruptedDataError; either way
// the caller recovers in full, which reports the damage as it always has.
// The tail is read with the recovery policy of replay/recovery.h: the same
// mode, the same damage, the same refusals.
//
// Thread-safety: immutable once open() returns; any number of threads may
// read it at once. Its files stay open, so a compaction removing the
// snapshot afterwards does not disturb it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/recovery_report.h"
#include "pa_journal/store.h"
#include "replay/recovery.h"
#include "snapshot/key_index.h"

namespace pa_journal {

// A collection's documents and the size of the file a snapshot would write
// for it now (snapshot/snapshot.h's layout: keys, documents and punctuation).
struct CollectionSize {
  uint64_t documents = 0;
  uint64_t file_bytes = 0;
};

class LazyState {
 public:
  // Null when the store must be recovered in full instead (see above); then
  // damaged, if not null, names the derived file found damaged (an index, or
  // a block read through it), if that was why. options.until_ns reads the
  // state at that time: the newest snapshot at or before it and the records
  // after it up to then. Throws what recover() throws for the journal's
  // damage (options.mode).
  static std::unique_ptr<LazyState> open(FileSystem& fs, const std::string& store_dir,
                                         const RecoverOptions& options,
                                         std::optional<Damage>* damaged = nullptr);

  // The reads of include/pa_journal/store.h, names already validated. Throw
  // CorruptedDataError for a damaged block, IoError when one cannot be read.
  std::optional<std::string> get(std::string_view collection, std::string_view key) const;
  // Visits the selected documents in key order, holding one block at a
  // time; returns how many.
  uint64_t list(std::string_view collection, const ListOptions& options,
                const ListVisitor& visit) const;
  // The whole collection's size: the index's counts and the tail's effect.
  uint64_t count(std::string_view collection) const;
  // Its count and file size from the index's header and the tail: reads one
  // block per key the tail wrote that the snapshot holds, no other.
  CollectionSize size(std::string_view collection) const;
  std::vector<std::string> collection_names() const;
  uint64_t last_seq() const { return last_seq_; }
  const RecoveryReport& report() const { return report_; }

 private:
  // A key's value in the tail: nullopt once deleted there.
  using Tail = std::map<std::string, std::optional<std::string>, std::less<>>;

  void apply(const Record& record);
  const IndexedCollection* snapshot(std::string_view collection) const;
  const Tail* tail(std::string_view collection) const;

  std::map<std::string, std::unique_ptr<IndexedCollection>, std::less<>> snapshot_;
  std::map<std::string, Tail, std::less<>> tail_;
  uint64_t last_seq_ = 0;
  RecoveryReport report_;
};

// A block found damaged (the CorruptedDataError a read threw) as the damage
// a store reports when it reads the JSON file whole instead.
Damage block_damage(const CorruptedDataError& e);

}  // namespace pa_journal
