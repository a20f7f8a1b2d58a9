// libFuzzer target: one NDJSON line of `pa-journal apply`. Checks the
// invariant of tools/apply_parser.h on every input: what the fast parser
// accepts, the reference parser accepts too, with the same operations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pa_journal/errors.h"
#include "tools/apply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static pa_journal::cli::ApplyParser parser;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto fast = parser.parse_fast(line);
  try {
    auto reference = pa_journal::cli::parse_apply_line_reference(line);
    if (fast && *fast != reference) std::abort();  // different operations
  } catch (const pa_journal::InvalidInputError&) {
    if (fast) std::abort();  // the fast parser accepted a refused line
  }
  return 0;
}
