// The commands of pa-journal that read and write documents and look at the
// journal. Each is thin over the public API.
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "journal/mutex.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "tools/apply_parser.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

void print_commit(const Globals& g, const CommitResult& r) {
  if (g.json) {
    print_json(commit_json(r));
  } else {
    std::cout << r.seq << "\n";
  }
}

// The acknowledgements of `apply`, printed in order, each once its commit is
// durable. One thread pushes, one thread (run) waits and prints.
class AckPrinter {
 public:
  explicit AckPrinter(Store& store) : store_(store), thread_([this] { run(); }) {}
  ~AckPrinter() { finish(); }

  void push(const CommitResult& r) {
    MutexLock lock(&mu_);
    queue_.push_back(r);
    cv_.notify_one();
  }

  // Waits for every pushed commit; returns false if durability failed.
  bool finish() {
    {
      MutexLock lock(&mu_);
      done_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return failure_.empty();
  }
  const std::string& failure() const { return failure_; }

 private:
  void run() {
    for (;;) {
      MutexLock lock(&mu_);
      while (!done_ && queue_.empty()) cv_.wait(&mu_);
      if (queue_.empty()) return;
      CommitResult r = queue_.front();
      queue_.pop_front();
      lock.unlock();
      if (!acknowledge(r)) return;
    }
  }

  bool acknowledge(const CommitResult& r) {
    try {
      store_.wait_durable(r.seq);
    } catch (const StorageError& e) {
      failure_ = e.what();
      return false;
    }
    std::cout << commit_json(r).dump() << "\n" << std::flush;
    return true;
  }

  Store& store_;
  Mutex mu_;
  CondVar cv_;  // a push, or done_
  std::deque<CommitResult> queue_ GUARDED_BY(mu_);
  bool done_ GUARDED_BY(mu_) = false;
  std::string failure_;  // run()'s until it returns, then finish()'s (after join)
  std::thread thread_;
};

}  // namespace

int run_put(const Globals& g, OpKind kind, const std::string& collection,
            const std::string& key, const std::string& json_text,
            std::optional<uint64_t> if_seq) {
  // Input the store would refuse is refused before the store is opened, so
  // that a refusal creates no store and writes no storage.log line.
  validate_collection_name(collection);
  validate_key(key);
  std::string document = kind == OpKind::kDelete ? std::string() : json_arg(json_text);
  if (kind != OpKind::kDelete) parse_input_json(document);
  // A patch or delete needs a document, so it cannot succeed where there is
  // no store: refused without making one (a mistyped --dir).
  auto store = kind == OpKind::kPut ? open_or_create(g) : open_writable(g);
  print_commit(g, store->commit({{kind, collection, key, document, if_seq}}));
  return kExitOk;
}

