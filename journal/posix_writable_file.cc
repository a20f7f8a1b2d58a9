// Appends go to the end this file tracks, with pwrite(2), or, inside a
// reservation, by copying into a shared memory map of the file (appends) or
// with direct writes of whole blocks (durable appends).
//
// Why a map: a commit under Durability::kNone must be in the kernel's page
// cache when it returns, so that it survives the process being killed, and a
// write(2) per commit costs more than all the rest of a small commit. A store
// into a MAP_SHARED page is in the page cache at once, and fdatasync writes
// such pages back like any other dirty page (Linux tracks them). But the
// first store into a page after each write-back faults, and on ext4 that
// fault dirties the inode, so a sync after every append costs a journal
// commit each time: files synced that often (kAlways) take no map; their
// durable appends are direct writes (below).
//
// Durable appends (append_durably, used under kAlways) inside a reservation
// that is itself durable go through a second descriptor opened with
// O_DIRECT|O_DSYNC: one pwrite sends the blocks and flushes the device's
// cache, where a buffered pwrite and fdatasync make the kernel find the dirty
// page, write it back, wait for it and then flush (10 to 15% more durable
// commits/s on ext4, measured). A direct write covers whole aligned blocks,
// so the file keeps a copy of the block that holds its end, and each durable
// append writes [block of end_, end_ + n rounded up): the bytes already there,
// the new data, then the fill, which the file held there already. As with a
// page write-back, a power loss during it can tear only the new bytes; the
// old ones are rewritten with what they were. The direct path is taken only
// when nothing is unsynced (so O_DSYNC makes everything durable) and the
// blocks lie inside the reservation (so the write changes no metadata);
// elsewhere, and where the file system refuses O_DIRECT, append_durably is
// append() and sync().
//
// Invariants: size_ is the file's size as this object made it; map_ (if not
// null) maps [0, map_bytes_), and only bytes below both map_bytes_ and size_
// are ever touched through it (an append past the reservation grows the file
// with pwrite, and the next reservation grows the map); end_ <= size_, and [end_, size_)
// holds the reservation's fill, fill_. If tail_cached_, block_ starts with the file's
// bytes [end_ rounded down to kBlock, end_). The map is a window larger than the file (at
// least kMinMapBytes, doubled when outgrown), so that later reservations need no remap: a
// remap moves the page tables of the whole map, and waits for write-back, which walks
// them. The pages past the end of the file are never touched, so they cannot raise
// SIGBUS. The reservation is written with real bytes (no hole, no fallocate), so no store
// into the map makes the file system allocate blocks or change the file's size, which is
// what keeps a later fdatasync data-only.
#include "journal/posix_writable_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

[[noreturn]] void fail(const std::string& call, const std::string& path, int err) {
  throw IoError(call + " " + path + ": " + std::strerror(err));
}

// The widest store that is a single instruction (a kill cannot split one).
#if defined(__SSE2__) || defined(__ARM_NEON)
constexpr size_t kStoreBytes = 16;  // a vector register
#else
constexpr size_t kStoreBytes = 8;
#endif

