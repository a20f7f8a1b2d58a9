#include "tests/doc_examples.h"

#include <fstream>
#include <sstream>

namespace pa_journal::testing {

std::string read_doc(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string fenced_block(const std::string& doc, const std::string& info) {
  std::string open = "```" + info + "\n";
  size_t start = doc.find(open);
  if (start == std::string::npos) return "";
  start += open.size();
  size_t end = doc.find("\n```", start);
  if (end == std::string::npos) return "";
  return doc.substr(start, end + 1 - start);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace pa_journal::testing
