// Phase 4 of the benchmark: open/replay of a journal without a snapshot.
#include <algorithm>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

// Phase 4: open (read-only) a store whose journal holds n records and no
// snapshot; the page cache is warm, so this measures replay, not the disk.
void Runner::replay() {
  Workload w(config_.docs);
  for (uint64_t n : config_.replay_records) {
    std::string dir = scratch_.sub("replay-" + std::to_string(n));
    say("open/replay: writing " + count_text(n) + " records");
    {
      StorePeer peer(dir, Durability::kNone, /*auto_compact=*/false);
      Contender c = peer.contender(w);
      for (uint64_t i = 0; i < n; ++i) c.commit(0, i);
    }
    uint64_t journal_bytes = tree_bytes(journal_dir(dir));
    int repeats = n <= 100000 ? 3 : 2;
    uint64_t replayed = 0;
    double best = best_read_only_open(dir, repeats, &replayed);
    Figure f;
    f.id = "replay." + std::to_string(n);
    f.group = "Open and replay a journal (read-only open, warm page cache)";
    f.label = count_text(n) + " records";
    f.value = static_cast<double>(replayed) / best;
    f.unit = "records/s";
    f.samples = static_cast<uint64_t>(repeats);
    f.detail = std::to_string(journal_bytes / 1000000) + " MB journal, " +
               seconds_text(best) + ", best of " + std::to_string(repeats);
    add(std::move(f));
    remove_phase_dir(dir);
  }
}

}  // namespace pa_journal::bench
