// A FileSystem for tests that simulates power loss. It forwards every call to
// the real file system (so the store runs on real files) and keeps, beside
// it, a model of what a power failure would leave of everything under `root`:
//
//   - per file (inode), its durable bytes: its content as of its last sync
//     (WritableFile::sync, or truncate/overwrite, which sync by contract);
//   - per directory, its durable entries: the names (files and
//     subdirectories) it held at its last sync_dir, and the log of entry
//     changes since (create, rename, link, remove, mkdir), in order. After
//     the power loss, two names of one inode (a hard link) come back as two
//     files with the durable bytes.
//
// cut_power_after(n) makes the nth counted call from then on, and every call
// after it, throw IoError without effect: the machine is off. lose_power()
// then rewrites `root` on disk to what the model says survived:
//
//   - kStrict: only what was synced. Every unsynced byte is dropped; every
//     entry created, renamed or removed since its directory's last sync is
//     undone (a file created and synced but whose directory was not synced
//     vanishes; a removed file comes back).
//   - kPartial: what a real file system might also have written out on its
//     own: per file, a random part of the bytes written since its last sync
//     (appended, or stored into a reservation), in offset order;
//     per directory, a random prefix of its entry changes since its last sync
//     (ext4's ordered metadata journal commits them in order).
//   - kScattered: as kPartial, except that the bytes written since the last
//     sync over the file's durable size (into a synced reservation) come
//     back sector by sector (kSector bytes), each written or not at random,
//     in no order: a disk with a volatile cache may keep any of the sectors
//     of writes it has not flushed. Bytes past the durable size are a prefix.
//
// Paths outside root are forwarded untouched and count as always durable.
// Calls are serialised (one mutex), and sync/sync_dir do not reach the disk:
// their durability is the model's. Files and directories already under root
// when the object is made count as durable.
//
// Thread-safety: any number of threads, like the FileSystem contract.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pa_journal/file_system.h"

namespace pa_journal::testing {

enum class PowerLoss { kStrict, kPartial, kScattered };

class PowerLossFileSystem : public FileSystem,
                            public std::enable_shared_from_this<PowerLossFileSystem> {
 public:
  static constexpr size_t kSector = 512;

  explicit PowerLossFileSystem(std::string root,
                               std::shared_ptr<FileSystem> base = posix_file_system());

  // The nth counted call from now on (1 = the next) and all later calls fail.
  // Counted: every call that opens, writes, syncs, renames, removes or creates.
  void cut_power_after(uint64_t nth);
  bool power_is_off() const;
  // Counted calls so far.
  uint64_t calls() const;
  // Turns the power off (if it is not already) and rewrites root on disk to
  // what survives a power failure now. The file system stays off; make a new
  // one to go on.
  void lose_power(PowerLoss kind, std::mt19937_64& rng);

  std::unique_ptr<WritableFile> new_writable(const std::string& path) override;
  std::unique_ptr<WritableFile> open_appendable(const std::string& path) override;
  std::string read_file(const std::string& path) override;
  bool exists(const std::string& path) override;
  uint64_t file_size(const std::string& path) override;
  std::vector<std::string> list_dir(const std::string& dir) override;
  void create_dir(const std::string& dir) override;
  void rename(const std::string& from, const std::string& to) override;
  void link(const std::string& from, const std::string& to) override;
  void remove(const std::string& path) override;
  void truncate(const std::string& path, uint64_t size) override;
  void overwrite(const std::string& path, uint64_t offset,
                 std::string_view data) override;
  void sync_dir(const std::string& dir) override;
  std::unique_ptr<FileLock> lock(const std::string& path) override;

  // For the files this opened. A file's appends go to its end, which may lie
  // inside a reservation (WritableFile::reserve) and then overwrite its fill.
  void file_write(uint64_t inode, uint64_t offset, std::string_view data,
                  WritableFile* real);
  void file_reserve(uint64_t inode, uint64_t end, char fill,
                    const std::function<void()>& reserve);
  void file_sync(uint64_t inode, WritableFile* real);
  void file_close(uint64_t inode, uint64_t end, WritableFile* real);

 private:
  struct Inode {
    std::string live;     // what the file holds now
    std::string durable;  // what it held at its last sync
  };
  // A directory entry: a file (inode) or a subdirectory (kDirectory).
  static constexpr uint64_t kDirectory = ~uint64_t{0};
  using Entries = std::map<std::string, uint64_t>;  // name -> inode or kDirectory
  // One change to a directory's entries: name now refers to target
  // (kRemoved: no longer exists). A rename inside one directory is one change
  // of two names, applied together.
  static constexpr uint64_t kRemoved = kDirectory - 1;
  struct Change {
    std::vector<std::pair<std::string, uint64_t>> names;
  };
  struct Directory {
    Entries live, durable;
    std::vector<Change> unsynced;
  };

  // Throws IoError if the power is off, or goes off with this call.
  void count_call(const std::string& path);
  bool tracked(const std::string& path) const;
  static std::pair<std::string, std::string> split(const std::string& path);
  void change(const std::string& dir, Change c);
  void scan(const std::string& dir);
  void write_image(const std::string& dir, const Entries& entries, PowerLoss kind,
                   std::mt19937_64& rng);
  static std::string surviving_bytes(const Inode& i, PowerLoss kind,
                                     std::mt19937_64& rng);
  static std::string scattered_bytes(const Inode& i, std::mt19937_64& rng);
  Entries surviving_entries(const Directory& d, PowerLoss kind, std::mt19937_64& rng);

  std::shared_ptr<FileSystem> base_;
  const std::string root_;
  mutable std::mutex mu_;
  uint64_t calls_ = 0;                     // guarded by mu_
  uint64_t cut_at_ = 0;                    // 0 = never; guarded by mu_
  bool off_ = false;                       // guarded by mu_
  uint64_t next_inode_ = 0;                // guarded by mu_
  std::map<uint64_t, Inode> inodes_;       // guarded by mu_
  std::map<std::string, Directory> dirs_;  // by path; guarded by mu_
};

}  // namespace pa_journal::testing
