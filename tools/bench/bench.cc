// The phases of the benchmark, in the order they run: commit throughput with
// one writer (durable contenders, then the others), group commit with 1..8
// threads, commit cost against store size, open/replay, compaction (and the
// commit latency beside it), snapshot load and resident memory. Then every
// target of DESIGN.md 7 is judged from the figures.
#include "tools/bench/bench.h"

#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "pa_journal/store.h"
#include "tools/bench/contenders.h"
#include "tools/bench/measure.h"

extern char** environ;

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

constexpr double kMB = 1e6;

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

// Removes the temporary directory unless asked to keep it.
class ScratchDir {
 public:
  ScratchDir(const Config& config) : keep_(config.keep) {
    std::string parent = config.dir;
    if (parent.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    fs::create_directories(parent);
    std::string pattern = parent + "/pa-journal-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory in " + parent);
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!keep_) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  bool keep_;
  std::string path_;
};

// Runs the phases and collects the figures.
class Runner {
 public:
  explicit Runner(const Config& config) : config_(config), scratch_(config) {}

  Report run() {
    auto started = Clock::now();
    describe();
    if (wanted("throughput")) throughput();
    if (wanted("threads")) group_commit();
    if (wanted("cost")) commit_cost();
    if (wanted("replay")) replay();
    if (wanted("compaction")) compaction_snapshot_memory();
    judge();
    context_ratios();
    report_.elapsed_s = seconds_since(started);
    report_.machine["loadavg_at_end"] = load_average();
    double busy = std::max(report_.machine["loadavg_at_start"].get<double>(),
                           report_.machine["loadavg_at_end"].get<double>());
    if (busy > 0.5) {
      report_.notes.push_back(
          "other processes were running (1-minute load average up to " +
          std::to_string(busy).substr(0, 4) +
          "): CPU-bound figures are lower than on an idle machine");
    }
    return std::move(report_);
  }

 private:
  bool wanted(const std::string& phase) const {
    const auto& only = config_.only;
    return only.empty() || std::find(only.begin(), only.end(), phase) != only.end();
  }

  void say(const std::string& line) {
    if (config_.progress) config_.progress(line);
  }

