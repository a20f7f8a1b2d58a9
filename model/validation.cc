#include "model/validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "model/canonical_json.h"
#include "model/utf8.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

bool is_name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '-');
}

// s quoted for a message, at most about 80 bytes of it: control characters
// and bytes that are not UTF-8 are written as \xNN, so that the message
// stays one printable line whatever the input held (a NUL included).
std::string quote_for_message(std::string_view s) {
  std::string out = "'";
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end && out.size() <= 80) {
    auto c = static_cast<unsigned char>(*p);
    size_t n = c < 0x80 ? 1 : utf8_sequence_length(p, end);
    if (c >= 0x20 && c != 0x7F && n != 0) {
      out.append(p, n);
      p += n;
      continue;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
    ++p;
  }
  return out + (p < end ? "...'" : "'");
}

// U+0080..U+009F, encoded as C2 80..C2 9F.
bool has_c1_control(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    auto next = static_cast<unsigned char>(s[i + 1]);
    if (static_cast<unsigned char>(s[i]) == 0xC2 && next >= 0x80 && next <= 0x9F)
      return true;
  }
  return false;
}

}  // namespace

void validate_collection_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxCollectionNameBytes;
  for (size_t i = 0; ok && i < name.size(); ++i) ok = is_name_char(name[i], i == 0);
  if (!ok) {
    throw InvalidInputError("invalid collection name " + quote_for_message(name) +
                            ": use 1 to 64 characters of a-z, 0-9, '_' and '-', "
                            "starting with a letter or digit");
  }
}

void validate_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    throw InvalidInputError("invalid key " + quote_for_message(key) +
                            ": a key is 1 to 256 bytes");
  }
  // Printable ASCII other than '/' is the common case and needs no more checks.
  if (std::all_of(key.begin(), key.end(),
                  [](char c) { return c >= 0x20 && c < 0x7F && c != '/'; })) {
    return;
  }
  if (!is_valid_utf8(key)) {
    throw InvalidInputError("invalid key " + quote_for_message(key) +
                            ": not valid UTF-8");
  }
  bool control = has_c1_control(key) || std::any_of(key.begin(), key.end(), [](char c) {
                   return static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == '/';
                 });
  if (control) {
    throw InvalidInputError("invalid key " + quote_for_message(key) +
                            ": control characters and '/' are not allowed");
  }
}

namespace {

// Calls at(i) for the index i of every byte of JSON text outside strings, in
// order; at returns the index to go on from (i + 1, or past a token, or
// text.size() to stop). Escapes inside strings never end them.
template <typename At>
void for_each_outside_strings(std::string_view text, At&& at) {
  bool in_string = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (in_string) {
      i += c == '\\' ? 2 : 1;
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
      ++i;
    } else {
      i = at(i);
    }
  }
}

}  // namespace

size_t json_nesting_depth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  for_each_outside_strings(text, [&](size_t i) {
    char c = text[i];
    if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    return deepest > limit ? text.size() : i + 1;
  });
  return deepest;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One number token of JSON text: refused if the store would keep another
// number. Tokens that are not numbers are left to the parser to refuse.
void check_number(std::string_view token) {
  std::string_view digits = token.substr(token[0] == '-' ? 1 : 0);
  if (token.find_first_of(".eE") == std::string_view::npos) {
    int64_t signed_value = 0;
    uint64_t unsigned_value = 0;
    auto result =
        token[0] == '-'
            ? std::from_chars(token.data(), token.data() + token.size(), signed_value)
            : std::from_chars(token.data(), token.data() + token.size(), unsigned_value);
    if (result.ec == std::errc::result_out_of_range) {
      throw InvalidInputError("the integer " + quote_for_message(token) +
                              " does not fit in 64 bits; store it as a string");
    }
    return;
  }
  double value = std::strtod(std::string(token).c_str(), nullptr);
  std::string_view mantissa = digits.substr(0, digits.find_first_of("eE"));
  bool non_zero = mantissa.find_first_of("123456789") != std::string_view::npos;
  if (std::isinf(value) || (value == 0 && non_zero)) {
    throw InvalidInputError("the number " + quote_for_message(token) +
                            " is beyond what a double holds; store it as a string");
  }
}

