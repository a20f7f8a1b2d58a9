// `pa-journal replicate --url URL [--stream NAME] [--follow]`: ships the store
// to its replica, a NATS JetStream stream (docs/cli.md, "replicate";
// docs/replication.md, "Shipping"). It reads the store as a read-only open
// does and never takes LOCK, so it runs beside a live writer.
//
// --follow ends at SIGINT or SIGTERM: the handler only sets a flag, which a
// watcher thread turns into a stop request; the shipper then finishes the
// batch in flight and saves its position.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <stop_token>
#include <string>
#include <thread>

#include "pa_journal/replication.h"
#include "tools/cli.h"
#include "tools/key_options.h"
#include "tools/progress.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A --json status line while shipping goes on: one for every try while no
// server answers; else one once the acked seq or the lag changed (at most one
// a second: a change held back is printed at the next report after that), and
// one every kQuietSeconds while nothing changes.
constexpr double kQuietSeconds = 10;

// Set by the handler, read by the watcher thread: a lock-free atomic is
// both safe in a signal handler and free of a race with the reader.
std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void on_replicate_signal(int signal) { stop_signal.store(signal); }

void catch_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_replicate_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

json status_json(const ReplicationStatus& s, const std::string& url) {
  return {{"stream", s.stream},
          {"url", url},
          {"store_id", s.store_id},
          {"acked_seq", s.acked_seq},
          {"stream_seq", s.stream_seq},
          {"durable_seq", s.durable_seq},
          {"records_behind", s.records_behind},
          {"seconds_behind", s.seconds_behind},
          {"records_published", s.records_published},
          {"snapshots_published", s.snapshots_published.size()},
          {"damaged_snapshots", s.damaged_snapshots},
          {"incomplete_snapshots", s.incomplete_snapshots},
          {"error", s.error.empty() ? json() : json(s.error)},
          {"retry_in_ms", s.retry_in_ms}};
}

std::string lag_text(const ReplicationStatus& s) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", s.seconds_behind);
  return std::to_string(s.records_behind) + " records (" + seconds + " s) behind";
}

void print_summary(const Globals& g, const ReplicationStatus& s, const std::string& url) {
  g.bar->clear();
  if (g.json) {
    print_json(status_json(s, url));
    return;
  }
  std::cout << "replicated to stream " << s.stream << " at " << url << ": "
            << s.records_published << " records and " << s.snapshots_published.size()
            << " snapshots published; acked seq " << s.acked_seq << " (stream seq "
            << s.stream_seq << "), " << lag_text(s) << "\n";
  for (const auto& id : s.damaged_snapshots) {
    std::cout << "damaged snapshot " << id << " not shipped (its files fail their "
              << "manifest; pa-journal verify says more)\n";
  }
}

// What --follow shows while it runs: a line on a terminal's stderr, --json
// status lines on stdout, and on a stderr that is no terminal each new error.
class FollowReport {
 public:
  FollowReport(const Globals& g, std::string url) : g_(g), url_(std::move(url)) {}

  void operator()(const ReplicationStatus& s) {
    show_on_terminal(s);
    if (!s.error.empty() && s.error != last_error_ && !g_.bar->active() && !g_.json) {
      std::cerr << "pa-journal: " << s.error << "; trying again\n";
    }
    if (g_.json && due(s)) {
      print_json(status_json(s, url_));
      std::cout.flush();
      last_line_ = Clock::now();
      last_acked_ = s.acked_seq;
      last_behind_ = s.records_behind;
    }
    last_error_ = s.error;
  }

 private:
  bool due(const ReplicationStatus& s) const {
    if (!s.error.empty() || s.error != last_error_) return true;
    double since = std::chrono::duration<double>(Clock::now() - last_line_).count();
    bool changed = s.acked_seq != last_acked_ || s.records_behind != last_behind_;
    return since >= kQuietSeconds || (changed && since >= 1);
  }

  void show_on_terminal(const ReplicationStatus& s) {
    if (!s.error.empty()) {
      g_.bar->status("replicate " + s.stream + ": " + s.error + "; retrying in " +
                     std::to_string(s.retry_in_ms) + " ms, " + lag_text(s));
    } else {
      g_.bar->status("replicate " + s.stream + ": acked seq " +
                     std::to_string(s.acked_seq) + ", " + lag_text(s) + ", " +
                     std::to_string(s.records_published) + " records published");
    }
  }

  const Globals& g_;
  std::string url_;
  std::string last_error_;
  Clock::time_point last_line_{};
  uint64_t last_acked_ = 0;
  uint64_t last_behind_ = 0;
};

ReplicationOptions replication_options(const Globals& g, const ReplicateArgs& args) {
  ReplicationOptions o;
  o.url = args.url;
  o.stream = args.stream;
  if (!g.key_file.empty() && g.passphrase) {
    throw UsageError("--key-file and --passphrase: give one of them, not both");
  }
  o.key_file = g.key_file;
  if (g.passphrase) {
    replication::SecretBytes secret = read_passphrase(false);
    o.passphrase.assign(reinterpret_cast<const char*>(secret.data()), secret.size());
  }
  return o;
}

int follow(const Globals& g, ReplicationOptions o) {
  catch_stop_signals();
  std::stop_source stop;
  std::atomic<bool> done = false;
  std::thread watcher([&] {
    while (!done && !stop_signal)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  FollowReport report(g, o.url);
  o.on_status = [&report](const ReplicationStatus& s) { report(s); };
  ReplicationStatus last;
  try {
    last = follow_replication(store_dir(g), o, stop.get_token(), read_options(g));
  } catch (...) {
    done = true;
    watcher.join();
    throw;
  }
  done = true;
  watcher.join();
  print_summary(g, last, o.url);
  return kExitOk;
}

}  // namespace

int run_replicate(const Globals& g, const ReplicateArgs& args) {
  ReplicationOptions o = replication_options(g, args);
  if (args.follow) return follow(g, std::move(o));
  o.on_status = [&g](const ReplicationStatus& s) {
    g.bar->status("replicate " + s.stream + ": acked seq " + std::to_string(s.acked_seq) +
                  ", " + std::to_string(s.records_published) + " records published");
  };
  ReplicationStatus s = replicate(store_dir(g), o, {}, read_options(g));
  print_summary(g, s, o.url);
  return kExitOk;
}

}  // namespace pa_journal::cli
