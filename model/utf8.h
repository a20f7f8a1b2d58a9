// Well-formed UTF-8 (RFC 3629), as nlohmann::json insists on when it writes:
// no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
// Shared by the key rules and the canonical-JSON scanner so that both accept
// exactly what the JSON writer can write back. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string_view>

namespace pa_journal {

// Length (2 to 4) of the well-formed multi-byte sequence that starts at p, or
// 0 if there is none. Requires p < end; never reads at or past end.
inline size_t utf8_sequence_length(const char* p, const char* end) {
  auto b = [p](ptrdiff_t i) { return static_cast<unsigned char>(p[i]); };
  unsigned char lead = b(0);
  size_t n = lead >= 0xC2 && lead <= 0xDF   ? 2
             : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                            : 0;
  if (n == 0 || static_cast<size_t>(end - p) < n) return 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range for this lead
  if (lead == 0xE0) lo = 0xA0;         // overlong
  if (lead == 0xED) hi = 0x9F;         // surrogates
  if (lead == 0xF0) lo = 0x90;         // overlong
  if (lead == 0xF4) hi = 0x8F;         // above U+10FFFF
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if ((b(static_cast<ptrdiff_t>(i)) & 0xC0) != 0x80) return 0;
  }
  return n;
}

inline bool is_valid_utf8(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    size_t n = utf8_sequence_length(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

}  // namespace pa_journal