  void describe() {
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
                      {"only", c.only}};
    if (report_.machine["filesystem"] == "tmpfs") {
      report_.notes.push_back(
          "the directory is on tmpfs: fdatasync costs nothing there, so durable figures "
          "say nothing about a disk; pass --dir on a real disk");
    }
  }

  void add(const std::string& id, const std::string& group, const std::string& label,
           const Sample& s, const std::string& unit = "commits/s") {
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

  void add(Figure f) { report_.figures.push_back(std::move(f)); }

  // Phase 1: every contender, one writer, keys over config.docs documents.
  // Durable contenders take turns with each other, then the others do, so the
  // writeback of buffered contenders does not land on the durable ones.
  void throughput() {
    Workload w(config_.docs);
    std::string group =
        "Commit throughput, one writer, keys over " + count_text(w.docs()) + " documents";
    std::vector<std::vector<std::unique_ptr<Peer>>> sets(2);
    sets[0].push_back(
        std::make_unique<StorePeer>(scratch_.sub("always"), Durability::kAlways));
    if (auto p =
            make_sqlite_peer(scratch_.sub("sqlite-full.db"), Synchronous::kFull, 1)) {
      sets[0].push_back(std::move(p));
    }
    sets[0].push_back(make_disk_peer(scratch_.sub("disk-sync.dat"), true));
    sets[0].push_back(make_seed_peer(scratch_.sub("seed")));
    sets[1].push_back(
        std::make_unique<StorePeer>(scratch_.sub("interval"), Durability::kInterval));
    sets[1].push_back(
        std::make_unique<StorePeer>(scratch_.sub("none"), Durability::kNone));
    for (int rows : {1, 1000}) {
      std::string name = "sqlite-normal-" + std::to_string(rows) + ".db";
      if (auto p = make_sqlite_peer(scratch_.sub(name), Synchronous::kNormal, rows)) {
        sets[1].push_back(std::move(p));
      }
    }
    sets[1].push_back(make_disk_peer(scratch_.sub("disk-buffered.dat"), false));
    for (auto& set : sets) {
      std::deque<Contender> contenders;
      std::vector<Contender*> order;
      for (auto& peer : set) {
        peer->populate(w);
        contenders.push_back(peer->contender(w));
        order.push_back(&contenders.back());
      }
      say("commit throughput: " + std::to_string(order.size()) + " contenders, " +
          seconds_text(config_.seconds) + " each");
      interleave(order, config_.seconds, config_.rounds);
      for (const Contender* c : order) add("commit." + c->id, group, c->label, c->sample);
      set.clear();  // close before the next set starts
    }
    remove_scratch_files();
  }

  // Phase 2: group commit, durable, 1..8 threads on one store.
  void group_commit() {
    Workload w(config_.docs);
    StorePeer peer(scratch_.sub("threads"), Durability::kAlways);
    peer.populate(w);
    std::deque<Contender> contenders;
    std::vector<Contender*> order;
    for (int t : config_.threads) {
      contenders.push_back(peer.contender(w));
      contenders.back().threads = t;
      contenders.back().id = "threads." + std::to_string(t);
      contenders.back().label =
          "pa-journal always, " + std::to_string(t) + (t == 1 ? " thread" : " threads");
      order.push_back(&contenders.back());
    }
    say("group commit: " + std::to_string(order.size()) + " thread counts");
    interleave(order, config_.seconds, config_.rounds);
    for (const Contender* c : order) {
      add(c->id, "Durable commits (always) from several threads, one store", c->label,
          c->sample);
    }
    peer.close();
    remove_scratch_files();
  }

  // Phase 3: the cost of one durable commit against the number of documents,
  // and the seed's whole-file rewrite at seed_docs.
  void commit_cost() {
    std::deque<Workload> workloads;
    std::vector<std::unique_ptr<Peer>> peers;
    std::deque<Contender> contenders;
    std::vector<Contender*> order;
    for (uint64_t n : config_.cost_docs) {
      workloads.emplace_back(n);
      auto peer = std::make_unique<StorePeer>(scratch_.sub("cost-" + std::to_string(n)),
                                              Durability::kAlways);
      peer->populate(workloads.back());
      contenders.push_back(peer->contender(workloads.back()));
      contenders.back().id = "cost.pa-journal." + std::to_string(n);
      contenders.back().label = "pa-journal always, " + count_text(n) + " documents";
      order.push_back(&contenders.back());
      peers.push_back(std::move(peer));
    }
    workloads.emplace_back(config_.seed_docs);
    auto seed = make_seed_peer(scratch_.sub("seed-cost"));
    seed->populate(workloads.back());
    contenders.push_back(seed->contender(workloads.back()));
    contenders.back().id = "cost.seed." + std::to_string(config_.seed_docs);
    contenders.back().label =
        "seed rewrite, " + count_text(config_.seed_docs) + " documents";
    order.push_back(&contenders.back());
    peers.push_back(std::move(seed));
    say("commit cost: " + std::to_string(order.size()) + " stores");
    interleave(order, config_.seconds, config_.rounds);
    for (const Contender* c : order) {
      Figure f;
      f.id = c->id;
      f.group = "Cost of one durable commit against the number of documents";
      f.label = c->label;
      f.value = c->sample.mean_us();
      f.unit = "us/commit";
      f.p50_us = c->sample.percentile_us(50);
      f.p99_us = c->sample.percentile_us(99);
      f.samples = c->sample.ops;
      add(std::move(f));
    }
    peers.clear();
    remove_scratch_files();
  }

  // Phase 4: open (read-only) a store whose journal holds n records and no
  // snapshot; the page cache is warm, so this measures replay, not the disk.
  void replay() {
    Workload w(config_.docs);
    for (uint64_t n : config_.replay_records) {
      std::string dir = scratch_.sub("replay-" + std::to_string(n));
      say("open/replay: writing " + count_text(n) + " records");
      {
        StorePeer peer(dir, Durability::kNone, /*auto_compact=*/false);
        Contender c = peer.contender(w);
        for (uint64_t i = 0; i < n; ++i) c.commit(0, i);
      }
      uint64_t journal_bytes = tree_bytes(dir + "/journal");
      int repeats = n <= 100000 ? 3 : 2;
      double best = 1e300;
      uint64_t replayed = 0;
      for (int r = 0; r < repeats; ++r) {
        Options options;
        options.read_only = true;
        auto start = Clock::now();
        auto store = Store::open(dir, options);
        best = std::min(best, seconds_since(start));
        replayed = store->recovery().records_replayed;
      }
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
      fs::remove_all(dir);
    }
  }

  // Phases 5-7 share one store of compaction_docs documents.
  void compaction_snapshot_memory() {
    Workload w(config_.compaction_docs);
    std::string dir = scratch_.sub("compaction");
    say("compaction: writing " + count_text(w.docs()) + " documents");
    uint64_t snapshot_bytes = 0;
    {
      StorePeer peer(dir, Durability::kAlways, /*auto_compact=*/false);
      peer.populate(w);
      compaction(peer.store(), w);
      snapshot_bytes = peer.store().compact().bytes;  // covers every commit
      if (snapshot_bytes == 0) snapshot_bytes = tree_bytes(dir + "/backups");
    }
    snapshot_load(dir, snapshot_bytes);
    memory(dir);
    fs::remove_all(dir);
  }

  // Compacts while one thread commits durably, and compares the p99 latency of
  // the commits beside a compaction with that of commits before any.
  void compaction(Store& store, const Workload& w) {
    struct Commit {
      Clock::time_point start, end;
    };
    std::vector<Commit> commits;
    commits.reserve(1 << 16);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        Commit c;
        c.start = Clock::now();
        store.put("contacts", w.key(w.doc_for(i)), w.document(i));
        c.end = Clock::now();
        commits.push_back(c);
      }
    });
    auto idle_start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(config_.seconds));
    auto idle_end = Clock::now();
    std::vector<std::pair<Clock::time_point, Clock::time_point>> runs;
    std::vector<double> seconds;
    for (int r = 0; r < std::max(config_.compaction_runs, 1); ++r) {
      say("compaction: run " + std::to_string(r + 1) + " of " +
          std::to_string(config_.compaction_runs));
      auto start = Clock::now();
      store.compact();
      auto end = Clock::now();
      runs.push_back({start, end});
      seconds.push_back(std::chrono::duration<double>(end - start).count());
      // Let the writer commit a little between runs, so each finds new state.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    stop = true;
    writer.join();
    Sample idle, during;
    for (const Commit& c : commits) {
      auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(c.end - c.start).count();
      uint32_t lat = static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX));
      if (c.start >= idle_start && c.end <= idle_end) {
        idle.latency_ns.push_back(lat);
        ++idle.ops;
      }
      for (const auto& [a, b] : runs) {
        if (c.end >= a && c.start <= b) {
          during.latency_ns.push_back(lat);
          ++during.ops;
          break;
        }
      }
    }
    std::sort(seconds.begin(), seconds.end());
    std::string group = "Compaction of " + count_text(w.docs()) +
                        " documents, one durable writer beside it";
    Figure t;
    t.id = "compaction.seconds";
    t.group = group;
    t.label = "compaction time (median)";
    t.value = seconds[seconds.size() / 2];
    t.unit = "s";
    t.samples = seconds.size();
    t.detail = "slowest " + seconds_text(seconds.back());
    add(std::move(t));
    for (auto [id, label, s] :
         {std::tuple{"compaction.p99_idle", "commit latency, idle", &idle},
          std::tuple{"compaction.p99_during", "commit latency, during compaction",
                     &during}}) {
      Figure f;
      f.id = id;
      f.group = group;
      f.label = label;
      f.value = s->percentile_us(99);
      f.unit = "us p99";
      f.p50_us = s->percentile_us(50);
      f.samples = s->ops;
      add(std::move(f));
    }
  }

  // Opens (read-only) the store whose newest snapshot covers every record.
  void snapshot_load(const std::string& dir, uint64_t snapshot_bytes) {
    say("snapshot load: " + std::to_string(snapshot_bytes / 1000000) + " MB");
    double best = 1e300;
    uint64_t replayed = 0;
    for (int r = 0; r < 2; ++r) {
      Options options;
      options.read_only = true;
      auto start = Clock::now();
      auto store = Store::open(dir, options);
      best = std::min(best, seconds_since(start));
      replayed = store->recovery().records_replayed;
    }
    Figure f;
    f.id = "snapshot.load";
    f.group = "Snapshot load (read-only open from a snapshot, warm page cache)";
    f.label = count_text(config_.compaction_docs) + " documents";
    f.value = static_cast<double>(snapshot_bytes) / kMB / best;
    f.unit = "MB/s";
    f.samples = 2;
    f.detail = std::to_string(snapshot_bytes / 1000000) + " MB snapshot in " +
               seconds_text(best) + ", " + std::to_string(replayed) +
               " records replayed after it";
    add(std::move(f));
  }

  void memory(const std::string& dir) {
    say("memory: opening " + count_text(config_.compaction_docs) + " documents");
    nlohmann::json probe;
    if (!config_.probe_command.empty()) {
      probe = run_probe(dir);
    } else {
      ::malloc_trim(0);
      uint64_t before = resident_bytes();
      auto store = Store::open(dir);
      uint64_t raw = 2;
      for (const auto& name : store->collections()) {
        raw += name.size() + 5;
        for (const auto& [key, doc] : store->list(name))
          raw += key.size() + doc.size() + 4;
      }
      probe = {{"rss_bytes", resident_bytes() - before},
               {"hwm_bytes", 0},
               {"raw_json_bytes", raw}};
      report_.notes.push_back(
          "memory measured in-process as the growth of VmRSS on open");
    }
    Figure f;
    f.id = "memory.rss";
    f.group = "Resident memory with " + count_text(config_.compaction_docs) +
              " documents open (fresh process)";
    f.label = "VmRSS after open";
    f.value = probe["rss_bytes"].get<double>() / kMB;
    f.unit = "MB";
    f.detail = "peak VmHWM " +
               std::to_string(probe["hwm_bytes"].get<uint64_t>() / 1000000) + " MB; " +
               std::to_string(probe.value("trimmed_rss_bytes", uint64_t{0}) / 1000000) +
               " MB after malloc_trim(0); " +
               std::to_string(probe.value("baseline_rss_bytes", uint64_t{0}) / 1000000) +
               " MB before open";
    add(std::move(f));
    Figure raw;
    raw.id = "memory.raw_json";
    raw.group = report_.figures.back().group;
    raw.label = "raw JSON of the state";
    raw.value = probe["raw_json_bytes"].get<double>() / kMB;
    raw.unit = "MB";
    add(std::move(raw));
  }

  // Runs probe_command + dir and parses the JSON it prints.
  nlohmann::json run_probe(const std::string& dir) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<std::string> args = config_.probe_command;
    args.push_back(dir);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; rc == 0 && (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    if (rc == 0) ::waitpid(pid, &status, 0);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("the memory probe (" + args[0] + ") failed: " + out);
    }
    return nlohmann::json::parse(out);
  }

  // ---------------------------------------------------------------- targets

  double value(const std::string& id) const {
    const Figure* f = report_.find(id);
    return f != nullptr ? f->value : std::nan("");
  }

  void target(std::string id, std::string text, std::string figure, std::string versus,
              double ratio, double required, bool at_least, std::string note = {}) {
    Target t;
    t.id = std::move(id);
    t.text = std::move(text);
    t.figure = std::move(figure);
    t.versus = std::move(versus);
    t.ratio = ratio;
    t.required = required;
    t.at_least = at_least;
    t.measured = !std::isnan(ratio);
    t.pass = t.measured && (at_least ? ratio >= required : ratio <= required);
    // Size notes say nothing about a figure that was not measured.
    bool missing_peer = note.rfind("no SQLite", 0) == 0;
    t.note = t.measured || missing_peer ? std::move(note) : "not measured";
    report_.targets.push_back(std::move(t));
  }

  std::string size_note(uint64_t measured, uint64_t named) const {
    if (measured == named) return {};
    return "measured at " + count_text(measured) + ", the target names " +
           count_text(named);
  }

  // Ratios no target judges but a reader wants: scaling with threads and size.
  // Runs after the targets, and leaves out what a target already shows.
  void context_ratios() {
    auto judged = [this](const Figure& f, const std::string& versus) {
      for (const Target& t : report_.targets) {
        if (t.figure == f.id && t.versus == versus) return true;
      }
      return false;
    };
    const Figure* one =
        report_.find("threads." + std::to_string(config_.threads.front()));
    const Figure* smallest =
        report_.find("cost.pa-journal." + std::to_string(config_.cost_docs.front()));
    std::string largest_replay =
        "replay." + std::to_string(*std::max_element(config_.replay_records.begin(),
                                                     config_.replay_records.end()));
    for (Figure& f : report_.figures) {
      if (one != nullptr && f.id.rfind("threads.", 0) == 0 && &f != one &&
          !judged(f, one->label)) {
        f.ratios.push_back({one->label, f.value / one->value});
      }
      if (smallest != nullptr && f.id.rfind("cost.pa-journal.", 0) == 0 &&
          &f != smallest && !judged(f, smallest->label)) {
        f.ratios.push_back({smallest->label, f.value / smallest->value});
      }
      if (f.id.rfind("replay.", 0) == 0 && f.id != largest_replay) {
        f.ratios.push_back({"1,000,000 records/s", f.value / 1e6});
      }
    }
  }

  void judge() {
    const std::string sqlite_note = have_sqlite() ? "" : "no SQLite in this build";
    double always = value("commit.pa-journal-always");
    target(
        "always-vs-sqlite-full",
        "durable single writer (always) >= 1.5x SQLite WAL synchronous=FULL, 1 row/txn",
        "commit.pa-journal-always", "SQLite WAL full, 1 row/txn",
        always / value("commit.sqlite-full-1"), 1.5, true, sqlite_note);
    target("always-vs-fdatasync",
           "durable single writer (always) >= 0.8x write+fdatasync",
           "commit.pa-journal-always", "disk: write+fdatasync",
           always / value("commit.write-fdatasync"), 0.8, true);
    int most = *std::max_element(config_.threads.begin(), config_.threads.end());
    int fewest = *std::min_element(config_.threads.begin(), config_.threads.end());
    target("group-commit", "8 concurrent durable writers >= 4x the single durable writer",
           "threads." + std::to_string(most), "pa-journal always, 1 thread",
           value("threads." + std::to_string(most)) /
               value("threads." + std::to_string(fewest)),
           4.0, true,
           most == 8 && fewest == 1 ? ""
                                    : "measured " + std::to_string(most) + " vs " +
                                          std::to_string(fewest) + " threads");
    double none = value("commit.pa-journal-none");
    target("none-absolute", "none: >= 1,000,000 commits/s on one thread",
           "commit.pa-journal-none", "1,000,000 commits/s", none / 1e6, 1.0, true);
    target("none-vs-sqlite-normal-1000",
           "none: >= 3x SQLite WAL synchronous=NORMAL, 1,000 rows/txn",
           "commit.pa-journal-none", "SQLite WAL normal, 1000 rows/txn",
           none / value("commit.sqlite-normal-1000"), 3.0, true, sqlite_note);
    uint64_t replayed =
        *std::max_element(config_.replay_records.begin(), config_.replay_records.end());
    target("replay", "open/replay of a 1,000,000-record journal >= 1,000,000 records/s",
           "replay." + std::to_string(replayed), "1,000,000 records/s",
           value("replay." + std::to_string(replayed)) / 1e6, 1.0, true,
           size_note(replayed, 1000000));
    std::string compaction_note = size_note(config_.compaction_docs, 1000000);
    target("snapshot-load", "loading snapshots >= 300 MB/s of JSON", "snapshot.load",
           "300 MB/s", value("snapshot.load") / 300.0, 1.0, true, compaction_note);
    target("compaction-time", "compaction of 1,000,000 documents under 2 s",
           "compaction.seconds", "2 s", value("compaction.seconds") / 2.0, 1.0, false,
           compaction_note);
    target("compaction-p99",
           "p99 commit latency during compaction within 2x of the idle p99",
           "compaction.p99_during", "commit latency, idle",
           value("compaction.p99_during") / value("compaction.p99_idle"), 2.0, false,
           compaction_note);
    uint64_t small = config_.cost_docs.front(), large = config_.cost_docs.back();
    target("cost-flat",
           "commit cost at 100,000 documents within 1.2x of the cost at 1,000 (durable)",
           "cost.pa-journal." + std::to_string(large),
           "pa-journal always, " + count_text(small) + " documents",
           value("cost.pa-journal." + std::to_string(large)) /
               value("cost.pa-journal." + std::to_string(small)),
           1.2, false,
           small == 1000 && large == 100000 ? ""
                                            : "measured " + count_text(large) + " vs " +
                                                  count_text(small) + " documents");
    uint64_t n = config_.seed_docs;
    std::string store_at_n = "cost.pa-journal." + std::to_string(n);
    std::string seed_note = size_note(n, 10000);
    if (report_.find(store_at_n) == nullptr)
      seed_note = "no pa-journal cost at this size";
    target("vs-seed",
           "commit at 10,000 documents >= 25x faster than the seed's whole-file rewrite",
           "cost.seed." + std::to_string(n),
           "pa-journal always, " + count_text(n) + " documents",
           value("cost.seed." + std::to_string(n)) / value(store_at_n), 25.0, true,
           seed_note);
    double limit = 2 * value("memory.raw_json") + 50;
    target("memory", "resident size <= 2x the raw JSON size of the state + 50 MB",
           "memory.rss", "2 x raw JSON + 50 MB", value("memory.rss") / limit, 1.0, false,
           compaction_note);
  }

  // Each phase leaves its files to the next only through the figures.
  void remove_scratch_files() {
    for (const auto& entry : fs::directory_iterator(scratch_.path())) {
      fs::remove_all(entry.path());
    }
  }

  const Config& config_;
  ScratchDir scratch_;
  Report report_;
};

}  // namespace

Report run(const Config& config) { return Runner(config).run(); }

int memory_probe_main(const std::string& dir) {
  uint64_t baseline = resident_bytes();
  Options options;
  options.auto_compact = false;  // the steady state, not a compaction's copy
  auto store = Store::open(dir, options);
  uint64_t rss = resident_bytes();
  uint64_t hwm = peak_resident_bytes();
  // How much of it is the heap keeping freed memory (from parsing the
  // snapshot, say) rather than the state itself.
  ::malloc_trim(0);
  uint64_t trimmed = resident_bytes();
  // The state as one JSON object {"collection":{"key":document,...},...}.
  uint64_t raw = 2, documents = 0;
  for (const auto& name : store->collections()) {
    raw += name.size() + 5;
    for (const auto& [key, doc] : store->list(name)) {
      raw += key.size() + doc.size() + 4;
      ++documents;
    }
  }
  nlohmann::json out = {{"rss_bytes", rss},      {"trimmed_rss_bytes", trimmed},
                        {"hwm_bytes", hwm},      {"baseline_rss_bytes", baseline},
                        {"raw_json_bytes", raw}, {"documents", documents}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace pa_journal::bench
