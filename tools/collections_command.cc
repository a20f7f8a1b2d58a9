// `pa-journal collections`: the collections of the store, each with its
// number of documents and the size of the file a snapshot would write for it
// (Store::snapshot_bytes). One collection name per line, first, so that a
// shell completion can take the first word of each line. Reads no document
// a snapshot holds: the counts and sizes come from its key indexes and the
// journal since.
#include <algorithm>
#include <iostream>

#include "pa_journal/errors.h"
#include "tools/cli.h"
#include "tools/suggest.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

struct CollectionSize {
  std::string name;
  uint64_t documents = 0;
  uint64_t bytes = 0;  // Store::snapshot_bytes
};

// In name order (Store::collections() is).
std::vector<CollectionSize> collection_sizes(const Store& store) {
  std::vector<CollectionSize> out;
  for (const auto& name : store.collections())
    out.push_back({name, store.count(name), store.snapshot_bytes(name)});
  return out;
}

void print_text(const std::vector<CollectionSize>& sizes) {
  size_t width = 0;
  for (const auto& c : sizes) width = std::max(width, c.name.size());
  for (const auto& c : sizes) {
    std::cout << c.name << std::string(width - c.name.size() + 2, ' ') << c.documents
              << (c.documents == 1 ? " document  " : " documents  ")
              << human_size(c.bytes) << "\n";
  }
}

}  // namespace

std::string missing_collection(const Globals& g, const std::string& collection) {
  std::vector<std::string> names;
  try {
    names = open_read_only(g)->collections();
  } catch (const StorageError&) {
    return {};  // no store to look in: the command's own message says so
  }
  if (std::find(names.begin(), names.end(), collection) != names.end()) return {};
  return "no collection '" + collection + "' in the store" +
         did_you_mean(collection, names);
}

int run_collections(const Globals& g) {
  std::vector<CollectionSize> sizes = collection_sizes(*open_read_only(g));
  if (g.json) {
    json out = json::array();
    for (const auto& c : sizes) {
      out.push_back({{"name", c.name}, {"documents", c.documents}, {"bytes", c.bytes}});
    }
    print_json(out);
    return kExitOk;
  }
  print_text(sizes);
  if (sizes.empty()) std::cerr << "(no collections in the store)\n";
  return kExitOk;
}

}  // namespace pa_journal::cli
