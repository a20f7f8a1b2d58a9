// Phase 8 of the benchmark: the commit latency beside a restore and beside
// an import of a large state (docs/design.md 7), both run on one store of
// compaction_docs documents, and in the same run the ratio this machine
// itself gives: a bare durable write loop idle and beside a thread doing the
// same kind and amount of work without the store.
//
// Each committer runs open-loop: it means to start a commit every `period`
// and times each from when it was due, not from when it started, so that a
// commit held up for a second counts as the second of commits it delays
// (as a client with a steady rate sees it), not as one slow commit among
// thousands that a closed-loop p99 would hide. The period is 4x a durable
// commit's median and at least 5 ms, so that a disk whose latency drifts
// does not leave the committer ever further behind.
//
// The bare loop is the disk's fastest durable commit (contenders.h: one 4 KiB
// O_DIRECT|O_DSYNC write, the pattern of a durable commit's append) at the
// same period. Its ratio beside a hog to its idle p99 is the ceiling: what the
// disk's queue and the scheduler of this machine allow with no lock of the
// store anywhere. A target within 2x of idle is judged against that ceiling
// when it exceeds 2x (bench_targets.cc).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {
namespace {

using Window = std::pair<Clock::time_point, Clock::time_point>;

// What the machine did, as running totals: the bytes this process and the
// whole of its disks read and wrote, and the seconds during which some task
// waited for a CPU or for I/O (/proc/pressure; zero where there is none).
struct MachineCounters {
  double own_read = 0, own_written = 0, disk_read = 0, disk_written = 0;
  double cpu_wait_s = 0, io_wait_s = 0;

  MachineCounters& operator+=(const MachineCounters& o) {
    own_read += o.own_read, own_written += o.own_written;
    disk_read += o.disk_read, disk_written += o.disk_written;
    cpu_wait_s += o.cpu_wait_s, io_wait_s += o.io_wait_s;
    return *this;
  }
  MachineCounters operator-(const MachineCounters& o) const {
    return {own_read - o.own_read,     own_written - o.own_written,
            disk_read - o.disk_read,   disk_written - o.disk_written,
            cpu_wait_s - o.cpu_wait_s, io_wait_s - o.io_wait_s};
  }
};

// The value after `key` (e.g. "write_bytes:" or "total=") in the file's text.
double value_after(const std::string& text, const std::string& key) {
  size_t at = text.find(key);
  return at == std::string::npos ? 0
                                 : std::strtod(text.c_str() + at + key.size(), nullptr);
}

std::string text_of(const char* path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

MachineCounters machine_counters() {
  MachineCounters c;
  std::string io = text_of("/proc/self/io");
  c.own_read = value_after(io, "read_bytes:");
  c.own_written = value_after(io, "write_bytes:");
  // Whole disks only (vda, sda, nvme0n1), not their partitions.
  std::istringstream disks(text_of("/proc/diskstats"));
  std::string line;
  while (std::getline(disks, line)) {
    std::istringstream fields(line);
    std::string major, minor, name, f[7];
    fields >> major >> minor >> name;
    for (auto& field : f) fields >> field;
    bool whole =
        !name.empty() && (name.rfind("nvme", 0) == 0
                              ? name.find('p') == std::string::npos
                              : !std::isdigit(static_cast<unsigned char>(name.back())));
    if (!whole || name.rfind("loop", 0) == 0 || name.rfind("zram", 0) == 0) continue;
    c.disk_read += std::strtod(f[2].c_str(), nullptr) * 512;  // sectors read
    c.disk_written += std::strtod(f[6].c_str(), nullptr) * 512;
  }
  c.cpu_wait_s = value_after(text_of("/proc/pressure/cpu"), "total=") / 1e6;
  c.io_wait_s = value_after(text_of("/proc/pressure/io"), "total=") / 1e6;
  return c;
}

// The spans a piece of work ran in, and what the machine did meanwhile.
struct Windows {
  std::vector<Window> spans;
  MachineCounters used;

  // Runs work once as a new span.
  void run(const std::function<void()>& work) {
    MachineCounters before = machine_counters();
    auto start = Clock::now();
    work();
    spans.push_back({start, Clock::now()});
    used += machine_counters() - before;
  }
  double total_seconds() const {
    double total = 0;
    for (const Window& span : spans)
      total += std::chrono::duration<double>(span.second - span.first).count();
    return total;
  }
};

// One commit of a steady committer, and the committing thread's context
// switches while it ran: involuntary ones mean it was preempted (waited for
// a CPU), voluntary ones that it slept (on the disk or a lock).
struct Commit {
  Clock::time_point due, ready, start, end;  // ready: due, or the one before ended
  long voluntary = 0, involuntary = 0;
};

struct Switches {
  long voluntary = 0, involuntary = 0;
};

Switches thread_switches() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return {usage.ru_nvcsw, usage.ru_nivcsw};
}

uint32_t micros(Clock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX));
}

