#include "journal/validation.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "journal/canonical_json.h"
#include "journal/utf8.h"
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
std::string quoted(std::string_view s) {
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
    throw InvalidInputError("invalid collection name " + quoted(name) +
                            ": use 1 to 64 characters of a-z, 0-9, '_' and '-', "
                            "starting with a letter or digit");
  }
}

void validate_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    throw InvalidInputError("invalid key " + quoted(key) + ": a key is 1 to 256 bytes");
  }
  // Printable ASCII other than '/' is the common case and needs no more checks.
  if (std::all_of(key.begin(), key.end(),
                  [](char c) { return c >= 0x20 && c < 0x7F && c != '/'; })) {
    return;
  }
  if (!is_valid_utf8(key)) {
    throw InvalidInputError("invalid key " + quoted(key) + ": not valid UTF-8");
  }
  bool control = has_c1_control(key) || std::any_of(key.begin(), key.end(), [](char c) {
                   return static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == '/';
                 });
  if (control) {
    throw InvalidInputError("invalid key " + quoted(key) +
                            ": control characters and '/' are not allowed");
  }
}

size_t json_nesting_depth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_document(std::string_view text) {
  if (json_nesting_depth(text) > kMaxDocumentDepth) {
    throw CorruptedDataError("stored document is nested deeper than " +
                             std::to_string(kMaxDocumentDepth) + " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError(std::string("stored document is not JSON: ") + e.what());
  }
}

// The canonical scanner gives up past 256 levels, well within the limit, so
// only the full parse needs the depth check.
std::string canonical_json(std::string_view text) {
  validate_document_size(text, "document");
  if (is_canonical_json(text)) return std::string(text);
  if (json_nesting_depth(text) > kMaxDocumentDepth) {
    throw InvalidInputError("document nested deeper than " +
                            std::to_string(kMaxDocumentDepth) +
                            " levels of arrays and objects");
  }
  try {
    return nlohmann::json::parse(text).dump();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("invalid JSON: ") + e.what());
  }
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
