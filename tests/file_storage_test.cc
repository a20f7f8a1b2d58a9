// FileStorage: the seed's storage module (include/pa_journal/file_storage.h)
// on the journal store, tested against real files. The first nine tests are
// the seed's own test list, under the seed's names; the rest pin down what the
// journal adds: delta saves, export validation, the serialisation helpers.

// GCC 12 with -O1 -fsanitize=address warns that std::regex's std::function
// members may be used uninitialized, falsely (GCC bug 105616). The warning
// points into <functional>, so this must come before its first inclusion.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "pa_journal/file_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "snapshot/snapshot.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// 2024-01-15T12:00:00Z, the time of the seed's example backups.
constexpr int64_t kStartNs = 1'705'320'000LL * 1'000'000'000LL;
constexpr int64_t kSecondNs = 1'000'000'000LL;

int mode_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using testing::frames_of;
using testing::FrameSpan;

// Flips one byte inside the payload of the index-th frame (0-based) of a
// segment: damage in the middle of a record, not a torn tail.
void damage_record(const std::string& segment, size_t index) {
  std::string data = testing::read_bytes(segment);
  std::vector<FrameSpan> frames = frames_of(data);
  ASSERT_LT(index, frames.size());
  FrameSpan frame = frames[index];
  data[frame.offset + format::kFrameHeaderSize + frame.size / 3] ^= 0x5a;
  testing::write_bytes(segment, data);
}

// Every record of a store from seq `from` on.
std::vector<Record> records_from(const std::string& dir, uint64_t from) {
  std::vector<Record> out;
  RecordFilter filter;
  filter.from_seq = from;
  read_records(dir, filter, [&](const Record& r) { out.push_back(r); });
  return out;
}

// Names of the entries of a directory (empty if it does not exist).
std::set<std::string> entries_of(const std::string& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir))
    out.insert(entry.path().filename());
  return out;
}

size_t manifests_in(const std::string& backups_dir) {
  size_t n = 0;
  for (const auto& name : entries_of(backups_dir)) {
    if (name.size() > 14 && name.compare(name.size() - 14, 14, ".manifest.json") == 0)
      ++n;
  }
  return n;
}

json contact(const std::string& id, const std::string& name, int age = 30) {
  return {{"id", id},
          {"name", name},
          {"age", age},
          {"address", {{"city", "Kyiv"}, {"lines", {"1 Main St", "Apt 2"}}}}};
}

class FileStorageTest : public ::testing::Test {
 protected:
  FileStorageTest() : clock_(std::make_shared<std::atomic<int64_t>>(kStartNs)) {}

  std::string base() const { return tmp_ / "pa"; }

  // No background compaction (backups only when a test asks), and a clock
  // that moves one second per commit, so that every backup has its own
  // second and times can be asked for exactly.
  Options options() const {
    Options o;
    o.auto_compact = false;
    auto clock = clock_;
    o.clock_ns = [clock] { return clock->fetch_add(kSecondNs); };
    return o;
  }

  std::unique_ptr<FileStorage> open(const std::string& dir) {
    return std::make_unique<FileStorage>(dir, options());
  }
  std::unique_ptr<FileStorage> open() { return open(base()); }

  // Every regular file of journal/ (not quarantine/): names and bytes.
  static std::map<std::string, std::string> journal_files(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(dir + "/journal")) {
      if (entry.is_regular_file()) {
        files[entry.path().filename()] = testing::read_bytes(entry.path());
      }
    }
    return files;
  }
  // Bytes of the journal's segments up to their data ends: the space a live
  // writer has reserved ahead of its appends does not count.
  static uint64_t journal_size(const std::string& dir) {
    uint64_t total = 0;
    for (const auto& [_, bytes] : journal_files(dir)) {
      total += bytes.find_last_not_of(format::kReservedFill) + 1;
    }
    return total;
  }

  testing::TempDir tmp_;
  std::shared_ptr<std::atomic<int64_t>> clock_;
};

// ---------------------------------------------------------------------------
// The seed's tests.
// ---------------------------------------------------------------------------

