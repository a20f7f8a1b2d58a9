// The input side of `pa-journal apply`: lines read in large blocks (a pipe
// and a file take the same path) and parsed on a thread of their own, so
// that parsing one block overlaps committing the block before it.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "journal/mutex.h"
#include "model/canonical_json.h"
#include "pa_journal/record.h"

namespace pa_journal::cli {

// One non-blank line of a chunk, parsed: by the fast parser into canonical
// (its documents checked canonical, for the store's path that does not
// check them again), else by the reference parser into ops. At most one of
// the two holds operations.
struct ParsedLine {
  uint64_t index = 0;  // 1 for the chunk's first line (blank lines count)
  CanonicalOps canonical;
  std::vector<Operation> ops;
  std::string error;  // why it is refused; then neither holds operations

  const std::vector<Operation>& operations() const {
    return canonical.empty() ? ops : canonical.ops();
  }
};

// Whole lines of the input, and what the parser made of them.
struct Chunk {
  std::string text;  // each line ends in '\n', but the input's last may not
  std::vector<ParsedLine> parsed;
  uint64_t lines = 0;          // in text, blank ones included
  std::exception_ptr failure;  // the parser failed other than by refusing a line
};

// The input's whole lines, a block at a time. Thread-compatible.
class ChunkReader {
 public:
  enum class Got { kChunk, kEnd, kNothing };

  // before_read is called before every read(2) that may block.
  ChunkReader(int fd, std::string name, std::function<void()> before_read);

  // The whole lines buffered, reading first if there are none (and, at the end
  // of the input, the last line without its '\n'). With may_block false it
  // reads at most once, and only what poll(2) says is there: kNothing if that
  // gave no whole line. Throws IoError if a read fails.
  Got next(Chunk* chunk, bool may_block);

 private:
  bool take_lines(Chunk* chunk);
  bool readable_now() const;
  void fill();

  int fd_;
  std::string name_;
  std::function<void()> before_read_;
  std::string buffer_;
  size_t begin_ = 0, end_ = 0;  // the bytes not yet returned
  size_t scanned_ = 0;          // of them, known to hold no '\n'
  bool eof_ = false;
};

// Parses one chunk at a time on its own thread. submit() and take()
// alternate, from one thread: at most one chunk is being parsed.
class ParserThread {
 public:
  ParserThread();
  ~ParserThread();  // waits for a chunk being parsed, then stops
  ParserThread(const ParserThread&) = delete;
  ParserThread& operator=(const ParserThread&) = delete;

  void submit(Chunk chunk);
  // The chunk submitted last, parsed; waits for it.
  Chunk take();

 private:
  void run();

  Mutex mu_;
  CondVar cv_;  // a job, a result, or stop_
  std::optional<Chunk> job_ GUARDED_BY(mu_);
  std::optional<Chunk> done_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace pa_journal::cli
