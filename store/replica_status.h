// The store's view of its replicas' positions, for inspect and `replicas`
// (include/pa_journal/replicas.h). Pure functions of what they are given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "journal/replica_position.h"
#include "pa_journal/inspect.h"
#include "pa_journal/replicas.h"

namespace pa_journal {

// Each position's lag and held journal, given the journal's segments (in
// sequence order), its last seq and the oldest snapshot's seq (0 if none).
std::vector<ReplicaStatus> replica_statuses(const ReplicaListing& listing,
                                            const std::vector<SegmentSummary>& segments,
                                            uint64_t last_seq,
                                            uint64_t oldest_snapshot_seq);

// Damage in STORE_ID and the replicas' positions, which recovery never reads
// but which stop a writable open (STORE_ID) or hold the whole journal (a
// position): for verify, one corruption per damaged file, named relative to
// the store.
std::vector<Damage> replica_files_damage(FileSystem& fs, const std::string& dir);

}  // namespace pa_journal
