// Option checks that both command-line programs (pa-journal, pa-journal-bench)
// use, with messages that name what is expected.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

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

}  // namespace pa_journal::cli