// Calls commit(i) every period (or at once when behind) until stop.
class SteadyCommitter {
 public:
  SteadyCommitter(std::function<void(uint64_t)> commit, Clock::duration period)
      : thread_([this, commit = std::move(commit), period] { run(commit, period); }) {}
  ~SteadyCommitter() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // The commits due within any of windows (after stop()).
  std::vector<Commit> within(const Windows& windows) const {
    std::vector<Commit> out;
    for (const Commit& c : commits_) {
      for (const Window& window : windows.spans) {
        if (c.due >= window.first && c.due <= window.second) {
          out.push_back(c);
          break;
        }
      }
    }
    return out;
  }

 private:
  void run(const std::function<void(uint64_t)>& commit, Clock::duration period) {
    Clock::time_point due = Clock::now();
    Clock::time_point last_end = due;
    for (uint64_t i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
      std::this_thread::sleep_until(due);
      Commit c{due, std::max(due, last_end), Clock::now(), {}};
      Switches before = thread_switches();
      commit(i);
      c.end = Clock::now();
      Switches after = thread_switches();
      c.voluntary = after.voluntary - before.voluntary;
      c.involuntary = after.involuntary - before.involuntary;
      commits_.push_back(c);
      last_end = c.end;
      due += period;
    }
  }

  std::vector<Commit> commits_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Sample sample_of(const std::vector<Commit>& commits) {
  Sample s;
  for (const Commit& c : commits) {
    s.latency_ns.push_back(static_cast<uint32_t>(std::min<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(c.end - c.due).count(),
        UINT32_MAX)));
    ++s.ops;
  }
  return s;
}

// Where the commits slower than limit_us lost most of their time: waiting
// for the commit before to end, waking up late (waiting for a CPU), or in
// the commit itself (the disk, a lock; "preempted": it lost its CPU
// meanwhile).
std::string slow_commits(const std::vector<Commit>& commits, double limit_us) {
  int slow = 0, behind = 0, woke_late = 0, in_commit = 0, preempted = 0;
  for (const Commit& c : commits) {
    if (micros(c.end - c.due) <= limit_us) continue;
    ++slow;
    uint32_t parts[] = {micros(c.ready - c.due), micros(c.start - c.ready),
                        micros(c.end - c.start)};
    auto most = std::max_element(std::begin(parts), std::end(parts)) - std::begin(parts);
    (most == 0 ? behind : most == 1 ? woke_late : in_commit) += 1;
    if (c.involuntary > 0) ++preempted;
  }
  return std::to_string(slow) + " over 2x the idle p99 (" + std::to_string(in_commit) +
         " mostly in the commit, " + std::to_string(woke_late) + " woke late, " +
         std::to_string(behind) + " behind the one before; " + std::to_string(preempted) +
         " preempted)";
}

// What the machine did during windows, per second.
std::string machine_use(const Windows& windows) {
  double s = windows.total_seconds();
  const MachineCounters& u = windows.used;
  char text[256];
  std::snprintf(text, sizeof text,
                "this process wrote %.0f MB/s, the disk %.0f MB/s (read %.0f/%.0f); "
                "tasks waiting for a CPU %.0f%%, for I/O %.0f%% of the time",
                u.own_written / s / kMB, u.disk_written / s / kMB, u.own_read / s / kMB,
                u.disk_read / s / kMB, 100 * u.cpu_wait_s / s, 100 * u.io_wait_s / s);
  return text;
}

