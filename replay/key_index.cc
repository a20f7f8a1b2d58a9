#include "replay/key_index.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

namespace pa_journal {

uint64_t KeyIndex::hash_of(std::string_view key) {
  uint64_t hash = XXH3_64bits(key.data(), key.size());
  return hash != 0 ? hash : 1;
}

size_t KeyIndex::slot_of(std::string_view key, uint64_t hash) const {
  for (size_t i = home(hash);; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.hash == 0 || (slot.hash == hash && slot.node->first == key)) return i;
  }
}

const KeyIndex::Node* KeyIndex::find(std::string_view key) const {
  if (size_ == 0) return nullptr;
  const Slot& slot = slots_[slot_of(key, hash_of(key))];
  return slot.hash != 0 ? &slot.node : nullptr;
}

void KeyIndex::insert(Node node) {
  if ((size_ + 1) * 4 > slots_.size() * 3)
    rehash(std::max<size_t>(16, slots_.size() * 2));
  uint64_t hash = hash_of(node->first);
  slots_[slot_of(node->first, hash)] = {hash, node};
  ++size_;
}

void KeyIndex::erase(std::string_view key) {
  if (size_ == 0) return;
  size_t hole = slot_of(key, hash_of(key));
  if (slots_[hole].hash == 0) return;
  // Backward shift: pull each later slot of the run into the hole unless its
  // home lies cyclically in (hole, j], where it must stay reachable.
  for (size_t j = (hole + 1) & mask_; slots_[j].hash != 0; j = (j + 1) & mask_) {
    size_t h = home(slots_[j].hash);
    bool stays = hole < j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot{};
  --size_;
}

void KeyIndex::assign(Collection& docs) {
  slots_.clear();
  size_ = 0;
  reserve(docs.size());
  // Slots are random places in a large table: hash a batch of keys, prefetch
  // their slots, then fill them, so that the cache misses overlap.
  constexpr size_t kBatch = 32;
  std::pair<uint64_t, Node> batch[kBatch];
  for (auto it = docs.begin(); it != docs.end();) {
    size_t n = 0;
    for (; n < kBatch && it != docs.end(); ++n, ++it) {
      batch[n] = {hash_of(it->first), it};
      __builtin_prefetch(&slots_[home(batch[n].first)], 1);
    }
    for (size_t i = 0; i < n; ++i) {
      size_t at = home(batch[i].first);
      while (slots_[at].hash != 0) at = (at + 1) & mask_;
      slots_[at] = {batch[i].first, batch[i].second};
    }
    size_ += n;
  }
}

void KeyIndex::reserve(size_t n) {
  size_t capacity = 16;
  while (capacity * 3 < n * 4) capacity *= 2;
  if (capacity > slots_.size()) rehash(capacity);
}

void KeyIndex::rehash(size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  mask_ = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    size_t i = home(slot.hash);
    while (slots_[i].hash != 0) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

}  // namespace pa_journal