TEST_F(FileStorageTest, test_storage_initialization) {
  {
    auto storage = open();
    EXPECT_EQ(storage->base_dir(), base());
    EXPECT_EQ(storage->backup_dir(), base() + "/backups");
    ASSERT_TRUE(fs::is_directory(base()));
    EXPECT_EQ(mode_of(base()), 0700);
    EXPECT_EQ(mode_of(base() + "/journal"), 0700);
    EXPECT_TRUE(fs::is_regular_file(base() + "/storage.log"));  // the seed's log file
    EXPECT_EQ(mode_of(base() + "/storage.log"), 0600);
    // Backups are snapshots: backups/ appears with the first one.
    EXPECT_FALSE(fs::exists(storage->backup_dir()));
    EXPECT_TRUE(storage->list_backups("contacts.json").empty());
    EXPECT_TRUE(storage->load("contacts.json").empty());

    ASSERT_TRUE(storage->save("contacts.json", json::array({contact("a", "Alice")})));
    ASSERT_TRUE(storage->create_backup("contacts.json")) << storage->last_error();
    ASSERT_TRUE(fs::is_directory(storage->backup_dir()));
    EXPECT_EQ(mode_of(storage->backup_dir()), 0700);
    for (const auto& name : entries_of(storage->backup_dir())) {
      EXPECT_EQ(mode_of(storage->backup_dir() + "/" + name), 0600) << name;
    }
  }
  // Opening an existing directory again is fine (the seed's exist_ok=True).
  {
    auto storage = open();
    EXPECT_EQ(storage->load("contacts.json"), json::array({contact("a", "Alice")}));
    EXPECT_EQ(storage->list_backups("contacts.json").size(), 1u);
  }
  // Missing parents are created too (the seed's parents=True).
  {
    std::string nested = tmp_ / "one/two/three";
    auto storage = open(nested);
    EXPECT_TRUE(fs::is_directory(nested));
    EXPECT_EQ(mode_of(nested), 0700);
    EXPECT_EQ(mode_of(tmp_ / "one"), 0700);
    EXPECT_EQ(mode_of(tmp_ / "one/two"), 0700);
    EXPECT_TRUE(storage->save("notes.json", json::array({"n"})));
  }
  // The default base directory is ~/.personal_assistant.
  {
    std::string home = tmp_ / "home";
    fs::create_directory(home);
    const char* old = std::getenv("HOME");
    std::optional<std::string> saved =
        old ? std::optional<std::string>(old) : std::nullopt;
    ::setenv("HOME", home.c_str(), 1);
    try {
      FileStorage storage(std::nullopt, options());
      EXPECT_EQ(storage.base_dir(), home + "/.personal_assistant");
      EXPECT_TRUE(fs::is_directory(home + "/.personal_assistant/journal"));
      EXPECT_EQ(mode_of(home + "/.personal_assistant"), 0700);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
    if (saved) {
      ::setenv("HOME", saved->c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }
}

TEST_F(FileStorageTest, test_save_and_load_data) {
  // Ids that are strings and integers, out of sorted order; unicode; nested
  // objects and arrays; items without ids (objects, strings, numbers, null).
  json contacts = json::array({
      contact("zoe", "Zoë Łukasiewicz 日本語 🎉"),
      contact("adam", "Adam"),
      {{"id", 42}, {"name", "Integer id"}, {"tags", {"x", "y"}}},
      {{"name", "No id"}, {"nested", {{"deep", {{"deeper", {1, 2.5, true, nullptr}}}}}}},
      "a plain string",
      7,
      nullptr,
      {{"name", "Другий без id"}},
  });
  json notes =
      json::array({{{"id", "n1"}, {"text", "first"}}, {{"id", "n2"}, {"text", "ü"}}});
  {
    auto storage = open();
    EXPECT_EQ(storage->load("contacts.json"), json::array());  // nothing saved yet
    ASSERT_TRUE(storage->save("contacts.json", contacts)) << storage->last_error();
    ASSERT_TRUE(storage->save("notes.json", notes)) << storage->last_error();
    EXPECT_EQ(storage->load("contacts.json"), contacts);
    EXPECT_EQ(storage->load("notes.json"), notes);
  }
  auto storage = open();  // after a restart
  EXPECT_EQ(storage->load("contacts.json"), contacts);
  EXPECT_EQ(storage->load("notes.json"), notes);
  EXPECT_EQ(storage->load("contacts.json")[0]["name"], "Zoë Łukasiewicz 日本語 🎉");

  // A new order, a removed item, an edited item, a new one.
  json reordered =
      json::array({contact("adam", "Adam", 31), contacts[2], "a plain string",
                   contact("zoe", "Zoë Łukasiewicz 日本語 🎉"), contact("eve", "Eve")});
  ASSERT_TRUE(storage->save("contacts.json", reordered)) << storage->last_error();
  EXPECT_EQ(storage->load("contacts.json"), reordered);
  EXPECT_EQ(storage->load("notes.json"), notes);  // files are independent

  // Items without ids are kept by position: a shorter list loses the tail.
  json plain = json::array({"x", "y", "z"});
  ASSERT_TRUE(storage->save("tags.json", plain));
  ASSERT_TRUE(storage->save("tags.json", json::array({"y"})));
  EXPECT_EQ(storage->load("tags.json"), json::array({"y"}));

  ASSERT_TRUE(storage->save("notes.json", json::array()));
  EXPECT_EQ(storage->load("notes.json"), json::array());

  storage.reset();
  storage = open();
  EXPECT_EQ(storage->load("contacts.json"), reordered);
  EXPECT_EQ(storage->load("tags.json"), json::array({"y"}));
  EXPECT_EQ(storage->load("notes.json"), json::array());

  // Refused input: a name that is not a data file, data that is not a list.
  EXPECT_FALSE(storage->save("contacts", contacts));
  EXPECT_FALSE(storage->last_error().empty());
  EXPECT_FALSE(storage->save("contacts.json", json::object({{"id", "a"}})));
  EXPECT_FALSE(storage->last_error().empty());
  EXPECT_EQ(storage->load("contacts.json"), reordered);
  EXPECT_THROW(storage->load("contacts.txt"), InvalidInputError);
  EXPECT_TRUE(storage->save("contacts.json", reordered));
  EXPECT_TRUE(storage->last_error().empty());
}

TEST_F(FileStorageTest, test_atomic_write) {
  json before =
      json::array({contact("a", "Alice"), contact("b", "Bob"), contact("c", "Carol")});
  auto storage = open();
  ASSERT_TRUE(storage->save("contacts.json", before));
  uint64_t seq = storage->store().last_seq();
  auto bytes = journal_files(base());

  // An invalid item in the middle: nothing is appended, the old list stays.
  auto refused = [&](const json& list, const std::string& why) {
    SCOPED_TRACE(why);
    bool ok = true;
    try {
      ok = storage->save("contacts.json", list);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "save threw instead of returning false: " << e.what();
    }
    EXPECT_FALSE(ok);
    EXPECT_FALSE(storage->last_error().empty());
    EXPECT_EQ(storage->store().last_seq(), seq);
    EXPECT_EQ(journal_files(base()), bytes);
    EXPECT_EQ(storage->load("contacts.json"), before);
  };
  json edited_a = contact("a", "Alice Edited");
  json edited_c = contact("c", "Carol Edited");
  refused(
      json::array(
          {edited_a, {{"id", "d"}, {"name", std::string("bad \xff utf-8")}}, edited_c}),
      "a string that is not UTF-8");

  // A save is one record, however many items it changes.
  json after = json::array(
      {contact("c", "Carol Edited"), contact("a", "Alice Edited"), contact("d", "Dave")});
  ASSERT_TRUE(storage->save("contacts.json", after));
  std::vector<Record> records = records_from(base(), seq + 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].seq, seq + 1);
  EXPECT_EQ(records[0].ops.size(), 5u);  // put a, put c, put d, delete b, the order
  EXPECT_TRUE(contains(records[0].origin, "contacts.json")) << records[0].origin;
  EXPECT_EQ(storage->load("contacts.json"), after);
  // Saving the same list again appends nothing.
  auto after_bytes = journal_files(base());
  ASSERT_TRUE(storage->save("contacts.json", after));
  EXPECT_EQ(journal_files(base()), after_bytes);

  // A crash in the middle of the save's write: the record is torn, and the
  // next open has the complete old list, never a part of the new one.
  storage.reset();
  std::string segment = testing::segment_path(base());
  std::string whole = testing::read_bytes(segment);
  FrameSpan last = frames_of(whole).back();
  ASSERT_EQ(last.offset + last.size, whole.size());
  for (uint64_t cut : {last.offset + 3, last.offset + last.size / 2, whole.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    testing::write_bytes(segment, whole.substr(0, cut));
    auto reopened = open();
    EXPECT_EQ(reopened->load("contacts.json"), before);
    EXPECT_EQ(reopened->store().last_seq(), seq);
  }
  // No temporary file is left anywhere.
  for (const auto& entry : fs::recursive_directory_iterator(base())) {
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  }
}

// The documented rule for a list's keys: ids where every item has a distinct,
// usable one, else positions. A list with an unusable or repeated id is kept
// by position, whole and in order, not refused.
TEST_F(FileStorageTest, list_without_distinct_usable_ids_is_kept_by_position) {
  auto storage = open();
  json by_id = json::array({contact("a", "Alice"), {{"id", 7}, {"name", "Seven"}}});
  ASSERT_TRUE(storage->save("contacts.json", by_id)) << storage->last_error();
  EXPECT_TRUE(storage->store().get("contacts", "a").has_value());
  EXPECT_TRUE(storage->store().get("contacts", "7").has_value());
  for (const auto& [why, second] : std::vector<std::pair<std::string, json>>{
           {"id is an object", {{"id", {{"not", "a key"}}}}},
           {"id is a boolean", {{"id", true}}},
           {"id the store refuses", {{"id", "bad/key"}}},
           {"empty id", {{"id", ""}}},
           {"duplicate id", contact("a", "Again")},
           {"an integer and a string naming one key", {{"id", "a"}, {"n", 1}}},
           {"no id", {{"name", "nobody"}}}}) {
    SCOPED_TRACE(why);
    json list = json::array({contact("a", "Alice"), second, contact("c", "Carol")});
    ASSERT_TRUE(storage->save("contacts.json", list)) << storage->last_error();
    EXPECT_EQ(storage->load("contacts.json"), list);
    auto keys = storage->store().list("contacts");
    ASSERT_EQ(keys.size(), 3u);
    EXPECT_EQ(keys[0].first, "#0");
    EXPECT_EQ(keys[2].first, "#2");
  }
  ASSERT_TRUE(storage->save("contacts.json", by_id));
  EXPECT_TRUE(storage->store().get("contacts", "7").has_value());
  EXPECT_FALSE(storage->store().get("contacts", "#0").has_value());
}

TEST_F(FileStorageTest, test_create_backup) {
  auto storage = open();
  json contacts = json::array({contact("a", "Alice"), contact("b", "Bob")});
  ASSERT_TRUE(storage->save("contacts.json", contacts));
  ASSERT_TRUE(storage->save("notes.json", json::array({{{"id", "n1"}, {"text", "ü"}}})));
  int64_t last_commit = records_from(base(), storage->store().last_seq()).at(0).time_ns;

  ASSERT_TRUE(storage->create_backup("contacts.json")) << storage->last_error();
  auto backups = storage->list_backups("contacts.json");
  ASSERT_EQ(backups.size(), 1u);
  const BackupEntry& b = backups[0];
  // The seed's naming: <name>_YYYYMMDD_HHMMSS.json, the UTC second of the
  // last commit the backup holds.
  std::string rfc3339 = format_time_ns(last_commit);  // "2024-01-15T12:00:01.000000000Z"
  std::string stamp = rfc3339.substr(0, 4) + rfc3339.substr(5, 2) + rfc3339.substr(8, 2) +
                      "_" + rfc3339.substr(11, 2) + rfc3339.substr(14, 2) +
                      rfc3339.substr(17, 2);
  EXPECT_EQ(stamp.substr(0, 9), "20240115_");
  EXPECT_EQ(b.filename, "contacts_" + stamp + ".json");
  EXPECT_TRUE(
      std::regex_match(b.filename, std::regex(R"(contacts_\d{8}_\d{6}(_\d+)?\.json)")));
  EXPECT_EQ(b.timestamp_ns, last_commit);
  EXPECT_EQ(b.timestamp, format_time_ns(last_commit));
  EXPECT_EQ(b.seq, storage->store().last_seq());
  std::string path = storage->backup_dir() + "/" + b.filename;
  ASSERT_TRUE(fs::is_regular_file(path));
  EXPECT_EQ(b.size, fs::file_size(path));
  // A readable JSON object of the collection's documents.
  json file = json::parse(testing::read_bytes(path));
  ASSERT_TRUE(file.is_object());
  EXPECT_EQ(file.at("a"), contacts[0]);
  EXPECT_EQ(file.at("b"), contacts[1]);
  // One snapshot holds every collection.
  auto note_backups = storage->list_backups("notes.json");
  ASSERT_EQ(note_backups.size(), 1u);
  EXPECT_EQ(note_backups[0].filename, "notes_" + stamp + ".json");
  EXPECT_TRUE(
      fs::is_regular_file(storage->backup_dir() + "/" + note_backups[0].filename));

  // Nothing committed since: the state is backed up already.
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  EXPECT_EQ(storage->list_backups("contacts.json").size(), 1u);

  // The seed's pattern: backup before save.
  json more = contacts;
  more.push_back(contact("c", "Carol"));
  ASSERT_TRUE(storage->save("contacts.json", more));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  backups = storage->list_backups("contacts.json");
  ASSERT_EQ(backups.size(), 2u);
  EXPECT_GT(backups[0].timestamp_ns, backups[1].timestamp_ns);  // newest first
  EXPECT_GT(backups[0].seq, backups[1].seq);
  EXPECT_EQ(
      json::parse(testing::read_bytes(storage->backup_dir() + "/" + backups[0].filename))
          .size(),
      3u);
  // The snapshot does not change the data.
  EXPECT_EQ(storage->load("contacts.json"), more);

  EXPECT_FALSE(storage->create_backup("contacts"));  // not a data file name
  EXPECT_FALSE(storage->last_error().empty());
}

TEST_F(FileStorageTest, test_restore_from_backup) {
  auto storage = open();
  // A fresh store has no backup to restore.
  EXPECT_THROW(storage->restore_from_backup("contacts.json"), BackupNotFoundError);

  json v1 = json::array({contact("a", "Alice"), contact("b", "Bob")});
  json v2 =
      json::array({contact("b", "Bob"), contact("a", "Alice 2"), contact("c", "Carol")});
  json v3 = json::array({contact("d", "Dave")});
  ASSERT_TRUE(storage->save("contacts.json", v1));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  ASSERT_TRUE(storage->save("contacts.json", v2));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  ASSERT_TRUE(storage->save("contacts.json", v3));
  json notes = json::array({"kept"});
  ASSERT_TRUE(storage->save("notes.json", notes));
  auto backups = storage->list_backups("contacts.json");
  ASSERT_EQ(backups.size(), 2u);

  // The newest backup, as one new commit.
  uint64_t seq = storage->store().last_seq();
  ASSERT_TRUE(storage->restore_from_backup("contacts.json")) << storage->last_error();
  EXPECT_EQ(storage->load("contacts.json"), v2);
  EXPECT_EQ(storage->load("notes.json"), notes);  // other files untouched
  std::vector<Record> records = records_from(base(), seq + 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(contains(records[0].origin, "restore")) << records[0].origin;
  for (const auto& op : records[0].ops) {
    EXPECT_TRUE(op.collection == "contacts" ||
                (op.collection == "facade-order" && op.key == "contacts"))
        << op.collection << "/" << op.key;
  }

  // Undoable: the state before the restore is a point in time of the journal.
  int64_t restore_time = records[0].time_ns;
  ASSERT_GT(storage->store().restore_to(restore_time - 1).seq, 0u);
  EXPECT_EQ(storage->load("contacts.json"), v3);
  EXPECT_EQ(storage->load("notes.json"), notes);

  // A given backup time (to the second, as the seed's file names are).
  seq = storage->store().last_seq();
  ASSERT_TRUE(storage->restore_from_backup("contacts.json", backups[1].timestamp_ns));
  EXPECT_EQ(storage->load("contacts.json"), v1);
  EXPECT_EQ(storage->store().last_seq(), seq + 1);
  ASSERT_TRUE(storage->restore_from_backup("contacts.json",
                                           backups[0].timestamp_ns + kSecondNs - 1));
  EXPECT_EQ(storage->load("contacts.json"), v2);
  EXPECT_EQ(storage->store().last_seq(), seq + 2);
  // Restoring what is already there appends nothing.
  ASSERT_TRUE(storage->restore_from_backup("contacts.json", backups[0].timestamp_ns));
  EXPECT_EQ(storage->store().last_seq(), seq + 2);

  // An unknown time: BackupNotFoundError, and nothing changes.
  auto bytes = journal_files(base());
  EXPECT_THROW(storage->restore_from_backup("contacts.json",
                                            backups[0].timestamp_ns + 3600 * kSecondNs),
               BackupNotFoundError);
  EXPECT_THROW(storage->restore_from_backup("contacts.json", kStartNs - kSecondNs),
               BackupNotFoundError);
  EXPECT_EQ(journal_files(base()), bytes);
  EXPECT_EQ(storage->load("contacts.json"), v2);

  // It survives a restart.
  storage.reset();
  storage = open();
  EXPECT_EQ(storage->load("contacts.json"), v2);
  EXPECT_EQ(storage->load("notes.json"), notes);
}

TEST_F(FileStorageTest, test_delete_old_backups) {
  auto storage = open();
  std::vector<json> versions;
  for (int i = 0; i < 5; ++i) {
    versions.push_back(json::array({contact("a", "Alice", 20 + i)}));
    ASSERT_TRUE(storage->save("contacts.json", versions.back()));
    ASSERT_TRUE(storage->create_backup("contacts.json"));
  }
  auto all = storage->list_backups("contacts.json");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(manifests_in(storage->backup_dir()), 5u);

  storage->delete_old_backups("contacts.json",
                              10);  // fewer than keep_count: nothing goes
  EXPECT_EQ(storage->list_backups("contacts.json").size(), 5u);

  storage->delete_old_backups("contacts.json", 2);
  auto kept = storage->list_backups("contacts.json");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].filename, all[0].filename);  // the newest two
  EXPECT_EQ(kept[1].filename, all[1].filename);
  EXPECT_EQ(manifests_in(storage->backup_dir()), 2u);
  // The files of the removed backups are gone, those of the kept ones stay.
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(fs::exists(storage->backup_dir() + "/" + all[i].filename), i < 2)
        << all[i].filename;
  }
  // The data is untouched, and the removed backups cannot be restored.
  EXPECT_EQ(storage->load("contacts.json"), versions.back());
  EXPECT_THROW(storage->restore_from_backup("contacts.json", all[4].timestamp_ns),
               BackupNotFoundError);
  ASSERT_TRUE(storage->restore_from_backup("contacts.json", all[1].timestamp_ns));
  EXPECT_EQ(storage->load("contacts.json"), versions[3]);

  storage.reset();
  storage = open();
  EXPECT_EQ(storage->list_backups("contacts.json").size(), 2u);
  EXPECT_EQ(storage->load("contacts.json"), versions[3]);
}

TEST_F(FileStorageTest, test_corrupted_file_recovery) {
  json a = contact("a", "Alice"), b = contact("b", "Bob"), c = contact("c", "Carol");
  // 1. Damage in the middle of the journal (record 2 of 3).
  {
    auto storage = open();
    ASSERT_TRUE(storage->save("contacts.json", json::array({a})));
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b})));
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b, c})));
  }
  damage_record(testing::segment_path(base()), 1);
  {
    Options read_only = options();
    read_only.read_only = true;
    EXPECT_THROW(Store::open(base(), read_only), CorruptedDataError);  // not a torn tail
  }
  {
    std::unique_ptr<FileStorage> storage;
    ASSERT_NO_THROW(storage = open());
    EXPECT_EQ(storage->store().recovery().mode, RecoveryMode::kSalvage);
    EXPECT_FALSE(storage->store().recovery().damage.empty());
    EXPECT_EQ(storage->load("contacts.json"), json::array({a, c}));  // b's record is lost
    EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), json::array({a, c}));
    std::string log = testing::read_bytes(base() + "/storage.log");
    EXPECT_TRUE(contains(log, "salvage")) << log;
    // Writing goes on, and the next open reads clean data.
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b, c})));
  }
  {
    auto storage = open();
    EXPECT_EQ(storage->load("contacts.json"), json::array({a, b, c}));
  }

  // 2. The list is gone from the store, and the newest backup is damaged:
  //    recovery skips it and returns the older backup's list.
  std::string dir2 = tmp_ / "second";
  {
    auto storage = open(dir2);
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b})));
    ASSERT_TRUE(storage->create_backup("contacts.json"));
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b, c})));
    ASSERT_TRUE(storage->create_backup("contacts.json"));
    ASSERT_TRUE(storage->save("contacts.json", json::array()));
  }
  std::vector<BackupEntry> backups;
  {
    auto storage = open(dir2);
    backups = storage->list_backups("contacts.json");
  }
  ASSERT_EQ(backups.size(), 2u);
  std::string newest = dir2 + "/backups/" + backups[0].filename;
  std::string text = testing::read_bytes(newest);
  text[text.size() / 2] ^= 0x01;
  testing::write_bytes(newest, text);
  {
    auto storage = open(dir2);
    EXPECT_EQ(storage->load("contacts.json"), json::array());
    EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), json::array({a, b}));
    // As the seed's restore-then-load, the older backup is put back.
    EXPECT_EQ(storage->load("contacts.json"), json::array({a, b}));
    std::string log = testing::read_bytes(dir2 + "/storage.log");
    EXPECT_TRUE(contains(log, backups[0].filename)) << log;
    EXPECT_TRUE(contains(log, backups[1].filename)) << log;
  }

  // 3. Nothing to recover: an empty list, never an exception.
  std::string dir3 = tmp_ / "third";
  {
    auto storage = open(dir3);
    EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), json::array());
    ASSERT_TRUE(storage->save("contacts.json", json::array({a})));
  }
  damage_record(testing::segment_path(dir3), 0);  // the only record, no backup
  {
    std::unique_ptr<FileStorage> storage;
    ASSERT_NO_THROW(storage = open(dir3));
    EXPECT_EQ(storage->load("contacts.json"), json::array());
    EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), json::array());
    std::string log = testing::read_bytes(dir3 + "/storage.log");
    EXPECT_TRUE(contains(log, "all recovery attempts failed")) << log;
  }

  // 4. A destroyed segment header: salvage still finds every record.
  std::string dir4 = tmp_ / "fourth";
  {
    auto storage = open(dir4);
    ASSERT_TRUE(storage->save("contacts.json", json::array({a})));
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b})));
  }
  std::string segment = testing::segment_path(dir4);
  std::string bytes = testing::read_bytes(segment);
  for (size_t i = 0; i < format::kSegmentHeaderSize; ++i) bytes[i] = 'X';
  testing::write_bytes(segment, bytes);
  {
    std::unique_ptr<FileStorage> storage;
    ASSERT_NO_THROW(storage = open(dir4));
    EXPECT_EQ(storage->store().recovery().mode, RecoveryMode::kSalvage);
    EXPECT_EQ(storage->load("contacts.json"), json::array({a, b}));
  }

  // 5. A journal that is nothing but garbage and no backup: salvage opens an
  //    empty store, having copied the garbage to quarantine/ first (nothing
  //    is destroyed), and recovery returns [].
  std::string dir5 = tmp_ / "fifth";
  {
    auto storage = open(dir5);
    ASSERT_TRUE(storage->save("contacts.json", json::array({a})));
    ASSERT_TRUE(storage->save("contacts.json", json::array({a, b})));
  }
  segment = testing::segment_path(dir5);
  bytes = testing::read_bytes(segment);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  testing::write_bytes(segment, bytes);
  {
    auto storage = open(dir5);
    EXPECT_EQ(storage->store().recovery().mode, RecoveryMode::kSalvage);
    EXPECT_FALSE(storage->store().recovery().damage.empty());
    EXPECT_EQ(storage->store().last_seq(), 0u);
    EXPECT_EQ(storage->load("contacts.json"), json::array());
    EXPECT_EQ(recover_from_corruption(*storage, "contacts.json"), json::array());
    std::string whole_copy;  // the copy from offset 0
    for (const auto& name : entries_of(dir5 + "/journal/quarantine")) {
      if (contains(name, ".log.from-0.")) whole_copy = name;
    }
    ASSERT_FALSE(whole_copy.empty()) << testing::read_bytes(dir5 + "/storage.log");
    EXPECT_EQ(testing::read_bytes(dir5 + "/journal/quarantine/" + whole_copy), bytes);
  }

  // The seed's parse errors are CorruptedDataError too.
  EXPECT_THROW(deserialize_from_storage("[{\"id\": \"a\","), CorruptedDataError);
}

