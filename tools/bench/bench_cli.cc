// Phase cli of the benchmark: the pa-journal tool as a user meets it. Whole
// processes of the built tool against the sqlite3 shell, on the same rows in
// the same run, with 205-byte contact documents (docs/design.md 7): apply of
// NDJSON, get of one document, the outputs that must stream (inspect
// --records --json, list --json) and, in bench_cli_disk.cc, the disk a store
// takes under a steady stream of edits.
//
// A figure is a process's wall time from spawn to exit (through its last
// sync: every command syncs the journal as it closes), its time to the first
// byte of output, and its peak resident size (wait4's ru_maxrss). Writers run
// each after a sync(2), so that what the one before left dirty is not written
// back during it; readers run with a warm page cache, as for a user who has
// just written the store. SQLite's table is the one the library contender
// uses: `contacts (key TEXT PRIMARY KEY, doc TEXT NOT NULL)`, rows written
// with INSERT OR REPLACE (a put) in key order, which suits its B-tree best.
#include "tools/bench/bench_cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "tools/bench/measure.h"
#include "tools/bench/runner.h"

namespace pa_journal::bench {

namespace fs = std::filesystem;

namespace {

// The 1,024 document variants, as Workload has them, at kCliDocumentBytes.
const std::vector<std::string>& cli_documents() {
  static const std::vector<std::string> docs = [] {
    std::vector<std::string> v;
    for (uint64_t i = 0; i < 1024; ++i)
      v.push_back(contact_document(i, kCliDocumentBytes));
    return v;
  }();
  return docs;
}

std::string sql_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Opens path for writing, with a large buffer; throws if it cannot.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path) : path_(path), buf_(1 << 20) {
    out_.rdbuf()->pubsetbuf(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    out_.open(path, std::ios::binary | std::ios::trunc);
  }
  std::ofstream& out() { return out_; }
  void close() {
    out_.close();
    if (!out_) throw std::runtime_error("cannot write " + path_);
  }

 private:
  std::string path_;
  std::vector<char> buf_;
  std::ofstream out_;
};

std::string mb_text(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / kMB);
  return text;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The ratio of one figure to another, printed under the first.
void add_ratio(Report& report, const std::string& of, const std::string& to) {
  const Figure* other = report.find(to);
  for (Figure& f : report.figures) {
    if (f.id == of && other != nullptr && other->value > 0) {
      f.ratios.push_back({other->label, f.value / other->value});
    }
  }
}

}  // namespace

std::string cli_key(uint64_t doc) {
  char key[24];
  std::snprintf(key, sizeof key, "c%07llu", static_cast<unsigned long long>(doc));
  return key;
}

void write_put_lines(const std::string& path, uint64_t first, uint64_t count) {
  const auto& docs = cli_documents();
  OutputFile file(path);
  for (uint64_t d = first; d < first + count; ++d) {
    file.out() << R"({"op":"put","collection":"contacts","key":")" << cli_key(d)
               << R"(","value":)" << docs[d % docs.size()] << "}\n";
  }
  file.close();
}

void write_sql_script(const std::string& path, uint64_t count, const char* synchronous,
                      int rows_per_txn) {
  const auto& docs = cli_documents();
  OutputFile file(path);
  file.out() << "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=" << synchronous
             << ";\nCREATE TABLE IF NOT EXISTS contacts "
                "(key TEXT PRIMARY KEY, doc TEXT NOT NULL);\n";
  bool batched = rows_per_txn > 1;
  for (uint64_t d = 0; d < count; ++d) {
    if (batched && d % static_cast<uint64_t>(rows_per_txn) == 0) {
      file.out() << (d == 0 ? "BEGIN;\n" : "COMMIT;\nBEGIN;\n");
    }
    file.out() << "INSERT OR REPLACE INTO contacts VALUES(" << sql_quoted(cli_key(d))
               << "," << sql_quoted(docs[d % docs.size()]) << ");\n";
  }
  if (batched && count > 0) file.out() << "COMMIT;\n";
  file.close();
}

