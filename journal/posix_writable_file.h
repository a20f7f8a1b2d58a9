// The POSIX WritableFile, shared by the real file system's new_writable and
// open_appendable. Internal to journal/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "pa_journal/file_system.h"

namespace pa_journal {

// Takes ownership of fd, which must be open for reading and writing (a map of
// a reservation needs both); appends start at offset end.
std::unique_ptr<WritableFile> posix_writable_file(std::string path, int fd, uint64_t end);

}  // namespace pa_journal
