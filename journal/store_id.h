// The store id: 128 random bits, written as 32 lowercase hex digits, that
// name one store wherever its copies go (docs/replication.md, "What the
// store keeps"). It lives in the file STORE_ID at the store's root (the id
// and "\n", mode 0600). A store gets one when it is created, and an older
// store at its first writable open; a clone keeps its source's, and adopt
// and an import into a new directory make a new store, so a new id.
//
// Thread- and process-safety: ensure_store_id may run in several processes
// at once, with or without LOCK (the writer's open, and a replicating reader
// beside it); all of them return the same id. The crash argument is at the
// top of store_id.cc.
#pragma once

#include <string>
#include <string_view>

#include "pa_journal/file_system.h"

namespace pa_journal {

inline constexpr size_t kStoreIdDigits = 32;

// True if id is 32 lowercase hex digits.
bool is_store_id(std::string_view id);

// 128 bits from the system's random source (getrandom), as 32 hex digits.
std::string new_store_id();

// The id in dir's STORE_ID. Throws NotFoundError if there is no such file,
// CorruptedDataError naming it if it holds anything but 32 lowercase hex
// digits and a newline, the file system's IoError if it cannot be read.
std::string read_store_id(FileSystem& fs, const std::string& dir);

// The id in dir's STORE_ID, creating the file first if it is missing, with
// `wanted` (a clone keeping its source's id) or a new random id. Of several
// creators at once exactly one wins, and all return its id: the caller must
// use the id returned, not `wanted`. Throws InvalidInputError for a wanted
// that is not an id, and what read_store_id throws for an existing file.
// On return STORE_ID is durable (its directory synced).
std::string ensure_store_id(FileSystem& fs, const std::string& dir,
                            std::string_view wanted = {});

}  // namespace pa_journal
