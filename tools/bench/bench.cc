// The benchmark's frame: its configurations, the report's look-ups, the
// machine it runs on, and the order of the phases. The phases themselves are
// bench_commit.cc (throughput, group commit, cost), bench_replay.cc,
// bench_compaction.cc (compaction, snapshot load), bench_memory.cc,
// bench_restore.cc (commit latency beside a restore and an import),
// bench_cli.cc and bench_cli_disk.cc (the tool against the sqlite3 shell), and the
// targets of docs/design.md 7 are judged in bench_targets.cc.
#include "tools/bench/bench.h"

#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

namespace fs = std::filesystem;

Config Config::full() { return Config{}; }

Config Config::quick() {
  Config c;
  c.seconds = 0.2;
  c.rounds = 2;
  c.docs = 1000;
  c.cost_docs = {100, 1000, 10000};
  c.seed_docs = 1000;
  c.replay_records = {1000, 10000};
  c.compaction_docs = 10000;
  c.compaction_runs = 1;
  c.cli_docs = 20000;
  c.cli_durable_lines = 200;
  c.cli_get_runs = 5;
  c.cli_disk_rounds = 3;
  c.replication_records = 2000;
  c.replication_rate = 200;
  c.replication_seconds = 1;
  return c;
}

Config Config::short_run() {
  Config c;
  c.seconds = 0.6;
  c.rounds = 2;
  c.docs = 10000;
  c.cost_docs = {1000, 10000, 100000};
  c.seed_docs = 10000;
  c.replay_records = {100000};
  c.compaction_docs = 100000;
  c.compaction_runs = 1;
  return c;
}

const Figure* Report::find(const std::string& id) const {
  for (const auto& f : figures) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

size_t Report::misses() const {
  return static_cast<size_t>(
      std::count_if(targets.begin(), targets.end(),
                    [](const Target& t) { return t.measured && !t.pass; }));
}

size_t Report::measured() const {
  return static_cast<size_t>(std::count_if(targets.begin(), targets.end(),
                                           [](const Target& t) { return t.measured; }));
}

namespace {

std::string first_line_of(const char* path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos
                 ? line
                 : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return {};
}

// The 1-minute load average: other processes that compete with the bench.
double load_average() {
  double one = 0;
  std::ifstream("/proc/loadavg") >> one;
  return one;
}

std::string filesystem_type(const std::string& path) {
  struct statfs s {};
  if (::statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x2FC12FC1:
      return "zfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x6969:
      return "nfs";
    default:
      return "other";
  }
}

}  // namespace

std::string count_text(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", s);
  return buf;
}

double best_read_only_open(const std::string& dir, int repeats, uint64_t* replayed) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    Options options;
    options.read_only = true;
    auto start = Clock::now();
    auto store = Store::open(dir, options);
    best = std::min(best, seconds_since(start));
    *replayed = store->recovery().records_replayed;
  }
  return best;
}

ScratchDir::ScratchDir(const Config& config) : keep_(config.keep) {
  std::string parent = config.dir;
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string pattern = parent + "/pa-journal-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory in " + parent + ": " +
                             std::strerror(errno));
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!keep_) fs::remove_all(path_, ec);
}

Report run(const Config& config) { return Runner(config).run(); }

Report Runner::run() {
  auto started = Clock::now();
  describe();
  if (wanted("throughput")) throughput();
  if (wanted("threads")) group_commit();
  if (wanted("cost")) commit_cost();
  if (wanted("replay")) replay();
  if (wanted("compaction")) compaction_snapshot_memory();
  if (wanted("restore")) restore_import();
  if (wanted("cli") && !config_.tool.empty()) cli();
  if (wanted("replication") && config_.replication_phase) {
    config_.replication_phase(config_, report_);
  }
  judge();
  context_ratios();
  report_.elapsed_s = seconds_since(started);
  report_.machine["loadavg_at_end"] = load_average();
  double busy = std::max(report_.machine["loadavg_at_start"].get<double>(),
                         report_.machine["loadavg_at_end"].get<double>());
  if (busy > 0.5) {
    report_.notes.push_back("other processes were running (1-minute load average up to " +
                            std::to_string(busy).substr(0, 4) +
                            "): CPU-bound figures are lower than on an idle machine");
  }
  return std::move(report_);
}

bool Runner::wanted(const std::string& phase) const {
  const auto& only = config_.only;
  return only.empty() || std::find(only.begin(), only.end(), phase) != only.end();
}

void Runner::say(const std::string& line) {
  if (config_.progress) config_.progress(line);
}

void Runner::describe() {
  utsname u{};
  ::uname(&u);
  report_.machine = {
      {"cores", std::thread::hardware_concurrency()},
      {"cpu", first_line_of("/proc/cpuinfo", "model name")},
      {"kernel", std::string(u.sysname) + " " + u.release},
      {"dir", scratch_.path()},
      {"filesystem", filesystem_type(scratch_.path())},
      {"sqlite", have_sqlite() ? sqlite_version() : "not in this build"},
      {"loadavg_at_start", load_average()},
  };
  const Config& c = config_;
  report_.config = {{"seconds_per_contender", c.seconds},
                    {"rounds", c.rounds},
                    {"docs", c.docs},
                    {"document_bytes", Workload::kDocumentBytes},
                    {"threads", c.threads},
                    {"cost_docs", c.cost_docs},
                    {"seed_docs", c.seed_docs},
                    {"replay_records", c.replay_records},
                    {"compaction_docs", c.compaction_docs},
                    {"compaction_runs", c.compaction_runs},
                    {"cli_docs", c.cli_docs},
                    {"cli_durable_lines", c.cli_durable_lines},
                    {"cli_get_runs", c.cli_get_runs},
                    {"cli_disk_rounds", c.cli_disk_rounds},
                    {"only", c.only}};
  if (report_.machine["filesystem"] == "tmpfs") {
    report_.notes.push_back(
        "the directory is on tmpfs: fdatasync costs nothing there, so durable figures "
        "say nothing about a disk; run it on a real disk (pa-journal bench --in DIR, "
        "pa-journal-bench --dir DIR)");
  }
}

void Runner::add(const std::string& id, const std::string& group,
                 const std::string& label, const Sample& s, const std::string& unit) {
  Figure f;
  f.id = id;
  f.group = group;
  f.label = label;
  f.value = s.rate();
  f.unit = unit;
  f.p50_us = s.percentile_us(50);
  f.p99_us = s.percentile_us(99);
  f.samples = s.ops;
  report_.figures.push_back(std::move(f));
}

void Runner::remove_scratch_files() {
  if (config_.keep) return;
  for (const auto& entry : fs::directory_iterator(scratch_.path())) {
    fs::remove_all(entry.path());
  }
}

void Runner::remove_phase_dir(const std::string& dir) {
  if (!config_.keep) fs::remove_all(dir);
}

}  // namespace pa_journal::bench