// Copies data to dst kStoreBytes at a time, in ascending order, each store
// kept after the one before it. A process killed in the middle then leaves a
// prefix of data followed by the fill, which the reader sees as a torn tail.
// memcpy may store a block's end before its middle, which would leave a frame
// whose length is whole and whose middle is fill: damage, not a torn tail.
void store_in_order(char* dst, std::string_view data) {
  size_t i = 0;
  for (; i + kStoreBytes <= data.size(); i += kStoreBytes) {
    std::memcpy(dst + i, data.data() + i, kStoreBytes);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  for (; i < data.size(); ++i) dst[i] = data[i];
}

class PosixWritableFile : public WritableFile {
 public:
  // Fill is written a megabyte per call: fewer, larger page-cache folios.
  static constexpr size_t kFillChunk = 1 << 20;
  // Direct writes are aligned to this, a multiple of the logical block size
  // of the devices we expect (512 or 4096 bytes); a file system that wants
  // more refuses the first write with EINVAL, and the file falls back.
  static constexpr uint64_t kBlock = 4096;
  static constexpr size_t kMinMapBytes = 64 << 20;  // the default segment size

  PosixWritableFile(std::string path, int fd, uint64_t end)
      : path_(std::move(path)), fd_(fd), end_(end), size_(end) {}
  ~PosixWritableFile() override {
    unmap();
    close_direct();
    std::free(block_);
    if (fd_ >= 0) ::close(fd_);
  }

  void append(std::string_view data) override {
    if (map_ != nullptr && end_ + data.size() <= std::min<uint64_t>(size_, map_bytes_)) {
      store_in_order(map_ + end_, data);
    } else {
      write_at(end_, data);
    }
    end_ += data.size();
    size_ = std::max(size_, end_);
    unsynced_ = true;
    tail_cached_ = false;
  }

  void sync() override {
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_, errno);
    unsynced_ = false;
  }

  void append_durably(std::string_view data) override {
    if (direct_fits(data.size()) && write_direct(data)) {
      end_ += data.size();
      return;
    }
    append(data);
    sync();
  }

  void close() override {
    unmap();
    close_direct();
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
    // Kept between calls: a fresh megabyte would be a fresh map to fault in.
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(kFillChunk, target - size_));
    if (fill_chunk_.size() < chunk || fill_chunk_[0] != fill)
      fill_chunk_.assign(chunk, fill);
    while (size_ < target) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, target - size_));
      write_at(size_, {fill_chunk_.data(), n});
      size_ += n;
    }
    fill_ = fill;
    unsynced_ = true;
    if (rarely_synced) {
      start_write_back();
      map_whole_file();
    }
    if (map_ != nullptr) prefault(from);
  }

 private:
  static uint64_t round_up(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

  void write_at(uint64_t offset, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("pwrite", path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
  }

  void read_at(uint64_t offset, char* out, size_t bytes) {
    while (bytes > 0) {
      ssize_t n = ::pread(fd_, out, bytes, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("pread", path_, errno);
      if (n == 0) throw IoError("pread " + path_ + ": the file ended early");
      out += n;
      bytes -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
  }

  // Whether a durable append of n bytes may take the direct path (see the
  // file comment): everything before it durable, its blocks inside the
  // reservation, no map, and O_DIRECT not refused already.
  bool direct_fits(size_t n) const {
    return n > 0 && !unsynced_ && map_ == nullptr && direct_fd_ != kDirectRefused &&
           round_up(end_ + n) <= size_;
  }

  // Writes data at end_ with one direct write of whole blocks. Returns false,
  // having changed nothing, if the file system refuses O_DIRECT.
  bool write_direct(std::string_view data) {
    if (!open_direct()) return false;
    uint64_t start = end_ / kBlock * kBlock;
    size_t head = static_cast<size_t>(end_ - start);
    size_t bytes = static_cast<size_t>(round_up(end_ + data.size()) - start);
    reserve_block(bytes, head);
    if (!tail_cached_) read_at(start, block_, head);
    std::memcpy(block_ + head, data.data(), data.size());
    std::memset(block_ + head + data.size(), fill_, bytes - head - data.size());
    if (!write_blocks(start, bytes)) return false;
    uint64_t new_end = end_ + data.size();
    uint64_t last = new_end / kBlock * kBlock;
    std::memmove(block_, block_ + (last - start), static_cast<size_t>(new_end - last));
    tail_cached_ = true;
    return true;
  }

  // Makes block_ (kBlock-aligned in memory) hold at least bytes, keeping its
  // first `keep` bytes.
  void reserve_block(size_t bytes, size_t keep) {
    if (bytes <= block_bytes_) return;
    size_t want = std::max<size_t>(bytes, 2 * block_bytes_);
    void* grown = nullptr;
    if (::posix_memalign(&grown, kBlock, want) != 0) throw std::bad_alloc();
    if (block_ != nullptr) std::memcpy(grown, block_, keep);
    std::free(block_);
    block_ = static_cast<char*>(grown);
    block_bytes_ = want;
  }

  // Returns false if the first direct write is refused with EINVAL: the file
  // system does not take O_DIRECT at this alignment after all.
  bool write_blocks(uint64_t offset, size_t bytes) {
    size_t done = 0;
    while (done < bytes) {
      ssize_t n = ::pwrite(direct_fd_, block_ + done, bytes - done,
                           static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && !direct_proven_) {
        close_direct();
        direct_fd_ = kDirectRefused;
        return false;
      }
      if (n < 0) fail("pwrite (O_DIRECT)", path_, errno);
      if (n == 0 || static_cast<uint64_t>(n) % kBlock != 0) {
        throw IoError("pwrite (O_DIRECT) " + path_ + ": short write");
      }
      done += static_cast<size_t>(n);
    }
    direct_proven_ = true;
    return true;
  }

  // A second descriptor of the same file (not the same path, which might
  // have been replaced) through /proc; false if that or O_DIRECT is refused.
  bool open_direct() {
    if (direct_fd_ >= 0) return true;
    if (direct_fd_ == kDirectRefused) return false;
    std::string self = "/proc/self/fd/" + std::to_string(fd_);
    direct_fd_ = ::open(self.c_str(), O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
    if (direct_fd_ < 0) direct_fd_ = kDirectRefused;
    return direct_fd_ >= 0;
  }

  void close_direct() {
    if (direct_fd_ < 0) return;  // none open, or refused for good
    ::close(direct_fd_);
    direct_fd_ = kDirectUntried;
  }

  // Best effort: starts writing back the whole pages appended since the last
  // call, without waiting. A file that is rarely synced would otherwise keep
  // a segment's worth of dirty pages for the sync that ends it (or that a
  // compaction asks for) to write and wait for: tens of milliseconds in which
  // no commit goes on. Pages behind end_ are not stored into again, so their
  // write-back makes no later store fault.
  void start_write_back() {
    uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t upto = end_ / page * page;
    if (upto <= written_back_) return;
    ::sync_file_range(fd_, static_cast<off_t>(written_back_),
                      static_cast<off_t>(upto - written_back_), SYNC_FILE_RANGE_WRITE);
    written_back_ = upto;
  }

  // Best effort: without a map, appends use pwrite, which is only slower.
  void map_whole_file() {
    if (map_ != nullptr && size_ <= map_bytes_) return;
    size_t want = std::max<size_t>({size_, 2 * map_bytes_, kMinMapBytes});
    void* map = map_ == nullptr
                    ? ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                    : ::mremap(map_, map_bytes_, want, MREMAP_MAYMOVE);
    if (map == MAP_FAILED) {
      unmap();
      return;
    }
    map_ = static_cast<char*>(map);
    map_bytes_ = want;
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

  static constexpr int kDirectUntried = -1;
  static constexpr int kDirectRefused = -2;

  std::string path_;
  int fd_;
  uint64_t end_;   // one past the last appended byte
  uint64_t size_;  // of the file, reservation included
  char fill_ = 0;
  std::string fill_chunk_;  // fill bytes to write the reservation from
  bool unsynced_ = true;    // something may have been written since the last sync
  char* map_ = nullptr;
  size_t map_bytes_ = 0;
  uint64_t written_back_ = 0;  // write-back started below this offset
  int direct_fd_ = kDirectUntried;
  bool direct_proven_ = false;  // a direct write has succeeded
  char* block_ = nullptr;       // see the invariants
  size_t block_bytes_ = 0;
  bool tail_cached_ = false;
};

}  // namespace

std::unique_ptr<WritableFile> posix_writable_file(std::string path, int fd,
                                                  uint64_t end) {
  return std::make_unique<PosixWritableFile>(std::move(path), fd, end);
}

void WritableFile::reserve(uint64_t, char, bool) {}

void WritableFile::append_durably(std::string_view data) {
  append(data);
  sync();
}

}  // namespace pa_journal
