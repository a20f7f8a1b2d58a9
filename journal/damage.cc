#include "pa_journal/damage.h"

#include <utility>

namespace pa_journal {

Damage Damage::torn_tail(std::string file, uint64_t offset, uint64_t bytes,
                         std::string reason) {
  Damage d = corruption(std::move(file), offset, bytes, std::move(reason));
  d.kind = Kind::kTornTail;
  return d;
}

Damage Damage::corruption(std::string file, uint64_t offset, uint64_t bytes,
                          std::string reason) {
  Damage d;
  d.kind = Kind::kCorruption;
  d.file = std::move(file);
  d.offset = offset;
  d.bytes = bytes;
  d.reason = std::move(reason);
  return d;
}

Damage Damage::missing_records(std::string file, uint64_t offset, uint64_t first_seq,
                               uint64_t last_seq, std::string reason) {
  Damage d = corruption(std::move(file), offset, 0, std::move(reason));
  d.kind = Kind::kMissingRecords;
  return std::move(d).lost_records(first_seq, last_seq);
}

Damage Damage::snapshot(std::string file, std::string reason) {
  return corruption(std::move(file), 0, 0, std::move(reason));
}

Damage Damage::lost_records(uint64_t first, uint64_t last) && {
  first_seq = first;
  last_seq = last;
  return std::move(*this);
}

const char* to_string(Damage::Kind kind) {
  switch (kind) {
    case Damage::Kind::kTornTail:
      return "torn tail";
    case Damage::Kind::kCorruption:
      return "corruption";
    case Damage::Kind::kMissingRecords:
      return "missing records";
  }
  return "unknown";
}

std::string Damage::describe() const {
  std::string text = file + " offset " + std::to_string(offset) + ": " +
                     pa_journal::to_string(kind) + " (" + reason + ")";
  if (bytes > 0) text += "; " + std::to_string(bytes) + " bytes dropped";
  if (first_seq > 0) {
    text += "; records " + std::to_string(first_seq) + ".." + std::to_string(last_seq) +
            " lost";
  }
  return text;
}

}  // namespace pa_journal
