// The file-system seam. Every byte the store reads or writes goes through a
// FileSystem, so that tests can inject faults (the Nth write, sync, rename or
// open failing) and simulate power loss (unsynced data dropped, files created
// since their directory's last sync vanishing).
//
// Contract for implementations: every method either succeeds or throws
// IoError (StoreLockedError for lock). Paths are plain strings; directories are
// created 0700 and files 0600. Thread-safety: a FileSystem may be used from
// several threads at once; a WritableFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pa_journal {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of data, or throws.
  virtual void append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual void sync() = 0;
  // Appends all of data and makes it, with everything appended before it,
  // durable: append() then sync(), which is what the default does. An
  // implementation may do both in one step (the POSIX file writes through
  // O_DIRECT|O_DSYNC into a synced reservation: one system call, and no page
  // cache write-back to wait for).
  virtual void append_durably(std::string_view data);
  // Cuts off what is left of a reservation, then closes.
  virtual void close() = 0;
  // Optional, for a file that will grow by many small appends. Writes `fill`
  // over the bytes [end, end + bytes), where end is the end of what was
  // appended, unless they are reserved already; later appends overwrite those
  // bytes instead of growing the file. A sync() after reserve() makes the
  // reservation durable, so that the syncs after later appends have only data
  // to write, not the file's size. The reserved bytes are part of the file
  // (readers see them) until close() cuts them off. An append that runs past
  // the reservation grows the file as usual. If rarely_synced, appends into
  // the reservation may be copied through a memory map of the file: far
  // cheaper than a write per append, but a sync of pages written that way
  // costs more (on ext4, a journal commit), so it suits only files that are
  // not synced after every append. The default reserves nothing.
  virtual void reserve(uint64_t bytes, char fill, bool rarely_synced);
};

// A file opened for reading at any offset. It stays readable while it is
// open, even once its name is removed (retention removing a snapshot that a
// read-only store still reads). Thread-safety: read_at may be called from
// several threads at once.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // The file's size when it was opened.
  virtual uint64_t size() const = 0;
  // The bytes [offset, offset + n) of the file; IoError if any of them cannot
  // be read (a range past the end included).
  virtual std::string read_at(uint64_t offset, size_t n) const = 0;
};

