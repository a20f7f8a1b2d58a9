// Nearest-name suggestions for a mistyped command, option or collection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pa_journal::cli {

// The Damerau-Levenshtein distance (optimal string alignment: insertions,
// deletions, substitutions and swaps of two adjacent characters, each 1),
// byte by byte, ASCII letters compared without case.
size_t edit_distance(std::string_view a, std::string_view b);

// The names of `names` closest to `word`, at most `limit`, in the order of
// `names`: those that `word` (two characters or more) is the start of, else
// those at the smallest edit distance if it is 2 or less. `word` itself is
// never suggested.
std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& names,
                                       size_t limit = 3);

// "; did you mean X?" or "; did you mean X or Y?" for the nearest names, or
// "" if there are none: a suffix for an error message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& names);

}  // namespace pa_journal::cli
