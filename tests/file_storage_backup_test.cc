// FileStorage's backups where the seed leaves choices open: which backup a
// time means when several share a second, backing up a file never saved,
// restoring a damaged backup, keeping zero backups, recovery putting a backup
// back, the reserved order file, exports into missing directories, and the
// seed's model_class hooks for the serialisation helpers.
#include <gtest/gtest.h>

#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/inspect.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// 2024-01-15T12:00:00Z.
constexpr int64_t kStartNs = 1'705'320'000LL * 1'000'000'000LL;
constexpr int64_t kMicrosecondNs = 1'000;

json contact(const std::string& id, int version) {
  return {{"id", id}, {"name", "Alice"}, {"version", version}};
}

class FileStorageBackupTest : public ::testing::Test {
 protected:
  // No background compaction, and a clock that moves one microsecond per
  // reading from just after kStartNs: every backup of a test falls within
  // kStartNs's second, and none at kStartNs itself.
  std::unique_ptr<FileStorage> open() {
    Options o;
    o.auto_compact = false;
    auto clock = clock_;
    o.clock_ns = [clock] { return clock->fetch_add(kMicrosecondNs); };
    return std::make_unique<FileStorage>(base(), o);
  }
  std::string base() const { return tmp_ / "pa"; }
  // Saves each list under contacts.json in turn, backing it up after each.
  static void save_and_back_up(FileStorage& storage, std::initializer_list<json> lists) {
    for (const json& list : lists) {
      ASSERT_TRUE(storage.save("contacts.json", list)) << storage.last_error();
      ASSERT_TRUE(storage.create_backup("contacts.json")) << storage.last_error();
    }
  }
  uint64_t last_seq(FileStorage& storage) { return storage.store().last_seq(); }

  testing::TempDir tmp_;
  std::shared_ptr<std::atomic<int64_t>> clock_ =
      std::make_shared<std::atomic<int64_t>>(kStartNs + kMicrosecondNs);
};

// Two backups within one second: list_backups's timestamp_ns names each
// exactly, and restoring by it restores that backup, not the second's newest.
TEST_F(FileStorageBackupTest, restore_by_exact_time_picks_that_backup_within_a_second) {
  auto storage = open();
  json v1 = json::array({contact("a", 1)}), v2 = json::array({contact("a", 2)});
  save_and_back_up(*storage, {v1, v2});
  std::vector<BackupEntry> backups = storage->list_backups("contacts.json");
  ASSERT_EQ(backups.size(), 2u);
  ASSERT_EQ(backups[0].timestamp_ns / 1'000'000'000,
            backups[1].timestamp_ns / 1'000'000'000);
  ASSERT_NE(backups[0].timestamp_ns, backups[1].timestamp_ns);

  ASSERT_TRUE(storage->restore_from_backup("contacts.json", backups[1].timestamp_ns));
  EXPECT_EQ(storage->load("contacts.json"), v1);
  ASSERT_TRUE(storage->restore_from_backup("contacts.json", backups[0].timestamp_ns));
  EXPECT_EQ(storage->load("contacts.json"), v2);
}

// A time with whole seconds (read from a backup's name) means the newest
// backup made within that second.
TEST_F(FileStorageBackupTest, restore_by_whole_second_picks_the_newest_of_that_second) {
  auto storage = open();
  json v1 = json::array({contact("a", 1)}), v2 = json::array({contact("a", 2)});
  save_and_back_up(*storage, {v1, v2});
  ASSERT_TRUE(storage->save("contacts.json", json::array()));
  ASSERT_TRUE(storage->restore_from_backup("contacts.json", kStartNs));
  EXPECT_EQ(storage->load("contacts.json"), v2);
  EXPECT_THROW(storage->restore_from_backup("contacts.json", kStartNs + 1'000'000'000),
               BackupNotFoundError);
}

// The seed checks that the source file exists before it backs it up.
TEST_F(FileStorageBackupTest,
       create_backup_of_a_file_never_saved_is_false_and_makes_none) {
  auto storage = open();
  ASSERT_TRUE(storage->save("contacts.json", json::array({contact("a", 1)})));
  EXPECT_FALSE(storage->create_backup("ghost.json"));
  EXPECT_NE(storage->last_error().find("nothing is saved under ghost.json"),
            std::string::npos)
      << storage->last_error();
  EXPECT_TRUE(list_backups(base()).empty());
  EXPECT_TRUE(storage->create_backup("contacts.json"));
  EXPECT_EQ(list_backups(base()).size(), 1u);
}

// A backup whose bytes changed is refused: false, with the damage named, and
// nothing appended to the journal.
TEST_F(FileStorageBackupTest,
       restore_from_a_damaged_backup_is_false_and_appends_nothing) {
  auto storage = open();
  json saved = json::array({contact("a", 1)});
  ASSERT_TRUE(storage->save("contacts.json", saved));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  ASSERT_TRUE(storage->save("contacts.json", json::array({contact("a", 2)})));
  std::string file =
      base() + "/backups/" + storage->list_backups("contacts.json")[0].filename;
  std::string bytes = testing::read_bytes(file);
  bytes[bytes.find("Alice")] = 'E';
  testing::write_bytes(file, bytes);

  uint64_t seq = last_seq(*storage);
  EXPECT_FALSE(storage->restore_from_backup("contacts.json"));
  EXPECT_NE(storage->last_error().find("checksum"), std::string::npos)
      << storage->last_error();
  EXPECT_EQ(last_seq(*storage), seq);
  EXPECT_EQ(storage->load("contacts.json"), json::array({contact("a", 2)}));
}

// The newest backup is where replay starts, so keep_count 0 keeps it.
TEST_F(FileStorageBackupTest, delete_old_backups_with_keep_zero_keeps_the_newest) {
  auto storage = open();
  save_and_back_up(*storage,
                   {json::array({contact("a", 0)}), json::array({contact("a", 1)}),
                    json::array({contact("a", 2)})});
  uint64_t newest_seq = storage->list_backups("contacts.json")[0].seq;
  storage->delete_old_backups("contacts.json", 0);
  std::vector<BackupEntry> left = storage->list_backups("contacts.json");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].seq, newest_seq);
  storage.reset();
  EXPECT_EQ(open()->load("contacts.json"), json::array({contact("a", 2)}));
}

