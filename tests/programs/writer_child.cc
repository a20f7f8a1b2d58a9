// The writer of tests/reader_beside_writer_test.cc; not a test by itself.
// Usage: pa-journal-writer-child DIR COMMITS
//
// Opens the store in DIR (durability always) with small segments, so that it
// rolls every few commits, and background compaction after every few
// commits keeping two backups, so that it removes snapshots and segments
// often. Commit N puts {"n":N} at notes/kN; once it has returned the child
// prints "N" on stdout (one write(2) per line). After COMMITS commits it
// prints "done" and waits for its stdin to close. An error ends it with exit
// code 1 and the message on stderr.
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "pa_journal/store.h"

namespace {

void say(const std::string& line) {
  std::string text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) != ssize_t(text.size())) {
    std::_Exit(1);
  }
}

int run(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: pa-journal-writer-child DIR COMMITS\n";
    return 2;
  }
  pa_journal::Options options;
  options.segment_bytes = 1024;
  options.backup_count = 2;
  options.compact_after_records = 25;
  options.compact_after_bytes = 1ull << 30;
  auto store = pa_journal::Store::open(argv[1], options);
  uint64_t commits = std::strtoull(argv[2], nullptr, 10);
  for (uint64_t n = 1; n <= commits; ++n) {
    store->put("notes", "k" + std::to_string(n), R"({"n":)" + std::to_string(n) + "}");
    say(std::to_string(n));
  }
  say("done");
  char c;
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pa-journal-writer-child: " << e.what() << std::endl;
    return 1;
  }
}
