// parse_time and format_time_ns (pa_journal/time.h): every form of a time T
// (docs/cli.md 5), and the refusals, which name the accepted forms.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <limits>
#include <optional>
#include <random>
#include <string>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// 2026-11-25T10:00:00Z and 2026-07-01T10:00:00Z (from `date -u -d ... +%s`).
constexpr int64_t kNov25 = int64_t{1'795'600'800} * kSecond;
constexpr int64_t kJul1 = int64_t{1'782'900'000} * kSecond;

// Sets TZ for the life of the object and restores the previous value (or its
// absence) afterwards, calling tzset() both times.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

int64_t parse(const std::string& text, int64_t now = kNov25) {
  return parse_time(text, now);
}

// The message of the refusal of text; a failure if it is accepted.
std::string refusal(const std::string& text) {
  try {
    int64_t t = parse_time(text, kNov25);
    ADD_FAILURE() << "'" << text << "' accepted as " << format_time_ns(t);
  } catch (const InvalidInputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "'" << text << "' refused with the wrong error: " << e.what();
  }
  return {};
}

// The refusal names the accepted forms.
void expect_refused(const std::string& text) {
  std::string message = refusal(text);
  SCOPED_TRACE("'" + text + "': " + message);
  EXPECT_NE(message.find(kTimeForms), std::string::npos);
  EXPECT_NE(message.find("RFC 3339"), std::string::npos);
  EXPECT_NE(message.find("2026-11-25 10:00:00"), std::string::npos);
  EXPECT_NE(message.find("20261125_100000"), std::string::npos);
  EXPECT_NE(message.find("-15m"), std::string::npos);
  for (const char* form : {"@1764064800", "now", "-1w", "(2026-11-25)",
                           "2026-11-25 10:00)", "20261125_100000_2"}) {
    EXPECT_NE(message.find(form), std::string::npos) << form;
  }
}

TEST(ParseTime, Rfc3339WithZ) {
  EXPECT_EQ(parse("2026-11-25T10:00:00Z"), kNov25);
  EXPECT_EQ(parse("2026-07-01T10:00:00Z"), kJul1);
  EXPECT_EQ(parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse("1969-12-31T23:59:59Z"), -kSecond);
}

TEST(ParseTime, Rfc3339LowercaseZAndT) {
  EXPECT_EQ(parse("2026-11-25T10:00:00z"), kNov25);
  EXPECT_EQ(parse("2026-11-25t10:00:00Z"), kNov25);
  EXPECT_EQ(parse("2026-11-25t10:00:00z"), kNov25);
}

TEST(ParseTime, Rfc3339WithOffsets) {
  EXPECT_EQ(parse("2026-11-25T11:00:00+01:00"), kNov25);
  EXPECT_EQ(parse("2026-11-25T04:30:00-05:30"), kNov25);
  EXPECT_EQ(parse("2026-11-25T10:00:00+00:00"), kNov25);
  EXPECT_EQ(parse("2026-11-25T10:00:00-00:00"), kNov25);
  // An offset that crosses midnight.
  EXPECT_EQ(parse("2026-11-26T00:30:00+14:30"), kNov25);
  EXPECT_EQ(parse("2026-11-24T23:00:00-11:00"), kNov25);
  // The widest offsets RFC 3339 allows.
  EXPECT_EQ(parse("2026-11-26T09:59:00+23:59"), kNov25);
  EXPECT_EQ(parse("2026-11-24T10:01:00-23:59"), kNov25);
}

TEST(ParseTime, Rfc3339FractionalSecondsOneToNineDigits) {
  const std::string digits = "123456789";
  for (size_t n = 1; n <= 9; ++n) {
    std::string fraction = digits.substr(0, n);
    int64_t ns = std::stoll(fraction + std::string(9 - n, '0'));
    EXPECT_EQ(parse("2026-11-25T10:00:00." + fraction + "Z"), kNov25 + ns)
        << n << " digits";
    EXPECT_EQ(parse("2026-11-25T11:00:00." + fraction + "+01:00"), kNov25 + ns)
        << n << " digits";
  }
  EXPECT_EQ(parse("2026-11-25T10:00:00.5+01:00"), kNov25 - kHour + 500'000'000);
  EXPECT_EQ(parse("2026-11-25T10:00:00.000000001Z"), kNov25 + 1);
  EXPECT_EQ(parse("2026-11-25T10:00:00.999999999z"), kNov25 + 999'999'999);
  EXPECT_EQ(parse("2026-11-25T10:00:00.050Z"), kNov25 + 50'000'000);
}

TEST(ParseTime, LocalTimeInUtc) {
  ScopedTimeZone zone("UTC");
  EXPECT_EQ(parse("2026-11-25 10:00:00"), kNov25);
  EXPECT_EQ(parse("2026-07-01 10:00:00"), kJul1);
}

// mktime's error value -1 is also the second before the epoch.
TEST(ParseTime, LocalTimeOneSecondBeforeTheEpochIsATime) {
  {
    ScopedTimeZone zone("UTC");
    EXPECT_EQ(parse("1969-12-31 23:59:59"), -1'000'000'000);
    EXPECT_EQ(parse("1969-12-31 23:59:59.5"), -500'000'000);
  }
  ScopedTimeZone zone("Asia/Kolkata");
  EXPECT_EQ(parse("1970-01-01 05:29:59"), -1'000'000'000);
}

TEST(ParseTime, LocalTimeInNewYorkFollowsDaylightSaving) {
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(parse("2026-11-25 10:00:00"), kNov25 + 5 * kHour);  // EST, -05:00
  EXPECT_EQ(parse("2026-07-01 10:00:00"), kJul1 + 4 * kHour);   // EDT, -04:00
}

TEST(ParseTime, LocalTimeInAHalfHourZone) {
  ScopedTimeZone zone("Asia/Kolkata");
  EXPECT_EQ(parse("2026-11-25 10:00:00"), kNov25 - 5 * kHour - 30 * kMinute);
}

TEST(ParseTime, ScopedTimeZoneRestoresTz) {
  const char* before = std::getenv("TZ");
  std::optional<std::string> saved =
      before ? std::optional<std::string>(before) : std::nullopt;
  {
    ScopedTimeZone zone("America/New_York");
    EXPECT_STREQ(std::getenv("TZ"), "America/New_York");
  }
  const char* after = std::getenv("TZ");
  EXPECT_EQ(after ? std::optional<std::string>(after) : std::nullopt, saved);
}

TEST(ParseTime, BackupNameFormIsUtcWhateverTheZone) {
  EXPECT_EQ(parse("20261125_100000"), kNov25);
  EXPECT_EQ(parse("20260701_100000"), kJul1);
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(parse("20261125_100000"), kNov25);
  EXPECT_EQ(parse("20261125_235959"), kNov25 + 13 * kHour + 59 * kMinute + 59 * kSecond);
}

TEST(ParseTime, RelativeCountsBackFromNow) {
  const int64_t now = kNov25 + 123'456'789;
  EXPECT_EQ(parse("-30s", now), now - 30 * kSecond);
  EXPECT_EQ(parse("-15m", now), now - 15 * kMinute);
  EXPECT_EQ(parse("-2h", now), now - 2 * kHour);
  EXPECT_EQ(parse("-3d", now), now - 3 * kDay);
  EXPECT_EQ(parse("-0s", now), now);
  EXPECT_EQ(parse("-90m", now), now - 90 * kMinute);
  EXPECT_EQ(parse("-400d", now), now - 400 * kDay);
  // now is the caller's: the same text against another now.
  EXPECT_EQ(parse("-2h", kJul1), kJul1 - 2 * kHour);
}

TEST(ParseTime, RelativeWeeks) {
  const int64_t now = kNov25 + 123'456'789;
  EXPECT_EQ(parse("-1w", now), now - 7 * kDay);
  EXPECT_EQ(parse("-52w", now), now - 52 * 7 * kDay);
}

TEST(ParseTime, NowIsTheCallersNow) {
  EXPECT_EQ(parse("now", kNov25 + 7), kNov25 + 7);
  EXPECT_EQ(parse("now", kJul1), kJul1);
}

// 1795600800 is kNov25 in seconds.
TEST(ParseTime, EpochSecondsWithAnAt) {
  EXPECT_EQ(parse("@1795600800"), kNov25);
  EXPECT_EQ(parse("@1764064800"), int64_t{1'764'064'800} * kSecond);
  EXPECT_EQ(parse("@0"), 0);
  EXPECT_EQ(parse("@-1"), -kSecond);
  EXPECT_EQ(parse("@-1.5"), -kSecond - 500'000'000);
  ScopedTimeZone zone("America/New_York");  // UTC whatever the zone
  EXPECT_EQ(parse("@1795600800"), kNov25);
}

TEST(ParseTime, EpochSecondsWithAFraction) {
  EXPECT_EQ(parse("@1795600800.5"), kNov25 + 500'000'000);
  EXPECT_EQ(parse("@1795600800.000000001"), kNov25 + 1);
  EXPECT_EQ(parse("@1795600800.123456789"), kNov25 + 123'456'789);
}

TEST(ParseTime, EpochSecondsOutsideTheYearsTheStoreHoldsAreRefused) {
  for (const char* text : {"@9999999999", "@-9999999999", "@9223372036.999999999",
                           "@99999999999999999999", "@-9214560001"}) {
    expect_refused(text);
  }
  EXPECT_EQ(parse("@-9214560000"), int64_t{-9'214'560'000} * kSecond);
  EXPECT_EQ(parse("@9214646399.999999999"),
            int64_t{9'214'646'399} * kSecond + 999'999'999);
}

TEST(ParseTime, LocalTimeWithoutSeconds) {
  ScopedTimeZone zone("UTC");
  EXPECT_EQ(parse("2026-11-25 10:00"), kNov25);
  EXPECT_EQ(parse("2026-11-25 10:59"), kNov25 + 59 * kMinute);
}

TEST(ParseTime, LocalTimeWithoutSecondsInNewYork) {
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(parse("2026-11-25 10:00"), kNov25 + 5 * kHour);
  EXPECT_EQ(parse("2026-07-01 10:00"), kJul1 + 4 * kHour);
}

// A date alone is the local midnight that starts it, not UTC's.
TEST(ParseTime, DateAloneIsItsLocalMidnight) {
  const int64_t nov25_midnight_utc = kNov25 - 10 * kHour;
  const int64_t jul1_midnight_utc = kJul1 - 10 * kHour;
  {
    ScopedTimeZone zone("UTC");
    EXPECT_EQ(parse("2026-11-25"), nov25_midnight_utc);
  }
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(parse("2026-11-25"), nov25_midnight_utc + 5 * kHour);  // EST
  EXPECT_EQ(parse("2026-07-01"), jul1_midnight_utc + 4 * kHour);   // EDT
  EXPECT_EQ(parse("2026-11-25"), parse("2026-11-25 00:00:00"));
}

TEST(ParseTime, DateAloneInAHalfHourZone) {
  ScopedTimeZone zone("Asia/Kolkata");
  EXPECT_EQ(parse("2026-11-25"), kNov25 - 10 * kHour - 5 * kHour - 30 * kMinute);
}

// A second snapshot in the same second gets the id <second>_2
// (snapshot/catalogue.h); parsed alone it names the start of that second.
TEST(ParseTime, SnapshotNameWithItsSuffixIsItsSecond) {
  EXPECT_EQ(parse("20261125_100000_2"), kNov25);
  EXPECT_EQ(parse("20261125_100000_17"), kNov25);
  EXPECT_EQ(parse("20261205_162550_2"), parse("2026-12-05T16:25:50Z"));
}

TEST(FormatTime, RfcThreeThreeNineInUtcWithNanoseconds) {
  EXPECT_EQ(format_time_ns(kNov25), "2026-11-25T10:00:00.000000000Z");
  EXPECT_EQ(format_time_ns(kNov25 + 123'456'789), "2026-11-25T10:00:00.123456789Z");
  EXPECT_EQ(format_time_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_time_ns(-1), "1969-12-31T23:59:59.999999999Z");
}

// Every int64_t is a time: the two ends of the range, and the nanosecond
// next to each, format without overflow (UBSan checks it in the sanitizer
// build) to the instants they are.
TEST(FormatTime, EndsOfTheInt64RangeFormatWithoutOverflow) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(format_time_ns(kMin), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_time_ns(kMin + 1), "1677-09-21T00:12:43.145224193Z");
  EXPECT_EQ(format_time_ns(kMax), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(format_time_ns(kMax - 1), "2262-04-11T23:47:16.854775806Z");
  EXPECT_EQ(format_time_ns(-kSecond), "1969-12-31T23:59:59.000000000Z");
  EXPECT_EQ(format_time_ns(-kSecond - 1), "1969-12-31T23:59:58.999999999Z");
}

TEST(FormatTime, RoundTripsThroughParseTime) {
  std::mt19937_64 rng(2026);
  // The years the store can hold: 1678 to 2261.
  const int64_t lo = int64_t{-9'214'560'000} * kSecond;
  const int64_t hi = int64_t{9'214'646'399} * kSecond;
  std::uniform_int_distribution<int64_t> any(lo, hi);
  std::vector<int64_t> samples = {0,          1,         -1, kNov25,
                                  kNov25 + 1, kJul1 - 1, lo, hi + 999'999'999};
  for (int i = 0; i < 2000; ++i) samples.push_back(any(rng));
  for (int64_t t : samples) {
    std::string text = format_time_ns(t);
    EXPECT_EQ(parse(text), t) << text;
  }
  // Whatever TZ says: the text is UTC.
  ScopedTimeZone zone("America/New_York");
  EXPECT_EQ(parse(format_time_ns(kNov25 + 7)), kNov25 + 7);
}

TEST(ParseTime, RefusesBadText) {
  for (const char* text : {"",
                           "yesterday",
                           "-",
                           "-5x",
                           "-5",
                           "--5m",
                           "-s",
                           "-1.5h",
                           "- 5m",
                           "5m",
                           "+5m",
                           "-5M",
                           "20261125-100000",
                           "20261125_1000",
                           "20261125_1000000",
                           "2026-11-25T10:00",
                           "2026-11-25T10:00:00",
                           "2026-11-25T10:00:00+0100",
                           "2026-11-25T10:00:00+01",
                           "2026-11-25T10:00:00+1:00",
                           "2026-11-25T10:00:00+01:0",
                           "2026-11-25T10:00:00.+01:00",
                           "2026-11-25T10:00:00Zulu",
                           "2026-11-25T10:00:00 Z",
                           " 2026-11-25T10:00:00Z",
                           "2026-11-25T10:00:00Z ",
                           "2026-11-25T10:00:00.Z",
                           "2026-11-25T10:00:00.1234567890Z",
                           "2026-11-25_10:00:00",
                           "2026/11/25 10:00:00",
                           "10:00:00",
                           "Now",
                           "now ",
                           "-now",
                           "-1W",
                           "-1y",
                           "@",
                           "@-",
                           "@ 1764064800",
                           "@1764064800.",
                           "@.5",
                           "@1764064800.1234567890",
                           "@+1764064800",
                           "@1e9",
                           "1764064800",
                           "20261125_100000_",
                           "20261125_100000__2",
                           "20261125_100000_x",
                           "20261125_100000-2",
                           "2026-11-2",
                           "2026-11-25 ",
                           "2026-11-25 10",
                           "2026-11-25 10:0",
                           "2026-11-25 10:00:0",
                           "20261125"}) {
    expect_refused(text);
  }
}

TEST(ParseTime, RefusesImpossibleDatesAndTimes) {
  for (const char* text :
       {"2026-02-30", "2026-13-01", "2026-11-25 24:00", "2026-11-25 10:60",
        "20261325_100000_2", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-11-25T25:00:00Z", "2026-11-25T10:60:00Z", "2026-11-32T00:00:00Z",
        "2026-02-30T00:00:00Z", "2026-11-25T10:00:00+25:00", "2026-11-25T10:00:00+24:00",
        "2026-11-25T10:00:00-23:60", "2026-13-01 00:00:00", "2026-11-25 24:00:01",
        "20261325_100000", "20261125_250000", "20260230_100000"}) {
    expect_refused(text);
  }
}

TEST(ParseTime, RefusesHugeRelativeTimes) {
  for (const char* text : {"-999999999d", "-99999999999999999999s", "-9999999999s",
                           "-999999999999999999999999999999d"}) {
    expect_refused(text);
  }
  // The largest that fits is still accepted.
  EXPECT_EQ(parse("-99999d"), kNov25 - 99999 * kDay);
}

TEST(ParseTime, RefusesYearsOutsideWhatNanosecondsCanHold) {
  for (const char* text :
       {"9999-01-01T00:00:00Z", "2263-01-01T00:00:00Z", "1600-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z", "1000-06-01T00:00:00+01:00", "9999-12-31 23:59:59",
        "1500-01-01 00:00:00", "99991231_235959", "16000101_000000", "9999-12-31",
        "1600-01-01 00:00", "99991231_235959_2"}) {
    expect_refused(text);
  }
  // The ends of the years the store holds are accepted.
  EXPECT_EQ(parse("1678-01-01T00:00:00Z"), int64_t{-9'214'560'000} * kSecond);
  EXPECT_EQ(parse("2261-12-31T23:59:59Z"), int64_t{9'214'646'399} * kSecond);
}

}  // namespace
}  // namespace pa_journal
