// Where a stream's key comes from (replication/keys.h): key files, made with
// mode 0600 and never over an existing file, refused when others may read
// them or when they are not 32 bytes; and a passphrase's key through Argon2id.
#include "replication/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "pa_journal/errors.h"
#include "tests/test_util.h"

namespace pa_journal::replication {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// The KeyError's message of what(), or "" (and a failure) if none is thrown.
template <typename F>
std::string key_error_of(F&& what) {
  try {
    what();
  } catch (const KeyError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no KeyError";
  return "";
}

// A passphrase's parameters cheap enough for tests: libsodium's minimum.
KdfParams cheap_params(uint8_t salt_fill) {
  KdfParams params;
  params.salt.fill(salt_fill);
  params.opslimit = kMinOpslimit;
  params.memlimit = kMinMemlimit;
  return params;
}

TEST(KeyFileTest, GeneratedKeyFileIs32BytesMode0600AndLoads) {
  TempDir dir;
  const std::string path = dir / "stream.key";
  generate_key_file(path);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_bytes(path).size(), kKeyBytes);
  SecretBytes key = load_key_file(path);
  ASSERT_EQ(key.size(), kKeyBytes);
  EXPECT_EQ(std::memcmp(key.data(), read_bytes(path).data(), kKeyBytes), 0);
}

TEST(KeyFileTest, TwoGeneratedKeysDiffer) {
  TempDir dir;
  generate_key_file(dir / "a.key");
  generate_key_file(dir / "b.key");
  EXPECT_NE(read_bytes(dir / "a.key"), read_bytes(dir / "b.key"));
}

TEST(KeyFileTest, GenerateRefusesToOverwriteAnExistingFile) {
  TempDir dir;
  const std::string path = dir / "stream.key";
  write_bytes(path, "precious");
  std::string message = key_error_of([&] { generate_key_file(path); });
  EXPECT_TRUE(contains(message, path + " exists")) << message;
  EXPECT_EQ(read_bytes(path), "precious");
}

TEST(KeyFileTest, GenerateRefusesASymlinkInThePlaceOfTheFile) {
  TempDir dir;
  write_bytes(dir / "target", "precious");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  EXPECT_THROW(generate_key_file(dir / "link"), KeyError);
  EXPECT_EQ(read_bytes(dir / "target"), "precious");
}

TEST(KeyFileTest, GenerateInAMissingDirectoryIsAnIoErrorLeavingNothing) {
  TempDir dir;
  EXPECT_THROW(generate_key_file(dir / "no-such-dir/stream.key"), IoError);
}

TEST(KeyFileTest, KeyFileOpenToGroupOrOthersIsRefusedWithChmod600) {
  TempDir dir;
  const std::string path = dir / "stream.key";
  generate_key_file(path);
  for (mode_t mode : {0640, 0604, 0620, 0602, 0610, 0644}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    std::string message = key_error_of([&] { load_key_file(path); });
    EXPECT_TRUE(contains(message, "chmod 600 " + path)) << message;
    EXPECT_TRUE(contains(message, path)) << message;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_EQ(load_key_file(path).size(), kKeyBytes);
}

TEST(KeyFileTest, MissingKeyFileIsAKeyErrorNamingIt) {
  TempDir dir;
  std::string message = key_error_of([&] { load_key_file(dir / "none.key"); });
  EXPECT_EQ(message, "key file " + (dir / "none.key") + " does not exist");
}

TEST(KeyFileTest, UnreadableKeyFileIsAKeyErrorNamingIt) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads a file of mode 0000";
  TempDir dir;
  const std::string path = dir / "stream.key";
  generate_key_file(path);
  ASSERT_EQ(::chmod(path.c_str(), 0000), 0);
  std::string message = key_error_of([&] { load_key_file(path); });
  EXPECT_TRUE(contains(message, "key file " + path + " cannot be opened")) << message;
}

TEST(KeyFileTest, KeyFileOfAnotherLengthIsRefused) {
  TempDir dir;
  for (size_t size : {size_t{0}, size_t{31}, size_t{33}, size_t{64}}) {
    const std::string path = dir / ("k" + std::to_string(size));
    write_bytes(path, std::string(size, 'k'));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    std::string message = key_error_of([&] { load_key_file(path); });
    EXPECT_TRUE(contains(message, "exactly 32")) << message;
  }
}

TEST(KeyFileTest, DirectoryOrFifoAsKeyFileIsRefused) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "d").c_str(), 0700), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_TRUE(
      contains(key_error_of([&] { load_key_file(dir / "d"); }), "not a regular file"));
  EXPECT_TRUE(
      contains(key_error_of([&] { load_key_file(dir / "fifo"); }), "not a regular file"));
}

TEST(KeySourceTest, KeyFileSourceNamesTheFile) {
  TempDir dir;
  generate_key_file(dir / "s.key");
  KeySource source = KeySource::from_key_file(dir / "s.key");
  EXPECT_EQ(source.kind(), KeySource::Kind::kKey);
  EXPECT_EQ(source.name(), "the key in " + (dir / "s.key"));
  EXPECT_EQ(source.secret().size(), kKeyBytes);
  EXPECT_EQ(KeySource().kind(), KeySource::Kind::kNone);
  EXPECT_THROW(KeySource::from_passphrase(SecretBytes()), KeyError);
  EXPECT_THROW(KeySource::from_key(SecretBytes(5), "five bytes"), KeyError);
}

std::string_view text(const char* s) { return s; }

TEST(PassphraseTest, SameSaltAndParamsGiveTheSameKey) {
  SecretBytes a = derive_key(text("correct horse"), cheap_params(1));
  SecretBytes b = derive_key(text("correct horse"), cheap_params(1));
  ASSERT_EQ(a.size(), kKeyBytes);
  EXPECT_TRUE(a.equals(b));
}

TEST(PassphraseTest, AnotherSaltPassphraseOrCostGivesAnotherKey) {
  SecretBytes base = derive_key(text("correct horse"), cheap_params(1));
  EXPECT_FALSE(base.equals(derive_key(text("correct horse"), cheap_params(2))));
  EXPECT_FALSE(base.equals(derive_key(text("correct horsf"), cheap_params(1))));
  KdfParams more_passes = cheap_params(1);
  more_passes.opslimit = 2;
  EXPECT_FALSE(base.equals(derive_key(text("correct horse"), more_passes)));
}

TEST(PassphraseTest, NewParamsHaveARandomSaltAndModerateCost) {
  KdfParams a = new_kdf_params();
  KdfParams b = new_kdf_params();
  EXPECT_NE(a.salt, b.salt);
  EXPECT_EQ(a.opslimit, 3u);
  EXPECT_EQ(a.memlimit, uint64_t{256} << 20);
  // The default parameters derive (0.25 s, 256 MiB).
  EXPECT_EQ(derive_key(text("correct horse"), a).size(), kKeyBytes);
}

TEST(PassphraseTest, ParamsOutsideTheBoundsAreRefusedBeforeDeriving) {
  KdfParams params = cheap_params(1);
  params.memlimit = kMaxMemlimit + 1;
  EXPECT_THROW(derive_key(text("p"), params), KeyError);
  params = cheap_params(1);
  params.opslimit = kMaxOpslimit + 1;
  EXPECT_THROW(derive_key(text("p"), params), KeyError);
  params.opslimit = 0;
  EXPECT_THROW(derive_key(text("p"), params), KeyError);
  params = cheap_params(1);
  params.memlimit = kMinMemlimit - 1;
  EXPECT_THROW(derive_key(text("p"), params), KeyError);
}

}  // namespace
}  // namespace pa_journal::replication
