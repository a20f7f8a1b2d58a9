// libFuzzer target: the key index reader (snapshot/key_index.h). Any bytes
// either parse into an index whose blocks tile a collection file, or throw
// CorruptedDataError; an index that parses serializes back to the same bytes,
// and its blocks' lines parse or are refused the same way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pa_journal/errors.h"
#include "snapshot/key_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    pa_journal::KeyIndex index = pa_journal::parse_index(bytes, "fuzz.index");
    if (pa_journal::serialize_index(index) != bytes) __builtin_trap();
    uint64_t documents = 0;
    for (const auto& block : index.blocks) documents += block.documents;
    if (documents != index.documents) __builtin_trap();
  } catch (const pa_journal::CorruptedDataError&) {
  }
  try {
    (void)pa_journal::parse_block(bytes, "fuzz.json");
  } catch (const pa_journal::CorruptedDataError&) {
  }
  return 0;
}
