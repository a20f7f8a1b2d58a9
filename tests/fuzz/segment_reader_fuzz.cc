// libFuzzer target: the segment reader. The first input byte chooses whether
// the segment is the newest; the rest is the segment. Every frame handed out
// must pass its checksum and lie inside the input, and damage reports must
// cover bytes inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/errors.h"

namespace {

class Bounds : public pa_journal::Reporter {
 public:
  explicit Bounds(size_t size) : size_(size) {}
  void report(const pa_journal::Damage& d) override {
    if (d.offset + d.bytes > size_) std::abort();
  }

 private:
  size_t size_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool newest = data[0] & 1;
  std::string segment(reinterpret_cast<const char*>(data) + 1, size - 1);
  Bounds bounds(segment.size());
  pa_journal::SegmentReader reader("fuzz.log", segment, newest, &bounds);
  try {
    reader.read_header();
  } catch (const pa_journal::StorageError&) {
    return 0;  // an unsupported version is refused, not damage
  }
  pa_journal::Frame frame;
  while (reader.next(&frame)) {
    if (frame.end > segment.size()) std::abort();
    std::string_view covered(segment.data() + frame.offset + 8,
                             frame.end - frame.offset - 8);
    if (pa_journal::get_u64(segment.data() + frame.offset) !=
        pa_journal::checksum(covered)) {
      std::abort();
    }
  }
  return 0;
}
