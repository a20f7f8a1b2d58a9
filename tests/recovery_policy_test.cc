// Tests of journal/recovery_policy alone, without files: for each recovery
// mode, the answer to each kind of event a journal scan reports.
#include "journal/recovery_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "journal/format.h"
#include "pa_journal/damage.h"

namespace pa_journal {
namespace {

using Kind = ScanEvent::Kind;
using Verdict = PolicyAnswer::Verdict;

constexpr uint64_t kFrames = format::kSegmentHeaderSize + 64;

ScanEvent torn_tail_in_newest_segment() {
  ScanEvent event;
  event.kind = Kind::kDamage;
  event.damage = Damage::torn_tail("journal/000000000000000021.log", kFrames, 17,
                                   "frame runs past the end of the segment");
  event.torn_tail = true;
  event.last_good_seq = 30;
  return event;
}

ScanEvent corruption_mid_journal() {
  ScanEvent event;
  event.kind = Kind::kDamage;
  event.damage = Damage::corruption("journal/000000000000000001.log", kFrames, 40,
                                    "checksum mismatch");
  event.last_good_seq = 7;
  return event;
}

ScanEvent corruption_the_snapshot_may_cover() {
  ScanEvent event = corruption_mid_journal();
  event.maybe_covered = true;
  return event;
}

ScanEvent corruption_shown_covered() {
  ScanEvent event = corruption_mid_journal();
  event.covered = true;
  return event;
}

ScanEvent gap_covered_by_snapshot() {
  ScanEvent event;
  event.kind = Kind::kGap;
  event.covered = true;
  event.last_good_seq = 4;
  return event;
}

ScanEvent gap_not_covered() {
  ScanEvent event;
  event.kind = Kind::kGap;
  event.damage =
      Damage::missing_records("journal/000000000000000021.log", 0, 11, 20,
                              "segment starts past the end of the previous one");
  event.last_good_seq = 10;
  return event;
}

ScanEvent of_kind(Kind kind) {
  ScanEvent event;
  event.kind = kind;
  event.last_good_seq = 12;
  return event;
}

Verdict verdict(RecoveryMode mode, const ScanEvent& event) {
  return policy_for(mode)(event).verdict;
}

constexpr RecoveryMode kAllModes[] = {RecoveryMode::kStrict, RecoveryMode::kTolerateTail,
                                      RecoveryMode::kPointInTime, RecoveryMode::kSalvage};

TEST(RecoveryPolicyTest, EveryModeGoesOnAtRecordsLossMarkersAndTheEnd) {
  for (RecoveryMode mode : kAllModes) {
    EXPECT_EQ(verdict(mode, of_kind(Kind::kRecord)), Verdict::kGoOn);
    EXPECT_EQ(verdict(mode, of_kind(Kind::kLossMarker)), Verdict::kGoOn);
    EXPECT_EQ(verdict(mode, of_kind(Kind::kEnd)), Verdict::kGoOn);
  }
}

TEST(RecoveryPolicyTest, EveryModeGoesOnAtAGapTheSnapshotCovers) {
  for (RecoveryMode mode : kAllModes) {
    EXPECT_EQ(verdict(mode, gap_covered_by_snapshot()), Verdict::kGoOn);
  }
}

TEST(RecoveryPolicyTest, StrictRefusesATornTailInTheNewestSegment) {
  PolicyAnswer answer = strict_policy(torn_tail_in_newest_segment());
  EXPECT_EQ(answer.verdict, Verdict::kRefuse);
  EXPECT_EQ(answer.refusal, describe_refusal(torn_tail_in_newest_segment().damage, 30));
  EXPECT_NE(answer.refusal.find("tolerate-tail"), std::string::npos);
}

TEST(RecoveryPolicyTest, StrictRefusesCorruptionMidJournalNamingTheLastGoodSeq) {
  PolicyAnswer answer = strict_policy(corruption_mid_journal());
  EXPECT_EQ(answer.verdict, Verdict::kRefuse);
  EXPECT_NE(answer.refusal.find("last good record before it: seq 7"), std::string::npos);
  EXPECT_NE(answer.refusal.find("point-in-time"), std::string::npos);
}

TEST(RecoveryPolicyTest, StrictRefusesDamageEvenWhereTheSnapshotMayCoverIt) {
  EXPECT_EQ(strict_policy(corruption_the_snapshot_may_cover()).verdict, Verdict::kRefuse);
  EXPECT_EQ(strict_policy(corruption_shown_covered()).verdict, Verdict::kRefuse);
}

TEST(RecoveryPolicyTest, StrictRefusesAGapNoSnapshotCovers) {
  PolicyAnswer answer = strict_policy(gap_not_covered());
  EXPECT_EQ(answer.verdict, Verdict::kRefuse);
  EXPECT_EQ(answer.refusal, describe_refusal(gap_not_covered().damage, 10));
}

TEST(RecoveryPolicyTest, TolerateTailCutsATornTailInTheNewestSegment) {
  EXPECT_EQ(tolerate_tail_policy(torn_tail_in_newest_segment()).verdict, Verdict::kCut);
}

TEST(RecoveryPolicyTest, TolerateTailRefusesCorruptionMidJournal) {
  PolicyAnswer answer = tolerate_tail_policy(corruption_mid_journal());
  EXPECT_EQ(answer.verdict, Verdict::kRefuse);
  EXPECT_EQ(answer.refusal, describe_refusal(corruption_mid_journal().damage, 7));
}

TEST(RecoveryPolicyTest, TolerateTailWaitsOnDamageTheSnapshotMayCoverAndGoesOnIfItDoes) {
  EXPECT_EQ(tolerate_tail_policy(corruption_the_snapshot_may_cover()).verdict,
            Verdict::kWait);
  EXPECT_EQ(tolerate_tail_policy(corruption_shown_covered()).verdict, Verdict::kGoOn);
}

TEST(RecoveryPolicyTest, TolerateTailRefusesAGapNoSnapshotCovers) {
  EXPECT_EQ(tolerate_tail_policy(gap_not_covered()).verdict, Verdict::kRefuse);
}

TEST(RecoveryPolicyTest, PointInTimeCutsATornTailInTheNewestSegment) {
  EXPECT_EQ(point_in_time_policy(torn_tail_in_newest_segment()).verdict, Verdict::kCut);
}

TEST(RecoveryPolicyTest, PointInTimeCutsAtCorruptionMidJournal) {
  EXPECT_EQ(point_in_time_policy(corruption_mid_journal()).verdict, Verdict::kCut);
}

TEST(RecoveryPolicyTest, PointInTimeWaitsOnDamageTheSnapshotMayCoverAndGoesOnIfItDoes) {
  EXPECT_EQ(point_in_time_policy(corruption_the_snapshot_may_cover()).verdict,
            Verdict::kWait);
  EXPECT_EQ(point_in_time_policy(corruption_shown_covered()).verdict, Verdict::kGoOn);
}

TEST(RecoveryPolicyTest, PointInTimeCutsAtAGapNoSnapshotCovers) {
  EXPECT_EQ(point_in_time_policy(gap_not_covered()).verdict, Verdict::kCut);
}

TEST(RecoveryPolicyTest, SalvageCutsATornTailInTheNewestSegment) {
  EXPECT_EQ(salvage_policy(torn_tail_in_newest_segment()).verdict, Verdict::kCut);
}

TEST(RecoveryPolicyTest, SalvageSkipsCorruptionMidJournalWithoutWaiting) {
  EXPECT_EQ(salvage_policy(corruption_mid_journal()).verdict, Verdict::kSkip);
  EXPECT_EQ(salvage_policy(corruption_the_snapshot_may_cover()).verdict, Verdict::kSkip);
}

TEST(RecoveryPolicyTest, SalvageSkipsAGapNoSnapshotCovers) {
  EXPECT_EQ(salvage_policy(gap_not_covered()).verdict, Verdict::kSkip);
}

TEST(RecoveryPolicyTest, OnlyARefusalCarriesText) {
  for (RecoveryMode mode : kAllModes) {
    for (const ScanEvent& event :
         {torn_tail_in_newest_segment(), corruption_mid_journal(), gap_not_covered(),
          gap_covered_by_snapshot(), of_kind(Kind::kLossMarker)}) {
      PolicyAnswer answer = policy_for(mode)(event);
      EXPECT_EQ(answer.verdict == Verdict::kRefuse, !answer.refusal.empty());
    }
  }
}

TEST(RecoveryPolicyTest, EachModeHasItsOwnPolicy) {
  EXPECT_EQ(policy_for(RecoveryMode::kStrict), &strict_policy);
  EXPECT_EQ(policy_for(RecoveryMode::kTolerateTail), &tolerate_tail_policy);
  EXPECT_EQ(policy_for(RecoveryMode::kPointInTime), &point_in_time_policy);
  EXPECT_EQ(policy_for(RecoveryMode::kSalvage), &salvage_policy);
}

}  // namespace
}  // namespace pa_journal
