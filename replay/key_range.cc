#include "replay/key_range.h"

#include <algorithm>
#include <string>

namespace pa_journal {

std::string_view range_start(const ListOptions& options) {
  if (options.from && *options.from > options.prefix) return *options.from;
  return options.prefix;
}

bool in_range(const ListOptions& options, std::string_view key) {
  if (!key.starts_with(options.prefix)) return false;
  if (options.from && key < *options.from) return false;
  return !(options.to && key > *options.to);
}

bool past_range(const ListOptions& options, std::string_view key) {
  if (options.to && key > *options.to) return true;
  return key > options.prefix && !key.starts_with(options.prefix);
}

uint64_t count_in_range(const DocTree& docs, const ListOptions& options) {
  std::string_view lower = range_start(options);
  size_t begin = lower.empty() ? 0 : docs.rank(lower);  // the whole: O(1)
  size_t end = docs.size();
  if (options.to) end = std::min(end, docs.rank(*options.to, true));
  if (!options.prefix.empty()) {
    // Keys with the prefix end before its successor: the prefix with its last
    // byte below 0xff raised by one and the 0xff bytes after it dropped.
    std::string after = options.prefix;
    while (!after.empty() && static_cast<unsigned char>(after.back()) == 0xff) {
      after.pop_back();
    }
    if (!after.empty()) {
      after.back() = static_cast<char>(static_cast<unsigned char>(after.back()) + 1);
      end = std::min(end, docs.rank(after));
    }
  }
  return end > begin ? end - begin : 0;
}

}  // namespace pa_journal
