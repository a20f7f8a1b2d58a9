// Reads a whole journal directory: every segment in sequence order, every
// checksum, the sequence chain across segments, under a recovery mode.
//
// The scan only checks: SegmentReader reads frames, the scan keeps the chain
// and turns what it reads into events (a record, a loss marker, damage, a
// gap, the end); the mode's policy (journal/recovery_policy.h, where each
// mode's contract is stated) answers each event, and the scan acts: goes on,
// skips, cuts, or throws the refusal. A thrown CorruptedDataError names the
// file, the offset and the last good sequence number, and says which mode
// would open the store; for damage other than a torn tail it is a
// RecoveryRefusedError.
//
// Thread-safety: a scan only reads; several may run beside a live writer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "journal/layout.h"
#include "journal/recovery_policy.h"
#include "pa_journal/damage.h"
#include "pa_journal/file_system.h"
#include "pa_journal/options.h"
#include "pa_journal/record.h"

namespace pa_journal {

struct SegmentInfo {
  std::string name;        // file name inside journal/
  uint64_t first_seq = 0;  // from the name
  uint64_t bytes = 0;
  // Where the segment's reserved space begins (format.h), as the scan found
  // it; bytes if the scan did not read the segment or it has none.
  uint64_t data_end = 0;
};

// The segments of journal_dir in sequence order; other files are ignored.
std::vector<SegmentInfo> list_segments(FileSystem& fs, const std::string& journal_dir);

// Where a scan found the journal's consistent end. A writable open cuts the
// journal here (after keeping a copy of what it cuts).
struct CutPoint {
  size_t segment_index = 0;  // into ScanReport::segments
  uint64_t offset = 0;       // first byte that is not kept
};

struct ScanReport {
  std::vector<SegmentInfo> segments;
  uint64_t records = 0;    // records delivered
  uint64_t first_seq = 0;  // of the first record delivered, 0 if none
  uint64_t last_seq = 0;   // of the last record delivered, 0 if none
  int64_t first_time_ns = 0;
  int64_t last_time_ns = 0;  // of the last record read, delivered or not
  uint64_t bytes = 0;        // all segment bytes
  std::vector<Damage> damage;
  // Set when the scan ended before the last byte (torn tail, point-in-time).
  bool cut = false;
  CutPoint cut_point;
  // Salvage: segments that hold damage that was skipped.
  std::vector<size_t> damaged_segments;
  // Records declared lost by an earlier salvage repair (loss markers).
  struct Loss {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };
  std::vector<Loss> known_losses;
  // The next sequence number a writer would assign.
  uint64_t next_seq = 1;
};

using RecordSink = std::function<void(const Record&)>;

// How far a scan beside a live writer reads (docs/readers.md): the segments
// before `segment` whole, `segment` (a first seq, as in its name) up to byte
// `end`, none after it; segment 0 reads none.
struct ScanLimit {
  uint64_t segment = 0;
  uint64_t end = 0;
};

// What a scan asks for beyond its mode; the defaults read the whole journal,
// wherever its chain starts, without progress. Call sites name the fields:
// scan_journal(fs, dir, mode, sink, {.after_seq = seq, .from_start = true}).
struct ScanOptions {
  // The sequence number a snapshot covers, 0 for none. With after_seq > 0,
  // records up to after_seq are not delivered, segments that lie wholly at or
  // before it are not read, and the chain must continue at after_seq + 1 (a
  // later start is reported as missing records). With after_seq == 0 the
  // chain may start at any sequence number (compaction deletes the oldest
  // segments), unless from_start.
  uint64_t after_seq = 0;
  // The chain must start at after_seq + 1 even when after_seq is 0: recovery
  // without a snapshot must read the journal from seq 1, so a journal whose
  // first segments are gone is missing records 1..N, not a whole one.
  bool from_start = false;
  // If set, gets bytes of segments read out of the bytes of those the scan
  // will read (as listed when it starts; segments wholly at or before
  // after_seq are not read and not counted): 0 first, then as records are
  // read, at most once per hundredth of the total (model/progress_ticker.h),
  // and the total once the scan ends, even early.
  ProgressTick progress = nullptr;
  // If set, the scan reads no further (journal/read_view.h).
  std::optional<ScanLimit> limit = std::nullopt;
};

// Scans journal_dir under mode, calling sink for every record delivered, in
// sequence order. A missing directory is an empty journal.
ScanReport scan_journal(FileSystem& fs, const std::string& journal_dir, RecoveryMode mode,
                        const RecordSink& sink, const ScanOptions& options = {});

}  // namespace pa_journal
