#include "tools/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
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

}  // namespace

std::string format_progress(const Progress& p, double seconds, size_t width) {
  uint64_t done = std::min(p.done, p.total);
  double fraction =
      p.total ? static_cast<double>(done) / static_cast<double>(p.total) : 1;
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  std::string counts = count_text(done, p.unit) + " / " + count_text(p.total, p.unit);
  // Appended piecewise: GCC 12 warns (-Wrestrict, bug 105651) on " " + string.
  if (p.unit != "bytes") counts.append(" ").append(p.unit);
  if (seconds > 0.2)
    counts += "  " + rate_text(static_cast<double>(done) / seconds, p.unit);
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
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  bool new_task = p.task != task_ || p.done == 0;
  if (new_task) {
    task_ = std::string(p.task);
    task_start_ = now;
  }
  if (p.done >= p.total) {  // complete: leave a clean line for what follows
    erase_locked();
    return;
  }
  double seconds = std::chrono::duration<double>(now - task_start_).count();
  std::string name = task_;
  name.resize(std::max<size_t>(name.size(), 13), ' ');
  size_t width = columns() - 1;  // never touch the last column: no wrap
  size_t room = width > name.size() + 20 ? width - name.size() - 1 : 20;
  draw_locked(name + " " + format_progress(p, seconds, room), new_task);
}

void ProgressBar::status(std::string_view text) {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  if (!has_status_) first_status_ = now, has_status_ = true;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - first_status_);
  std::string line = std::string(text) + "  (" + std::to_string(seconds.count()) + " s)";
  if (line.size() > columns() - 1) line.resize(columns() - 1);
  draw_locked(line, /*force=*/true);
}

void ProgressBar::clear() {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(mu_);
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
