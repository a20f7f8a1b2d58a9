// A one-line progress display on standard error for long work (replay,
// verify, compact, import, bench), drawn only when standard error is a
// terminal, so that logs, pipes and tests that capture stderr never see it.
//
// The line is redrawn in place ("\r", then the text, then "erase to end of
// line") whenever the task's whole percentage changes (so at most about 100
// times per task, however fast the work, and every percentage the library
// reports is drawn: what tests look for, without clocks), and otherwise at
// most kRedrawsPerSecond times a second, so that the rate and the time left
// stay fresh while the percentage stands. It is erased when its task
// completes, when the display is cleared and on destruction, so that whatever
// the command prints next starts on a clean line.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "journal/mutex.h"
#include "pa_journal/progress.h"

namespace pa_journal::cli {

class ProgressBar {
 public:
  static constexpr int kRedrawsPerSecond = 10;

  // Draws on fd only if enabled, fd is a terminal and $TERM is not "dumb".
  ProgressBar(bool enabled, int fd);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool active() const { return active_; }
  // Options::progress for the library; null when inactive.
  ProgressFn callback();
  // A bar: task, percentage, done/total, rate and time left.
  void update(const Progress& progress) EXCLUDES(mu_);
  // A line without a total (the bench's steps), with the time since the first.
  void status(std::string_view text) EXCLUDES(mu_);
  // Erases the line if one is drawn.
  void clear() EXCLUDES(mu_);

 private:
  using Clock = std::chrono::steady_clock;
  // Draws text unless the last draw was too recent (and !force).
  void draw_locked(const std::string& text, bool force) REQUIRES(mu_);
  void erase_locked() REQUIRES(mu_);
  size_t columns() const;

  const int fd_;
  const bool active_;
  Mutex mu_;
  std::string task_ GUARDED_BY(mu_);  // the task of the last update
  int percent_ GUARDED_BY(mu_) = -1;  // the percentage last drawn for task_, -1: none
  Clock::time_point task_start_ GUARDED_BY(mu_);
  Clock::time_point last_draw_ GUARDED_BY(mu_);
  Clock::time_point first_status_ GUARDED_BY(mu_);
  bool drawn_ GUARDED_BY(mu_) = false;
  bool has_status_ GUARDED_BY(mu_) = false;
};

// "  42% [########--------]  1.2 MiB / 2.9 MiB  3.4 MiB/s  2s left": the text
// after the task name, fitted into width columns. seconds: time since the task
// began; the rate and the time left appear once it is over kRateAfterSeconds.
inline constexpr double kRateAfterSeconds = 0.2;
std::string format_progress(const Progress& progress, double seconds, size_t width);

// The whole percentage of done out of total (100 for a total of 0).
int percent_of(const Progress& progress);

// "2s", "1m05s", "2h03m": a time left, rounded up to the second.
std::string duration_text(double seconds);

}  // namespace pa_journal::cli