TEST_F(FileStorageTest, test_export_import_data) {
  json contacts =
      json::array({contact("zoe", "Zoë 日本"), contact("adam", "Adam"), "plain"});
  json notes = json::array({{{"id", 1}, {"text", "nested"}, {"meta", {{"k", {1, 2}}}}}});
  std::string out = tmp_ / "export";
  {
    auto storage = open();
    ASSERT_TRUE(storage->save("contacts.json", contacts));
    ASSERT_TRUE(storage->save("notes.json", notes));
    ConfigManager config(*storage);
    config.set("backup_count", 4);
    uint64_t seq = storage->store().last_seq();
    ASSERT_TRUE(storage->export_data(out)) << storage->last_error();
    EXPECT_EQ(storage->store().last_seq(), seq);  // exporting commits nothing
    std::set<std::string> names = entries_of(out);
    EXPECT_TRUE(names.count("manifest.json"));
    EXPECT_TRUE(names.count("contacts.json"));
    EXPECT_TRUE(names.count("notes.json"));
    EXPECT_TRUE(names.count("config.json"));
    json manifest = json::parse(testing::read_bytes(out + "/manifest.json"));
    EXPECT_EQ(manifest.at("format"), "pa-journal-export");
    EXPECT_EQ(manifest.at("seq"), seq);
    EXPECT_TRUE(manifest.contains("time"));
    EXPECT_TRUE(manifest.contains("version"));
    // Not into a directory that holds something.
    EXPECT_FALSE(storage->export_data(out));
    EXPECT_FALSE(storage->last_error().empty());
  }

  std::string fresh = tmp_ / "fresh";
  {
    auto storage = open(fresh);
    json tasks = json::array({"not in the export"});
    ASSERT_TRUE(storage->save("tasks.json", tasks));
    uint64_t seq = storage->store().last_seq();
    ASSERT_TRUE(storage->import_data(out)) << storage->last_error();
    EXPECT_EQ(storage->store().last_seq(), seq + 1);  // one commit
    EXPECT_EQ(storage->load("contacts.json"), contacts);
    EXPECT_EQ(storage->load("notes.json"), notes);
    EXPECT_EQ(storage->load("tasks.json"), tasks);  // collections not exported stay
    EXPECT_EQ(ConfigManager(*storage).get("backup_count"), 4);
    std::vector<Record> records = records_from(fresh, seq + 1);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_TRUE(contains(records[0].origin, "import")) << records[0].origin;
    // The state before the import stays a backup.
    auto backups = storage->list_backups("tasks.json");
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_EQ(backups[0].seq, seq);

    // Importing it again changes nothing.
    ASSERT_TRUE(storage->import_data(out));
    EXPECT_EQ(storage->store().last_seq(), seq + 1);
    // Local edits are replaced by the import's content.
    ASSERT_TRUE(storage->save("contacts.json", json::array({contact("x", "X")})));
    ASSERT_TRUE(storage->import_data(out));
    EXPECT_EQ(storage->load("contacts.json"), contacts);
    EXPECT_FALSE(storage->import_data(tmp_ / "no-such-export"));
    EXPECT_FALSE(storage->last_error().empty());
  }
  auto storage = open(fresh);
  EXPECT_EQ(storage->load("contacts.json"), contacts);
  EXPECT_EQ(storage->load("notes.json"), notes);
}

