// libFuzzer target: the time parser. A time it accepts must format and parse
// back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  const int64_t now = 1795600800000000000;
  try {
    int64_t t = pa_journal::parse_time(text, now);
    if (pa_journal::parse_time(pa_journal::format_time_ns(t), now) != t) std::abort();
  } catch (const pa_journal::InvalidInputError&) {
  }
  return 0;
}
