// Plain messages for the mistakes CLI11 finds while parsing the command line:
// what was wrong, which option or argument, what is allowed, and the nearest
// name for a mistyped command or option. No CLI11 text reaches the user.
#pragma once

#include <CLI/CLI.hpp>

namespace pa_journal::cli {

// Reports e on stderr and returns the exit code: 0 for --help and --version
// (CLI11 prints them), else 2 (a usage error, docs/design.md 6).
int report_parse_error(CLI::App& app, const CLI::ParseError& e);

}  // namespace pa_journal::cli
