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

namespace pa_journal {

// The time forms every command accepts (docs/design.md 6), for error messages.
inline constexpr const char* kTimeForms =
    "RFC 3339 (2026-11-25T10:00:00Z, 2026-11-25T10:00:00.5+01:00), local time "
    "(2026-11-25 10:00:00), the backup-name form in UTC (20261125_100000), or "
    "relative to now (-30s, -15m, -2h, -3d)";

// Parses one of kTimeForms into UTC nanoseconds. Relative times count back
// from now_ns. Throws InvalidInputError naming the accepted forms.
int64_t parse_time(const std::string& text, int64_t now_ns);

}  // namespace pa_journal
