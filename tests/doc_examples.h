// Reading the worked examples out of the project's docs, for the tests that
// check a doc and the code agree (format_doc_test, replication_doc_test): the
// doc's text, one fenced block of it by its info string, and its lines.
// Only reads; each test parses its block's own notation.
#pragma once

#include <string>
#include <vector>

namespace pa_journal::testing {

// The whole text of the doc at path (e.g. source_dir() + "/docs/x.md"), or ""
// if it cannot be read.
std::string read_doc(const std::string& path);

// The body of the fenced block that opens with "```" + info, or "" if none.
std::string fenced_block(const std::string& doc, const std::string& info);

// text's lines, without their '\n'.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace pa_journal::testing
