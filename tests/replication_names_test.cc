// The stream's names and the associated data of sealed messages
// (replication/subjects.h, replication/sealer.h): what an independent
// consumer reads in docs/replication.md.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "replication/sealer.h"
#include "replication/subjects.h"

namespace pa_journal::replication {
namespace {

TEST(StreamNameTest, LettersDigitsUnderscoreAndDashAreAccepted) {
  EXPECT_NO_THROW(validate_stream_name("PA_JOURNAL"));
  EXPECT_NO_THROW(validate_stream_name("laptop-2"));
  EXPECT_NO_THROW(validate_stream_name(std::string(kMaxStreamNameBytes, 'a')));
}

TEST(StreamNameTest, NamesJetStreamForbidsAreRefusedWithTheName) {
  for (const std::string& bad :
       std::vector<std::string>{"", "a.b", "a*", "a>", "a b", "a/b", "ä",
                                std::string(kMaxStreamNameBytes + 1, 'a')}) {
    try {
      validate_stream_name(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + bad + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(SubjectsTest, EachKindHasItsSubjectUnderTheStreamsFilter) {
  EXPECT_EQ(stream_subjects("S"), "pa-journal.S.>");
  EXPECT_EQ(meta_subject("S"), "pa-journal.S.meta");
  EXPECT_EQ(record_subject("S"), "pa-journal.S.rec");
  EXPECT_EQ(snapshot_subject("S"), "pa-journal.S.snap");
}

TEST(SubjectsTest, MessageIdsNameTheStoreAndThePlace) {
  EXPECT_EQ(record_msg_id("ab12", 7), "ab12:7");
  EXPECT_EQ(meta_msg_id("ab12"), "ab12:meta");
  EXPECT_EQ(snapshot_chunk_msg_id("ab12", "20240115_120000", 42, 3),
            "ab12:snap:20240115_120000:42:3");
}

TEST(SubjectsTest, ChunkIdsOfTwoSnapshotsSharingAnIdDifferBySeq) {
  EXPECT_NE(snapshot_chunk_msg_id("ab12", "20240115_120000", 10, 0),
            snapshot_chunk_msg_id("ab12", "20240115_120000", 71, 0));
}

TEST(AssociatedDataTest, DiffersForEveryStoreKindNumberAndSnapshot) {
  const std::string store(32, 'a'), other(32, 'b');
  std::set<std::string> seen = {
      associated_data(store, SealedKind::kRecord, 1),
      associated_data(other, SealedKind::kRecord, 1),
      associated_data(store, SealedKind::kRecord, 2),
      associated_data(store, SealedKind::kSnapshotChunk, 1, "x"),
      associated_data(store, SealedKind::kSnapshotChunk, 1, "y"),
      associated_data(store, SealedKind::kMeta, 1),
  };
  EXPECT_EQ(seen.size(), 6u);
}

TEST(AssociatedDataTest, LayoutIsPrefixStoreKindLittleEndianNumberSnapshot) {
  const std::string ad =
      associated_data(std::string(32, 'c'), SealedKind::kSnapshotChunk, 0x0102, "id");
  const std::string expected = std::string("pa-journal/1\0", 13) + std::string(32, 'c') +
                               std::string("\x03\x02\x01\0\0\0\0\0\0", 9) + "id";
  EXPECT_EQ(ad, expected);
}

TEST(PlainSealerTest, LeavesBytesAsTheyAre) {
  PlainSealer plain;
  EXPECT_FALSE(plain.encrypts());
  EXPECT_EQ(plain.open(plain.seal("doc", "ad"), "ad"), "doc");
}

}  // namespace
}  // namespace pa_journal::replication
