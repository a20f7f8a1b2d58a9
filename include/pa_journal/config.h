// The settings a store keeps in its collection "config", one document per
// setting (key: the setting's name, document: its JSON value), as the seed's
// ConfigManager (pa_journal/file_storage.h) stores them.
//
// The store honours backup_enabled, auto_save, backup_count and
// auto_save_interval (see ConfigManager); data_format, date_format and
// time_format are the seed's own. Every commit (Store::put, patch, commit,
// enqueue, and so `pa-journal put`/`patch`/`apply` and the Python module)
// that leaves one of these settings with a value it does not allow is
// refused with InvalidInputError and nothing is appended. A point-in-time
// restore, an import and an adoption take what the store or the files held,
// unchecked (the store ignores a value it cannot use). Other keys are the
// application's: kept as they are, and listed by unknown_config_keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pa_journal/store.h"

namespace pa_journal {

// kConfigCollection, the collection's name, is in pa_journal/record.h.

// True for the settings listed above.
bool is_known_config_key(std::string_view key);

// Throws InvalidInputError naming the key and what it allows if `document`
// (JSON text) is not an allowed value of the known setting `key`; any value
// of another key passes. Allowed: backup_enabled, auto_save: true or false;
// backup_count, auto_save_interval (seconds): a whole number from 1 to
// 1000000; data_format, date_format, time_format: a string that is not empty.
void validate_config_value(std::string_view key, std::string_view document);

// The keys of the store's collection "config" that are not known settings,
// in key order.
std::vector<std::string> unknown_config_keys(const Store& store);

}  // namespace pa_journal
