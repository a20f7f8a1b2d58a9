#include "tests/kill_workload.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"

namespace pa_journal::testing {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string random_text(std::mt19937_64& rng) {
  static const char* const pieces[] = {"a",  "b", "z", "0", "9", " ", "\"",
                                       "\\", "é", "✓", "/", "{", "}"};
  std::string text;
  size_t n = rng() % 80;
  for (size_t i = 0; i < n; ++i) text += pieces[rng() % std::size(pieces)];
  return text;
}

Operation put(uint32_t thread, const std::string& key, const nlohmann::json& value) {
  std::string collection = key.back() % 2 == 0 ? "contacts" : "notes";
  return {OpKind::kPut, collection, "t" + std::to_string(thread) + "-" + key,
          value.dump()};
}

}  // namespace

std::vector<Operation> writer_commit(uint64_t seed, uint64_t round, uint32_t thread,
                                     uint64_t index) {
  std::mt19937_64 rng(mix(mix(mix(seed) ^ round) ^ thread) ^ index);
  std::vector<Operation> ops;
  size_t puts = 1 + rng() % 3;
  for (size_t part = 0; part < puts; ++part) {
    nlohmann::json value = {
        {"r", round}, {"t", thread}, {"i", index}, {"p", part}, {"x", random_text(rng)}};
    ops.push_back(put(thread, "k" + std::to_string(rng() % 12), value));
  }
  if (rng() % 4 == 0) {
    ops.push_back(put(thread, "scratch", {{"r", round}, {"i", index}}));
    ops.push_back({OpKind::kDelete, ops.back().collection, ops.back().key, ""});
  }
  return ops;
}

std::optional<WriterCommitId> writer_commit_id(const Record& record, uint64_t round) {
  if (!record.origin.empty() || record.ops.empty()) return std::nullopt;
  auto value = nlohmann::json::parse(record.ops[0].document, nullptr, false);
  if (!value.is_object() || value.value("r", ~uint64_t{0}) != round ||
      !value.contains("t") || !value.contains("i")) {
    return std::nullopt;
  }
  return WriterCommitId{value["t"].get<uint32_t>(), value["i"].get<uint64_t>()};
}

WorkloadRound::WorkloadRound(Store* store, uint64_t seed, uint64_t round,
                             std::string exports_dir, Say say, bool sync_before_ack)
    : store_(store),
      seed_(seed),
      round_(round),
      exports_(std::move(exports_dir)),
      say_(std::move(say)),
      sync_before_ack_(sync_before_ack),
      rng_(mix(seed ^ mix(round))) {}

std::string WorkloadRound::run() {
  auto guarded = [this](auto fn) {
    return [this, fn] {
      try {
        fn();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu_);
        if (error_.empty()) error_ = e.what();
        cv_.notify_all();
      }
    };
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kWriters; ++t) {
    threads.emplace_back(guarded([this, t] { writer(t); }));
  }
  threads.emplace_back(guarded([this] { admin(); }));
  for (auto& thread : threads) thread.join();
  return error_;
}

void WorkloadRound::ack(const std::string& line) {
  if (sync_before_ack_) store_->sync();
  say_(line);
}

bool WorkloadRound::stopped() {
  std::lock_guard<std::mutex> lock(mu_);
  return !error_.empty();
}

void WorkloadRound::writer(uint32_t thread) {
  struct Done {  // counts this writer as done however it ends
    WorkloadRound* r;
    ~Done() {
      std::lock_guard<std::mutex> lock(r->mu_);
      ++r->writers_done_;
      r->cv_.notify_all();
    }
  } done{this};
  for (uint64_t i = 0; i < kCommits && !stopped(); ++i) {
    CommitResult r = store_->commit(writer_commit(seed_, round_, thread, i));
    ack("c " + std::to_string(thread) + " " + std::to_string(i) + " " +
        std::to_string(r.seq));
    std::lock_guard<std::mutex> lock(mu_);
    times_.push_back(r.time_ns);
    cv_.notify_all();
  }
}

void WorkloadRound::admin() {
  for (uint64_t next = kAdminEvery;; next += kAdminEvery) {
    int64_t target;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return times_.size() >= next || writers_done_ == kWriters || !error_.empty();
      });
      if (times_.size() < next || !error_.empty()) return;
      target = times_[rng_() % times_.size()];
    }
    act(target);
  }
}

