// storage.log: one line per thing the store did (open, recovery, cut, repair,
// compaction, restore), each starting with its UTC time. Appended, not synced:
// it explains what happened and is never needed to recover.
//
// Thread-safety: write() may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "journal/mutex.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

class StorageLog {
 public:
  StorageLog(std::shared_ptr<FileSystem> fs, std::string path);
  // level is "INFO", "WARN" or "ERROR". The message's control characters are
  // written escaped (a newline as \n, others as \xNN), so every call adds
  // exactly one line. Failing to log never fails the caller.
  void write(std::string_view level, std::string_view message) EXCLUDES(mu_);

 private:
  std::shared_ptr<FileSystem> fs_;
  std::string path_;
  Mutex mu_;  // one line at a time: guards the appends to path_, no field
};

}  // namespace pa_journal
