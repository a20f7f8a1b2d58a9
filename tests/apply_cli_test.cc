// `pa-journal apply` reads its input in blocks and prints acknowledgements in
// batches (docs/cli.md section 8): every line is still acknowledged once, in
// order, with its commit's own time, whatever the input's size and line
// lengths, and a line that arrives alone is acknowledged without waiting for
// more input.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/record.h"
#include "pa_journal/time.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::kExitOk;

std::string put_line(const std::string& key, const std::string& value) {
  return R"({"op":"put","collection":"notes","key":")" + key + R"(","value":)" + value +
         "}";
}

// The acknowledgements in out are one per record, in order: seq 1, 2, ...
// with each record's commit time written as format_time_ns writes it.
void expect_one_ack_per_record(const std::string& out, const std::string& dir) {
  std::vector<Record> records = testing::records_of(dir);
  std::vector<json> acks = testing::parse_json_lines(out);
  ASSERT_EQ(acks.size(), records.size());
  for (size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ(acks[i].dump(), json({{"seq", records[i].seq},
                                    {"time", format_time_ns(records[i].time_ns)}})
                                  .dump());
  }
  EXPECT_EQ(out.back(), '\n');
}

class ApplyCliTest : public ::testing::TestWithParam<const char*> {
 protected:
  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

// More lines than one batch of acknowledgements and one block of input, some
// taken as they are, some re-printed (members out of order), from a pipe and
// from a file.
TEST_P(ApplyCliTest, AcknowledgesEveryLineOfALargeInputOnceInOrder) {
  std::string input;
  constexpr int kLines = 6000;
  for (int i = 0; i < kLines; ++i) {
    std::string value = i % 7 == 0
                            ? R"({"b":1, "a":")" + std::string(i % 300, 'x') + "\"}"
                            : R"({"a":")" + std::string(i % 300, 'x') + "\"}";
    input += put_line("k" + std::to_string(i), value) + (i % 5 == 0 ? "\r\n" : "\n");
  }
  std::string file = tmp / "input.ndjson";
  testing::write_bytes(file, input);
  std::string source = GetParam();
  CommandResult r =
      source == "-" ? testing::run_in_store(dir, {"--durability", "none", "apply"}, input)
                    : testing::run_in_store(dir, {"--durability", "none", "apply", file});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  expect_one_ack_per_record(r.out, dir);
  EXPECT_EQ(testing::records_of(dir).size(), static_cast<size_t>(kLines));
  CommandResult got = testing::run_in_store(dir, {"get", "notes", "k7", "--json"});
  EXPECT_EQ(got.out, "{\"a\":\"" + std::string(7, 'x') + "\",\"b\":1}\n");
}

// A line longer than the block apply reads at a time (1 MiB), between short
// ones, and a last line without a newline.
TEST_P(ApplyCliTest, TakesALineLongerThanItsReadBlock) {
  std::string big(3 << 20, 'y');
  std::string input = put_line("a", "1") + "\n" + put_line("big", "\"" + big + "\"") +
                      "\n" + put_line("c", "[]");
  std::string file = tmp / "input.ndjson";
  testing::write_bytes(file, input);
  std::string source = GetParam();
  CommandResult r = source == "-" ? testing::run_in_store(dir, {"apply"}, input)
                                  : testing::run_in_store(dir, {"apply", file});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  expect_one_ack_per_record(r.out, dir);
  std::vector<Record> records = testing::records_of(dir);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].ops[0].document, "\"" + big + "\"");
  EXPECT_EQ(records[2].ops[0].document, "[]");
}

// Refused lines far into an input of several blocks are numbered as lines of
// the whole input (blank lines count); without --continue-on-error nothing
// after the first is committed, with it every other line is.
TEST_P(ApplyCliTest, NumbersRefusedLinesAcrossBlocks) {
  std::string input;
  constexpr int kLines = 20000;  // about 2 MiB: more than one block
  const std::string pad(80, 'p');
  for (int i = 1; i <= kLines; ++i) {
    if (i % 1000 == 0) {
      input += "\n";  // blank
    } else if (i == 12345 || i == 17001) {
      input += R"({"op":"put","collection":"notes","key":"x"})"
               "\n";  // no value
    } else {
      input += put_line("k" + std::to_string(i), "\"" + pad + "\"") + "\n";
    }
  }
  std::string file = tmp / "input.ndjson";
  testing::write_bytes(file, input);
  std::string source = GetParam();
  auto run = [&](const std::string& store, std::vector<std::string> args) {
    args.insert(args.begin(), {"--durability", "none", "apply"});
    if (source != "-") args.push_back(file);
    return testing::run_in_store(store, args, source == "-" ? input : "");
  };
  CommandResult stopped = run(dir, {});
  EXPECT_EQ(stopped.exit_code, testing::kExitError) << stopped.describe();
  EXPECT_TRUE(testing::contains(stopped.err, "line 12345 refused")) << stopped.err;
  EXPECT_FALSE(testing::contains(stopped.err, "line 17001")) << stopped.err;
  expect_one_ack_per_record(stopped.out, dir);
  EXPECT_EQ(testing::records_of(dir).size(), 12344u - 12u);  // less 12 blank lines

  std::string other = tmp / "other";
  CommandResult continued = run(other, {"--continue-on-error"});
  EXPECT_EQ(continued.exit_code, testing::kExitError) << continued.describe();
  EXPECT_TRUE(testing::contains(continued.err, "line 12345 refused")) << continued.err;
  EXPECT_TRUE(testing::contains(continued.err, "line 17001 refused")) << continued.err;
  expect_one_ack_per_record(continued.out, other);
  EXPECT_EQ(testing::records_of(other).size(), static_cast<size_t>(kLines - 20 - 2));
}

INSTANTIATE_TEST_SUITE_P(PipeAndFile, ApplyCliTest, ::testing::Values("-", "file"),
                         [](const auto& info) {
                           return std::string(info.param) == "-" ? "Pipe" : "File";
                         });

// A producer that waits for each acknowledgement before it writes more gets
// it, even with the start of the next line already written: acknowledgements
// are not held back for a batch to fill or a line to end.
TEST(ApplyCliInteractiveTest, AcknowledgesALineBeforeTheNextArrives) {
  testing::TempDir tmp;
  testing::ChildProcess child(
      {testing::pa_journal_binary(), "--dir", tmp / "store", "apply", "-"});
  std::vector<std::string> lines;
  for (int i = 1; i <= 4; ++i)
    lines.push_back(put_line("k" + std::to_string(i), "{}") + "\n");
  const size_t half = lines[1].size() / 2;
  struct Step {
    std::string written;
    size_t acks;  // acknowledgements expected once it is written
  };
  const std::vector<Step> steps = {
      {lines[0], 1},
      {lines[1].substr(0, half), 1},
      {lines[1].substr(half) + lines[2] + lines[3].substr(0, half), 3},
      {lines[3].substr(half), 4}};
  std::string out;
  for (const Step& step : steps) {
    ASSERT_TRUE(child.write_all(step.written));
    // Bounded: at most 600 polls of 100 ms for the acknowledgements.
    for (int polls = 0; polls < 600 && testing::parse_json_lines(out).size() < step.acks;
         ++polls) {
      if (!child.read_stdout(&out, 100)) break;
    }
    std::vector<json> acks = testing::parse_json_lines(out);
    ASSERT_EQ(acks.size(), step.acks) << out << child.stderr_text();
    EXPECT_EQ(acks.back().at("seq"), step.acks);
  }
  CommandResult r = child.wait(60'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
}

}  // namespace
}  // namespace pa_journal
