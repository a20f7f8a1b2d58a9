// `pa-journal clone --url URL [--stream NAME] DIR [--at T]`: a whole store,
// history included, rebuilt in DIR from its replica on NATS JetStream alone
// (docs/cli.md, "clone"; docs/replication.md, "Cloning").
#pragma once

#include <functional>
#include <string>

#include "tools/cli.h"

namespace CLI {
class App;
}

namespace pa_journal::cli {

struct CloneArgs {
  std::string url;     // nats://HOST:PORT[,HOST:PORT...]
  std::string stream;  // the stream's name (default PA_JOURNAL)
  std::string dir;     // the new store: the positional DIR, never --dir
  std::string at;      // a time argument, or empty for everything
};

// Adds `clone`; run is set to it when it is the command given.
void add_clone_command(CLI::App& app, const Globals& g, std::function<int()>& run);

// Clones args.stream at args.url into args.dir with the key of --key-file or
// --passphrase. Throws InvalidInputError if DIR holds anything or a leftover
// DIR.clone-partial exists (nothing touched), ReplicationError naming the URL
// or the stream, KeyError naming the key, CorruptedDataError naming the
// stream sequence of a damaged message; UsageError for a bad --at.
int run_clone(const Globals& g, const CloneArgs& args);

}  // namespace pa_journal::cli
