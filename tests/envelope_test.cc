// The envelope that seals a stream's messages (replication/envelope.h): a
// round trip, and every way a sealed message can fail to open: a changed
// byte anywhere, another key, associated data of another store or place,
// too few bytes, an unknown version.
#include "replication/envelope.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "pa_journal/errors.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::replication {
namespace {

constexpr std::string_view kStore = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherStore = "fedcba9876543210fedcba9876543210";

SecretBytes key_of(unsigned char fill) {
  SecretBytes key(kKeyBytes);
  std::memset(key.data(), fill, key.size());
  return key;
}

std::string record_ad(uint64_t seq, std::string_view store = kStore) {
  return associated_data(store, SealedKind::kRecord, seq);
}

TEST(EnvelopeTest, SealThenOpenGivesThePlaintextBack) {
  KeySealer sealer(key_of(7));
  for (const std::string& plain : {std::string(), std::string("a"),
                                   std::string(300'000, 'x'), std::string("\0\1\2", 3)}) {
    std::string sealed = sealer.seal(plain, record_ad(42));
    EXPECT_EQ(sealed.size(), plain.size() + kEnvelopeOverhead);
    EXPECT_EQ(sealer.open(sealed, record_ad(42)), plain);
  }
}

TEST(EnvelopeTest, LayoutIsVersionNonceCiphertextAndTag) {
  KeySealer sealer(key_of(7));
  const std::string plain = "{\"name\":\"Alice\"}";
  std::string sealed = sealer.seal(plain, record_ad(1));
  ASSERT_EQ(sealed.size(), 1 + kNonceBytes + plain.size() + kTagBytes);
  EXPECT_EQ(static_cast<uint8_t>(sealed[0]), kEnvelopeVersion);
  // No readable byte of the plaintext is left in the envelope.
  EXPECT_EQ(sealed.find("Alice"), std::string::npos);
}

TEST(EnvelopeTest, EverySealDrawsAFreshNonce) {
  KeySealer sealer(key_of(7));
  std::set<std::string> nonces;
  for (int i = 0; i < 100; ++i) {
    nonces.insert(sealer.seal("same", record_ad(1)).substr(1, kNonceBytes));
  }
  EXPECT_EQ(nonces.size(), 100u);
}

TEST(EnvelopeTest, EverySingleByteFlipIsRefused) {
  KeySealer sealer(key_of(7));
  const std::string sealed = sealer.seal("a document of some length", record_ad(9));
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string changed = sealed;
      changed[i] = static_cast<char>(changed[i] ^ mask);
      // The version byte fails as an unknown version, every other as the tag.
      if (i == 0) {
        EXPECT_THROW(sealer.open(changed, record_ad(9)), CorruptedDataError) << i;
      } else {
        EXPECT_THROW(sealer.open(changed, record_ad(9)), KeyError) << i;
      }
    }
  }
}

TEST(EnvelopeTest, AnotherKeyDoesNotOpenItAndSaysSo) {
  const std::string sealed = KeySealer(key_of(7)).seal("secret", record_ad(1));
  try {
    KeySealer(key_of(8)).open(sealed, record_ad(1));
    FAIL() << "another key opened the message";
  } catch (const KeyError& e) {
    EXPECT_STREQ(e.what(),
                 "the key does not open this message: wrong key, or the bytes were "
                 "changed");
  }
}

TEST(EnvelopeTest, AssociatedDataOfAnotherStoreSeqKindOrSnapshotIsRefused) {
  KeySealer sealer(key_of(7));
  const std::string sealed = sealer.seal("record 5", record_ad(5));
  EXPECT_THROW(sealer.open(sealed, record_ad(5, kOtherStore)), KeyError);
  EXPECT_THROW(sealer.open(sealed, record_ad(6)), KeyError);
  EXPECT_THROW(
      sealer.open(sealed, associated_data(kStore, SealedKind::kSnapshotChunk, 5)),
      KeyError);
  const std::string chunk =
      sealer.seal("chunk", associated_data(kStore, SealedKind::kSnapshotChunk, 0, "s1"));
  EXPECT_THROW(
      sealer.open(chunk, associated_data(kStore, SealedKind::kSnapshotChunk, 0, "s2")),
      KeyError);
  EXPECT_EQ(
      sealer.open(chunk, associated_data(kStore, SealedKind::kSnapshotChunk, 0, "s1")),
      "chunk");
}

TEST(EnvelopeTest, ShorterThanAnEnvelopeIsCorruptionNotAKeyError) {
  KeySealer sealer(key_of(7));
  const std::string sealed = sealer.seal("", record_ad(1));
  ASSERT_EQ(sealed.size(), kEnvelopeOverhead);
  for (size_t size = 0; size < kEnvelopeOverhead; ++size) {
    EXPECT_THROW(sealer.open(sealed.substr(0, size), record_ad(1)), CorruptedDataError)
        << size;
  }
  EXPECT_EQ(sealer.open(sealed, record_ad(1)), "");
}

TEST(EnvelopeTest, UnknownVersionIsCorruptionNamingTheVersion) {
  KeySealer sealer(key_of(7));
  std::string sealed = sealer.seal("x", record_ad(1));
  sealed[0] = 2;
  try {
    sealer.open(sealed, record_ad(1));
    FAIL() << "version 2 was opened";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("envelope version 2"), std::string::npos)
        << e.what();
  }
}

TEST(EnvelopeTest, KeyOfAnotherSizeIsRefused) {
  EXPECT_THROW(KeySealer{SecretBytes(16)}, KeyError);
  EXPECT_THROW(KeySealer{SecretBytes{}}, KeyError);
}

TEST(SecretBytesTest, CopyEqualsAndMoveLeavesTheSourceEmpty) {
  SecretBytes key = key_of(3);
  SecretBytes copy = key.copy();
  EXPECT_NE(copy.data(), key.data());
  EXPECT_TRUE(copy.equals(key));
  EXPECT_FALSE(copy.equals(key_of(4)));
  SecretBytes moved = std::move(key);
  EXPECT_TRUE(key.empty());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_TRUE(moved.equals(copy));
  moved.shrink(4);
  EXPECT_EQ(moved.size(), 4u);
}

// The hex bytes of the worked example under "Associated data" in
// docs/replication.md: the indented lines after "Record 7 of store", up to
// the first blank line, each up to its two-space comment.
std::string documented_associated_data() {
  std::istringstream doc(
      testing::read_bytes(testing::source_dir() + "/docs/replication.md"));
  std::string line, bytes;
  while (std::getline(doc, line) && line.rfind("Record 7 of store", 0) != 0) {
  }
  while (std::getline(doc, line) && line.rfind("    ", 0) != 0) {
  }
  do {
    std::istringstream words(line.substr(0, line.find("  ", 4)));
    std::string word;
    while (words >> word)
      bytes.push_back(static_cast<char>(std::stoi(word, nullptr, 16)));
  } while (std::getline(doc, line) && !line.empty());
  return bytes;
}

TEST(AssociatedDataDocTest, WorkedExampleOfTheDocIsWhatTheCodeComputes) {
  const std::string documented = documented_associated_data();
  ASSERT_EQ(documented.size(), 54u);
  EXPECT_EQ(documented, record_ad(7));
}

}  // namespace
}  // namespace pa_journal::replication
