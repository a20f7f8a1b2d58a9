// Input rules of docs/design.md 3, checked before anything is appended.
// Every function throws InvalidInputError with a message that names the rule.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "pa_journal/record.h"  // validate_collection_name, validate_key

namespace pa_journal {

inline constexpr size_t kMaxCollectionNameBytes = 64;
inline constexpr size_t kMaxKeyBytes = 256;
inline constexpr size_t kMaxDocumentBytes = 16u << 20;

// What nlohmann says went wrong, without its tag ("[json.exception.type_error.302] "):
// for an error that is not a parse error (a value of the wrong type, a member
// that is missing, a string that is not UTF-8).
std::string json_error_reason(const nlohmann::json::exception& e);
// The message for JSON that nlohmann refused, without nlohmann's own tag:
// "invalid JSON at line 3, column 7: syntax error while parsing ...".
std::string describe_json_error(const nlohmann::json::exception& e);
// The same with the line and column of the refused token counted in text,
// the text nlohmann parsed: where that token ends its line, nlohmann's own
// position says "column 0" (it counted the newline after the token, then
// took back the line but not the column).
std::string describe_json_error(const nlohmann::json::exception& e,
                                std::string_view text);

// Parses text as JSON (at most kMaxDocumentBytes) and returns it compact.
std::string canonical_json(std::string_view text);
// The same in place; leaves a document that is already compact untouched.
void canonicalise_json(std::string* document);
// Throws if a document's compact text exceeds kMaxDocumentBytes.
void validate_document_size(std::string_view compact, std::string_view what);

}  // namespace pa_journal
