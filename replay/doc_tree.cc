#include "replay/doc_tree.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <iterator>
#include <new>

namespace pa_journal {
namespace {

// a < b as std::string orders them (bytes unsigned, then length), inline:
// keys often share a long prefix, and a call to memcmp per comparison was a
// fifth of replay's time.
static_assert(std::endian::native == std::endian::little, "less() reads words");

bool less(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) {
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    }
  }
  return a.size() < b.size();
}

bool key_less(const DocTree::Entry& entry, std::string_view key) {
  return less(entry.key, key);
}

// Splits n into parts of about `fill` each, as evenly as possible.
std::vector<size_t> even_parts(size_t n, size_t fill) {
  size_t parts = (n + fill - 1) / fill;
  std::vector<size_t> out(parts, n / parts);
  for (size_t i = 0; i < n % parts; ++i) ++out[i];
  return out;
}

}  // namespace

uint64_t DocTree::new_session() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<DocTree::Node> DocTree::make_node(bool leaf, uint64_t session) {
  auto node = std::make_shared<Node>();
  node->session = session;
  node->leaf = leaf;
  if (leaf) {
    node->docs.reserve(kMaxLeaf);
  } else {
    node->keys.reserve(kMaxFanout - 1);
    node->children.reserve(kMaxFanout);
  }
  return node;
}

// Invariant 2: slot's node if this session made it, else a copy put in its
// place. The copy happens before slot changes, so a throw changes nothing.
DocTree::Node& DocTree::writable(NodePtr& slot, uint64_t session) {
  if (slot->session == session) return const_cast<Node&>(*slot);
  std::shared_ptr<Node> copy = make_node(slot->leaf, session);
  copy->count = slot->count;
  copy->docs.assign(slot->docs.begin(), slot->docs.end());
  copy->keys.assign(slot->keys.begin(), slot->keys.end());
  copy->children.assign(slot->children.begin(), slot->children.end());
  slot = copy;
  return *copy;
}

bool DocTree::full(const Node& node) {
  return node.leaf ? node.docs.size() >= kMaxLeaf : node.children.size() >= kMaxFanout;
}

bool DocTree::underfull(const Node& node) {
  return node.leaf ? node.docs.size() < kMaxLeaf / 4
                   : node.children.size() < kMaxFanout / 4;
}

size_t DocTree::child_for(const Node& node, std::string_view key) {
  auto it = std::upper_bound(
      node.keys.begin(), node.keys.end(), key,
      [](std::string_view k, const std::string& s) { return less(k, s); });
  return static_cast<size_t>(it - node.keys.begin());
}

DocTree DocTree::build(Collection&& docs, uint64_t session, uint64_t seq) {
  DocTree tree;
  tree.erased_seq_ = seq;
  if (docs.empty()) return tree;
  std::vector<NodePtr> level;
  std::vector<std::string> lowest;  // each node's first key
  for (size_t part : even_parts(docs.size(), kMaxLeaf * 3 / 4)) {
    std::shared_ptr<Node> leaf = make_node(true, session);
    for (size_t i = 0; i < part; ++i) {
      auto handle = docs.extract(docs.begin());
      leaf->docs.push_back({std::move(handle.key()), std::move(handle.mapped()), seq});
    }
    leaf->count = part;
    lowest.push_back(leaf->docs.front().key);
    level.push_back(std::move(leaf));
  }
  while (level.size() > 1) {
    std::vector<NodePtr> up;
    std::vector<std::string> up_lowest;
    size_t next = 0;
    for (size_t part : even_parts(level.size(), kMaxFanout * 3 / 4)) {
      std::shared_ptr<Node> node = make_node(false, session);
      up_lowest.push_back(std::move(lowest[next]));
      for (size_t i = 0; i < part; ++i, ++next) {
        if (i > 0) node->keys.push_back(std::move(lowest[next]));
        node->count += level[next]->count;
        node->children.push_back(std::move(level[next]));
      }
      up.push_back(std::move(node));
    }
    level = std::move(up);
    lowest = std::move(up_lowest);
  }
  tree.root_ = std::move(level.front());
  return tree;
}

size_t DocTree::size() const { return root_ ? root_->count : 0; }

const std::string* DocTree::find(std::string_view key) const {
  const Entry* entry = find_entry(key);
  return entry ? &entry->doc : nullptr;
}

const DocTree::Entry* DocTree::find_entry(std::string_view key) const {
  const Node* node = root_.get();
  if (node == nullptr) return nullptr;
  while (!node->leaf) node = node->children[child_for(*node, key)].get();
  auto it = std::lower_bound(node->docs.begin(), node->docs.end(), key, key_less);
  return it != node->docs.end() && it->key == key ? &*it : nullptr;
}

size_t DocTree::lower_in_leaf(const Node& leaf, std::string_view key) {
  auto it = std::lower_bound(leaf.docs.begin(), leaf.docs.end(), key, key_less);
  return static_cast<size_t>(it - leaf.docs.begin());
}

