// The workload every contender gets, and the timing loop that measures them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pa_journal::bench {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// 200-byte contact documents (compact JSON, keys sorted, so a store that
// stores canonical JSON keeps them byte for byte) and their keys. Commit i
// writes document(i) under key(doc_for(i)): consecutive commits hit keys spread
// over all `docs` documents.
class Workload {
 public:
  static constexpr size_t kDocumentBytes = 200;

  explicit Workload(uint64_t docs);
  uint64_t docs() const { return docs_; }
  const std::string& key(uint64_t doc) const { return keys_[doc]; }
  uint64_t doc_for(uint64_t i) const;
  const std::string& document(uint64_t i) const {
    return variants_[i % variants_.size()];
  }

 private:
  uint64_t docs_;
  std::vector<std::string> keys_;
  std::vector<std::string> variants_;
};

// The document of variant v (what Workload holds 1,024 of), padded to
// `bytes` (at least 180).
std::string contact_document(uint64_t v, size_t bytes = Workload::kDocumentBytes);

// Commit latencies and counts of one measurement.
struct Sample {
  uint64_t ops = 0;
  double seconds = 0;
  std::vector<uint32_t> latency_ns;  // one per op, saturated at ~4.3 s

  double rate() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double mean_us() const {
    return ops > 0 ? seconds * 1e6 / static_cast<double>(ops) : 0;
  }
  // Nearest-rank percentile (p in [0, 100]) in microseconds; 0 if empty.
  double percentile_us(double p) const;
  void merge(const Sample& other);
};

// One contender of a throughput figure: what one commit is, on how many
// threads, and what ends a burst (a batch still open, say).
struct Contender {
  std::string id, label;
  int threads = 1;
  // Commits once: thread in [0, threads), i a global commit number.
  std::function<void(int thread, uint64_t i)> commit;
  std::function<void()> end_burst;  // timed as part of the burst; may be null
  Sample sample;
  uint64_t next_i = 0;
};

// Runs op on `threads` threads until `seconds` have passed, recording each
// op's latency. Op numbers start at first_i and are unique across threads.
Sample run_for(double seconds, int threads, const std::function<void(int, uint64_t)>& op,
               uint64_t first_i);

// Measures every contender for seconds_each in total, in `rounds` bursts each,
// taking turns, so that a disk whose speed drifts during the run treats them
// alike; each burst starts after a sync(2). Results accumulate in
// Contender::sample.
void interleave(std::vector<Contender*> contenders, double seconds_each, int rounds);

// VmRSS and VmHWM of this process from /proc/self/status, in bytes (0 if
// unreadable).
uint64_t resident_bytes();
uint64_t peak_resident_bytes();

// Total size of the regular files under path.
uint64_t tree_bytes(const std::string& path);

}  // namespace pa_journal::bench