// Held for as long as the process owns the store's LOCK file.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Creates (or truncates) path for writing; never follows a symlink.
  virtual std::unique_ptr<WritableFile> new_writable(const std::string& path) = 0;
  // Opens an existing file for appending at its end; never follows a symlink.
  // A reservation left by a writer that did not close (a crash) is part of
  // the file's end: cut it off first (truncate) to append where the data ends.
  virtual std::unique_ptr<WritableFile> open_appendable(const std::string& path) = 0;
  // The whole file. Throws IoError if it cannot be read.
  // The whole of a regular file; never follows a symlink, never waits on a
  // FIFO or device (IoError for anything but a regular file).
  virtual std::string read_file(const std::string& path) = 0;
  // path opened for reads at any offset (a regular file only; never follows a
  // symlink). The default reads the whole file through read_file when it is
  // opened and serves reads from memory.
  virtual std::unique_ptr<ReadableFile> open_readable(const std::string& path);
  virtual bool exists(const std::string& path) = 0;
  virtual uint64_t file_size(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, in no particular order.
  virtual std::vector<std::string> list_dir(const std::string& dir) = 0;
  // Creates dir with mode 0700 if it does not exist.
  virtual void create_dir(const std::string& dir) = 0;
  // Atomically replaces `to` with `from`.
  virtual void rename(const std::string& from, const std::string& to) = 0;
  // Makes `to`, which must not exist, a second name (hard link) of the file
  // `from`. The default throws IoError, as does a file system that cannot link
  // these two paths; callers then write a copy instead.
  virtual void link(const std::string& from, const std::string& to);
  // What all the names (hard links) of the file at path share and no other
  // file has, for counting a linked file once ("<device>:<inode>"). The
  // default, "", knows none: every name counts as a file of its own.
  virtual std::string file_identity(const std::string& path);
  virtual void remove(const std::string& path) = 0;
  // Removes the empty directory dir. The default throws IoError, as does a
  // directory that is not empty.
  virtual void remove_dir(const std::string& dir);
  // path made absolute, with "." and ".." removed and, for the part of it
  // that exists, symlinks resolved (std::filesystem::weakly_canonical): two
  // paths name the same place iff their real paths are equal. The default
  // only makes it absolute and normal, resolving nothing.
  virtual std::string real_path(const std::string& path);
  // Cuts path to size bytes and syncs it.
  virtual void truncate(const std::string& path, uint64_t size) = 0;
  // Writes data over path's bytes at offset (which must lie inside the file)
  // and syncs it.
  virtual void overwrite(const std::string& path, uint64_t offset,
                         std::string_view data) = 0;
  // Writes data at offset of path, creating path if it is missing and growing
  // it as needed; unlike overwrite it does not sync, and a concurrent reader
  // may see part of it (callers checksum what they write this way). The
  // default creates a missing file with new_writable, then calls overwrite.
  virtual void write_at(const std::string& path, uint64_t offset, std::string_view data);
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual void sync_dir(const std::string& dir) = 0;
  // Takes an exclusive lock on path and writes this process's pid into it.
  // Throws StoreLockedError naming the holder (its pid and, where the system
  // tells, its command line) if another process has it, and StoreLockedError
  // without touching it if path holds anything but nothing or a pid (a file
  // some other program wrote).
  virtual std::unique_ptr<FileLock> lock(const std::string& path) = 0;
  // lock(path), but while another process holds the lock, tries again every
  // 20 ms or so until it is free or wait_ms have passed; wait_ms 0 is lock().
  // The default calls lock() in that loop; the POSIX file system retries only
  // a lock that is held (a foreign lock file is refused at once).
  virtual std::unique_ptr<FileLock> lock_within(const std::string& path,
                                                uint32_t wait_ms);
  // Whether a running process holds the lock that lock() takes on path, as
  // far as can be told without touching it: path names the pid of a running
  // process (a holder writes its pid and empties the file when it lets go).
  // A holder killed with -9 whose pid has been reused reads as held. The
  // default reads path through read_file.
  virtual bool lock_held(const std::string& path);
  // A lock shared among readers (exclusive if exclusive is set) on path,
  // created if missing and it can be; waits while a conflicting holder has it.
  // Unlike lock(), holders in one process exclude each other as holders in
  // different processes do. Returns nullptr if path cannot be opened (a store
  // the caller may not write): the caller goes on without it. The default
  // returns nullptr.
  virtual std::unique_ptr<FileLock> lock_shared(const std::string& path, bool exclusive);
};

// The real POSIX file system. One shared instance.
std::shared_ptr<FileSystem> posix_file_system();

// Writes data to path so that after a crash path holds either its old content
// or all of data: temporary file, sync, rename, directory sync.
void write_file_atomically(FileSystem& fs, const std::string& path,
                           std::string_view data);

// The steps of write_file_atomically but the last: fill appends the content
// to a temporary file, which is synced and renamed to path. The directory
// sync is the caller's, so that several files renamed into one directory
// share one. On failure the temporary file is removed (best effort).
void write_file_via_temp(FileSystem& fs, const std::string& path,
                         const std::function<void(WritableFile&)>& fill);

// Creates dir (0700) if it does not exist, and then syncs its parent, so that
// the new directory, and what is later made durable inside it, survives a
// power loss. Does nothing if dir exists.
void create_dir_durably(FileSystem& fs, const std::string& dir);
// create_dir_durably for every missing directory on the way to dir, parents
// first (as the seed's mkdir(parents=True)).
void create_dirs_durably(FileSystem& fs, const std::string& dir);

// Whether path names a directory that can be listed (list_dir succeeds).
bool is_directory(FileSystem& fs, const std::string& path);

// Whether path is dir or lies inside it, comparing real paths (symlinks
// resolved; FileSystem::real_path): for the commands that must not read or
// write a store through one of its own subdirectories.
bool path_within(FileSystem& fs, const std::string& path, const std::string& dir);

}  // namespace pa_journal
