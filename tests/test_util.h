// Helpers shared by the test files: throwaway directories and file bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
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

// A tree of files: path relative to a directory -> bytes.
using Files = std::map<std::string, std::string>;
// Writes each file under dir, creating dir and the parents it needs.
void write_files(const std::string& dir, const Files& files);
// Every regular file under dir, recursively.
Files files_under(const std::string& dir);

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& data);
// Path of the only segment, or of the segment with the given index in order.
std::string segment_path(const std::string& store_dir, size_t index = 0);
size_t segment_count(const std::string& store_dir);
// Whether path is journal/DURABLE or journal/READERS, the files of the reader
// protocol (docs/readers.md): not journal data, and rewritten by every open.
bool is_reader_protocol_file(const std::string& path);

// Where one frame lies in a segment.
struct FrameSpan {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// The frames of a segment's bytes, walked by their length fields without
// checks: only for segments the store wrote.
std::vector<FrameSpan> frames_of(const std::string& segment);

// Polls pred every few milliseconds until it holds or limit passes; returns
// whether it held. The limit is generous: it only makes a broken build fail
// instead of hang, and is no measure of speed.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// Runs fn on another thread and returns (or rethrows) what it did. If fn has
// not returned within limit, the test program exits at once, saying `what`
// hung: a hung thread cannot be stopped, and waiting for CTest's timeout
// would only say less, later.
void returns_within(std::chrono::seconds limit, const std::string& what,
                    const std::function<void()>& fn);

}  // namespace pa_journal::testing
