// The glue between a store and its shipper (store/replication_target.h), for
// what needs no server: the store id made, the stream's lock taken and
// refused to a second target, the mistakes refused before anything is
// written. Shipping itself is in replicate_cli_test and background_shipper_test.
#include "store/replication_target.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "journal/layout.h"
#include "journal/store_id.h"
#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

ReplicationOptions target_options(const std::string& stream = "S1") {
  ReplicationOptions o;
  o.url = "nats://127.0.0.1:1";  // never asked: the constructor does not connect
  o.stream = stream;
  return o;
}

class ReplicationTargetTest : public ::testing::Test {
 protected:
  void SetUp() override { Store::open(dir_.path())->put("notes", "a", R"({"x":1})"); }
  TempDir dir_;
};

TEST_F(ReplicationTargetTest, SecondTargetToTheSameStreamIsRefusedNamingTheLock) {
  ReplicationTarget first(dir_.path(), target_options(), nullptr);
  try {
    ReplicationTarget second(dir_.path(), target_options(), nullptr);
    FAIL() << "a second target to the same stream was made";
  } catch (const ReplicationError& e) {
    EXPECT_FALSE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("stream S1 is being shipped by another process, "
                                         "which holds the lock replicas/S1.lock"),
              std::string::npos)
        << e.what();
  }
  ReplicationTarget other_stream(dir_.path(), target_options("S2"), nullptr);
}

TEST_F(ReplicationTargetTest, StoreWithoutAnIdGetsOneTheStoreThenKeeps) {
  std::string id = Store::open(dir_.path())->store_id();
  std::filesystem::remove(store_id_file_name(dir_.path()));
  std::string made = ReplicationTarget(dir_.path(), target_options(), nullptr).store_id();
  EXPECT_TRUE(is_store_id(made));
  EXPECT_NE(made, id);
  EXPECT_EQ(Store::open(dir_.path())->store_id(), made);
}

TEST_F(ReplicationTargetTest, MistakesAreRefusedBeforeAnythingIsWritten) {
  TempDir empty;
  EXPECT_THROW(ReplicationTarget(empty / "none", target_options(), nullptr),
               NotFoundError);
  EXPECT_FALSE(std::filesystem::exists(empty / "none"));
  EXPECT_THROW(ReplicationTarget(dir_.path(), target_options("a.b"), nullptr),
               InvalidInputError);
  ReplicationOptions two_keys = target_options();
  two_keys.key_file = dir_ / "k";
  two_keys.passphrase = "p";
  EXPECT_THROW(ReplicationTarget(dir_.path(), two_keys, nullptr), InvalidInputError);
  ReplicationOptions bad_url = target_options();
  bad_url.url = "http://127.0.0.1:4222";
  EXPECT_THROW(ReplicationTarget(dir_.path(), bad_url, nullptr), ReplicationError);
  EXPECT_FALSE(std::filesystem::exists(replicas_dir(dir_.path()) + "/a.b.lock"));
}

}  // namespace
}  // namespace pa_journal::testing
