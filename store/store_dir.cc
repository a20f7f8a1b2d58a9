#include "store/store_dir.h"

#include <algorithm>
#include <string>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/errors.h"

namespace pa_journal {

void require_store_dir(FileSystem& fs, const std::string& dir) {
  if (!fs.exists(dir)) throw NotFoundError("no store at " + dir);
  std::vector<std::string> names = fs.list_dir(dir);
  if (std::find(names.begin(), names.end(), kJournalDirName) == names.end()) {
    std::string json_files;
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      if (name.size() > kJsonSuffix.size() && name.ends_with(kJsonSuffix))
        json_files += (json_files.empty() ? "" : ", ") + name;
    }
    if (json_files.empty()) {
      throw NotFoundError("no store at " + dir + ": it has no journal/ directory");
    }
    throw NotFoundError(
        "no store at " + dir + ": it has no journal/ directory; it holds " + json_files,
        {Remedy::Kind::kAdoptToMakeStore, dir});
  }
  fs.list_dir(journal_dir(dir));
}

}  // namespace pa_journal