TEST_F(FileStorageTest, test_config_management) {
  auto storage = open();
  uint64_t seq = storage->store().last_seq();
  {
    ConfigManager config(*storage);
    // The seed's DEFAULT_CONFIG.
    json defaults = {{"backup_enabled", true},   {"backup_count", 10},
                     {"auto_save", true},        {"auto_save_interval", 60},
                     {"data_format", "json"},    {"date_format", "%Y-%m-%d"},
                     {"time_format", "%H:%M:%S"}};
    EXPECT_EQ(ConfigManager::default_config(), defaults);
    EXPECT_EQ(config.config(), defaults);
    EXPECT_EQ(config.load_config(), defaults);
    EXPECT_EQ(config.get("backup_count"), 10);
    EXPECT_EQ(config.get("date_format"), "%Y-%m-%d");
    EXPECT_EQ(config.get("no_such_key"), nullptr);
    EXPECT_EQ(config.get("no_such_key", "fallback"), "fallback");
    EXPECT_EQ(config.get("backup_count", 99), 10);
    EXPECT_EQ(storage->store().last_seq(), seq);  // reading commits nothing

    // set is one journaled commit.
    config.set("backup_count", 3);
    EXPECT_EQ(config.get("backup_count"), 3);
    std::vector<Record> records = records_from(base(), seq + 1);
    ASSERT_EQ(records.size(), 1u);
    ASSERT_EQ(records[0].ops.size(), 1u);
    EXPECT_EQ(records[0].ops[0].collection, "config");
    EXPECT_EQ(records[0].ops[0].key, "backup_count");
    EXPECT_EQ(records[0].ops[0].document, "3");
    config.set("theme", {{"name", "dark"}, {"accent", "ü"}});
    EXPECT_EQ(storage->store().last_seq(), seq + 2);
  }
  storage.reset();
  storage = open();  // visible after a reopen
  {
    ConfigManager config(*storage);
    EXPECT_EQ(config.get("backup_count"), 3);
    EXPECT_EQ(config.get("theme"), json({{"name", "dark"}, {"accent", "ü"}}));
    EXPECT_EQ(config.get("auto_save"), true);  // defaults fill the rest
    // config.json is the "config" collection: one object of the stored settings.
    EXPECT_EQ(storage->load("config.json"),
              json::array({{{"backup_count", 3},
                            {"theme", {{"name", "dark"}, {"accent", "ü"}}}}}));

    // save_config writes every setting that differs from the store, as one commit.
    seq = storage->store().last_seq();
    config.save_config();
    EXPECT_EQ(storage->store().last_seq(), seq + 1);
    EXPECT_EQ(storage->load("config.json"), json::array({config.config()}));
    config.save_config();  // nothing differs now
    EXPECT_EQ(storage->store().last_seq(), seq + 1);
  }
  // The seed's own way: storage.save('config.json', [config]).
  json replaced = ConfigManager::default_config();
  replaced["backup_count"] = 3;
  replaced["language"] = "uk";
  ASSERT_TRUE(storage->save("config.json", json::array({replaced})));
  EXPECT_EQ(ConfigManager(*storage).get("language"), "uk");
  EXPECT_EQ(ConfigManager(*storage).config(), replaced);
  EXPECT_FALSE(storage->save("config.json", json::array({replaced, replaced})));

  // The store honours backup_count = 3: five backups leave three.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(storage->save("contacts.json", json::array({contact("a", "Alice", i)})));
    ASSERT_TRUE(storage->create_backup("contacts.json"));
  }
  EXPECT_EQ(storage->list_backups("contacts.json").size(), 3u);
  EXPECT_EQ(manifests_in(storage->backup_dir()), 3u);
  storage.reset();
  storage = open();
  EXPECT_EQ(storage->list_backups("contacts.json").size(), 3u);
  EXPECT_EQ(ConfigManager(*storage).get("backup_count"), 3);
}

