#include "pa_journal/time.h"

#include <date/date.h>

#include <chrono>

namespace pa_journal {

std::string format_time_ns(int64_t unix_ns) {
  date::sys_time<std::chrono::nanoseconds> t{std::chrono::nanoseconds(unix_ns)};
  return date::format("%FT%TZ", t);
}

int64_t system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pa_journal
