#include "journal/storage_log.h"

#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {

StorageLog::StorageLog(std::shared_ptr<FileSystem> fs, std::string path)
    : fs_(std::move(fs)), path_(std::move(path)) {}

void StorageLog::write(std::string_view level, std::string_view message) {
  std::string line = format_time_ns(system_now_ns()) + " " + std::string(level) + " " +
                     std::string(message) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
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
