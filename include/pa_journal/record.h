// The logical content of a journal record, as the API and the tools see it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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
  int64_t time_ns = 0;  // UTC nanoseconds since the Unix epoch; never decreases
  std::vector<Operation> ops;
  std::string origin;  // optional note, e.g. "restore to ..."

  bool operator==(const Record&) const = default;
};

const char* to_string(OpKind kind);

// A store's state: collection name -> key -> document (compact JSON).
using Collection = std::map<std::string, std::string>;
using Collections = std::map<std::string, Collection>;

}  // namespace pa_journal
