#include "journal/recovery_policy.h"

namespace pa_journal {
namespace {

using Verdict = PolicyAnswer::Verdict;

PolicyAnswer answer(Verdict verdict) { return {verdict, {}}; }

PolicyAnswer refuse(const ScanEvent& event) {
  return {Verdict::kRefuse, describe_refusal(event.damage, event.last_good_seq)};
}

// Records, valid loss markers, the end and covered gaps are never damage.
bool is_damage(const ScanEvent& event) {
  if (event.kind == ScanEvent::Kind::kDamage) return true;
  return event.kind == ScanEvent::Kind::kGap && !event.covered;
}

// Tolerate-tail and point-in-time: damage that may have lost only records the
// snapshot holds waits for the next good record; shown covered, it goes on.
// Returns false (out untouched) for any other event.
bool settles_as_covered(const ScanEvent& event, PolicyAnswer* out) {
  if (event.kind != ScanEvent::Kind::kDamage || event.torn_tail) return false;
  if (event.covered) {
    *out = answer(Verdict::kGoOn);
    return true;
  }
  if (event.maybe_covered) {
    *out = answer(Verdict::kWait);
    return true;
  }
  return false;
}

}  // namespace

PolicyAnswer strict_policy(const ScanEvent& event) {
  return is_damage(event) ? refuse(event) : answer(Verdict::kGoOn);
}

PolicyAnswer tolerate_tail_policy(const ScanEvent& event) {
  if (!is_damage(event)) return answer(Verdict::kGoOn);
  if (event.torn_tail) return answer(Verdict::kCut);
  PolicyAnswer settled;
  if (settles_as_covered(event, &settled)) return settled;
  return refuse(event);
}

PolicyAnswer point_in_time_policy(const ScanEvent& event) {
  if (!is_damage(event)) return answer(Verdict::kGoOn);
  PolicyAnswer settled;
  if (settles_as_covered(event, &settled)) return settled;
  return answer(Verdict::kCut);
}

PolicyAnswer salvage_policy(const ScanEvent& event) {
  if (!is_damage(event)) return answer(Verdict::kGoOn);
  return answer(event.torn_tail ? Verdict::kCut : Verdict::kSkip);
}

RecoveryPolicy policy_for(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kStrict:
      return strict_policy;
    case RecoveryMode::kTolerateTail:
      return tolerate_tail_policy;
    case RecoveryMode::kPointInTime:
      return point_in_time_policy;
    case RecoveryMode::kSalvage:
      return salvage_policy;
  }
  return strict_policy;
}

std::string describe_refusal(const Damage& damage, uint64_t last_good_seq) {
  std::string text = damage.describe();
  text += "; last good record before it: seq " + std::to_string(last_good_seq);
  if (damage.kind == Damage::Kind::kTornTail) {
    text += "; the default mode (tolerate-tail) cuts a torn tail";
  } else {
    text +=
        "; to open anyway, recovery mode point-in-time keeps the records before the "
        "damage and salvage keeps every valid record";
  }
  return text;
}

}  // namespace pa_journal
