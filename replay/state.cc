#include "replay/state.h"

#include <xxhash.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

#include "model/validation.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

NotFoundError missing(const Operation& op) {
  return NotFoundError("no document " + op.collection + "/" + op.key + " to " +
                       to_string(op.kind) +
                       (op.kind == OpKind::kPatch ? "; use put to create it" : ""));
}

}  // namespace

// The progress of a capture (see begin_capture in state.h).
struct State::Capture {
  std::vector<std::string> names;        // the collections at the moment, in order
  size_t next = 0;                       // names[next] is being copied
  std::optional<std::string> copied_to;  // its last key copied so far, if any
  // Documents changed since the moment before the copy reached them: their
  // value at the moment, nullopt if they were absent. Per collection.
  std::map<std::string, std::map<std::string, std::optional<std::string>>> kept;
  Captured copy;

  // Whether the copy has passed collection/key (or needs nothing of it).
  bool reached(const std::string& collection, const std::string& key) const {
    auto it = std::lower_bound(names.begin(), names.end(), collection);
    if (it == names.end() || *it != collection) return true;  // created since
    size_t i = static_cast<size_t>(it - names.begin());
    if (i != next) return i < next;
    return copied_to && key <= *copied_to;
  }
};

std::string merge_patch(const std::string* target, const std::string& patch) {
  try {
    nlohmann::json doc = target ? parse_document(*target) : nlohmann::json();
    doc.merge_patch(parse_document(patch));
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError("stored JSON does not parse: " + describe_json_error(e));
  }
}

State::State(const State& other)
    : collections_(other.collections_),
      last_seq_(other.last_seq_),
      last_time_ns_(other.last_time_ns_) {
  reindex();
}

State& State::operator=(const State& other) {
  if (this != &other) *this = State(other);
  return *this;
}

State::State() = default;
State::State(State&&) noexcept = default;
State& State::operator=(State&&) noexcept = default;
State::~State() = default;

std::optional<std::vector<Operation>> State::resolve(
    const std::vector<Operation>& ops) const {
  bool patches = std::any_of(ops.begin(), ops.end(), [](const Operation& op) {
    return op.kind == OpKind::kPatch;
  });
  if (!patches) {
    check_deletes(ops);
    return std::nullopt;
  }
  // Documents as this commit's earlier operations leave them; nullopt = deleted.
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> overlay;
  std::vector<Operation> resolved;
  resolved.reserve(ops.size());
  for (const auto& op : ops) {
    resolved.push_back(op);
    auto id = std::make_pair(op.collection, op.key);
    auto it = overlay.find(id);
    const std::string* current = it != overlay.end()
                                     ? (it->second ? &*it->second : nullptr)
                                     : find(op.collection, op.key);
    if (op.kind != OpKind::kPut && current == nullptr) throw missing(op);
    Operation& last = resolved.back();
    if (op.kind == OpKind::kPatch) {
      last.kind = OpKind::kPut;
      last.document = merge_patch(current, op.document);
      validate_document_size(last.document, "patched document");
    }
    overlay[id] = last.kind == OpKind::kDelete
                      ? std::nullopt
                      : std::optional<std::string>(last.document);
  }
  return resolved;
}

// The refusals of resolve() for a commit of puts and deletes.
void State::check_deletes(const std::vector<Operation>& ops) const {
  // A lone put can be neither refused nor changed: skip the lookups.
  if (ops.size() == 1 && ops[0].kind == OpKind::kPut) return;
  // Whether each document exists as this commit's earlier operations leave it.
  std::map<std::pair<std::string_view, std::string_view>, bool> overlay;
  for (const auto& op : ops) {
    auto id = std::make_pair(std::string_view(op.collection), std::string_view(op.key));
    if (op.kind == OpKind::kDelete) {
      auto it = overlay.find(id);
      bool exists =
          it != overlay.end() ? it->second : find(op.collection, op.key) != nullptr;
      if (!exists) throw missing(op);
    }
    overlay[id] = op.kind != OpKind::kDelete;
  }
}

void State::load(Collections collections, uint64_t seq, int64_t time_ns) {
  capture_.reset();
  collections_ = std::move(collections);
  last_seq_ = seq;
  last_time_ns_ = time_ns;
  reindex();
}

void State::reindex() {
  index_.clear();
  for (auto& [name, docs] : collections_) {
    Indexed& indexed = index_[name];
    indexed.docs = &docs;
    indexed.by_key.assign(docs);
  }
}