namespace {

std::vector<std::pair<std::string, std::string>> documents(const Globals& g,
                                                           const std::string& collection,
                                                           const std::string& at) {
  if (at.empty()) return open_read_only(g)->list(collection);
  validate_collection_name(collection);
  Collections state = state_at_arg(g, at);
  auto it = state.find(collection);
  if (it == state.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace

int run_get(const Globals& g, const std::string& collection, const std::string& key,
            const std::string& at, bool with_seq) {
  validate_key(key);
  std::optional<std::string> doc;
  std::optional<VersionedDocument> versioned;
  if (with_seq) {
    versioned = open_read_only(g)->get_versioned(collection, key);
    if (versioned) doc = versioned->json;
  } else if (at.empty()) {
    doc = open_read_only(g)->get(collection, key);
  } else {
    for (auto& [k, d] : documents(g, collection, at)) {
      if (k == key) doc = std::move(d);
    }
  }
  if (!doc) {
    std::string missing = missing_collection(g, collection);
    throw NotFoundError("no document " + collection + "/" + key +
                        (at.empty() ? "" : " at " + at) +
                        (missing.empty() ? "" : ": " + missing));
  }
  if (versioned && g.json) {
    std::cout << json{{"seq", versioned->seq}, {"document", parse_document(*doc)}}.dump()
              << "\n";
    return kExitOk;
  }
  std::cout << (g.json ? *doc : parse_document(*doc).dump(2)) << "\n";
  if (versioned) std::cout << "seq " << versioned->seq << "\n";
  return kExitOk;
}

namespace {

// At most `bytes` of text, never cut inside a UTF-8 character, so that what
// is printed stays UTF-8.
std::string utf8_prefix(const std::string& text, size_t bytes) {
  while (bytes > 0 && bytes < text.size() &&
         (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) {
    --bytes;
  }
  return text.substr(0, bytes);
}

// An empty listing is not an error (a collection that does not exist is an
// empty one to the API, and a script may list one before its first put); a
// mistyped name is pointed out on stderr all the same.
void print_empty_listing(const Globals& g, const std::string& collection) {
  std::string missing = missing_collection(g, collection);
  if (!missing.empty()) {
    std::cerr << "(" << missing << ")\n";
  } else if (!g.json) {
    std::cerr << "(no documents in " << collection << ")\n";
  }
}

}  // namespace

int run_list(const Globals& g, const std::string& collection, const std::string& at) {
  auto docs = documents(g, collection, at);
  if (g.json) {
    json out = json::object();
    for (const auto& [key, doc] : docs) out[key] = parse_document(doc);
    print_json(out);
    if (docs.empty()) print_empty_listing(g, collection);
    return kExitOk;
  }
  size_t width = 3;
  for (const auto& [key, _] : docs) width = std::max(width, key.size());
  for (const auto& [key, doc] : docs) {
    std::string shown = doc.size() > 70 ? utf8_prefix(doc, 67) + "..." : doc;
    std::cout << key << std::string(width - key.size() + 2, ' ') << shown << "\n";
  }
  if (docs.empty()) print_empty_listing(g, collection);
  return kExitOk;
}

int run_apply(const Globals& g, const std::string& input, bool continue_on_error) {
  std::ifstream file;
  if (input != "-") {
    // A directory opens and reads as empty: it would apply nothing, silently.
    if (std::filesystem::is_directory(input))
      throw IoError("cannot read " + input + ": it is a directory");
    file.open(input);
    if (!file) throw IoError("cannot read " + input);
  }
  std::istream& in = input == "-" ? std::cin : file;
  auto store = open_or_create(g);
  AckPrinter acks(*store);
  bool refused = false;
  auto refuse = [&](uint64_t number, const char* why) {
    print_error("line " + std::to_string(number) +
                " refused, nothing from it applied: " + why);
    refused = true;
  };
  std::string line;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      acks.push(store->enqueue(parse_apply_line(line)));
    } catch (const InvalidInputError& e) {
      refuse(number, e.what());
      if (!continue_on_error) break;
    } catch (const NotFoundError& e) {  // a patch or delete of a missing document
      refuse(number, e.what());
      if (!continue_on_error) break;
    } catch (const ConflictError& e) {  // an "if_seq" the document contradicts
      refuse(number, e.what());
      if (!continue_on_error) break;
    }
  }
  if (!acks.finish()) throw JournalFailedError(acks.failure());
  if (in.bad()) throw IoError("reading " + input + " failed");
  return refused ? kExitError : kExitOk;
}

int run_verify(const Globals& g) {
  VerifyResult result = verify_store(store_dir(g), read_options(g, /*progress=*/true));
  if (g.json) {
    json damage = json::array();
    for (const auto& d : result.damage) damage.push_back(damage_json(d));
    print_json({{"ok", result.ok()},
                {"segments", result.segments},
                {"snapshots", result.snapshots},
                {"records", result.records},
                {"damage", damage}});
  } else {
    for (const auto& d : result.damage) std::cout << "damage: " << d.describe() << "\n";
    std::cout << (result.ok() ? "ok: " : "DAMAGED: ") << result.segments << " segments, "
              << result.records << " valid records, " << result.snapshots
              << " good snapshots, " << result.damage.size() << " damage reports\n";
  }
  return result.ok() ? kExitOk : kExitCorruption;
}

}  // namespace pa_journal::cli
