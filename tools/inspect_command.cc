// `pa-journal inspect`: the summary of a store, or its records with filters.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "pa_journal/config.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "tools/cli.h"
#include "tools/json_stream.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

// How often --follow looks for new durable commits.
constexpr std::chrono::milliseconds kFollowPoll{200};

// The keys of the collection "config" that are not settings the store knows
// (pa_journal/config.h): the application's, or mistyped. Read in salvage
// mode, so that a damaged store still has its summary; none if it cannot
// be read at all.
// live: the JSON bytes of every document of the state, as `collections`
// counts them (keys not counted); 0 if the store cannot be read.
std::vector<std::string> unknown_keys(const Globals& g, uint64_t* live) {
  Options options = read_options(g);
  options.read_only = true;
  options.recovery = RecoveryMode::kSalvage;
  try {
    auto store = Store::open(store_dir(g), options);
    for (const auto& name : store->collections()) {
      store->list(name, ListOptions{}, [live](std::string_view, std::string_view doc) {
        *live += doc.size();
        return true;
      });
    }
    return unknown_config_keys(*store);
  } catch (const StorageError&) {
    return {};
  }
}

json disk_json(const DiskUse& d, uint64_t live) {
  return {{"journal", d.journal},
          {"snapshots", d.snapshots},
          {"compressed_snapshots", d.compressed_snapshots},
          {"snapshots_uncompressed", d.snapshots_uncompressed},
          {"manifests", d.manifests},
          {"state_files", d.state_files},
          {"total", d.total()},
          {"live_state", live}};
}

void print_disk(const DiskUse& d, uint64_t live) {
  std::cout << "disk         " << human_size(d.total()) << " (live state "
            << human_size(live) << "): journal " << human_size(d.journal)
            << ", snapshots " << human_size(d.snapshots) << " plain + "
            << human_size(d.compressed_snapshots) << " compressed (of "
            << human_size(d.snapshots_uncompressed) << " JSON), state files "
            << human_size(d.state_files) << " beyond their links\n";
}

json summary_json(const std::string& dir, const JournalSummary& s,
                  const std::vector<std::string>& unknown, uint64_t live) {
  json segments = json::array();
  for (const auto& seg : s.segments) {
    segments.push_back(
        {{"name", seg.name}, {"first_seq", seg.first_seq}, {"bytes", seg.bytes}});
  }
  json collections = json::object();
  for (const auto& [name, n] : s.commits_per_collection) collections[name] = n;
  json damage = json::array();
  for (const auto& d : s.damage) damage.push_back(damage_json(d));
  json losses = json::array();
  for (const auto& [from, to] : s.known_losses)
    losses.push_back({{"from", from}, {"to", to}});
  auto time_or_null = [&](int64_t t) {
    return s.records ? json(format_time_ns(t)) : json();
  };
  json snapshots = json::array();
  for (const auto& b : s.snapshots) {
    snapshots.push_back({{"id", b.id},
                         {"time", format_time_ns(b.time_ns)},
                         {"seq", b.seq},
                         {"bytes", b.bytes}});
  }
  json window = {{"from", nullptr}, {"to", nullptr}};
  if (s.window_to_ns != 0) {
    window = {{"from", format_time_ns(s.window_from_ns)},
              {"to", format_time_ns(s.window_to_ns)},
              {"from_empty_state", s.window_from_empty_state}};
  }
  return {{"dir", dir},
          {"records", s.records},
          {"bytes", s.bytes},
          {"first_seq", s.first_seq},
          {"last_seq", s.last_seq},
          {"first_time", time_or_null(s.first_time_ns)},
          {"last_time", time_or_null(s.last_time_ns)},
          {"segments", segments},
          {"snapshots", snapshots},
          {"window", window},
          {"commits_per_collection", collections},
          {"known_losses", losses},
          {"damage", damage},
          {"unknown_config_keys", unknown},
          {"disk", disk_json(s.disk, live)},
          {"store_id", replicas_json(s.replicas)["store_id"]},
          {"replicas", replicas_json(s.replicas)}};
}

// Commits per hour over the journal's span, or per day past two days.
std::string histogram(const JournalSummary& s, std::string* unit) {
  if (s.commit_times_ns.empty()) return {};
  int64_t span = s.last_time_ns - s.first_time_ns;
  int64_t bucket =
      span > 2 * 86400e9 ? int64_t{86400'000'000'000} : int64_t{3600'000'000'000};
  *unit = bucket == 3600'000'000'000 ? "hour" : "day";
  size_t buckets = static_cast<size_t>(span / bucket) + 1;
  std::vector<uint64_t> counts(std::min<size_t>(buckets, 72));
  size_t shift = buckets - counts.size();  // show the newest buckets
  for (int64_t t : s.commit_times_ns) {
    size_t i = static_cast<size_t>((t - s.first_time_ns) / bucket);
    if (i >= shift) ++counts[i - shift];
  }
  return sparkline(counts);
}

