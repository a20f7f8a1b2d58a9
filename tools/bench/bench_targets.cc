// The targets of docs/design.md 7, judged from the figures of a run, and the
// ratios no target judges but a reader wants.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "tools/bench/contenders.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

double Runner::value(const std::string& id) const {
  const Figure* f = report_.find(id);
  return f != nullptr ? f->value : std::nan("");
}

void Runner::target(std::string id, std::string text, std::string figure,
                    std::string versus, double ratio, double required, bool at_least,
                    std::string note) {
  Target t;
  t.id = std::move(id);
  t.text = std::move(text);
  t.figure = std::move(figure);
  t.versus = std::move(versus);
  t.ratio = ratio;
  t.required = required;
  t.at_least = at_least;
  t.measured = !std::isnan(ratio);
  t.pass = t.measured && (at_least ? ratio >= required : ratio <= required);
  // Size notes say nothing about a figure that was not measured.
  bool missing_peer = note.rfind("no SQLite", 0) == 0;
  t.note = t.measured || missing_peer ? std::move(note) : "not measured";
  report_.targets.push_back(std::move(t));
}

// What the disk allows a durable single writer: the fastest durable write
// loop's ratio to the peer, when that is below what a target requires.
std::string Runner::ceiling_note(double ceiling, double required) {
  if (std::isnan(ceiling) || ceiling >= required) return {};
  char text[128];
  std::snprintf(text, sizeof text,
                "this disk's fastest durable write loop reaches %.2fx: the target is "
                "beyond this disk",
                ceiling);
  return text;
}

// Where a bare durable write loop beside a hog of the same work (no store)
// already slows down by more than a target allows, this machine cannot show
// the target: it is judged against that ratio instead.
std::string Runner::machine_ratio_note(double ceiling) {
  char text[200];
  std::snprintf(text, sizeof text,
                "judged against this machine's own ratio, %.2fx: a bare durable write "
                "loop beside the same kind of work without the store slows down by more "
                "than 2x",
                ceiling);
  return text;
}

std::string Runner::size_note(uint64_t measured, uint64_t named) const {
  if (measured == named) return {};
  return "measured at " + count_text(measured) + ", the target names " +
         count_text(named);
}

// Ratios no target judges but a reader wants: the durable single writers
// against the disk's fastest durable write loop, scaling with threads and
// size. Runs after the targets, and leaves out what a target already shows.
void Runner::context_ratios() {
  auto judged = [this](const Figure& f, const std::string& versus) {
    for (const Target& t : report_.targets) {
      if (t.figure == f.id && t.versus == versus) return true;
    }
    return false;
  };
  const Figure* one = report_.find("threads." + std::to_string(config_.threads.front()));
  const Figure* smallest =
      report_.find("cost.pa-journal." + std::to_string(config_.cost_docs.front()));
  std::string largest_replay =
      "replay." + std::to_string(*std::max_element(config_.replay_records.begin(),
                                                   config_.replay_records.end()));
  const Figure* ceiling = report_.find("commit.disk-overwrite");
  const Figure* sqlite_full = report_.find("commit.sqlite-full-1");
  const Figure* bare_idle = report_.find("ceiling.p99_idle");
  const Figure* store_idle = report_.find("restore.p99_idle");
  // Each wait's worth: the figure with it against the same without it.
  const std::pair<const char*, const char*> waits[] = {
      {"waits.spin-linger", "waits.block"},
      {"waits.spin-linger", "waits.block-linger"},
      {"waits.spin-linger", "waits.spin-nolinger"},
      {"waits.spin-nolinger", "waits.block"},
      {"waits.block-linger", "waits.block"}};
  for (const auto& pair : waits) {
    const Figure* without = report_.find(pair.second);
    if (without == nullptr || without->value <= 0) continue;
    for (Figure& with : report_.figures) {
      if (with.id == pair.first) {
        with.ratios.push_back({without->label, with.value / without->value});
      }
    }
  }
  for (Figure& f : report_.figures) {
    if (ceiling != nullptr && &f != ceiling &&
        (f.id == "commit.pa-journal-always" || f.id == "commit.sqlite-full-1")) {
      f.ratios.push_back({ceiling->label, f.value / ceiling->value});
    }
    if (sqlite_full != nullptr && &f == ceiling) {
      f.ratios.push_back({sqlite_full->label, f.value / sqlite_full->value});
    }
    if (one != nullptr && f.id.rfind("threads.", 0) == 0 && &f != one &&
        !judged(f, one->label)) {
      f.ratios.push_back({one->label, f.value / one->value});
    }
    if (smallest != nullptr && f.id.rfind("cost.pa-journal.", 0) == 0 && &f != smallest &&
        !judged(f, smallest->label)) {
      f.ratios.push_back({smallest->label, f.value / smallest->value});
    }
    // The restore phase's figures no target judges, against their idle p99:
    // the ceiling's ratios, and the committer beside a restore's work alone.
    const Figure* idle = f.id.rfind("ceiling.", 0) == 0 ? bare_idle
                         : f.id == "restore.p99_plan"   ? store_idle
                                                        : nullptr;
    if (idle != nullptr && &f != idle && idle->value > 0) {
      f.ratios.push_back({idle->label, f.value / idle->value});
    }
    if (f.id.rfind("replay.", 0) == 0 && f.id != largest_replay) {
      f.ratios.push_back({"1,000,000 records/s", f.value / 1e6});
    }
  }
}

