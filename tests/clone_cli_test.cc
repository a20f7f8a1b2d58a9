// `pa-journal clone` (docs/cli.md, "clone") against a real JetStream server
// (tests/nats_cluster.h): the clone opens as a store every command reads,
// keeps its source's id and says what it holds; a sealed stream opens with
// its key file (or its passphrase) and is refused, naming the key, with
// another or none; and
// every refusal (a destination in use, a bad URL, no server, no stream, a
// damaged message) names what is wrong and leaves the destination as it was.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pa_journal/store.h"
#include "replication/envelope.h"
#include "replication/keys.h"
#include "replication/nats_log.h"
#include "replication/sealing_meta.h"
#include "tests/clone_cli_util.h"
#include "tests/nats_cluster.h"
#include "tests/replication_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::cli;
using testing::CommandResult;
using testing::NatsCluster;
using testing::NatsClusterOptions;
using testing::TempDir;

NatsClusterOptions one_node() {
  NatsClusterOptions o;
  o.nodes = 1;
  return o;
}

// A store of records commits (contacts c0.., each put then patched once in a
// while), compacted halfway, shipped into stream with sealer.
std::string ship_store(const std::string& url, const std::string& dir,
                       const std::string& stream, const replication::Sealer& sealer,
                       const std::string& sealing_json = "null", int records = 20) {
  auto store = Store::open(dir, testing::test_store_options());
  for (int i = 0; i < records; ++i) {
    store->put("contacts", "c" + std::to_string(i % 8), testing::contact(i));
    if (i == records / 2) store->compact();
  }
  const std::string id = store->store_id();
  store.reset();
  replication::NatsLog log(url);
  auto options = testing::store_shipper_options(dir, stream, id, url);
  options.sealing_json = sealing_json;
  testing::ship_patiently(log, sealer, options);
  return id;
}

// A port of 127.0.0.1 where nothing listens (bound once, then let go).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

void expect_mentions(const CommandResult& r, const std::string& what) {
  EXPECT_NE(r.err.find(what), std::string::npos) << "no '" << what << "' in\n"
                                                 << r.describe();
}

