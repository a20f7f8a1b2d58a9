// `pa-journal bench`: the short run of the benchmark (tools/bench/bench.h) on
// the disk that holds the store, in a temporary directory beside it. The store
// itself is never opened. The full run is pa-journal-bench.
#include <filesystem>
#include <iostream>

#include "tools/bench/bench.h"
#include "tools/cli.h"
#include "tools/progress.h"

namespace pa_journal::cli {

namespace {

// The directory that holds the store (so the bench measures its disk), or
// empty for the library's default ($TMPDIR, else /tmp).
std::string beside_the_store(const Globals& g) {
  std::error_code ec;
  std::filesystem::path store = std::filesystem::absolute(store_dir(g), ec);
  if (ec) return {};
  std::filesystem::path parent = store.parent_path();
  return std::filesystem::is_directory(parent, ec) ? parent.string() : std::string();
}

}  // namespace

int run_bench(const Globals& g, const BenchArgs& args) {
  if (!args.memory_probe.empty()) return bench::memory_probe_main(args.memory_probe);
  bench::Config config = bench::Config::short_run();
  config.dir = args.in.empty() ? beside_the_store(g) : args.in;
  if (args.seconds > 0) config.seconds = args.seconds;
  config.keep = args.keep;
  config.probe_command = {"/proc/self/exe", "bench", "--memory-probe"};
  // Each step's line on the progress display, when there is one.
  if (g.bar && g.bar->active()) {
    config.progress = [bar = g.bar](const std::string& line) {
      bar->status("bench: " + line);
    };
  }
  bench::Report report = bench::run(config);
  if (g.bar) g.bar->clear();
  if (g.json) {
    print_json(bench::to_json(report));
  } else {
    bench::print_text(report, std::cout);
    std::cout
        << "This was the short run; pa-journal-bench runs the full one (docs/design.md 7 "
           "sizes).\n";
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
