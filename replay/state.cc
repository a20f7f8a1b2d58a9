#include "replay/state.h"

#include <xxhash.h>

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "journal/validation.h"
#include "pa_journal/errors.h"

namespace pa_journal {

std::string merge_patch(const std::string* target, const std::string& patch) {
  try {
    nlohmann::json doc = target ? nlohmann::json::parse(*target) : nlohmann::json();
    doc.merge_patch(nlohmann::json::parse(patch));
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptedDataError(std::string("stored JSON does not parse: ") + e.what());
  }
}

std::vector<Operation> State::resolve(const std::vector<Operation>& ops) const {
  // Documents as this commit's earlier operations leave them; nullopt = deleted.
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> overlay;
  std::vector<Operation> resolved;
  resolved.reserve(ops.size());
  for (const auto& op : ops) {
    resolved.push_back(op);
    // A lone put can be neither refused nor changed: skip the lookups.
    if (op.kind == OpKind::kPut && ops.size() == 1) break;
    auto id = std::make_pair(op.collection, op.key);
    auto it = overlay.find(id);
    const std::string* current = it != overlay.end()
                                     ? (it->second ? &*it->second : nullptr)
                                     : find(op.collection, op.key);
    if (op.kind != OpKind::kPut && current == nullptr) {
      throw NotFoundError("no document " + op.collection + "/" + op.key + " to " +
                          to_string(op.kind) +
                          (op.kind == OpKind::kPatch ? "; use put to create it" : ""));
    }
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

void State::load(Collections collections, uint64_t seq, int64_t time_ns) {
  collections_ = std::move(collections);
  last_seq_ = seq;
  last_time_ns_ = time_ns;
}

void State::apply(const Record& record) {
  for (const auto& op : record.ops) apply_op(op);
  last_seq_ = record.seq;
  last_time_ns_ = record.time_ns;
}

void State::apply_op(const Operation& op) {
  switch (op.kind) {
    case OpKind::kPut:
      collections_[op.collection][op.key] = op.document;
      return;
    case OpKind::kPatch: {
      auto& collection = collections_[op.collection];
      auto it = collection.find(op.key);
      std::string patched =
          merge_patch(it == collection.end() ? nullptr : &it->second, op.document);
      collection[op.key] = std::move(patched);
      return;
    }
    case OpKind::kDelete:
      collections_[op.collection].erase(op.key);
      return;
  }
}

const std::string* State::find(const std::string& collection,
                               const std::string& key) const {
  auto c = collections_.find(collection);
  if (c == collections_.end()) return nullptr;
  auto d = c->second.find(key);
  return d == c->second.end() ? nullptr : &d->second;
}

const Collection* State::collection(const std::string& name) const {
  auto c = collections_.find(name);
  return c == collections_.end() ? nullptr : &c->second;
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
