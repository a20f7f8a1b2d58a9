// The kill -9 guarantee (docs/design.md 5 and 8): `pa-journal apply` is fed
// commits as fast as it takes them and SIGKILLed at a random moment; after
// reopening, every acknowledged commit is there byte for byte, and the
// recovered history is an exact prefix of what was sent: no holes, no
// duplicates, no reordering, nothing that was not sent. Commits past the last
// acknowledgement may survive, but only as the next lines in order.
//
// The rounds share one store, so each round starts on whatever the previous
// kill left (a torn tail cut by the reopen) and must append after it.
//
// PA_JOURNAL_CRASH_SEED=N repeats a run's kill delays and contents (not its timing);
// PA_JOURNAL_CRASH_ROUNDS=N changes the number of rounds (for soak runs).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// One NDJSON line of `apply` and the commit it must become.
struct Line {
  std::string text;  // with its newline
  std::vector<Operation> ops;
};

std::string random_text(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {"a",  "b", "z", "0", "9", " ", "\"",
                                                  "\\", "é", "✓", "/", "{", "}"};
  std::string text;
  size_t n = std::uniform_int_distribution<size_t>(0, 120)(rng);
  for (size_t i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
  return text;
}

// Every fifth line is a commit of two puts (an array); the others one put.
// Keys are unique across the whole run, so each value is distinct.
Line make_line(std::mt19937_64& rng, int round, uint64_t index) {
  int n = index % 5 == 4 ? 2 : 1;
  json ops = json::array();
  Line line;
  for (int k = 0; k < n; ++k) {
    std::string collection = (index + k) % 3 == 0 ? "notes" : "contacts";
    std::string key = "r" + std::to_string(round) + "-" + std::to_string(index) +
                      (n > 1 ? "-" + std::to_string(k) : "");
    json value = {{"round", round},
                  {"index", index},
                  {"part", k},
                  {"text", random_text(rng)},
                  {"list", {index, "x", nullptr, true}}};
    ops.push_back(
        {{"op", "put"}, {"collection", collection}, {"key", key}, {"value", value}});
    line.ops.push_back({OpKind::kPut, collection, key, value.dump()});
  }
  line.text = (n == 1 ? ops[0] : ops).dump() + "\n";
  return line;
}

struct Ack {
  uint64_t seq = 0;
  std::string time;
};

// The complete lines of the acknowledgement stream (a line cut by the kill is
// no acknowledgement).
std::vector<Ack> parse_acks(const std::string& out) {
  std::vector<Ack> acks;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    json ack = json::parse(out.substr(start, end - start));
    acks.push_back({ack.at("seq").get<uint64_t>(), ack.at("time").get<std::string>()});
  }
  return acks;
}

std::vector<Record> read_history(const std::string& dir) {
  std::vector<Record> history;
  read_records(dir, {}, [&](const Record& r) { history.push_back(r); });
  return history;
}

