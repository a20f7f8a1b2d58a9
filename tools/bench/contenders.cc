#include "tools/bench/contenders.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "journal/layout.h"

namespace pa_journal::bench {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write", path);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

// ---------------------------------------------------------------- pa-journal

StorePeer::StorePeer(const std::string& dir, Durability durability, bool auto_compact)
    : durability_(durability) {
  Options options;
  options.durability = durability;
  options.auto_compact = auto_compact;
  store_ = Store::open(dir, options);
}

StorePeer::StorePeer(const std::string& dir, const Options& options)
    : durability_(options.durability), store_(Store::open(dir, options)) {}

Contender StorePeer::contender(const Workload& workload) {
  Contender c;
  c.id = "pa-journal-" + std::string(to_string(durability_));
  c.label = "pa-journal " + std::string(to_string(durability_));
  Store* store = store_.get();
  c.commit = [store, &workload](int, uint64_t i) {
    store->put("contacts", workload.key(workload.doc_for(i)), workload.document(i));
  };
  return c;
}

void StorePeer::populate(const Workload& workload) { populate_store(*store_, workload); }

void populate_store(Store& store, const Workload& workload, size_t per_commit) {
  std::vector<Operation> ops;
  for (uint64_t d = 0; d < workload.docs(); ++d) {
    ops.push_back({OpKind::kPut, "contacts", workload.key(d), workload.document(d)});
    if (ops.size() == per_commit || d + 1 == workload.docs()) {
      store.commit(std::move(ops));
      ops.clear();
    }
  }
}

// ---------------------------------------------------------------- the seed

namespace {

class SeedPeer : public Peer {
 public:
  explicit SeedPeer(std::string dir) : dir_(std::move(dir)) {
    fs::create_directories(backups_dir(dir_));
    list_ = nlohmann::json::array();
  }

  void populate(const Workload& workload) override {
    for (uint64_t d = 0; d < workload.docs(); ++d) {
      list_.push_back(nlohmann::json::parse(workload.document(d)));
      list_.back()["id"] = workload.key(d);
    }
    save();
  }

  Contender contender(const Workload& workload) override {
    Contender c;
    c.id = "seed";
    c.label = "seed: whole-file rewrite";
    c.commit = [this, &workload](int, uint64_t i) {
      uint64_t d = workload.doc_for(i);
      nlohmann::json item = nlohmann::json::parse(workload.document(i));
      item["id"] = workload.key(d);
      list_[d] = std::move(item);
      save();
    };
    return c;
  }

 private:
  // FileStorage.save of the seed: backup, temporary file, fsync, rename.
  void save() {
    std::string path = state_file_name(dir_, "contacts");
    if (fs::exists(path)) create_backup(path);
    std::string data = list_.dump(2);
    std::string temp = join_path(dir_, ".contacts.json.XXXXXX.tmp");
    int fd = ::mkstemps(temp.data(), 4);
    if (fd < 0) fail("mkstemps", temp);
    write_all(fd, data.data(), data.size(), temp);
    if (::fsync(fd) != 0) fail("fsync", temp);
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename", temp);
  }

  // create_backup of the seed: a timestamped copy (shutil.copy2: no fsync),
  // then delete_old_backups(keep_count=10).
  void create_backup(const std::string& path) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
    std::string backups = backups_dir(dir_);
    fs::copy_file(path, join_path(backups, snapshot_file_name("contacts", stamp)),
                  fs::copy_options::overwrite_existing);
    std::vector<fs::path> kept;
    for (const auto& entry : fs::directory_iterator(backups))
      kept.push_back(entry.path());
    std::sort(kept.begin(), kept.end());
    for (size_t n = 0; kept.size() > 10 && n < kept.size() - 10; ++n) fs::remove(kept[n]);
  }

