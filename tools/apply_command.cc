// `pa-journal apply`: NDJSON operations in, one pipelined commit per line,
// acknowledgements out (docs/cli.md section 8).
//
// Three threads. The main thread reads the input in large blocks of whole
// lines (tools/apply_input.h), has the parser thread parse each block while
// it commits the block before, and gathers the commits' results; it hands
// them to the printing thread as one batch whenever it has gathered kAckBatch
// of them and before every read of more input that may block (so that no
// acknowledgement waits for input that may never come). The printing thread
// waits until the newest commit of what it was handed is durable, and only
// then writes all of their acknowledgements with one write(2).
//
// The promise: a line on stdout means its commit is durable. Commits are made
// durable in sequence order, so once the newest commit of a batch is durable
// all of it is, and nothing is written before that wait returns. If the
// process is killed, what reached stdout was durable already; if the journal
// fails, each commit of the batch is checked on its own and only those made
// durable before the failure are acknowledged.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "journal/mutex.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "store/canonical_commit.h"
#include "tools/apply_input.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

// Commits gathered before the main thread hands them over unasked: a few
// hundred acknowledgements make one write of tens of kilobytes.
constexpr size_t kAckBatch = 512;

// write(2) of all of text to fd; false if it failed (stdout closed: the
// acknowledgements are lost to the reader, the commits are not).
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Writes {"seq":N,"time":"..."} lines as commit_json(r).dump() does. The
// date and time of day are formatted once per second of commit time (that
// formatting goes through a stream and costs more than a commit).
class AckFormatter {
 public:
  void append(std::string* out, const CommitResult& r) {
    constexpr int64_t kNanosPerSecond = 1'000'000'000;
    int64_t seconds = r.time_ns / kNanosPerSecond;
    int64_t nanos = r.time_ns % kNanosPerSecond;
    if (nanos < 0) {  // division truncates toward zero; the time of day counts up
      seconds -= 1;
      nanos += kNanosPerSecond;
    }
    if (seconds != seconds_ || second_.empty()) {
      second_ = format_time_ns(seconds * kNanosPerSecond);
      second_.resize(second_.size() - kFractionAndZ);  // ".000000000Z"
      seconds_ = seconds;
    }
    // By hand, not snprintf: formatting is this thread's whole work, a
    // stdio call costs more than the rest of the line.
    char seq[24];
    char* seq_end = std::to_chars(seq, seq + sizeof seq, r.seq).ptr;
    char fraction[] = ".000000000Z\"}\n";
    for (int digit = 9; digit >= 1; --digit, nanos /= 10)
      fraction[digit] = static_cast<char>('0' + nanos % 10);
    out->append(R"({"seq":)").append(seq, seq_end);
    out->append(R"(,"time":")").append(second_).append(fraction, sizeof fraction - 1);
  }

 private:
  static constexpr size_t kFractionAndZ = 11;
  int64_t seconds_ = 0;
  std::string second_;  // the formatted seconds_, without fraction
};

// The acknowledgements of `apply`, printed in order, each once its commit is
// durable. add() and hand_over() are the main thread's; run() is the printing
// thread's.
class AckPrinter {
 public:
  explicit AckPrinter(Store& store) : store_(store), thread_([this] { run(); }) {}
  ~AckPrinter() { finish(); }

  void add(const CommitResult& r) {
    gathered_.push_back(r);
    if (gathered_.size() >= kAckBatch) hand_over();
  }

  void hand_over() {
    if (gathered_.empty()) return;
    MutexLock lock(&mu_);
    queue_.push_back(std::move(gathered_));
    gathered_.clear();
    cv_.notify_one();
  }

