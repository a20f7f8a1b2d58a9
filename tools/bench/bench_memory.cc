// Phase 7 of the benchmark: resident memory with the large store open,
// measured in a fresh process (memory_probe_main) so that earlier phases do
// not inflate it.
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <stdexcept>

#include "pa_journal/store.h"
#include "tools/bench/runner.h"

extern char** environ;

namespace pa_journal::bench {

void Runner::memory(const std::string& dir) {
  say("memory: opening " + count_text(config_.compaction_docs) + " documents");
  nlohmann::json probe;
  if (!config_.probe_command.empty()) {
    probe = run_probe(dir);
  } else {
    ::malloc_trim(0);
    uint64_t before = resident_bytes();
    auto store = Store::open(dir);
    uint64_t raw = 2;
    for (const auto& name : store->collections()) {
      raw += name.size() + 5;
      for (const auto& [key, doc] : store->list(name)) raw += key.size() + doc.size() + 4;
    }
    probe = {{"rss_bytes", resident_bytes() - before},
             {"hwm_bytes", 0},
             {"raw_json_bytes", raw}};
    report_.notes.push_back("memory measured in-process as the growth of VmRSS on open");
  }
  Figure f;
  f.id = "memory.rss";
  f.group = "Resident memory with " + count_text(config_.compaction_docs) +
            " documents open (fresh process)";
  f.label = "VmRSS after open";
  f.value = probe["rss_bytes"].get<double>() / kMB;
  f.unit = "MB";
  f.detail = "peak VmHWM " +
             std::to_string(probe["hwm_bytes"].get<uint64_t>() / 1000000) + " MB; " +
             std::to_string(probe.value("trimmed_rss_bytes", uint64_t{0}) / 1000000) +
             " MB after malloc_trim(0); " +
             std::to_string(probe.value("baseline_rss_bytes", uint64_t{0}) / 1000000) +
             " MB before open";
  add(std::move(f));
  Figure raw;
  raw.id = "memory.raw_json";
  raw.group = report_.figures.back().group;
  raw.label = "raw JSON of the state";
  raw.value = probe["raw_json_bytes"].get<double>() / kMB;
  raw.unit = "MB";
  add(std::move(raw));
}

// Runs probe_command + dir and parses the JSON it prints.
nlohmann::json Runner::run_probe(const std::string& dir) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<std::string> args = config_.probe_command;
  args.push_back(dir);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; rc == 0 && (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  if (rc == 0) ::waitpid(pid, &status, 0);
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the memory probe (" + args[0] + ") failed: " + out);
  }
  return nlohmann::json::parse(out);
}

int memory_probe_main(const std::string& dir) {
  uint64_t baseline = resident_bytes();
  Options options;
  options.auto_compact = false;  // the steady state, not a compaction's copy
  auto store = Store::open(dir, options);
  uint64_t rss = resident_bytes();
  uint64_t hwm = peak_resident_bytes();
  // How much of it is the heap keeping freed memory (from parsing the
  // snapshot, say) rather than the state itself.
  ::malloc_trim(0);
  uint64_t trimmed = resident_bytes();
  // The state as one JSON object {"collection":{"key":document,...},...}.
  uint64_t raw = 2, documents = 0;
  for (const auto& name : store->collections()) {
    raw += name.size() + 5;
    for (const auto& [key, doc] : store->list(name)) {
      raw += key.size() + doc.size() + 4;
      ++documents;
    }
  }
  nlohmann::json out = {{"rss_bytes", rss},      {"trimmed_rss_bytes", trimmed},
                        {"hwm_bytes", hwm},      {"baseline_rss_bytes", baseline},
                        {"raw_json_bytes", raw}, {"documents", documents}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace pa_journal::bench
