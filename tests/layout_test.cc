// The store's layout (journal/layout.h): every builder's name, and the parser
// as its inverse, refusing names that only look like the store's.
#include "journal/layout.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pa_journal/record.h"
#include "snapshot/seed_layout.h"

namespace pa_journal {
namespace {

TEST(LayoutTest, JoinPathJoinsWithOneSlashAndLeavesAnEmptyFolderOut) {
  EXPECT_EQ(join_path("/s", "LOCK"), "/s/LOCK");
  EXPECT_EQ(join_path("", "LOCK"), "LOCK");
}

TEST(LayoutTest, BuildersGiveTheDocumentedNames) {
  EXPECT_EQ(journal_dir("/s"), "/s/journal");
  EXPECT_EQ(backups_dir("/s"), "/s/backups");
  EXPECT_EQ(adopted_dir("/s"), "/s/backups/adopted");
  EXPECT_EQ(quarantine_dir("/s/journal"), "/s/journal/quarantine");
  EXPECT_EQ(lock_file_name("/s"), "/s/LOCK");
  EXPECT_EQ(storage_log_file_name("/s"), "/s/storage.log");
  EXPECT_EQ(adoption_record_file_name("/s"), "/s/backups/adopted/adoption.json");
  EXPECT_EQ(adopted_file_name("/s", "contacts.json"), "/s/backups/adopted/contacts.json");
  EXPECT_EQ(adopted_path("backups/a.json"), "backups/adopted/backups/a.json");
  EXPECT_EQ(state_file_name("/s", "contacts"), "/s/contacts.json");
  EXPECT_EQ(export_manifest_file_name("/e"), "/e/manifest.json");
  EXPECT_EQ(temp_file_name("/s/contacts.json"), "/s/contacts.json.tmp");
  EXPECT_EQ(segment_file_name("/s/journal", 42), "/s/journal/00000000000000000042.log");
  EXPECT_EQ(manifest_file_name("/b", "20261125_100000"),
            "/b/20261125_100000.manifest.json");
  EXPECT_EQ(intent_file_name("/b", "20261125_100000"), "/b/20261125_100000.pending.json");
  EXPECT_EQ(tombstone_file_name("/b", "20261125_100000_2"),
            "/b/20261125_100000_2.removing.json");
  EXPECT_EQ(snapshot_file_name("contacts", "20261125_100000"),
            "contacts_20261125_100000.json");
  EXPECT_EQ(quarantine_name("00000000000000000001.log", 96, 1764064800),
            "00000000000000000001.log.from-96.1764064800");
  EXPECT_EQ(in_journal("x.log"), "journal/x.log");
  EXPECT_EQ(in_backups("x.json"), "backups/x.json");
  EXPECT_EQ(store_id_file_name("/s"), "/s/STORE_ID");
  EXPECT_EQ(store_id_temp_file_name("/s", "0a1b"), "/s/STORE_ID.0a1b.tmp");
  EXPECT_EQ(replicas_dir("/s"), "/s/replicas");
  EXPECT_EQ(replica_position_file_name("/s", "PA_JOURNAL"),
            "/s/replicas/PA_JOURNAL.json");
  EXPECT_EQ(replica_lock_file_name("/s", "PA_JOURNAL"), "/s/replicas/PA_JOURNAL.lock");
}

FileName parsed(const std::string& name) {
  std::optional<FileName> out = parse_file_name(name);
  EXPECT_TRUE(out.has_value()) << name;
  return out.value_or(FileName{});
}

TEST(LayoutTest, ParserReadsBackWhatTheBuildersWrite) {
  EXPECT_EQ(parsed("LOCK").type, FileType::kLock);
  EXPECT_EQ(parsed("storage.log").type, FileType::kStorageLog);
  FileName segment = parsed(in_journal(segment_name(42)));
  EXPECT_EQ(segment.type, FileType::kSegment);
  EXPECT_EQ(segment.number, 42u);
  FileName max = parsed(in_journal(segment_name(UINT64_MAX)));
  EXPECT_EQ(max.number, UINT64_MAX);
  FileName state = parsed(state_name("contacts"));
  EXPECT_EQ(state.type, FileType::kStateFile);
  EXPECT_EQ(state.collection, "contacts");
  for (std::string id : {"20261125_100000", "20261125_100000_2"}) {
    EXPECT_EQ(parsed(in_backups(manifest_name(id))).type, FileType::kManifest);
    EXPECT_EQ(parsed(in_backups(manifest_name(id))).id, id);
    EXPECT_EQ(parsed(in_backups(intent_name(id))).type, FileType::kIntent);
    EXPECT_EQ(parsed(in_backups(tombstone_name(id))).type, FileType::kTombstone);
    FileName file = parsed(in_backups(snapshot_file_name("my_list", id)));
    EXPECT_EQ(file.type, FileType::kSnapshotFile);
    EXPECT_EQ(file.collection, "my_list");
    EXPECT_EQ(file.id, id);
  }
}

TEST(LayoutTest, ParserReadsTheStoreIdAndTheReplicasPositions) {
  EXPECT_EQ(parsed("STORE_ID").type, FileType::kStoreId);
  FileName temp = parsed("STORE_ID.0123456789abcdef.tmp");
  EXPECT_EQ(temp.type, FileType::kTemp);
  EXPECT_EQ(temp.target, "STORE_ID");
  FileName position = parsed("replicas/PA_JOURNAL.json");
  EXPECT_EQ(position.type, FileType::kReplicaPosition);
  EXPECT_EQ(position.stream, "PA_JOURNAL");
  FileName lock = parsed("replicas/off-site_2.lock");
  EXPECT_EQ(lock.type, FileType::kReplicaLock);
  EXPECT_EQ(lock.stream, "off-site_2");
  FileName position_temp = parsed("replicas/S.json.tmp");
  EXPECT_EQ(position_temp.type, FileType::kTemp);
  EXPECT_EQ(position_temp.target, "replicas/S.json");
  for (const std::string& name : std::vector<std::string>{
           "STORE_ID.XY.tmp", "STORE_ID..tmp", "store_id", "STORE_ID2", "replicas",
           "replicas/", "replicas/.json", "replicas/a.b.json", "replicas/S.txt",
           "replicas/sub/S.json", "replicas/" + std::string(65, 'x') + ".json"}) {
    EXPECT_FALSE(parse_file_name(name).has_value()) << name;
  }
}

TEST(LayoutTest, ParserReadsTempQuarantineAndAdoptedFiles) {
  FileName temp = parsed(temp_file_name(in_backups(manifest_name("20261125_100000"))));
  EXPECT_EQ(temp.type, FileType::kTemp);
  EXPECT_EQ(temp.target, "backups/20261125_100000.manifest.json");
  EXPECT_EQ(parsed("contacts.json.tmp").target, "contacts.json");
  std::string copy = quarantine_name(segment_name(7), 96, 1764064800);
  FileName q = parsed(in_journal("quarantine/" + copy));
  EXPECT_EQ(q.type, FileType::kQuarantine);
  EXPECT_EQ(q.number, 7u);
  EXPECT_EQ(parsed(in_journal("quarantine/" + copy + ".3")).type, FileType::kQuarantine);
  EXPECT_EQ(parsed(in_journal("DURABLE")).type, FileType::kDurableEnd);
  EXPECT_EQ(parsed(in_journal("READERS")).type, FileType::kReadersLock);
  EXPECT_EQ(durable_end_file_name("s/journal"), "s/journal/DURABLE");
  EXPECT_EQ(readers_lock_file_name("s/journal"), "s/journal/READERS");
  EXPECT_EQ(parsed(adopted_path("adoption.json")).type, FileType::kAdoptionRecordFile);
  FileName kept = parsed(adopted_path("backups/contacts_20240115_120000.json"));
  EXPECT_EQ(kept.type, FileType::kAdoptedFile);
  EXPECT_EQ(kept.target, "backups/contacts_20240115_120000.json");
}

TEST(LayoutTest, ParserRefusesNearMissNames) {
  for (std::string name : {"",
                           "lock",
                           "LOCK2",
                           "journal",
                           "journal/",
                           "journal/42.log",
                           "journal/0000000000000000042.log",
                           "journal/000000000000000000042.log",
                           "journal/00000000000000000000.log",
                           "journal/0000000000000000004x.log",
                           "journal/00000000000000000042.log2",
                           "journal/quarantine/x.from-1.2",
                           "journal/quarantine/00000000000000000001.log.from-x.2",
                           "backups/2026112_100000.manifest.json",
                           "backups/20261125-100000.manifest.json",
                           "backups/20261125_100000_.manifest.json",
                           "backups/20261125_100000_x.pending.json",
                           "backups/.manifest.json",
                           "backups/contacts.json",
                           "backups/contacts_2026.json",
                           "backups/Contacts_20261125_100000.json",
                           "backups/_20261125_100000.json",
                           "Contacts.json",
                           ".json",
                           "contacts.JSON",
                           "a/contacts.json",
                           "x.tmp",
                           ".tmp",
                           "journal/quarantine"}) {
    EXPECT_FALSE(parse_file_name(name).has_value()) << name;
  }
}

TEST(LayoutTest, ParseBackupsNameReadsABaseNameInsideBackups) {
  std::optional<FileName> m = parse_backups_name("20261125_100000.manifest.json");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, FileType::kManifest);
  EXPECT_FALSE(parse_backups_name("LOCK").has_value());
}

TEST(LayoutTest, SnapshotIdsAreShapedAsStampsWithAnOptionalCount) {
  EXPECT_TRUE(is_snapshot_id("20261125_100000"));
  EXPECT_TRUE(is_snapshot_id("20261125_100000_12"));
  EXPECT_FALSE(is_snapshot_id("20261125_100000_"));
  EXPECT_FALSE(is_snapshot_id("20261125_10000a"));
  EXPECT_FALSE(is_snapshot_id("20261125_100000_1_2"));
  EXPECT_FALSE(is_snapshot_id("20261125100000"));
}

TEST(LayoutTest, SnapshotIdInFileNameTakesAnyPrefixButOnlyAShapedId) {
  EXPECT_EQ(snapshot_id_in_file_name("contacts_20261125_100000.json"), "20261125_100000");
  EXPECT_EQ(snapshot_id_in_file_name("a_b_20261125_100000_3.json"), "20261125_100000_3");
  EXPECT_EQ(snapshot_id_in_file_name("Contacts_20261125_100000.json"), "20261125_100000");
  EXPECT_EQ(snapshot_id_in_file_name("20261125_100000.manifest.json"), "");
  EXPECT_EQ(snapshot_id_in_file_name("contacts_20261125_100000.txt"), "");
}

TEST(LayoutTest, NamesKeptElsewhereForMessagesAgreeWithTheBuilders) {
  EXPECT_EQ(adoption_record_file_name(""), kAdoptionRecord);
  EXPECT_EQ(state_name(kConfigCollection), "config.json");
}

}  // namespace
}  // namespace pa_journal
