// Times as the store writes and reads them. Every time is UTC nanoseconds since
// the Unix epoch (int64_t); text is RFC 3339 in UTC with nanoseconds.
#pragma once

#include <cstdint>
#include <string>

namespace pa_journal {

// "2026-11-25T10:00:00.123456789Z"
std::string format_time_ns(int64_t unix_ns);

// The system clock, UTC nanoseconds since the Unix epoch.
int64_t system_now_ns();

}  // namespace pa_journal