TEST(CloneCliTest, TheCloneOpensAsAStoreKeepsItsIdAndTheSummarySaysWhatItHolds) {
  NatsCluster cluster(one_node());
  TempDir dir, out;
  replication::PlainSealer plain;
  const std::string id = ship_store(cluster.url(), dir.path(), "SUMMARY", plain);
  const std::string clone = out / "clone";
  testing::CommandOptions terminal;
  terminal.stderr_terminal = true;
  CommandResult r = testing::run_pa_journal(
      {"clone", "--url", cluster.url(), "--stream", "SUMMARY", clone}, terminal);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("store id     " + id + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("records      20 (seq 1 to 20,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("snapshots    1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("clone: reading stream SUMMARY"), std::string::npos)
      << "no progress on the terminal";
  EXPECT_FALSE(std::filesystem::exists(clone + ".clone-partial"));
  cli({"--dir", clone, "verify"});
  json replicas = json::parse(cli({"--dir", clone, "replicas", "--json"}).out);
  EXPECT_EQ(replicas["store_id"], id);
  EXPECT_EQ(cli({"--dir", clone, "list", "contacts", "--json"}).out,
            cli({"--dir", dir.path(), "list", "contacts", "--json"}).out);
  // The clone is a store of its own: it takes commits after the source's.
  EXPECT_EQ(cli({"--dir", clone, "put", "contacts", "new", "{}"}).out, "21\n");
}

TEST(CloneCliTest, ASealedStreamClonesWithItsKeyFileAndIsRefusedNamingAnyOtherKey) {
  NatsCluster cluster(one_node());
  TempDir dir, out, keys;
  const std::string key = keys / "right.key", wrong = keys / "wrong.key";
  cli({"keygen", key});
  cli({"keygen", wrong});
  // The sealing names the store: make it for the store's own id.
  auto store = Store::open(dir.path(), testing::test_store_options());
  const std::string store_id = store->store_id();
  store.reset();
  auto sealing =
      replication::new_sealing(replication::KeySource::from_key_file(key), store_id);
  ship_store(cluster.url(), dir.path(), "SEALED", *sealing.sealer, sealing.meta.dump());
  const std::string url = cluster.url();
  // --key-file before the command and after it.
  cli({"--key-file", key, "clone", "--url", url, "--stream", "SEALED", out / "a"});
  cli({"clone", "--url", url, "--stream", "SEALED", out / "b", "--key-file", key});
  EXPECT_EQ(cli({"--dir", out / "b", "list", "contacts", "--json"}).out,
            cli({"--dir", dir.path(), "list", "contacts", "--json"}).out);
  CommandResult refused = cli(
      {"clone", "--url", url, "--stream", "SEALED", out / "c", "--key-file", wrong}, 1);
  expect_mentions(refused, wrong);
  CommandResult no_key = cli({"clone", "--url", url, "--stream", "SEALED", out / "c"}, 1);
  expect_mentions(no_key, "SEALED");
  EXPECT_FALSE(std::filesystem::exists(out / "c"));
  EXPECT_FALSE(std::filesystem::exists(out / "c.clone-partial"));
}

TEST(CloneCliTest, APassphraseStreamClonesWithThePassphraseAndIsRefusedWithAnother) {
  NatsCluster cluster(one_node());
  TempDir dir, out;
  const std::string passphrase = "correct horse battery staple";
  replication::SecretBytes secret(passphrase.size());
  std::memcpy(secret.data(), passphrase.data(), passphrase.size());
  // The stream's own parameters, cheap for a test: the clone derives with them.
  replication::KdfParams kdf = replication::new_kdf_params();
  kdf.opslimit = replication::kMinOpslimit;
  kdf.memlimit = 1 << 20;
  auto store = Store::open(dir.path(), testing::test_store_options());
  const std::string store_id = store->store_id();
  store.reset();
  auto sealing = replication::new_sealing(
      replication::KeySource::from_passphrase(std::move(secret)), store_id, kdf);
  ship_store(cluster.url(), dir.path(), "PASSPHRASE", *sealing.sealer,
             sealing.meta.dump());
  const std::vector<std::string> clone = {"clone",    "--url",      cluster.url(),
                                          "--stream", "PASSPHRASE", "--passphrase",
                                          out / "a"};
  testing::CommandOptions right, wrong;
  right.env = {{"PA_JOURNAL_PASSPHRASE", passphrase}};
  wrong.env = {{"PA_JOURNAL_PASSPHRASE", "incorrect horse"}};
  CommandResult refused = testing::run_pa_journal(clone, wrong);
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  expect_mentions(refused, "passphrase does not open stream PASSPHRASE");
  EXPECT_FALSE(std::filesystem::exists(out / "a"));
  CommandResult r = testing::run_pa_journal(clone, right);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(cli({"--dir", out / "a", "list", "contacts", "--json"}).out,
            cli({"--dir", dir.path(), "list", "contacts", "--json"}).out);
}

TEST(CloneCliTest, RefusalsNameWhatIsWrongAndLeaveTheDestinationAsItWas) {
  NatsCluster cluster(one_node());
  TempDir dir, out;
  replication::PlainSealer plain;
  ship_store(cluster.url(), dir.path(), "REFUSALS", plain);
  const std::string url = cluster.url();
  auto clone_into = [&](const std::string& target, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"clone", "--url", url, "--stream", "REFUSALS", target};
    args.insert(args.end(), more.begin(), more.end());
    return testing::run_pa_journal(args);
  };
  const std::string used = out / "used";
  testing::write_files(used, {{"notes.txt", "mine"}});
  CommandResult r = clone_into(used);
  EXPECT_EQ(r.exit_code, 1);
  expect_mentions(r, used);
  EXPECT_EQ(testing::files_under(used), (testing::Files{{"notes.txt", "mine"}}));
  const std::string target = out / "target";
  std::filesystem::create_directories(target + ".clone-partial");
  r = clone_into(target);
  EXPECT_EQ(r.exit_code, 1);
  expect_mentions(r, target + ".clone-partial");
  EXPECT_FALSE(std::filesystem::exists(target));
  std::filesystem::remove(target + ".clone-partial");
  for (const std::string& bad : {std::string("http://127.0.0.1:4222"),
                                 "nats://127.0.0.1:" + std::to_string(free_port())}) {
    r = cli({"clone", "--url", bad, target}, 1);
    expect_mentions(r, bad.substr(bad.find("127")));
  }
  r = cli({"clone", "--url", url, "--stream", "NOSUCH", target}, 1);
  expect_mentions(r, "NOSUCH");
  r = cli({"clone", "--url", url, "--stream", "bad.name", target}, 1);
  expect_mentions(r, "bad.name");
  r = clone_into(target, {"--at", "2200-01-01"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  expect_mentions(r, "future");
  EXPECT_EQ(clone_into(target, {"--at", "yesterday-ish"}).exit_code, 2);
  // Before the stream's first commit (the source's clock starts at
  // 2026-11-25T10:00:00Z): the clone would hold nothing.
  r = clone_into(target, {"--at", "2026-11-24"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  expect_mentions(r, "holds nothing committed at or before 2026-11-24");
  std::filesystem::create_directories(target);
  EXPECT_EQ(clone_into(target, {"--at", "2026-11-24"}).exit_code, 1);
  EXPECT_TRUE(std::filesystem::is_empty(target));
  std::filesystem::remove(target);
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(target + ".clone-partial"));
}

TEST(CloneCliTest, AServerWithoutJetStreamIsRefusedNamingIt) {
  NatsClusterOptions options = one_node();
  options.jetstream = false;
  NatsCluster cluster(options);
  TempDir out;
  CommandResult r = cli({"clone", "--url", cluster.url(), out / "target"}, 1);
  expect_mentions(r, "JetStream");
  EXPECT_FALSE(std::filesystem::exists(out / "target"));
}

// Seals as PlainSealer does, but changes one byte of record seq 5: a message
// damaged on its way, which only the frame's checksum can tell.
class DamagingSealer final : public replication::Sealer {
 public:
  bool encrypts() const override { return false; }
  std::string seal(std::string_view plain, std::string_view ad) const override {
    std::string out(plain);
    if (ad == replication::associated_data(store_id, replication::SealedKind::kRecord, 5))
      out[out.size() / 2] ^= 0x20;
    return out;
  }
  std::string open(std::string_view sealed, std::string_view) const override {
    return std::string(sealed);
  }
  std::string store_id;
};

TEST(CloneCliTest, ADamagedRecordMessageExits3NamingItsStreamSequence) {
  NatsCluster cluster(one_node());
  TempDir dir, out;
  DamagingSealer damaging;
  damaging.store_id = Store::open(dir.path(), testing::test_store_options())->store_id();
  ship_store(cluster.url(), dir.path(), "DAMAGED", damaging);
  CommandResult r =
      cli({"clone", "--url", cluster.url(), "--stream", "DAMAGED", out / "target"}, 3);
  // The meta message is stream seq 1, so record 5 is stream seq 6.
  expect_mentions(r, "stream seq 6");
  EXPECT_FALSE(std::filesystem::exists(out / "target"));
  EXPECT_FALSE(std::filesystem::exists(out / "target.clone-partial"));
}

}  // namespace
}  // namespace pa_journal
