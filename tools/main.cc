// pa-journal: look at, check, repair and restore a pa-journal store.
// Argument parsing is CLI11's; every command is in commands.cc or its own file.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string_view>

#include "model/validation.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "tools/cli.h"
#include "tools/cli_checks.h"
#include "tools/clone_command.h"
#include "tools/key_options.h"
#include "tools/progress.h"
#include "tools/usage_errors.h"

namespace pa_journal::cli {
namespace {

struct Args {
  Globals globals;
  std::string collection, key, json, input = "-", at, from, to;
  RestoreArgs restore;
  bool continue_on_error = false;
  uint64_t if_seq = 0;    // put, patch, delete --if-seq (when given)
  bool with_seq = false;  // get --seq
  InspectArgs inspect;
  ListArgs list;
  ReplayArgs replay;
  BenchArgs bench;
  AdoptArgs adopt;
  ImportArgs import;
  std::string forget_stream;  // replicas --forget
  ReplicateArgs replicate;
};

void add_globals(CLI::App& app, Globals& g) {
  // An empty --dir (an unset shell variable) must not mean the default store.
  app.add_option("--dir", g.dir,
                 "store directory (default $PA_JOURNAL_DIR, else ~/.personal_assistant)")
      ->check(non_empty("a directory"))
      ->type_name("DIR");
  app.add_flag("--json", g.json, "machine-readable output");
  app.add_option("--durability", g.durability, "always|interval|none (default always)")
      ->check(CLI::IsMember({"always", "interval", "none"}));
  app.add_option("--recovery", g.recovery,
                 "recovery mode for opening: tolerate-tail (default), strict, "
                 "point-in-time, salvage")
      ->check(CLI::IsMember({"tolerate-tail", "strict", "point-in-time", "salvage"}));
  app.add_flag("--no-progress", g.no_progress,
               "no progress bars on stderr (shown only when it is a terminal)");
  app.add_option("--wait", g.wait_seconds,
                 "a writer waits up to SECONDS for another writer's lock (default 0)")
      ->check(non_negative_number())
      ->type_name("SECONDS");
}

CLI::App* command(CLI::App& app, const char* name, const char* about,
                  const char* example) {
  CLI::App* sub = app.add_subcommand(name, about);
  sub->footer(std::string("Example:\n  ") + example);
  return sub;
}

// text cut at spaces into lines of at most 80 columns.
std::string wrapped(const std::string& text) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(' ', start), text.size());
    std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > 80) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

// Adds the time forms (kTimeForms) to the --help of a command that takes a
// time, with the rule for a time outside the restorable window when the
// command reads the state at it (docs/cli.md 5), else that its times filter.
void describe_times(CLI::App* sub, bool reads_state) {
  std::string rule = reads_state
                         ? "A time outside the restorable window (before it, or in "
                           "the future) is refused (exit 1) with the window."
                         : "--since and --until filter records: any time is taken.";
  sub->footer(sub->get_footer() + "\n\n" +
              wrapped(std::string("Times T: ") + kTimeForms + ". " + rule));
}

// --if-seq N of put, patch and delete (docs/cli.md, "Compare-and-set").
CLI::Option* add_if_seq(CLI::App* sub, Args& a) {
  return sub
      ->add_option("--if-seq", a.if_seq,
                   "commit only if the document has not changed since seq N (0: only "
                   "if it does not exist); else exit 4 and commit nothing")
      ->check(whole_number(0));
}

std::optional<uint64_t> given(const CLI::Option* option, uint64_t value) {
  return option->count() > 0 ? std::optional<uint64_t>(value) : std::nullopt;
}