  std::string dir_;
  nlohmann::json list_;
};

// ---------------------------------------------------------------- the disk

class DiskPeer : public Peer {
 public:
  DiskPeer(std::string path, bool durable) : path_(std::move(path)), durable_(durable) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) fail("open", path_);
  }
  ~DiskPeer() override { ::close(fd_); }

  void populate(const Workload&) override {}

  Contender contender(const Workload& workload) override {
    Contender c;
    c.id = durable_ ? "write-fdatasync" : "write-buffered";
    c.label = durable_ ? "disk: write+fdatasync" : "disk: buffered write";
    c.commit = [this, &workload](int, uint64_t i) {
      const std::string& key = workload.key(workload.doc_for(i));
      const std::string& doc = workload.document(i);
      line_.assign(key).append(1, '\t').append(doc).append(1, '\n');
      write_all(fd_, line_.data(), line_.size(), path_);
      if (durable_ && ::fdatasync(fd_) != 0) fail("fdatasync", path_);
    };
    return c;
  }

 private:
  std::string path_;
  bool durable_;
  int fd_ = -1;
  std::string line_;
};

// The fastest durable commit a program can make on this disk. Each commit
// writes one 4 KiB block with O_DIRECT|O_DSYNC into a file whose blocks were
// all written and synced beforehand: no new size, no new extent, no page
// cache, so the disk sees one data write and one cache flush (one FUA write
// where it has FUA). It wraps around after kFileBytes, as SQLite's WAL does.
// Where O_DIRECT is refused (tmpfs), pwrite + fdatasync on the same file.
class DiskOverwritePeer : public Peer {
 public:
  explicit DiskOverwritePeer(std::string path) : path_(std::move(path)) {
    void* block = nullptr;
    if (::posix_memalign(&block, kBlock, kBlock) != 0) throw std::bad_alloc();
    block_.reset(static_cast<char*>(block));
    std::memset(block_.get(), '\n', kBlock);
  }
  ~DiskOverwritePeer() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void populate(const Workload&) override {
    write_whole_file();
    fd_ = ::open(path_.c_str(), O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
    direct_ = fd_ >= 0 && ::pwrite(fd_, block_.get(), kBlock, 0) == kBlock;
    if (fd_ >= 0 && !direct_) ::close(fd_);
    if (!direct_) fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail("open", path_);
  }

  Contender contender(const Workload& workload) override {
    Contender c;
    c.id = "disk-overwrite";
    c.label = "disk: direct durable overwrite";
    c.commit = [this, &workload](int, uint64_t i) {
      const std::string& key = workload.key(workload.doc_for(i));
      const std::string& doc = workload.document(i);
      size_t n = std::min(key.size(), kBlock / 2);
      std::memcpy(block_.get(), key.data(), n);
      std::memcpy(block_.get() + n, doc.data(), std::min(doc.size(), kBlock / 2));
      auto at = static_cast<off_t>(next_++ % (kFileBytes / kBlock) * kBlock);
      if (::pwrite(fd_, block_.get(), kBlock, at) != kBlock) fail("pwrite", path_);
      if (!direct_ && ::fdatasync(fd_) != 0) fail("fdatasync", path_);
    };
    return c;
  }

 private:
  static constexpr size_t kBlock = 4096;
  static constexpr size_t kFileBytes = 16 << 20;
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  void write_whole_file() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("open", path_);
    std::string fill(1 << 20, '\n');
    for (size_t at = 0; at < kFileBytes; at += fill.size()) {
      write_all(fd, fill.data(), fill.size(), path_);
    }
    if (::fsync(fd) != 0) fail("fsync", path_);
    ::close(fd);
  }

  std::string path_;
  std::unique_ptr<char, Free> block_;
  int fd_ = -1;
  bool direct_ = false;
  uint64_t next_ = 0;
};

}  // namespace

std::unique_ptr<Peer> make_seed_peer(const std::string& dir) {
  return std::make_unique<SeedPeer>(dir);
}

std::unique_ptr<Peer> make_disk_peer(const std::string& path, bool durable) {
  return std::make_unique<DiskPeer>(path, durable);
}

std::unique_ptr<Peer> make_disk_overwrite_peer(const std::string& path) {
  return std::make_unique<DiskOverwritePeer>(path);
}

}  // namespace pa_journal::bench
