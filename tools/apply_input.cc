#include "tools/apply_input.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pa_journal/errors.h"
#include "tools/apply_parser.h"

namespace pa_journal::cli {
namespace {

// The input is read this much at a time (a pipe gives at most its buffer).
constexpr size_t kReadBlock = 1 << 20;

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void parse_lines(ApplyParser& parser, Chunk* chunk) {
  std::string_view text = chunk->text;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++chunk->lines;
    if (is_blank(line)) continue;
    ParsedLine& parsed = chunk->parsed.emplace_back();
    parsed.index = chunk->lines;
    try {
      if (auto canonical = parser.parse_canonical(line)) {
        parsed.canonical = std::move(*canonical);
      } else {
        parsed.ops = parse_apply_line_reference(line);
      }
    } catch (const InvalidInputError& e) {
      parsed.error = e.what();
    }
  }
}

// A pipe holds 64 KiB by default: its writer and this reader would take
// turns every 64 KiB, each waking the other. Best effort: a pipe that keeps
// its size (a limit of the system, another kernel) is read as it is.
void widen_pipe(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
    (void)::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kReadBlock));
  }
}

}  // namespace

ChunkReader::ChunkReader(int fd, std::string name, std::function<void()> before_read)
    : fd_(fd), name_(std::move(name)), before_read_(std::move(before_read)) {
  widen_pipe(fd_);
}

ChunkReader::Got ChunkReader::next(Chunk* chunk, bool may_block) {
  for (bool read_once = false;; read_once = true) {
    if (take_lines(chunk)) return Got::kChunk;
    if (eof_) return Got::kEnd;
    if (!may_block && (read_once || !readable_now())) return Got::kNothing;
    if (may_block) before_read_();
    fill();
  }
}

// Moves the whole lines buffered (all of what is left at the end of the
// input) into chunk->text.
bool ChunkReader::take_lines(Chunk* chunk) {
  size_t take = 0;
  if (eof_) {
    take = end_ - begin_;
  } else if (end_ - begin_ > scanned_) {
    const char* from = buffer_.data() + begin_ + scanned_;
    const void* last = ::memrchr(from, '\n', end_ - begin_ - scanned_);
    scanned_ = end_ - begin_;
    if (last != nullptr)
      take = static_cast<const char*>(last) + 1 - (buffer_.data() + begin_);
  }
  if (take == 0) return false;
  chunk->text.assign(buffer_.data() + begin_, take);
  begin_ += take;
  scanned_ = end_ - begin_;  // the rest follows the last '\n'
  return true;
}

bool ChunkReader::readable_now() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;  // a regular file always is
}

// Moves the partial line to the front, makes room for a block after it (a
// line longer than the buffer grows it) and reads once.
void ChunkReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kReadBlock) buffer_.resize(end_ + kReadBlock);
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw IoError("reading " + name_ + " failed: " + std::strerror(errno));
  end_ += static_cast<size_t>(n);
  eof_ = n == 0;
}

ParserThread::ParserThread() : thread_([this] { run(); }) {}

ParserThread::~ParserThread() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

void ParserThread::submit(Chunk chunk) {
  MutexLock lock(&mu_);
  job_ = std::move(chunk);
  cv_.notify_all();
}

Chunk ParserThread::take() {
  MutexLock lock(&mu_);
  while (!done_) cv_.wait(&mu_);
  Chunk chunk = std::move(*done_);
  done_.reset();
  if (chunk.failure) std::rethrow_exception(chunk.failure);
  return chunk;
}

void ParserThread::run() {
  ApplyParser parser;
  MutexLock lock(&mu_);
  for (;;) {
    while (!stop_ && !job_) cv_.wait(&mu_);
    if (!job_) return;  // stop_, and no chunk left to parse
    Chunk chunk = std::move(*job_);
    job_.reset();
    lock.unlock();
    try {
      parse_lines(parser, &chunk);
    } catch (...) {  // memory, say: take() rethrows it on the committing thread
      chunk.failure = std::current_exception();
    }
    lock.lock();
    done_ = std::move(chunk);
    cv_.notify_all();
  }
}

}  // namespace pa_journal::cli