void WorkloadRound::act(int64_t restore_time) {
  switch (rng_() % 3) {
    case 0: {
      CommitResult r = store_->restore_to(restore_time);
      if (r.seq != 0) ack("r " + std::to_string(r.seq));
      return;
    }
    case 1: {
      std::string dir = exports_ + "/r" + std::to_string(round_) + "-" +
                        std::to_string(exported_.size());
      CommitResult r = store_->export_to(dir);
      exported_.push_back(dir);
      say_("e " + std::to_string(r.seq) + " " + dir);
      return;
    }
    default: {
      if (exported_.empty()) return;
      CommitResult r = store_->import_from(exported_[rng_() % exported_.size()]);
      if (r.seq != 0) ack("i " + std::to_string(r.seq));
    }
  }
}

Acks parse_acks(const std::string& out, bool* done) {
  Acks acks;
  std::istringstream lines(out.substr(0, out.rfind('\n') + 1));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::string kind;
    uint64_t seq = 0;
    in >> kind;
    if (kind == "c") {
      WriterCommitId id;
      in >> id.thread >> id.index >> seq;
      acks.commits[seq] = id;
    } else if (kind == "r" || kind == "i") {
      in >> seq;
      acks.admin[seq] = kind == "r" ? "restore to " : "import from ";
    } else if (kind == "e") {
      std::string dir;
      in >> seq >> dir;
      acks.exports[dir] = seq;
    } else if (kind == "done") {
      *done = true;
    } else {
      throw std::runtime_error("not an acknowledgement line: " + line);
    }
  }
  return acks;
}

Collections without_empty(Collections collections) {
  std::erase_if(collections, [](const auto& entry) { return entry.second.empty(); });
  return collections;
}

void Model::apply(const Record& record) {
  if (kept_.empty()) kept_.push_back({last_seq_, last_time_ns_, state_});
  for (const Operation& op : record.ops) {
    if (op.kind == OpKind::kDelete) {
      state_[op.collection].erase(op.key);
    } else {
      state_[op.collection][op.key] = op.document;  // patches are stored resolved
    }
  }
  state_ = without_empty(std::move(state_));
  last_seq_ = record.seq;
  last_time_ns_ = record.time_ns;
  kept_.push_back({last_seq_, last_time_ns_, state_});
}

bool Model::covers_time(int64_t t_ns) const {
  return kept_.empty() ? t_ns >= last_time_ns_ : t_ns >= kept_.front().time_ns;
}

const Collections& Model::state_at_time(int64_t t_ns) const {
  if (kept_.empty()) return state_;
  auto it = std::upper_bound(kept_.begin(), kept_.end(), t_ns,
                             [](int64_t t, const Kept& k) { return t < k.time_ns; });
  return it == kept_.begin() ? kept_.front().state : std::prev(it)->state;
}

const Collections* Model::state_after(uint64_t seq) const {
  if (kept_.empty()) return seq == last_seq_ ? &state_ : nullptr;
  for (const Kept& k : kept_) {
    if (k.seq == seq) return &k.state;
  }
  return nullptr;
}

void Model::forget_history() { kept_.clear(); }

