// How a restore or an import computes its commit without holding committers
// up (docs/design.md, "Restore and import off the commit path").
//
// Correctness argument
// --------------------
// The commit must take the state it is applied to (the head, under the
// writer's lock) exactly to the target: for every (collection, key), the
// value target_of gives for the head's value. The work is split in two:
// 1. Without the writer's lock: a ChangeWatch is registered, then a
//    consistent state at some seq S is taken (Impl::consistent_state), and
//    the change from it to the target is computed (O(state), while commits
//    go on).
// 2. Under the writer's lock (the Prepare): the head is the state at S plus
//    the commits after S. A key no commit after S wrote has the same value
//    at the head as at S, so its change from step 1 is still right. Every
//    key a commit after S wrote is in the log: the watch was registered
//    (under head_mu) before S was taken, and every commit applied after the
//    registration notes its keys under head_mu before it applies (some
//    commits up to S may be noted too: recomputing a key needlessly is
//    harmless). So recomputing exactly the logged keys against the head
//    (head.find) gives the change from the head to the target.
// If the log overflowed, step 2 cannot know which keys moved: the caller
// recomputes the whole change under the lock, as before this module.
#include <algorithm>
#include <tuple>

#include "store/store_impl.h"

namespace pa_journal {

void ChangeLog::note(const std::vector<Operation>& ops) {
  if (overflowed) return;
  for (const auto& op : ops) keys.emplace(op.collection, op.key);
  if (keys.size() > kMaxKeys) {
    keys.clear();
    overflowed = true;
  }
}

Store::Impl::ChangeWatch::ChangeWatch(Impl& impl) : impl_(impl) {
  MutexLock lock(&impl_.head_mu);
  impl_.change_logs.push_back(&log_);
}

Store::Impl::ChangeWatch::~ChangeWatch() {
  MutexLock lock(&impl_.head_mu);
  auto& logs = impl_.change_logs;
  logs.erase(std::find(logs.begin(), logs.end(), &log_));
}

StateVersion Store::Impl::consistent_state() {
  load_in_full();  // a lazy read-only open's head is empty until then
  MutexLock lock(&head_mu);
  return head.freeze();
}

namespace {

// Appends the changes from tree a (null: no such collection) to b, in key
// order, as diff_states gives them for one collection.
void diff_tree(const std::string& name, const DocTree* a, const Collection& b,
               std::vector<DocumentChange>* out) {
  auto y = b.begin();
  auto added_before = [&](const std::string* key) {
    for (; y != b.end() && (key == nullptr || y->first < *key); ++y)
      out->push_back({name, y->first, std::nullopt, y->second});
  };
  if (a != nullptr) {
    a->for_each([&](const std::string& key, const std::string& doc) {
      added_before(&key);
      if (y != b.end() && y->first == key) {
        if (y->second != doc) out->push_back({name, key, doc, y->second});
        ++y;
      } else {
        out->push_back({name, key, doc, std::nullopt});
      }
    });
  }
  added_before(nullptr);
}

}  // namespace

std::vector<DocumentChange> diff_version(const StateVersion& from,
                                         const Collections& to) {
  static const Collection kEmpty;
  std::vector<DocumentChange> changes;
  const CollectionTrees& trees = from.trees();
  auto a = trees.begin();
  auto b = to.begin();
  while (a != trees.end() || b != to.end()) {
    if (b == to.end() || (a != trees.end() && a->first < b->first)) {
      diff_tree(a->first, &a->second, kEmpty, &changes);
      ++a;
    } else if (a == trees.end() || b->first < a->first) {
      diff_tree(b->first, nullptr, b->second, &changes);
      ++b;
    } else {
      diff_tree(a->first, &a->second, b->second, &changes);
      ++a;
      ++b;
    }
  }
  return changes;
}

namespace {

bool before(const DocumentChange& a, const DocumentChange& b) {
  return std::tie(a.collection, a.key) < std::tie(b.collection, b.key);
}

}  // namespace

std::optional<std::vector<DocumentChange>> Store::Impl::changes_at_head(
    std::vector<DocumentChange> off_lock, const ChangeWatch& watch,
    const TargetOf& target_of) const {
  const ChangeLog& watched = watch.log();
  if (watched.overflowed) return std::nullopt;
  if (watched.keys.empty()) return off_lock;
  std::vector<DocumentChange> recomputed;  // in key order, as watched.keys
  for (const auto& [collection, key] : watched.keys) {
    const std::string* value = head_for_writer().find(collection, key);
    std::optional<std::string> after = target_of(collection, key, value);
    std::optional<std::string> now =
        value ? std::optional<std::string>(*value) : std::nullopt;
    if (now != after)
      recomputed.push_back({collection, key, std::move(now), std::move(after)});
  }
  std::vector<DocumentChange> out;
  out.reserve(off_lock.size() + recomputed.size());
  auto next = recomputed.begin();
  for (auto& change : off_lock) {
    if (watched.keys.count({change.collection, change.key})) continue;
    while (next != recomputed.end() && before(*next, change))
      out.push_back(std::move(*next++));
    out.push_back(std::move(change));
  }
  while (next != recomputed.end()) out.push_back(std::move(*next++));
  return out;
}

}  // namespace pa_journal