// A collection created here is undone with the record if it throws.
State::Indexed& State::writable(const std::string& collection) {
  auto it = index_.find(collection);
  if (it != index_.end()) return it->second;
  auto node = collections_.try_emplace(collection).first;
  Indexed* indexed;
  try {
    indexed = &index_[node->first];
  } catch (...) {
    collections_.erase(node);
    throw;
  }
  indexed->docs = &node->second;
  undo_log().push_back({Undo::kCreated, nullptr, nullptr, nullptr, {}, {}, node});
  return *indexed;
}

// Each step below changes the state only once nothing more of it can throw,
// or records its undo before the part that can. The last operation of a
// record replaces a document in place: assigning a string leaves it as it was
// if it throws, and nothing after it can, so it needs no undo (and reuses the
// document's buffer, the common case of a commit).
template <typename Op>
void State::apply_op(Op&& op, bool last) {
  Indexed& c = writable(op.collection);
  const KeyIndex::Node* found = c.by_key.find(op.key);
  std::string* current = found ? &(*found)->second : nullptr;
  if (capture_) keep_for_capture(op.collection, op.key, current);
  if (op.kind == OpKind::kDelete) {
    if (found != nullptr) erase_document(c, *found);
  } else if (op.kind == OpKind::kPatch) {
    std::string document = merge_patch(current, op.document);
    if (found == nullptr) {
      insert_document(c, op.key, std::move(document));
    } else if (last) {
      *current = std::move(document);
    } else {
      replace_document(*found, std::move(document));
    }
  } else if (found == nullptr) {
    insert_document(c, op.key, std::forward<Op>(op).document);
  } else if (last) {
    *current = std::forward<Op>(op).document;
  } else {
    replace_document(*found, std::forward<Op>(op).document);
  }
}

// The node is allocated before the document is copied into it, as emplace
// does: the other order (copy, then node) measured 10-20% slower puts, its
// nodes and documents interleaving worse for the lookups that follow.
template <typename Document>
void State::insert_document(Indexed& c, const std::string& key, Document&& document) {
  Collection::iterator node =
      c.docs->emplace(key, std::forward<Document>(document)).first;
  undo_log().push_back({Undo::kInserted, &c, &node->first, nullptr, {}, {}, {}});
  c.by_key.insert(node);  // may grow the index, and throw
}

void State::replace_document(Collection::iterator node, std::string document) {
  undo_log().push_back({Undo::kReplaced,
                        nullptr,
                        nullptr,
                        &node->second,
                        std::move(node->second),
                        {},
                        {}});
  node->second = std::move(document);
}

void State::erase_document(Indexed& c, Collection::iterator node) {
  c.by_key.erase(node->first);  // its key lives in the node: erase it first
  undo_log().push_back(
      {Undo::kErased, &c, nullptr, nullptr, {}, c.docs->extract(node), {}});
}

std::vector<State::Undo>& State::undo_log() {
  thread_local std::vector<Undo> log;
  return log;
}

// In reverse order, so each step finds the state as its change left it. An
// erased document goes back into an index that held it before and never
// shrinks, so that insert does not grow it.
void State::roll_back() noexcept {
  std::vector<Undo>& undo = undo_log();
  for (auto u = undo.rbegin(); u != undo.rend(); ++u) {
    switch (u->kind) {
      case Undo::kCreated:
        index_.erase(u->collection->first);
        collections_.erase(u->collection);
        break;
      case Undo::kInserted: {
        Collection::iterator node = u->c->docs->find(*u->key);
        u->c->by_key.erase(*u->key);  // nothing if it never got there
        u->c->docs->erase(node);      // last: the key lives in it
        break;
      }
      case Undo::kReplaced:
        *u->document = std::move(u->value);
        break;
      case Undo::kErased:
        u->c->by_key.insert(u->c->docs->insert(std::move(u->erased)).position);
        break;
    }
  }
  undo.clear();
}

