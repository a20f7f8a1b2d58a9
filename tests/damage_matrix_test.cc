// The damage matrix (docs/design.md 8): every journal segment and every snapshot
// file of a store with two snapshots is damaged in turn (truncated, a 512-byte
// sector zeroed, a range overwritten with garbage, one bit flipped, removed) at
// offsets across the file, and the store is opened under each recovery mode.
// Each outcome is the one the mode promises (include/pa_journal/options.h,
// docs/reliability.md), computed here from which records' bytes changed:
//
//   strict         refuses any damage the replay reads (CorruptedDataError
//                  naming the segment);
//   tolerate-tail  opens with the records before a damaged tail of the newest
//                  segment (a cut one always), opens whole when only records
//                  the snapshot covers are damaged, refuses anything else;
//   point-in-time  opens with every record before the first damaged one;
//   salvage        opens with every undamaged record and names the lost ones.
//
// Damage in a snapshot never refuses: the open falls back to the older
// snapshot and reports it, naming the file. Damage to a key index changes
// nothing; a read-only open, lazy or not, lists the same state and reports
// the index it could not use, and verify names it as harmless to data. Every open must
// also reopen to the same state, allocate nothing near a damaged length, and never hand
// out a record that was not written (each record puts its own key).
//
// CI samples offsets with a fixed stride plus a seeded random set;
// PA_JOURNAL_DAMAGE_FULL=1 damages every offset (PA_JOURNAL_DAMAGE_SEED=N
// changes the random set).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "snapshot/catalogue.h"
#include "tests/test_util.h"

// --- the largest single allocation, watched while a damaged store opens ---
//
// Not under AddressSanitizer, whose own operator new/delete pairing the
// replacement would break; ASan fails oversized allocations by itself.

#if defined(__SANITIZE_ADDRESS__)
#define PA_JOURNAL_WATCH_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PA_JOURNAL_WATCH_ALLOCATIONS 0
#endif
#endif
#ifndef PA_JOURNAL_WATCH_ALLOCATIONS
#define PA_JOURNAL_WATCH_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_watching{false};
std::atomic<size_t> g_largest{0};
}  // namespace

#if PA_JOURNAL_WATCH_ALLOCATIONS
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // new is malloc here
#endif

