// pa_journal/config.h: a commit that leaves a known setting of the collection
// "config" with a value it does not allow is refused, naming the key and what
// is allowed, and nothing is appended; other keys are the application's and
// are kept.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pa_journal/adopt.h"
#include "pa_journal/config.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

struct BadValue {
  const char* key;
  const char* document;
  const char* allowed;  // what the message must say is allowed
};

class ConfigValidationTest : public ::testing::Test {
 protected:
  // The message of the InvalidInputError that the put of key = document
  // throws, and that it appended nothing; "" if it did not throw.
  std::string refusal(const std::string& key, const std::string& document) {
    uint64_t before = store->last_seq();
    try {
      store->put("config", key, document);
    } catch (const InvalidInputError& e) {
      EXPECT_EQ(store->last_seq(), before) << key << " = " << document;
      return e.what();
    }
    return "";
  }

  testing::TempDir tmp;
  std::unique_ptr<Store> store = Store::open(tmp / "store");
};

TEST_F(ConfigValidationTest, EachKnownSettingRefusesAValueItDoesNotAllow) {
  const BadValue bad[] = {
      {"backup_count", R"("ten")", "a whole number from 1 to 1000000"},
      {"backup_count", "-3", "a whole number from 1 to 1000000"},
      {"backup_count", "0.5", "a whole number from 1 to 1000000"},
      {"backup_count", "0", "a whole number from 1 to 1000000"},
      {"backup_count", "10.0", "a whole number from 1 to 1000000"},
      {"backup_count", "20000000", "a whole number from 1 to 1000000"},
      {"backup_count", "18446744073709551615", "a whole number from 1 to 1000000"},
      {"auto_save_interval", "0", "a whole number from 1 to 1000000 (seconds)"},
      {"auto_save_interval", R"("60")", "a whole number from 1 to 1000000 (seconds)"},
      {"backup_enabled", R"("false")", "true or false"},
      {"backup_enabled", "0", "true or false"},
      {"auto_save", "null", "true or false"},
      {"data_format", "1", "a string that is not empty"},
      {"date_format", R"("")", "a string that is not empty"},
      {"time_format", "{}", "a string that is not empty"},
  };
  for (const auto& b : bad) {
    std::string message = refusal(b.key, b.document);
    EXPECT_NE(message.find(std::string("config ") + b.key + " must be " + b.allowed),
              std::string::npos)
        << b.key << " = " << b.document << ": " << message;
    EXPECT_NE(message.find(std::string("not ") + b.document), std::string::npos)
        << message;
  }
  EXPECT_TRUE(store->list("config").empty());
}

TEST_F(ConfigValidationTest, TheMessageQuotesTheRefusedValue) {
  EXPECT_EQ(refusal("backup_count", R"("ten")"),
            R"(config backup_count must be a whole number from 1 to 1000000 )"
            R"((backups kept), not "ten")");
}

TEST_F(ConfigValidationTest, AllowedValuesAreStored) {
  store->put("config", "backup_count", "3");
  store->put("config", "auto_save_interval", "60");
  store->put("config", "backup_enabled", "false");
  store->put("config", "auto_save", "true");
  store->put("config", "date_format", R"("%d.%m.%Y")");
  EXPECT_EQ(store->list("config").size(), 5u);
  EXPECT_EQ(store->get("config", "backup_count"), "3");
}

TEST_F(ConfigValidationTest, APatchThatLeavesABadValueIsRefused) {
  store->put("config", "backup_count", "3");
  uint64_t before = store->last_seq();
  // A merge patch that is not an object replaces the document.
  EXPECT_THROW(store->patch("config", "backup_count", R"("ten")"), InvalidInputError);
  EXPECT_THROW(store->patch("config", "backup_count", R"({"n":1})"), InvalidInputError);
  EXPECT_EQ(store->last_seq(), before);
  EXPECT_EQ(store->get("config", "backup_count"), "3");
}

TEST_F(ConfigValidationTest, ACommitWithOneBadSettingAppendsNoneOfIt) {
  uint64_t before = store->last_seq();
  EXPECT_THROW(store->commit({{OpKind::kPut, "contacts", "alice", "{}"},
                              {OpKind::kPut, "config", "backup_count", "-3"}}),
               InvalidInputError);
  EXPECT_EQ(store->last_seq(), before);
  EXPECT_FALSE(store->get("contacts", "alice"));
}

TEST_F(ConfigValidationTest, EnqueueRefusesABadSettingToo) {
  uint64_t before = store->last_seq();
  EXPECT_THROW(store->enqueue({{OpKind::kPut, "config", "auto_save", "1"}}),
               InvalidInputError);
  EXPECT_EQ(store->last_seq(), before);
}

TEST_F(ConfigValidationTest, ASettingMayBeDeleted) {
  store->put("config", "backup_count", "3");
  store->remove("config", "backup_count");
  EXPECT_FALSE(store->get("config", "backup_count"));
}

TEST_F(ConfigValidationTest, UnknownKeysAreKeptAndListed) {
  store->put("config", "theme", R"("dark")");
  store->put("config", "durability", R"("fast")");
  store->put("config", "backup_count", "3");
  EXPECT_EQ(store->get("config", "theme"), R"("dark")");
  EXPECT_EQ(unknown_config_keys(*store),
            (std::vector<std::string>{"durability", "theme"}));
}

TEST_F(ConfigValidationTest, SettingsInOtherCollectionsAreNotChecked) {
  store->put("notes", "backup_count", R"("ten")");
  EXPECT_EQ(store->get("notes", "backup_count"), R"("ten")");
}

TEST_F(ConfigValidationTest, ConfigManagerSetIsRefusedToo) {
  store.reset();
  FileStorage storage(tmp / "store");
  ConfigManager config(storage);
  EXPECT_THROW(config.set("backup_count", "ten"), InvalidInputError);
  EXPECT_EQ(config.get("backup_count"), 10);  // the default still
}

// Refusing the app's setting would refuse the whole adoption of its data.
TEST(ConfigAdoptionTest, AnAdoptionKeepsTheAppsSettingsAsTheyAre) {
  testing::TempDir tmp;
  std::string app = tmp / "app";
  testing::write_files(app, {{"config.json", "[{\"backup_count\": \"ten\"}]\n"},
                             {"contacts.json", "[{\"name\": \"A\"}]\n"}});
  adopt_store(app);
  auto store = Store::open(app);
  EXPECT_EQ(store->get("config", "backup_count"), R"("ten")");
  EXPECT_EQ(store->list("contacts").size(), 1u);
  // Once adopted, a commit is checked as in any store.
  EXPECT_THROW(store->put("config", "backup_count", "0"), InvalidInputError);
}

}  // namespace
}  // namespace pa_journal
