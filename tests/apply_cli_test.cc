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

INSTANTIATE_TEST_SUITE_P(PipeAndFile, ApplyCliTest, ::testing::Values("-", "file"),
                         [](const auto& info) {
                           return std::string(info.param) == "-" ? "Pipe" : "File";
                         });

// A producer that waits for each acknowledgement before it writes the next
// line gets it: acknowledgements are not held back for a batch to fill.
TEST(ApplyCliInteractiveTest, AcknowledgesALineBeforeTheNextArrives) {
  testing::TempDir tmp;
  testing::ChildProcess child(
      {testing::pa_journal_binary(), "--dir", tmp / "store", "apply", "-"});
  std::string out;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(child.write_all(put_line("k" + std::to_string(i), "{}") + "\n"));
    // Bounded: at most 600 polls of 100 ms for the acknowledgement.
    for (int polls = 0; polls < 600 && std::count(out.begin(), out.end(), '\n') < i;
         ++polls) {
      if (!child.read_stdout(&out, 100)) break;
    }
    std::vector<json> acks = testing::parse_json_lines(out);
    ASSERT_EQ(acks.size(), static_cast<size_t>(i)) << out << child.stderr_text();
    EXPECT_EQ(acks.back().at("seq"), i);
  }
  CommandResult r = child.wait(60'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
}

}  // namespace
}  // namespace pa_journal
