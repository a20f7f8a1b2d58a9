// libFuzzer target: one NDJSON line of `pa-journal apply`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pa_journal/errors.h"
#include "tools/apply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)pa_journal::cli::parse_apply_line(
        std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const pa_journal::InvalidInputError&) {
  }
  return 0;
}
