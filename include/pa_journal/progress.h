// Progress of long work (replay on open, verification, compaction, import,
// export, restore, backup), for a progress display such as the bars of
// `pa-journal`.
//
// Contract of a ProgressFn (Options::progress):
// - It is called synchronously on the thread that made the API call, between
//   units of work, and never after that call has returned. Work started by the
//   store itself (background compaction) never calls it. Two API calls running
//   at once on different threads may call it at once: it must then be
//   thread-safe.
// - Each task (see Progress::task) reports done == 0 first, with its total
//   known up front; then done never decreases and never exceeds total, and
//   total never changes; when the task completes, its last report has
//   done == total. In between, done moves as the work goes (within a file,
//   not only from one file to the next). A task that fails stops
//   reporting (the error is thrown as usual). A task may run more than once in
//   one call (each snapshot tried on open is a "load snapshot" of its own),
//   and a call may run several tasks one after the other (import runs a
//   compaction), each starting again at done == 0. Work with nothing to do
//   (a compaction when the newest snapshot is current) may report nothing.
// - Between its first and last report, a task reports at most once per
//   hundredth of its total (done has grown by at least total / 100 since the
//   report before), so at most about 100 times whatever its size; it may take
//   a lock or look at a clock, but it must not block for long, must not
//   throw, and must not call back into the store.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace pa_journal {

struct Progress {
  // What is being done, and what done/total count:
  //   "load snapshot"  bytes of snapshot files read and parsed (open, replay,
  //                    export, state_at)
  //   "replay"         bytes of the journal segments read: those after the
  //                    snapshot loaded (open, replay, export, state_at)
  //   "verify"         bytes of journal segments, then of snapshot files
  //                    (verify_store; backup_store checking its copy)
  //   "compact"        documents written to the snapshot (the readable state
  //                    files are links to it, or copies)
  //   "import"         bytes of the import's files read and checked
  //   "export"         documents written to the export (export_store,
  //                    Store::export_to)
  //   "write state"    documents written as readable files (write_state, as
  //                    in restore --out; replay_store with an out_dir)
  //   "backup"         bytes of snapshot files and journal segments copied
  std::string_view task;
  std::string_view unit;  // "bytes" or "documents"
  uint64_t done = 0;
  uint64_t total = 0;
};

using ProgressFn = std::function<void(const Progress&)>;

// What the layers below the store API report: done and total of one task.
using ProgressTick = std::function<void(uint64_t done, uint64_t total)>;

}  // namespace pa_journal