// Adds up the counts of the children left of the path to key (invariant 4).
size_t DocTree::rank(std::string_view key, bool inclusive) const {
  size_t below = 0;
  const Node* node = root_.get();
  if (node == nullptr) return below;
  while (!node->leaf) {
    size_t i = child_for(*node, key);
    for (size_t j = 0; j < i; ++j) below += node->children[j]->count;
    node = node->children[i].get();
  }
  size_t i = lower_in_leaf(*node, key);
  bool at = i < node->docs.size() && node->docs[i].key == key;
  return below + i + (inclusive && at ? 1 : 0);
}

Collection DocTree::materialize() const {
  Collection out;
  for_each([&out](const std::string& key, const std::string& doc) {
    out.emplace_hint(out.end(), key, doc);
  });
  return out;
}

size_t DocTree::depth() const {
  size_t levels = 0;
  for (const Node* node = root_.get(); node != nullptr; ++levels) {
    node = node->leaf ? nullptr : node->children.front().get();
  }
  return levels;
}

// Splits a full root first, so that every split below has room in its parent.
template <typename Key, typename Document>
void DocTree::put_any(uint64_t session, Key&& key, Document&& document, uint64_t seq) {
  if (!root_) root_ = make_node(true, session);
  Node* root = &writable(root_, session);
  if (full(*root)) {
    std::shared_ptr<Node> top = make_node(false, session);
    top->count = root->count;
    top->children.push_back(root_);
    split_child(*top, 0, session);  // a throw drops top: root_ stays
    root_ = top;
    root = top.get();
  }
  put_below(*root, session, std::forward<Key>(key), std::forward<Document>(document),
            seq);
}

void DocTree::put(uint64_t session, std::string&& key, std::string&& document,
                  uint64_t seq) {
  put_any(session, std::move(key), std::move(document), seq);
}

void DocTree::put(uint64_t session, const std::string& key, std::string&& document,
                  uint64_t seq) {
  put_any(session, key, std::move(document), seq);
}

void DocTree::put(uint64_t session, const std::string& key, const std::string& document,
                  uint64_t seq) {
  put_any(session, key, document, seq);
}

// Splits a full child before going down into it (so a leaf has room for
// the new document), and counts the document on the way back up.
template <typename Key, typename Document>
bool DocTree::put_below(Node& node, uint64_t session, Key&& key, Document&& document,
                        uint64_t seq) {
  if (node.leaf) {
    auto it = std::lower_bound(node.docs.begin(), node.docs.end(), key, key_less);
    if (it != node.docs.end() && it->key == key) {
      it->doc = std::forward<Document>(document);  // a copy throws unchanged
      it->seq = seq;
      return false;
    }
    // Room is reserved; the entry is made before anything moves.
    node.docs.insert(
        it, Entry{std::forward<Key>(key), std::forward<Document>(document), seq});
    ++node.count;
    return true;
  }
  size_t i = child_for(node, key);
  if (full(*node.children[i])) {
    split_child(node, i, session);
    if (std::string_view(key) >= node.keys[i]) ++i;
  }
  bool added = put_below(writable(node.children[i], session), session,
                         std::forward<Key>(key), std::forward<Document>(document), seq);
  if (added) ++node.count;
  return added;
}

void DocTree::split_child(Node& parent, size_t i, uint64_t session) {
  Node& child = writable(parent.children[i], session);
  if (child.leaf) {
    split_leaf(parent, i, child, session);
  } else {
    split_internal(parent, i, child, session);
  }
}

// The upper half of child goes to a new right sibling. Both allocations come
// first; the moves after them cannot throw (invariant 5).
void DocTree::split_leaf(Node& parent, size_t i, Node& child, uint64_t session) {
  size_t mid = child.docs.size() / 2;
  std::string separator = child.docs[mid].key;
  std::shared_ptr<Node> sibling = make_node(true, session);
  sibling->docs.assign(std::make_move_iterator(child.docs.begin() + mid),
                       std::make_move_iterator(child.docs.end()));
  child.docs.erase(child.docs.begin() + mid, child.docs.end());
  sibling->count = sibling->docs.size();
  child.count = child.docs.size();
  parent.keys.insert(parent.keys.begin() + i, std::move(separator));
  parent.children.insert(parent.children.begin() + i + 1, std::move(sibling));
}

void DocTree::split_internal(Node& parent, size_t i, Node& child, uint64_t session) {
  size_t mid = child.children.size() / 2;
  std::shared_ptr<Node> sibling = make_node(false, session);
  sibling->children.assign(std::make_move_iterator(child.children.begin() + mid),
                           std::make_move_iterator(child.children.end()));
  sibling->keys.assign(std::make_move_iterator(child.keys.begin() + mid),
                       std::make_move_iterator(child.keys.end()));
  std::string separator = std::move(child.keys[mid - 1]);
  child.children.erase(child.children.begin() + mid, child.children.end());
  child.keys.erase(child.keys.begin() + mid - 1, child.keys.end());
  for (const auto& c : sibling->children) sibling->count += c->count;
  child.count -= sibling->count;
  parent.keys.insert(parent.keys.begin() + i, std::move(separator));
  parent.children.insert(parent.children.begin() + i + 1, std::move(sibling));
}