// ---------------------------------------------------------------------------
// What the journal adds.
// ---------------------------------------------------------------------------

TEST_F(FileStorageTest, save_of_large_list_with_one_change_appends_one_small_record) {
  auto storage = open();
  json items = json::array();
  for (int i = 0; i < 10000; ++i) {
    char id[24];  // room for any int, so GCC sees no truncation
    std::snprintf(id, sizeof id, "item-%05d", i);
    items.push_back({{"id", id},
                     {"name", std::string("Name ") + id},
                     {"email", std::string(id) + "@example.com"},
                     {"notes", std::string(120, 'n')}});
  }
  ASSERT_GE(items[5000].dump().size(), 180u);
  ASSERT_LE(items[5000].dump().size(), 240u);
  ASSERT_TRUE(storage->save("contacts.json", items)) << storage->last_error();
  uint64_t seq = storage->store().last_seq();
  uint64_t size = journal_size(base());

  items[5000]["notes"] = std::string(120, 'm');
  ASSERT_TRUE(storage->save("contacts.json", items));
  uint64_t growth = journal_size(base()) - size;
  EXPECT_GT(growth, 0u);
  EXPECT_LT(growth, 1024u) << "a one-item change appended " << growth << " bytes";
  std::vector<Record> records = records_from(base(), seq + 1);
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].ops.size(), 1u);
  EXPECT_EQ(records[0].ops[0].kind, OpKind::kPut);
  EXPECT_EQ(records[0].ops[0].collection, "contacts");
  EXPECT_EQ(records[0].ops[0].key, "item-05000");
  EXPECT_EQ(json::parse(records[0].ops[0].document), items[5000]);

  json loaded = storage->load("contacts.json");
  ASSERT_EQ(loaded.size(), 10000u);
  EXPECT_EQ(loaded, items);
}

