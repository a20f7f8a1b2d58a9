// Physical repair of a journal after a writable open found damage, so that
// appending can go on from a clean end. Every repair first keeps a copy of
// every byte it will drop or overwrite in journal/quarantine/.
//
// Crash-safety argument
// ---------------------
// - The quarantine copy is written atomically (temporary file, sync, rename,
//   directory sync) before the segment it copies is touched, so no step below
//   loses bytes that have no other copy.
// - cut_journal removes later segments newest first and truncates last; a
//   crash between two steps leaves a journal whose damage is still at or before
//   the cut point, so opening again in the same mode finishes the same repair.
// - salvage_in_place overwrites each damaged byte range with a frame of the
//   same size (loss marker or padding) and syncs it; a crash mid-write leaves
//   the range still damaged, and the next salvage open repeats the repair.
//   A missing stretch between segments gets a filler segment written
//   atomically under the missing first sequence number.
#pragma once

#include <string>

#include "journal/journal_reader.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

// Drops everything from report.cut_point on (torn tail, point-in-time stop).
// Returns the quarantine files written.
std::vector<std::string> cut_journal(FileSystem& fs, const std::string& journal_dir,
                                     const ScanReport& report);

// Replaces every damaged range that a salvage scan skipped with a loss marker
// or padding, and fills gaps between segments, so that the journal reads clean
// in every mode. Throws StorageError if a range cannot be rewritten in place.
std::vector<std::string> salvage_in_place(FileSystem& fs, const std::string& journal_dir,
                                          const ScanReport& report);

}  // namespace pa_journal
