// Appends go to the end this file tracks, with pwrite(2), or, inside a
// reservation, by copying into a shared memory map of the file.
//
// Why a map: a commit under Durability::kNone must be in the kernel's page
// cache when it returns, so that it survives the process being killed, and a
// write(2) per commit costs more than all the rest of a small commit. A store
// into a MAP_SHARED page is in the page cache at once, and fdatasync writes
// such pages back like any other dirty page (Linux tracks them). But the
// first store into a page after each write-back faults, and on ext4 that
// fault dirties the inode, so a sync after every append costs a journal
// commit each time: files synced that often (kAlways) use pwrite instead.
//
// Invariants: size_ is the file's size as this object made it; map_ (if not
// null) maps exactly [0, size_); end_ <= size_, and [end_, size_) holds the
// reservation's fill. The reservation is written with real bytes (no hole, no
// fallocate): the map therefore never reaches past the end of the file (no
// SIGBUS), and no later store into it makes the file system allocate blocks or
// change the file's size, which is what keeps a later fdatasync data-only.
#include "journal/posix_writable_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

[[noreturn]] void fail(const std::string& call, const std::string& path, int err) {
  throw IoError(call + " " + path + ": " + std::strerror(err));
}

// Copies data to dst eight bytes at a time, in ascending order, each store
// kept after the one before it. A process killed in the middle then leaves a
// prefix of data followed by the fill, which the reader sees as a torn tail.
// memcpy may store a block's end before its middle, which would leave a frame
// whose length is whole and whose middle is fill: damage, not a torn tail.
void store_in_order(char* dst, std::string_view data) {
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::memcpy(dst + i, data.data() + i, 8);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  for (; i < data.size(); ++i) dst[i] = data[i];
}

class PosixWritableFile : public WritableFile {
 public:
  static constexpr size_t kFillChunk = 64 << 10;

  PosixWritableFile(std::string path, int fd, uint64_t end)
      : path_(std::move(path)), fd_(fd), end_(end), size_(end) {}
  ~PosixWritableFile() override {
    unmap();
    if (fd_ >= 0) ::close(fd_);
  }

  void append(std::string_view data) override {
    if (map_ != nullptr && data.size() <= size_ - end_) {
      store_in_order(map_ + end_, data);
    } else {
      write_at(end_, data);
    }
    end_ += data.size();
    size_ = std::max(size_, end_);
  }

  void sync() override {
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_, errno);
  }

  void close() override {
    unmap();
    if (fd_ >= 0 && size_ > end_ && ::ftruncate(fd_, static_cast<off_t>(end_)) != 0)
      fail("ftruncate", path_, errno);
    size_ = end_;
    int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) fail("close", path_, errno);
  }

  void reserve(uint64_t bytes, char fill, bool rarely_synced) override {
    uint64_t target = end_ + bytes;
    if (target <= size_) return;
    uint64_t from = size_;
    std::string chunk(std::min<uint64_t>(kFillChunk, target - size_), fill);
    while (size_ < target) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), target - size_));
      write_at(size_, {chunk.data(), n});
      size_ += n;
    }
    if (rarely_synced) map_whole_file();
    if (map_ != nullptr) prefault(from);
  }

 private:
  void write_at(uint64_t offset, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("pwrite", path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
  }

  // Best effort: without a map, appends use pwrite, which is only slower.
  void map_whole_file() {
    void* map = map_ == nullptr
                    ? ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                    : ::mremap(map_, map_bytes_, size_, MREMAP_MAYMOVE);
    if (map == MAP_FAILED) {
      unmap();
      return;
    }
    map_ = static_cast<char*>(map);
    map_bytes_ = size_;
  }

  // Best effort: maps the pages of [from, size_) writable now, in one call,
  // instead of one fault per page on the first store into each.
  void prefault(uint64_t from) {
    uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t start = from / page * page;
    ::madvise(map_ + start, size_ - start, MADV_POPULATE_WRITE);
  }

  void unmap() {
    if (map_ != nullptr) ::munmap(map_, map_bytes_);
    map_ = nullptr;
    map_bytes_ = 0;
  }

  std::string path_;
  int fd_;
  uint64_t end_;   // one past the last appended byte
  uint64_t size_;  // of the file, reservation included
  char* map_ = nullptr;
  size_t map_bytes_ = 0;
};

}  // namespace

std::unique_ptr<WritableFile> posix_writable_file(std::string path, int fd,
                                                  uint64_t end) {
  return std::make_unique<PosixWritableFile>(std::move(path), fd, end);
}

void WritableFile::reserve(uint64_t, char, bool) {}

}  // namespace pa_journal
