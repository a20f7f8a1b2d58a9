#include "tests/power_loss_file_system.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "pa_journal/errors.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

namespace stdfs = std::filesystem;

// A file opened through the model: every call goes back to it. end_ is where
// the next append goes; bytes past it are a reservation's fill.
class ModelledFile : public WritableFile {
 public:
  ModelledFile(std::shared_ptr<PowerLossFileSystem> fs, uint64_t inode,
               std::unique_ptr<WritableFile> real, uint64_t end)
      : fs_(std::move(fs)), inode_(inode), real_(std::move(real)), end_(end) {}
  void append(std::string_view data) override {
    fs_->file_write(inode_, end_, data, real_.get());
    end_ += data.size();
  }
  void sync() override { fs_->file_sync(inode_, real_.get()); }
  void close() override { fs_->file_close(inode_, end_, real_.get()); }
  void reserve(uint64_t bytes, char fill, bool rarely_synced) override {
    fs_->file_reserve(inode_, end_ + bytes, fill,
                      [&] { real_->reserve(bytes, fill, rarely_synced); });
  }

 private:
  std::shared_ptr<PowerLossFileSystem> fs_;
  uint64_t inode_;
  std::unique_ptr<WritableFile> real_;
  uint64_t end_;
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem(std::string root,
                                         std::shared_ptr<FileSystem> base)
    : base_(std::move(base)), root_(std::move(root)) {
  stdfs::create_directories(root_);
  scan(root_);
}

void PowerLossFileSystem::scan(const std::string& dir) {
  Directory& d = dirs_[dir];
  for (const auto& entry : stdfs::directory_iterator(dir)) {
    std::string name = entry.path().filename();
    if (entry.is_directory()) {
      d.live[name] = kDirectory;
      scan(entry.path());
    } else {
      uint64_t id = next_inode_++;
      std::string bytes = read_bytes(entry.path());
      inodes_[id] = {bytes, bytes};
      d.live[name] = id;
    }
  }
  d.durable = d.live;
}

void PowerLossFileSystem::cut_power_after(uint64_t nth) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_at_ = calls_ + nth;
}

bool PowerLossFileSystem::power_is_off() const {
  std::lock_guard<std::mutex> lock(mu_);
  return off_;
}

uint64_t PowerLossFileSystem::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void PowerLossFileSystem::count_call(const std::string& path) {
  if (!off_ && cut_at_ != 0 && calls_ + 1 >= cut_at_) off_ = true;
  if (off_) throw IoError("power lost (simulated): " + std::string(path));
  ++calls_;
}

bool PowerLossFileSystem::tracked(const std::string& path) const {
  return path.compare(0, root_.size(), root_) == 0 &&
         (path.size() == root_.size() || path[root_.size()] == '/');
}

std::pair<std::string, std::string> PowerLossFileSystem::split(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return {path.substr(0, slash), path.substr(slash + 1)};
}

void PowerLossFileSystem::change(const std::string& dir, Change c) {
  Directory& d = dirs_.at(dir);
  for (const auto& [name, target] : c.names) {
    if (target == kRemoved) {
      d.live.erase(name);
    } else {
      d.live[name] = target;
    }
  }
  d.unsynced.push_back(std::move(c));
}

std::unique_ptr<WritableFile> PowerLossFileSystem::new_writable(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(path);
  auto real = base_->new_writable(path);
  uint64_t id = kDirectory;  // untracked
  if (tracked(path)) {
    auto [dir, name] = split(path);
    Directory& d = dirs_.at(dir);
    auto it = d.live.find(name);
    if (it != d.live.end()) {
      id = it->second;
      inodes_.at(id).live.clear();  // O_TRUNC: same file, new content
    } else {
      id = next_inode_++;
      inodes_[id] = {};
      change(dir, {{{name, id}}});
    }
  }
  return std::make_unique<ModelledFile>(shared_from_this(), id, std::move(real), 0);
}

std::unique_ptr<WritableFile> PowerLossFileSystem::open_appendable(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(path);
  auto real = base_->open_appendable(path);
  uint64_t id = kDirectory;
  if (tracked(path)) {
    auto [dir, name] = split(path);
    id = dirs_.at(dir).live.at(name);
  }
  uint64_t end = base_->file_size(path);
  return std::make_unique<ModelledFile>(shared_from_this(), id, std::move(real), end);
}