void* operator new(size_t size) {
  if (g_watching.load(std::memory_order_relaxed)) {
    size_t seen = g_largest.load(std::memory_order_relaxed);
    while (size > seen && !g_largest.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#endif  // PA_JOURNAL_WATCH_ALLOCATIONS

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int kRecords = 40;
constexpr uint64_t kOlderSnapshotSeq = 15;
constexpr uint64_t kNewestSnapshotSeq = 28;
constexpr size_t kMaxAllocation = 1 << 20;  // the whole store is a few KB
constexpr RecoveryMode kModes[] = {RecoveryMode::kStrict, RecoveryMode::kTolerateTail,
                                   RecoveryMode::kPointInTime, RecoveryMode::kSalvage};

const char* collection_of(uint64_t seq) {
  static const char* kNames[] = {"contacts", "notes", "config"};
  return kNames[seq % 3];
}
std::string doc(uint64_t seq) { return R"({"record":)" + std::to_string(seq) + "}"; }

// The state after exactly the records 1..kRecords not in lost.
Collections state_without(const std::set<uint64_t>& lost) {
  Collections state;
  for (uint64_t seq = 1; seq <= kRecords; ++seq) {
    if (!lost.count(seq)) state[collection_of(seq)]["r" + std::to_string(seq)] = doc(seq);
  }
  return state;
}

bool full_sweep() {
  const char* full = std::getenv("PA_JOURNAL_DAMAGE_FULL");
  return full != nullptr && std::string(full) == "1";
}

uint32_t seed() {
  const char* text = std::getenv("PA_JOURNAL_DAMAGE_SEED");
  return text ? static_cast<uint32_t>(std::strtoul(text, nullptr, 10)) : 20261125;
}

// --- damage ---

enum class Harm { kTruncate, kZeroSector, kGarbage, kBitFlip, kRemove };

struct Harming {
  Harm harm = Harm::kTruncate;
  std::string file;  // relative to the store
  uint64_t offset = 0;
  uint64_t length = 0;  // kGarbage: bytes overwritten
  uint32_t bit = 0;     // kBitFlip
  uint32_t salt = 0;    // kGarbage: seeds the bytes

  std::string describe() const {
    const char* names[] = {"truncated at", "512-byte sector zeroed at",
                           "garbage written at", "bit flipped at", "removed"};
    std::string text = file + " " + names[static_cast<int>(harm)];
    if (harm == Harm::kRemove) return text;
    text += " offset " + std::to_string(offset);
    if (harm == Harm::kGarbage) text += " (" + std::to_string(length) + " bytes)";
    if (harm == Harm::kBitFlip) text += " (bit " + std::to_string(bit) + ")";
    return text;
  }

  // The damaged bytes of original (unused for kRemove).
  std::string apply(std::string data) const {
    switch (harm) {
      case Harm::kTruncate:
        data.resize(offset);
        break;
      case Harm::kZeroSector:
        std::fill(data.begin() + offset,
                  data.begin() + std::min<uint64_t>(offset + 512, data.size()), '\0');
        break;
      case Harm::kGarbage: {
        std::mt19937 random(salt);
        for (uint64_t i = offset; i < std::min<uint64_t>(offset + length, data.size());
             ++i)
          data[i] = static_cast<char>(random());
        break;
      }
      case Harm::kBitFlip:
        data[offset] = static_cast<char>(data[offset] ^ (1u << bit));
        break;
      case Harm::kRemove:
        break;
    }
    return data;
  }
};

// Every kind of damage to a file of size bytes at sampled offsets (every
// offset in a full sweep), plus every offset in extra (frame boundaries).
std::vector<Harming> harmings(const std::string& file, uint64_t size,
                              const std::vector<uint64_t>& extra) {
  std::set<uint64_t> offsets(extra.begin(), extra.end());
  std::mt19937 random(seed() ^ static_cast<uint32_t>(std::hash<std::string>()(file)));
  uint64_t stride = full_sweep() ? 1 : std::max<uint64_t>(1, size / 8);
  for (uint64_t at = 0; at < size; at += stride) offsets.insert(at);
  for (int i = 0; i < 4; ++i) offsets.insert(random() % size);
  offsets.insert(size - 1);
  std::vector<Harming> out;
  for (uint64_t at : offsets) {
    if (at >= size) continue;
    out.push_back({Harm::kTruncate, file, at});
    out.push_back({Harm::kBitFlip, file, at, 0, static_cast<uint32_t>(random() % 8)});
    out.push_back({Harm::kGarbage, file, at, 1 + random() % 64, 0,
                   static_cast<uint32_t>(random())});
  }
  for (uint64_t at = 0; at < size; at += 512)
    out.push_back({Harm::kZeroSector, file, at});
  out.push_back({Harm::kRemove, file});
  return out;
}

// --- the store ---

struct SegmentLayout {
  std::string file;  // "journal/<name>"
  uint64_t first_seq = 0;
  std::string bytes;
  std::vector<testing::FrameSpan> frames;  // frame k holds record first_seq + k
  bool read = false;                       // the replay from the newest snapshot reads it
  bool newest = false;
};

struct Expectation {
  bool may_refuse = false;
  bool must_refuse = false;
  Collections state;           // if it opens
  std::set<uint64_t> lost;     // salvage: every lost record the report must name
  std::set<uint64_t> damaged;  // records whose bytes changed (or that are gone)
  std::string fallback_file;   // snapshot damage the open must report, if any
  std::string may_report;      // snapshot damage the open may report
  std::string snapshot_id;     // the snapshot the open must load
  // A refusal names one of these: the damaged segment, or the next one when
  // the damage is records missing before it.
  std::set<std::string> refusal_files;
};

class DamageMatrixTest : public ::testing::TestWithParam<RecoveryMode> {
 protected:
  static void SetUpTestSuite() {
    template_ = new TempDir;
    Options options;
    options.durability = Durability::kNone;
    options.auto_compact = false;
    options.segment_bytes = 700;
    options.backup_count = 2;
    {
      auto store = Store::open(template_->path(), options);
      for (uint64_t seq = 1; seq <= kRecords; ++seq) {
        store->put(collection_of(seq), "r" + std::to_string(seq), doc(seq));
        if (seq == kOlderSnapshotSeq) store->compact();
        if (seq != kNewestSnapshotSeq) continue;
        // A segment the newest snapshot covers only in part, as a store
        // compacted before compaction rolled the journal has (or one with
        // commits between the roll and the capture): this compaction runs
        // with segments too large for its roll (store/compactor.h, step 0).
        store.reset();
        Options wide = options;
        wide.segment_bytes = 1 << 20;
        Store::open(template_->path(), wide)->compact();
        store = Store::open(template_->path(), options);
      }
    }
    auto segments = list_segments(*posix_file_system(), template_->path() + "/journal");
    for (size_t i = 0; i < segments.size(); ++i) {
      SegmentLayout s;
      s.file = "journal/" + segments[i].name;
      s.first_seq = segments[i].first_seq;
      s.bytes = testing::read_bytes(template_->path() + "/" + s.file);
      s.frames = testing::frames_of(s.bytes);
      s.newest = i + 1 == segments.size();
      s.read = s.newest || segments[i + 1].first_seq > kNewestSnapshotSeq + 1;
      segments_.push_back(std::move(s));
    }
    snapshots_ = list_snapshots(*posix_file_system(), template_->path() + "/backups");
  }

  static void TearDownTestSuite() {
    delete template_;
    segments_.clear();
  }

  // One damaged copy of the store opened in the mode under test, checked
  // against expected; returns whether it opened.
  bool open_damaged(const Harming& harming, const Expectation& expected) {
    SCOPED_TRACE(harming.describe() + ", " + std::string(to_string(GetParam())));
    TempDir dir;
    fs::copy(template_->path(), dir.path(), fs::copy_options::recursive);
    std::string path = dir.path() + "/" + harming.file;
    if (harming.harm == Harm::kRemove) {
      fs::remove(path);
    } else {
      testing::write_bytes(path, harming.apply(testing::read_bytes(path)));
    }
    Options options;
    options.recovery = GetParam();
    options.auto_compact = false;
    std::unique_ptr<Store> store;
    g_largest = 0;
    g_watching = true;
    try {
      store = Store::open(dir.path(), options);
    } catch (const CorruptedDataError& e) {
      g_watching = false;
      EXPECT_TRUE(expected.may_refuse) << "refused: " << e.what();
      EXPECT_TRUE(expected.refusal_files.count(e.file())) << e.what();
      return false;
    } catch (const StorageError& e) {
      g_watching = false;
      expect_salvage_in_place_refused(dir.path(), e, expected);
      return false;
    } catch (const std::exception& e) {
      g_watching = false;
      ADD_FAILURE() << "not a StorageError: " << e.what();
      return false;
    }
    g_watching = false;
    EXPECT_LE(g_largest.load(), kMaxAllocation);
    EXPECT_FALSE(expected.must_refuse) << "opened: " << store->recovery().summary();
    const RecoveryReport& report = store->recovery();
    EXPECT_EQ(store->state(), expected.state) << report.summary();
    if (!expected.snapshot_id.empty()) {
      EXPECT_EQ(report.snapshot_id, expected.snapshot_id);
    }
    expect_fallback(report, expected.fallback_file, expected.may_report);
    if (GetParam() == RecoveryMode::kSalvage) expect_losses_named(report, expected);
    store.reset();
    try {  // the repair it made, if any, holds: the same mode opens the same
      EXPECT_EQ(Store::open(dir.path(), options)->state(), expected.state);
    } catch (const StorageError& e) {
      ADD_FAILURE() << "second open: " << e.what();
    }
    return true;
  }

  // A read-only open of the damaged copy (lazy: through the key indexes while
  // they and the blocks it reads verify) lists exactly the expected state.
  void expect_read_only_reads(const Harming& harming, const Expectation& expected) {
    SCOPED_TRACE("read-only, " + harming.describe());
    TempDir dir;
    fs::copy(template_->path(), dir.path(), fs::copy_options::recursive);
    std::string path = dir.path() + "/" + harming.file;
    if (harming.harm == Harm::kRemove) {
      fs::remove(path);
    } else {
      testing::write_bytes(path, harming.apply(testing::read_bytes(path)));
    }
    Options options;
    options.recovery = GetParam();
    options.read_only = true;
    auto store = Store::open(dir.path(), options);
    std::vector<std::string> names;
    for (const auto& [name, docs] : expected.state) {
      names.push_back(name);
      std::vector<std::pair<std::string, std::string>> want(docs.begin(), docs.end());
      EXPECT_EQ(store->list(name), want) << name;
      EXPECT_EQ(store->count(name), want.size()) << name;
      if (!want.empty()) {
        EXPECT_EQ(store->get(name, want.back().first), want.back().second);
      }
    }
    EXPECT_EQ(store->collections(), names);
  }

  // A damaged key index (derived): verify names it, at an offset inside it,
  // as harmless with the remedy, and exits ok; a read-only open of the
  // newest snapshot reports that it read the JSON instead.
  void expect_index_damage_reported(const Harming& harming, bool newest) {
    SCOPED_TRACE("verify, " + harming.describe());
    TempDir dir;
    fs::copy(template_->path(), dir.path(), fs::copy_options::recursive);
    std::string path = dir.path() + "/" + harming.file;
    std::string original = testing::read_bytes(path);
    bool changed = harming.harm == Harm::kRemove || harming.apply(original) != original;
    if (harming.harm == Harm::kRemove) {
      fs::remove(path);
    } else {
      testing::write_bytes(path, harming.apply(original));
    }
    VerifyResult verified = verify_store(dir.path());
    EXPECT_TRUE(verified.ok()) << verified.damage.size();
    ASSERT_EQ(verified.derived.size(), changed ? 1u : 0u);
    if (changed) {
      const Damage& d = verified.derived.front();
      EXPECT_EQ(d.file, harming.file);
      EXPECT_LE(d.offset, original.size());
      EXPECT_NE(d.reason.find("harmless to data"), std::string::npos) << d.reason;
      EXPECT_NE(d.reason.find("pa-journal compact"), std::string::npos) << d.reason;
    }
    if (!newest) return;
    Options options;
    options.read_only = true;
    RecoveryReport report = Store::open(dir.path(), options)->recovery();
    ASSERT_EQ(report.index_fallbacks.size(), changed ? 1u : 0u) << report.summary();
    if (changed) {
      EXPECT_EQ(report.index_fallbacks.front().file, harming.file);
    }
  }

  // A writable salvage open refuses damage that its in-place repair cannot
  // rewrite (too short for a loss marker, a segment shorter than its header);
  // a read-only salvage open (what `pa-journal replay --mode salvage --out`
  // does) must still give every valid record.
  void expect_salvage_in_place_refused(const std::string& dir, const StorageError& e,
                                       const Expectation& expected) {
    if (GetParam() != RecoveryMode::kSalvage ||
        std::string(e.what()).find("in place") == std::string::npos) {
      ADD_FAILURE() << "not a CorruptedDataError: " << e.what();
      return;
    }
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kSalvageReplay) << "no advice: " << e.what();
    ++refused_in_place_;
    Options options;
    options.recovery = RecoveryMode::kSalvage;
    options.read_only = true;
    try {
      EXPECT_EQ(Store::open(dir, options)->state(), expected.state);
    } catch (const StorageError& error) {
      ADD_FAILURE() << "read-only salvage: " << error.what();
    }
  }

  static void expect_fallback(const RecoveryReport& report, const std::string& file,
                              const std::string& may_report) {
    if (file.empty()) {
      for (const Damage& d : report.snapshot_fallbacks)
        EXPECT_EQ(d.file, may_report) << report.summary();
      return;
    }
    bool named =
        std::any_of(report.snapshot_fallbacks.begin(), report.snapshot_fallbacks.end(),
                    [&](const Damage& d) { return d.file == file; });
    EXPECT_TRUE(named) << "no fallback names " << file << ": " << report.summary();
  }

  // Salvage names exactly the records it lost: every one lost before the
  // last record delivered, and none that was not damaged.
  static void expect_losses_named(const RecoveryReport& report,
                                  const Expectation& expected) {
    std::set<uint64_t> named;
    for (const Damage& d : report.damage) {
      for (uint64_t seq = d.first_seq; d.first_seq > 0 && seq <= d.last_seq; ++seq)
        named.insert(seq);
    }
    for (uint64_t seq : named)
      EXPECT_TRUE(expected.damaged.count(seq)) << "record " << seq << " named as lost";
    for (uint64_t seq : expected.lost)
      EXPECT_TRUE(named.count(seq)) << "lost record " << seq << " not named";
  }

  // What the mode promises when harming hits segment s.
  static Expectation for_segment(size_t index, const Harming& harming) {
    const SegmentLayout& s = segments_[index];
    const uint64_t covered = kNewestSnapshotSeq;
    bool removed = harming.harm == Harm::kRemove;
    std::string bytes = removed ? std::string() : harming.apply(s.bytes);
    auto changed = [&](uint64_t offset, uint64_t size) {
      return removed || bytes.size() < offset + size ||
             bytes.compare(offset, size, s.bytes, offset, size) != 0;
    };
    bool header = !removed && changed(0, format::kSegmentHeaderSize);
    std::set<uint64_t> lost, damaged;  // lost: past the snapshot
    bool suffix = true;                // every frame after a damaged one is damaged
    for (size_t k = 0; k < s.frames.size(); ++k) {
      uint64_t seq = s.first_seq + k;
      if (changed(s.frames[k].offset, s.frames[k].size)) {
        damaged.insert(seq);
        if (seq > covered) lost.insert(seq);
      } else if (!damaged.empty()) {
        suffix = false;
      }
    }
    // A cut at a record boundary of the newest segment (or its removal) is a
    // shorter journal: no check can see it, in any mode.
    bool invisible =
        s.newest &&
        (removed || (harming.harm == Harm::kTruncate &&
                     harming.offset >= format::kSegmentHeaderSize &&
                     std::any_of(s.frames.begin(), s.frames.end(), [&](const auto& f) {
                       return f.offset == harming.offset;
                     })));
    Expectation e;
    e.damaged = damaged;
    e.refusal_files.insert(s.file);
    if (index + 1 < segments_.size()) e.refusal_files.insert(segments_[index + 1].file);
    e.snapshot_id = snapshots_.front().id;
    if (!s.read || (damaged.empty() && !header)) {
      e.state = state_without({});
      return e;
    }
    if (invisible) {
      e.state = state_without(lost);
      return e;
    }
    uint64_t first_lost = lost.empty() ? UINT64_MAX : *lost.begin();
    if (header) first_lost = std::min(first_lost, std::max(s.first_seq, covered + 1));
    uint64_t last_kept = kRecords;
    while (last_kept > 0 && lost.count(last_kept)) --last_kept;
    std::set<uint64_t> after_first;
    for (uint64_t seq = first_lost; seq <= kRecords; ++seq) after_first.insert(seq);
    switch (GetParam()) {
      case RecoveryMode::kStrict:
        e.must_refuse = header || !lost.empty();
        e.may_refuse = true;  // covered records cut at a boundary go unseen
        e.state = state_without({});
        break;
      case RecoveryMode::kTolerateTail: {
        bool torn_tail = s.newest && !lost.empty() && suffix;
        e.must_refuse = !torn_tail && (header || !lost.empty());
        e.may_refuse = torn_tail && harming.harm != Harm::kTruncate;
        e.may_refuse = e.may_refuse || e.must_refuse;
        e.state = state_without(lost);
        break;
      }
      case RecoveryMode::kPointInTime:
        e.state = state_without(after_first);
        break;
      case RecoveryMode::kSalvage:
        e.state = state_without(lost);
        // Records after the last one delivered cannot be named.
        for (uint64_t seq : lost) {
          if (seq < last_kept) e.lost.insert(seq);
        }
        break;
    }
    return e;
  }

  // Damage to a snapshot file: never refused; the newest snapshot is passed
  // over (and the file named) unless the damage left its meaning intact.
  static Expectation for_snapshot(const SnapshotInfo& snapshot, bool newest,
                                  const Harming& harming) {
    Expectation e;
    e.state = state_without({});
    e.snapshot_id = snapshots_.front().id;
    // A manifest that does not parse is reported even when not needed.
    if (!newest) e.may_report = harming.file;
    if (!newest) return e;
    std::string original = testing::read_bytes(template_->path() + "/" + harming.file);
    // A key index is derived: no damage to it changes what the store holds.
    if (harming.file.ends_with(".index")) return e;
    bool manifest = harming.file == "backups/" + snapshot.manifest_name();
    bool intact = harming.harm != Harm::kRemove && harming.apply(original) == original;
    if (manifest && harming.harm != Harm::kRemove) {
      try {  // whitespace at the end, for one, changes nothing
        intact = parse_manifest(harming.apply(original), harming.file).files.size() ==
                 snapshot.files.size();
      } catch (const CorruptedDataError&) {
      }
    }
    if (intact) return e;
    e.snapshot_id = snapshots_.back().id;
    e.fallback_file = harming.file;
    return e;
  }

  static TempDir* template_;
  static std::vector<SegmentLayout> segments_;
  static std::vector<SnapshotInfo> snapshots_;  // newest first
  size_t refused_in_place_ = 0;
};

TempDir* DamageMatrixTest::template_ = nullptr;
std::vector<SegmentLayout> DamageMatrixTest::segments_;
std::vector<SnapshotInfo> DamageMatrixTest::snapshots_;

TEST_P(DamageMatrixTest, TheStoreHasTheShapeTheMatrixNeeds) {
  ASSERT_EQ(snapshots_.size(), 2u);
  EXPECT_EQ(snapshots_.front().seq, kNewestSnapshotSeq);
  for (const auto& f : snapshots_.front().files) EXPECT_FALSE(f.index.empty()) << f.file;
  EXPECT_EQ(snapshots_.back().seq, kOlderSnapshotSeq);
  ASSERT_GE(segments_.size(), 4u);
  // A segment that the replay reads although the newest snapshot covers some
  // of its records, and a segment that it does not read at all.
  EXPECT_TRUE(std::any_of(segments_.begin(), segments_.end(), [](const auto& s) {
    return s.read && s.first_seq <= kNewestSnapshotSeq;
  }));
  EXPECT_FALSE(segments_.front().read);
}

TEST_P(DamageMatrixTest, EverySegmentUnderEveryDamageGivesTheModesOutcome) {
  size_t cases = 0, opened = 0;
  for (size_t index = 0; index < segments_.size(); ++index) {
    const SegmentLayout& s = segments_[index];
    std::vector<uint64_t> boundaries;
    for (const auto& f : s.frames) boundaries.push_back(f.offset);
    for (const Harming& harming : harmings(s.file, s.bytes.size(), boundaries)) {
      opened += open_damaged(harming, for_segment(index, harming));
      ++cases;
      if (HasFailure()) return;  // one clear failure, not hundreds
    }
  }
  RecordProperty("damage_cases", std::to_string(cases));
  RecordProperty("opened", std::to_string(opened));
  RecordProperty("salvage_refused_in_place", std::to_string(refused_in_place_));
}

TEST_P(DamageMatrixTest, EverySnapshotFileUnderEveryDamageIsPassedOverOrHarmless) {
  size_t cases = 0;
  for (size_t i = 0; i < snapshots_.size(); ++i) {
    std::vector<std::string> files{"backups/" + snapshots_[i].manifest_name()};
    for (const auto& f : snapshots_[i].files) {
      files.push_back("backups/" + f.file);
      if (!f.index.empty()) files.push_back("backups/" + f.index);
    }
    for (const std::string& file : files) {
      uint64_t size = fs::file_size(template_->path() + "/" + file);
      for (const Harming& harming : harmings(file, size, {})) {
        Expectation expected = for_snapshot(snapshots_[i], i == 0, harming);
        expect_read_only_reads(harming, expected);
        EXPECT_TRUE(open_damaged(harming, expected));
        if (file.ends_with(".index") && GetParam() == RecoveryMode::kTolerateTail)
          expect_index_damage_reported(harming, i == 0);
        ++cases;
        if (HasFailure()) return;
      }
    }
  }
  RecordProperty("damage_cases", std::to_string(cases));
}

INSTANTIATE_TEST_SUITE_P(Modes, DamageMatrixTest, ::testing::ValuesIn(kModes),
                         [](const auto& param) {
                           std::string name(to_string(param.param));
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace pa_journal
