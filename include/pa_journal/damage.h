// Damage found while reading a journal or a snapshot, as reported to a
// Reporter. The reader never decides policy: it says what it dropped and where,
// and the recovery mode decides whether that is fatal.
#pragma once

#include <cstdint>
#include <string>

namespace pa_journal {

struct Damage {
  enum class Kind {
    // An incomplete write at the very end of the newest segment: what a crash
    // in the middle of an append leaves. Not corruption.
    kTornTail,
    // Bytes that fail a check (checksum, framing, header, payload decoding).
    kCorruption,
    // Records missing from the sequence chain although every checksum holds:
    // a missing segment, or a segment cut on a record boundary.
    kMissingRecords,
  };
  // Named constructors, one per kind (and one for a whole snapshot file);
  // the fields stay plain for readers. file is relative to the store.

  // An incomplete write at offset that runs to the end of the segment.
  static Damage torn_tail(std::string file, uint64_t offset, uint64_t bytes,
                          std::string reason);
  // bytes at offset that fail a check. The records lost in them are unknown
  // here (a salvage scan learns them from the next good record); lost_records
  // sets them where they are known.
  static Damage corruption(std::string file, uint64_t offset, uint64_t bytes,
                           std::string reason);
  // Records first_seq..last_seq missing from the chain before offset, where
  // the next record or segment begins; no bytes are dropped.
  static Damage missing_records(std::string file, uint64_t offset, uint64_t first_seq,
                                uint64_t last_seq, std::string reason);
  // A snapshot file (manifest or collection) that cannot be loaded as a whole:
  // corruption with no offset and no bytes dropped.
  static Damage snapshot(std::string file, std::string reason);

  // Only named constructors fill the fields; a default Damage is an empty
  // corruption (a placeholder for "none found").
  Damage() = default;

  // This damage with records first_seq..last_seq lost in it.
  Damage lost_records(uint64_t first_seq, uint64_t last_seq) &&;

  Kind kind = Kind::kCorruption;
  std::string file;        // segment or snapshot path, relative to the store
  uint64_t offset = 0;     // first damaged byte
  uint64_t bytes = 0;      // bytes dropped
  uint64_t first_seq = 0;  // first sequence number lost, 0 if none or unknown
  uint64_t last_seq = 0;   // last sequence number lost, 0 if none or unknown
  std::string reason;

  // One line: "journal/...log offset 4096: checksum mismatch; 312 bytes
  // dropped; records 42..42 lost".
  std::string describe() const;
};

const char* to_string(Damage::Kind kind);

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void report(const Damage& damage) = 0;
};

}  // namespace pa_journal