void run_kill_rounds(const std::string& durability, int rounds) {
  const uint64_t seed = env_number("PA_JOURNAL_CRASH_SEED", std::random_device{}());
  std::cout << "crash test (--durability " << durability << "): seed " << seed
            << " (PA_JOURNAL_CRASH_SEED=" << seed << " repeats its delays and contents)"
            << std::endl;
  ::testing::Test::RecordProperty("seed_" + durability, std::to_string(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);

  testing::TempDir tmp;
  const std::string dir = tmp / "store";
  std::vector<std::vector<Operation>> history;  // verified so far, seq = index + 1
  uint64_t total_acks = 0, total_beyond = 0;
  auto started = Clock::now();

  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const uint64_t base = history.size();
    // Three rounds in four are killed at a random moment after the first
    // acknowledgement, in the thick of committing; the others at a random
    // moment after the start, which may fall in opening and recovery.
    const bool after_first_ack = rng() % 4 != 0;
    const auto delay = std::chrono::microseconds(std::uniform_int_distribution<int64_t>(
        0, after_first_ack ? 60'000 : 100'000)(rng));

    testing::ChildProcess child({testing::pa_journal_binary(), "--dir", dir,
                                 "--durability", durability, "apply", "-"});
    std::vector<Line> sent;  // lines written whole to its stdin
    Line next = make_line(rng, round, 0);
    size_t offset = 0;  // bytes of `next` written
    std::string out;
    const auto start = Clock::now();
    auto kill_at = after_first_ack ? Clock::time_point::max() : start + delay;
    while (Clock::now() < kill_at) {
      if (kill_at == Clock::time_point::max() && out.find('\n') != std::string::npos) {
        kill_at = Clock::now() + delay;
      }
      if (Clock::now() - start > std::chrono::seconds(20)) {
        ADD_FAILURE() << "no acknowledgement within 20 s: " << child.stderr_text();
        break;
      }
      size_t n = child.write_some(std::string_view(next.text).substr(offset));
      offset += n;
      if (offset == next.text.size()) {
        sent.push_back(std::move(next));
        next = make_line(rng, round, sent.size());
        offset = 0;
      }
      child.read_stdout(&out, 0);
      if (n == 0) child.wait_io(/*want_write=*/true, 1);
    }
    child.kill(SIGKILL);
    testing::CommandResult result = child.wait();
    out += result.out;
    ASSERT_EQ(result.signal, SIGKILL) << "apply ended on its own: " << result.describe();

    std::vector<Ack> acks = parse_acks(out);
    ASSERT_LE(acks.size(), sent.size());
    for (size_t k = 0; k < acks.size(); ++k) {
      ASSERT_EQ(acks[k].seq, base + k + 1)
          << "acknowledgements out of order or numbered wrong";
    }

    // Reopen (this cuts a torn tail) and read every acknowledged document.
    uint64_t recovered = 0;
    {
      auto store = Store::open(dir);
      recovered = store->last_seq();
      for (const Damage& d : store->recovery().damage) {
        EXPECT_EQ(d.kind, Damage::Kind::kTornTail)
            << "a kill -9 leaves at most a torn tail: " << d.describe();
      }
      ASSERT_GE(recovered, base + acks.size()) << "an acknowledged commit was lost";
      for (size_t k = 0; k < acks.size(); ++k) {
        for (const Operation& op : sent[k].ops) {
          auto doc = store->get(op.collection, op.key);
          ASSERT_TRUE(doc.has_value()) << "acknowledged seq " << acks[k].seq << " lost "
                                       << op.collection << "/" << op.key;
          ASSERT_EQ(*doc, op.document)
              << "acknowledged seq " << acks[k].seq << " changed";
        }
      }
    }

    // The history: the verified earlier rounds, then a prefix of what was sent.
    std::vector<Record> records = read_history(dir);
    ASSERT_EQ(records.size(), recovered);
    ASSERT_GE(records.size(), base + acks.size());
    ASSERT_LE(records.size(), base + sent.size()) << "a record that was never sent whole";
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(records[i].seq, i + 1) << "a hole or a duplicate in the sequence";
      if (i > 0) {
        ASSERT_GE(records[i].time_ns, records[i - 1].time_ns)
            << "time went backwards at " << i + 1;
      }
      const std::vector<Operation>& expected = i < base ? history[i] : sent[i - base].ops;
      ASSERT_EQ(records[i].ops, expected) << "seq " << i + 1 << " is not what was sent";
    }
    for (size_t k = 0; k < acks.size(); ++k) {
      EXPECT_EQ(acks[k].time, format_time_ns(records[base + k].time_ns));
    }
    VerifyResult verified = verify_store(dir);
    EXPECT_TRUE(verified.ok()) << "after reopening, the journal verifies clean";

    total_acks += acks.size();
    total_beyond += records.size() - base - acks.size();
    for (size_t i = base; i < records.size(); ++i) history.push_back(records[i].ops);
    std::cout << "  round " << round << ": killed " << delay.count() / 1000
              << " ms after " << (after_first_ack ? "the first ack" : "the start") << ", "
              << sent.size() << " lines sent, " << acks.size() << " acknowledged, "
              << records.size() - base << " recovered" << std::endl;
  }
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  std::cout << "crash test (--durability " << durability << "): " << rounds << " rounds, "
            << history.size() << " commits kept, " << total_acks << " acknowledged, "
            << total_beyond << " kept beyond the acknowledgements, " << took.count()
            << " ms" << std::endl;
  EXPECT_GT(total_acks, 0u)
      << "no round got as far as an acknowledgement: the test saw nothing";
}

TEST(CrashTest, KillNineDuringApplyKeepsEveryAcknowledgedCommit) {
  run_kill_rounds("always", static_cast<int>(env_number("PA_JOURNAL_CRASH_ROUNDS", 20)));
}

// A kill -9 is a process crash, not a power loss: what was written to the OS
// survives it, so even without syncs nothing acknowledged may be lost.
TEST(CrashTest, KillNineWithoutSyncsKeepsEveryAcknowledgedCommit) {
  int rounds = static_cast<int>(env_number("PA_JOURNAL_CRASH_ROUNDS", 20)) / 2;
  run_kill_rounds("none", rounds);
  run_kill_rounds("interval", rounds);
}

}  // namespace
}  // namespace pa_journal
