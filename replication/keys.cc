#include "replication/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "pa_journal/errors.h"

namespace pa_journal::replication {

static_assert(KdfParams::kSaltBytes == crypto_pwhash_SALTBYTES);

namespace {

std::string system_text(int err) { return std::strerror(err); }

[[noreturn]] void io_fail(const std::string& call, const std::string& path, int err) {
  throw IoError(call + " " + path + ": " + system_text(err));
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting a failure (a write-back error) as IoError.
  void close(const std::string& path) {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) io_fail("close", path, errno);
  }

 private:
  int fd_;
};

void write_all(int fd, const unsigned char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_fail("write", path, errno);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads until end of file or until max bytes; returns how many were read.
size_t read_up_to(int fd, unsigned char* data, size_t max, const std::string& path) {
  size_t total = 0;
  while (total < max) {
    ssize_t n = ::read(fd, data + total, max - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw KeyError("key file " + path + " cannot be read: " + system_text(errno));
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void sync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) io_fail("open", dir, errno);
  if (::fsync(fd.get()) != 0) io_fail("fsync", dir, errno);
}

// Fills the new, empty file fd with a key and makes it durable.
void write_key(int fd, const std::string& path) {
  SecretBytes key(kKeyBytes);
  randombytes_buf(key.data(), key.size());
  // Exactly 0600 whatever the umask left out (it never adds bits).
  if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) io_fail("fchmod", path, errno);
  write_all(fd, key.data(), key.size(), path);
  if (::fsync(fd) != 0) io_fail("fsync", path, errno);
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Opens path for reading the key, refusing what cannot be a private key file.
int open_key_file(const std::string& path) {
  // O_NONBLOCK: a FIFO put in the key's place is refused below, not waited on.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == ENOENT) throw KeyError("key file " + path + " does not exist");
  if (fd < 0)
    throw KeyError("key file " + path + " cannot be opened: " + system_text(errno));
  return fd;
}

void check_key_file(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) io_fail("fstat", path, errno);
  if (!S_ISREG(st.st_mode)) throw KeyError("key file " + path + " is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw KeyError("key file " + path + " is open to group or others (mode " +
                   mode_text(st.st_mode) +
                   "): a key must be private to its owner; chmod 600 " + path);
  }
}

}  // namespace

void generate_key_file(const std::string& path) {
  ensure_sodium();
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
               S_IRUSR | S_IWUSR));
  if (fd.get() < 0 && errno == EEXIST) {
    throw KeyError(path +
                   " exists: a key file is never overwritten (it may hold the only "
                   "copy of a key); choose another name, or remove it first");
  }
  if (fd.get() < 0) io_fail("open", path, errno);
  try {
    write_key(fd.get(), path);
    fd.close(path);
    sync_dir(parent_dir(path));
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
}

SecretBytes load_key_file(const std::string& path) {
  Fd fd(open_key_file(path));
  check_key_file(fd.get(), path);
  // One byte more than a key, so that a longer file is seen as one.
  SecretBytes key(kKeyBytes + 1);
  size_t n = read_up_to(fd.get(), key.data(), key.size(), path);
  if (n != kKeyBytes) {
    throw KeyError("key file " + path + " holds " + (n > kKeyBytes ? "more than " : "") +
                   std::to_string(n > kKeyBytes ? kKeyBytes : n) +
                   " bytes; a key file holds exactly " + std::to_string(kKeyBytes) +
                   " random bytes");
  }
  key.shrink(kKeyBytes);
  return key;
}

KdfParams new_kdf_params() {
  ensure_sodium();
  KdfParams params;
  randombytes_buf(params.salt.data(), params.salt.size());
  params.opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
  params.memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
  return params;
}

SecretBytes derive_key(std::string_view passphrase, const KdfParams& params) {
  if (params.opslimit < kMinOpslimit || params.opslimit > kMaxOpslimit ||
      params.memlimit < kMinMemlimit || params.memlimit > kMaxMemlimit) {
    throw KeyError("the passphrase's key derivation asks for opslimit " +
                   std::to_string(params.opslimit) + " and memlimit " +
                   std::to_string(params.memlimit) + ", outside what is accepted (" +
                   std::to_string(kMinOpslimit) + " to " + std::to_string(kMaxOpslimit) +
                   ", " + std::to_string(kMinMemlimit) + " to " +
                   std::to_string(kMaxMemlimit) + " bytes)");
  }
  SecretBytes key(kKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(),
                    params.salt.data(), params.opslimit, params.memlimit,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw KeyError("deriving the key from the passphrase failed (Argon2id over " +
                   std::to_string(params.memlimit >> 20) +
                   " MiB of memory): out of memory");
  }
  return key;
}

KeySource KeySource::from_key_file(const std::string& path) {
  return from_key(load_key_file(path), "the key in " + path);
}

KeySource KeySource::from_key(SecretBytes key, std::string name) {
  if (key.size() != kKeyBytes) {
    throw KeyError(name + " holds " + std::to_string(key.size()) + " bytes, not " +
                   std::to_string(kKeyBytes));
  }
  KeySource source;
  source.kind_ = Kind::kKey;
  source.name_ = std::move(name);
  source.secret_ = std::move(key);
  return source;
}

KeySource KeySource::from_passphrase(SecretBytes passphrase) {
  if (passphrase.empty()) throw KeyError("the passphrase is empty");
  KeySource source;
  source.kind_ = Kind::kPassphrase;
  source.name_ = "the passphrase";
  source.secret_ = std::move(passphrase);
  return source;
}

}  // namespace pa_journal::replication
