// `pa-journal clone`: the command-line face of clone_from_log
// (replication/clone.h), over NatsLog, with the key of --key-file or
// --passphrase checked against the stream's meta message before any record
// is read. Everything the clone promises (checks end to end, a crash-safe
// build in DIR.clone-partial, one rename) is the library's; this file adds
// the progress display, the refusals that need no server and the summary.
#include "tools/clone_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "replication/clone.h"
#include "replication/nats_log.h"
#include "replication/sealing_meta.h"
#include "replication/subjects.h"
#include "tools/cli_checks.h"
#include "tools/key_options.h"
#include "tools/progress.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;
using replication::CloneResult;

// The moment of --at: parse_time's forms, relative ones counted back from
// now. A snapshot id is the start of its second here: the stream is not read
// before the moment is fixed. A moment in the future is refused, as the
// other commands refuse a time outside the restorable window.
int64_t clone_moment(const std::string& text) {
  const int64_t now = system_now_ns();
  int64_t t = 0;
  try {
    t = parse_time(text, now);
  } catch (const InvalidInputError& e) {
    throw UsageError(e.what());
  }
  if (t > now) {
    throw InvalidInputError("--at " + text + " (" + format_time_ns(t) +
                            ") is in the future: a clone holds what was committed");
  }
  return t;
}

// The sealer for the stream from its meta message, with the user's key,
// checked against the meta's check text (check_meta_key): a wrong key, or
// none for a sealed stream, is a KeyError naming the key and the stream.
replication::SealerChooser key_chooser(const Globals& g, const std::string& stream) {
  auto source = std::make_shared<replication::KeySource>(key_source(g));
  return [source, stream](const std::string& store_id, const std::string& sealing) {
    json meta = json::parse(sealing, nullptr, /*allow_exceptions=*/false);
    if (meta.is_discarded()) {
      throw CorruptedDataError("the meta message of stream " + stream +
                               " holds a \"sealing\" that is not JSON");
    }
    return replication::check_meta_key(meta, *source, store_id, stream);
  };
}

std::function<void(const replication::CloneProgress&)> progress_of(const Globals& g) {
  if (!g.bar->active()) return nullptr;
  std::shared_ptr<ProgressBar> bar = g.bar;
  return [bar](const replication::CloneProgress& p) {
    const uint64_t total = std::max(p.stream_last_seq, uint64_t{1});
    bar->update({"clone", "messages", std::min(p.stream_seq, total), total});
  };
}

json holes_json(const CloneResult& r) {
  json out = json::array();
  for (const auto& h : r.bridged_holes) {
    out.push_back({{"first_seq", h.first_seq},
                   {"last_seq", h.last_seq},
                   {"snapshot", h.snapshot_id}});
  }
  return out;
}

json result_json(const CloneArgs& args, const CloneResult& r) {
  return {{"dir", args.dir},
          {"url", args.url},
          {"stream", args.stream},
          {"store_id", r.store_id},
          {"records", r.records},
          {"first_seq", r.first_seq},
          {"last_seq", r.last_seq},
          {"last_time", r.records ? json(format_time_ns(r.last_time_ns)) : json()},
          {"snapshots", r.snapshots},
          {"incomplete_snapshots", r.incomplete_snapshots},
          {"bridged_holes", holes_json(r)}};
}

void print_summary(const CloneArgs& args, const CloneResult& r) {
  std::cout << "cloned       stream " << args.stream << " at " << args.url << " into "
            << args.dir << "\n";
  std::cout << "store id     " << r.store_id << "\n";
  std::cout << "records      " << r.records;
  if (r.records > 0) {
    std::cout << " (seq " << r.first_seq << " to " << r.last_seq << ", the last at "
              << format_time_ns(r.last_time_ns) << ")";
  }
  std::cout << "\nsnapshots    " << r.snapshots.size() << "\n";
  for (const auto& id : r.incomplete_snapshots) {
    std::cout << "incomplete   snapshot " << id
              << " (chunks missing in the stream: left out)\n";
  }
  for (const auto& h : r.bridged_holes) {
    std::cout << "bridged      seq " << h.first_seq << " to " << h.last_seq
              << " by snapshot " << h.snapshot_id
              << " (the source compacted them away before they were shipped)\n";
  }
}

// text cut at spaces into lines of at most 80 columns, as the other
// commands' help footers are.
std::string wrapped(const std::string& text) {
  std::string out, line, word;
  std::istringstream words(text);
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > 80) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

}  // namespace

void add_clone_command(CLI::App& app, const Globals& g, std::function<int()>& run) {
  auto* clone = app.add_subcommand(
      "clone",
      "rebuild a whole store, history included, in a new or empty DIR from its "
      "replica on NATS JetStream (the positional DIR, not --dir)");
  clone->footer(
      "Example:\n  pa-journal clone --url nats://10.0.0.5:4222 ~/pa-restored "
      "--key-file ~/.pa-journal.key\n\n" +
      wrapped("DIR is the new store: the global --dir is not used. A sealed stream "
              "needs --key-file or --passphrase.") +
      "\n\n" +
      wrapped(std::string("Times T: ") + kTimeForms +
              " (a snapshot id is the start of its second). A time in the future, or "
              "before the first commit the stream holds, is refused (exit 1)."));
  auto args = std::make_shared<CloneArgs>();
  args->stream = std::string(replication::kDefaultStream);
  clone
      ->add_option("--url", args->url,
                   "the servers: nats://HOST:PORT[,HOST:PORT...] (any of the cluster)")
      ->required()
      ->check(non_empty("a URL"))
      ->type_name("URL");
  clone->add_option("--stream", args->stream, "the stream (default PA_JOURNAL)")
      ->check(non_empty("a stream name"))
      ->type_name("NAME");
  clone
      ->add_option("dir", args->dir,
                   "the new store: absent or an empty directory (not the global --dir)")
      ->required()
      ->check(non_empty("a directory"));
  clone->add_option("--at", args->at, "the store as it was at time T")
      ->check(time_text());
  clone->callback([&g, &run, args] { run = [&g, args] { return run_clone(g, *args); }; });
}

int run_clone(const Globals& g, const CloneArgs& args) {
  // What needs no server is refused first, each naming what is wrong: the
  // destination, the stream name, the time, the URL, the key file.
  std::shared_ptr<FileSystem> fs = posix_file_system();
  replication::check_clone_target(*fs, args.dir);
  replication::validate_stream_name(args.stream);
  replication::CloneOptions options;
  if (!args.at.empty()) options.until_ns = clone_moment(args.at);
  options.progress = progress_of(g);
  replication::NatsLog log(args.url);
  replication::SealerChooser choose = key_chooser(g, args.stream);
  if (!log.stream_state(args.stream)) {
    throw ReplicationError("there is no stream " + args.stream + " at " + args.url);
  }
  // A line at once, however short the stream: the bar proper is drawn as
  // the messages are read (every 64).
  g.bar->status("clone: reading stream " + args.stream);
  CloneResult r =
      replication::clone_from_log(log, args.stream, choose, *fs, args.dir, options);
  g.bar->clear();
  if (g.json) {
    print_json(result_json(args, r));
  } else {
    print_summary(args, r);
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