// check_number for every number token outside strings.
void check_numbers(std::string_view text) {
  for_each_outside_strings(text, [text](size_t i) {
    if (text[i] != '-' && !is_digit(text[i])) return i + 1;
    size_t end = std::min(text.find_first_not_of("+-0123456789.eE", i), text.size());
    check_number(text.substr(i, end - i));
    return end;
  });
}

}  // namespace

nlohmann::json parse_input_json(std::string_view text, size_t wrapping_levels) {
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw InvalidInputError("invalid JSON: a NUL byte at offset " + std::to_string(nul));
  }
  size_t max_depth = kMaxDocumentDepth + wrapping_levels;
  if (json_nesting_depth(text, max_depth) > max_depth) {
    throw InvalidInputError("document nested deeper than " +
                            std::to_string(kMaxDocumentDepth) +
                            " levels of arrays and objects");
  }
  check_numbers(text);
  using Event = nlohmann::json::parse_event_t;
  std::vector<std::set<std::string>> names;  // of each object being read
  auto no_repeats = [&names](int, Event event, nlohmann::json& parsed) {
    if (event == Event::object_start) {
      names.emplace_back();
    } else if (event == Event::object_end) {
      names.pop_back();
    } else if (event == Event::key &&
               !names.back().insert(parsed.get<std::string>()).second) {
      throw InvalidInputError("the member name " +
                              quote_for_message(parsed.get<std::string>()) +
                              " appears twice in one object");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, no_repeats);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(describe_json_error(e, text));
  }
}

std::string json_error_reason(const nlohmann::json::exception& e) {
  std::string what = e.what();
  size_t tag_end = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos) {
    what.erase(0, tag_end + 2);
  }
  return what;
}

std::string describe_json_error(const nlohmann::json::exception& e) {
  // nlohmann writes "[json.exception.parse_error.101] parse error at line 1,
  // column 9: syntax error while parsing value - ...": keep its position and
  // its reason, in the store's words.
  std::string what = json_error_reason(e);
  const std::string parse_error = "parse error at ";
  if (what.rfind(parse_error, 0) == 0) {
    size_t reason = what.find(": ");
    if (reason != std::string::npos) {
      return "invalid JSON at " +
             what.substr(parse_error.size(), reason - parse_error.size()) + ": " +
             what.substr(reason + 2);
    }
  }
  return "invalid JSON: " + what;
}

std::string describe_json_error(const nlohmann::json::exception& e,
                                std::string_view text) {
  std::string described = describe_json_error(e);
  const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e);
  const std::string at = "invalid JSON at line ";
  size_t reason = described.find(": ");
  if (parse == nullptr || parse->byte == 0 || described.rfind(at, 0) != 0 ||
      reason == std::string::npos) {
    return described;
  }
  // byte: the 1-based offset of the last character read, the refused
  // token's last (one past the text at its end).
  size_t last = std::min<size_t>(parse->byte, text.size() + 1) - 1;
  std::string_view before = text.substr(0, last);
  size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  size_t newline = before.rfind('\n');
  size_t column = newline == std::string_view::npos ? last + 1 : last - newline;
  return at + std::to_string(line) + ", column " + std::to_string(column) +
         described.substr(reason);
}

nlohmann::json parse_document(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw CorruptedDataError("stored document holds a NUL byte");
  }
  if (json_nesting_depth(text) > kMaxDocumentDepth) {
    throw CorruptedDataError("stored document is nested deeper than " +
                             std::to_string(kMaxDocumentDepth) + " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError("stored document is not JSON: " + describe_json_error(e));
  }
}

// Canonical text has no duplicate names, only short integers and depth at most
// 256 (the scanner gives up past that), so only the full parse checks them.
std::string canonical_json(std::string_view text) {
  validate_document_size(text, "document");
  if (is_canonical_json(text)) return std::string(text);
  return parse_input_json(text).dump();
}

void canonicalise_json(std::string* document) {
  validate_document_size(*document, "document");
  if (!is_canonical_json(*document)) *document = canonical_json(*document);
}

void validate_document_size(std::string_view compact, std::string_view what) {
  if (compact.size() > kMaxDocumentBytes) {
    throw InvalidInputError(std::string(what) +
                            " too large: " + std::to_string(compact.size()) +
                            " bytes, the limit is 16 MiB");
  }
}

}  // namespace pa_journal