// The median latency of a few durable commits in a row.
Clock::duration median_commit(Store& store, const Workload& w) {
  std::vector<Clock::duration> took;
  for (uint64_t i = 0; i < 50; ++i) {
    auto start = Clock::now();
    store.put("contacts", w.key(w.doc_for(i)), w.document(i));
    took.push_back(Clock::now() - start);
  }
  std::sort(took.begin(), took.end());
  return took[took.size() / 2];
}

// Runs work until it has taken min_seconds in all (20 runs at most).
Windows repeat_for(double min_seconds, const std::function<void()>& work) {
  Windows windows;
  for (int r = 0; r < 20 && (r == 0 || windows.total_seconds() < min_seconds); ++r) {
    windows.run(work);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return windows;
}

// The mean length of a span of windows.
Clock::duration mean_span(const Windows& windows) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
      windows.total_seconds() / static_cast<double>(windows.spans.size())));
}

Windows idle_for(double seconds) {
  Windows windows;
  windows.run(
      [&] { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); });
  return windows;
}

uint64_t bytes_under(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return bytes;
}

// An import's file work without the store: reads every file under read_dir
// (none if empty), then writes write_bytes to write_path in 8 MB steps, each
// synced, as a snapshot is written, and removes it.
void write_like_a_snapshot(const std::string& read_dir, const std::string& write_path,
                           uint64_t write_bytes) {
  if (!read_dir.empty()) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(read_dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), {});
    }
  }
  if (write_bytes == 0) return;
  int fd = ::open(write_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + write_path);
  std::string step(8u << 20, '{');
  for (uint64_t written = 0; written < write_bytes; written += step.size()) {
    if (::write(fd, step.data(), step.size()) != static_cast<ssize_t>(step.size()) ||
        ::fdatasync(fd) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + write_path);
    }
  }
  ::close(fd);
  std::filesystem::remove(write_path);
}

// The hog beside the bare loop: a restore's or an import's kind of work with
// no store, for as long as one took. It builds a map of the state's size from
// the workload's keys and documents (as loading the past state or the import
// does), walks it (as the diff does) and frees it, again until `lasting` has
// passed; for an import it first reads the export and writes as many bytes as
// a snapshot, synced every 8 MB (the import's compaction).
void hog(const Workload& w, Clock::duration lasting, const std::string& read_dir,
         const std::string& write_path, uint64_t write_bytes) {
  auto until = Clock::now() + lasting;
  write_like_a_snapshot(read_dir, write_path, write_bytes);
  do {
    std::map<std::string, std::string> state;
    for (uint64_t d = 0; d < w.docs(); ++d) state.emplace(w.key(d), w.document(d));
    uint64_t changed = 0;
    for (const auto& entry : state) changed += entry.second != w.document(0);
    if (changed == 0) throw std::logic_error("the hog's walk was optimised away");
  } while (Clock::now() < until);
}

// A committer's p99 in windows, as a figure; for a window of work, the slow
// commits' causes in its detail, against the idle p99.
Figure p99_figure(std::string id, std::string group, std::string label,
                  const std::vector<Commit>& commits, const Windows& windows, bool work,
                  double idle_p99) {
  Sample s = sample_of(commits);
  Figure f;
  f.id = std::move(id);
  f.group = std::move(group);
  f.label = std::move(label);
  f.value = s.percentile_us(99);
  f.unit = "us p99";
  f.p50_us = s.percentile_us(50);
  f.samples = s.ops;
  f.detail = "slowest " + std::to_string(std::lround(s.percentile_us(100))) + " us";
  if (work) {
    f.detail += "; " + std::to_string(windows.spans.size()) + " run(s) of " +
                seconds_text(windows.total_seconds() /
                             static_cast<double>(windows.spans.size())) +
                "; " + slow_commits(commits, 2 * idle_p99);
  }
  f.detail += "; " + machine_use(windows);
  return f;
}

using NamedWindows = std::vector<std::pair<std::string, const Windows*>>;

