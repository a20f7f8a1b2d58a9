// docs/replication.md and the code must agree. This test builds the store of
// the document's worked example, ships it into an in-memory log, and checks
// the messages against the document's blocks: the list of messages
// (```text messages-example), the meta JSON, the associated data
// (```hex ad-example) and the bundle (```hex bundle-example, with the
// manifest and collection file it names in ```json blocks), byte for byte.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "pa_journal/store.h"
#include "replication/messages.h"
#include "replication/sealer.h"
#include "replication/shipper.h"
#include "replication/snapshot_bundle.h"
#include "tests/doc_examples.h"
#include "tests/memory_log.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

constexpr char kStoreId[] = "0123456789abcdef0123456789abcdef";
constexpr char kStream[] = "PA_JOURNAL";

using testing::fenced_block;
using testing::lines_of;

// The bytes of an annotated block: "OFFSET: " then hex bytes up to "|", a
// "quoted" ASCII name, or {block} for the text of ```json block. Each
// OFFSET must be where the bytes before it end.
std::string annotated_bytes(const std::string& doc, const std::string& info) {
  std::string out;
  for (const std::string& line : lines_of(fenced_block(doc, "hex " + info))) {
    size_t colon = line.find(": ");
    EXPECT_NE(colon, std::string::npos) << line;
    EXPECT_EQ(std::stoul(line.substr(0, colon), nullptr, 16), out.size()) << line;
    std::string rest = line.substr(colon + 2);
    if (rest.starts_with("\"")) {
      out += rest.substr(1, rest.find('"', 1) - 1);
    } else if (rest.starts_with("{")) {
      out += fenced_block(doc, "json " + rest.substr(1, rest.find('}') - 1));
    } else {
      std::istringstream hex(rest.substr(0, rest.find('|')));
      for (std::string byte; hex >> byte;) {
        out.push_back(static_cast<char>(std::stoul(byte, nullptr, 16)));
      }
    }
  }
  return out;
}

// The store of the example, shipped; the log's messages.
class ReplicationDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.auto_compact = false;
    options.clock_ns = [] { return int64_t{1795600800000000000}; };  // 2026-11-25T10:00Z
    auto store = Store::open(dir_.path(), options);
    store->put("contacts", "alice", R"({"name":"Alice"})");
    store->compact();
    store.reset();
    replication::ShipperOptions shipper;
    shipper.dir = dir_.path();
    shipper.stream = kStream;
    shipper.store_id = kStoreId;
    replication::PlainSealer plain;
    replication::Shipper(log_, plain, shipper).ship();
    doc_ = testing::read_doc(testing::source_dir() + "/docs/replication.md");
  }

  testing::TempDir dir_;
  testing::MemoryLog log_;
  std::string doc_;
};

TEST_F(ReplicationDocTest, MessagesListedInTheDocumentAreWhatTheShipperPublishes) {
  std::vector<std::string> listed = lines_of(fenced_block(doc_, "text messages-example"));
  const auto& messages = log_.messages(kStream);
  ASSERT_EQ(listed.size(), messages.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    const replication::LogMessage& m = messages[i];
    std::string line = std::to_string(m.stream_seq) + " " + m.subject + " " +
                       std::string(*replication::find_header(m.headers, "Nats-Msg-Id"));
    for (const auto& [key, value] : m.headers) {
      if (key != "Nats-Msg-Id") line += " " + key + "=" + value;
    }
    EXPECT_EQ(listed[i], line);
  }
}

TEST_F(ReplicationDocTest, MetaJsonOfTheDocumentIsTheMetaMessage) {
  std::string block = fenced_block(doc_, "json");
  ASSERT_FALSE(block.empty());
  EXPECT_EQ(block, log_.messages(kStream)[0].data + "\n");
}

TEST_F(ReplicationDocTest, RecordMessageIsTheFrameOfTheJournalFormatExample) {
  std::string segment = testing::read_bytes(testing::segment_path(dir_.path()));
  EXPECT_EQ(log_.messages(kStream)[1].data, segment.substr(0x20, 152));
}

TEST_F(ReplicationDocTest, AssociatedDataOfTheDocumentIsWhatSealsRecordOne) {
  std::string ad = annotated_bytes(doc_, "ad-example");
  EXPECT_EQ(ad.size(), 54u);
  EXPECT_EQ(ad,
            replication::associated_data(kStoreId, replication::SealedKind::kRecord, 1));
}

TEST_F(ReplicationDocTest, BundleOfTheDocumentIsTheChunkByteForByteAndUnpacks) {
  std::string bundle = annotated_bytes(doc_, "bundle-example");
  EXPECT_EQ(bundle.size(), 570u);
  EXPECT_EQ(bundle, log_.messages(kStream)[2].data);
  replication::Bundle unpacked = replication::unpack_bundle(bundle, "the document's");
  EXPECT_EQ(unpacked.info.id, "20261125_100000");
  EXPECT_EQ(unpacked.info.seq, 1u);
  ASSERT_EQ(unpacked.files.size(), 1u);
  EXPECT_EQ(unpacked.files[0].second, "{\n  \"alice\": {\"name\":\"Alice\"}\n}\n");
}

}  // namespace
}  // namespace pa_journal
