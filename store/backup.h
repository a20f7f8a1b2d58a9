// The backup of include/pa_journal/backup.h with one more step, for
// Store::backup_to: before_publish runs once the copy is complete and
// verified and before it is renamed to out_dir (the store's own writer syncs
// there, so that the copy holds no commit its source could still lose).
#pragma once

#include <functional>
#include <string>

#include "pa_journal/backup.h"

namespace pa_journal {

BackupResult backup_store_publishing(const std::string& store_dir,
                                     const std::string& out_dir, const Options& options,
                                     const std::function<void()>& before_publish);

}  // namespace pa_journal