  // Waits for every commit added; returns false if durability failed.
  bool finish() {
    hand_over();
    {
      MutexLock lock(&mu_);
      done_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return failure_.empty();
  }
  const std::string& failure() const { return failure_; }

 private:
  void run() {
    std::vector<CommitResult> batch;
    for (;;) {
      {
        MutexLock lock(&mu_);
        while (!done_ && queue_.empty()) cv_.wait(&mu_);
        if (queue_.empty()) return;
        // Everything handed over so far: one wait, one write.
        batch.clear();
        for (auto& handed : queue_)
          batch.insert(batch.end(), handed.begin(), handed.end());
        queue_.clear();
      }
      if (!acknowledge(batch)) return;
    }
  }

  bool acknowledge(const std::vector<CommitResult>& batch) {
    size_t durable = batch.size();
    try {
      store_.wait_durable(batch.back().seq);
    } catch (const StorageError& e) {
      failure_ = e.what();
      durable = durable_before_failure(batch);
    }
    text_.clear();
    for (size_t i = 0; i < durable; ++i) formatter_.append(&text_, batch[i]);
    if (stdout_open_) stdout_open_ = write_all(STDOUT_FILENO, text_);
    return failure_.empty();
  }

  // How many commits at the front of batch were durable before the journal
  // failed.
  size_t durable_before_failure(const std::vector<CommitResult>& batch) {
    for (size_t i = 0; i < batch.size(); ++i) {
      try {
        store_.wait_durable(batch[i].seq);
      } catch (const StorageError&) {
        return i;
      }
    }
    return batch.size();
  }

  Store& store_;
  std::vector<CommitResult> gathered_;  // the main thread's
  Mutex mu_;
  CondVar cv_;  // a hand-over, or done_
  std::deque<std::vector<CommitResult>> queue_ GUARDED_BY(mu_);
  bool done_ GUARDED_BY(mu_) = false;
  AckFormatter formatter_;   // run()'s
  std::string text_;         // run()'s
  bool stdout_open_ = true;  // run()'s
  std::string failure_;      // run()'s until it returns, then finish()'s (after join)
  std::thread thread_;
};

// The input file's descriptor, closed at the end; standard input for "-".
class InputFile {
 public:
  explicit InputFile(const std::string& path) {
    if (path == "-") return;
    // A directory opens and reads as empty: it would apply nothing, silently.
    if (std::filesystem::is_directory(path))
      throw IoError("cannot read " + path + ": it is a directory");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError("cannot read " + path);
  }
  ~InputFile() {
    if (fd_ != STDIN_FILENO) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = STDIN_FILENO;
};

// Commits the parsed lines of each chunk in order and says why a line is
// refused, numbering the lines across chunks.
class Committer {
 public:
  Committer(Store& store, AckPrinter& acks, bool continue_on_error)
      : store_(store), acks_(acks), continue_on_error_(continue_on_error) {}

  // False if a refused line stops the run.
  bool commit(Chunk chunk) {
    for (ParsedLine& line : chunk.parsed) {
      uint64_t number = first_ + line.index - 1;
      if (!line.error.empty()) {
        if (!refuse(number, line.error)) return false;
        continue;
      }
      try {
        acks_.add(line.canonical.empty()
                      ? store_.enqueue(std::move(line.ops))
                      : CanonicalCommits::enqueue(store_, std::move(line.canonical)));
      } catch (const InvalidInputError& e) {
        if (!refuse(number, e.what())) return false;
      } catch (const NotFoundError& e) {  // a patch or delete of a missing document
        if (!refuse(number, e.what())) return false;
      } catch (const ConflictError& e) {  // an "if_seq" the document contradicts
        if (!refuse(number, e.what())) return false;
      }
    }
    first_ += chunk.lines;
    return true;
  }
  bool refused() const { return refused_; }

 private:
  // Says why; returns whether to go on.
  bool refuse(uint64_t number, const std::string& why) {
    print_error("line " + std::to_string(number) +
                " refused, nothing from it applied: " + why);
    refused_ = true;
    return continue_on_error_;
  }

  Store& store_;
  AckPrinter& acks_;
  const bool continue_on_error_;
  uint64_t first_ = 1;  // the number of the next chunk's first line
  bool refused_ = false;
};

}  // namespace

// The main thread reads and commits; the parser thread parses the chunk read
// last meanwhile. Before a read that may block, the chunk being parsed is
// committed and everything committed is handed over for acknowledgement, so
// that no acknowledgement waits for input.
int run_apply(const Globals& g, const std::string& input, bool continue_on_error) {
  InputFile file(input);
  auto store = open_or_create(g);
  std::cout.flush();  // the acknowledgements bypass std::cout
  AckPrinter acks(*store);
  ChunkReader reader(file.fd(), input, [&acks] { acks.hand_over(); });
  Committer committer(*store, acks, continue_on_error);
  ParserThread parser;
  bool parsing = false;  // a chunk was submitted and not taken
  for (;;) {
    Chunk next;
    auto got = reader.next(&next, /*may_block=*/!parsing);
    if (got == ChunkReader::Got::kNothing) {  // no whole line without waiting
      parsing = false;
      if (!committer.commit(parser.take())) break;
      acks.hand_over();
      continue;
    }
    bool go_on = true;
    if (parsing) {
      Chunk parsed = parser.take();
      parsing = false;
      if (got == ChunkReader::Got::kChunk) {
        parser.submit(std::move(next));
        parsing = true;
      }
      go_on = committer.commit(std::move(parsed));
    } else if (got == ChunkReader::Got::kChunk) {
      parser.submit(std::move(next));
      parsing = true;
    }
    if (!go_on || (got == ChunkReader::Got::kEnd && !parsing)) break;
  }
  if (parsing) parser.take();  // read past a refused line: not committed
  if (!acks.finish()) throw JournalFailedError(acks.failure());
  return committer.refused() ? kExitError : kExitOk;
}

}  // namespace pa_journal::cli
