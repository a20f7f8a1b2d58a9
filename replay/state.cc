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

std::string merge_patch(const std::string* target, const std::string& patch) {
  try {
    nlohmann::json doc = target ? parse_document(*target) : nlohmann::json();
    doc.merge_patch(parse_document(patch));
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError("stored JSON does not parse: " + describe_json_error(e));
  }
}

namespace {

uint64_t hash_of(const CollectionTrees& trees) {
  XXH3_state_t* h = XXH3_createState();
  XXH3_64bits_reset(h);
  auto feed = [h](const std::string& s) {
    uint64_t size = s.size();
    XXH3_64bits_update(h, &size, sizeof size);
    XXH3_64bits_update(h, s.data(), s.size());
  };
  for (const auto& [name, docs] : trees) {
    feed(name);
    docs.for_each([&feed](const std::string& key, const std::string& doc) {
      feed(key);
      feed(doc);
    });
  }
  uint64_t digest = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return digest;
}

const std::string* find_in(const CollectionTrees& trees, std::string_view collection,
                           std::string_view key) {
  auto c = trees.find(collection);
  return c == trees.end() ? nullptr : c->second.find(key);
}

const DocTree::Entry* entry_in(const CollectionTrees& trees, std::string_view collection,
                               std::string_view key) {
  auto c = trees.find(collection);
  return c == trees.end() ? nullptr : c->second.find_entry(key);
}

const DocTree* collection_in(const CollectionTrees& trees, std::string_view name) {
  auto c = trees.find(name);
  return c == trees.end() ? nullptr : &c->second;
}

std::vector<std::string> names_in(const CollectionTrees& trees) {
  std::vector<std::string> names;
  for (const auto& entry : trees) names.push_back(entry.first);
  return names;
}

size_t count_in(const CollectionTrees& trees) {
  size_t n = 0;
  for (const auto& entry : trees) n += entry.second.size();
  return n;
}

Collections materialize(const CollectionTrees& trees) {
  Collections out;
  for (const auto& entry : trees) {
    out.emplace_hint(out.end(), entry.first, entry.second.materialize());
  }
  return out;
}

}  // namespace

// --- StateVersion ---

StateVersion::StateVersion() : data_(std::make_shared<const Data>()) {}

const std::string* StateVersion::find(std::string_view collection,
                                      std::string_view key) const {
  return find_in(data_->trees, collection, key);
}

const DocTree::Entry* StateVersion::find_entry(std::string_view collection,
                                               std::string_view key) const {
  return entry_in(data_->trees, collection, key);
}

const DocTree* StateVersion::collection(std::string_view name) const {
  return collection_in(data_->trees, name);
}

std::vector<std::string> StateVersion::collection_names() const {
  return names_in(data_->trees);
}

size_t StateVersion::document_count() const { return count_in(data_->trees); }

uint64_t StateVersion::hash() const { return hash_of(data_->trees); }

Collections StateVersion::materialize() const {
  return pa_journal::materialize(data_->trees);
}

// --- State ---

State::State() : session_(DocTree::new_session()) {}

State::State(const State& other)
    : trees_(other.trees_),
      last_seq_(other.last_seq_),
      last_time_ns_(other.last_time_ns_),
      loaded_seq_(other.loaded_seq_),
      session_(DocTree::new_session()),
      frozen_(other.frozen_) {
  other.end_session();
}

State& State::operator=(const State& other) {
  if (this != &other) *this = State(other);
  return *this;
}

State::State(State&&) noexcept = default;
State& State::operator=(State&&) noexcept = default;
State::~State() = default;

StateVersion State::freeze() {
  if (!frozen_) {
    auto data = std::make_shared<StateVersion::Data>();
    data->trees = trees_;
    data->seq = last_seq_;
    data->time_ns = last_time_ns_;
    frozen_ = StateVersion(std::move(data));
    end_session();
  }
  return *frozen_;
}

