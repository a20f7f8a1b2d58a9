#include "replication/subjects.h"

#include "pa_journal/errors.h"

namespace pa_journal::replication {
namespace {

bool stream_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

std::string subject(std::string_view stream, std::string_view leaf) {
  std::string out(kSubjectRoot);
  out.append(".").append(stream).append(".").append(leaf);
  return out;
}

}  // namespace

void validate_stream_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxStreamNameBytes;
  for (char c : name) ok = ok && stream_name_char(c);
  if (!ok) {
    throw InvalidInputError("bad stream name \"" + std::string(name) +
                            "\": a stream name is 1 to 64 letters, digits, '_' or '-'");
  }
}

std::string stream_subjects(std::string_view stream) { return subject(stream, ">"); }
std::string meta_subject(std::string_view stream) { return subject(stream, "meta"); }
std::string record_subject(std::string_view stream) { return subject(stream, "rec"); }
std::string snapshot_subject(std::string_view stream) { return subject(stream, "snap"); }

std::string meta_msg_id(std::string_view store_id) {
  return std::string(store_id) + ":meta";
}

std::string record_msg_id(std::string_view store_id, uint64_t seq) {
  return std::string(store_id) + ":" + std::to_string(seq);
}

std::string snapshot_chunk_msg_id(std::string_view store_id, std::string_view snapshot_id,
                                  uint64_t snapshot_seq, uint64_t index) {
  return std::string(store_id) + ":snap:" + std::string(snapshot_id) + ":" +
         std::to_string(snapshot_seq) + ":" + std::to_string(index);
}

}  // namespace pa_journal::replication