// Looks first, so that erasing a missing key copies no node.
bool DocTree::erase(uint64_t session, std::string_view key, uint64_t seq) {
  if (find(key) == nullptr) return false;
  erase_below(writable(root_, session), session, key);
  erased_seq_ = seq;
  while (!root_->leaf && root_->children.size() == 1) {
    NodePtr only = root_->children.front();
    root_ = std::move(only);
  }
  return true;
}

// Every copy on the way down happens before the leaf changes; after that
// only rebalance() runs, which does not throw.
void DocTree::erase_below(Node& node, uint64_t session, std::string_view key) {
  if (node.leaf) {
    node.docs.erase(std::lower_bound(node.docs.begin(), node.docs.end(), key, key_less));
    --node.count;
    return;
  }
  size_t i = child_for(node, key);
  Node& child = writable(node.children[i], session);
  erase_below(child, session, key);
  --node.count;
  if (underfull(child)) rebalance(node, i, session);
}

// Merges the underfull child i with a neighbour, or evens the two out if
// together they are too many for one node. Best effort (invariant 5): if a
// copy or a separator cannot be allocated, the child stays underfull.
void DocTree::rebalance(Node& parent, size_t i, uint64_t session) noexcept {
  if (parent.children.size() < 2) return;
  size_t left = i > 0 ? i - 1 : 0;
  try {
    Node& l = writable(parent.children[left], session);
    Node& r = writable(parent.children[left + 1], session);
    size_t entries =
        l.leaf ? l.docs.size() + r.docs.size() : l.children.size() + r.children.size();
    if (entries <= (l.leaf ? kMaxLeaf : kMaxFanout)) {
      merge(parent, left);
    } else if (l.leaf) {
      shift_leaves(parent, left, l, r);
    } else {
      shift_internal(parent, left, l, r);
    }
  } catch (const std::bad_alloc&) {
    // Left underfull; every document is where it was.
  }
}

// Moves children[left + 1] into children[left]; both writable, together
// within one node's room.
void DocTree::merge(Node& parent, size_t left) {
  Node& l = const_cast<Node&>(*parent.children[left]);
  Node& r = const_cast<Node&>(*parent.children[left + 1]);
  if (l.leaf) {
    l.docs.insert(l.docs.end(), std::make_move_iterator(r.docs.begin()),
                  std::make_move_iterator(r.docs.end()));
  } else {
    l.keys.push_back(std::move(parent.keys[left]));
    l.keys.insert(l.keys.end(), std::make_move_iterator(r.keys.begin()),
                  std::make_move_iterator(r.keys.end()));
    l.children.insert(l.children.end(), std::make_move_iterator(r.children.begin()),
                      std::make_move_iterator(r.children.end()));
  }
  l.count += r.count;
  parent.keys.erase(parent.keys.begin() + left);
  parent.children.erase(parent.children.begin() + left + 1);
}

// Evens out two leaves; the new separator is allocated before anything moves.
void DocTree::shift_leaves(Node& parent, size_t left, Node& l, Node& r) {
  size_t target = (l.docs.size() + r.docs.size()) / 2;
  if (l.docs.size() < target) {
    size_t k = target - l.docs.size();
    std::string separator = r.docs[k].key;
    l.docs.insert(l.docs.end(), std::make_move_iterator(r.docs.begin()),
                  std::make_move_iterator(r.docs.begin() + k));
    r.docs.erase(r.docs.begin(), r.docs.begin() + k);
    parent.keys[left] = std::move(separator);
  } else {
    size_t k = l.docs.size() - target;
    std::string separator = l.docs[target].key;
    r.docs.insert(r.docs.begin(), std::make_move_iterator(l.docs.end() - k),
                  std::make_move_iterator(l.docs.end()));
    l.docs.erase(l.docs.end() - k, l.docs.end());
    parent.keys[left] = std::move(separator);
  }
  l.count = l.docs.size();
  r.count = r.docs.size();
}

// Evens out two internal nodes, one child at a time through the parent's
// separator. Only moves: nothing here throws.
void DocTree::shift_internal(Node& parent, size_t left, Node& l, Node& r) {
  size_t target = (l.children.size() + r.children.size()) / 2;
  while (l.children.size() < target) {
    l.keys.push_back(std::move(parent.keys[left]));
    parent.keys[left] = std::move(r.keys.front());
    r.keys.erase(r.keys.begin());
    size_t moved = r.children.front()->count;
    l.children.push_back(std::move(r.children.front()));
    r.children.erase(r.children.begin());
    l.count += moved;
    r.count -= moved;
  }
  while (l.children.size() > target) {
    r.keys.insert(r.keys.begin(), std::move(parent.keys[left]));
    parent.keys[left] = std::move(l.keys.back());
    l.keys.pop_back();
    size_t moved = l.children.back()->count;
    r.children.insert(r.children.begin(), std::move(l.children.back()));
    l.children.pop_back();
    l.count -= moved;
    r.count += moved;
  }
}

}  // namespace pa_journal
