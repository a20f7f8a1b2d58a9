// libFuzzer target: the record payload decoder. Any bytes must either decode
// or be refused with CorruptedDataError; nothing else may escape or crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    pa_journal::Record record = pa_journal::decode_payload(bytes);
    // A record that decodes must encode again without trouble.
    (void)pa_journal::encode_payload(record);
  } catch (const pa_journal::CorruptedDataError&) {
  }
  return 0;
}