void PowerLossFileSystem::file_write(uint64_t inode, uint64_t offset,
                                     std::string_view data, WritableFile* real) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call("(open file)");
  real->append(data);
  if (inode == kDirectory) return;
  std::string& live = inodes_.at(inode).live;
  if (live.size() < offset + data.size()) live.resize(offset + data.size());
  live.replace(offset, data.size(), data);
}

void PowerLossFileSystem::file_reserve(uint64_t inode, uint64_t end, char fill,
                                       const std::function<void()>& reserve) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call("(open file)");
  reserve();
  if (inode == kDirectory) return;
  std::string& live = inodes_.at(inode).live;
  if (live.size() < end) live.resize(end, fill);
}

void PowerLossFileSystem::file_sync(uint64_t inode, WritableFile* real) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call("(open file)");
  if (inode == kDirectory) {
    real->sync();
  } else {
    Inode& i = inodes_.at(inode);
    i.durable = i.live;
  }
}

// Closing cuts a reservation off, unsynced: the model's durable bytes keep it.
void PowerLossFileSystem::file_close(uint64_t inode, uint64_t end, WritableFile* real) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call("(open file)");
  real->close();
  if (inode != kDirectory && inodes_.at(inode).live.size() > end) {
    inodes_.at(inode).live.resize(end);
  }
}

std::string PowerLossFileSystem::read_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off_) throw IoError("power lost (simulated): " + std::string(path));
  return base_->read_file(path);
}

bool PowerLossFileSystem::exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off_) throw IoError("power lost (simulated): " + std::string(path));
  return base_->exists(path);
}

uint64_t PowerLossFileSystem::file_size(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off_) throw IoError("power lost (simulated): " + std::string(path));
  return base_->file_size(path);
}

std::vector<std::string> PowerLossFileSystem::list_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off_) throw IoError("power lost (simulated): " + std::string(dir));
  return base_->list_dir(dir);
}

void PowerLossFileSystem::create_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(dir);
  base_->create_dir(dir);
  if (!tracked(dir) || dir == root_ || dirs_.count(dir)) return;
  auto [parent, name] = split(dir);
  dirs_[dir] = {};
  change(parent, {{{name, kDirectory}}});
}

void PowerLossFileSystem::rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(from);
  base_->rename(from, to);
  if (!tracked(from) && !tracked(to)) return;
  if (!tracked(from) || !tracked(to)) throw std::logic_error("rename across the root");
  auto [from_dir, from_name] = split(from);
  auto [to_dir, to_name] = split(to);
  uint64_t id = dirs_.at(from_dir).live.at(from_name);
  if (id == kDirectory) throw std::logic_error("renaming a directory is not modelled");
  // POSIX: when both are names of one file, rename does nothing.
  auto same = dirs_.at(to_dir).live.find(to_name);
  if (same != dirs_.at(to_dir).live.end() && same->second == id) return;
  if (from_dir == to_dir) {
    change(from_dir, {{{to_name, id}, {from_name, kRemoved}}});
  } else {
    change(to_dir, {{{to_name, id}}});
    change(from_dir, {{{from_name, kRemoved}}});
  }
}

void PowerLossFileSystem::link(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(to);
  base_->link(from, to);
  if (!tracked(from) && !tracked(to)) return;
  if (!tracked(from) || !tracked(to)) throw std::logic_error("link across the root");
  auto [from_dir, from_name] = split(from);
  auto [to_dir, to_name] = split(to);
  change(to_dir, {{{to_name, dirs_.at(from_dir).live.at(from_name)}}});
}

void PowerLossFileSystem::remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(path);
  base_->remove(path);
  if (!tracked(path)) return;
  auto [dir, name] = split(path);
  if (dirs_.at(dir).live.at(name) == kDirectory) {
    throw std::logic_error("removing a directory is not modelled");
  }
  change(dir, {{{name, kRemoved}}});
}

void PowerLossFileSystem::truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(path);
  base_->truncate(path, size);
  if (!tracked(path)) return;
  auto [dir, name] = split(path);
  Inode& i = inodes_.at(dirs_.at(dir).live.at(name));
  i.live.resize(size);
  i.durable = i.live;  // truncate syncs, by contract
}