// save() reads the stored list and commits the difference. Two threads saving
// different lists to one file must leave one of them, not a mix of the two
// differences taken against the same old list.
TEST_F(FileStorageTest, concurrent_saves_of_one_file_leave_one_of_the_saved_lists) {
  Options o = options();
  o.durability = Durability::kNone;  // the race is in memory; syncs only slow it
  FileStorage storage(base(), o);
  auto list_of = [](const std::string& prefix) {
    json items = json::array();
    for (int i = 0; i < 20; ++i)
      items.push_back(contact(prefix + std::to_string(i), prefix));
    return items;
  };
  const json start = list_of("c"), first = list_of("a"), second = list_of("b");
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(storage.save("contacts.json", start)) << storage.last_error();
    std::atomic<int> ready{0};
    auto save = [&](const json& list) {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      EXPECT_TRUE(storage.save("contacts.json", list)) << storage.last_error();
    };
    std::thread a(save, std::cref(first));
    std::thread b(save, std::cref(second));
    a.join();
    b.join();
    json loaded = storage.load("contacts.json");
    ASSERT_TRUE(loaded == first || loaded == second)
        << "round " << round << ": " << loaded.size() << " items, neither list saved";
  }
}

// JSON text has no NaN, infinity or binary value; nlohmann would store null
// and {"bytes": ...} in their place. save() refuses them and stores nothing.
TEST_F(FileStorageTest, save_refuses_non_finite_numbers_and_binary_values) {
  auto storage = open();
  const json kept = json::array({contact("a", "Alice")});
  ASSERT_TRUE(storage->save("contacts.json", kept)) << storage->last_error();
  uint64_t seq = storage->store().last_seq();
  const double kUnstorable[] = {std::nan(""), HUGE_VAL, -HUGE_VAL};
  for (double number : kUnstorable) {
    json item = contact("b", "Bob");
    item["address"]["score"] = number;  // nested, not only at the top
    EXPECT_FALSE(storage->save("contacts.json", json::array({kept[0], item}))) << number;
    EXPECT_TRUE(contains(storage->last_error(), "NaN or an infinity"))
        << storage->last_error();
    EXPECT_FALSE(storage->save("scores.json", json::array({number}))) << number;
    EXPECT_THROW(serialize_for_storage(json::array({number})), InvalidInputError);
  }
  json binary = contact("b", "Bob");
  binary["photo"] = json::binary({0x89, 0x50, 0x4e, 0x47});
  EXPECT_FALSE(storage->save("contacts.json", json::array({binary})));
  EXPECT_TRUE(contains(storage->last_error(), "binary")) << storage->last_error();
  EXPECT_THROW(serialize_for_storage(binary), InvalidInputError);

  EXPECT_EQ(storage->store().last_seq(), seq);  // nothing was committed
  EXPECT_EQ(storage->load("contacts.json"), kept);
  EXPECT_EQ(storage->load("scores.json"), json::array());
}

