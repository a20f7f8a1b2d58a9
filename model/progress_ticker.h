// Thins the reports of one task to what pa_journal/progress.h allows, so that
// the work itself may say how far it is as often as it likes (each record,
// each document, each chunk of bytes): the tick is called with done == 0 on
// start(), then whenever done has grown by at least a step (total /
// kProgressSteps, at least 1) since the last report, and with done == total on
// finish(). done is capped at total and never goes back, whatever it is told.
//
// Without a tick (a null or empty ProgressTick) every call is a cheap no-op.
// Thread-safety: none; one task, one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "pa_journal/progress.h"

namespace pa_journal {

// Reports per task besides the first and the last: one per hundredth.
inline constexpr uint64_t kProgressSteps = 100;

class ProgressTicker {
 public:
  ProgressTicker() = default;
  ProgressTicker(ProgressTick tick, uint64_t total)
      : tick_(std::move(tick)),
        total_(total),
        step_(std::max<uint64_t>(total / kProgressSteps, 1)) {}

  bool enabled() const { return static_cast<bool>(tick_); }
  uint64_t done() const { return done_; }
  uint64_t total() const { return total_; }

  // Reports done == 0.
  void start() { report(0); }
  // done is now done (it is capped at total; a smaller value is ignored).
  void update(uint64_t done) {
    done = std::min(done, total_);
    if (done <= done_) return;
    done_ = done;
    if (done_ >= next_) report(done_);
  }
  void add(uint64_t n) { update(done_ + n); }
  // Reports done == total, unless that was the last report.
  void finish() {
    done_ = total_;
    if (!reported_ || last_ != total_) report(total_);
  }

 private:
  void report(uint64_t done) {
    if (!tick_) return;
    reported_ = true;
    last_ = done;
    next_ = done + step_;
    tick_(done, total_);
  }

  ProgressTick tick_;
  uint64_t total_ = 0, step_ = 1;
  uint64_t done_ = 0, last_ = 0, next_ = 0;
  bool reported_ = false;
};

// The ticks of one task of fn (task and unit as Progress names them, string
// literals), for the layers below; null without fn, which must outlive them.
inline ProgressTick task_ticks(const ProgressFn& fn, std::string_view task,
                               std::string_view unit) {
  if (!fn) return nullptr;
  return [&fn, task, unit](uint64_t done, uint64_t total) {
    fn({task, unit, done, total});
  };
}

}  // namespace pa_journal
