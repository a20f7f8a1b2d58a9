// libFuzzer target: the snapshot loader (collection files, compressed ones,
// and manifests).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "pa_journal/errors.h"
#include "snapshot/compression.h"
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
  // As a compressed collection file, its size in the manifest taken from the
  // first two bytes: damage, or exactly that many bytes of text.
  if (size >= 2) {
    uint64_t bytes = data[0] | uint64_t{data[1]} << 8;
    try {
      std::string out =
          pa_journal::zstd_decompress(text.substr(2), bytes, "fuzz.json.zst");
      if (out.size() != bytes) __builtin_trap();
    } catch (const pa_journal::CorruptedDataError&) {
    }
  }
  return 0;
}
