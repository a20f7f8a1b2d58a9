#include "tools/json_stream.h"

#include <nlohmann/json.hpp>

#include "model/validation.h"
#include "pa_journal/time.h"

namespace pa_journal::cli {
namespace {

// Bytes dump() writes as they are in a string: printable ASCII but the two
// it escapes. Anything else takes dump() itself (escapes, UTF-8 checks).
bool plain_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
  }
  return true;
}

// Writes the buffer out once it holds this much: a few lines at a time.
constexpr size_t kFlushBytes = 64 * 1024;

}  // namespace

void append_json_string(std::string* out, std::string_view text) {
  if (!plain_ascii(text)) {
    *out += nlohmann::json(text).dump();
    return;
  }
  *out += '"';
  *out += text;
  *out += '"';
}

void append_document(std::string* out, std::string_view document) {
  std::string text(document);
  canonicalise_json(&text);  // a copy only if it is not canonical already
  *out += text;
}

std::string record_json_line(const Record& r) {
  std::string line = "{\"ops\":[";
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const Operation& op = r.ops[i];
    line += i == 0 ? "{\"collection\":" : ",{\"collection\":";
    append_json_string(&line, op.collection);
    line += ",\"key\":";
    append_json_string(&line, op.key);
    line += ",\"op\":\"";
    line += to_string(op.kind);
    line += '"';
    if (op.kind != OpKind::kDelete) {
      line += ",\"value\":";
      append_document(&line, op.document);
    }
    line += '}';
  }
  line += ']';
  if (!r.origin.empty()) {
    line += ",\"origin\":";
    append_json_string(&line, r.origin);
  }
  line += ",\"seq\":" + std::to_string(r.seq) + ",\"time\":\"" +
          format_time_ns(r.time_ns) + "\"}\n";
  return line;
}

void JsonObjectWriter::add(std::string_view key, std::string_view document) {
  buffer_ += first_ ? '{' : ',';
  first_ = false;
  append_json_string(&buffer_, key);
  buffer_ += ':';
  append_document(&buffer_, document);
  if (buffer_.size() >= kFlushBytes) {
    out_ << buffer_;
    buffer_.clear();
  }
}

void JsonObjectWriter::finish() {
  buffer_ += first_ ? "{}\n" : "}\n";
  out_ << buffer_;
  buffer_.clear();
}

}  // namespace pa_journal::cli
