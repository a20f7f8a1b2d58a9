// Reading a store beside a live writer.
//
// A read-only pass over a store that a writer (in another process, or the
// store's own) is changing can see two things that are not damage:
//  - a compaction removing a snapshot or segment between the listing and the
//    read: the read fails (a file gone, records missing), and the store's
//    listing changed meanwhile;
//  - a record being written into the newest segment's reserved space: a store
//    into a page that is already part of the file, or a direct write that
//    replaces the page, can be seen half done, with the frame's length whole,
//    which reads as damage rather than as a torn tail (journal-format.md 8.3).
// A pass that meets either is run again after a pause that grows; damage that
// is still there after kReadAttempts reads is real, and damage elsewhere that
// leaves the listing alone is reported at once.
//
// Thread-safety: free functions; they read the store through fs only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

inline constexpr int kReadAttempts = 5;

// Runs read (a read-only pass over the store at store_dir) and, if it throws
// CorruptedDataError for damage in the newest segment, or any StorageError
// while the store's listing changed, runs it again, up to kReadAttempts times
// in all. Other failures, and the last attempt's, propagate. read must be
// safe to run again: it starts over, or goes on from where it stopped.
void read_beside_writer(FileSystem& fs, const std::string& store_dir,
                        const std::function<void()>& read);

// As read_beside_writer, for a pass that collects what it finds instead of
// throwing damage (verify, inspect, the backup listing). A pass during which
// the store's listing changed may have mixed two states of the store or taken
// a removed file for damage, so unless it returns true (it stands as it is: a
// verify that found no damage) it is run again, as is one that threw a
// StorageError while the listing changed, up to kReadAttempts times in all;
// the last pass stands.
void read_listing_stable(FileSystem& fs, const std::string& store_dir,
                         const std::function<bool()>& pass);

// Whether any of damage lies in the newest journal segment, for passes that
// collect damage instead of throwing it (verify).
bool damage_in_newest_segment(FileSystem& fs, const std::string& store_dir,
                              const std::vector<Damage>& damage);

// The pause before read number attempt + 1 (attempt milliseconds).
void pause_before_reread(int attempt);

}  // namespace pa_journal