// An export changed after it was written (one byte of a collection file, the
// manifest, an extra file) is refused whole: the journal keeps every byte.
TEST_F(FileStorageTest, import_of_a_tampered_export_is_refused_and_changes_nothing) {
  std::string pristine = tmp_ / "export";
  {
    auto source = open(tmp_ / "source");
    ASSERT_TRUE(source->save("contacts.json", json::array({contact("a", "Imported A")})));
    ASSERT_TRUE(source->save("notes.json", json::array({"imported note"})));
    ASSERT_TRUE(source->export_data(pristine));
  }
  json mine = json::array({contact("m", "Mine")});
  auto storage = open();
  ASSERT_TRUE(storage->save("contacts.json", mine));
  ASSERT_TRUE(storage->create_backup("contacts.json"));
  ASSERT_TRUE(storage->save("contacts.json", json::array({contact("m", "Mine 2")})));
  mine = storage->load("contacts.json");
  auto journal = journal_files(base());
  auto backups = entries_of(storage->backup_dir());

  int n = 0;
  auto refused = [&](const std::string& why,
                     const std::function<void(const std::string&)>& tamper) {
    SCOPED_TRACE(why);
    std::string copy = tmp_ / ("tampered" + std::to_string(++n));
    fs::copy(pristine, copy, fs::copy_options::recursive);
    tamper(copy);
    EXPECT_FALSE(storage->import_data(copy));
    EXPECT_FALSE(storage->last_error().empty());
    EXPECT_EQ(journal_files(base()), journal);
    EXPECT_EQ(entries_of(storage->backup_dir()), backups);
    EXPECT_EQ(storage->load("contacts.json"), mine);
    EXPECT_EQ(storage->load("notes.json"), json::array());
  };
  refused("a changed byte in a collection file", [](const std::string& dir) {
    std::string text = testing::read_bytes(dir + "/contacts.json");
    size_t at = text.find("Imported A");
    ASSERT_NE(at, std::string::npos);
    text[at] = 'J';  // same size
    testing::write_bytes(dir + "/contacts.json", text);
  });
  refused("a collection file and its manifest entry edited together",
          [](const std::string& dir) {
            std::string text = testing::read_bytes(dir + "/contacts.json");
            text.replace(text.find("Imported A"), 10, "Imported B");
            testing::write_bytes(dir + "/contacts.json", text);
            json manifest = json::parse(testing::read_bytes(dir + "/manifest.json"));
            for (auto& f : manifest["files"]) {
              if (f["file"] == "contacts.json") {
                char hex[17];
                std::snprintf(hex, sizeof hex, "%016llx",
                              static_cast<unsigned long long>(checksum(text)));
                f["xxh3"] = hex;
              }
            }
            testing::write_bytes(dir + "/manifest.json", manifest.dump(2));
          });
  refused("an edited manifest", [](const std::string& dir) {
    json manifest = json::parse(testing::read_bytes(dir + "/manifest.json"));
    manifest["seq"] = manifest["seq"].get<uint64_t>() + 1;
    testing::write_bytes(dir + "/manifest.json", manifest.dump(2));
  });
  refused("a manifest that drops a file", [](const std::string& dir) {
    json manifest = json::parse(testing::read_bytes(dir + "/manifest.json"));
    json files = json::array();
    for (const auto& f : manifest["files"]) {
      if (f["file"] != "notes.json") files.push_back(f);
    }
    manifest["files"] = files;
    testing::write_bytes(dir + "/manifest.json", manifest.dump(2));
  });
  refused("an extra unknown file", [](const std::string& dir) {
    testing::write_bytes(dir + "/extra.json", "{}\n");
  });
  refused("an extra unknown file that is not JSON", [](const std::string& dir) {
    testing::write_bytes(dir + "/README", "hello\n");
  });
  refused("a missing collection file",
          [](const std::string& dir) { fs::remove(dir + "/notes.json"); });

  // The untouched export imports fine.
  ASSERT_TRUE(storage->import_data(pristine)) << storage->last_error();
  EXPECT_EQ(storage->load("contacts.json"), json::array({contact("a", "Imported A")}));
  EXPECT_EQ(storage->load("notes.json"), json::array({"imported note"}));
}