std::optional<int64_t> restore_target(const std::string& origin) {
  static const std::string prefix = "restore to ";
  if (origin.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return parse_time(origin.substr(prefix.size()), 0);
}

namespace {

size_t digest(const Record& r) {
  std::string text =
      std::to_string(r.seq) + "/" + std::to_string(r.time_ns) + "/" + r.origin;
  for (const Operation& op : r.ops) {
    text += "/" + std::to_string(static_cast<int>(op.kind)) + op.collection + "\n" +
            op.key + "\n" + op.document;
  }
  return std::hash<std::string>{}(text);
}

std::string at(const Record& r) { return "seq " + std::to_string(r.seq) + ": "; }

}  // namespace

std::string HistoryChecker::check_record(uint64_t round, const Acks& acks,
                                         const Record& record,
                                         std::map<uint32_t, uint64_t>* next_index) {
  static const std::string kImport = "import from ";
  if (auto id = writer_commit_id(record, round)) {
    uint64_t& expected = (*next_index)[id->thread];
    if (id->index != expected) {
      return at(record) + "thread " + std::to_string(id->thread) + " commit " +
             std::to_string(id->index) + " where its commit " + std::to_string(expected) +
             " was due (a hole, duplicate or reordering)";
    }
    ++expected;
    if (record.ops != writer_commit(seed_, round, id->thread, id->index)) {
      return at(record) + "not the operations that were issued";
    }
  } else if (auto target = restore_target(record.origin)) {
    if (!model_.covers_time(*target)) return at(record) + "restore to an unchecked time";
    Collections expected = model_.state_at_time(*target);
    model_.apply(record);
    if (model_.state() != expected) {
      return at(record) + "the restore does not produce the state at its time";
    }
    return "";
  } else if (record.origin.compare(0, kImport.size(), kImport) == 0) {
    auto exported = acks.exports.find(record.origin.substr(kImport.size()));
    if (exported == acks.exports.end()) return at(record) + "import of an unknown export";
    const Collections* source = model_.state_after(exported->second);
    if (source == nullptr) return at(record) + "import of an unchecked state";
    Collections expected = *source;
    model_.apply(record);
    for (const auto& [name, docs] : expected) {
      auto it = model_.state().find(name);
      if (it == model_.state().end() || it->second != docs) {
        return at(record) + "the import does not produce the exported " + name;
      }
    }
    return "";
  } else {
    return at(record) + "a record that was never issued (origin '" + record.origin + "')";
  }
  model_.apply(record);
  return "";
}

void HistoryChecker::accept(const Record& record) {
  model_.apply(record);
  digests_.push_back(digest(record));
}

std::string HistoryChecker::check_round(uint64_t round, const Acks& acks,
                                        const std::vector<Record>& journal,
                                        const Collections& reopened_state) {
  const uint64_t base = model_.last_seq();
  model_.forget_history();
  if (!journal.empty() && journal.front().seq > base + 1) {
    return "the journal starts at seq " + std::to_string(journal.front().seq) +
           ", after unverified records (compaction removed them before a check)";
  }
  std::map<uint32_t, uint64_t> next_index;
  for (size_t i = 0; i < journal.size(); ++i) {
    const Record& record = journal[i];
    if (i > 0 && record.seq != journal[i - 1].seq + 1) {
      return at(record) + "follows seq " + std::to_string(journal[i - 1].seq);
    }
    if (i > 0 && record.time_ns < journal[i - 1].time_ns)
      return at(record) + "time went back";
    if (record.seq <= base) {
      if (digest(record) != digests_[record.seq - 1]) {
        return at(record) + "a record verified in an earlier round changed";
      }
      continue;
    }
    std::string problem = check_record(round, acks, record, &next_index);
    if (!problem.empty()) return problem;
    digests_.push_back(digest(record));
  }
  const uint64_t last = model_.last_seq();
  for (const auto& [seq, id] : acks.commits) {
    if (seq > last) return "acknowledged seq " + std::to_string(seq) + " lost";
    if (seq <= base) return "acknowledged seq " + std::to_string(seq) + " is not new";
    auto found = writer_commit_id(journal[seq - journal.front().seq], round);
    if (!found || found->thread != id.thread || found->index != id.index) {
      return "acknowledged seq " + std::to_string(seq) +
             " is not the commit acknowledged";
    }
  }
  for (const auto& [seq, kind] : acks.admin) {
    if (seq > last || seq <= base) {
      return "acknowledged " + kind + " seq " + std::to_string(seq) + " lost";
    }
    const std::string& origin = journal[seq - journal.front().seq].origin;
    if (origin.compare(0, kind.size(), kind) != 0) {
      return "acknowledged " + kind + " seq " + std::to_string(seq) + " is '" + origin +
             "'";
    }
  }
  if (without_empty(reopened_state) != model_.state()) {
    return "the reopened state is not the state its history produces (seq " +
           std::to_string(last) + ")";
  }
  return "";
}

namespace {

Options between_rounds() {
  Options options;
  options.auto_compact = false;
  return options;
}

}  // namespace

void start_campaign_store(const std::string& dir, HistoryChecker* checker) {
  auto store = Store::open(dir, between_rounds());
  store->put("config", "campaign", R"({"started":true})");
  store->compact();
  store.reset();
  for (const Record& record : read_history(dir)) checker->accept(record);
}

Reopened reopen_store(const std::string& dir) {
  Reopened reopened;
  auto store = Store::open(dir, between_rounds());
  for (const Damage& d : store->recovery().damage) {
    if (d.kind == Damage::Kind::kTornTail) {
      reopened.torn_tail = true;
    } else if (reopened.problem.empty()) {
      reopened.problem = "damage beyond a torn tail: " + d.describe();
    }
  }
  reopened.state = store->state();
  store.reset();
  // Every moment of the window the store reports can be restored: its start
  // too (a snapshot that outlived its journal would claim more).
  JournalSummary summary = inspect_journal(dir);
  if (summary.window_from_ns != 0 && reopened.problem.empty()) {
    try {
      state_at(dir, summary.window_from_ns);
    } catch (const StorageError& e) {
      reopened.problem =
          std::string("the start of the restorable window cannot be read: ") + e.what();
    }
  }
  return reopened;
}

void compact_store(const std::string& dir) {
  Store::open(dir, between_rounds())->compact();
}

std::string settle_round(const std::string& dir, uint64_t round, const Acks& acks,
                         HistoryChecker* checker, bool* torn_tail) {
  Reopened reopened = reopen_store(dir);
  *torn_tail = reopened.torn_tail;
  if (!reopened.problem.empty()) return reopened.problem;
  std::string problem =
      checker->check_round(round, acks, read_history(dir), reopened.state);
  if (!problem.empty()) return problem;
  VerifyResult verified = verify_store(dir);
  if (!verified.ok()) return "verify: " + verified.damage.front().describe();
  compact_store(dir);
  return {};
}

std::vector<Record> read_history(const std::string& dir) {
  std::vector<Record> history;
  read_records(dir, {}, [&](const Record& r) { history.push_back(r); });
  return history;
}

uint64_t requested_rolls(const std::string& dir) {
  std::string log;
  try {
    log = posix_file_system()->read_file(dir + "/storage.log");
  } catch (const StorageError&) {
    return 0;  // no log yet
  }
  uint64_t rolls = 0;
  for (size_t at = 0;
       (at = log.find("compaction: rolled the journal", at)) != std::string::npos; ++at) {
    ++rolls;
  }
  return rolls;
}

namespace {

// record as `inspect --records --json` prints it (docs/cli.md).
nlohmann::json printed_form(const Record& record) {
  nlohmann::json ops = nlohmann::json::array();
  for (const Operation& op : record.ops) {
    nlohmann::json o = {
        {"op", to_string(op.kind)}, {"collection", op.collection}, {"key", op.key}};
    if (op.kind != OpKind::kDelete) o["value"] = nlohmann::json::parse(op.document);
    ops.push_back(std::move(o));
  }
  nlohmann::json out = {
      {"seq", record.seq}, {"time", format_time_ns(record.time_ns)}, {"ops", ops}};
  if (!record.origin.empty()) out["origin"] = record.origin;
  return out;
}

}  // namespace

std::string check_followed(const std::string& followed, uint64_t from,
                           const std::vector<Record>& journal, uint64_t* printed) {
  std::map<uint64_t, const Record*> by_seq;
  for (const Record& record : journal) by_seq[record.seq] = &record;
  *printed = 0;
  uint64_t expected = from;
  size_t start = 0;
  for (size_t end; (end = followed.find('\n', start)) != std::string::npos;
       start = end + 1, ++expected, ++*printed) {
    const std::string line = followed.substr(start, end - start);
    nlohmann::json got = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (got.is_discarded() || !got.contains("seq")) return "not a record: " + line;
    const uint64_t seq = got.at("seq").get<uint64_t>();
    if (seq != expected) {
      return "the follower printed seq " + std::to_string(seq) + " where " +
             std::to_string(expected) + " was next (" +
             (seq < expected ? "printed twice" : "skipped") + ")";
    }
    auto recovered = by_seq.find(seq);
    if (recovered == by_seq.end()) {
      return "the follower printed seq " + std::to_string(seq) +
             ", which recovery did not keep: it was printed before it was durable";
    }
    if (got != printed_form(*recovered->second)) {
      return "the follower printed seq " + std::to_string(seq) + " as " + line +
             ", recovered as " + printed_form(*recovered->second).dump();
    }
  }
  return "";
}

}  // namespace pa_journal::testing
