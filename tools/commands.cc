// The commands of pa-journal that read and write documents and look at the
// journal. Each is thin over the public API.
#include <iostream>
#include <map>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
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
    validate_collection_name(collection);
    doc = open_at_arg(g, at)->get(collection, key);
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

int run_verify(const Globals& g) {
  VerifyResult result = verify_store(store_dir(g), read_options(g, /*progress=*/true));
  if (g.json) {
    json damage = json::array();
    for (const auto& d : result.damage) damage.push_back(damage_json(d));
    json derived = json::array();
    for (const auto& d : result.derived) derived.push_back(damage_json(d));
    print_json({{"ok", result.ok()},
                {"segments", result.segments},
                {"snapshots", result.snapshots},
                {"records", result.records},
                {"damage", damage},
                {"derived_damage", derived}});
  } else {
    for (const auto& d : result.damage) std::cout << "damage: " << d.describe() << "\n";
    for (const auto& d : result.derived)
      std::cout << "derived file damaged: " << d.describe() << "\n";
    std::cout << (result.ok() ? "ok: " : "DAMAGED: ") << result.segments << " segments, "
              << result.records << " valid records, " << result.snapshots
              << " good snapshots, " << result.damage.size() << " damage reports";
    if (!result.derived.empty()) {
      std::cout
          << ", " << result.derived.size()
          << " damaged key indexes (data intact; pa-journal compact writes new ones)";
    }
    std::cout << "\n";
  }
  // A damaged index alone leaves every document readable and checked: not
  // corruption of the data (docs/cli.md, "verify").
  return result.ok() ? kExitOk : kExitCorruption;
}

}  // namespace pa_journal::cli