// Appends every commit due within the windows to the CSV file at path (none
// if path is empty): committer, window, when due (ms from the first), how
// late it started and how long it took (us), and its context switches.
void trace(const std::string& path, const std::string& committer_name,
           const NamedWindows& windows, const SteadyCommitter& committer) {
  if (path.empty()) return;
  bool fresh = !std::filesystem::exists(path);
  std::ofstream out(path, std::ios::app);
  if (fresh) {
    out << "committer,window,due_ms,behind_us,woke_late_us,took_us,voluntary,"
           "involuntary\n";
  }
  for (const auto& [name, list] : windows) {
    std::vector<Commit> commits = committer.within(*list);
    if (commits.empty()) continue;
    Clock::time_point zero = list->spans.front().first;
    for (const Commit& c : commits) {
      out << committer_name << ',' << name << ','
          << std::chrono::duration<double, std::milli>(c.due - zero).count() << ','
          << micros(c.ready - c.due) << ',' << micros(c.start - c.ready) << ','
          << micros(c.end - c.start) << ',' << c.voluntary << ',' << c.involuntary
          << '\n';
    }
  }
}

// Changes every 1000th document in one commit; the time of a commit just
// before it, which a restore can go back to.
int64_t change_a_thousandth(Store& store, const Workload& w) {
  int64_t before = store.put("contacts", w.key(0), w.document(0)).time_ns;
  std::vector<Operation> ops;
  for (uint64_t d = 0; d < w.docs(); d += 1000) {
    ops.push_back({OpKind::kPut, "contacts", w.key(d), w.document(d + 1)});
  }
  store.commit(std::move(ops));
  return before;
}

}  // namespace

// The store is written with durability none in commits of 10,000 documents,
// then changed in 0.1% of its documents: the restore goes back to before that
// change, and the import brings back an export taken after it, so that both
// change a few documents of a large state. They are measured with durability
// always, a durable committer beside them, with the same committer beside a
// restore's work without its commit (plan_restore: no writer's lock taken)
// in between; then the machine's ceiling (restore_ceiling). Restores come
// before imports: an import's compaction leaves no snapshot from before the
// change.
void Runner::restore_import() {
  Workload w(config_.compaction_docs);
  std::string dir = scratch_.sub("restore");
  std::string exported = scratch_.sub("restore-export");
  say("restore/import: writing " + count_text(w.docs()) + " documents");
  int64_t before_change = 0;
  {
    Options options;
    options.durability = Durability::kNone;
    options.auto_compact = false;
    auto store = Store::open(dir, options);
    populate_store(*store, w);
    before_change = change_a_thousandth(*store, w);
    store->compact();
  }
  Options options;
  options.durability = Durability::kAlways;
  options.auto_compact = false;
  auto store = Store::open(dir, options);
  store->export_to(exported);
  Clock::duration period = std::max<Clock::duration>(4 * median_commit(*store, w),
                                                     std::chrono::milliseconds(5));
  // Long enough for 20 commits due at least, however slow the disk.
  double seconds =
      std::max(config_.seconds, 20 * std::chrono::duration<double>(period).count());
  SteadyCommitter committer(
      [&](uint64_t i) { store->put("contacts", w.key(w.doc_for(i)), w.document(i)); },
      period);
  Windows idle = idle_for(seconds);
  say("restore/import: restoring");
  Windows restores = repeat_for(seconds, [&] { store->restore_to(before_change); });
  say("restore/import: a restore's work without its commit");
  Windows plans = repeat_for(seconds, [&] { store->plan_restore(before_change); });
  say("restore/import: importing");
  Windows imports = repeat_for(seconds, [&] { store->import_from(exported); });
  committer.stop();
  std::string group =
      "Restore and import of " + count_text(w.docs()) +
      " documents, one durable writer beside them (a commit due every " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::microseconds>(period).count()) +
      " us, timed from when it was due)";
  double idle_p99 = sample_of(committer.within(idle)).percentile_us(99);
  add(p99_figure("restore.p99_idle", group, "commit latency, idle",
                 committer.within(idle), idle, false, idle_p99));
  add(p99_figure("restore.p99_during", group, "commit latency, during a restore",
                 committer.within(restores), restores, true, idle_p99));
  add(p99_figure("import.p99_during", group, "commit latency, during an import",
                 committer.within(imports), imports, true, idle_p99));
  add(p99_figure("restore.p99_plan", group,
                 "commit latency, during a restore's work without its commit",
                 committer.within(plans), plans, true, idle_p99));
  trace(config_.latency_trace, "store",
        {{"idle", &idle}, {"restore", &restores}, {"import", &imports}, {"plan", &plans}},
        committer);
  restore_ceiling(w, *store, exported, period, seconds, mean_span(restores),
                  mean_span(imports));
  store.reset();
  remove_phase_dir(exported);
  remove_phase_dir(dir);
}

