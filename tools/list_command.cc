// `pa-journal list`: the documents of a collection, now or at a time, all of
// them or a range of keys (ListOptions), or only their number. The listing
// is printed document by document as the store visits them, never built
// first: memory does not grow with the collection (the human form keeps the
// first kWidthLines lines to align the documents after the longest key).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "tools/cli.h"
#include "tools/json_stream.h"

namespace pa_journal::cli {
namespace {

// The human form aligns documents after the longest of the first this many
// keys; a longer key later only pushes its own line.
constexpr size_t kWidthLines = 1000;

// At most `bytes` of text, never cut inside a UTF-8 character, so that what
// is printed stays UTF-8.
std::string utf8_prefix(std::string_view text, size_t bytes) {
  while (bytes > 0 && bytes < text.size() &&
         (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) {
    --bytes;
  }
  return std::string(text.substr(0, bytes));
}

// One line per document: the key, then the compact JSON cut at 70 characters.
class TextListing {
 public:
  void add(std::string_view key, std::string_view doc) {
    if (held_.size() < kWidthLines && !streaming_) {
      held_.emplace_back(key, doc);
      width_ = std::max(width_, key.size());
      return;
    }
    release();
    print(key, doc);
  }
  // Prints what is held; later lines are printed as they come.
  void release() {
    streaming_ = true;
    for (const auto& [key, doc] : held_) print(key, doc);
    held_.clear();
  }

 private:
  void print(std::string_view key, std::string_view doc) const {
    std::string shown = doc.size() > 70 ? utf8_prefix(doc, 67) + "..." : std::string(doc);
    size_t pad = width_ > key.size() ? width_ - key.size() : 0;
    std::cout << key << std::string(pad + 2, ' ') << shown << "\n";
  }

  std::vector<std::pair<std::string, std::string>> held_;
  size_t width_ = 3;
  bool streaming_ = false;
};

// An empty listing is not an error (a collection that does not exist is an
// empty one to the API, and a script may list one before its first put); a
// mistyped name is pointed out on stderr all the same, in every form.
void print_empty_listing(const Globals& g, const ListArgs& args, bool selected) {
  std::string missing = missing_collection(g, args.collection);
  if (!missing.empty()) {
    std::cerr << "(" << missing << ")\n";
  } else if (!g.json && !args.count) {
    std::cerr << "(no documents in " << args.collection << (selected ? " that match" : "")
              << ")\n";
  }
}

ListOptions list_options(const ListArgs& args) {
  ListOptions options;
  options.prefix = args.prefix;
  if (!args.from.empty()) options.from = args.from;
  if (!args.to.empty()) options.to = args.to;
  options.limit = args.limit;
  if (options.from && options.to && *options.from > *options.to) {
    throw UsageError("--from " + args.from + " comes after --to " + args.to +
                     ": the range of keys is empty (both are keys, in byte order)");
  }
  return options;
}

// Visits the selection now or at args.at, as the store streams it.
uint64_t visit(const Globals& g, const ListArgs& args, const ListOptions& options,
               const ListVisitor& visitor) {
  if (args.at.empty()) return open_read_only(g)->list(args.collection, options, visitor);
  validate_collection_name(args.collection);
  return open_at_arg(g, args.at)->list(args.collection, options, visitor);
}

}  // namespace

int run_list(const Globals& g, const ListArgs& args) {
  ListOptions options = list_options(args);
  uint64_t n = 0;
  if (args.count) {
    n = visit(g, args, options, [](std::string_view, std::string_view) { return true; });
    if (g.json) {
      print_json({{"count", n}});
    } else {
      std::cout << n << "\n";
    }
  } else if (g.json) {
    JsonObjectWriter out(std::cout);
    n = visit(g, args, options, [&](std::string_view key, std::string_view doc) {
      out.add(key, doc);
      return true;
    });
    out.finish();
  } else {
    TextListing out;
    n = visit(g, args, options, [&](std::string_view key, std::string_view doc) {
      out.add(key, doc);
      return true;
    });
    out.release();
  }
  bool selected = !options.prefix.empty() || options.from || options.to;
  if (n == 0) print_empty_listing(g, args, selected);
  return kExitOk;
}

}  // namespace pa_journal::cli