std::vector<std::string> CliSetup::tool_args(const std::string& store,
                                             std::vector<std::string> args) const {
  std::vector<std::string> argv{tool, "--dir", store, "--no-progress"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ChildIo CliSetup::io() const {
  ChildIo io;
  io.stderr_path = path("stderr.txt");
  return io;
}

ChildRun CliSetup::run(const std::vector<std::string>& argv, const ChildIo& io,
                       const std::string& what, bool sync_first) const {
  if (sync_first) ::sync();
  ChildRun r = run_child(argv, io, launcher);
  expect_success(r, what, io);
  return r;
}

void Runner::cli() {
  std::string why;
  CliSetup s;
  s.tool = config_.tool;
  s.sqlite = find_on_path("sqlite3");
  if (::access(s.tool.c_str(), X_OK) != 0) {
    why = "no pa-journal tool at " + s.tool + " (--tool PATH names it)";
  } else if (s.sqlite.empty()) {
    why = "no SQLite shell (sqlite3) on PATH; Debian's package is sqlite3";
  }
  if (!why.empty()) {
    cli_skipped_ = why;
    say("cli: skipped: " + why);
    report_.notes.push_back("the cli phase was skipped: " + why);
    return;
  }
  if (::access(config_.launcher.c_str(), X_OK) == 0) {
    s.launcher = config_.launcher;
  } else {
    report_.notes.push_back(
        "no pa-journal-bench-launch beside the bench: the cli phase's max RSS figures "
        "include the bench's own resident size");
  }
  s.dir = scratch_.sub("cli");
  fs::create_directories(s.dir);
  ChildIo version = s.io();
  version.read_stdout = true;
  version.keep_stdout = 200;
  std::string v = s.run({s.sqlite, "--version"}, version, "sqlite3 --version").out;
  report_.machine["sqlite3_shell"] = v.substr(0, v.find(' '));
  report_.machine["tool"] = s.tool;
  report_.config["cli_document_bytes"] = kCliDocumentBytes;
  if (!s.launcher.empty()) {
    report_.notes.push_back(
        "each command-line process was spawned by pa-journal-bench-launch, so that its "
        "max RSS is its own, not the bench's");
  }
  cli_apply(s);
  cli_reads(s);
  remove_phase_dir(s.dir);
}

void Runner::cli_apply(const CliSetup& s) {
  uint64_t n = config_.cli_docs, durable = config_.cli_durable_lines;
  say("cli: writing " + count_text(n) + " NDJSON lines and the same rows as SQL");
  write_put_lines(s.path("docs.ndjson"), 0, n);
  write_sql_script(s.path("docs.sql"), n, "NORMAL", 1000);
  write_put_lines(s.path("durable.ndjson"), 0, durable);
  write_sql_script(s.path("durable.sql"), durable, "FULL", 1);
  ChildIo piped = s.io(), piped_sql = s.io();
  piped.feed_path = s.path("docs.ndjson");
  piped_sql.feed_path = s.path("docs.sql");
  auto read_sql = [&s](const std::string& db, const std::string& script) {
    return std::vector<std::string>{s.sqlite, "-bail", s.path(db),
                                    ".read " + sql_quoted(s.path(script))};
  };

  say("cli: apply --durability none of " + count_text(n) + " lines, and sqlite3");
  ChildRun sql_file = s.run(read_sql("docs.db", "docs.sql"), s.io(), "sqlite3 .read");
  ChildRun none_file =
      s.run(s.tool_args(s.path("store"),
                        {"--durability", "none", "apply", s.path("docs.ndjson")}),
            s.io(), "pa-journal apply FILE");
  ChildRun sql_pipe = s.run({s.sqlite, "-bail", s.path("pipe.db")}, piped_sql, "sqlite3");
  ChildRun none_pipe =
      s.run(s.tool_args(s.path("pipe"), {"--durability", "none", "apply"}), piped,
            "pa-journal apply");
  // This machine's ceiling for the pipe, in this run: the same lines fed the
  // same way into `wc -l`, which reads them and counts them and nothing else.
  std::string wc = find_on_path("wc");
  std::optional<ChildRun> pipe_ceiling;
  if (!wc.empty()) pipe_ceiling = s.run({wc, "-l"}, piped, "wc -l");
  say("cli: apply (always) of " + count_text(durable) + " lines, and sqlite3 FULL");
  ChildRun sql_full =
      s.run(read_sql("durable.db", "durable.sql"), s.io(), "sqlite3 .read");
  ChildRun always =
      s.run(s.tool_args(s.path("durable"), {"apply", s.path("durable.ndjson")}), s.io(),
            "pa-journal apply (always)");
  if (!config_.keep) {
    for (const char* name : {"pipe", "pipe.db", "durable", "durable.db", "docs.sql"}) {
      fs::remove_all(s.path(name));
    }
  }

  auto rate = [this](const std::string& id, const std::string& group,
                     const std::string& label, uint64_t lines, const ChildRun& r) {
    Figure f;
    f.id = id;
    f.group = group;
    f.label = label;
    f.value = static_cast<double>(lines) / r.seconds;
    f.unit = "lines/s";
    f.samples = lines;
    f.detail = seconds_text(r.seconds) + ", max RSS " + mb_text(r.max_rss_bytes);
    add(std::move(f));
  };
  std::string none_group = "Command line: apply of " + count_text(n) +
                           " NDJSON lines, --durability none vs sqlite3 WAL NORMAL, "
                           "1,000 rows/txn (whole processes)";
  rate("cli.apply.none-file", none_group, "pa-journal apply FILE", n, none_file);
  rate("cli.apply.none-pipe", none_group, "pa-journal apply < pipe", n, none_pipe);
  rate("cli.apply.sqlite-normal-file", none_group, "sqlite3 .read FILE", n, sql_file);
  rate("cli.apply.sqlite-normal-pipe", none_group, "sqlite3 < pipe", n, sql_pipe);
  if (pipe_ceiling) {
    rate("cli.apply.pipe-ceiling", none_group, "wc -l < pipe (the pipe's ceiling)", n,
         *pipe_ceiling);
    add_ratio(report_, "cli.apply.none-pipe", "cli.apply.pipe-ceiling");
  }
  std::string always_group = "Command line: apply of " + count_text(durable) +
                             " lines, always vs sqlite3 WAL FULL, 1 row/txn";
  rate("cli.apply.always", always_group, "pa-journal apply FILE", durable, always);
  rate("cli.apply.sqlite-full", always_group, "sqlite3 .read FILE", durable, sql_full);
}

// The store and table of cli_docs rows from cli_apply, and a smaller pair
// made here: inspect streams the journal as apply left it, then compaction,
// get at both sizes, list, and the disk rounds, which change the store.
void Runner::cli_reads(const CliSetup& s) {
  uint64_t n = config_.cli_docs, small = std::max<uint64_t>(n / 100, 1);
  std::string store = s.path("store"), db = s.path("docs.db");
  cli_inspect(s, store, db);
  say("cli: compact " + count_text(n) + " documents");
  ChildRun compact = s.run(s.tool_args(store, {"compact"}), s.io(), "pa-journal compact");
  Figure f;
  f.id = "cli.compact";
  f.group = "Command line: compact of " + count_text(n) + " documents";
  f.label = "pa-journal compact";
  f.value = compact.seconds;
  f.unit = "s";
  f.samples = 1;
  f.detail = "max RSS " + mb_text(compact.max_rss_bytes);
  add(std::move(f));

  cli_small_pair(s, small);
  cli_get(s, small, s.path("small"), s.path("small.db"));
  cli_get(s, n, store, db);
  std::string at_small = "." + std::to_string(small), at_n = "." + std::to_string(n);
  add_ratio(report_, "cli.get" + at_small, "cli.get-sqlite" + at_small);
  add_ratio(report_, "cli.get" + at_n, "cli.get" + at_small);

  say("cli: list --json of " + count_text(n) + " documents, and sqlite3");
  std::string group = "Command line: list --json of " + count_text(n) +
                      " documents vs sqlite3 -json in key order";
  ChildIo out = s.io();
  out.read_stdout = true;
  ChildRun list =
      s.run(s.tool_args(store, {"--json", "list", "contacts"}), out, "pa-journal list");
  cli_scan("cli.list", group, "pa-journal list --json", list);
  cli_scan("cli.list-sqlite", group, "sqlite3 -json SELECT ... ORDER BY key",
           s.run({s.sqlite, "-json", db, "SELECT key, doc FROM contacts ORDER BY key"},
                 out, "sqlite3"));
  cli_disk(s, list.stdout_bytes);
}

// The journal as apply left it, however many records automatic compaction
// kept, against the same rows out of SQLite.
void Runner::cli_inspect(const CliSetup& s, const std::string& store,
                         const std::string& db) {
  ChildIo summary_io = s.io(), out = s.io();
  summary_io.read_stdout = out.read_stdout = true;
  summary_io.keep_stdout = 1 << 20;
  ChildRun summary =
      s.run(s.tool_args(store, {"--json", "inspect"}), summary_io, "pa-journal inspect");
  uint64_t records = nlohmann::json::parse(summary.out).value("records", uint64_t{0});
  say("cli: inspect --records --json of " + count_text(records) +
      " records, and sqlite3");
  std::string group = "Command line: inspect --records --json of " + count_text(records) +
                      " records vs sqlite3 -json of the same rows";
  cli_scan("cli.inspect", group, "pa-journal inspect --records --json",
           s.run(s.tool_args(store, {"--json", "inspect", "--records"}), out,
                 "pa-journal inspect --records"));
  cli_scan(
      "cli.inspect-sqlite", group, "sqlite3 -json SELECT key, doc",
      s.run({s.sqlite, "-json", db, "SELECT key, doc FROM contacts"}, out, "sqlite3"));
}

// The store "small" and the table small.db, of `docs` rows each, made as the
// large pair was (apply --durability none, then compact).
void Runner::cli_small_pair(const CliSetup& s, uint64_t docs) {
  say("cli: a store and a table of " + count_text(docs) + " documents for get");
  write_put_lines(s.path("small.ndjson"), 0, docs);
  write_sql_script(s.path("small.sql"), docs, "NORMAL", 1000);
  s.run(s.tool_args(s.path("small"),
                    {"--durability", "none", "apply", s.path("small.ndjson")}),
        s.io(), "pa-journal apply");
  s.run(s.tool_args(s.path("small"), {"compact"}), s.io(), "pa-journal compact");
  s.run(
      {s.sqlite, "-bail", s.path("small.db"), ".read " + sql_quoted(s.path("small.sql"))},
      s.io(), "sqlite3 .read");
}

void Runner::cli_get(const CliSetup& s, uint64_t docs, const std::string& store,
                     const std::string& db) {
  say("cli: get of one document in " + count_text(docs) + ", and sqlite3");
  ChildIo out = s.io();
  out.read_stdout = true;
  out.keep_stdout = 4096;
  std::vector<double> tool_s, sqlite_s;
  uint64_t tool_rss = 0, sqlite_rss = 0;
  // Run -1 warms the page cache and is not counted; keys spread over the store.
  for (int r = -1; r < config_.cli_get_runs; ++r) {
    std::string key = cli_key((static_cast<uint64_t>(r + 1) * 7919 + 12345) % docs);
    ChildRun a = s.run(s.tool_args(store, {"--json", "get", "contacts", key}), out,
                       "pa-journal get", false);
    ChildRun b = s.run(
        {s.sqlite, "-bail", db, "SELECT doc FROM contacts WHERE key = '" + key + "'"},
        out, "sqlite3 SELECT", false);
    if (a.out.rfind("{", 0) != 0 || b.out.rfind("{", 0) != 0) {
      throw std::runtime_error("get " + key + " printed no document: " + a.out + b.out);
    }
    if (r < 0) continue;
    tool_s.push_back(a.seconds * 1e3);
    sqlite_s.push_back(b.seconds * 1e3);
    tool_rss = std::max(tool_rss, a.max_rss_bytes);
    sqlite_rss = std::max(sqlite_rss, b.max_rss_bytes);
  }
  std::string group = "Command line: get of one document (median of " +
                      std::to_string(config_.cli_get_runs) + " processes each)";
  std::string size = std::to_string(docs);
  auto figure = [&](const std::string& id, const std::string& label, double value,
                    const std::string& unit) {
    Figure f;
    f.id = id + "." + size;
    f.group = group;
    f.label = label + ", " + count_text(docs) + " docs";
    f.value = value;
    f.unit = unit;
    f.samples = static_cast<uint64_t>(config_.cli_get_runs);
    add(std::move(f));
  };
  figure("cli.get", "pa-journal get", median(tool_s), "ms");
  figure("cli.get-sqlite", "sqlite3 SELECT by key", median(sqlite_s), "ms");
  figure("cli.get-rss", "pa-journal get max RSS", tool_rss / kMB, "MB");
  figure("cli.get-rss-sqlite", "sqlite3 SELECT max RSS", sqlite_rss / kMB, "MB");
  add_ratio(report_, "cli.get-rss." + size, "cli.get-rss-sqlite." + size);
}

void Runner::cli_scan(const std::string& id, const std::string& group,
                      const std::string& label, const ChildRun& run) {
  auto figure = [&](const std::string& suffix, const std::string& what, double value,
                    const std::string& unit) {
    Figure f;
    f.id = id + suffix;
    f.group = group;
    f.label = what;
    f.value = value;
    f.unit = unit;
    f.samples = 1;
    add(std::move(f));
  };
  figure(".seconds", label, run.seconds, "s");
  report_.figures.back().detail = mb_text(run.stdout_bytes) + " of output";
  figure(".first-byte", "  time to first byte", run.first_byte_seconds * 1e3, "ms");
  figure(".rss", "  max RSS", run.max_rss_bytes / kMB, "MB");
  // Each against the sqlite3 run measured just after it, once both are in.
  if (id.size() > 7 && id.compare(id.size() - 7, 7, "-sqlite") == 0) {
    std::string tool = id.substr(0, id.size() - 7);
    for (const char* suffix : {".seconds", ".first-byte", ".rss"}) {
      add_ratio(report_, tool + suffix, id + suffix);
    }
  }
}

}  // namespace pa_journal::bench
