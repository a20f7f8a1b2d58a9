// Stored documents as JSON values, for code that reads them (the tool, the
// seed's API, applications).
//
// Every document the store accepts is nested at most kMaxDocumentDepth levels
// deep: writing out, comparing or destroying a JSON value recurses once per
// level, so a deeper one could overflow the stack of whoever reads it. Text
// read back from disk may not have come from the store, so it is checked again.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

namespace pa_journal {

inline constexpr size_t kMaxDocumentDepth = 512;

// The deepest nesting of arrays and objects in JSON text (brackets inside
// strings do not count), counted no further than limit + 1. Text that is not
// JSON gets a number too; it only bounds what a parser would build.
size_t json_nesting_depth(std::string_view text, size_t limit = kMaxDocumentDepth);

// JSON given to the store (a document, a merge patch, an apply line), parsed
// as the store will keep it. Throws InvalidInputError if it is not JSON (a NUL
// byte anywhere included: nlohmann's parser would stop there), is nested deeper than
// kMaxDocumentDepth (plus wrapping_levels: an apply line holds documents two levels
// down), names a member twice in one object (JSON does not say which value wins), or
// holds a number the store would change: an integer beyond 64 bits (it would come back as
// a double, digits lost) or a non-zero number too small for a double (it would come back
// as 0).
nlohmann::json parse_input_json(std::string_view text, size_t wrapping_levels = 0);

// A stored document as a JSON value. Throws CorruptedDataError if text is not
// JSON (or holds a NUL byte) or is nested deeper than kMaxDocumentDepth. Thread-safe.
nlohmann::json parse_document(std::string_view text);

}  // namespace pa_journal
