// Option checks for the command-line programs (pa-journal, pa-journal-bench),
// with messages that name what is expected.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pa_journal/time.h"

namespace pa_journal::cli {

// A finite number greater than 0. CLI11's PositiveNumber refuses 0 with "not
// in range 0.000000 to" the largest double, written out in 309 digits.
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        bool whole = !text.empty() && end == text.c_str() + text.size();
        if (whole && std::isfinite(value) && value > 0) return std::string();
        return "must be a number greater than 0, not '" + text + "'";
      },
      "POSITIVE");
}

// A finite number of at least 0 (a wait, in seconds; fractions allowed).
inline CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& text) {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        bool whole = !text.empty() && end == text.c_str() + text.size();
        if (whole && std::isfinite(value) && value >= 0) return std::string();
        return "must be a number of at least 0, not '" + text + "'";
      },
      "");  // the option's own type name says what it is (SECONDS)
}

// A whole number of at least `min` that fits in 64 bits, in decimal digits.
// CLI11 (2.1) reads "-1" into an unsigned option as its largest value, and a
// number too large for it as some other one.
inline CLI::Validator whole_number(uint64_t min = 0) {
  return CLI::Validator(
      [min](std::string& text) {
        std::string expected =
            "must be a whole number of at least " + std::to_string(min) + ", not '";
        bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
        if (!digits) return expected + text + "'";
        errno = 0;
        unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
        if (errno == ERANGE) return "is too large: " + text;
        if (value < min) return expected + text + "'";
        return std::string();
      },
      "N");
}

// Text that is not empty: an empty value (an unset shell variable, say)
// would otherwise read as "not given" and mean the default.
inline CLI::Validator non_empty(const std::string& what) {
  return CLI::Validator(
      [what](std::string& text) {
        return text.empty() ? "is empty: give " + what : std::string();
      },
      "");
}

// A time argument: not empty (it would read as "now" or as no filter). Its
// form is checked where it is parsed, against the current time.
inline CLI::Validator time_text() {
  return CLI::Validator(
      [](std::string& text) {
        return text.empty() ? std::string("is an empty time; use ") + kTimeForms
                            : std::string();
      },
      "T");
}

}  // namespace pa_journal::cli
