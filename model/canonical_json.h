// A fast check for documents that are already in the store's canonical form,
// so that the commit path can skip the full parse and re-serialisation.
#pragma once

#include <string_view>

namespace pa_journal {

// True only if text is byte for byte what nlohmann::json::parse(text).dump()
// returns: no whitespace outside strings, object keys (free of escapes) in
// strictly increasing byte order, integers of at most 18 digits and no "-0",
// no fractions or exponents, strings of valid UTF-8 using only the escapes
// dump() writes. False means "not known to be canonical" (it may be valid JSON
// in another form, or invalid): the caller must fall back to the full parse.
// Never reads outside text; recursion is bounded. Thread-safe.
bool is_canonical_json(std::string_view text);

}  // namespace pa_journal
