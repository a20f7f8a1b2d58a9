// The store id's file, STORE_ID (journal/store_id.h).
//
// Crash-safety argument
// ---------------------
// STORE_ID is written once and never changed. The name appears only as a
// second name (link(2)) of a temporary file that already holds the whole
// id and was synced:
//   1. STORE_ID.<tag>.tmp is written with the id and "\n" and synced; tag is
//      random, so that creators running at once never share a temporary.
//   2. link(temporary, STORE_ID): link never replaces an existing name, so
//      of two creators the second fails, and reads the first one's id.
//   3. The store's directory is synced: from here on STORE_ID survives a
//      power loss, and only then is the id returned to be used (published,
//      written into a position file).
//   4. The temporary is removed (best effort).
// A crash before step 2 leaves no STORE_ID (and perhaps a temporary, which
// nothing reads: the next open creates STORE_ID anew). A crash between 2 and
// 3 may lose the link with the power; the id was not yet returned, so no
// one used it. After step 3 STORE_ID names a synced inode: the whole id. So
// after a crash at any point STORE_ID is absent or whole, never torn.
//
// A creator that fails after step 2 (its directory sync failed) leaves a
// STORE_ID that may not be durable: so whoever finds STORE_ID present syncs
// the directory too before returning its id (step 3 for it).
//
// A file system that cannot link (FileSystem::link throws and STORE_ID is
// still absent) gets rename(2) instead: atomic too, but not exclusive, so
// two creators racing on such a file system could each return its own id;
// both then read the file back, and the later rename's id is the one kept.
#include "journal/store_id.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "journal/layout.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

void write_synced(FileSystem& fs, const std::string& path, std::string_view data) {
  auto file = fs.new_writable(path);
  file->append(data);
  file->sync();
  file->close();
}

void remove_quietly(FileSystem& fs, const std::string& path) {
  try {
    fs.remove(path);
  } catch (const StorageError&) {
    // A leftover temporary: classified (journal/layout.h), read by no one.
  }
}

// Steps 2 and 3: whether the temporary became STORE_ID, by link or rename.
void put_in_place(FileSystem& fs, const std::string& dir, const std::string& temp) {
  const std::string path = store_id_file_name(dir);
  try {
    fs.link(temp, path);
  } catch (const IoError&) {
    if (!fs.exists(path)) fs.rename(temp, path);  // no links here
  }
  fs.sync_dir(dir.empty() ? "." : dir);
}

}  // namespace

bool is_store_id(std::string_view id) {
  return id.size() == kStoreIdDigits &&
         id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string new_store_id() {
  unsigned char bytes[kStoreIdDigits / 2];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  return hex(bytes, sizeof bytes);
}

std::string read_store_id(FileSystem& fs, const std::string& dir) {
  const std::string path = store_id_file_name(dir);
  if (!fs.exists(path)) throw NotFoundError("no store id: " + path + " does not exist");
  std::string text = fs.read_file(path);
  if (text.size() != kStoreIdDigits + 1 || text.back() != '\n' ||
      !is_store_id(std::string_view(text).substr(0, kStoreIdDigits))) {
    throw CorruptedDataError(
        path + " is damaged: it must hold 32 lowercase hex digits and a newline",
        std::string(kStoreIdName));
  }
  text.pop_back();
  return text;
}

std::string ensure_store_id(FileSystem& fs, const std::string& dir,
                            std::string_view wanted) {
  if (!wanted.empty() && !is_store_id(wanted)) {
    throw InvalidInputError("bad store id \"" + std::string(wanted) +
                            "\": a store id is 32 lowercase hex digits");
  }
  if (fs.exists(store_id_file_name(dir))) {
    std::string id = read_store_id(fs, dir);
    // A creator that failed after step 2 left it perhaps not yet durable.
    fs.sync_dir(dir.empty() ? "." : dir);
    return id;
  }
  std::string id = wanted.empty() ? new_store_id() : std::string(wanted);
  const std::string temp = store_id_temp_file_name(dir, new_store_id());
  try {
    write_synced(fs, temp, id + "\n");
    put_in_place(fs, dir, temp);
  } catch (...) {
    remove_quietly(fs, temp);
    throw;
  }
  remove_quietly(fs, temp);
  return read_store_id(fs, dir);
}

}  // namespace pa_journal
