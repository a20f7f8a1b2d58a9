// Recovery on open: rebuild the state from the journal under a recovery mode
// and, for a writable open, repair the journal so that appending can resume
// (cut a torn tail, quarantine what point-in-time drops, mark what salvage
// lost). See journal/repair.h for the crash argument of each repair.
#pragma once

#include <string>

#include "journal/journal_writer.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "replay/state.h"

namespace pa_journal {

struct Recovered {
  State state;
  RecoveryReport report;
  JournalWriter::Tail tail;  // where a writer resumes (after any repair)
};

// journal_dir is DIR/journal. Throws CorruptedDataError when the mode refuses.
Recovered recover(FileSystem& fs, const std::string& journal_dir, RecoveryMode mode,
                  bool writable);

}  // namespace pa_journal