std::optional<std::vector<Operation>> State::resolve(
    const std::vector<Operation>& ops) const {
  check_if_seqs(ops);
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

// Invariant 4 makes each refusal safe. A seq equal to the loaded snapshot's
// is only a bound, and the message says so.
void State::check_if_seqs(const std::vector<Operation>& ops) const {
  auto when = [this](uint64_t seq) {
    return (seq == loaded_seq_ ? "at or before seq " : "at seq ") + std::to_string(seq);
  };
  for (const auto& op : ops) {
    if (!op.if_seq) continue;
    uint64_t expected = *op.if_seq;
    auto c = trees_.find(op.collection);
    if (c == trees_.end()) continue;  // no document of it ever existed
    const DocTree::Entry* entry = c->second.find_entry(op.key);
    std::string name = op.collection + "/" + op.key;
    if (entry != nullptr && (expected == 0 || entry->seq > expected)) {
      throw ConflictError(
          "conflict: " + name + (expected == 0 ? " exists (last changed " : " changed ") +
              when(entry->seq) +
              (expected == 0 ? "); the operation expected no document"
                             : ", after the expected seq " + std::to_string(expected)),
          op.collection, op.key, entry->seq);
    }
    uint64_t erased = c->second.erased_seq();
    if (entry == nullptr && expected != 0 && erased > expected) {
      throw ConflictError("conflict: " + name + " is absent and may have been deleted " +
                              "after the expected seq " + std::to_string(expected) +
                              " (the newest delete in " + op.collection + " was " +
                              when(erased) + ")",
                          op.collection, op.key, erased);
    }
  }
}

void State::load(Collections collections, uint64_t seq, int64_t time_ns) {
  CollectionTrees trees;
  while (!collections.empty()) {
    auto handle = collections.extract(collections.begin());
    trees.emplace(std::move(handle.key()),
                  DocTree::build(std::move(handle.mapped()), session_, seq));
  }
  trees_ = std::move(trees);
  loaded_seq_ = seq;
  last_seq_ = seq;
  last_time_ns_ = time_ns;
  frozen_.reset();
}

// One operation is all or nothing (DocTree::put and erase are, and the
// patched document is made before either): only a collection it created
// needs undoing.
template <typename Op>
void State::apply_op(Op&& op, uint64_t seq) {
  auto [c, created] = trees_.try_emplace(op.collection);
  try {
    DocTree& docs = c->second;
    if (op.kind == OpKind::kDelete) {
      docs.erase(session_, op.key, seq);
    } else if (op.kind == OpKind::kPatch) {
      docs.put(session_, std::as_const(op.key),
               merge_patch(docs.find(op.key), op.document), seq);
    } else {
      docs.put(session_, std::forward<Op>(op).key, std::forward<Op>(op).document, seq);
      // (by copy for a const record: the replaced document's buffer is reused)
    }
  } catch (...) {
    if (created) trees_.erase(c);
    throw;
  }
}

// A record of several operations ends the edit session first and keeps the
// collections' roots: the nodes they reach are then never written, so going
// back to them undoes the record (invariant 3). A lone operation needs no
// such point to go back to.
template <typename Ops>
void State::apply_all(Ops&& ops, uint64_t seq, int64_t time_ns) {
  auto apply_each = [this, &ops, seq] {
    for (auto& op : ops) {
      if constexpr (std::is_lvalue_reference_v<Ops>) {
        apply_op(op, seq);
      } else {
        apply_op(std::move(op), seq);
      }
    }
  };
  frozen_.reset();
  if (ops.size() == 1) {
    apply_each();
  } else {
    CollectionTrees before = trees_;
    end_session();
    try {
      apply_each();
    } catch (...) {
      trees_ = std::move(before);
      throw;
    }
  }
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
  return find_in(trees_, collection, key);
}

const DocTree* State::collection(std::string_view name) const {
  return collection_in(trees_, name);
}

std::vector<std::string> State::collection_names() const { return names_in(trees_); }

Collections State::collections() const { return materialize(trees_); }

size_t State::document_count() const { return count_in(trees_); }

uint64_t State::hash() const { return hash_of(trees_); }

}  // namespace pa_journal
