// A snapshot written from views of a frozen state (store/compactor.h
// state_views, what compaction writes from) is the snapshot written from the
// state's materialized copy, byte for byte: collection files, key indexes and
// manifest. The state holds trees several levels deep, keys that need
// escaping or are UTF-8, an emptied collection, and documents changed after the
// freeze (which the views must not see).
#include <gtest/gtest.h>

#include <string>

#include "pa_journal/file_system.h"
#include "replay/state.h"
#include "snapshot/catalogue.h"
#include "store/compactor.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::files_under;
using testing::TempDir;

constexpr int64_t kTimeNs = 1'795'600'800'000'000'000;  // 2026-11-25T10:00:00Z

Record put(uint64_t seq, const std::string& collection, const std::string& key,
           const std::string& doc) {
  return {seq,
          kTimeNs + static_cast<int64_t>(seq),
          {{OpKind::kPut, collection, key, doc}},
          {}};
}

// 6,000 contacts (a tree three levels deep), odd keys, a few notes, and a
// collection whose only document was removed.
State sample_state(uint64_t* seq) {
  State state;
  for (int i = 0; i < 6000; ++i) {
    std::string key = "c" + std::to_string(i * 7919 % 6000);
    state.apply(put(++*seq, "contacts", key,
                    R"({"name":"Contact )" + std::to_string(i) + R"(","n":)" +
                        std::to_string(i) + "}"));
  }
  for (const std::string key :
       {"quote\"d", "back\\slash", "caf\xc3\xa9", "\xe2\x82\xac-euro"}) {
    state.apply(put(++*seq, "notes", key, R"({"text":"é and \"q\""})"));
  }
  state.apply(put(++*seq, "gone", "only", "1"));
  state.apply({++*seq, kTimeNs, {{OpKind::kDelete, "gone", "only", ""}}, {}});
  return state;
}

TEST(SnapshotViewsTest, SnapshotFromViewsIsByteIdenticalToOneFromACopy) {
  uint64_t seq = 0;
  State state = sample_state(&seq);
  StateVersion version = state.freeze();
  // Changes after the freeze: a view reads the frozen version, not these.
  state.apply(put(seq + 1, "contacts", "c1", R"({"changed":true})"));
  state.apply(put(seq + 2, "contacts", "zzz", "2"));
  state.apply(put(seq + 3, "later", "k", "3"));
  TempDir copied, viewed;
  auto fs = posix_file_system();
  SnapshotInfo a = write_snapshot(*fs, copied.path(), version.materialize(), seq,
                                  version.last_time_ns());
  SnapshotInfo b = write_snapshot(*fs, viewed.path(), state_views(version), seq,
                                  version.last_time_ns());
  EXPECT_EQ(serialize_manifest(a), serialize_manifest(b));
  testing::Files from_copy = files_under(copied.path());
  // A collection file and its key index per collection, and the manifest.
  ASSERT_EQ(a.files.size(), 3u);
  ASSERT_EQ(from_copy.size(), 7u);
  EXPECT_EQ(files_under(viewed.path()), from_copy);
}

TEST(SnapshotViewsTest, ViewsOfAnEmptyStateWriteNoCollectionFiles) {
  TempDir copied, viewed;
  auto fs = posix_file_system();
  StateVersion empty;
  write_snapshot(*fs, copied.path(), empty.materialize(), 1, kTimeNs);
  write_snapshot(*fs, viewed.path(), state_views(empty), 1, kTimeNs);
  EXPECT_EQ(files_under(viewed.path()), files_under(copied.path()));
}

}  // namespace
}  // namespace pa_journal
