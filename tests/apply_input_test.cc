// tools/apply_input.h: apply's input is cut into chunks of whole lines
// whatever the reads return, a read that may block is announced first, a
// reader told not to block never does, and the parser thread gives each
// chunk back parsed with its lines counted.
#include "tools/apply_input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "pa_journal/errors.h"

namespace pa_journal::cli {
namespace {

using Got = ChunkReader::Got;

// A pipe whose read end a ChunkReader reads; closed at the end.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int read_end() const { return fds_[0]; }
  void write(const std::string& text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
  }
  void close_write_end() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(ApplyInputTest, ChunksHoldWholeLinesAndTheLastLineWithoutNewline) {
  Pipe pipe;
  int announced = 0;
  ChunkReader reader(pipe.read_end(), "-", [&] { ++announced; });
  pipe.write("one\ntwo\nthr");
  Chunk chunk;
  ASSERT_EQ(reader.next(&chunk, /*may_block=*/true), Got::kChunk);
  EXPECT_EQ(chunk.text, "one\ntwo\n");
  EXPECT_EQ(announced, 1);
  pipe.write("ee\nfour");
  pipe.close_write_end();
  ASSERT_EQ(reader.next(&chunk, true), Got::kChunk);
  EXPECT_EQ(chunk.text, "three\n");
  ASSERT_EQ(reader.next(&chunk, true), Got::kChunk);
  EXPECT_EQ(chunk.text, "four");
  EXPECT_EQ(reader.next(&chunk, true), Got::kEnd);
}

TEST(ApplyInputTest, AReaderToldNotToBlockSaysSoInsteadOfWaiting) {
  Pipe pipe;
  int announced = 0;
  ChunkReader reader(pipe.read_end(), "-", [&] { ++announced; });
  Chunk chunk;
  EXPECT_EQ(reader.next(&chunk, /*may_block=*/false), Got::kNothing);  // empty pipe
  pipe.write("half a li");
  EXPECT_EQ(reader.next(&chunk, false), Got::kNothing);  // no whole line
  pipe.write("ne\n");
  ASSERT_EQ(reader.next(&chunk, false), Got::kChunk);
  EXPECT_EQ(chunk.text, "half a line\n");
  EXPECT_EQ(announced, 0);  // no read that may block was made
}

TEST(ApplyInputTest, TheParserThreadNumbersLinesAndKeepsRefusals) {
  ParserThread parser;
  Chunk chunk;
  chunk.text = R"({"op":"put","collection":"c","key":"a","value":{"x":1}})"
               "\n\n  \r\n"
               R"({"op":"put","collection":"c","key":"b"})"
               "\n"
               R"({"op":"delete","collection":"c","key":"a"})";
  parser.submit(std::move(chunk));
  Chunk parsed = parser.take();
  EXPECT_EQ(parsed.lines, 5u);
  ASSERT_EQ(parsed.parsed.size(), 3u);  // the blank lines are counted, not kept
  EXPECT_EQ(parsed.parsed[0].index, 1u);
  EXPECT_EQ(parsed.parsed[0].operations(),
            (std::vector<Operation>{{OpKind::kPut, "c", "a", R"({"x":1})"}}));
  EXPECT_EQ(parsed.parsed[1].index, 4u);
  EXPECT_EQ(parsed.parsed[1].error, "put needs a \"value\"");
  EXPECT_TRUE(parsed.parsed[1].operations().empty());
  EXPECT_EQ(parsed.parsed[2].index, 5u);
  EXPECT_EQ(parsed.parsed[2].operations(),
            (std::vector<Operation>{{OpKind::kDelete, "c", "a", ""}}));
}

// The fast parser's lines come with the proof that their documents are
// canonical, for the store's commit path that does not check them again; a
// line it gives up on comes from the reference parser, to be canonicalised
// by the store as any commit is.
TEST(ApplyInputTest, FastParsedLinesComeCanonicalAndTheRestAsOperations) {
  ParserThread parser;
  Chunk chunk;
  chunk.text = R"({"op":"put","collection":"c","key":"a","value":{"x":1}})"
               "\n"
               R"({"op":"put","collection":"c","key":"b","value":{"y":1,"x":2}})"
               "\n";
  parser.submit(std::move(chunk));
  Chunk parsed = parser.take();
  ASSERT_EQ(parsed.parsed.size(), 2u);
  EXPECT_EQ(parsed.parsed[0].canonical.ops(),
            (std::vector<Operation>{{OpKind::kPut, "c", "a", R"({"x":1})"}}));
  EXPECT_TRUE(parsed.parsed[0].ops.empty());
  EXPECT_TRUE(parsed.parsed[1].canonical.empty());
  EXPECT_EQ(parsed.parsed[1].ops,
            (std::vector<Operation>{{OpKind::kPut, "c", "b", R"({"x":2,"y":1})"}}));
}

// A pipe's default 64 KiB would have its writer and the reader take turns
// every 64 KiB: the reader asks for a buffer of its read block (best effort,
// so only where the system allows a pipe that large).
TEST(ApplyInputTest, TheReaderWidensAPipeToItsReadBlock) {
  constexpr int kBlock = 1 << 20;
  int probe[2];
  ASSERT_EQ(::pipe(probe), 0);
  bool allowed = ::fcntl(probe[0], F_SETPIPE_SZ, kBlock) >= kBlock;
  ::close(probe[0]);
  ::close(probe[1]);
  if (!allowed) GTEST_SKIP() << "this system allows no pipe of 1 MiB";
  Pipe pipe;
  ASSERT_LT(::fcntl(pipe.read_end(), F_GETPIPE_SZ), kBlock);
  ChunkReader reader(pipe.read_end(), "-", [] {});
  EXPECT_GE(::fcntl(pipe.read_end(), F_GETPIPE_SZ), kBlock);
  // Wider than the default, the pipe takes a write of 512 KiB without a reader.
  std::string lines;
  while (lines.size() < (512u << 10))
    lines += R"({"op":"delete","collection":"c","key":"k"})"
             "\n";
  pipe.write(lines);
  pipe.close_write_end();
  Chunk chunk;
  std::string read;
  while (reader.next(&chunk, /*may_block=*/true) == Got::kChunk) read += chunk.text;
  EXPECT_EQ(read, lines);
}

}  // namespace
}  // namespace pa_journal::cli
