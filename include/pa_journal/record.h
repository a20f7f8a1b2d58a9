// The logical content of a journal record, as the API and the tools see it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pa_journal {

enum class OpKind : uint8_t { kPut, kPatch, kDelete };

// One change to one document. For kPut and kPatch, `document` is compact JSON
// text (the whole document, or an RFC 7396 merge patch); for kDelete it is
// empty.
struct Operation {
  OpKind kind = OpKind::kPut;
  std::string collection;
  std::string key;
  std::string document;

  bool operator==(const Operation&) const = default;
};

// One commit: applied atomically, numbered and timed by the journal.
struct Record {
  uint64_t seq = 0;     // gap-free, starting at 1
  int64_t time_ns = 0;  // UTC nanoseconds since the Unix epoch; increases
  std::vector<Operation> ops;
  std::string origin;  // optional note, e.g. "restore to ..."

  bool operator==(const Record&) const = default;
};

const char* to_string(OpKind kind);

// The naming rules of docs/design.md 3; each throws InvalidInputError naming the
// rule broken. A collection name is [a-z0-9][a-z0-9_-]{0,63}; a key is 1 to
// 256 bytes of valid UTF-8 (RFC 3629) without control characters (U+0000 to
// U+001F, U+007F to U+009F) or '/'. The record decoder applies them too.
void validate_collection_name(std::string_view name);
void validate_key(std::string_view key);

// The collection a store keeps its settings in (pa_journal/config.h); its
// list file is one JSON object, not a list (snapshot/list_file.h).
inline constexpr std::string_view kConfigCollection = "config";

// A store's state: collection name -> key -> document (compact JSON).
using Collection = std::map<std::string, std::string>;
using Collections = std::map<std::string, Collection>;

}  // namespace pa_journal
