#include "model/canonical_json.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "model/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pa_journal {
namespace {

// Deeper documents take the full parse; they are rare and the limit keeps the
// recursion of this scanner small.
constexpr int kMaxDepth = 256;
// 18 decimal digits fit both int64 and uint64, which dump() writes back as they
// were; longer integers may be parsed as floating point.
constexpr int kMaxIntegerDigits = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// a < b in byte order, as std::map<std::string> orders keys. Keys are short and
// mostly differ early: a loop beats a call of memcmp.
bool less(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i])
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

// Scans one JSON value at a time. Every function returns false as soon as the
// text is not known to be canonical; p_ never passes end_.
class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool document() { return value(0) && p_ == end_; }

 private:
  bool at(char c) const { return p_ != end_ && *p_ == c; }

  bool value(int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return integer();
    }
  }

  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  bool integer() {
    bool negative = at('-');
    if (negative) ++p_;
    const char* digits = p_;
    while (p_ != end_ && is_digit(*p_)) ++p_;
    size_t n = static_cast<size_t>(p_ - digits);
    if (n == 0 || n > kMaxIntegerDigits) return false;
    if (digits[0] == '0' && (n > 1 || negative)) return false;  // "01", "-0"
    return !(at('.') || at('e') || at('E'));                    // floats are re-printed
  }

  // Members in strictly increasing byte order of their (escape-free) keys,
  // as dump() writes them from nlohmann's std::map.
  bool object(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '{'
    if (at('}')) return ++p_, true;
    std::string_view previous;
    for (bool first = true;; first = false) {
      std::string_view key;
      if (!at('"') || !string(&key)) return false;
      if (!first && !less(previous, key)) return false;
      previous = key;
      if (!at(':')) return false;
      ++p_;
      // Most members are strings: skip the call and dispatch of value().
      if (!(at('"') ? string(nullptr) : value(depth))) return false;
      if (at('}')) return ++p_, true;
      if (!at(',')) return false;
      ++p_;
    }
  }

  bool array(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '['
    if (at(']')) return ++p_, true;
    for (;;) {
      if (!(at('"') ? string(nullptr) : value(depth))) return false;
      if (at(']')) return ++p_, true;
      if (!at(',')) return false;
      ++p_;
    }
  }

  // A string as dump() writes it. If key is non-null, the string must have no
  // escapes (so that its bytes are the key) and key receives its contents.
  bool string(std::string_view* key) {
    const char* start = ++p_;  // '"'
    for (;;) {
      p_ = skip_plain(p_, end_);
      if (p_ == end_) return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        if (key) *key = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (key || !escape()) return false;
      } else if (!utf8_sequence()) {
        return false;
      }
    }
  }

  // The first byte from p on that is not printable ASCII other than '"' and
  // '\\' (the bytes a string holds as they are), sixteen at a time with SSE2,
  // then eight at a time.
  static const char* skip_plain(const char* p, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // A signed compare: bytes >= 0x80 are negative, so they are below ' '
      // together with the control characters.
      __m128i special = _mm_or_si128(
          _mm_cmplt_epi8(v, space),
          _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) return p + std::countr_zero(mask);
      p += 16;
    }
#endif
    constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
    auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      // A flag in each byte that is < 0x20, >= 0x80, '"' or '\\'. A borrow
      // only crosses from a flagged byte, so the lowest flag is exact.
      uint64_t special = ((w - kOnes * 0x20) & ~w & kHigh) | (w & kHigh) |
                         has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'));
      if (special != 0) {
        if constexpr (std::endian::native != std::endian::little) break;
        return p + std::countr_zero(special) / 8;
      }
      p += 8;
    }
    while (p != end && is_plain(static_cast<unsigned char>(*p))) ++p;
    return p;
  }

  static bool is_plain(unsigned char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // The escapes dump() writes: \" \\ \b \f \n \r \t, and \u00xx (lower-case
  // hex) for the other control characters.
  bool escape() {
    if (end_ - p_ < 2) return false;
    char c = p_[1];
    if (std::strchr("\"\\bfnrt", c) != nullptr && c != '\0') {
      p_ += 2;
      return true;
    }
    if (c != 'u' || end_ - p_ < 6 || p_[2] != '0' || p_[3] != '0') return false;
    int code = 0;
    for (int i = 4; i < 6; ++i) {
      char h = p_[i];
      int d = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
      if (d < 0) return false;
      code = code * 16 + d;
    }
    bool short_form =
        code == '\b' || code == '\f' || code == '\n' || code == '\r' || code == '\t';
    if (code >= 0x20 || short_form) return false;
    p_ += 6;
    return true;
  }

  // One well-formed UTF-8 sequence of two to four bytes (model/utf8.h).
  bool utf8_sequence() {
    size_t n = utf8_sequence_length(p_, end_);
    p_ += n;
    return n != 0;
  }

  const char* p_;
  const char* const end_;
};

}  // namespace

bool is_canonical_json(std::string_view text) { return Scanner(text).document(); }

bool CanonicalOps::add(Operation op) {
  if (op.kind == OpKind::kDelete) {
    op.document.clear();
  } else if (!is_canonical_json(op.document)) {
    return false;
  }
  ops_.push_back(std::move(op));
  return true;
}

}  // namespace pa_journal
