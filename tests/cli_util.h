// Helpers shared by the tests that drive the built pa-journal (cli_test,
// snapshot_cli_test, bad_input_test, ...): exit codes, JSON parsing that
// fails the test instead of throwing, and the journal's bytes, which "nothing
// appended" compares.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/record.h"
#include "tests/run_command.h"

namespace pa_journal::testing {

// docs/design.md 6.
constexpr int kExitOk = 0, kExitError = 1, kExitUsage = 2, kExitCorruption = 3,
              kExitConflict = 4;

bool contains(const std::string& text, const std::string& part);

// text parsed as JSON; on failure an ADD_FAILURE naming the text, and null.
nlohmann::json parse_json(const std::string& text);
// Each non-empty line of text parsed as JSON.
std::vector<nlohmann::json> parse_json_lines(const std::string& text);

// Every file under DIR/journal with its name and bytes (empty if there is no
// journal), but those of the reader protocol (is_reader_protocol_file): equal
// before and after means nothing was appended or changed.
std::string journal_bytes(const std::string& dir);

// Every record of the store in dir, read as a read-only open reads them.
std::vector<Record> records_of(const std::string& dir);

// pa-journal --dir dir args..., with stdin_data on its standard input.
CommandResult run_in_store(const std::string& dir, std::vector<std::string> args,
                           const std::string& stdin_data = {});

// The commands that `pa-journal --help` lists, in the order it lists them.
std::vector<std::string> commands_of_help();

}  // namespace pa_journal::testing
