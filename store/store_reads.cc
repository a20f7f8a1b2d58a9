// The read calls of Store (include/pa_journal/store.h): each is answered
// from the lazy state while a read-only open leaves the state on disk
// (store/lazy_open.cc), else from the published version (store/store_impl.h).
// A lazy read that meets a damaged block is answered, or for a listing
// finished, from the state recovered in full (Store::Impl::lazy_read).
//
// Thread-safety: as Store; what a read may wait for, and for how long, is in
// store/store_impl.h.
#include <algorithm>

#include "model/validation.h"
#include "pa_journal/store.h"
#include "replay/key_range.h"
#include "snapshot/snapshot.h"
#include "store/store_impl.h"

namespace pa_journal {

void Store::Impl::check_readable() const {
  if (writer && !writer->failure().empty()) {
    throw JournalFailedError("the journal failed (" + writer->failure() +
                             "); reopen the store to read what is durable");
  }
}

std::optional<std::string> Store::get(std::string_view collection,
                                      std::string_view key) const {
  validate_collection_name(collection);
  validate_key(key);
  impl_->check_readable();
  std::optional<std::string> lazy_doc;
  if (impl_->lazy_read([&](const LazyState& l) { lazy_doc = l.get(collection, key); }))
    return lazy_doc;
  StateVersion state = impl_->published_version();
  const std::string* doc = state.find(collection, key);
  if (doc == nullptr) return std::nullopt;
  return *doc;
}

std::optional<VersionedDocument> Store::get_versioned(std::string_view collection,
                                                      std::string_view key) const {
  validate_collection_name(collection);
  validate_key(key);
  impl_->check_readable();
  StateVersion state = impl_->published_version();
  const DocTree::Entry* entry = state.find_entry(collection, key);
  if (entry == nullptr) return std::nullopt;
  return VersionedDocument{entry->doc, entry->seq};
}

std::vector<std::pair<std::string, std::string>> Store::list(
    std::string_view collection) const {
  validate_collection_name(collection);
  impl_->check_readable();
  if (impl_->lazy_live) return list(collection, ListOptions{});
  StateVersion state = impl_->published_version();
  const DocTree* docs = state.collection(collection);
  std::vector<std::pair<std::string, std::string>> out;
  if (docs == nullptr) return out;
  out.reserve(docs->size());
  docs->for_each([&out](const std::string& key, const std::string& doc) {
    out.emplace_back(key, doc);
  });
  return out;
}

uint64_t Store::list(std::string_view collection, const ListOptions& options,
                     const ListVisitor& visit) const {
  validate_collection_name(collection);
  impl_->check_readable();
  // A lazy listing that meets damage goes on in full after the last key it
  // visited.
  uint64_t visited = 0;
  std::optional<std::string> last;
  auto noted = [&](std::string_view key, std::string_view doc) {
    ++visited;
    last = key;
    return visit(key, doc);
  };
  if (impl_->lazy_read([&](const LazyState& l) { l.list(collection, options, noted); }))
    return visited;
  if (options.limit != 0 && visited >= options.limit) return visited;
  StateVersion state = impl_->published_version();
  const DocTree* docs = state.collection(collection);
  if (docs == nullptr) return visited;
  docs->scan(range_start(options), [&](const DocTree::Entry& entry) {
    if (past_range(options, entry.key)) return false;
    if (last && entry.key <= *last) return true;  // the lazy listing had it
    ++visited;
    return visit(entry.key, entry.doc) && (options.limit == 0 || visited < options.limit);
  });
  return visited;
}

std::vector<std::pair<std::string, std::string>> Store::list(
    std::string_view collection, const ListOptions& options) const {
  std::vector<std::pair<std::string, std::string>> out;
  list(collection, options, [&out](std::string_view key, std::string_view doc) {
    out.emplace_back(key, doc);
    return true;
  });
  return out;
}

uint64_t Store::count(std::string_view collection, const ListOptions& options) const {
  validate_collection_name(collection);
  impl_->check_readable();
  bool whole =
      options.prefix.empty() && !options.from && !options.to && options.limit == 0;
  uint64_t n = 0;
  if (whole && impl_->lazy_read([&](const LazyState& l) { n = l.count(collection); }))
    return n;
  if (impl_->lazy_live) {
    return list(collection, options,
                [](std::string_view, std::string_view) { return true; });
  }
  StateVersion state = impl_->published_version();
  const DocTree* docs = state.collection(collection);
  if (docs == nullptr) return 0;
  n = count_in_range(*docs, options);
  return options.limit == 0 ? n : std::min(n, options.limit);
}

std::vector<std::string> Store::collections() const {
  impl_->check_readable();
  if (impl_->lazy_live) return impl_->lazy->collection_names();
  return impl_->published_version().collection_names();
}

uint64_t Store::snapshot_bytes(std::string_view collection) const {
  validate_collection_name(collection);
  impl_->check_readable();
  uint64_t bytes = 0;
  if (impl_->lazy_read(
          [&](const LazyState& l) { bytes = l.size(collection).file_bytes; }))
    return bytes;
  StateVersion state = impl_->published_version();
  const DocTree* docs = state.collection(collection);
  if (docs == nullptr) return 0;
  bytes = kEmptyCollectionFileBytes;
  docs->for_each([&bytes](const std::string& key, const std::string& doc) {
    bytes += document_line_bytes(key, doc);
  });
  return bytes;
}

Collections Store::state() const {
  impl_->check_readable();
  return impl_->published_version().materialize();
}

uint64_t Store::last_seq() const {
  impl_->check_readable();
  if (impl_->lazy_live) return impl_->lazy->last_seq();
  return impl_->published_version().last_seq();
}

}  // namespace pa_journal