// The ceiling: the bare durable write loop at the same period, idle, beside
// a hog lasting as long as a restore and as an import took (no store), and
// beside the store's own restores and imports with nothing waiting on the
// store.
void Runner::restore_ceiling(const Workload& w, Store& store, const std::string& exported,
                             Clock::duration period, double seconds,
                             Clock::duration restore_took, Clock::duration import_took) {
  say("restore/import: the machine's ceiling (a bare durable write loop)");
  std::string bare_path = scratch_.sub("restore-bare");
  std::string hog_path = scratch_.sub("restore-hog");
  uint64_t snapshot_bytes = bytes_under(exported);
  auto disk = make_disk_overwrite_peer(bare_path);
  disk->populate(w);
  Contender bare_commit = disk->contender(w);
  SteadyCommitter bare([&](uint64_t i) { bare_commit.commit(0, i); }, period);
  Windows idle = idle_for(seconds);
  // A tiny state's restore takes less than a period: a hog that short might
  // have no commit due within it at all.
  restore_took = std::max(restore_took, 2 * period);
  import_took = std::max(import_took, 2 * period);
  Windows restore_hogs = repeat_for(seconds, [&] { hog(w, restore_took, {}, {}, 0); });
  Windows import_hogs = repeat_for(
      seconds, [&] { hog(w, import_took, exported, hog_path, snapshot_bytes); });
  // As in restore_import, but the imports there left no snapshot from before
  // its change: a new one.
  int64_t before_change = change_a_thousandth(store, w);
  Windows restores = repeat_for(seconds, [&] { store.restore_to(before_change); });
  Windows imports = repeat_for(seconds, [&] { store.import_from(exported); });
  bare.stop();
  std::string group =
      "The machine's ceiling: a bare durable write loop (one 4 KiB O_DIRECT|O_DSYNC "
      "write, as a durable commit's) at the same period, no store";
  double idle_p99 = sample_of(bare.within(idle)).percentile_us(99);
  add(p99_figure("ceiling.p99_idle", group, "bare durable write, idle", bare.within(idle),
                 idle, false, idle_p99));
  add(p99_figure("ceiling.p99_restore_hog", group,
                 "bare durable write, beside a restore-sized hog (maps of " +
                     count_text(w.docs()) +
                     " documents built, walked, freed for as long as a restore)",
                 bare.within(restore_hogs), restore_hogs, true, idle_p99));
  add(p99_figure("ceiling.p99_import_hog", group,
                 "bare durable write, beside an import-sized hog (the export read, " +
                     count_text(snapshot_bytes / 1000000) +
                     " MB written and synced every 8 MB, then maps as above for as "
                     "long as an import)",
                 bare.within(import_hogs), import_hogs, true, idle_p99));
  add(p99_figure("ceiling.p99_restore", group,
                 "bare durable write, beside the store's restores (nothing waiting on "
                 "the store)",
                 bare.within(restores), restores, true, idle_p99));
  add(p99_figure("ceiling.p99_import", group,
                 "bare durable write, beside the store's imports (nothing waiting on the "
                 "store)",
                 bare.within(imports), imports, true, idle_p99));
  trace(config_.latency_trace, "bare",
        {{"idle", &idle},
         {"restore-hog", &restore_hogs},
         {"import-hog", &import_hogs},
         {"restore", &restores},
         {"import", &imports}},
        bare);
  disk.reset();
  std::filesystem::remove(bare_path);
}

}  // namespace pa_journal::bench
