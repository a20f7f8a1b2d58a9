#include "tests/test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/file_system.h"

namespace pa_journal::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/pa-journal-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_bytes(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string segment_path(const std::string& store_dir, size_t index) {
  auto segments = list_segments(*posix_file_system(), store_dir + "/journal");
  if (index >= segments.size()) {
    ADD_FAILURE() << "no segment " << index << " in " << store_dir;
    return {};
  }
  return store_dir + "/journal/" + segments[index].name;
}

bool is_reader_protocol_file(const std::string& path) {
  std::filesystem::path p(path);
  std::string name = p.filename().string();
  return p.parent_path().filename() == kJournalDirName &&
         (name == kDurableEndName || name == kReadersLockName);
}

size_t segment_count(const std::string& store_dir) {
  return list_segments(*posix_file_system(), store_dir + "/journal").size();
}

std::vector<FrameSpan> frames_of(const std::string& segment) {
  std::vector<FrameSpan> frames;
  uint64_t offset = format::kSegmentHeaderSize;
  while (offset + format::kFrameHeaderSize <= segment.size()) {
    uint32_t length = get_u32(segment.data() + offset + format::kFrameLengthOffset);
    frames.push_back({offset, format::kFrameHeaderSize + length});
    offset += format::kFrameHeaderSize + length;
  }
  return frames;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

void returns_within(std::chrono::seconds limit, const std::string& what,
                    const std::function<void()>& fn) {
  std::future<void> done = std::async(std::launch::async, fn);
  if (done.wait_for(limit) == std::future_status::timeout) {
    std::fprintf(stderr, "%s: did not return within %lld s; exiting\n", what.c_str(),
                 static_cast<long long>(limit.count()));
    std::fflush(nullptr);  // what the test printed so far, too
    std::_Exit(1);
  }
  done.get();
}

void write_files(const std::string& dir, const Files& files) {
  std::filesystem::create_directories(dir);
  for (const auto& [path, bytes] : files) {
    std::filesystem::create_directories(
        std::filesystem::path(dir + "/" + path).parent_path());
    write_bytes(dir + "/" + path, bytes);
  }
}

Files files_under(const std::string& dir) {
  Files out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      out[std::filesystem::relative(entry.path(), dir).string()] =
          read_bytes(entry.path().string());
    }
  }
  return out;
}

}  // namespace pa_journal::testing
