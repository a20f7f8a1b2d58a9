// The "sealing" member of a stream's meta message (replication/
// sealing_meta.h): what a new stream says about its sealing, and which key
// sources a stream accepts: the right key or passphrase opens it; no key, a
// key where none belongs, a key file for a passphrase's stream, a wrong key
// and a damaged member are each refused with the stream's name.
#include "replication/sealing_meta.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "pa_journal/errors.h"
#include "replication/envelope.h"

namespace pa_journal::replication {
namespace {

using nlohmann::json;

constexpr std::string_view kStore = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kStream = "PA_JOURNAL";

KeySource key_source(unsigned char fill, const std::string& name = "the key in k.key") {
  SecretBytes key(kKeyBytes);
  std::memset(key.data(), fill, key.size());
  return KeySource::from_key(std::move(key), name);
}

KeySource passphrase_source(const std::string& text) {
  SecretBytes secret(text.size());
  std::memcpy(secret.data(), text.data(), text.size());
  return KeySource::from_passphrase(std::move(secret));
}

KdfParams cheap_params() {
  KdfParams params;
  params.salt.fill(9);
  params.opslimit = kMinOpslimit;
  params.memlimit = kMinMemlimit;
  return params;
}

template <typename Error, typename F>
std::string error_of(F&& what) {
  try {
    what();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "not thrown";
  return "";
}

TEST(SealingMetaTest, NoKeyMakesAPlainStreamWithNullSealing) {
  Sealing sealing = new_sealing(KeySource(), kStore);
  EXPECT_FALSE(sealing.sealer->encrypts());
  EXPECT_TRUE(sealing.meta.is_null());
  EXPECT_FALSE(check_meta_key(nullptr, KeySource(), kStore, kStream)->encrypts());
}

TEST(SealingMetaTest, KeyFileStreamSaysFileWithoutKdfAndTheKeyOpensIt) {
  Sealing sealing = new_sealing(key_source(1), kStore);
  ASSERT_TRUE(sealing.sealer->encrypts());
  EXPECT_EQ(sealing.meta["cipher"], "xchacha20poly1305-ietf");
  EXPECT_EQ(sealing.meta["key"], "file");
  EXPECT_TRUE(sealing.meta["kdf"].is_null());
  EXPECT_TRUE(sealing.meta["check"].is_string());
  auto sealer = check_meta_key(sealing.meta, key_source(1), kStore, kStream);
  // The sealer returned opens what the new stream's sealer sealed.
  const std::string ad = associated_data(kStore, SealedKind::kRecord, 3);
  EXPECT_EQ(sealer->open(sealing.sealer->seal("record", ad), ad), "record");
}

TEST(SealingMetaTest, PassphraseStreamKeepsItsKdfAndTheSamePassphraseOpensIt) {
  Sealing sealing =
      new_sealing(passphrase_source("correct horse"), kStore, cheap_params());
  EXPECT_EQ(sealing.meta["key"], "passphrase");
  const json& kdf = sealing.meta["kdf"];
  EXPECT_EQ(kdf["alg"], "argon2id13");
  EXPECT_EQ(kdf["salt"], "CQkJCQkJCQkJCQkJCQkJCQ==");  // 16 bytes of 9
  EXPECT_EQ(kdf["opslimit"], kMinOpslimit);
  EXPECT_EQ(kdf["memlimit"], kMinMemlimit);
  auto sealer =
      check_meta_key(sealing.meta, passphrase_source("correct horse"), kStore, kStream);
  const std::string ad = associated_data(kStore, SealedKind::kRecord, 1);
  EXPECT_EQ(sealer->open(sealing.sealer->seal("doc", ad), ad), "doc");
}

TEST(SealingMetaTest, MetaJsonHoldsNoKeyByte) {
  KeySource source = key_source(0x41);  // 32 bytes of 'A'
  Sealing sealing = new_sealing(source, kStore);
  EXPECT_EQ(sealing.meta.dump().find("AAAA"), std::string::npos) << sealing.meta.dump();
}

TEST(SealingMetaTest, WrongKeyFileIsAKeyErrorNamingTheFileAndTheStream) {
  Sealing sealing = new_sealing(key_source(1), kStore);
  EXPECT_EQ(error_of<KeyError>([&] {
              check_meta_key(sealing.meta, key_source(2, "the key in /k/other.key"),
                             kStore, kStream);
            }),
            "the key in /k/other.key does not open stream PA_JOURNAL");
}

TEST(SealingMetaTest, WrongPassphraseIsAKeyErrorNamingTheStream) {
  Sealing sealing =
      new_sealing(passphrase_source("correct horse"), kStore, cheap_params());
  EXPECT_EQ(error_of<KeyError>([&] {
              check_meta_key(sealing.meta, passphrase_source("wrong horse"), kStore,
                             kStream);
            }),
            "the passphrase does not open stream PA_JOURNAL");
}

TEST(SealingMetaTest, CheckSealedForAnotherStoreIdDoesNotOpen) {
  Sealing sealing = new_sealing(key_source(1), kStore);
  EXPECT_THROW(check_meta_key(sealing.meta, key_source(1),
                              "fedcba9876543210fedcba9876543210", kStream),
               KeyError);
}

TEST(SealingMetaTest, EncryptedStreamWithoutAKeyIsAKeyError) {
  Sealing by_file = new_sealing(key_source(1), kStore);
  EXPECT_EQ(error_of<KeyError>(
                [&] { check_meta_key(by_file.meta, KeySource(), kStore, kStream); }),
            "stream PA_JOURNAL is encrypted with a key file, and no key was given");
  Sealing by_passphrase =
      new_sealing(passphrase_source("correct horse"), kStore, cheap_params());
  EXPECT_EQ(error_of<KeyError>([&] {
              check_meta_key(by_passphrase.meta, KeySource(), kStore, kStream);
            }),
            "stream PA_JOURNAL is encrypted with a passphrase, and no key was given");
}

TEST(SealingMetaTest, KeyForAStreamWithoutEncryptionIsAKeyError) {
  std::string message = error_of<KeyError>(
      [&] { check_meta_key(nullptr, key_source(1), kStore, kStream); });
  EXPECT_EQ(message,
            "stream PA_JOURNAL is not encrypted, but the key in k.key was given: a "
            "stream keeps the sealing it was started with");
  EXPECT_THROW(check_meta_key(nullptr, passphrase_source("p"), kStore, kStream),
               KeyError);
}

TEST(SealingMetaTest, KeyFileForAPassphraseStreamAndTheOtherWayRoundAreKeyErrors) {
  Sealing by_passphrase =
      new_sealing(passphrase_source("correct horse"), kStore, cheap_params());
  EXPECT_EQ(error_of<KeyError>([&] {
              check_meta_key(by_passphrase.meta, key_source(1), kStore, kStream);
            }),
            "stream PA_JOURNAL is encrypted with a passphrase, not a key file (the key "
            "in k.key was given)");
  Sealing by_file = new_sealing(key_source(1), kStore);
  EXPECT_THROW(check_meta_key(by_file.meta, passphrase_source("p"), kStore, kStream),
               KeyError);
}

TEST(SealingMetaTest, DamagedSealingMemberIsCorruptionNamingTheStream) {
  const json good = new_sealing(key_source(1), kStore).meta;
  const json good_passphrase =
      new_sealing(passphrase_source("p"), kStore, cheap_params()).meta;
  auto with = [](json meta, const json::json_pointer& at, const json& value) {
    meta[at] = value;
    return meta;
  };
  using P = json::json_pointer;
  const std::vector<json> damaged = {
      json::array(),
      "sealed",
      json::object(),
      with(good, P("/cipher"), "aes-256-gcm"),
      with(good, P("/cipher"), 7),
      with(good, P("/key"), "token"),
      with(good, P("/kdf"), good_passphrase["kdf"]),
      with(good, P("/check"), "not base64!"),
      with(good, P("/check"), "AAAA"),
      with(good_passphrase, P("/kdf"), nullptr),
      with(good_passphrase, P("/kdf/alg"), "scrypt"),
      with(good_passphrase, P("/kdf/salt"), "AAAA"),
      with(good_passphrase, P("/kdf/opslimit"), -1),
      with(good_passphrase, P("/kdf/opslimit"), 1000),
      with(good_passphrase, P("/kdf/memlimit"), uint64_t{1} << 40),
      with(good_passphrase, P("/kdf/memlimit"), 1.5),
  };
  for (const json& sealing : damaged) {
    KeySource source = sealing.contains("kdf") && sealing["kdf"].is_object()
                           ? passphrase_source("p")
                           : key_source(1);
    std::string message = error_of<CorruptedDataError>(
        [&] { check_meta_key(sealing, source, kStore, kStream); });
    EXPECT_EQ(message.rfind("stream PA_JOURNAL: the sealing in its meta message ", 0), 0u)
        << sealing.dump() << ": " << message;
  }
}

}  // namespace
}  // namespace pa_journal::replication
