// libFuzzer target: the snapshot loader (collection files and manifests).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pa_journal/errors.h"
#include "snapshot/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    pa_journal::Collection c = pa_journal::parse_collection(text, "fuzz.json");
    // Whichever reader took it, every document is valid JSON.
    for (const auto& [key, doc] : c) {
      if (!nlohmann::json::accept(doc)) __builtin_trap();
    }
    (void)pa_journal::serialize_collection(c);
  } catch (const pa_journal::CorruptedDataError&) {
  }
  try {
    (void)pa_journal::parse_manifest(text, "fuzz.manifest.json");
  } catch (const pa_journal::CorruptedDataError&) {
  }
  return 0;
}
