// The keys of replication on the command line (docs/cli.md 2 and `keygen`;
// docs/replication.md, "Envelope"): the global options --key-file FILE and
// --passphrase, the key source they name, and the keygen command.
//
// The options are accepted before or after any command, and checked only by
// the commands that seal or open a stream, through key_source(): another
// command given --key-file neither reads nor checks the file.
#pragma once

#include <functional>

#include "replication/keys.h"
#include "tools/cli.h"

namespace CLI {
class App;
}

namespace pa_journal::cli {

// The name of the environment variable a passphrase is read from.
inline constexpr const char* kPassphraseVariable = "PA_JOURNAL_PASSPHRASE";

// Adds --key-file FILE and --passphrase to app (global options, into g).
void add_key_options(CLI::App& app, Globals& g);
// Adds `keygen FILE`; run is set to it when it is the command given.
void add_keygen_command(CLI::App& app, const Globals& g, std::function<int()>& run);

// The key source the globals name: the key in --key-file (KeyError naming the
// file if it is missing, open to group or others, or not 32 bytes), the
// passphrase of --passphrase (read_passphrase), or no key. Both options given
// are a UsageError.
// confirm_passphrase: for a stream about to be started, ask twice.
replication::KeySource key_source(const Globals& g, bool confirm_passphrase = false);

// A passphrase: $PA_JOURNAL_PASSPHRASE if it is set and not empty, else asked
// on the terminal (/dev/tty) with echo off, twice if confirm. KeyError if
// there is neither, if the two answers differ, if it is empty or longer than
// 1024 bytes.
replication::SecretBytes read_passphrase(bool confirm);

int run_keygen(const Globals& g, const std::string& file);

}  // namespace pa_journal::cli