void add_document_commands(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  struct Write {
    const char* name;
    OpKind kind;
    const char* about;
    const char* example;
  };
  for (Write w :
       {Write{"put", OpKind::kPut, "replace a document (one commit); prints its seq",
              "pa-journal put contacts alice '{\"name\":\"Alice\"}'"},
        Write{"patch", OpKind::kPatch, "RFC 7396 merge patch of a document (one commit)",
              "pa-journal patch contacts alice '{\"phone\":\"555-0100\"}'"}}) {
    auto* sub = command(app, w.name, w.about, w.example);
    sub->add_option("collection", a.collection)->required();
    sub->add_option("key", a.key)->required();
    sub->add_option("json", a.json, "the JSON text, or - for standard input")->required();
    CLI::Option* if_seq = add_if_seq(sub, a);
    sub->callback([&, kind = w.kind, if_seq] {
      run = [&, kind, if_seq] {
        return run_put(g, kind, a.collection, a.key, a.json, given(if_seq, a.if_seq));
      };
    });
  }
  auto* del = command(app, "delete", "delete a document (one commit)",
                      "pa-journal delete contacts alice");
  del->add_option("collection", a.collection)->required();
  del->add_option("key", a.key)->required();
  CLI::Option* del_if_seq = add_if_seq(del, a);
  del->callback([&, del_if_seq] {
    run = [&, del_if_seq] {
      return run_put(g, OpKind::kDelete, a.collection, a.key, "",
                     given(del_if_seq, a.if_seq));
    };
  });
  auto* get =
      command(app, "get", "print one document as JSON", "pa-journal get contacts alice");
  get->add_option("collection", a.collection)->required();
  get->add_option("key", a.key)->required();
  get->add_option("--at", a.at, "the document as it was at time T")->check(time_text());
  get->add_flag("--seq", a.with_seq,
                "also print the seq of the document's last change, for --if-seq")
      ->excludes("--at");
  get->callback(
      [&] { run = [&] { return run_get(g, a.collection, a.key, a.at, a.with_seq); }; });
  describe_times(get, true);
  auto* list =
      command(app, "list", "list a collection (--json: one object key -> document)",
              "pa-journal list contacts --json");
  auto& l = a.list;
  list->add_option("collection", l.collection)->required();
  list->add_option("--at", l.at, "the collection as it was at time T")
      ->check(time_text());
  list->add_option("--prefix", l.prefix, "only keys that start with P")
      ->check(non_empty("a prefix of keys"))
      ->type_name("P");
  // Keys, unlike diff's --from/--to, which take times: the help says so.
  list->add_option("--from", l.from,
                   "only keys at or after the key K (a key, not a time)")
      ->check(non_empty("a key"))
      ->type_name("K");
  list->add_option("--to", l.to, "only keys at or before the key K (a key, not a time)")
      ->check(non_empty("a key"))
      ->type_name("K");
  list->add_option("--limit", l.limit, "at most the first N documents (N >= 1)")
      ->check(whole_number(1));
  list->add_flag("--count", l.count,
                 "print only how many documents there are (--json: {\"count\": N})");
  list->callback([&] { run = [&] { return run_list(g, l); }; });
  describe_times(list, true);
  auto* collections =
      command(app, "collections",
              "the collections, each with its number of documents and their size (the "
              "bytes of the documents' compact JSON)",
              "pa-journal collections --json");
  collections->callback([&] { run = [&] { return run_collections(g); }; });
}

void add_journal_commands(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  auto* apply = command(app, "apply",
                        "commit NDJSON operations, one commit per line; prints "
                        "{\"seq\",\"time\"} per commit once durable",
                        "echo '{\"op\":\"put\",\"collection\":\"notes\",\"key\":\"n1\","
                        "\"value\":{\"text\":\"hi\"}}' | pa-journal apply -");
  apply->add_option("file", a.input, "NDJSON file, or - for standard input (default)");
  apply->add_flag("--continue-on-error", a.continue_on_error,
                  "apply later lines after a refused one (default: stop)");
  apply->callback(
      [&] { run = [&] { return run_apply(g, a.input, a.continue_on_error); }; });
  auto* inspect =
      command(app, "inspect", "summary of the journal, or its records with --records",
              "pa-journal inspect --records --collection contacts --since -2h");
  auto& i = a.inspect;
  CLI::Option* records =
      inspect->add_flag("--records", i.records, "list records instead of the summary");
  inspect->add_option("--since", i.since, "records committed at or after T")
      ->check(time_text());
  inspect->add_option("--until", i.until, "records committed at or before T")
      ->check(time_text());
  inspect->add_option("--from-seq", i.from_seq, "records from this sequence number on")
      ->check(whole_number());
  inspect->add_option("--collection", i.collection, "records touching this collection");
  inspect->add_option("--key", i.key, "records touching this key");
  inspect->add_option("--limit", i.limit, "at most N records (N >= 1)")
      ->check(whole_number(1));
  inspect->add_flag("--follow", i.follow,
                    "then print new commits as they become durable, until interrupted");
  // The filters apply to the record listing only; refused on the summary
  // rather than silently ignored.
  for (const char* filter : {"--since", "--until", "--from-seq", "--collection", "--key",
                             "--limit", "--follow"}) {
    inspect->get_option(filter)->needs(records);
  }
  inspect->callback([&] { run = [&] { return run_inspect(g, i); }; });
  describe_times(inspect, false);
  auto* verify = command(app, "verify",
                         "check every checksum and the sequence chain; exit 3 if damaged",
                         "pa-journal verify --json");
  verify->callback([&] { run = [&] { return run_verify(g); }; });
}