// The seed's recovery restores a backup and then loads: the list is back in
// the store (one commit), not only returned.
TEST_F(FileStorageBackupTest,
       recover_from_corruption_puts_the_backup_back_as_one_commit) {
  auto storage = open();
  json saved = json::array({contact("b", 1), contact("a", 1)});
  ASSERT_TRUE(storage->save("contacts.json", saved));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  ASSERT_TRUE(storage->save("contacts.json", json::array()));
  uint64_t seq = last_seq(*storage);

  EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), saved);
  EXPECT_EQ(last_seq(*storage), seq + 1);
  EXPECT_EQ(storage->load("contacts.json"), saved);
  storage.reset();
  EXPECT_EQ(open()->load("contacts.json"), saved);
}

// A read-only store cannot take the backup back; recovery still returns it.
TEST_F(FileStorageBackupTest,
       recover_from_corruption_on_a_read_only_store_returns_the_backup) {
  json saved = json::array({contact("a", 1)});
  {
    auto storage = open();
    ASSERT_TRUE(storage->save("contacts.json", saved));
    ASSERT_TRUE(storage->create_backup("contacts.json"));
    ASSERT_TRUE(storage->save("contacts.json", json::array()));
  }
  Options read_only;
  read_only.read_only = true;
  FileStorage storage(base(), read_only);
  uint64_t seq = storage.store().last_seq();
  EXPECT_EQ(recover_from_corruption(storage, "contacts.json"), saved);
  EXPECT_EQ(storage.store().last_seq(), seq);
  EXPECT_EQ(storage.load("contacts.json"), json::array());
}

// "facade-order" holds the order of every saved list; as a file of its own it
// would let a save scramble the other lists.
TEST_F(FileStorageBackupTest, the_order_file_is_reserved_for_save_and_load) {
  auto storage = open();
  json saved = json::array({contact("b", 1), contact("a", 1)});
  ASSERT_TRUE(storage->save("contacts.json", saved));
  uint64_t seq = last_seq(*storage);
  EXPECT_FALSE(storage->save("facade-order.json", json::array({"hello"})));
  EXPECT_NE(storage->last_error().find("reserved"), std::string::npos)
      << storage->last_error();
  EXPECT_EQ(last_seq(*storage), seq);
  EXPECT_THROW(storage->load("facade-order.json"), InvalidInputError);
  EXPECT_EQ(storage->load("contacts.json"), saved);
}

TEST_F(FileStorageBackupTest, export_data_creates_missing_parent_directories) {
  auto storage = open();
  ASSERT_TRUE(storage->save("contacts.json", json::array({contact("a", 1)})));
  std::string out = tmp_ / "exports/2024/january";
  ASSERT_TRUE(storage->export_data(out)) << storage->last_error();
  EXPECT_TRUE(std::filesystem::exists(out + "/manifest.json"));
  EXPECT_EQ(std::filesystem::status(tmp_ / "exports").permissions(),
            std::filesystem::perms::owner_all);
}

}  // namespace

// A model type with the seed's to_dict / from_dict, as nlohmann's hooks.
struct Person {
  std::string id;
  std::string born;  // an ISO 8601 date, as the seed's DateTimeEncoder writes it
};
void to_json(json& j, const Person& p) { j = {{"id", p.id}, {"born", p.born}}; }
void from_json(const json& j, Person& p) {
  j.at("id").get_to(p.id);
  j.at("born").get_to(p.born);
}

namespace {

TEST(FileStorageModelHooks, serialize_and_deserialize_convert_through_the_model_type) {
  std::vector<Person> people = {{"b", isoformat(1990, 2, 28)}, {"a", "2000-01-01"}};
  std::string text = serialize_for_storage(people);
  EXPECT_EQ(json::parse(text), json::parse(R"([{"born":"1990-02-28","id":"b"},
                                               {"born":"2000-01-01","id":"a"}])"));
  std::vector<Person> back = deserialize_from_storage<Person>(text);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].id, "b");
  EXPECT_EQ(back[0].born, "1990-02-28");
  EXPECT_EQ(back[1].id, "a");
}

TEST(FileStorageModelHooks, items_that_do_not_fit_the_model_type_are_corrupted_data) {
  EXPECT_THROW(deserialize_from_storage<Person>(R"([{"id":"a"}])"), CorruptedDataError);
  EXPECT_THROW(deserialize_from_storage<Person>(R"({"id":"a","born":"x"})"),
               CorruptedDataError);
  EXPECT_THROW(deserialize_from_storage<Person>("[{"), CorruptedDataError);
}

}  // namespace
}  // namespace pa_journal
