// `pa-journal adopt`: turn the personal-assistant app's directory into a
// store (include/pa_journal/adopt.h).
#include <iostream>

#include "journal/layout.h"
#include "pa_journal/adopt.h"
#include "pa_journal/time.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

json pairs_json(const std::vector<std::pair<std::string, std::string>>& items) {
  json out = json::array();
  for (const auto& [path, reason] : items)
    out.push_back({{"path", path}, {"reason", reason}});
  return out;
}

json report_json(const std::string& dir, const AdoptionReport& r) {
  json commits = json::array();
  for (const auto& c : r.commits) {
    commits.push_back({{"seq", c.seq ? json(c.seq) : json()},
                       {"time", format_time_ns(c.time_ns)},
                       {"origin", c.origin},
                       {"operations", c.operations}});
  }
  return {{"dir", dir},
          {"dry_run", r.dry_run},
          {"resumed", r.resumed},
          {"commits", commits},
          {"kept", r.kept},
          {"skipped", pairs_json(r.skipped)},
          {"left_alone", pairs_json(r.left_alone)}};
}

void print_commits(const AdoptionReport& r) {
  for (size_t i = 0; i < r.commits.size(); ++i) {
    const AdoptionCommit& c = r.commits[i];
    std::cout << "  "
              << (r.dry_run ? "commit " + std::to_string(i + 1)
                            : "seq " + std::to_string(c.seq))
              << "  " << format_time_ns(c.time_ns) << "  " << c.origin << " ("
              << c.operations << (c.operations == 1 ? " operation" : " operations")
              << ")\n";
  }
}

void print_lists(const AdoptionReport& r) {
  for (const auto& [path, reason] : r.skipped)
    std::cout << "skipped " << path << ": " << reason << " (kept all the same)\n";
  for (const auto& [path, reason] : r.left_alone)
    std::cout << "left alone " << path << ": " << reason << "\n";
}

}  // namespace

int run_adopt(const Globals& g, const AdoptArgs& args) {
  const std::string dir = store_dir(g);
  AdoptOptions adopt;
  adopt.dry_run = args.dry_run;
  adopt.skip_damaged = args.skip_damaged;
  AdoptionReport r = adopt_store(dir, adopt, read_options(g));
  if (g.json) {
    print_json(report_json(dir, r));
    return kExitOk;
  }
  std::cout << (r.dry_run   ? "would adopt "
                : r.resumed ? "finished adopting "
                            : "adopted ")
            << dir << ": " << r.commits.size()
            << (r.commits.size() == 1 ? " commit" : " commits")
            << (r.dry_run ? " (nothing is written)" : "") << "\n";
  print_commits(r);
  std::cout << (r.dry_run ? "would keep " : "kept ") << r.kept.size()
            << " files of the app, byte for byte, under " << adopted_dir(dir) << "/\n";
  print_lists(r);
  if (!r.dry_run && !r.commits.empty()) {
    std::cout << "see the app's data at a backup's time with: pa-journal"
              << (g.dir.empty() ? "" : " --dir " + shell_word(g.dir))
              << " list COLLECTION --at TIME\n";
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
