// Helpers shared by the test files: throwaway directories and file bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pa_journal::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& data);
// Path of the only segment, or of the segment with the given index in order.
std::string segment_path(const std::string& store_dir, size_t index = 0);
size_t segment_count(const std::string& store_dir);

// Where one frame lies in a segment.
struct FrameSpan {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// The frames of a segment's bytes, walked by their length fields without
// checks: only for segments the store wrote.
std::vector<FrameSpan> frames_of(const std::string& segment);

}  // namespace pa_journal::testing
