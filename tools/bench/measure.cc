#include "tools/bench/measure.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace pa_journal::bench {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string contact_document(uint64_t v, size_t bytes) {
  static const char* const kTags[] = {"family", "friend", "work", "school", "club"};
  char head[160];
  std::snprintf(head, sizeof head,
                R"({"company":"Example Co %03u","email":"contact%06u@example.org",)"
                R"("name":"Contact %06u","notes":")",
                static_cast<unsigned>(v % 1000), static_cast<unsigned>(v),
                static_cast<unsigned>(v));
  char tail[96];
  std::snprintf(tail, sizeof tail, R"(","phone":"+1-555-%03u-%04u","tags":["%s","%s"]})",
                static_cast<unsigned>(v % 1000), static_cast<unsigned>(v % 10000),
                kTags[v % 5], kTags[(v + 2) % 5]);
  std::string doc = head;
  size_t fixed = doc.size() + std::string(tail).size();
  // Pad the notes so that every document is exactly `bytes`.
  static const std::string kWords = "met at the conference; call back about the project ";
  for (size_t n = 0; fixed + n < bytes; ++n) {
    doc += kWords[(n + v) % kWords.size()];
  }
  doc += tail;
  return doc;
}

Workload::Workload(uint64_t docs) : docs_(std::max<uint64_t>(docs, 1)) {
  keys_.reserve(docs_);
  char key[24];
  for (uint64_t d = 0; d < docs_; ++d) {
    std::snprintf(key, sizeof key, "c%07llu", static_cast<unsigned long long>(d));
    keys_.emplace_back(key);
  }
  variants_.reserve(1024);
  for (uint64_t v = 0; v < 1024; ++v) variants_.push_back(contact_document(v));
}

uint64_t Workload::doc_for(uint64_t i) const {
  // A multiplicative hash: consecutive commits land far apart in the key space.
  return (i * 0x9E3779B97F4A7C15ull >> 11) % docs_;
}

double Sample::percentile_us(double p) const {
  if (latency_ns.empty()) return 0;
  std::vector<uint32_t> sorted = latency_ns;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  rank = std::min(rank, sorted.size() - 1);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(rank),
                   sorted.end());
  return sorted[rank] / 1000.0;
}

void Sample::merge(const Sample& other) {
  ops += other.ops;
  seconds += other.seconds;
  latency_ns.insert(latency_ns.end(), other.latency_ns.begin(), other.latency_ns.end());
}

namespace {

uint32_t saturate_ns(Clock::duration d) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(ns, 0, UINT32_MAX));
}

// One thread's loop: each op is timed from the end of the previous one, so a
// commit costs one clock read.
void timed_loop(Clock::time_point deadline, uint64_t first_i, uint64_t stride, int thread,
                const std::function<void(int, uint64_t)>& op, Sample* out) {
  out->latency_ns.reserve(4096);
  uint64_t i = first_i;
  Clock::time_point t0 = Clock::now();
  for (;;) {
    op(thread, i);
    Clock::time_point t1 = Clock::now();
    out->latency_ns.push_back(saturate_ns(t1 - t0));
    ++out->ops;
    i += stride;
    t0 = t1;
    if (t1 >= deadline) break;
  }
}

}  // namespace

Sample run_for(double seconds, int threads, const std::function<void(int, uint64_t)>& op,
               uint64_t first_i) {
  threads = std::max(threads, 1);
  Clock::time_point start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(seconds));
  std::vector<Sample> parts(static_cast<size_t>(threads));
  if (threads == 1) {
    timed_loop(deadline, first_i, 1, 0, op, &parts[0]);
  } else {
    std::vector<std::thread> pool;
    std::exception_ptr error;
    std::mutex error_mu;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          timed_loop(deadline, first_i + static_cast<uint64_t>(t),
                     static_cast<uint64_t>(threads), t, op,
                     &parts[static_cast<size_t>(t)]);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mu);
          error = std::current_exception();
        }
      });
    }
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
  }
  Sample total;
  for (const auto& part : parts) total.merge(part);
  total.seconds = seconds_since(start);
  return total;
}

void interleave(std::vector<Contender*> contenders, double seconds_each, int rounds) {
  rounds = std::max(rounds, 1);
  double burst = seconds_each / rounds;
  for (int r = 0; r < rounds; ++r) {
    for (Contender* c : contenders) {
      // Untimed: write back what the previous burst left dirty (the seed's
      // unsynced backup copies, say), so that it does not land on this one.
      ::sync();
      Clock::time_point start = Clock::now();
      Sample s = run_for(burst, c->threads, c->commit, c->next_i);
      if (c->end_burst) c->end_burst();
      s.seconds = seconds_since(start);
      // Ops are numbered per thread with stride `threads`; skip past them all.
      c->next_i += static_cast<uint64_t>(c->threads) * (s.ops + 1);
      c->sample.merge(s);
    }
  }
}

namespace {

uint64_t status_field_kb(const char* name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  std::string prefix = std::string(name) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoull(line.substr(prefix.size()));
  }
  return 0;
}

}  // namespace

uint64_t resident_bytes() { return status_field_kb("VmRSS") * 1024; }
uint64_t peak_resident_bytes() { return status_field_kb("VmHWM") * 1024; }

uint64_t tree_bytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace pa_journal::bench
