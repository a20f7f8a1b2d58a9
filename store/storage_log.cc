#include "store/storage_log.h"

#include <string>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {
namespace {

// message with every ASCII control character written as an escape (\n, \r,
// \t, else \xNN), so that one event stays one line and no message can add a
// line of its own.
std::string one_line(std::string_view message) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

}  // namespace

StorageLog::StorageLog(std::shared_ptr<FileSystem> fs, std::string path)
    : fs_(std::move(fs)), path_(std::move(path)) {}

void StorageLog::write(std::string_view level, std::string_view message) {
  std::string line = format_time_ns(system_now_ns()) + " " + std::string(level) + " " +
                     one_line(message) + "\n";
  MutexLock lock(&mu_);
  try {
    auto file =
        fs_->exists(path_) ? fs_->open_appendable(path_) : fs_->new_writable(path_);
    file->append(line);
    file->close();
  } catch (const StorageError&) {
    // The log is advisory; the operation it describes already succeeded.
  }
}

}  // namespace pa_journal
