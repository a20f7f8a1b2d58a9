// The seed's ConfigManager and serialisation helpers
// (include/pa_journal/file_storage.h). Settings live in the collection
// "config", one document per setting, so that the store itself can honour
// backup_enabled, backup_count, auto_save and auto_save_interval.
#include <date/date.h>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"

namespace pa_journal {
namespace {

using nlohmann::json;

constexpr const char* kConfigCollection = "config";

// nlohmann refuses to write strings that are not UTF-8; that is refused input.
std::string dump(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    throw InvalidInputError(std::string("a setting cannot be stored: ") + e.what());
  }
}

}  // namespace

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
      ops.push_back({OpKind::kPut, kConfigCollection, key, dump(value)});
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
