#include <date/date.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {
namespace {

using Nanos = std::chrono::nanoseconds;

[[noreturn]] void refuse(const std::string& text) {
  throw InvalidInputError("cannot read the time '" + text + "': use " + kTimeForms);
}

[[noreturn]] void out_of_range(const std::string& text) {
  throw InvalidInputError(
      "the time '" + text +
      "' is outside the years 1678 to 2261 that the store can hold; use " + kTimeForms);
}

// Parses all of text with a date::parse format; false if it does not fit.
template <typename TimePoint>
bool parse_whole(const std::string& text, const char* fmt, TimePoint* out) {
  std::istringstream in(text);
  in >> date::parse(fmt, *out);
  return !in.fail() && in.peek() == std::char_traits<char>::eof();
}

bool parse_relative(const std::string& text, int64_t now_ns, int64_t* out) {
  if (text.size() < 3 || text[0] != '-') return false;
  char unit = text.back();
  int64_t scale = unit == 's'   ? 1
                  : unit == 'm' ? 60
                  : unit == 'h' ? 3600
                  : unit == 'd' ? 86400
                  : unit == 'w' ? 7 * 86400
                                : 0;
  std::string digits = text.substr(1, text.size() - 2);
  if (scale == 0 || digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int64_t back_ns = 0;
  if (__builtin_mul_overflow(std::stoll(digits) * scale, int64_t{1'000'000'000},
                             &back_ns) ||
      __builtin_sub_overflow(now_ns, back_ns, out)) {
    out_of_range(text);
  }
  return true;
}

// The forms that start with a year: one outside what int64_t nanoseconds can
// hold (1677-09-21 to 2262-04-11) is refused here, before a parse could
// silently wrap it around.
void check_year(const std::string& text) {
  if (text.size() < 4 || text.find_first_not_of("0123456789") < 4) return;
  int year = std::stoi(text.substr(0, 4));
  if (year < 1678 || year > 2261) out_of_range(text);
}

// RFC 3339's offset is exactly +hh:mm or -hh:mm (hh 00-23, mm 00-59) and a
// fraction has at least one digit; date::parse's %Ez alone also takes +hh,
// +hhmm and any hour, and %T a bare '.'.
bool rfc3339_shape(const std::string& text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() < 25) return false;  // 2026-11-25T10:00:00+00:00
  const char* offset = text.c_str() + text.size() - 6;
  if ((offset[0] != '+' && offset[0] != '-') || offset[3] != ':' || !digit(offset[1]) ||
      !digit(offset[2]) || !digit(offset[4]) || !digit(offset[5]) ||
      (offset[1] - '0') * 10 + (offset[2] - '0') > 23 || offset[4] > '5') {
    return false;
  }
  return text[19] != '.' || digit(text[20]);
}

bool parse_rfc3339(std::string text, int64_t* out) {
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return false;
  text[10] = 'T';
  if (text.back() == 'Z' || text.back() == 'z')
    text.replace(text.size() - 1, 1, "+00:00");
  if (!rfc3339_shape(text)) return false;
  date::sys_time<Nanos> t;
  if (!parse_whole(text, "%FT%T%Ez", &t)) return false;
  *out = t.time_since_epoch().count();
  return true;
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// YYYYMMDD_HHMMSS, optionally with the "_N" a snapshot id gets when another
// snapshot has its second (snapshot/catalogue.h): the start of that second.
bool parse_backup_name(const std::string& text, int64_t* out) {
  if (text.size() < 15 || text[8] != '_') return false;
  if (text.size() > 15 &&
      (text[15] != '_' || text.size() > 25 || !all_digits(text.substr(16)))) {
    return false;
  }
  date::sys_seconds t;
  if (!parse_whole(text.substr(0, 15), "%Y%m%d_%H%M%S", &t)) return false;
  *out = std::chrono::duration_cast<Nanos>(t.time_since_epoch()).count();
  return true;
}

// The nanoseconds the store can hold as a time: the years 1678 to 2261.
constexpr int64_t kFirstNs = int64_t{-9'214'560'000} * 1'000'000'000;
constexpr int64_t kLastNs = int64_t{9'214'646'399} * 1'000'000'000 + 999'999'999;

// @SECONDS[.FRACTION] since the epoch (as `date +%s` prints), 1 to 9
// fraction digits; a leading '-' for times before 1970.
bool parse_epoch(const std::string& text, int64_t* out) {
  if (text.size() < 2 || text[0] != '@') return false;
  bool negative = text[1] == '-';
  std::string number = text.substr(negative ? 2 : 1);
  std::string whole = number.substr(0, number.find('.'));
  std::string fraction =
      whole.size() < number.size() ? number.substr(whole.size() + 1) : "0";
  if (!all_digits(whole) || !all_digits(fraction) || fraction.size() > 9) return false;
  int64_t ns = 0;
  int64_t sub = std::stoll(fraction + std::string(9 - fraction.size(), '0'));
  if (whole.size() > 12 ||
      __builtin_mul_overflow(std::stoll(whole), int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, sub, &ns)) {
    out_of_range(text);
  }
  *out = negative ? -ns : ns;
  if (*out < kFirstNs || *out > kLastNs) out_of_range(text);
  return true;
}

// Local wall time to UTC, with the C library's idea of the time zone (TZ).
bool local_to_utc(date::local_time<Nanos> t, int64_t* out) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<Nanos> tod{t - day};
  std::tm tm{};
  tm.tm_year = int(ymd.year()) - 1900;
  tm.tm_mon = static_cast<int>(unsigned(ymd.month())) - 1;
  tm.tm_mday = static_cast<int>(unsigned(ymd.day()));
  tm.tm_hour = static_cast<int>(tod.hours().count());
  tm.tm_min = static_cast<int>(tod.minutes().count());
  tm.tm_sec = static_cast<int>(tod.seconds().count());
  tm.tm_isdst = -1;
  // -1 is also 1969-12-31T23:59:59Z; mktime sets tm_wday only on success.
  tm.tm_wday = -1;
  std::time_t seconds = std::mktime(&tm);
  if (seconds == -1 && tm.tm_wday == -1) return false;
  *out = int64_t{seconds} * 1'000'000'000 + tod.subseconds().count();
  return true;
}

// "YYYY-MM-DD HH:MM:SS[.fraction]", "YYYY-MM-DD HH:MM", or a date alone
// (its midnight), all local wall time.
bool parse_local(const std::string& text, int64_t* out) {
  bool shaped = text.size() == 10 || text.size() == 16 || text.size() >= 19;
  if (!shaped || (text.size() > 10 && text[10] != ' ')) return false;
  const char* fmt = text.size() == 10 ? "%F" : text.size() == 16 ? "%F %R" : "%F %T";
  date::local_time<Nanos> t;
  return parse_whole(text, fmt, &t) && local_to_utc(t, out);
}

}  // namespace

// Whole seconds and the nanoseconds after them, taken apart by hand: flooring
// a sys_time<Nanos> to days subtracts past INT64_MIN for times near it, while
// whole seconds lie far inside the range of every unit date uses.
std::string format_time_ns(int64_t unix_ns) {
  constexpr int64_t kNanosPerSecond = 1'000'000'000;
  int64_t seconds = unix_ns / kNanosPerSecond;
  int64_t nanos = unix_ns % kNanosPerSecond;
  if (nanos < 0) {  // division truncates toward zero; the time of day counts up
    seconds -= 1;
    nanos += kNanosPerSecond;
  }
  char fraction[11];  // ".nnnnnnnnn" and the NUL
  std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos));
  return date::format("%FT%T", date::sys_seconds{std::chrono::seconds(seconds)}) +
         fraction + "Z";
}

int64_t system_now_ns() {
  return std::chrono::duration_cast<Nanos>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t parse_time(const std::string& text, int64_t now_ns) {
  int64_t t = 0;
  if (text == "now") return now_ns;
  check_year(text);
  if (parse_relative(text, now_ns, &t) || parse_epoch(text, &t) ||
      parse_rfc3339(text, &t) || parse_backup_name(text, &t) || parse_local(text, &t)) {
    return t;
  }
  refuse(text);
}

}  // namespace pa_journal