void add_snapshot_commands(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  auto* compact = command(app, "compact",
                          "write a snapshot now (backups/ and the readable state files), "
                          "apply retention",
                          "pa-journal compact");
  compact->callback([&] { run = [&] { return run_compact(g); }; });
  auto* backups = command(app, "backups", "list the snapshots with time, seq and size",
                          "pa-journal backups --json");
  backups->callback([&] { run = [&] { return run_backups(g); }; });
  auto* replicas = command(app, "replicas",
                           "the store id and what each replica's stream acknowledged; "
                           "--forget STREAM lets go of one",
                           "pa-journal replicas --json");
  replicas->add_option("--forget", a.forget_stream,
                       "remove STREAM's position: compaction no longer keeps the "
                       "journal it has not acknowledged");
  replicas->callback([&] { run = [&] { return run_replicas(g, a.forget_stream); }; });
  auto* replay =
      command(app, "replay",
              "rebuild the state from snapshot and journal, read-only, and report "
              "what was found",
              "pa-journal replay --mode salvage --out /tmp/rescued");
  auto& r = a.replay;
  replay
      ->add_option("--mode", r.mode, "recovery mode (default: --recovery, tolerate-tail)")
      ->check(CLI::IsMember({"tolerate-tail", "strict", "point-in-time", "salvage"}));
  replay->add_option("--until", r.until, "only records committed at or before T")
      ->check(time_text());
  replay->add_option("--out", r.out, "write the state as JSON files into DIR");
  replay->add_flag("--force", r.force, "overwrite files in --out");
  replay->callback([&] { run = [&] { return run_replay(g, r); }; });
  describe_times(replay, true);
  auto* exp =
      command(app, "export",
              "write the state (now or at T) as JSON files with a manifest into a new "
              "or empty DIR",
              "pa-journal export /tmp/pa-export --at -1h");
  exp->add_option("dir", a.json, "the export directory")->required();
  exp->add_option("--at", a.at, "export the state at time T")->check(time_text());
  exp->callback([&] { run = [&] { return run_export(g, a.json, a.at); }; });
  describe_times(exp, true);
  auto* imp = command(app, "import",
                      "import a directory of JSON files (an export, NAME.json files, "
                      "restore/replay --out output, the app's files) as one commit",
                      "pa-journal import /tmp/pa-export --dry-run");
  imp->add_option("dir", a.import.dir, "the directory to import")->required();
  imp->add_flag("--dry-run", a.import.dry_run,
                "print what would be added, changed and removed; append nothing");
  imp->add_flag("--merge", a.import.merge,
                "upsert the imported documents and keep the others (default: each "
                "imported collection replaces the store's)");
  imp->add_flag("--accept-edits", a.import.accept_edits,
                "an export edited by hand: take files whose checksum fails once "
                "their JSON checks");
  imp->callback([&] { run = [&] { return run_import(g, a.import); }; });
  auto* adopt =
      command(app, "adopt",
              "make the personal-assistant app's directory (contacts.json, "
              "backups/...) a store, keeping every file and the backups' history",
              "pa-journal adopt --dry-run");
  adopt->add_flag("--dry-run", a.adopt.dry_run, "print the plan, write nothing");
  adopt->add_flag("--skip-damaged", a.adopt.skip_damaged,
                  "adopt without the files that are not valid JSON lists (they are "
                  "kept all the same)");
  adopt->callback([&] { run = [&] { return run_adopt(g, a.adopt); }; });
  auto* backup =
      command(app, "backup",
              "an online copy of the whole store, history included, consistent at one "
              "seq, into a new or empty DIR that opens as a store (beside a live writer)",
              "pa-journal backup /media/usb/pa-backup-2026-11-25");
  backup
      ->add_option("dir", a.json,
                   "the backup directory (new or empty, outside the store)")
      ->required();
  backup->callback([&] { run = [&] { return run_backup(g, a.json); }; });
  auto* demo =
      command(app, "demo",
              "a guided tour on a throwaway store (or a new --dir): import, edits, "
              "compaction, a torn tail, a restore, a history",
              "pa-journal demo");
  demo->callback([&] { run = [&] { return run_demo(g); }; });
}

