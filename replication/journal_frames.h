// One read-only pass over a store's journal and snapshots for the shipper,
// under the reader protocol (docs/readers.md): it never takes LOCK and reads
// no further than the end the writer published as durable when the pass
// began, so it may run beside a live writer in this or another process.
//
// Frames are handed on as the journal holds them (frame header + payload,
// byte for byte), with the sequence number and time read from the payload.
// A torn tail at the end of the newest segment (no live writer) ends the
// pass; any other damage throws CorruptedDataError naming the file and
// offset: the shipper never ships around damage it cannot explain.
//
// Thread-safety: one pass per thread; a pass holds journal/READERS shared
// (no compaction removes what it listed) for as long as it lives.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "journal/journal_reader.h"
#include "journal/read_view.h"
#include "pa_journal/file_system.h"
#include "snapshot/snapshot.h"

namespace pa_journal::replication {

struct JournalFrame {
  uint64_t seq = 0;        // a record's seq; a loss frame's last lost seq
  uint64_t lost_from = 0;  // a loss frame's first lost seq; 0 for a record
  int64_t time_ns = 0;     // commit time; a loss frame has none (0)
  std::string_view bytes;  // frame header + payload; valid during the visit
  uint64_t segment = 0;    // first seq in the name of the segment holding it
  uint64_t end = 0;        // where the frame ends in that segment
  uint64_t first() const { return lost_from ? lost_from : seq; }
};

// Where a later pass may resume reading: just after the frame of seq, which
// ends at offset end of the segment named by its first seq. Only a hint: a
// pass uses it when it still names the segment that holds seq + 1.
struct JournalCursor {
  uint64_t segment = 0;
  uint64_t end = 0;
  uint64_t seq = 0;
};

class JournalPass {
 public:
  JournalPass(FileSystem& fs, const std::string& store_dir);
  JournalPass(const JournalPass&) = delete;
  JournalPass& operator=(const JournalPass&) = delete;

  // The snapshots whose manifest parses, oldest (lowest seq) first.
  const std::vector<SnapshotInfo>& snapshots() const { return snapshots_; }
  const std::string& backups() const { return backups_; }

  // Calls visit for every frame holding records after after_seq, in order,
  // up to the end of the pass; stops when visit returns false. Returns the
  // seq of the last frame read (after_seq if none). With a cursor at
  // after_seq, reading starts at the cursor's offset instead of at its
  // segment's start, so that following a growing segment reads each byte
  // about once.
  uint64_t read_after(uint64_t after_seq,
                      const std::function<bool(const JournalFrame&)>& visit,
                      const std::optional<JournalCursor>& cursor = std::nullopt);

 private:
  bool read_segment(const SegmentInfo& info, bool newest, uint64_t after_seq,
                    uint64_t from_offset,
                    const std::function<bool(const JournalFrame&)>& visit,
                    uint64_t* last);

  FileSystem& fs_;
  const std::string journal_;
  const std::string backups_;
  ReadView view_;  // made first: READERS held before anything is listed
  std::vector<SnapshotInfo> snapshots_;
  std::optional<ScanLimit> limit_;
  std::vector<SegmentInfo> segments_;
};

}  // namespace pa_journal::replication
