#include "tools/usage_errors.h"

#include <cctype>
#include <string>
#include <vector>

#include "tools/cli.h"
#include "tools/suggest.h"

namespace pa_journal::cli {
namespace {

// The command being parsed: the subcommand named, else the program.
CLI::App& active(CLI::App& app) {
  auto parsed = app.get_subcommands();
  return parsed.empty() ? app : *parsed.back();
}

std::string program_and_command(const CLI::App& cmd) {
  return cmd.get_parent() == nullptr ? "pa-journal" : "pa-journal " + cmd.get_name();
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// "pa-journal get COLLECTION KEY [options]".
std::string usage(const CLI::App& cmd) {
  if (cmd.get_parent() == nullptr) return "pa-journal [options] COMMAND ...";
  std::string text = program_and_command(cmd);
  for (const CLI::Option* opt : cmd.get_options()) {
    if (!opt->get_positional()) continue;
    std::string name = upper(opt->get_name(true));
    text += " " + (opt->get_required() ? name : "[" + name + "]");
  }
  return text + " [options]";
}

// The long names of the options of cmd and of the program (the global
// options), hidden ones left out: what a mistyped option may have meant.
std::vector<std::string> option_names(const CLI::App& app, const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::App* a : {&cmd, &app}) {
    for (const CLI::Option* opt : a->get_options()) {
      if (opt->get_group().empty() || opt->get_positional()) continue;
      for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
    }
    if (a == &app) break;
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands(
           std::function<bool(const CLI::App*)>([](const CLI::App*) { return true; }))) {
    names.push_back(sub->get_name());
  }
  return names;
}

// The option of cmd or of the program that `name` ("--at", "key") names.
const CLI::Option* find_option(const CLI::App& app, const CLI::App& cmd,
                               const std::string& name) {
  for (const CLI::App* a : {&cmd, &app}) {
    for (const CLI::Option* opt : a->get_options()) {
      if (opt->get_name() == name || opt->get_name(true) == name ||
          opt->check_name(name)) {
        return opt;
      }
    }
  }
  return nullptr;
}

// The option whose name a CLI11 message starts with ("--limit: ..."), or
// null.
const CLI::Option* option_in_message(const CLI::App& app, const CLI::App& cmd,
                                     const std::string& message) {
  size_t end = message.find_first_of(": ");
  if (end == std::string::npos) return nullptr;
  return find_option(app, cmd, message.substr(0, end));
}

// The suggestion, or where to look if there is none.
std::string or_see_help(const std::string& suggestion, const CLI::App& cmd) {
  if (!suggestion.empty()) return suggestion;
  return "; see " + program_and_command(cmd) + " --help";
}

// The kind of value an option takes ("N", "T", "DIR"), without the C++ type
// CLI11 puts before it ("UINT:N").
std::string value_name(const CLI::Option& opt) {
  std::string name = opt.get_type_name();
  size_t colon = name.rfind(':');
  if (colon != std::string::npos) name = name.substr(colon + 1);
  return name == "TEXT" ? "" : name;  // CLI11's word for any text
}

std::string with_space(const std::string& word) {
  return word.empty() ? word : " " + word;
}

bool is_negative_number(const std::string& word) {
  return word.size() > 1 && word[0] == '-' &&
         (std::isdigit(static_cast<unsigned char>(word[1])) != 0 || word[1] == '.');
}

std::string unknown_command(const CLI::App& app, const std::string& word) {
  return "unknown command '" + word + "'" +
         or_see_help(did_you_mean(word, command_names(app)), app);
}

std::string extra_argument(CLI::App& app, const std::string& word) {
  CLI::App& cmd = active(app);
  if (is_negative_number(word)) {
    return "'" + word +
           "' reads as an option; to give it as a value, put -- before it: " +
           program_and_command(cmd) + " ... -- " + word;
  }
  if (word.size() > 1 && word[0] == '-') {
    std::string name = word.substr(0, word.find('='));
    std::string where = cmd.get_parent() == nullptr ? "" : " for " + cmd.get_name();
    return "unknown option " + name + where +
           or_see_help(did_you_mean(name, option_names(app, cmd)), cmd);
  }
  if (&cmd == &app) return unknown_command(app, word);
  return "unexpected argument '" + word + "'; usage: " + usage(cmd);
}

std::string extras(CLI::App& app) {
  std::vector<std::string> words = app.remaining(true);
  if (words.empty()) return "unexpected arguments; usage: " + usage(active(app));
  return extra_argument(app, words.front());
}

std::string required(CLI::App& app, const CLI::ParseError& e) {
  CLI::App& cmd = active(app);
  if (&cmd == &app) {
    if (!app.remaining().empty()) return unknown_command(app, app.remaining().front());
    return "no command given; usage: " + usage(app) + "; see pa-journal --help";
  }
  std::string message = e.what();
  std::string name = message.substr(0, message.find(" is required"));
  const CLI::Option* opt = find_option(app, cmd, name);
  if (opt != nullptr && opt->get_positional()) {
    return cmd.get_name() + ": the argument '" + name +
           "' is missing; usage: " + usage(cmd);
  }
  if (opt == nullptr) return cmd.get_name() + " needs " + name + "; usage: " + usage(cmd);
  return cmd.get_name() + " needs " + name + with_space(value_name(*opt)) + ": " +
         opt->get_description();
}

// CLI::ArgumentMismatch: an option without its value, or one given twice
// ("--dir: At Most 1 required but received 2").
std::string wrong_count(CLI::App& app, const CLI::ParseError& e) {
  CLI::App& cmd = active(app);
  std::string message = e.what();
  const CLI::Option* opt = option_in_message(app, cmd, message);
  if (opt == nullptr) {
    return "an option has a wrong number of values; usage: " + usage(cmd);
  }
  if (message.find("At Most") != std::string::npos) {
    return opt->get_name() + " is given more than once: give it once";
  }
  return opt->get_name() + " needs a value" + with_space(value_name(*opt)) + ": " +
         opt->get_description();
}

// CLI::IsMember: "--durability: fast not in {always,interval,none}".
std::string not_a_member(const std::string& message) {
  size_t colon = message.find(": ");
  size_t not_in = message.find(" not in {");
  size_t close = message.rfind('}');
  if (colon == std::string::npos || not_in == std::string::npos || close < not_in) {
    return message;
  }
  std::string value = message.substr(colon + 2, not_in - colon - 2);
  std::string allowed = message.substr(not_in + 9, close - not_in - 9);
  for (size_t comma = allowed.find(','); comma != std::string::npos;
       comma = allowed.find(',', comma + 2)) {
    allowed.replace(comma, 1, ", ");
  }
  return message.substr(0, colon) + ": '" + value + "' is not allowed; use one of " +
         allowed;
}

std::string invalid_value(CLI::App& app, const CLI::ParseError& e) {
  std::string message = e.what();
  if (message.find(" not in {") != std::string::npos) return not_a_member(message);
  // CLI::ExistingDirectory.
  if (size_t at = message.find("Directory does not exist: "); at != std::string::npos) {
    return message.substr(0, at) + "no directory " + message.substr(at + 26) +
           ": give one that exists";
  }
  const CLI::Option* opt = option_in_message(app, active(app), message);
  bool flag = opt != nullptr && opt->get_type_name().empty();
  if (flag && message.find(": ") != std::string::npos) {
    return opt->get_name() + " is a flag and takes no value";
  }
  return message;
}

std::string requires_other(const CLI::ParseError& e) {
  std::string message = e.what();
  size_t at = message.find(" requires ");
  if (at == std::string::npos) return message;
  return message.substr(0, at) + " works only together with " + message.substr(at + 10);
}

std::string message_for(CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) return extras(app);
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) return required(app, e);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    return wrong_count(app, e);
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr ||
      dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
    return invalid_value(app, e);
  }
  if (dynamic_cast<const CLI::RequiresError*>(&e) != nullptr) return requires_other(e);
  return std::string(e.what()) + "; see " + program_and_command(active(app)) + " --help";
}

}  // namespace

int report_parse_error(CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::Success*>(&e) != nullptr) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  print_error(message_for(app, e));
  return kExitUsage;
}

}  // namespace pa_journal::cli