void Runner::judge() {
  const std::string sqlite_note = have_sqlite() ? "" : "no SQLite in this build";
  double always = value("commit.pa-journal-always");
  double sqlite_full = value("commit.sqlite-full-1");
  target("always-vs-sqlite-full",
         "durable single writer (always) >= 1.5x SQLite WAL synchronous=FULL, 1 row/txn",
         "commit.pa-journal-always", "SQLite WAL full, 1 row/txn", always / sqlite_full,
         1.5, true,
         have_sqlite() ? ceiling_note(value("commit.disk-overwrite") / sqlite_full, 1.5)
                       : sqlite_note);
  target("always-vs-fdatasync", "durable single writer (always) >= 0.8x write+fdatasync",
         "commit.pa-journal-always", "disk: write+fdatasync",
         always / value("commit.write-fdatasync"), 0.8, true);
  int most = *std::max_element(config_.threads.begin(), config_.threads.end());
  int fewest = *std::min_element(config_.threads.begin(), config_.threads.end());
  target("group-commit", "8 concurrent durable writers >= 4x the single durable writer",
         "threads." + std::to_string(most), "pa-journal always, 1 thread",
         value("threads." + std::to_string(most)) /
             value("threads." + std::to_string(fewest)),
         4.0, true,
         most == 8 && fewest == 1 ? ""
                                  : "measured " + std::to_string(most) + " vs " +
                                        std::to_string(fewest) + " threads");
  double none = value("commit.pa-journal-none");
  target("none-absolute", "none: >= 1,000,000 commits/s on one thread",
         "commit.pa-journal-none", "1,000,000 commits/s", none / 1e6, 1.0, true);
  target("none-vs-sqlite-normal-1000",
         "none: >= 3x SQLite WAL synchronous=NORMAL, 1,000 rows/txn",
         "commit.pa-journal-none", "SQLite WAL normal, 1000 rows/txn",
         none / value("commit.sqlite-normal-1000"), 3.0, true, sqlite_note);
  uint64_t replayed =
      *std::max_element(config_.replay_records.begin(), config_.replay_records.end());
  target("replay", "open/replay of a 1,000,000-record journal >= 1,000,000 records/s",
         "replay." + std::to_string(replayed), "1,000,000 records/s",
         value("replay." + std::to_string(replayed)) / 1e6, 1.0, true,
         size_note(replayed, 1000000));
  std::string compaction_note = size_note(config_.compaction_docs, 1000000);
  target("snapshot-load", "loading snapshots >= 300 MB/s of JSON", "snapshot.load",
         "300 MB/s", value("snapshot.load") / 300.0, 1.0, true, compaction_note);
  target("compaction-time", "compaction of 1,000,000 documents under 2 s",
         "compaction.seconds", "2 s", value("compaction.seconds") / 2.0, 1.0, false,
         compaction_note);
  target("compaction-p99",
         "p99 commit latency during compaction within 2x of the idle p99",
         "compaction.p99_during", "commit latency, idle",
         value("compaction.p99_during") / value("compaction.p99_idle"), 2.0, false,
         compaction_note);
  // Both against the idle p99 of the one committer that runs beside them,
  // and against the machine's own ratio where that exceeds 2x.
  for (auto [work, what] : {std::pair{"restore", "a restore"}, {"import", "an import"}}) {
    std::string during = std::string(work) + ".p99_during";
    double ceiling =
        value(std::string("ceiling.p99_") + work + "_hog") / value("ceiling.p99_idle");
    std::string note = compaction_note;
    double required = 2.0;
    if (ceiling > required) {
      required = ceiling;
      note += std::string(note.empty() ? "" : "; ") + machine_ratio_note(ceiling);
    }
    target(std::string(work) + "-p99",
           std::string("p99 commit latency during ") + what +
               " of 1,000,000 documents within 2x of the idle p99",
           during, "commit latency, idle", value(during) / value("restore.p99_idle"),
           required, false, note);
  }
  uint64_t small = config_.cost_docs.front(), large = config_.cost_docs.back();
  target("cost-flat",
         "commit cost at 100,000 documents within 1.2x of the cost at 1,000 (durable)",
         "cost.pa-journal." + std::to_string(large),
         "pa-journal always, " + count_text(small) + " documents",
         value("cost.pa-journal." + std::to_string(large)) /
             value("cost.pa-journal." + std::to_string(small)),
         1.2, false,
         small == 1000 && large == 100000 ? ""
                                          : "measured " + count_text(large) + " vs " +
                                                count_text(small) + " documents");
  uint64_t n = config_.seed_docs;
  std::string store_at_n = "cost.pa-journal." + std::to_string(n);
  std::string seed_note = size_note(n, 10000);
  if (report_.find(store_at_n) == nullptr) seed_note = "no pa-journal cost at this size";
  target("vs-seed",
         "commit at 10,000 documents >= 25x faster than the seed's whole-file rewrite",
         "cost.seed." + std::to_string(n),
         "pa-journal always, " + count_text(n) + " documents",
         value("cost.seed." + std::to_string(n)) / value(store_at_n), 25.0, true,
         seed_note);
  double limit = 2 * value("memory.raw_json") + 50;
  target("memory", "resident size <= 2x the raw JSON size of the state + 50 MB",
         "memory.rss", "2 x raw JSON + 50 MB", value("memory.rss") / limit, 1.0, false,
         compaction_note);
  if (!config_.tool.empty()) judge_cli();
}

