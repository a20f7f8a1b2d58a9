// KeyIndex: finds a document's node in a Collection by its key in O(1),
// whatever the collection's size.
//
// An open-addressing hash table (linear probing, backward-shift deletion, at
// most 3/4 full) of 16-byte slots: the key's hash and an iterator to the node.
// The keys themselves live in the nodes, which std::map never moves while they
// exist, so the index costs 21 to 43 bytes per document and one allocation.
//
// Thread-safety: none; the State that owns it is guarded by the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pa_journal/record.h"

namespace pa_journal {

class KeyIndex {
 public:
  using Node = Collection::iterator;

  // The node whose key is key, or nullptr.
  const Node* find(std::string_view key) const;
  // Adds node, whose key must not be in the index yet.
  void insert(Node node);
  // Removes key if it is there.
  void erase(std::string_view key);
  // Makes room for n keys in all without growing again.
  void reserve(size_t n);
  // Replaces the index with one of every node of docs (faster than inserting
  // them one by one: it fetches slots ahead).
  void assign(Collection& docs);
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0: empty
    Node node;
  };

  static uint64_t hash_of(std::string_view key);
  size_t home(uint64_t hash) const { return static_cast<size_t>(hash) & mask_; }
  size_t slot_of(std::string_view key, uint64_t hash) const;  // its slot or an empty one
  void rehash(size_t capacity);

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace pa_journal
