#include "replication/messages.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "pa_journal/errors.h"
#include "replication/subjects.h"

namespace pa_journal::replication {
namespace {

using nlohmann::json;

// A decimal without sign or leading '+'; nullopt for anything else.
std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

Classified foreign(std::string why) {
  Classified c;
  c.why = std::move(why);
  return c;
}

Classified classify_record(const LogMessage& m, std::string_view store_id) {
  auto seq_text = find_header(m.headers, kSeqHeader);
  auto seq = seq_text ? parse_number(*seq_text) : std::nullopt;
  if (!seq || *seq == 0)
    return foreign("a record message without a valid Pa-Journal-Seq");
  auto id = find_header(m.headers, kMsgIdHeader);
  if (!id || *id != record_msg_id(store_id, *seq)) {
    return foreign("a record message whose id is not " + record_msg_id(store_id, *seq));
  }
  Classified c;
  c.kind = Classified::Kind::kRecord;
  c.seq = c.from = *seq;
  if (auto lost = find_header(m.headers, kLostFromHeader)) {
    auto from = parse_number(*lost);
    if (!from || *from == 0 || *from > *seq) return foreign("a bad Pa-Journal-Lost-From");
    c.from = *from;
  }
  return c;
}

Classified classify_chunk(const LogMessage& m, std::string_view store_id) {
  auto snapshot = find_header(m.headers, kSnapshotHeader);
  auto chunk = find_header(m.headers, kChunkHeader);
  if (!snapshot || !chunk) return foreign("a snapshot chunk without its headers");
  size_t slash = chunk->find('/');
  if (slash == std::string_view::npos) return foreign("a bad Pa-Journal-Chunk");
  uint64_t index = parse_number(chunk->substr(0, slash)).value_or(UINT64_MAX);
  uint64_t count = parse_number(chunk->substr(slash + 1)).value_or(0);
  if (index >= count) return foreign("a bad Pa-Journal-Chunk");
  auto id = find_header(m.headers, kMsgIdHeader);
  if (!id || *id != snapshot_chunk_msg_id(store_id, *snapshot, index)) {
    return foreign("a snapshot chunk whose id is not " +
                   snapshot_chunk_msg_id(store_id, *snapshot, index));
  }
  Classified c;
  c.kind = Classified::Kind::kChunk;
  c.snapshot = std::string(*snapshot);
  c.index = index;
  c.count = count;
  return c;
}

}  // namespace

std::optional<std::string_view> find_header(const Headers& headers,
                                            std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

OutMessage meta_message(std::string_view stream, std::string_view store_id,
                        std::string_view sealing_json) {
  json sealing = json::parse(sealing_json, nullptr, /*allow_exceptions=*/false);
  if (sealing.is_discarded()) {
    throw InvalidInputError("the sealing parameters of a meta message are not JSON");
  }
  json meta = {{"format", kMetaFormat},
               {"store_id", std::string(store_id)},
               {"sealing", std::move(sealing)}};
  return {meta_subject(stream), meta_msg_id(store_id), meta.dump(), {}};
}

Meta parse_meta(const LogMessage& message, std::string_view stream) {
  std::string where = "the meta message of stream " + std::string(stream);
  json meta = json::parse(message.data, nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object() || !meta.contains("format") || !meta.contains("store_id") ||
      !meta["store_id"].is_string()) {
    throw ReplicationError(where + " is not a pa-journal meta object");
  }
  if (meta["format"] != kMetaFormat) {
    throw ReplicationError(where + " has format " + meta["format"].dump() +
                           ", which this version does not read (it reads format 1)");
  }
  Meta out;
  out.store_id = meta["store_id"].get<std::string>();
  out.sealing_json = meta.value("sealing", json()).dump();
  return out;
}

OutMessage record_message(std::string_view stream, std::string_view store_id,
                          const Sealer& sealer, uint64_t seq, uint64_t lost_from,
                          std::string_view frame) {
  OutMessage m;
  m.subject = record_subject(stream);
  m.msg_id = record_msg_id(store_id, seq);
  m.data = sealer.seal(frame, associated_data(store_id, SealedKind::kRecord, seq));
  m.headers.emplace_back(kSeqHeader, std::to_string(seq));
  if (lost_from != 0) m.headers.emplace_back(kLostFromHeader, std::to_string(lost_from));
  return m;
}

OutMessage chunk_message(std::string_view stream, std::string_view store_id,
                         const Sealer& sealer, std::string_view snapshot_id,
                         uint64_t index, uint64_t count, std::string_view chunk) {
  OutMessage m;
  m.subject = snapshot_subject(stream);
  m.msg_id = snapshot_chunk_msg_id(store_id, snapshot_id, index);
  m.data = sealer.seal(
      chunk, associated_data(store_id, SealedKind::kSnapshotChunk, index, snapshot_id));
  m.headers.emplace_back(kSnapshotHeader, std::string(snapshot_id));
  m.headers.emplace_back(kChunkHeader,
                         std::to_string(index) + "/" + std::to_string(count));
  return m;
}

Classified classify(const LogMessage& message, std::string_view stream,
                    std::string_view store_id) {
  if (message.subject == record_subject(stream))
    return classify_record(message, store_id);
  if (message.subject == snapshot_subject(stream))
    return classify_chunk(message, store_id);
  if (message.subject == meta_subject(stream)) {
    auto id = find_header(message.headers, kMsgIdHeader);
    if (!id || *id != meta_msg_id(store_id))
      return foreign("a meta message of another id");
    Classified c;
    c.kind = Classified::Kind::kMeta;
    return c;
  }
  return foreign("a message on subject " + message.subject);
}

std::string describe(const LogMessage& message) {
  auto id = find_header(message.headers, kMsgIdHeader);
  return "stream seq " + std::to_string(message.stream_seq) + " (" + message.subject +
         ", id " + (id ? std::string(*id) : std::string("none")) + ")";
}

}  // namespace pa_journal::replication
