#include "tools/suggest.h"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace pa_journal::cli {
namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

constexpr size_t kMaxDistance = 2;

bool starts_with(std::string_view name, std::string_view word) {
  if (word.size() < 2 || word.size() >= name.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (lower(name[i]) != lower(word[i])) return false;
  }
  return true;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance between the first i bytes of a and the first j of b.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& names,
                                       size_t limit) {
  // (rank, position): 0 for a name the word starts, else 1 + the distance.
  std::vector<std::tuple<size_t, size_t>> found;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == word) continue;
    if (starts_with(names[i], word)) {
      found.emplace_back(0, i);
    } else if (size_t distance = edit_distance(word, names[i]);
               distance <= kMaxDistance) {
      found.emplace_back(1 + distance, i);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [rank, i] : found) {
    if (out.size() == limit || rank > std::get<0>(found.front())) break;
    if (std::find(out.begin(), out.end(), names[i]) == out.end()) {
      out.push_back(names[i]);
    }
  }
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& names) {
  std::vector<std::string> near = nearest_names(word, names);
  if (near.empty()) return {};
  std::string text = "; did you mean " + near[0];
  for (size_t i = 1; i < near.size(); ++i) {
    text += (i + 1 == near.size() ? " or " : ", ") + near[i];
  }
  return text + "?";
}

}  // namespace pa_journal::cli
