// WritableFile::append_durably on the POSIX file: inside a synced reservation
// it writes whole blocks through an O_DIRECT|O_DSYNC descriptor, copying the
// bytes before the end from its cached tail block and the fill after it; the
// file must read back exactly as if append() and sync() had been called.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "journal/format.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

constexpr char kFill = format::kReservedFill;

// Descriptors of this process open on path with O_DIRECT.
int direct_descriptors_on(const std::string& path) {
  int found = 0;
  auto target = std::filesystem::canonical(path);
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto linked = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || linked != target) continue;
    int fd = std::stoi(entry.path().filename());
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_DIRECT) != 0) ++found;
  }
  return found;
}

bool file_system_takes_direct_io(const std::string& dir) {
  std::string probe = dir + "/probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  if (fd >= 0) ::close(fd);
  std::filesystem::remove(probe);
  return fd >= 0;
}

// The file's expected bytes: what was appended, then the fill up to its size.
struct Model {
  std::string data;
  size_t size = 0;
  std::string bytes() const {
    return data + std::string(size > data.size() ? size - data.size() : 0, kFill);
  }
  void append(const std::string& s) {
    data += s;
    size = std::max(size, data.size());
  }
};

std::string payload(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

TEST(DurableAppendTest, InsideASyncedReservationUsesADirectDescriptor) {
  testing::TempDir dir;
  if (!file_system_takes_direct_io(dir.path())) GTEST_SKIP() << "no O_DIRECT here";
  std::string path = dir / "f";
  auto file = posix_file_system()->new_writable(path);
  file->append("head");
  file->reserve(1 << 16, kFill, /*rarely_synced=*/false);
  file->sync();
  EXPECT_EQ(direct_descriptors_on(path), 0);
  file->append_durably("record");
  EXPECT_EQ(direct_descriptors_on(path), 1);
  EXPECT_EQ(testing::read_bytes(path).substr(0, 12),
            "headrecord" + std::string(2, kFill));
  file->close();
  EXPECT_EQ(direct_descriptors_on(path), 0) << "close() closes the direct descriptor";
  EXPECT_EQ(testing::read_bytes(path), "headrecord");
}

// An append_durably right after an unsynced append must not take the direct
// path, whose O_DSYNC would sync only its own blocks; it appends and syncs.
TEST(DurableAppendTest, AfterAnUnsyncedAppendItAppendsAndSyncsInstead) {
  testing::TempDir dir;
  std::string path = dir / "f";
  auto file = posix_file_system()->new_writable(path);
  file->reserve(1 << 16, kFill, false);
  file->append("unsynced;");
  EXPECT_EQ(direct_descriptors_on(path), 0);
  file->append_durably("durable;");
  EXPECT_EQ(direct_descriptors_on(path), 0);
  file->append_durably("direct;");  // everything is synced now
  file->close();
  EXPECT_EQ(testing::read_bytes(path), "unsynced;durable;direct;");
}

// Random appends of every kind against a model of the file's bytes: block
// boundaries crossed, batches larger than a block, the tail block reloaded
// after buffered appends, and appends that run past the reservation.
TEST(DurableAppendTest, MixedAppendsReadBackExactlyAsTheModel) {
  testing::TempDir dir;
  std::string path = dir / "f";
  auto file = posix_file_system()->new_writable(path);
  Model model;
  std::mt19937 rng(20261126);
  for (int step = 0; step < 1500; ++step) {
    uint32_t what = rng() % 100;
    size_t n = what % 10 == 0 ? 1 + rng() % 20000 : 1 + rng() % 600;
    if (what < 70) {
      std::string s = payload(rng, n);
      file->append_durably(s);
      model.append(s);
    } else if (what < 85) {
      std::string s = payload(rng, n);
      file->append(s);
      model.append(s);
    } else if (what < 93) {
      file->sync();
    } else {
      uint64_t bytes = rng() % 70000;
      file->reserve(bytes, kFill, false);
      model.size = std::max(model.size, model.data.size() + bytes);
    }
    if (step % 50 == 0 || step == 1499) {
      ASSERT_EQ(testing::read_bytes(path), model.bytes()) << "after step " << step;
    }
  }
  file->close();
  EXPECT_EQ(testing::read_bytes(path), model.data);
}

// A writer under kAlways appends durably; what a reopen reads is every commit.
TEST(DurableAppendTest, AlwaysStoreReopensWithEveryCommitAcrossSegments) {
  testing::TempDir dir;
  Options options;
  options.durability = Durability::kAlways;
  options.auto_compact = false;
  options.segment_bytes = 64 << 10;  // several segments and reservations
  {
    auto store = Store::open(dir / "s", options);
    for (int i = 0; i < 1200; ++i) {
      store->put("notes", "k" + std::to_string(i % 300),
                 "{\"i\":" + std::to_string(i) + ",\"pad\":\"" +
                     std::string(i % 97, 'p') + "\"}");
    }
  }
  auto store = Store::open(dir / "s", options);
  EXPECT_EQ(store->last_seq(), 1200u);
  for (int i = 900; i < 1200; ++i) {
    EXPECT_EQ(
        store->get("notes", "k" + std::to_string(i % 300)),
        "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 97, 'p') + "\"}");
  }
}

}  // namespace
}  // namespace pa_journal
