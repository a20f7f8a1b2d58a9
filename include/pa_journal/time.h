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

// The time forms that parse_time reads, for its error messages and its
// callers' help texts (docs/cli.md 5). One list: the parser below takes
// exactly these.
inline constexpr const char* kTimeForms =
    "RFC 3339 (2026-11-25T10:00:00Z, 2026-11-25T10:00:00.5+01:00), local time "
    "(2026-11-25 10:00:00, 2026-11-25 10:00), a date alone for its local midnight "
    "(2026-11-25), a snapshot id, in UTC "
    "(20261125_100000, 20261125_100000_2), seconds since the epoch (@1764064800, "
    "@1764064800.5), now, "
    "or relative to now (-30s, -15m, -2h, -3d, -1w)";

// Parses one of kTimeForms into UTC nanoseconds. "now" is now_ns and
// relative times count back from it. Local forms use the C library's time
// zone (TZ). A snapshot name, with or without its "_N" suffix, is the start of
// its second (the CLI maps the id of one of the store's snapshots to that
// snapshot's exact moment). Throws InvalidInputError naming the accepted
// forms, also for a year outside 1678..2261 (what int64_t nanoseconds hold).
int64_t parse_time(const std::string& text, int64_t now_ns);

}  // namespace pa_journal
