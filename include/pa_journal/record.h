// The logical content of a journal record, as the API and the tools see it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pa_journal {

enum class OpKind : uint8_t { kPut, kPatch, kDelete };

// One change to one document. For kPut and kPatch, `document` is compact JSON
// text (the whole document, or an RFC 7396 merge patch); for kDelete it is
// empty.
//
// if_seq makes the operation a compare-and-set (docs/design.md,
// "Compare-and-set"): its commit is refused with ConflictError, and nothing
// appended, if the document changed after seq if_seq (if_seq 0: if the
// document exists), judged against the state before the commit. It is a
// condition on the commit, not part of the record: the journal does not keep
// it.
struct Operation {
  Operation() = default;
  // (A constructor rather than an aggregate: callers that name four fields
  // leave if_seq unset without a missing-initializer warning.)
  Operation(OpKind kind_in, std::string collection_in, std::string key_in,
            std::string document_in = {}, std::optional<uint64_t> if_seq_in = {})
      : kind(kind_in),
        collection(std::move(collection_in)),
        key(std::move(key_in)),
        document(std::move(document_in)),
        if_seq(if_seq_in) {}

  OpKind kind = OpKind::kPut;
  std::string collection;
  std::string key;
  std::string document;
  std::optional<uint64_t> if_seq;

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
