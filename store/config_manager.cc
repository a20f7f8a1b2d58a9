// The seed's ConfigManager and serialisation helpers
// (include/pa_journal/file_storage.h). Settings live in the collection
// "config", one document per setting, so that the store itself can honour
// backup_enabled, backup_count, auto_save and auto_save_interval.
#include <date/date.h>

#include "model/validation.h"
#include "pa_journal/config.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// nlohmann refuses to write strings that are not UTF-8; that is refused input.
std::string dump(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    throw InvalidInputError("a setting cannot be stored: " + json_error_reason(e));
  }
}

constexpr int64_t kMaxWholeSetting = 1'000'000;

// The value as a message shows it: compact JSON, cut short if long.
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

[[noreturn]] void refuse(std::string_view key, const char* allowed, const json& value) {
  throw InvalidInputError("config " + std::string(key) + " must be " + allowed +
                          ", not " + shown(value));
}

bool is_whole_setting(std::string_view key) {
  return key == "backup_count" || key == "auto_save_interval";
}

bool is_switch_setting(std::string_view key) {
  return key == "backup_enabled" || key == "auto_save";
}

bool is_text_setting(std::string_view key) {
  return key == "data_format" || key == "date_format" || key == "time_format";
}

bool is_whole_in_range(const json& value) {
  if (!value.is_number_integer()) return false;
  int64_t n = value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX
                  ? INT64_MAX
                  : value.get<int64_t>();
  return n >= 1 && n <= kMaxWholeSetting;
}

}  // namespace

bool is_known_config_key(std::string_view key) {
  return is_whole_setting(key) || is_switch_setting(key) || is_text_setting(key);
}

void validate_config_value(std::string_view key, std::string_view document) {
  if (!is_known_config_key(key)) return;
  json value = parse_input_json(document);
  if (is_whole_setting(key) && !is_whole_in_range(value)) {
    refuse(key,
           key == "backup_count" ? "a whole number from 1 to 1000000 (backups kept)"
                                 : "a whole number from 1 to 1000000 (seconds)",
           value);
  }
  if (is_switch_setting(key) && !value.is_boolean()) refuse(key, "true or false", value);
  if (is_text_setting(key) && !(value.is_string() && !value.get<std::string>().empty())) {
    refuse(key, "a string that is not empty", value);
  }
}

std::vector<std::string> unknown_config_keys(const Store& store) {
  std::vector<std::string> out;
  for (const auto& [key, doc] : store.list(kConfigCollection)) {
    if (!is_known_config_key(key)) out.push_back(key);
  }
  return out;
}

const json& ConfigManager::default_config() {
  static const json defaults = {{"backup_enabled", true},   {"backup_count", 10},
                                {"auto_save", true},        {"auto_save_interval", 60},
                                {"data_format", "json"},    {"date_format", "%Y-%m-%d"},
                                {"time_format", "%H:%M:%S"}};
  return defaults;
}

ConfigManager::ConfigManager(FileStorage& storage)
    : storage_(storage), config_(load_config()) {}

json ConfigManager::load_config() const {
  json config = default_config();
  for (const auto& [key, doc] : storage_.store().list(kConfigCollection)) {
    config[key] = parse_document(doc);
  }
  return config;
}

void ConfigManager::save_config() {
  std::vector<Operation> ops;
  for (const auto& [key, value] : config_.items()) {
    auto stored = storage_.store().get(kConfigCollection, key);
    if (!stored || parse_document(*stored) != value) {
      ops.push_back({OpKind::kPut, std::string(kConfigCollection), key, dump(value)});
    }
  }
  if (!ops.empty()) storage_.store().commit(std::move(ops), "save config");
}

json ConfigManager::get(const std::string& key, const json& fallback) const {
  auto it = config_.find(key);
  return it == config_.end() ? fallback : *it;
}

void ConfigManager::set(const std::string& key, const json& value) {
  storage_.store().put(kConfigCollection, key, dump(value));
  config_[key] = value;
}

std::string isoformat(std::chrono::system_clock::time_point t) {
  return date::format("%FT%TZ", date::floor<std::chrono::microseconds>(t));
}

std::string isoformat(int year, unsigned month, unsigned day) {
  date::year_month_day ymd{date::year{year}, date::month{month}, date::day{day}};
  if (!ymd.ok()) throw InvalidInputError("not a calendar date");
  return date::format("%F", ymd);
}

}  // namespace pa_journal