// An export whose manifest names a path outside the export ('../', absolute),
// or whose files are symlinks, is refused, even when the bytes reached that
// way would match the manifest.
TEST_F(FileStorageTest, import_refuses_paths_outside_the_export_and_symlinks) {
  std::string pristine = tmp_ / "export";
  {
    auto source = open(tmp_ / "source");
    ASSERT_TRUE(source->save("contacts.json", json::array({contact("a", "Imported A")})));
    ASSERT_TRUE(source->export_data(pristine));
  }
  auto storage = open();
  json mine = json::array({contact("m", "Mine")});
  ASSERT_TRUE(storage->save("contacts.json", mine));
  auto journal = journal_files(base());

  int n = 0;
  auto refused = [&](const std::string& why,
                     const std::function<void(const std::string&)>& tamper) {
    SCOPED_TRACE(why);
    std::string parent = tmp_ / ("case" + std::to_string(++n));
    fs::create_directory(parent);
    std::string copy = parent + "/export";
    fs::copy(pristine, copy, fs::copy_options::recursive);
    tamper(copy);
    EXPECT_FALSE(storage->import_data(copy));
    EXPECT_FALSE(storage->last_error().empty());
    EXPECT_EQ(journal_files(base()), journal);
    EXPECT_FALSE(fs::exists(storage->backup_dir()));  // not even the pre-import backup
    EXPECT_EQ(storage->load("contacts.json"), mine);
  };
  // A manifest that names `file` for the contacts entry, with a valid checksum
  // of its own, and the collection's bytes placed at that path.
  auto redirect = [](const std::string& dir, const std::string& collection,
                     const std::string& file) {
    std::string bytes = testing::read_bytes(dir + "/contacts.json");
    SnapshotInfo info =
        parse_manifest(testing::read_bytes(dir + "/manifest.json"), "manifest");
    for (auto& f : info.files) {
      if (f.collection == "contacts") {
        f.collection = collection;
        f.file = file;
      }
    }
    fs::remove(dir + "/contacts.json");
    testing::write_bytes(file.front() == '/' ? file : dir + "/" + file, bytes);
    testing::write_bytes(dir + "/manifest.json", serialize_manifest(info));
    // The checksum holds: the manifest is refused for the name alone.
    try {
      parse_manifest(testing::read_bytes(dir + "/manifest.json"), "manifest");
      ADD_FAILURE() << "parse_manifest accepted " << collection << " in " << file;
    } catch (const CorruptedDataError& e) {
      EXPECT_TRUE(contains(e.what(), "name")) << e.what();
      EXPECT_FALSE(contains(e.what(), "checksum")) << e.what();
    }
  };
  refused("'../' in a file name",
          [&](const std::string& dir) { redirect(dir, "contacts", "../contacts.json"); });
  refused("'../' in the collection and file names", [&](const std::string& dir) {
    redirect(dir, "../contacts", "../contacts.json");
  });
  refused("'sub/../' in a file name", [&](const std::string& dir) {
    fs::create_directory(dir + "/sub");
    redirect(dir, "contacts", "sub/../contacts.json");
  });
  refused("an absolute file name", [&](const std::string& dir) {
    redirect(dir, "contacts", dir + "-outside.json");
  });
  refused("a collection file replaced by a symlink to a file outside",
          [](const std::string& dir) {
            std::string outside = dir + "/../outside-contacts.json";
            fs::copy_file(dir + "/contacts.json", outside);  // identical bytes
            fs::remove(dir + "/contacts.json");
            fs::create_symlink(outside, dir + "/contacts.json");
          });
  refused("a manifest that is a symlink", [](const std::string& dir) {
    std::string outside = dir + "/../outside-manifest.json";
    fs::copy_file(dir + "/manifest.json", outside);
    fs::remove(dir + "/manifest.json");
    fs::create_symlink(outside, dir + "/manifest.json");
  });
  refused("a directory where a collection file should be", [](const std::string& dir) {
    fs::remove(dir + "/contacts.json");
    fs::create_directory(dir + "/contacts.json");
  });

  ASSERT_TRUE(storage->import_data(pristine)) << storage->last_error();
  EXPECT_EQ(storage->load("contacts.json"), json::array({contact("a", "Imported A")}));
}

TEST(FileStorageHelpers, serialize_for_storage_is_pretty_sorted_and_keeps_utf8) {
  json data = json::array();
  data.push_back(json::parse(
      R"({"name": "Zoë 日本 🎉", "id": "z", "address": {"zip": "01001", "city": "Київ"}})"));
  data.push_back("plain");
  data.push_back(3);
  std::string text = serialize_for_storage(data);
  // What Python's json.dumps(indent=2, ensure_ascii=False, sort_keys=True) writes.
  EXPECT_EQ(text,
            "[\n"
            "  {\n"
            "    \"address\": {\n"
            "      \"city\": \"Київ\",\n"
            "      \"zip\": \"01001\"\n"
            "    },\n"
            "    \"id\": \"z\",\n"
            "    \"name\": \"Zoë 日本 🎉\"\n"
            "  },\n"
            "  \"plain\",\n"
            "  3\n"
            "]");
  EXPECT_FALSE(contains(text, "\\u"));
  EXPECT_EQ(deserialize_from_storage(text), data);
  EXPECT_EQ(serialize_for_storage(json::array()), "[]");
  EXPECT_THROW(deserialize_from_storage("not json"), CorruptedDataError);
  EXPECT_THROW(deserialize_from_storage(""), CorruptedDataError);
}

TEST(FileStorageHelpers, isoformat_outputs_iso_8601) {
  using namespace std::chrono;
  const std::regex iso(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
  system_clock::time_point t{seconds(1'705'320'000) + microseconds(123456)};
  EXPECT_EQ(isoformat(t), "2024-01-15T12:00:00.123456Z");
  std::string whole = isoformat(system_clock::time_point{seconds(1'705'320'000)});
  EXPECT_TRUE(std::regex_match(whole, iso)) << whole;
  EXPECT_EQ(whole.substr(0, 19), "2024-01-15T12:00:00");
  std::string before_epoch = isoformat(system_clock::time_point{milliseconds(-500)});
  EXPECT_TRUE(std::regex_match(before_epoch, iso)) << before_epoch;
  EXPECT_EQ(before_epoch.substr(0, 21), "1969-12-31T23:59:59.5");
  // The store reads it back as the same instant.
  EXPECT_EQ(parse_time(isoformat(t), 0), 1'705'320'000'123'456'000LL);
  EXPECT_TRUE(std::regex_match(isoformat(system_clock::now()), iso));

  EXPECT_EQ(isoformat(2024, 1, 15), "2024-01-15");
  EXPECT_EQ(isoformat(2024, 2, 29), "2024-02-29");
  EXPECT_EQ(isoformat(999, 12, 31), "0999-12-31");
  EXPECT_THROW(isoformat(2023, 2, 29), InvalidInputError);
  EXPECT_THROW(isoformat(2024, 13, 1), InvalidInputError);
}

}  // namespace
}  // namespace pa_journal
