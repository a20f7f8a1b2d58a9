#include "tools/apply_parser.h"

#include <simdjson.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "model/canonical_json.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

// ---- The reference parser: a DOM of the line; every refusal is made here.

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

// ---- The fast parser. Each function returns false where it gives up.

namespace od = simdjson::ondemand;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// simdjson's raw text of a value runs to the next token: without the
// whitespace before it, it is the value's own text.
std::string_view trim_end(std::string_view text) {
  while (!text.empty() && is_json_space(text.back())) text.remove_suffix(1);
  return text;
}

// The text of value if it is an object or array, consumed from the
// iterator; CanonicalOps::add then takes it only in canonical form (then it
// is what dump() of the parsed value writes). On-Demand skips a value by its
// brackets alone: that check reads the rest. Scalars give up (simdjson would
// take its token without reading it).
bool container_text(od::value value, std::string* out) {
  od::json_type type;
  if (value.type().get(type)) return false;
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object object;
    if (value.get_object().get(object) || object.raw_json().get(raw)) return false;
  } else if (type == od::json_type::array) {
    od::array array;
    if (value.get_array().get(array) || array.raw_json().get(raw)) return false;
  } else {
    return false;
  }
  out->assign(trim_end(raw));
  return true;
}

bool string_value(od::value value, std::string* out) {
  std::string_view text;
  if (value.get_string().get(text)) return false;
  out->assign(text);
  return true;
}

bool fast_op_kind(std::string_view name, OpKind* kind) {
  if (name == "put") return *kind = OpKind::kPut, true;
  if (name == "patch") return *kind = OpKind::kPatch, true;
  if (name == "delete") return *kind = OpKind::kDelete, true;
  return false;
}

// One operation object with exactly the members its op needs, each once.
bool fast_op(od::object object, Operation* op) {
  constexpr unsigned kOp = 1, kCollection = 2, kKey = 4, kValue = 8;
  unsigned seen = 0;
  for (auto field : object) {
    std::string_view name;
    if (field.unescaped_key().get(name)) return false;
    unsigned bit = name == "op"           ? kOp
                   : name == "collection" ? kCollection
                   : name == "key"        ? kKey
                   : name == "value"      ? kValue
                                          : 0u;
    if (bit == 0 || (seen & bit) != 0) return false;
    seen |= bit;
    std::string kind;
    bool ok = bit == kOp
                  ? string_value(field.value(), &kind) && fast_op_kind(kind, &op->kind)
              : bit == kCollection ? string_value(field.value(), &op->collection)
              : bit == kKey        ? string_value(field.value(), &op->key)
                                   : container_text(field.value(), &op->document);
    if (!ok) return false;
  }
  unsigned needed =
      kOp | kCollection | kKey | (op->kind == OpKind::kDelete ? 0u : kValue);
  return seen == needed;
}

// fast_op, then the canonical check of its document.
bool fast_canonical_op(od::object object, CanonicalOps* ops) {
  Operation op;
  return fast_op(object, &op) && ops->add(std::move(op));
}

bool fast_ops(od::document& doc, CanonicalOps* ops) {
  od::json_type type;
  if (doc.type().get(type)) return false;
  if (type == od::json_type::object) {
    od::object object;
    return !doc.get_object().get(object) && fast_canonical_op(object, ops);
  }
  od::array array;
  if (type != od::json_type::array || doc.get_array().get(array)) return false;
  for (auto element : array) {
    od::object object;
    if (element.get_object().get(object) || !fast_canonical_op(object, ops)) return false;
  }
  return !ops->empty();  // an empty array is refused, by the reference parser
}

}  // namespace

struct ApplyParser::Impl {
  od::parser parser;
  std::string padded;  // the line, then SIMDJSON_PADDING bytes simdjson may read
};

ApplyParser::ApplyParser() : impl_(std::make_unique<Impl>()) {}
ApplyParser::~ApplyParser() = default;

std::optional<CanonicalOps> ApplyParser::parse_canonical(std::string_view line) {
  // A NUL byte ends nlohmann's input: the reference parser refuses it.
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) return std::nullopt;
  std::string& padded = impl_->padded;
  padded.assign(line);
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  CanonicalOps ops;
  if (impl_->parser.iterate(padded.data(), line.size(), padded.size()).get(doc) ||
      !fast_ops(doc, &ops) || doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return std::nullopt;
  }
  return ops;
}

std::optional<std::vector<Operation>> ApplyParser::parse_fast(std::string_view line) {
  if (auto ops = parse_canonical(line)) return std::move(*ops).release();
  return std::nullopt;
}

std::vector<Operation> ApplyParser::parse(std::string_view line) {
  if (auto ops = parse_fast(line)) return std::move(*ops);
  return parse_apply_line_reference(line);
}

std::vector<Operation> parse_apply_line_reference(std::string_view line) {
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

std::vector<Operation> parse_apply_line(std::string_view line) {
  thread_local ApplyParser parser;
  return parser.parse(line);
}

}  // namespace pa_journal::cli
