#include "tools/bench/contenders.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

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
    fs::create_directories(dir_ + "/backups");
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
    std::string path = dir_ + "/contacts.json";
    if (fs::exists(path)) create_backup(path);
    std::string data = list_.dump(2);
    std::string temp = dir_ + "/.contacts.json.XXXXXX.tmp";
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
    std::string backups = dir_ + "/backups";
    fs::copy_file(path, backups + "/contacts_" + stamp + ".json",
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

}  // namespace

std::unique_ptr<Peer> make_seed_peer(const std::string& dir) {
  return std::make_unique<SeedPeer>(dir);
}

std::unique_ptr<Peer> make_disk_peer(const std::string& path, bool durable) {
  return std::make_unique<DiskPeer>(path, durable);
}

}  // namespace pa_journal::bench
