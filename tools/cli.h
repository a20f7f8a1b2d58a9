// Shared pieces of the pa-journal command line: global options, exit codes,
// opening the store, output helpers. The tool uses the public API
// (include/pa_journal/), and of the library's insides only the store's file
// names (journal/layout.h), the wording of JSON errors (model/validation.h),
// the annotated mutex of its threads (journal/mutex.h), the keys that seal
// a replicated stream (replication/keys.h) and, for `clone`, the clone and
// the NATS log it reads (replication/clone.h, nats_log.h, sealing_meta.h).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/record.h"
#include "pa_journal/replicas.h"
#include "pa_journal/store.h"

namespace pa_journal::cli {

// docs/design.md 6: 0 success, 1 error, 2 usage error, 3 corruption found,
// 4 conflict.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitCorruption = 3,
  kExitConflict = 4,  // a compare-and-set (--if-seq) refused: ConflictError
};

// A mistake in how the command was called (exit 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ProgressBar;

struct Globals {
  std::string dir;  // --dir, else $PA_JOURNAL_DIR, else ~/.personal_assistant
  bool json = false;
  std::string durability = "always";
  std::string recovery = "tolerate-tail";
  bool no_progress = false;
  // --wait: how long a writer waits for another process's LOCK (0: not at all).
  double wait_seconds = 0;
  // --key-file and --passphrase: the key that seals a stream, read and
  // checked only by the commands that use it (tools/key_options.h).
  std::string key_file;
  bool passphrase = false;
  // The progress display on stderr (tools/progress.h); set by main after
  // parsing, inactive unless stderr is a terminal.
  std::shared_ptr<ProgressBar> bar;
};

// The store directory the globals name.
std::string store_dir(const Globals& g);
// progress: report long work (the replay of opening, compaction, import...)
// on the progress display. Both writable opens print each repair the open
// made (a torn tail cut, damage salvaged) on stderr. open_writable refuses a
// directory without a store (NotFoundError "no store at DIR") and creates
// nothing: for commands that change what a store holds. open_or_create
// creates the store, saying so on stderr: for commands that add data.
std::unique_ptr<Store> open_writable(const Globals& g, bool progress = false);
std::unique_ptr<Store> open_or_create(const Globals& g, bool progress = false);
std::unique_ptr<Store> open_read_only(const Globals& g);
Options read_options(const Globals& g, bool progress = false);
// A time argument; a bad one is a UsageError naming the accepted forms. The
// id of one of the store's snapshots (the backup-name form, with or without
// its "_N" suffix) is that snapshot's exact moment: parsed, the form names the
// start of its second, before the records of that second the snapshot holds.
int64_t time_arg(const Globals& g, const std::string& text);
// The text of a JSON argument, or all of standard input for "-".
std::string json_arg(const std::string& text);

// Output.
void print_json(const nlohmann::json& value);
nlohmann::json commit_json(const CommitResult& r);
nlohmann::json damage_json(const Damage& d);
nlohmann::json record_json(const Record& r);
std::string human_size(uint64_t bytes);
std::string local_time(int64_t unix_ns);
// One character per bucket, ' ' for 0 and eight heights otherwise.
std::string sparkline(const std::vector<uint64_t>& counts);
void print_error(const std::string& message);
// What to run to undo commit r (an import or a restore): a restore to just
// before it, naming --dir if the command was given one, so that the line can
// be pasted as it is. The store's first commit has no earlier state to go to.
std::string undo_hint(const Globals& g, const CommitResult& r);
// text as one shell word: as it is if it is plain, else in single quotes.
std::string shell_word(const std::string& text);

// Commands. Each returns its exit code; errors are thrown as StorageError
// (or UsageError) and mapped to exit codes by main.
// if_seq: the operation's compare-and-set condition (pa_journal/record.h).
int run_put(const Globals& g, OpKind kind, const std::string& collection,
            const std::string& key, const std::string& json,
            std::optional<uint64_t> if_seq = std::nullopt);
// at: a time argument, or empty for the current state. with_seq (not with
// at): the seq of the document's last change too.
int run_get(const Globals& g, const std::string& collection, const std::string& key,
            const std::string& at, bool with_seq = false);
// list: at is a time argument, or empty for now; prefix, from and to (keys,
// both inclusive; empty: not given) and limit (0: none) select as
// ListOptions does; count prints only how many documents are selected.
struct ListArgs {
  std::string collection, at, prefix, from, to;
  uint64_t limit = 0;
  bool count = false;
};
int run_list(const Globals& g, const ListArgs& args);
// Each collection with its number of documents and the bytes of their JSON.
int run_collections(const Globals& g);
// "no collection 'C' in the store; did you mean D?" if the store (read-only)
// has no collection C, else "" (also when there is no store to look in).
std::string missing_collection(const Globals& g, const std::string& collection);
// The store as it was at the time text at, read-only (Store::open_at).
std::unique_ptr<Store> open_at_arg(const Globals& g, const std::string& at);
struct RestoreArgs {
  std::string at, out;
  bool dry_run = false, force = false;
};
int run_restore(const Globals& g, const RestoreArgs& args);
int run_export(const Globals& g, const std::string& out_dir, const std::string& at);
struct ImportArgs {
  std::string dir;
  bool dry_run = false, merge = false, accept_edits = false;
};
int run_import(const Globals& g, const ImportArgs& args);
// An online copy of the whole store into a new or empty out_dir.
int run_backup(const Globals& g, const std::string& out_dir);
int run_demo(const Globals& g);
struct AdoptArgs {
  bool dry_run = false, skip_damaged = false;
};
int run_adopt(const Globals& g, const AdoptArgs& args);
int run_history(const Globals& g, const std::string& collection, const std::string& key);
int run_diff(const Globals& g, const std::string& from, const std::string& to);
int run_apply(const Globals& g, const std::string& input, bool continue_on_error);
struct InspectArgs {
  bool records = false;
  std::string since, until, collection, key;
  uint64_t from_seq = 0, limit = 0;
  bool follow = false;  // keep printing new durable commits until a signal
};
int run_inspect(const Globals& g, const InspectArgs& args);
int run_verify(const Globals& g);
int run_compact(const Globals& g);
int run_backups(const Globals& g);
// The store id and the replicas' positions; with forget_stream, removes that
// stream's position instead. Exit 3 if a position file is damaged.
int run_replicas(const Globals& g, const std::string& forget_stream);
// The replicas as `replicas --json` and `inspect --json` give them, and as
// their text lines ("replica", "held", "damaged", "stray").
nlohmann::json replicas_json(const ReplicasReport& r);
void print_replica_lines(const ReplicasReport& r);
// replicate: ship the store to stream at url; follow keeps shipping new
// commits until SIGINT or SIGTERM.
struct ReplicateArgs {
  std::string url, stream = "PA_JOURNAL";
  bool follow = false;
};
int run_replicate(const Globals& g, const ReplicateArgs& args);
struct ReplayArgs {
  std::string mode, until, out;
  bool force = false;
};
int run_replay(const Globals& g, const ReplayArgs& args);
struct BenchArgs {
  std::string in;      // where to create the temporary directory
  double seconds = 0;  // per contender; 0: the short run's default
  bool keep = false;
  std::string memory_probe;  // internal: the child side of the memory figure
};
// A short run of the benchmark (tools/bench/) on the disk of the store.
int run_bench(const Globals& g, const BenchArgs& args);

}  // namespace pa_journal::cli
