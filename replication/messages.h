// The messages of a store's stream, built and read back in one place
// (docs/replication.md, "Messages"): the meta message, one message per
// journal frame, and the chunks of each snapshot's bundle. The shipper builds
// them; the shipper (on resume) and the clone classify what a stream holds.
//
//   meta     subject .meta, id STOREID:meta, plaintext JSON
//            {"format": 1, "store_id": ..., "sealing": ...}
//   record   subject .rec, id STOREID:SEQ, header Pa-Journal-Seq: SEQ,
//            data seal(frame header + payload), ad (id, kRecord, SEQ); a loss
//            frame carries SEQ = its last lost seq and Pa-Journal-Lost-From
//   chunk    subject .snap, id STOREID:snap:ID:INDEX, headers
//            Pa-Journal-Snapshot: ID, Pa-Journal-Chunk: INDEX/COUNT, data
//            seal(chunk), ad (id, kSnapshotChunk, INDEX, ID)
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replication/replica_log.h"
#include "replication/sealer.h"

namespace pa_journal::replication {

inline constexpr std::string_view kMsgIdHeader = "Nats-Msg-Id";
inline constexpr std::string_view kSeqHeader = "Pa-Journal-Seq";
inline constexpr std::string_view kLostFromHeader = "Pa-Journal-Lost-From";
inline constexpr std::string_view kSnapshotHeader = "Pa-Journal-Snapshot";
inline constexpr std::string_view kChunkHeader = "Pa-Journal-Chunk";
inline constexpr int kMetaFormat = 1;
// The largest chunk of a snapshot's bundle, before sealing.
inline constexpr size_t kMaxChunkBytes = 256 << 10;

// The value of header name (the first one), or nullopt.
std::optional<std::string_view> find_header(const Headers& headers,
                                            std::string_view name);

// The meta message; sealing_json is a JSON value ("null": not sealed).
OutMessage meta_message(std::string_view stream, std::string_view store_id,
                        std::string_view sealing_json);

// What a meta message says. Throws ReplicationError naming the stream if its
// data is not a meta JSON object of a format this reader knows.
struct Meta {
  std::string store_id;
  std::string sealing_json;  // the "sealing" value as JSON text ("null" if none)
};
Meta parse_meta(const LogMessage& message, std::string_view stream);

// The message of one journal frame (frame header + payload, as in the
// segment). seq is the record's sequence number; a loss frame is shipped
// with seq its last lost record and lost_from its first (0 for a record).
OutMessage record_message(std::string_view stream, std::string_view store_id,
                          const Sealer& sealer, uint64_t seq, uint64_t lost_from,
                          std::string_view frame);

// One chunk of a snapshot's bundle.
OutMessage chunk_message(std::string_view stream, std::string_view store_id,
                         const Sealer& sealer, std::string_view snapshot_id,
                         uint64_t index, uint64_t count, std::string_view chunk);

// What a message of the stream is, judged by its subject, id and headers
// alone (the data is not opened).
struct Classified {
  enum class Kind { kMeta, kRecord, kChunk, kForeign } kind = Kind::kForeign;
  uint64_t seq = 0;      // kRecord: Pa-Journal-Seq
  uint64_t from = 0;     // kRecord: the first seq it stands for (seq, or lost from)
  std::string snapshot;  // kChunk
  uint64_t index = 0;    // kChunk
  uint64_t count = 0;    // kChunk
  std::string why;       // kForeign: what did not match
};
Classified classify(const LogMessage& message, std::string_view stream,
                    std::string_view store_id);

// A short description of a message for error texts: "stream seq N (subject, id)".
std::string describe(const LogMessage& message);

}  // namespace pa_journal::replication