// The command line's targets (docs/design.md 7): whole processes of the tool
// against the sqlite3 shell. Judged whenever the run was given a tool, so
// that their number does not depend on what this machine has.
void Runner::judge_cli() {
  uint64_t n = config_.cli_docs, small = std::max<uint64_t>(n / 100, 1);
  std::string note = size_note(n, 1000000);
  std::string peer_note = cli_skipped_.rfind("no SQLite", 0) == 0 ? cli_skipped_ : note;
  const char* kNormal = "sqlite3 .read FILE";
  double file = value("cli.apply.none-file"), pipe = value("cli.apply.none-pipe");
  target("cli-apply-none-file",
         "command line: apply --durability none of a file >= 1.5x sqlite3 WAL NORMAL, "
         "1,000 rows/txn",
         "cli.apply.none-file", kNormal, file / value("cli.apply.sqlite-normal-file"),
         1.5, true, peer_note);
  target("cli-apply-none-pipe",
         "command line: apply --durability none from a pipe >= 1.5x sqlite3 from a pipe",
         "cli.apply.none-pipe", "sqlite3 < pipe",
         pipe / value("cli.apply.sqlite-normal-pipe"), 1.5, true, peer_note);
  bool pipe_slower = pipe < file;
  // Where the machine's own ceiling for a pipe was measured, the note says how
  // close apply came to it in the same run.
  std::string rate_note = note;
  if (double ceiling = value("cli.apply.pipe-ceiling"); ceiling > 0 && pipe > 0) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2fx", pipe / ceiling);
    rate_note +=
        std::string(rate_note.empty() ? "" : "; ") +
        "the same pipe into wc -l: " + count_text(static_cast<uint64_t>(ceiling)) +
        " lines/s in this run; apply from a pipe " + ratio + " of it";
  }
  target("cli-apply-none-rate",
         "command line: apply --durability none >= 500,000 lines/s (the slower of file "
         "and pipe)",
         pipe_slower ? "cli.apply.none-pipe" : "cli.apply.none-file", "500,000 lines/s",
         std::min(file, pipe) / 5e5, 1.0, true, rate_note);
  target("cli-apply-always",
         "command line: apply (always) >= 1.5x sqlite3 WAL FULL, 1 row/txn",
         "cli.apply.always", "sqlite3 .read FILE",
         value("cli.apply.always") / value("cli.apply.sqlite-full"), 1.5, true,
         cli_skipped_.empty() ? "" : peer_note);
  std::string at_n = "." + std::to_string(n), at_small = "." + std::to_string(small);
  target("cli-get",
         "command line: get in a 1,000,000-document store within 3x of a sqlite3 point "
         "SELECT",
         "cli.get" + at_n, "sqlite3 SELECT by key, " + count_text(n) + " docs",
         value("cli.get" + at_n) / value("cli.get-sqlite" + at_n), 3.0, false, peer_note);
  target("cli-get-rss",
         "command line: get's max RSS does not grow with the store (<= 1.5x at 1/100 of "
         "its size)",
         "cli.get-rss" + at_n, "pa-journal get max RSS, " + count_text(small) + " docs",
         value("cli.get-rss" + at_n) / value("cli.get-rss" + at_small), 1.5, false, note);
  target("cli-inspect-rss",
         "command line: inspect --records --json of 1,000,000 records under 100 MB RSS",
         "cli.inspect.rss", "100 MB", value("cli.inspect.rss") / 100, 1.0, false, note);
  target("cli-list-rss",
         "command line: list --json of 1,000,000 documents streams (under 100 MB RSS)",
         "cli.list.rss", "100 MB", value("cli.list.rss") / 100, 1.0, false, note);
  double disk_limit = 4 * value("cli.disk.live") + 64.0 * (1 << 20) / kMB;
  target("cli-disk",
         "command line: the store under steady edits <= 4x the live state + 64 MiB",
         "cli.disk.peak", "4 x live state + 64 MiB", value("cli.disk.peak") / disk_limit,
         1.0, false, note);
}

}  // namespace pa_journal::bench
