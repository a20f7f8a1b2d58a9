// Names on a JetStream stream that holds one store's replica
// (docs/replication.md, "Subjects"). One stream holds one store: its meta
// message names the store id, and a store refuses a stream that names another.
//
//   stream      NAME (default kDefaultStream)
//   subjects    pa-journal.NAME.meta   the store id and the sealing parameters
//               pa-journal.NAME.rec    one message per journal record, in order
//               pa-journal.NAME.snap   the chunks of each snapshot
//
// Message ids (JetStream's Nats-Msg-Id, its deduplication key) are
// STOREID:SEQ for a record, STOREID:meta for the meta message and
// STOREID:snap:ID:SEQ:INDEX for chunk INDEX of snapshot ID covering journal
// seq SEQ. A snapshot id is unique only among the snapshots a store holds at
// once (a later one may take the id of one retention removed), but no two
// snapshots with the same id cover the same seq, so ID:SEQ names one snapshot
// over the store's life. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pa_journal::replication {

inline constexpr std::string_view kDefaultStream = "PA_JOURNAL";
inline constexpr std::string_view kSubjectRoot = "pa-journal";
inline constexpr size_t kMaxStreamNameBytes = 64;

// Throws InvalidInputError unless name is 1 to 64 bytes of [A-Za-z0-9_-]
// (JetStream forbids '.', '*', '>', white space and path separators in a
// stream name; the rest is this project's narrowing).
void validate_stream_name(std::string_view name);

std::string stream_subjects(std::string_view stream);  // "pa-journal.NAME.>"
std::string meta_subject(std::string_view stream);
std::string record_subject(std::string_view stream);
std::string snapshot_subject(std::string_view stream);

std::string meta_msg_id(std::string_view store_id);
std::string record_msg_id(std::string_view store_id, uint64_t seq);
std::string snapshot_chunk_msg_id(std::string_view store_id, std::string_view snapshot_id,
                                  uint64_t snapshot_seq, uint64_t index);

}  // namespace pa_journal::replication
