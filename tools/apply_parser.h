// The NDJSON input of `pa-journal apply`: each line is one operation object
// {"op":"put"|"patch"|"delete","collection":C,"key":K,"value":V}, with
// "if_seq":N for a compare-and-set, or an array of them (one atomic commit).
// Pure; thread-safe.
//
// Two parsers give one result. The reference parser (nlohmann, a DOM of the
// whole line, each value dumped) decides every refusal and its message. The
// fast one (simdjson On-Demand over the wrapper, the value taken as its text
// when model/canonical_json says that text is already what dump() would
// write) accepts only lines it is sure of, and gives up on anything else: a
// refusal, a value in another form, a doubt. Invariant, checked by the
// apply_parser fuzzer on every input and by apply_parser_test: whenever the
// fast parser accepts a line, the reference parser accepts it too and returns
// the same operations, byte for byte.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "model/canonical_json.h"
#include "pa_journal/record.h"

namespace pa_journal::cli {

// The operations of one line. Throws InvalidInputError saying what is wrong
// with it (the caller adds the line number). Names and documents are checked
// again by the store when the commit is made. Thread-compatible: one parser
// per thread (it keeps simdjson's buffers from line to line).
class ApplyParser {
 public:
  ApplyParser();
  ~ApplyParser();
  ApplyParser(const ApplyParser&) = delete;
  ApplyParser& operator=(const ApplyParser&) = delete;

  std::vector<Operation> parse(std::string_view line);
  // The fast parser alone: nullopt where it gives up (the line may still be
  // valid). Its documents were each checked canonical as they were parsed:
  // parse_canonical() hands over that proof, for the store's commit path
  // that does not check them again (store/canonical_commit.h).
  std::optional<CanonicalOps> parse_canonical(std::string_view line);
  std::optional<std::vector<Operation>> parse_fast(std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The reference parser alone. Pure; thread-safe.
std::vector<Operation> parse_apply_line_reference(std::string_view line);

// ApplyParser().parse(line), for a single line. Thread-safe.
std::vector<Operation> parse_apply_line(std::string_view line);

}  // namespace pa_journal::cli
