// The child of the kill -9 campaign (tests/kill_campaign_test.cc); not a test
// by itself. Usage: pa-journal-crash-child DIR SEED ROUND EXPORTS_DIR DURABILITY
//
// Opens the store in DIR with DURABILITY (always or none), 4 KiB segments and eager
// background compaction, runs one WorkloadRound (tests/kill_workload.h) and
// prints its acknowledgements on stdout, each line with one write(2) once the
// call it acknowledges has returned, then "done". Then it waits for the
// parent's SIGKILL (or for its stdin to close). An error ends it with exit
// code 1 and the message on stderr.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>

#include "pa_journal/store.h"
#include "tests/kill_workload.h"

namespace pa_journal::testing {
namespace {

std::mutex out_mu;

void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(out_mu);
  std::string text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) != ssize_t(text.size())) {
    std::_Exit(1);
  }
}

int run(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: pa-journal-crash-child DIR SEED ROUND EXPORTS_DIR DURABILITY\n";
    return 2;
  }
  Options options;
  options.durability = parse_durability(argv[5]);
  options.segment_bytes = 4096;
  options.compact_after_records = WorkloadRound::kCompactAfter;
  options.compact_after_bytes = 1ull << 30;
  auto store = Store::open(argv[1], options);
  WorkloadRound round(store.get(), std::strtoull(argv[2], nullptr, 10),
                      std::strtoull(argv[3], nullptr, 10), argv[4], say);
  std::string error = round.run();
  if (!error.empty()) {
    std::cerr << "pa-journal-crash-child: " << error << std::endl;
    std::_Exit(1);
  }
  say("done");
  char c;
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
  return 0;
}

}  // namespace
}  // namespace pa_journal::testing

int main(int argc, char** argv) {
  try {
    return pa_journal::testing::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pa-journal-crash-child: " << e.what() << std::endl;
    return 1;
  }
}
