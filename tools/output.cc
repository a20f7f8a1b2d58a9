// Output helpers and store opening shared by the commands.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "tools/cli.h"
#include "tools/progress.h"

namespace pa_journal::cli {

std::string shell_word(const std::string& text) {
  bool plain = !text.empty() && text.find_first_not_of(
                                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_./-+:=@%,") == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string undo_hint(const Globals& g, const CommitResult& r) {
  std::string dir = g.dir.empty() ? "" : " --dir " + shell_word(g.dir);
  return "undo with: pa-journal" + dir + " restore --at " + format_time_ns(r.time_ns - 1);
}

std::string store_dir(const Globals& g) {
  if (!g.dir.empty()) return g.dir;
  if (const char* env = std::getenv("PA_JOURNAL_DIR"); env && *env) return env;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    throw UsageError("no store directory: pass --dir DIR or set PA_JOURNAL_DIR or HOME");
  }
  return std::string(home) + "/.personal_assistant";
}

Options read_options(const Globals& g, bool progress) {
  Options options;
  if (progress && g.bar) options.progress = g.bar->callback();
  // Whole milliseconds, rounded up so that a wait asked for is never zero;
  // past 49 days the wait is as good as forever.
  double wait_ms = std::ceil(g.wait_seconds * 1000);
  options.lock_wait_ms = static_cast<uint32_t>(std::min(wait_ms, 4.0e9));
  try {
    options.durability = parse_durability(g.durability);
    options.recovery = parse_recovery_mode(g.recovery);
  } catch (const InvalidInputError& e) {
    throw UsageError(e.what());
  }
  return options;
}

namespace {

// One line on stderr for what opening the store did that its user should know.
void tell(const Globals& g, const std::string& line) {
  if (g.bar) g.bar->clear();
  std::cerr << "pa-journal: " << line << "\n";
}

// A repair the open made, with what was dropped and where (after_seq: the
// last record kept).
std::string describe_repair(RecoveryMode mode, const Damage& d, uint64_t after_seq) {
  std::string where = d.file + " offset " + std::to_string(d.offset) + " (after seq " +
                      std::to_string(after_seq) + ")";
  if (d.kind == Damage::Kind::kTornTail) {
    return "repaired: dropped a torn tail of " + std::to_string(d.bytes) + " bytes at " +
           where;
  }
  if (mode == RecoveryMode::kPointInTime) {
    return "repaired: cut the journal at " + where + ", where it is damaged (" +
           d.reason + "): every record from there on was dropped";
  }
  return "repaired: " + d.describe();  // salvage: what it marked lost
}

std::unique_ptr<Store> open_and_tell(const Globals& g, Options options) {
  std::string dir = store_dir(g);
  auto store = Store::open(dir, options);
  if (store->created()) tell(g, "created a new store in " + dir);
  uint64_t after_seq = store->last_seq();
  const RecoveryReport& report = store->recovery();
  for (const auto& d : report.repaired)
    tell(g, describe_repair(report.mode, d, after_seq));
  for (const auto& q : report.quarantined)
    tell(g, "repaired: kept a copy of what was dropped in " + q);
  return store;
}

}  // namespace

std::unique_ptr<Store> open_writable(const Globals& g, bool progress) {
  Options options = read_options(g, progress);
  options.create_if_missing = false;
  return open_and_tell(g, options);
}

std::unique_ptr<Store> open_or_create(const Globals& g, bool progress) {
  return open_and_tell(g, read_options(g, progress));
}

std::unique_ptr<Store> open_read_only(const Globals& g) {
  Options options = read_options(g);
  options.read_only = true;
  return Store::open(store_dir(g), options);
}

int64_t time_arg(const Globals& g, const std::string& text) {
  int64_t t = 0;
  try {
    t = parse_time(text, system_now_ns());
  } catch (const InvalidInputError& e) {
    throw UsageError(e.what());
  }
  // A snapshot name, "_N" suffix or not (parse_time took it as its second).
  if (text.size() >= 15 && text[8] == '_') {
    try {
      for (const auto& b : list_backups(store_dir(g), read_options(g))) {
        if (b.id == text) return b.time_ns;
      }
    } catch (const StorageError&) {
      // No store or no backups to read: the command reports that itself.
    }
  }
  return t;
}

std::string json_arg(const std::string& text) {
  if (text != "-") return text;
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void print_json(const nlohmann::json& value) { std::cout << value.dump() << "\n"; }

nlohmann::json commit_json(const CommitResult& r) {
  return {{"seq", r.seq}, {"time", format_time_ns(r.time_ns)}};
}

nlohmann::json damage_json(const Damage& d) {
  nlohmann::json out = {{"kind", to_string(d.kind)},
                        {"file", d.file},
                        {"offset", d.offset},
                        {"bytes", d.bytes},
                        {"reason", d.reason}};
  if (d.first_seq > 0) out["lost_seq"] = {{"from", d.first_seq}, {"to", d.last_seq}};
  return out;
}

nlohmann::json record_json(const Record& r) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : r.ops) {
    nlohmann::json o = {
        {"op", to_string(op.kind)}, {"collection", op.collection}, {"key", op.key}};
    if (op.kind != OpKind::kDelete) o["value"] = parse_document(op.document);
    ops.push_back(std::move(o));
  }
  nlohmann::json out = {
      {"seq", r.seq}, {"time", format_time_ns(r.time_ns)}, {"ops", ops}};
  if (!r.origin.empty()) out["origin"] = r.origin;
  return out;
}

std::string human_size(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string local_time(int64_t unix_ns) {
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return text;
}

std::string sparkline(const std::vector<uint64_t>& counts) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  uint64_t top = 0;
  for (uint64_t c : counts) top = std::max(top, c);
  std::string line;
  for (uint64_t c : counts) {
    line += c == 0 ? " " : bars[(c * 8 - 1) / top];
  }
  return line;
}

void print_error(const std::string& message) {
  std::cerr << "pa-journal: error: " << message << "\n";
}

}  // namespace pa_journal::cli
