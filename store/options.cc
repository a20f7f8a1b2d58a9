#include "pa_journal/options.h"

#include "pa_journal/errors.h"

namespace pa_journal {

std::string_view to_string(Durability d) {
  switch (d) {
    case Durability::kAlways:
      return "always";
    case Durability::kInterval:
      return "interval";
    case Durability::kNone:
      return "none";
  }
  return "unknown";
}

std::string_view to_string(RecoveryMode m) {
  switch (m) {
    case RecoveryMode::kTolerateTail:
      return "tolerate-tail";
    case RecoveryMode::kStrict:
      return "strict";
    case RecoveryMode::kPointInTime:
      return "point-in-time";
    case RecoveryMode::kSalvage:
      return "salvage";
  }
  return "unknown";
}

Durability parse_durability(std::string_view text) {
  for (auto d : {Durability::kAlways, Durability::kInterval, Durability::kNone}) {
    if (text == to_string(d)) return d;
  }
  throw InvalidInputError("unknown durability '" + std::string(text) +
                          "': use always, interval or none");
}

RecoveryMode parse_recovery_mode(std::string_view text) {
  for (auto m : {RecoveryMode::kTolerateTail, RecoveryMode::kStrict,
                 RecoveryMode::kPointInTime, RecoveryMode::kSalvage}) {
    if (text == to_string(m)) return m;
  }
  throw InvalidInputError("unknown recovery mode '" + std::string(text) +
                          "': use tolerate-tail, strict, point-in-time or salvage");
}

}  // namespace pa_journal
