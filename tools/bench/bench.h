// The benchmark of docs/design.md 7: pa-journal against its peers, in one
// run, on one disk, with one workload (200-byte contact documents, keys spread
// over N documents). What pa-journal-bench and `pa-journal bench` call.
//
// Every figure is measured in a fresh temporary directory under Config::dir;
// the single-writer contenders are measured in interleaved bursts so that a
// disk that drifts during the run affects them alike. Each target of
// docs/design.md 7 becomes a Target: the ratio of two figures (or of a figure to the
// absolute number the design names), the ratio it needs, and whether it holds.
//
// Uses only the public API (include/pa_journal/). Not thread-safe: one run at
// a time per process.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace pa_journal::bench {

struct Report;

struct Config {
  // The temporary directory is created inside dir; empty: $TMPDIR, else /tmp.
  std::string dir;
  bool keep = false;  // leave the temporary directory behind, every phase's files in it
  // Measuring time per contender for every throughput and latency figure,
  // split into `rounds` interleaved bursts.
  double seconds = 4.0;
  int rounds = 8;
  uint64_t docs = 10000;  // documents the throughput workload spreads keys over
  std::vector<int> threads = {1, 2, 4, 8};
  std::vector<uint64_t> cost_docs = {1000, 10000, 100000};
  uint64_t seed_docs = 10000;  // where the seed's whole-file rewrite is compared
  std::vector<uint64_t> replay_records = {100000, 1000000};
  // Also the size of snapshot load, memory, and the restore and the import.
  uint64_t compaction_docs = 1000000;
  int compaction_runs = 3;
  // The cli phase: whole processes of the pa-journal tool at `tool` against
  // the sqlite3 shell found on $PATH, on the same data. Empty tool: the phase
  // is not run and its targets are not judged (the short run's case); a tool
  // or a sqlite3 that is not there skips it with a note.
  std::string tool;
  // pa-journal-bench-launch, which spawns each of the phase's processes so
  // that their peak resident size is their own (tools/bench/launch.c); empty
  // or missing: the bench spawns them, and a note says that their figures
  // then include the bench's own resident size.
  std::string launcher;
  // NDJSON lines applied with none: the store get, inspect, list and the disk
  // rounds use (get is also timed at a hundredth of it).
  uint64_t cli_docs = 1000000;
  uint64_t cli_durable_lines = 3000;  // applied under always, one row/txn for SQLite
  int cli_get_runs = 21;              // processes whose median a get figure is
  int cli_disk_rounds = 12;           // rounds of patching 5% of the documents
  // The replication phase (bench_replication.h): records shipped and cloned,
  // and the steady commit rate (per second, for seconds) whose lag is
  // measured. replication_phase runs it; null (`pa-journal bench`, which
  // starts no servers) leaves it out.
  uint64_t replication_records = 200000;
  uint64_t replication_rate = 2000;
  double replication_seconds = 10;
  std::function<void(const Config&, Report&)> replication_phase;
  // Phases to run (throughput, threads, cost, replay, compaction, restore,
  // cli, replication); empty: all.
  // Targets whose figures were not measured are reported as such.
  std::vector<std::string> only;
  // argv that runs memory_probe_main(dir) in a fresh process, with the
  // directory appended (e.g. {"/proc/self/exe", "--memory-probe"}); empty:
  // measure in this process, where earlier phases inflate the figure.
  std::vector<std::string> probe_command;
  // If set, the restore phase appends every commit of its steady committers
  // to this CSV file (when due, how late it started, how long it took, its
  // thread's context switches), for a look at where the slow ones lost time.
  std::string latency_trace;
  // Called with one line per step, for a progress display; may be null.
  std::function<void(const std::string&)> progress;

  static Config full();
  // Small sizes for CI: seconds, not minutes.
  static Config quick();
  // What `pa-journal bench` runs: a short look at the user's own disk.
  static Config short_run();
};

// The ratio one target of docs/design.md 7 needs, and what was measured.
struct Target {
  std::string id;
  std::string text;    // the target, as docs/design.md 7 states it
  std::string figure;  // id of the figure measured
  std::string versus;  // what it is compared with: a figure's label or a constant
  double ratio = 0;    // measured figure / versus (or versus / figure, see below)
  double required = 0;
  bool at_least = true;  // ratio >= required holds; else ratio <= required holds
  bool measured = true;  // false if a figure it needs was not measured
  bool pass = false;
  std::string note;  // e.g. measured at a smaller size than the target names
};

struct Figure {
  std::string id;
  std::string group;  // the heading it is printed under
  std::string label;
  double value = 0;
  std::string unit;
  std::optional<double> p50_us, p99_us;
  uint64_t samples = 0;  // commits (or runs) the figure is made of
  std::string detail;    // anything else worth printing, e.g. sizes
  // Ratios to other figures that no target judges (label of the other, ratio).
  std::vector<std::pair<std::string, double>> ratios;
};

struct Report {
  nlohmann::json machine;
  nlohmann::json config;
  std::vector<Figure> figures;
  std::vector<Target> targets;
  std::vector<std::string> notes;
  double elapsed_s = 0;

  const Figure* find(const std::string& id) const;
  size_t measured() const;  // targets whose figures were measured
  size_t misses() const;    // measured targets that do not hold
};

// Runs every phase; throws StorageError (or std::runtime_error for a peer's
// failure) if something cannot be measured.
Report run(const Config& config);

nlohmann::json to_json(const Report& report);
void print_text(const Report& report, std::ostream& out);

// The child side of Config::probe_command: opens the store in dir, prints one
// JSON object (VmRSS, VmHWM, raw JSON size of the state) on standard output
// and returns an exit code.
int memory_probe_main(const std::string& dir);

}  // namespace pa_journal::bench
