// pa-journal-bench: the benchmark of docs/design.md 7. The default is the full run
// the README's table comes from; --quick is the smoke test's.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "pa_journal/store.h"
#include "tools/bench/bench.h"
#include "tools/bench/bench_replication.h"
#include "tools/cli_checks.h"

namespace {

// The file `name` in the directory of this program (where the build puts the
// tool); `name` alone if that directory cannot be told.
std::string beside_this_program(const std::string& name) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

struct Sizes {
  std::optional<double> seconds;
  std::optional<int> rounds, compaction_runs;
  std::optional<uint64_t> docs, seed_docs, compaction_docs, cli_docs, cli_durable_lines;
  std::optional<int> cli_rounds;
  std::optional<uint64_t> replication_records, replication_rate;
  std::string tool;
  std::vector<int> threads;
  std::vector<uint64_t> cost_docs, replay_records;
  std::vector<std::string> only;
};

void apply(const Sizes& s, pa_journal::bench::Config& c) {
  if (s.seconds) c.seconds = *s.seconds;
  if (s.rounds) c.rounds = *s.rounds;
  if (s.compaction_runs) c.compaction_runs = *s.compaction_runs;
  if (s.docs) c.docs = *s.docs;
  if (s.seed_docs) c.seed_docs = *s.seed_docs;
  if (s.compaction_docs) c.compaction_docs = *s.compaction_docs;
  if (!s.threads.empty()) c.threads = s.threads;
  if (!s.cost_docs.empty()) c.cost_docs = s.cost_docs;
  if (!s.replay_records.empty()) c.replay_records = s.replay_records;
  if (s.cli_docs) c.cli_docs = *s.cli_docs;
  if (s.cli_durable_lines) c.cli_durable_lines = *s.cli_durable_lines;
  if (s.cli_rounds) c.cli_disk_rounds = *s.cli_rounds;
  if (s.replication_records) c.replication_records = *s.replication_records;
  if (s.replication_rate) c.replication_rate = *s.replication_rate;
  c.replication_phase = pa_journal::bench::replication_phase;
  c.only = s.only;
  c.tool = s.tool.empty() ? beside_this_program("pa-journal") : s.tool;
  c.launcher = beside_this_program("pa-journal-bench-launch");
}

}  // namespace

int main(int argc, char** argv) {
  namespace bench = pa_journal::bench;
  // As an app that restores or imports beside its commits would (store.h).
  pa_journal::keep_frees_off_the_commit_path();
  using pa_journal::cli::positive_number;
  using pa_journal::cli::whole_number;
  CLI::App app{
      "pa-journal-bench: pa-journal against SQLite, the seed's whole-file rewrite and "
      "the "
      "bare disk, with every target of docs/design.md 7 judged"};
  bool quick = false, json = false, quiet = false, fail_on_miss = false;
  std::string dir, probe, json_file;
  bool keep = false;
  Sizes s;
  app.add_flag("--quick", quick, "small sizes and short runs (CI smoke test)");
  app.add_flag("--json", json, "print the report as JSON");
  app.add_option("--json-file", json_file, "also write the JSON report to FILE");
  app.add_option("--dir", dir,
                 "create the temporary directory in DIR, which must exist (default "
                 "$TMPDIR or /tmp)")
      ->check(CLI::ExistingDirectory);
  std::string latency_trace;
  app.add_option("--latency-trace", latency_trace,
                 "append every commit of the restore phase's committers to FILE (CSV)");
  app.add_flag("--keep", keep, "keep the temporary directory, with every phase's files");
  app.add_flag("--quiet", quiet, "no progress lines on standard error");
  app.add_flag("--fail-on-miss", fail_on_miss, "exit 1 if a target misses");
  app.add_option("--seconds", s.seconds, "measuring time per contender")
      ->check(positive_number());
  app.add_option("--rounds", s.rounds, "interleaved bursts per contender")
      ->check(whole_number(1));
  app.add_option("--docs", s.docs, "documents the commit workload spreads keys over")
      ->check(whole_number(1));
  app.add_option("--threads", s.threads, "thread counts for group commit")
      ->delimiter(',')
      ->check(whole_number(1));
  app.add_option("--cost-docs", s.cost_docs, "store sizes for the commit cost")
      ->delimiter(',')
      ->check(whole_number(1));
  app.add_option("--seed-docs", s.seed_docs, "size where the seed's rewrite is compared")
      ->check(whole_number(1));
  app.add_option("--replay-records", s.replay_records, "journal lengths for open/replay")
      ->delimiter(',')
      ->check(whole_number(1));
  app.add_option("--compaction-docs", s.compaction_docs,
                 "documents for compaction, snapshot load, memory, restore and import")
      ->check(whole_number(1));
  app.add_option("--compaction-runs", s.compaction_runs, "compactions to time")
      ->check(whole_number(1));
  app.add_option("--tool", s.tool,
                 "the pa-journal tool the cli phase runs (default: the one beside this "
                 "program)");
  app.add_option("--cli-docs", s.cli_docs,
                 "documents of the cli phase's store (apply, get, inspect, list, disk)")
      ->check(whole_number(1));
  app.add_option("--cli-durable-lines", s.cli_durable_lines,
                 "lines the cli phase applies durably (always)")
      ->check(whole_number(1));
  app.add_option("--cli-rounds", s.cli_rounds,
                 "rounds of patching 5% of the documents in the cli phase's disk test")
      ->check(whole_number(1));
  app.add_option("--replication-records", s.replication_records,
                 "records of the store the replication phase ships and clones")
      ->check(whole_number(1));
  app.add_option("--replication-rate", s.replication_rate,
                 "commits per second while the replication phase measures the lag")
      ->check(whole_number(1));
  app.add_option("--only", s.only, "run only these phases")
      ->delimiter(',')
      ->check(CLI::IsMember({"throughput", "threads", "cost", "replay", "compaction",
                             "restore", "cli", "replication"}));
  app.add_option("--memory-probe", probe, "(internal) open DIR, print memory use as JSON")
      ->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // 2: a usage error, as pa-journal's
  }

  try {
    if (!probe.empty()) return bench::memory_probe_main(probe);
    bench::Config config = quick ? bench::Config::quick() : bench::Config::full();
    apply(s, config);
    if (config.threads.empty() || config.cost_docs.empty() ||
        config.replay_records.empty()) {
      std::cerr << "pa-journal-bench: --threads, --cost-docs and --replay-records need "
                   "values\n";
      return 2;
    }
    config.dir = dir;
    config.keep = keep;
    config.latency_trace = latency_trace;
    config.probe_command = {"/proc/self/exe", "--memory-probe"};
    if (!quiet)
      config.progress = [](const std::string& line) {
        std::cerr << "[bench] " << line << std::endl;
      };
    bench::Report report = bench::run(config);
    if (!json_file.empty()) {
      std::ofstream out(json_file);
      out << bench::to_json(report).dump(2) << std::endl;
      if (!out) throw std::runtime_error("cannot write " + json_file);
    }
    if (json) {
      std::cout << bench::to_json(report).dump(2) << std::endl;
    } else {
      bench::print_text(report, std::cout);
    }
    return fail_on_miss && report.misses() > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "pa-journal-bench: " << e.what() << "\n";
    return 1;
  }
}
