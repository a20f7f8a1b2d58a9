// The cli phase's disk rounds: the store of cli_docs documents that
// cli_apply made and cli_reads compacted takes a steady stream of edits with
// the default settings (durability always, the default retention and
// automatic compaction): each round, `pa-journal apply` patches 5% of the
// documents (each a new phone number of the same length, so the live state
// keeps its size), then `pa-journal compact` writes a snapshot. The store's
// directory is measured as du(1) counts it (hard links once), after each
// command and every 50 ms while one runs; the peak and the final size are
// judged against the live state's JSON, as `list --json` printed it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/bench/bench_cli.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

namespace {

// Round `round`'s patches: every 20th key, shifted by the round, so that
// successive rounds edit different documents.
void write_patch_lines(const std::string& path, uint64_t docs, int round) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  for (uint64_t d = static_cast<uint64_t>(round) % 20; d < docs; d += 20) {
    std::fprintf(f,
                 R"({"op":"patch","collection":"contacts","key":"%s",)"
                 R"("value":{"phone":"+1-555-%03d-%04llu"}})"
                 "\n",
                 cli_key(d).c_str(), round % 1000,
                 static_cast<unsigned long long>(d % 10000));
  }
  if (std::fclose(f) != 0) throw std::runtime_error("cannot write " + path);
}

// The largest disk_usage(dir) seen every 50 ms, on a thread of its own,
// from construction until stop().
class PeakSampler {
 public:
  explicit PeakSampler(std::string dir) : dir_(std::move(dir)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~PeakSampler() { stop(); }
  uint64_t stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      uint64_t now = disk_usage(dir_);
      lock.lock();
      peak_ = std::max(peak_, now);
      cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_; });
    }
  }

  std::string dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  uint64_t peak_ = 0;      // guarded by mu_; read after the join
  std::thread thread_;
};

// "inspect: journal 12.3 MB in 2 segments, snapshots 45.6 MB plain + 7.8 MB
// compressed in 3" from inspect --json's disk use (a linked file counted once).
std::string space_text(const nlohmann::json& summary) {
  nlohmann::json disk = summary.value("disk", nlohmann::json::object());
  auto mb = [&disk](const char* field) {
    return static_cast<double>(disk.value(field, uint64_t{0})) / kMB;
  };
  char text[200];
  std::snprintf(
      text, sizeof text,
      "inspect: journal %.1f MB in %zu segments, snapshots %.1f MB plain + %.1f "
      "MB compressed in %zu",
      mb("journal"), summary.value("segments", nlohmann::json::array()).size(),
      mb("snapshots"), mb("compressed_snapshots"),
      summary.value("snapshots", nlohmann::json::array()).size());
  return text;
}

}  // namespace

void Runner::cli_disk(const CliSetup& s, uint64_t live_json_bytes) {
  uint64_t n = config_.cli_docs;
  int rounds = config_.cli_disk_rounds;
  std::string store = s.path("store"), patches = s.path("patches.ndjson");
  uint64_t before = disk_usage(store), peak = before;
  for (int r = 0; r < rounds; ++r) {
    say("cli: disk round " + std::to_string(r + 1) + " of " + std::to_string(rounds) +
        ": apply patches to 5% of " + count_text(n) + " documents, then compact");
    write_patch_lines(patches, n, r);
    PeakSampler sampler(store);
    s.run(s.tool_args(store, {"apply", patches}), s.io(), "pa-journal apply (patches)");
    peak = std::max(peak, disk_usage(store));
    s.run(s.tool_args(store, {"compact"}), s.io(), "pa-journal compact");
    peak = std::max({peak, disk_usage(store), sampler.stop()});
  }
  uint64_t final_bytes = disk_usage(store);
  ChildIo summary_io = s.io();
  summary_io.read_stdout = true;
  summary_io.keep_stdout = 1 << 20;
  ChildRun summary =
      s.run(s.tool_args(store, {"--json", "inspect"}), summary_io, "pa-journal inspect");

  std::string group = "Command line: disk of a " + count_text(n) + "-document store, " +
                      std::to_string(rounds) + " rounds of patching 5% and compact";
  auto figure = [&](const std::string& id, const std::string& label, uint64_t bytes,
                    std::string detail) {
    Figure f;
    f.id = id;
    f.group = group;
    f.label = label;
    f.value = static_cast<double>(bytes) / kMB;
    f.unit = "MB";
    f.samples = static_cast<uint64_t>(rounds);
    f.detail = std::move(detail);
    add(std::move(f));
  };
  figure("cli.disk.live", "live state (list --json)", live_json_bytes, "");
  figure("cli.disk.before", "store before the rounds", before, "after apply and compact");
  figure("cli.disk.peak", "store at its peak", peak, "sampled every 50 ms");
  figure("cli.disk.final", "store after the rounds", final_bytes,
         space_text(nlohmann::json::parse(summary.out)));
  figure("cli.disk.sqlite", "sqlite3's database, same rows",
         disk_usage(s.path("docs.db")), "before the rounds");
  std::remove(patches.c_str());
}

}  // namespace pa_journal::bench
