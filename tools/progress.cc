#include "tools/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

bool is_terminal(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

// Writes all of text to fd; a display never fails the command.
void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string count_text(uint64_t n, std::string_view unit) {
  if (unit == "bytes") return human_size(n);
  return std::to_string(n);
}

std::string rate_text(double per_second, std::string_view unit) {
  if (unit == "bytes") return human_size(static_cast<uint64_t>(per_second)) + "/s";
  char text[32];
  std::snprintf(text, sizeof text, "%.0f %s/s", per_second, std::string(unit).c_str());
  return text;
}

// "  3.4 MiB/s  2s left", or "" before there is a rate to tell.
std::string rate_and_time_left(uint64_t done, uint64_t total, double seconds,
                               std::string_view unit) {
  if (seconds <= kRateAfterSeconds || done == 0) return "";
  double rate = static_cast<double>(done) / seconds;
  std::string text = "  " + rate_text(rate, unit);
  text.append("  ").append(duration_text(static_cast<double>(total - done) / rate));
  return text.append(" left");
}

}  // namespace

int percent_of(const Progress& p) {
  if (p.total == 0) return 100;
  uint64_t done = std::min(p.done, p.total);
  return static_cast<int>(static_cast<double>(done) * 100 / static_cast<double>(p.total));
}

std::string duration_text(double seconds) {
  uint64_t s = static_cast<uint64_t>(std::ceil(std::max(seconds, 0.0)));
  char text[32];
  if (s < 60) {
    std::snprintf(text, sizeof text, "%us", static_cast<unsigned>(s));
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%um%02us", static_cast<unsigned>(s / 60),
                  static_cast<unsigned>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lluh%02um",
                  static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned>(s / 60 % 60));
  }
  return text;
}

std::string format_progress(const Progress& p, double seconds, size_t width) {
  uint64_t done = std::min(p.done, p.total);
  double fraction =
      p.total ? static_cast<double>(done) / static_cast<double>(p.total) : 1;
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", percent_of(p));
  std::string counts = count_text(done, p.unit) + " / " + count_text(p.total, p.unit);
  // Appended piecewise: GCC 12 warns (-Wrestrict, bug 105651) on " " + string.
  if (p.unit != "bytes") counts.append(" ").append(p.unit);
  counts += rate_and_time_left(done, p.total, seconds, p.unit);
  // The bar takes what the numbers leave, between 10 and 30 columns.
  size_t fixed = 4 + 3 + 2 + counts.size();
  size_t bar = width > fixed + 10 ? std::min<size_t>(width - fixed, 30) : 10;
  size_t filled = static_cast<size_t>(fraction * static_cast<double>(bar));
  std::string text = std::string(percent) + " [" + std::string(filled, '#') +
                     std::string(bar - filled, '-') + "]  " + counts;
  if (text.size() > width) text.resize(width);
  return text;
}

ProgressBar::ProgressBar(bool enabled, int fd)
    : fd_(fd), active_(enabled && is_terminal(fd)) {}

ProgressBar::~ProgressBar() { clear(); }

ProgressFn ProgressBar::callback() {
  if (!active_) return nullptr;
  return [this](const Progress& p) { update(p); };
}

void ProgressBar::update(const Progress& p) {
  if (!active_) return;
  MutexLock lock(&mu_);
  Clock::time_point now = Clock::now();
  bool new_task = p.task != task_ || p.done == 0;
  if (new_task) {
    task_ = std::string(p.task);
    task_start_ = now;
    percent_ = -1;
  }
  if (p.done >= p.total) {  // complete: leave a clean line for what follows
    erase_locked();
    return;
  }
  bool moved = percent_of(p) != percent_;  // every new percentage is drawn
  percent_ = percent_of(p);
  double seconds = std::chrono::duration<double>(now - task_start_).count();
  std::string name = task_;
  name.resize(std::max<size_t>(name.size(), 13), ' ');
  size_t width = columns() - 1;  // never touch the last column: no wrap
  size_t room = width > name.size() + 20 ? width - name.size() - 1 : 20;
  draw_locked(name + " " + format_progress(p, seconds, room), moved);
}

void ProgressBar::status(std::string_view text) {
  if (!active_) return;
  MutexLock lock(&mu_);
  Clock::time_point now = Clock::now();
  if (!has_status_) first_status_ = now, has_status_ = true;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - first_status_);
  std::string line = std::string(text) + "  (" + std::to_string(seconds.count()) + " s)";
  if (line.size() > columns() - 1) line.resize(columns() - 1);
  draw_locked(line, /*force=*/true);
}

void ProgressBar::clear() {
  if (!active_) return;
  MutexLock lock(&mu_);
  erase_locked();
}

void ProgressBar::draw_locked(const std::string& text, bool force) {
  Clock::time_point now = Clock::now();
  if (!force && drawn_ &&
      now - last_draw_ < std::chrono::milliseconds(1000 / kRedrawsPerSecond)) {
    return;
  }
  write_all(fd_, "\r" + text + "\033[K");
  drawn_ = true;
  last_draw_ = now;
}

void ProgressBar::erase_locked() {
  if (!drawn_) return;
  write_all(fd_, "\r\033[K");
  drawn_ = false;
}

size_t ProgressBar::columns() const {
  winsize size{};
  if (::ioctl(fd_, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

}  // namespace pa_journal::cli
