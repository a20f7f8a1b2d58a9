// JSON written as it is produced, a record or a document at a time, in
// exactly the text nlohmann::json::dump() gives for the whole value (compact,
// object members in sorted order, docs/cli.md 4), without building the value:
// what lets `inspect --records --json` and `list --json` stream in constant
// memory. Documents come from the store in its canonical form and are copied
// as they are; one that is not (model/canonical_json.h says so) is parsed and
// dumped, so the text is the same either way.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "pa_journal/record.h"

namespace pa_journal::cli {

// text as a JSON string, quotes included.
void append_json_string(std::string* out, std::string_view text);
// A stored document (or merge patch) as its compact JSON.
void append_document(std::string* out, std::string_view document);
// record_json(r).dump() and a newline: one line of NDJSON.
std::string record_json_line(const Record& r);

// One JSON object, key -> document, written as the pairs come: "{" before
// the first, "}" and a newline at finish(). Keys must come in strictly
// increasing byte order (the order dump() sorts members in); the object is
// then the text dump() gives for it.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::ostream& out) : out_(out) {}
  void add(std::string_view key, std::string_view document);
  void finish();

 private:
  std::ostream& out_;
  std::string buffer_;
  bool first_ = true;
};

}  // namespace pa_journal::cli
