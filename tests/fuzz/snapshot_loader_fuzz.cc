// libFuzzer target: the snapshot loader (collection files, compressed ones,
// and manifests) and the streamed reader of a collection file.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "snapshot/compression.h"
#include "snapshot/snapshot.h"

namespace {

// The fuzzer's bytes as a file.
class BytesFile : public pa_journal::ReadableFile {
 public:
  explicit BytesFile(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::string read_at(uint64_t offset, size_t n) const override {
    return std::string(bytes_.substr(offset, n));
  }

 private:
  std::string_view bytes_;
};

// The streamed reader (history's) over text as a plain and, when it is a
// frame, a compressed collection file whose manifest records the text's
// size and XXH3 as the loader sees them: each line it hands out is a key and
// a document line of the text, and it never throws anything but damage.
void stream(std::string_view stored, std::string_view text, bool compressed) {
  pa_journal::SnapshotFile f;
  f.file = compressed ? "fuzz.json.zst" : "fuzz.json";
  f.stored_bytes = stored.size();
  f.bytes = text.size();
  f.xxh3 = pa_journal::checksum(text);
  uint64_t delivered = 0;
  auto on_line = [&](std::string_view key, std::string_view doc) {
    delivered += key.size() + doc.size();
    if (delivered > text.size()) __builtin_trap();
  };
  try {
    pa_journal::stream_snapshot_lines(BytesFile(stored), f, on_line);
  } catch (const pa_journal::CorruptedDataError&) {
  }
}

}  // namespace

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
  stream(text, text, false);
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
      stream(text.substr(2), out, true);
    } catch (const pa_journal::CorruptedDataError&) {
    }
  }
  return 0;
}
