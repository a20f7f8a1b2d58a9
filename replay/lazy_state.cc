#include "replay/lazy_state.h"

#include <set>
#include <utility>

#include "journal/layout.h"
#include "journal/read_view.h"
#include "pa_journal/errors.h"
#include "replay/key_range.h"
#include "replay/state.h"

namespace pa_journal {
namespace {

// A snapshot block found damaged while the tail was applied: the open
// gives up on the lazy state, unlike the journal's own damage, which
// recovery decides about.
struct BlockDamaged {
  Damage damage;
};

}  // namespace

std::unique_ptr<LazyState> LazyState::open(FileSystem& fs, const std::string& store_dir,
                                           const RecoverOptions& options,
                                           std::optional<Damage>* damaged) {
  ReadView view(fs, store_dir);  // held until the last file is open
  std::optional<SnapshotInfo> info = snapshot_to_open(fs, store_dir, options, view);
  if (!info) return nullptr;
  auto out = std::unique_ptr<LazyState>(new LazyState());
  const std::string backups = backups_dir(store_dir);
  for (const SnapshotFile& f : info->files) {
    std::unique_ptr<IndexedCollection> c = open_indexed(fs, backups, f, damaged);
    if (!c) return nullptr;
    out->snapshot_[f.collection] = std::move(c);
  }
  LazyState* self = out.get();
  try {
    replay_tail(
        fs, store_dir, options, view, *info, [self](const Record& r) { self->apply(r); },
        out->report_);
  } catch (const BlockDamaged& e) {
    if (damaged) *damaged = e.damage;
    return nullptr;
  }
  out->last_seq_ = out->report_.records_replayed > 0 ? out->report_.last_seq : info->seq;
  return out;
}

// As State::apply: every operation makes its collection exist; a patch
// applies to the document as it stands (null if absent), read from the
// snapshot when the tail has not written it.
void LazyState::apply(const Record& record) {
  for (const Operation& op : record.ops) {
    Tail& tail = tail_[op.collection];
    if (op.kind == OpKind::kDelete) {
      tail[op.key] = std::nullopt;
    } else if (op.kind == OpKind::kPut) {
      tail[op.key] = op.document;
    } else {
      auto it = tail.find(op.key);
      std::optional<std::string> current;
      if (it != tail.end()) {
        current = it->second;
      } else if (const IndexedCollection* c = snapshot(op.collection)) {
        try {
          current = c->find(op.key);
        } catch (const CorruptedDataError& e) {
          throw BlockDamaged{block_damage(e)};
        }
      }
      tail[op.key] = merge_patch(current ? &*current : nullptr, op.document);
    }
  }
}

const IndexedCollection* LazyState::snapshot(std::string_view collection) const {
  auto it = snapshot_.find(collection);
  return it == snapshot_.end() ? nullptr : it->second.get();
}

const LazyState::Tail* LazyState::tail(std::string_view collection) const {
  auto it = tail_.find(collection);
  return it == tail_.end() ? nullptr : &it->second;
}

std::optional<std::string> LazyState::get(std::string_view collection,
                                          std::string_view key) const {
  if (const Tail* t = tail(collection)) {
    auto it = t->find(key);
    if (it != t->end()) return it->second;
  }
  const IndexedCollection* c = snapshot(collection);
  return c ? c->find(key) : std::nullopt;
}

// Merges the snapshot's documents and the tail's in key order, the tail
// winning, from the lower bound of options on.
uint64_t LazyState::list(std::string_view collection, const ListOptions& options,
                         const ListVisitor& visit) const {
  static const Tail kNoTail;
  const Tail* t = tail(collection);
  if (t == nullptr) t = &kNoTail;
  std::string lower(range_start(options));
  auto next = t->lower_bound(lower);
  uint64_t visited = 0;
  bool going = true;
  // Offers one document; false once the listing is over.
  auto offer = [&](std::string_view key, const std::string_view* doc) {
    if (past_range(options, key)) return going = false;
    if (doc == nullptr || !in_range(options, key)) return true;
    ++visited;
    going = visit(key, *doc) && (options.limit == 0 || visited < options.limit);
    return going;
  };
  auto offer_tail_before = [&](std::string_view key, bool inclusive) {
    while (going && next != t->end() &&
           (next->first < key || (inclusive && next->first == key))) {
      std::string_view doc =
          next->second ? std::string_view(*next->second) : std::string_view();
      offer(next->first, next->second ? &doc : nullptr);
      ++next;
    }
    return going;
  };
  if (const IndexedCollection* c = snapshot(collection)) {
    c->scan(lower, [&](std::string_view key, std::string_view doc) {
      if (!offer_tail_before(key, false)) return false;
      if (next != t->end() && next->first == key) return offer_tail_before(key, true);
      return offer(key, &doc);
    });
  }
  while (going && next != t->end()) {
    std::string_view doc =
        next->second ? std::string_view(*next->second) : std::string_view();
    offer(next->first, next->second ? &doc : nullptr);
    ++next;
  }
  return visited;
}

uint64_t LazyState::count(std::string_view collection) const {
  return size(collection).documents;
}

// The snapshot file's figures, and for each key the tail wrote, its line in
// place of the snapshot's (if the snapshot held the key).
CollectionSize LazyState::size(std::string_view collection) const {
  const IndexedCollection* c = snapshot(collection);
  const Tail* t = tail(collection);
  if (c == nullptr && t == nullptr) return {};  // no such collection
  CollectionSize out{c ? c->documents() : 0,
                     c ? c->file_bytes() : kEmptyCollectionFileBytes};
  if (t != nullptr) {
    for (const auto& [key, doc] : *t) {
      std::optional<std::string> before = c ? c->find(key) : std::nullopt;
      out.documents += (doc.has_value() ? 1 : 0) - (before ? 1 : 0);
      if (doc) out.file_bytes += document_line_bytes(key, *doc);
      if (before) out.file_bytes -= document_line_bytes(key, *before);
    }
  }
  return out;
}

std::vector<std::string> LazyState::collection_names() const {
  std::set<std::string> names;
  for (const auto& entry : snapshot_) names.insert(entry.first);
  for (const auto& entry : tail_) names.insert(entry.first);
  return {names.begin(), names.end()};
}

Damage block_damage(const CorruptedDataError& e) {
  return Damage::corruption(
      e.file(), e.offset(), 0,
      std::string(e.what()) + "; read the snapshot's JSON file whole instead");
}

}  // namespace pa_journal
