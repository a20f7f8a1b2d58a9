// The benchmark run: one Runner holds the configuration, the scratch
// directory and the report, and each phase (one file each, see bench.cc) adds
// its figures to the report. Internal to tools/bench/.
#pragma once

#include <cstdint>
#include <string>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tools/bench/bench.h"
#include "tools/bench/measure.h"

namespace pa_journal::bench {

inline constexpr double kMB = 1e6;

// "1,000,000" for 1000000.
std::string count_text(uint64_t n);
// "1.23 s" for 1.234.
std::string seconds_text(double s);

// The fastest of `repeats` read-only opens of the store in dir, in seconds;
// *replayed: the records the last open replayed after its snapshot.
double best_read_only_open(const std::string& dir, int repeats, uint64_t* replayed);

// A fresh temporary directory, removed with its content unless asked to keep
// it.
class ScratchDir {
 public:
  explicit ScratchDir(const Config& config);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return join_path(path_, name); }

 private:
  bool keep_;
  std::string path_;
};

struct CliSetup;  // bench_cli.h
struct ChildRun;  // child.h

// Runs the phases and collects the figures. One run per Runner.
class Runner {
 public:
  explicit Runner(const Config& config) : config_(config), scratch_(config) {}

  Report run();

 private:
  bool wanted(const std::string& phase) const;
  void say(const std::string& line);
  void describe();
  void add(const std::string& id, const std::string& group, const std::string& label,
           const Sample& s, const std::string& unit = "commits/s");
  void add(Figure f) { report_.figures.push_back(std::move(f)); }
  // Each phase leaves its files to the next only through the figures: these
  // remove them (all, or one phase's directory) once its figures are taken,
  // unless Config::keep asks to keep everything for a look afterwards.
  void remove_scratch_files();
  void remove_phase_dir(const std::string& dir);

  // bench_commit.cc
  void throughput();
  void group_commit();
  void group_commit_waits(const Workload& w);
  void commit_cost();
  // bench_replay.cc
  void replay();
  // bench_compaction.cc
  void compaction_snapshot_memory();
  void compaction(Store& store, const Workload& w);
  void snapshot_load(const std::string& dir, uint64_t snapshot_bytes);
  // bench_restore.cc
  void restore_import();
  void restore_ceiling(const Workload& w, Store& store, const std::string& exported,
                       Clock::duration period, double seconds,
                       Clock::duration restore_took, Clock::duration import_took);
  // bench_memory.cc
  void memory(const std::string& dir);
  nlohmann::json run_probe(const std::string& dir);
  // bench_cli.cc
  void cli();
  void cli_apply(const CliSetup& s);
  void cli_reads(const CliSetup& s);
  void cli_inspect(const CliSetup& s, const std::string& store, const std::string& db);
  void cli_small_pair(const CliSetup& s, uint64_t docs);
  void cli_get(const CliSetup& s, uint64_t docs, const std::string& store,
               const std::string& db);
  void cli_scan(const std::string& id, const std::string& group, const std::string& label,
                const ChildRun& run);
  // bench_cli_disk.cc
  void cli_disk(const CliSetup& s, uint64_t live_json_bytes);
  // bench_targets.cc
  double value(const std::string& id) const;
  void target(std::string id, std::string text, std::string figure, std::string versus,
              double ratio, double required, bool at_least, std::string note = {});
  std::string size_note(uint64_t measured, uint64_t named) const;
  static std::string ceiling_note(double ceiling, double required);
  static std::string machine_ratio_note(double ceiling);
  void context_ratios();
  void judge();
  void judge_cli();

  const Config& config_;
  ScratchDir scratch_;
  Report report_;
  std::string cli_skipped_;  // why the cli phase did not run, if it did not
};

}  // namespace pa_journal::bench