void print_summary(const std::string& dir, const JournalSummary& s,
                   const std::vector<std::string>& unknown, uint64_t live) {
  std::cout << "store        " << dir << "\n"
            << "store id     "
            << (s.replicas.store_id.empty() ? "none yet" : s.replicas.store_id) << "\n"
            << "segments     " << s.segments.size() << " (" << human_size(s.bytes)
            << ")\n"
            << "records      " << s.records;
  if (s.records) std::cout << " (seq " << s.first_seq << ".." << s.last_seq << ")";
  std::cout << "\n";
  if (s.records) {
    std::cout << "time         " << local_time(s.first_time_ns) << " .. "
              << local_time(s.last_time_ns) << "\n";
  }
  if (s.window_to_ns != 0) {
    std::cout << "window       " << local_time(s.window_from_ns) << " .. "
              << local_time(s.window_to_ns) << " (restorable"
              << (s.window_from_empty_state ? ", and the empty state before it" : "")
              << ")\n";
  }
  print_disk(s.disk, live);
  std::cout << "snapshots    " << s.snapshots.size();
  if (!s.snapshots.empty()) {
    std::cout << " (newest " << s.snapshots.front().id << " at seq "
              << s.snapshots.front().seq << ", oldest " << s.snapshots.back().id << ")";
  }
  std::cout << "\n";
  for (const auto& [name, n] : s.commits_per_collection) {
    std::cout << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ')
              << n << " commits\n";
  }
  std::string unit;
  std::string spark = histogram(s, &unit);
  if (!spark.empty()) std::cout << "commits per " << unit << "  " << spark << "\n";
  for (const auto& [from, to] : s.known_losses) {
    std::cout << "lost         seq " << from << ".." << to << " (marked by a salvage)\n";
  }
  for (const auto& d : s.damage) std::cout << "damage       " << d.describe() << "\n";
  print_replica_lines(s.replicas);
  if (!unknown.empty()) {
    std::cout << "config       unknown keys (kept, not read by the store):";
    for (const auto& key : unknown) std::cout << " " << key;
    std::cout << "\n";
  }
}

// One record as it is read: a line of NDJSON, or a line per operation.
void print_record(const Globals& g, const Record& r) {
  if (g.json) {
    std::cout << record_json_line(r);
    return;
  }
  for (const auto& op : r.ops) {
    std::cout << r.seq << "  " << format_time_ns(r.time_ns) << "  " << to_string(op.kind)
              << " " << op.collection << "/" << op.key << "  " << op.document
              << (r.origin.empty() ? "" : "  (" + r.origin + ")") << "\n";
  }
}

RecordFilter record_filter(const Globals& g, const InspectArgs& args) {
  RecordFilter filter;
  if (!args.since.empty()) filter.since_ns = time_arg(g, args.since);
  if (!args.until.empty()) filter.until_ns = time_arg(g, args.until);
  if (!args.collection.empty()) filter.collection = args.collection;
  if (!args.key.empty()) filter.key = args.key;
  filter.from_seq = args.from_seq;
  filter.limit = args.limit;
  return filter;
}

// --follow ends at SIGINT or SIGTERM: the handler only sets the flag; the
// poll loop and the record sink look at it.
volatile std::sig_atomic_t stop_signal = 0;
struct Interrupted {};  // thrown by the sink to end a poll early

extern "C" void on_stop_signal(int signal) { stop_signal = signal; }

void catch_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Waits for the next poll in short steps, so that a signal ends it at once.
void pause_between_polls() {
  constexpr int kSteps = 10;
  for (int i = 0; i < kSteps && !stop_signal; ++i) {
    std::this_thread::sleep_for(kFollowPoll / kSteps);
  }
}

// After the first poll (what read_records prints), polls until a signal,
// the store's removal or --limit; each poll's records are flushed at once.
void follow(RecordFollower& follower, const RecordSinkFn& sink) {
  while (!stop_signal && !follower.done()) {
    pause_between_polls();
    if (stop_signal) break;
    RecordPoll poll = follower.poll(sink);
    std::cout.flush();
    if (poll.removed_first != 0) {
      std::cerr << "pa-journal: records " << poll.removed_first << ".."
                << poll.removed_last << " were removed by a compaction before they"
                << " could be read\n";
    }
    if (poll.store_gone) {
      std::cerr << "pa-journal: the store was removed\n";
      break;
    }
  }
}

int list_records(const Globals& g, const InspectArgs& args) {
  RecordFilter filter = record_filter(g, args);
  if (args.follow) catch_stop_signals();
  RecordFollower follower(store_dir(g), filter, read_options(g));
  auto sink = [&](const Record& r) {
    if (stop_signal) throw Interrupted{};
    print_record(g, r);
  };
  try {
    RecordPoll first = follower.poll(sink);
    // No records is a valid answer to a filter; a mistyped name is pointed out.
    if (first.delivered == 0 && filter.collection) {
      std::string missing = missing_collection(g, *filter.collection);
      if (!missing.empty()) std::cerr << "(" << missing << ")\n";
    }
    if (args.follow) {
      std::cout.flush();
      follow(follower, sink);
    }
  } catch (const Interrupted&) {
    // A signal while a poll printed: what was printed stands.
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

int run_inspect(const Globals& g, const InspectArgs& args) {
  if (args.records) return list_records(g, args);
  std::string dir = store_dir(g);
  JournalSummary s = inspect_journal(dir, read_options(g));
  uint64_t live = 0;
  std::vector<std::string> unknown = unknown_keys(g, &live);
  if (g.json) {
    print_json(summary_json(dir, s, unknown, live));
  } else {
    print_summary(dir, s, unknown, live);
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
