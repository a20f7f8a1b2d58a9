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