void add_time_commands(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  auto* restore = command(app, "restore",
                          "point-in-time restore: append one commit that brings back the "
                          "state at T (undo it by restoring to just before it)",
                          "pa-journal restore --at '2026-11-25 10:00:00' --dry-run");
  auto& r = a.restore;
  restore->add_option("--at", r.at, "the time to restore (records at or before T)")
      ->required()
      ->check(time_text());
  restore->add_flag("--dry-run", r.dry_run, "print what would change, append nothing");
  restore->add_option("--out", r.out,
                      "write the state at T into DIR instead of restoring");
  restore->add_flag("--force", r.force, "let --out overwrite files");
  restore->callback([&] { run = [&] { return run_restore(g, r); }; });
  describe_times(restore, true);
  auto* history = command(app, "history", "every version of one document",
                          "pa-journal history contacts alice --json");
  history->add_option("collection", a.collection)->required();
  history->add_option("key", a.key)->required();
  history->callback([&] { run = [&] { return run_history(g, a.collection, a.key); }; });
  auto* diff =
      command(app, "diff", "documents added, changed and deleted between two times",
              "pa-journal diff --from -1d --to -1h");
  diff->add_option("--from", a.from, "start time T1")->required()->check(time_text());
  diff->add_option("--to", a.to, "end time T2 (default now)")->check(time_text());
  diff->callback([&] { run = [&] { return run_diff(g, a.from, a.to); }; });
  describe_times(diff, true);
}

void add_bench_command(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  auto* bench =
      command(app, "bench",
              "a short benchmark on the disk of the store: pa-journal against "
              "SQLite, the seed's whole-file rewrite and the bare disk, with the "
              "targets of docs/design.md 7 (full run: pa-journal-bench)",
              "pa-journal bench --json");
  auto& b = a.bench;
  bench
      ->add_option("--in", b.in,
                   "create the temporary directory in DIR, which must exist (default: "
                   "beside the store)")
      ->check(CLI::ExistingDirectory);
  bench->add_option("--seconds", b.seconds, "measuring time per contender (default 0.6)")
      ->check(positive_number());
  bench->add_flag("--keep", b.keep,
                  "keep the temporary directory, with every phase's files");
  bench->add_option("--memory-probe", b.memory_probe)->group("");
  bench->callback([&] { run = [&] { return run_bench(g, b); }; });
}

void add_replicate_command(CLI::App& app, Args& a, std::function<int()>& run) {
  const Globals& g = a.globals;
  auto* replicate = command(
      app, "replicate",
      "ship the store to a NATS JetStream stream, record by record and snapshot by "
      "snapshot (beside a live writer); exit 0 once the stream acknowledged the "
      "durable end, or with --follow keep shipping until interrupted",
      "pa-journal replicate --url nats://10.0.0.5:4222,10.0.0.6:4222 --follow");
  auto& r = a.replicate;
  replicate->add_option("--url", r.url, "the cluster: nats://HOST:PORT[,HOST:PORT...]")
      ->required()
      ->check(non_empty("a NATS URL"))
      ->type_name("URL");
  replicate->add_option("--stream", r.stream, "the stream (default PA_JOURNAL)")
      ->check(non_empty("a stream name"))
      ->type_name("NAME");
  replicate->add_flag("--follow", r.follow,
                      "keep shipping new commits until SIGINT or SIGTERM, retrying "
                      "while the cluster is down");
  replicate->callback([&] { run = [&] { return run_replicate(g, r); }; });
}

