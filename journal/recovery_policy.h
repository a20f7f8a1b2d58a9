// What each recovery mode does with what a journal scan finds. The scan
// (journal/journal_reader.h) checks the chain and turns what it reads into
// events; a policy answers each event, and the scan acts on the answer. A
// policy is a pure function: no I/O, no state; what the scan has seen so far
// comes in the event.
//
// Per mode (torn tail: an incomplete write at the end of the newest segment;
// damage: anything else, corruption or records missing from the chain):
//
//   event                       strict   tolerate-tail  point-in-time  salvage
//   record, valid loss marker   go on    go on          go on          go on
//   end of the journal          go on    go on          go on          go on
//   gap a snapshot covers       go on    go on          go on          go on
//   gap no snapshot covers      refuse   refuse         cut            skip
//   torn tail                   refuse   cut            cut            cut
//   damage                      refuse   refuse         cut            skip
//   damage, maybe covered       refuse   wait           wait           skip
//   damage, shown covered       refuse   go on          go on          skip
//
// A gap a snapshot covers lost only records at or before the snapshot's seq
// (ScanOptions::after_seq). Damage in the frames of a segment while the chain
// is still at or before that seq may have lost only such records: tolerate-
// tail and point-in-time wait for the next good record; if it is at or
// before after_seq + 1 the damage is shown covered (reported, nothing more),
// otherwise (or at the end) it is asked about again as plain damage.
//
// The answers: go on (the scan continues; damage that gets it is reported),
// skip (reported, its bytes or records skipped, the segment marked damaged),
// cut (reported, and the scan ends there: the journal's consistent end),
// refuse (the scan throws: CorruptedDataError for a torn tail,
// RecoveryRefusedError for anything else, with the text describe_refusal
// gives: the file, the offset, the last good seq, and which mode would open
// the store), wait (settle later, as above).
#pragma once

#include <cstdint>
#include <string>

#include "pa_journal/damage.h"
#include "pa_journal/options.h"

namespace pa_journal {

// One thing a scan found, in the order it found it.
struct ScanEvent {
  enum class Kind {
    kRecord,      // a valid record, delivered or covered by the snapshot
    kLossMarker,  // records an earlier salvage repair declared lost
    kDamage,      // bytes that fail a check, or a torn tail
    kGap,         // records missing between two good records
    kEnd,         // the consistent journal ends here
  };
  Kind kind = Kind::kRecord;
  // kDamage: what and where. kGap: the missing records not covered by the
  // snapshot, as missing_records damage (unused when covered).
  Damage damage;
  // kDamage: at the torn tail of the newest segment.
  bool torn_tail = false;
  // kDamage: in frames while the chain is still at or before the snapshot's
  // seq, and not yet settled: it may have lost only covered records.
  bool maybe_covered = false;
  // kDamage: settled: it lost only records the snapshot holds.
  // kGap: every missing record is at or before the snapshot's seq.
  bool covered = false;
  // The last good sequence number before the event, 0 if none.
  uint64_t last_good_seq = 0;
};

struct PolicyAnswer {
  enum class Verdict { kGoOn, kSkip, kCut, kRefuse, kWait };
  Verdict verdict = Verdict::kGoOn;
  std::string refusal;  // kRefuse: the text the scan throws
};

using RecoveryPolicy = PolicyAnswer (*)(const ScanEvent& event);

PolicyAnswer strict_policy(const ScanEvent& event);
PolicyAnswer tolerate_tail_policy(const ScanEvent& event);
PolicyAnswer point_in_time_policy(const ScanEvent& event);
PolicyAnswer salvage_policy(const ScanEvent& event);

// The policy of mode.
RecoveryPolicy policy_for(RecoveryMode mode);

// The text the store uses to refuse opening: what, where, and what to do next.
std::string describe_refusal(const Damage& damage, uint64_t last_good_seq);

}  // namespace pa_journal
