// Which keys a ListOptions (pa_journal/store.h) selects, for every reader of
// ranges: the in-memory document tree and the lazy read-only open. Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "pa_journal/store.h"
#include "replay/doc_tree.h"

namespace pa_journal {

// The first key options can select: the greater of from and prefix.
std::string_view range_start(const ListOptions& options);
// Whether key lies in options' range and prefix (the limit aside).
bool in_range(const ListOptions& options, std::string_view key);
// Whether key is past every key options can select: a scan in key order from
// range_start(options) stops at the first such key.
bool past_range(const ListOptions& options, std::string_view key);
// How many keys of docs options select, the limit aside: by rank, O(log n).
uint64_t count_in_range(const DocTree& docs, const ListOptions& options);

}  // namespace pa_journal
