#include "journal/validation.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "journal/canonical_json.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

bool is_name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '-');
}

// Length of the UTF-8 sequence starting with lead byte b, 0 if b cannot lead.
size_t utf8_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_length(static_cast<unsigned char>(s[i]));
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...'" : "'");
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
  if (!valid_utf8(key)) {
    throw InvalidInputError("invalid key " + quoted(key) + ": not valid UTF-8");
  }
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7F || c == '/') {
      throw InvalidInputError("invalid key " + quoted(key) +
                              ": control characters and '/' are not allowed");
    }
  }
}

std::string canonical_json(std::string_view text) {
  validate_document_size(text, "document");
  if (is_canonical_json(text)) return std::string(text);
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
