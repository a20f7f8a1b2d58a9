#include "tests/cli_util.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "pa_journal/inspect.h"
#include "tests/test_util.h"

namespace pa_journal::testing {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "): " << text;
    return nlohmann::json();
  }
}

std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(parse_json(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

std::string journal_bytes(const std::string& dir) {
  std::string all;
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/journal", ec)) return all;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir + "/journal")) {
    if (is_reader_protocol_file(entry.path().string())) continue;
    all += entry.path().string() + "\n";
    if (entry.is_regular_file()) all += read_bytes(entry.path().string());
  }
  return all;
}

CommandResult run_in_store(const std::string& dir, std::vector<std::string> args,
                           const std::string& stdin_data) {
  args.insert(args.begin(), {"--dir", dir});
  CommandOptions options;
  options.stdin_data = stdin_data;
  return run_pa_journal(args, options);
}

std::vector<Record> records_of(const std::string& dir) {
  std::vector<Record> out;
  Options options;
  options.read_only = true;
  read_records(
      dir, {}, [&](const Record& r) { out.push_back(r); }, options);
  return out;
}

std::vector<std::string> commands_of_help() {
  const std::string help = run_pa_journal({"--help"}).out;
  std::vector<std::string> commands;
  const size_t section = help.find("\nSubcommands:\n");
  if (section == std::string::npos) return commands;
  // Each command is a line "  NAME  description"; the section ends at a blank line.
  for (size_t at = help.find('\n', section + 1) + 1; help.compare(at, 2, "  ") == 0;
       at = help.find('\n', at) + 1) {
    commands.push_back(help.substr(at + 2, help.find(' ', at + 2) - at - 2));
  }
  return commands;
}

}  // namespace pa_journal::testing
