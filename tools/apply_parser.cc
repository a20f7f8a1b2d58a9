#include "tools/apply_parser.h"

#include <nlohmann/json.hpp>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

std::string string_field(const json& op, const char* name) {
  auto it = op.find(name);
  if (it == op.end() || !it->is_string()) {
    throw InvalidInputError(std::string("\"") + name + "\" must be a string");
  }
  return it->get<std::string>();
}

OpKind op_kind(const std::string& name) {
  if (name == "put") return OpKind::kPut;
  if (name == "patch") return OpKind::kPatch;
  if (name == "delete") return OpKind::kDelete;
  throw InvalidInputError("\"op\" must be put, patch or delete, not \"" + name + "\"");
}

Operation parse_op(const json& op) {
  if (!op.is_object()) throw InvalidInputError("an operation must be a JSON object");
  for (const auto& [field, _] : op.items()) {
    if (field != "op" && field != "collection" && field != "key" && field != "value" &&
        field != "if_seq") {
      throw InvalidInputError("unknown field \"" + field + "\"");
    }
  }
  Operation out{op_kind(string_field(op, "op")),
                string_field(op, "collection"),
                string_field(op, "key"),
                {}};
  bool has_value = op.contains("value");
  if (out.kind == OpKind::kDelete && has_value) {
    throw InvalidInputError("delete takes no \"value\"");
  }
  if (out.kind != OpKind::kDelete) {
    if (!has_value)
      throw InvalidInputError(std::string(to_string(out.kind)) + " needs a \"value\"");
    out.document = op.at("value").dump();
  }
  if (auto it = op.find("if_seq"); it != op.end()) {
    if (!it->is_number_unsigned()) {
      throw InvalidInputError("\"if_seq\" must be a whole number (a seq, or 0)");
    }
    out.if_seq = it->get<uint64_t>();
  }
  return out;
}

}  // namespace

std::vector<Operation> parse_apply_line(std::string_view line) {
  // A line holds a document inside an operation inside an array at most.
  json parsed = parse_input_json(line, /*wrapping_levels=*/2);
  std::vector<Operation> ops;
  if (parsed.is_array()) {
    if (parsed.empty()) throw InvalidInputError("an empty array commits nothing");
    for (const auto& op : parsed) ops.push_back(parse_op(op));
  } else {
    ops.push_back(parse_op(parsed));
  }
  return ops;
}

}  // namespace pa_journal::cli
