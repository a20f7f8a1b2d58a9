// What makes a directory a store, for the operations that read one without
// creating it (open without create_if_missing, inspect, backup, the past).
// Thread-safe as the FileSystem it is given.
#pragma once

#include <string>

#include "pa_journal/file_system.h"

namespace pa_journal {

// For a read of the store in dir: NotFoundError("no store at DIR") if dir or
// its journal/ does not exist, and the file system's IoError if either cannot
// be listed (not a directory, no permission), so that a read never takes a
// store it cannot see for an empty one.
void require_store_dir(FileSystem& fs, const std::string& dir);

}  // namespace pa_journal