// An operation makes at most two changes: its collection, its document.
template <typename Ops>
void State::apply_all(Ops&& ops, uint64_t seq, int64_t time_ns) {
  constexpr size_t kKeptCapacity = 1024;  // entries kept for the next record
  std::vector<Undo>& undo = undo_log();
  undo.reserve(2 * ops.size());  // so that recording a change cannot throw
  try {
    for (size_t i = 0; i < ops.size(); ++i) {
      bool last = i + 1 == ops.size();
      if constexpr (std::is_lvalue_reference_v<Ops>) {
        apply_op(ops[i], last);
      } else {
        apply_op(std::move(ops[i]), last);
      }
    }
  } catch (...) {
    roll_back();
    throw;
  }
  undo.clear();
  if (undo.capacity() > kKeptCapacity) std::vector<Undo>().swap(undo);
  last_seq_ = seq;
  last_time_ns_ = time_ns;
}

void State::apply(const Record& record) {
  apply_all(record.ops, record.seq, record.time_ns);
}

void State::apply(Record&& record) {
  apply_all(std::move(record.ops), record.seq, record.time_ns);
}

const std::string* State::find(std::string_view collection, std::string_view key) const {
  auto c = index_.find(collection);
  if (c == index_.end()) return nullptr;
  const KeyIndex::Node* d = c->second.by_key.find(key);
  return d == nullptr ? nullptr : &(*d)->second;
}

const Collection* State::collection(std::string_view name) const {
  auto c = index_.find(name);
  return c == index_.end() ? nullptr : c->second.docs;
}

std::vector<std::string> State::collection_names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : collections_) names.push_back(name);
  return names;
}

size_t State::document_count() const {
  size_t n = 0;
  for (const auto& [_, docs] : collections_) n += docs.size();
  return n;
}

void State::begin_capture() {
  auto capture = std::make_unique<Capture>();
  capture->names = collection_names();
  capture->copy.seq = last_seq_;
  capture->copy.time_ns = last_time_ns_;
  capture_ = std::move(capture);  // only now: a throw above leaves none
}

void State::keep_for_capture(const std::string& collection, const std::string& key,
                             const std::string* current) {
  if (capture_->reached(collection, key)) return;
  auto& kept = capture_->kept[collection];
  if (kept.count(key) != 0) return;  // changed before: that value was the moment's
  kept.emplace(key, current ? std::optional<std::string>(*current) : std::nullopt);
}

bool State::capture_step(size_t budget) {
  Capture& c = *capture_;
  while (c.next < c.names.size()) {
    if (!capture_collection(budget)) return false;
    c.kept.erase(c.names[c.next]);
    ++c.next;
    c.copied_to.reset();
  }
  return true;
}

// Copies up to budget more documents of names[next]: the kept value where
// there is one, else the current one, merging the two in key order. Returns
// true when the collection is whole.
bool State::capture_collection(size_t& budget) {
  Capture& c = *capture_;
  const std::string& name = c.names[c.next];
  Collection& out = c.copy.collections[name];
  static const std::map<std::string, std::optional<std::string>> kNothingKept;
  auto kept_it = c.kept.find(name);
  const auto& kept = kept_it == c.kept.end() ? kNothingKept : kept_it->second;
  const Collection& live = *collection(name);  // collections are never removed
  auto l = c.copied_to ? live.upper_bound(*c.copied_to) : live.begin();
  auto k = c.copied_to ? kept.upper_bound(*c.copied_to) : kept.begin();
  const std::string* last = nullptr;
  for (; l != live.end() || k != kept.end(); --budget) {
    if (budget == 0) {
      if (last != nullptr) c.copied_to = *last;
      return false;
    }
    if (k != kept.end() && (l == live.end() || k->first <= l->first)) {
      if (l != live.end() && l->first == k->first) ++l;
      if (k->second) out.emplace_hint(out.end(), k->first, *k->second);
      last = &(k++)->first;
    } else {
      out.emplace_hint(out.end(), l->first, l->second);
      last = &(l++)->first;
    }
  }
  return true;
}

State::Captured State::take_capture() {
  Captured copy = std::move(capture_->copy);
  capture_.reset();
  return copy;
}

void State::cancel_capture() { capture_.reset(); }

uint64_t State::hash() const {
  XXH3_state_t* h = XXH3_createState();
  XXH3_64bits_reset(h);
  auto feed = [h](const std::string& s) {
    uint64_t size = s.size();
    XXH3_64bits_update(h, &size, sizeof size);
    XXH3_64bits_update(h, s.data(), s.size());
  };
  for (const auto& [name, docs] : collections_) {
    feed(name);
    for (const auto& [key, doc] : docs) {
      feed(key);
      feed(doc);
    }
  }
  uint64_t digest = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return digest;
}

}  // namespace pa_journal
