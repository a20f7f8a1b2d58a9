// Store::import_from (include/pa_journal/store.h): a directory of JSON files
// in any of the forms snapshot/import_dir.h reads, as one commit.
//
// Crash-safety: the import is read and checked completely before anything is
// written; then a compaction keeps the state before it as a backup (its own
// crash argument, store/compactor.h); then the import is one commit, durable
// or absent after a crash like any other. So a crash at any moment leaves
// the store as it was, or with the whole import as its last commit.
#include <nlohmann/json.hpp>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "snapshot/import_dir.h"
#include "snapshot/list_file.h"
#include "store/store_impl.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// The keys of an order document, or none if it is not one.
std::vector<std::string> order_keys(const Collection* orders,
                                    const std::string& collection) {
  std::vector<std::string> keys;
  if (orders == nullptr) return keys;
  auto it = orders->find(collection);
  if (it == orders->end()) return keys;
  json order = parse_document(it->second);
  if (!order.is_array()) return keys;
  for (const auto& key : order) {
    if (key.is_string()) keys.push_back(key.get<std::string>());
  }
  return keys;
}

// A list file's order after the import: its own, or with merge the order the
// store keeps followed by the imported keys it lacks.
std::string merged_order(const Collection* orders, const std::string& collection,
                         const std::vector<std::string>& imported, bool merge) {
  if (!merge) return order_document(imported);
  std::vector<std::string> keys = order_keys(orders, collection);
  std::set<std::string> have(keys.begin(), keys.end());
  for (const auto& key : imported) {
    if (have.insert(key).second) keys.push_back(key);
  }
  return order_document(keys);
}

struct Change {
  Collections before;  // the store's collections the import touches
  Collections after;   // the same after it
};

// What the import makes of the collections it names, from state (the head,
// or a version).
template <typename StateLike>
Change change_of(const StateLike& state, const ImportSource& source, bool merge) {
  Change out;
  auto current = [&state](const std::string& name) {
    const DocTree* c = state.collection(name);
    return c ? c->materialize() : Collection{};
  };
  for (const auto& [name, imported] : source.collections) {
    out.before[name] = current(name);
    Collection& after = out.after[name];
    after = merge ? out.before[name] : Collection{};
    for (const auto& [key, doc] : imported.documents) after[key] = doc;
  }
  for (const auto& [name, imported] : source.collections) {
    if (!imported.order) continue;
    if (!out.before.count(kOrderCollection)) {
      out.before[kOrderCollection] = out.after[kOrderCollection] =
          current(kOrderCollection);
    }
    out.after[kOrderCollection][name] =
        merged_order(&out.before[kOrderCollection], name, *imported.order, merge);
  }
  return out;
}

// The value the import gives collection/key whose value is head (null:
// absent) before it; nullopt: absent. The same rule as change_of, for one key.
std::optional<std::string> value_after(const ImportSource& source, bool merge,
                                       const std::string& collection,
                                       const std::string& key, const std::string* head) {
  std::optional<std::string> kept =
      head ? std::optional<std::string>(*head) : std::nullopt;
  if (collection == kOrderCollection) {
    auto listed = source.collections.find(key);
    if (listed != source.collections.end() && listed->second.order) {
      Collection orders;
      if (head) orders[key] = *head;
      return merged_order(&orders, key, *listed->second.order, merge);
    }
  }
  auto imported = source.collections.find(collection);
  if (imported == source.collections.end()) return kept;
  auto doc = imported->second.documents.find(key);
  if (doc != imported->second.documents.end()) return doc->second;
  return merge ? kept : std::nullopt;
}

// The changes from state to what the import makes of it.
template <typename StateLike>
std::vector<DocumentChange> changes_of(const StateLike& state, const ImportSource& source,
                                       bool merge) {
  Change change = change_of(state, source, merge);
  return diff_states(change.before, change.after);
}

// Documents added, changed and removed per imported collection. The order
// documents an import keeps for list files are its own bookkeeping, counted
// only where facade-order is itself imported.
std::map<std::string, ImportCounts> counts_of(const std::vector<DocumentChange>& changes,
                                              const ImportSource& source) {
  std::map<std::string, ImportCounts> out;
  for (const auto& [name, _] : source.collections) out[name];
  for (const auto& c : changes) {
    auto it = out.find(c.collection);
    if (it == out.end()) continue;
    ImportCounts& n = it->second;
    (!c.before ? n.added : !c.after ? n.removed : n.changed) += 1;
  }
  return out;
}

ImportResult result_of(const ImportSource& source) {
  ImportResult result;
  result.form = to_string(source.form);
  result.edited = source.edited;
  result.not_imported = source.not_imported;
  return result;
}

}  // namespace

ImportResult Store::import_from(const std::string& in_dir, const ImportOptions& options) {
  if (path_within(*impl_->fs, in_dir, impl_->dir)) {
    throw InvalidInputError(in_dir + " is the store or lies inside it; import from a " +
                            "directory outside the store");
  }
  // The change is computed against a consistent state without the writer's
  // lock, and under it only the keys written since are looked at again
  // (store/change_log.cc): the commit lands exactly on the import, and
  // committers wait for O(commits since) at most, not for a diff of the
  // whole state.
  Impl::ChangeWatch watch(*impl_);  // before the consistent state is taken
  StateVersion base = impl_->consistent_state();
  ImportSource source = read_import_dir(  // checks everything first
      *impl_->fs, in_dir, options.accept_edits, [this](uint64_t done, uint64_t total) {
        if (impl_->options.progress)
          impl_->options.progress({"import", "bytes", done, total});
      });
  ImportResult result = result_of(source);
  std::vector<DocumentChange> changes = changes_of(base, source, options.merge);
  base = {};
  if (options.dry_run) {
    impl_->check_readable();
    result.collections = counts_of(changes, source);
    return result;
  }
  compact();  // the state before the import stays a backup
  auto target_of = [&](const std::string& collection, const std::string& key,
                       const std::string* head) {
    return value_after(source, options.merge, collection, key, head);
  };
  auto prepare = [&](Record& record) {
    impl_->writer_held.assert_held();  // the writer prepares under its lock
    auto at_head = impl_->changes_at_head(std::move(changes), watch, target_of);
    if (!at_head) at_head = changes_of(impl_->head_for_writer(), source, options.merge);
    result.collections = counts_of(*at_head, source);
    record.ops = operations_for(std::move(*at_head));
    if (record.ops.empty()) throw NothingToRestore{};
  };
  try {
    result.commit = impl_->enqueue({}, "import from " + in_dir, prepare);
  } catch (const NothingToRestore&) {
    log_event("INFO", "import from " + in_dir + ": nothing to change");
    return result;
  }
  wait_durable(result.commit.seq);
  log_event("INFO",
            "import from " + in_dir + ": commit " + std::to_string(result.commit.seq));
  return result;
}

void check_import_dir(const std::string& in_dir, bool accept_edits,
                      const Options& options) {
  FileSystem& fs = options.file_system ? *options.file_system : *posix_file_system();
  read_import_dir(fs, in_dir, accept_edits);
}

CommitResult Store::import_from(const std::string& in_dir) {
  return import_from(in_dir, ImportOptions{}).commit;
}

}  // namespace pa_journal
