#include "replay/reread.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

// The names in journal/ and backups/: what a compaction changes.
std::vector<std::string> store_listing(FileSystem& fs, const std::string& store_dir) {
  std::vector<std::string> names;
  for (std::string_view sub : {kJournalDirName, kBackupsDirName}) {
    const std::string dir = join_path(store_dir, sub);
    if (!fs.exists(dir)) continue;
    for (auto& name : fs.list_dir(dir)) names.push_back("/" + join_path(sub, name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "journal/NAME" of the newest segment, or "" if there is none.
std::string newest_segment_file(FileSystem& fs, const std::string& store_dir) {
  const std::string journal = journal_dir(store_dir);
  if (!fs.exists(journal)) return {};
  auto segments = list_segments(fs, journal);
  return segments.empty() ? std::string() : in_journal(segments.back().name);
}

}  // namespace

void read_beside_writer(FileSystem& fs, const std::string& store_dir,
                        const std::function<void()>& read) {
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> before = store_listing(fs, store_dir);
    try {
      read();
      return;
    } catch (const CorruptedDataError& e) {
      if (attempt == kReadAttempts) throw;
      std::string newest = newest_segment_file(fs, store_dir);
      bool in_newest = !newest.empty() && e.file() == newest;
      if (store_listing(fs, store_dir) == before && !in_newest) throw;
    } catch (const StorageError&) {
      if (attempt == kReadAttempts || store_listing(fs, store_dir) == before) throw;
    }
    pause_before_reread(attempt);
  }
}

void read_listing_stable(FileSystem& fs, const std::string& store_dir,
                         const std::function<bool()>& pass) {
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> before = store_listing(fs, store_dir);
    try {
      if (pass()) return;
    } catch (const StorageError&) {
      if (attempt == kReadAttempts || store_listing(fs, store_dir) == before) throw;
      pause_before_reread(attempt);
      continue;
    }
    if (attempt == kReadAttempts || store_listing(fs, store_dir) == before) return;
    pause_before_reread(attempt);
  }
}

bool damage_in_newest_segment(FileSystem& fs, const std::string& store_dir,
                              const std::vector<Damage>& damage) {
  if (damage.empty()) return false;
  std::string newest = newest_segment_file(fs, store_dir);
  return !newest.empty() &&
         std::any_of(damage.begin(), damage.end(),
                     [&](const Damage& d) { return d.file == newest; });
}

void pause_before_reread(int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
}

}  // namespace pa_journal