// The tool's words for a Remedy the library leaves to its caller.
std::string remedy_text(const Remedy& remedy) {
  const std::string adopt = "`pa-journal adopt --dir " + remedy.subject + "`";
  switch (remedy.kind) {
    case Remedy::Kind::kNone:
      return "";
    case Remedy::Kind::kOverwrite:
      return "; pass --force to overwrite";
    case Remedy::Kind::kAdoptToMakeStore:
      return ": if the personal-assistant app wrote them, " + adopt + " makes it a store";
    case Remedy::Kind::kAdoptToFinish:
      return "; run " + adopt +
             " to finish it (every file of the app is kept, in place or under "
             "backups/adopted/)";
    case Remedy::Kind::kAdoptAppFiles:
      return "; if the personal-assistant app wrote them, run " + adopt +
             " to make it a store that keeps every file and the backups' history "
             "(--dry-run shows the plan first); otherwise keep the store in a new or "
             "empty directory";
    case Remedy::Kind::kSkipDamaged:
      return " (fix the file, or adopt without it with --skip-damaged: it is kept all "
             "the same)";
    case Remedy::Kind::kImportInstead:
      return "; to bring JSON files into it, use pa-journal import DIR";
    case Remedy::Kind::kAcceptEditsExport:
      return "; if it was edited by hand, --accept-edits imports the directory's files "
             "as plain JSON";
    case Remedy::Kind::kAcceptEditsFile:
      return "; if it was edited by hand, --accept-edits imports it once its JSON checks";
    case Remedy::Kind::kAcceptEditsAdded:
      return "; --accept-edits takes a NAME.json added by hand";
    case Remedy::Kind::kSalvageReplay:
      return "; use `pa-journal replay --mode salvage --out DIR` to extract every valid "
             "record";
    case Remedy::Kind::kVerifySaysMore:
      return " (pa-journal verify says more)";
  }
  return "";
}

// The library's errors say what is wrong in its own terms; where the cure is
// an option of this tool, the tool adds it.
std::string with_advice(const std::exception& e, const Globals& g) {
  std::string text = e.what();
  if (dynamic_cast<const RecoveryRefusedError*>(&e)) {
    return text + " (pa-journal --recovery MODE)";
  }
  if (const auto* locked = dynamic_cast<const StoreLockedError*>(&e)) {
    bool may_wait = locked->held() && g.wait_seconds == 0;
    return text + (may_wait ? "; retry with --wait SECONDS to wait for it" : "");
  }
  const auto* error = dynamic_cast<const StorageError*>(&e);
  return error ? text + remedy_text(error->remedy()) : text;
}

int guarded(const Globals& g, const std::function<int()>& run) {
  try {
    return run();
  } catch (const UsageError& e) {
    g.bar->clear();
    print_error(e.what());
    return kExitUsage;
  } catch (const CorruptedDataError& e) {
    g.bar->clear();
    print_error(with_advice(e, g));
    return kExitCorruption;
  } catch (const ConflictError& e) {
    g.bar->clear();
    print_error(e.what());
    return kExitConflict;
  } catch (const nlohmann::json::exception& e) {
    // A JSON error no command translated: its reason, without nlohmann's
    // tag ("[json.exception.type_error.302] ").
    g.bar->clear();
    print_error("unexpected JSON: " + json_error_reason(e));
    return kExitError;
  } catch (const std::exception& e) {
    g.bar->clear();
    print_error(with_advice(e, g));
    return kExitError;
  } catch (...) {  // not a std::exception (a kj::Exception, say)
    g.bar->clear();
    print_error("an unexpected failure, with no description of its own");
    return kExitError;
  }
}

}  // namespace
}  // namespace pa_journal::cli

int main(int argc, char** argv) {
  using namespace pa_journal::cli;
  pa_journal::keep_frees_off_the_commit_path();  // restore/import beside commits
  CLI::App app{"pa-journal: look at, check, repair and restore a pa-journal store"};
  app.set_version_flag("--version", std::string("pa-journal ") + PA_JOURNAL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Args args;
  std::function<int()> run;
  add_globals(app, args.globals);
  add_key_options(app, args.globals);
  add_document_commands(app, args, run);
  add_journal_commands(app, args, run);
  add_snapshot_commands(app, args, run);
  add_time_commands(app, args, run);
  add_bench_command(app, args, run);
  add_keygen_command(app, args.globals, run);
  add_clone_command(app, args.globals, run);
  add_replicate_command(app, args, run);
  // CLI11 reads "--dir=" as "--dir" and takes the next word as the directory.
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dir=") {
      print_error("--dir: is empty: give a directory");
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  }
  args.globals.bar =
      std::make_shared<ProgressBar>(!args.globals.no_progress, STDERR_FILENO);
  return guarded(args.globals, run);
}
