// The NDJSON input of `pa-journal apply`: each line is one operation object
// {"op":"put"|"patch"|"delete","collection":C,"key":K,"value":V}, with
// "if_seq":N for a compare-and-set, or an array of them (one atomic commit).
// Pure; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "pa_journal/record.h"

namespace pa_journal::cli {

// The operations of one line. Throws InvalidInputError saying what is wrong
// with it (the caller adds the line number). Names and documents are checked
// again by the store when the commit is made.
std::vector<Operation> parse_apply_line(std::string_view line);

}  // namespace pa_journal::cli
