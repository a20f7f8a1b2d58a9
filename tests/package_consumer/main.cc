// Uses the installed package as an application would: opens a store in a
// directory under argv[1], puts a document, reads it back (before and after
// reopening, which replays the journal), and saves and loads a list through
// FileStorage (nlohmann::json in the public headers). Exits 1 on any mismatch
// or error.
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pa_journal/file_storage.h"
#include "pa_journal/store.h"

namespace {

bool check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "package_consumer: %s\n", what);
  return ok;
}

bool is_alice(const std::optional<std::string>& doc) {
  return doc && nlohmann::json::parse(*doc) == nlohmann::json{{"name", "Alice"}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    {
      auto store = pa_journal::Store::open(dir + "/store");
      pa_journal::CommitResult put =
          store->put("contacts", "alice", R"({"name":"Alice"})");
      if (!check(put.seq == 1, "the first commit is not sequence number 1")) return 1;
      if (!check(is_alice(store->get("contacts", "alice")), "get after put differs"))
        return 1;
    }
    {
      auto store = pa_journal::Store::open(dir + "/store");
      if (!check(is_alice(store->get("contacts", "alice")), "get after reopen differs"))
        return 1;
    }
    const nlohmann::json notes = nlohmann::json::array({{{"id", "n1"}, {"text", "hi"}}});
    pa_journal::FileStorage files(dir + "/files");
    const bool saved = files.save("notes.json", notes);
    if (!check(saved, ("FileStorage save: " + files.last_error()).c_str())) return 1;
    if (!check(files.load("notes.json") == notes, "FileStorage load after save differs"))
      return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "package_consumer: %s\n", e.what());
    return 1;
  }
  std::puts("package_consumer: ok");
  return 0;
}