void PowerLossFileSystem::overwrite(const std::string& path, uint64_t offset,
                                    std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(path);
  base_->overwrite(path, offset, data);
  if (!tracked(path)) return;
  auto [dir, name] = split(path);
  Inode& i = inodes_.at(dirs_.at(dir).live.at(name));
  if (i.live.size() < offset + data.size()) i.live.resize(offset + data.size());
  i.live.replace(offset, data.size(), data);
  i.durable = i.live;  // overwrite syncs, by contract
}

void PowerLossFileSystem::sync_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  count_call(dir);
  if (!tracked(dir)) return base_->sync_dir(dir);
  Directory& d = dirs_.at(dir);
  d.durable = d.live;
  d.unsynced.clear();
}

std::unique_ptr<FileLock> PowerLossFileSystem::lock(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (off_) throw IoError("power lost (simulated): " + std::string(path));
  }
  return base_->lock(path);  // LOCK is not part of the image: every open rewrites it
}

PowerLossFileSystem::Entries PowerLossFileSystem::surviving_entries(
    const Directory& d, PowerLoss kind, std::mt19937_64& rng) {
  Entries entries = d.durable;
  size_t n = kind == PowerLoss::kStrict ? 0 : rng() % (d.unsynced.size() + 1);
  for (size_t k = 0; k < n; ++k) {
    for (const auto& [name, target] : d.unsynced[k].names) {
      if (target == kRemoved) {
        entries.erase(name);
      } else {
        entries[name] = target;
      }
    }
  }
  return entries;
}

void PowerLossFileSystem::write_image(const std::string& dir, const Entries& entries,
                                      PowerLoss kind, std::mt19937_64& rng) {
  for (const auto& [name, target] : entries) {
    std::string path = dir + "/" + name;
    if (target == kDirectory) {
      stdfs::create_directory(path);
      stdfs::permissions(path, stdfs::perms::owner_all);
      auto it = dirs_.find(path);
      if (it != dirs_.end()) {
        write_image(path, surviving_entries(it->second, kind, rng), kind, rng);
      }
      continue;
    }
    const Inode& i = inodes_.at(target);
    write_bytes(path, surviving_bytes(i, kind, rng));
    stdfs::permissions(path, stdfs::perms::owner_read | stdfs::perms::owner_write);
  }
}

// kPartial: the writes since the last sync went out in offset order (appends,
// or stores into a reservation) and stopped at a random point: the live bytes
// up to it, the durable bytes after it. A cut-off reservation may come back.
std::string PowerLossFileSystem::surviving_bytes(const Inode& i, PowerLoss kind,
                                                 std::mt19937_64& rng) {
  if (kind == PowerLoss::kStrict) return i.durable;
  if (kind == PowerLoss::kScattered) return scattered_bytes(i, rng);
  size_t same = 0;
  size_t common = std::min(i.live.size(), i.durable.size());
  while (same < common && i.live[same] == i.durable[same]) ++same;
  size_t keep = same + rng() % (i.live.size() - same + 1);
  std::string bytes = i.live.substr(0, keep);
  if (i.durable.size() > keep) bytes.append(i.durable, keep);
  return bytes;
}

// kScattered: each sector of the durable size holds the live bytes or the
// durable ones, at random; past it, a prefix of what was appended.
std::string PowerLossFileSystem::scattered_bytes(const Inode& i, std::mt19937_64& rng) {
  std::string bytes = i.durable;
  size_t overlap = std::min(i.live.size(), i.durable.size());
  for (size_t at = 0; at < overlap; at += kSector) {
    size_t n = std::min(kSector, overlap - at);
    if (rng() % 2) bytes.replace(at, n, i.live, at, n);
  }
  if (i.live.size() > i.durable.size()) {
    size_t extra = i.live.size() - i.durable.size();
    bytes.append(i.live, i.durable.size(), rng() % (extra + 1));
  }
  return bytes;
}

void PowerLossFileSystem::lose_power(PowerLoss kind, std::mt19937_64& rng) {
  std::lock_guard<std::mutex> lock(mu_);
  off_ = true;
  for (const auto& entry : stdfs::directory_iterator(root_)) stdfs::remove_all(entry);
  write_image(root_, surviving_entries(dirs_.at(root_), kind, rng), kind, rng);
}

}  // namespace pa_journal::testing
