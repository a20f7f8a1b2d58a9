// DocTree: one collection's documents, key -> compact JSON, in key order: a
// persistent (path-copying) B+tree whose nodes are shared between the
// versions of the state (replay/state.h). Each document carries the seq of
// the commit that last changed it, and the tree the seq of the newest
// commit that erased one of its documents (compare-and-set commits,
// docs/design.md "Compare-and-set").
//
// Invariants:
// 1. A node that a frozen tree can reach is never written again. A tree is
//    frozen once the edit session that wrote it has ended (State::freeze, or
//    a copy of the State); from then on any number of threads may read it,
//    and every copy of it, without a lock.
// 2. Every node carries the id of the edit session that created it. An edit
//    writes a node in place only if that id is the edit's own session, and
//    copies any other node on its path first (then writes the copy). Session
//    ids are never reused in a process (new_session()), and the owner of a
//    session ends it before a tree holding its nodes is handed out; so a node
//    written in place is reachable from the editor's tree alone. In-place
//    writes are never decided by a reference count.
// 3. Keys ascend strictly from leaf to leaf. An internal node with children
//    c[0..n) has keys k[0..n-1): every key under c[i] is below k[i], every
//    key under c[i+1] at or above it.
// 4. A node's count is the number of documents beneath it, so size() is O(1)
//    and rank() is O(log n).
// 5. A leaf holds at most kMaxLeaf documents and an internal node at most
//    kMaxFanout children; their vectors reserve that room when the node is
//    made, so that moving entries in never allocates. Below the root, nodes
//    are kept at least a quarter full, except when memory ran out while a
//    delete rebalanced (invariant 3 holds regardless; only depth suffers).
//
// Exception safety: put() and erase() are all or nothing. Every allocation
// (a copy of a node, a split's new node and separator, the caller's strings)
// happens before the step that needs it changes anything, and copying or
// splitting a node leaves the documents as they were.
//
// Thread-safety: the const functions read only; an edit (put, erase) needs
// its tree to itself. Frozen trees: see invariant 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pa_journal/record.h"

namespace pa_journal {

class DocTree {
 public:
  static constexpr size_t kMaxLeaf = 16;
  static constexpr size_t kMaxFanout = 32;

  // One document: its key, its compact JSON and the seq of its last change
  // (for a document built from a snapshot, the snapshot's seq).
  struct Entry {
    std::string key;
    std::string doc;
    uint64_t seq = 0;
  };

  // A session id no other edit session of the process has had.
  static uint64_t new_session();

  DocTree() = default;
  // A tree of docs (taken), its nodes made in session, leaves 3/4 full. Every
  // document, and erased_seq(), is given seq: a snapshot's documents changed
  // at its seq at the latest, and any erase before it is unknown.
  static DocTree build(Collection&& docs, uint64_t session, uint64_t seq);

  size_t size() const;
  bool empty() const { return size() == 0; }
  // O(log n). The pointer lives as long as this tree or a copy of it does.
  const std::string* find(std::string_view key) const;
  // The same, with the document's seq.
  const Entry* find_entry(std::string_view key) const;
  // The seq of the newest erase of a document (0 if none).
  uint64_t erased_seq() const { return erased_seq_; }
  // Calls fn(key, document) for every document in key order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (root_) visit(*root_, fn);
  }
  // Seeks: calls fn(entry) for each document whose key is at or above lower,
  // in key order, until fn returns false or the documents end. O(log n + k)
  // for k calls. Returns whether fn stopped the scan.
  template <typename Fn>
  bool scan(std::string_view lower, Fn&& fn) const {
    return root_ && !visit_from(*root_, lower, fn);
  }
  // How many keys are below key (with inclusive, at or below it). O(log n).
  size_t rank(std::string_view key, bool inclusive = false) const;
  Collection materialize() const;
  // Levels from the root to the leaves (0 if empty); for tests.
  size_t depth() const;

  // Puts key's document (replacing one there), changed at seq. All or
  // nothing. The strings are moved from or copied (a replaced document's
  // buffer is reused when the new one is copied).
  void put(uint64_t session, std::string&& key, std::string&& document, uint64_t seq);
  void put(uint64_t session, const std::string& key, std::string&& document,
           uint64_t seq);
  void put(uint64_t session, const std::string& key, const std::string& document,
           uint64_t seq);
  // Erases key's document at seq (erased_seq() becomes seq); false, and
  // nothing changed, if there is none. All or nothing.
  bool erase(uint64_t session, std::string_view key, uint64_t seq);

 private:
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;

  template <typename Fn>
  static void visit(const Node& node, Fn& fn);
  template <typename Fn>
  static bool visit_from(const Node& node, std::string_view lower, Fn& fn);
  static size_t lower_in_leaf(const Node& leaf, std::string_view key);
  static Node& writable(NodePtr& slot, uint64_t session);
  static std::shared_ptr<Node> make_node(bool leaf, uint64_t session);
  static bool full(const Node& node);
  static bool underfull(const Node& node);
  static size_t child_for(const Node& node, std::string_view key);
  static void split_child(Node& parent, size_t i, uint64_t session);
  static void split_leaf(Node& parent, size_t i, Node& child, uint64_t session);
  static void split_internal(Node& parent, size_t i, Node& child, uint64_t session);
  template <typename Key, typename Document>
  void put_any(uint64_t session, Key&& key, Document&& document, uint64_t seq);
  template <typename Key, typename Document>
  static bool put_below(Node& node, uint64_t session, Key&& key, Document&& document,
                        uint64_t seq);
  static void erase_below(Node& node, uint64_t session, std::string_view key);
  static void rebalance(Node& parent, size_t i, uint64_t session) noexcept;
  static void merge(Node& parent, size_t left);
  static void shift_leaves(Node& parent, size_t left, Node& l, Node& r);
  static void shift_internal(Node& parent, size_t left, Node& l, Node& r);

  NodePtr root_;
  uint64_t erased_seq_ = 0;
};

// Node layout: exposed here only so that for_each can be a template.
struct DocTree::Node {
  uint64_t session = 0;
  size_t count = 0;
  bool leaf = true;
  std::vector<Entry> docs;        // a leaf's
  std::vector<std::string> keys;  // an internal node's
  std::vector<NodePtr> children;  // an internal node's
};

template <typename Fn>
void DocTree::visit(const Node& node, Fn& fn) {
  if (node.leaf) {
    for (const auto& entry : node.docs) fn(entry.key, entry.doc);
    return;
  }
  for (const auto& child : node.children) visit(*child, fn);
}

// False once fn has returned false. Only the first child visited is entered
// by key; every later one is read from its start.
template <typename Fn>
bool DocTree::visit_from(const Node& node, std::string_view lower, Fn& fn) {
  if (node.leaf) {
    for (size_t i = lower_in_leaf(node, lower); i < node.docs.size(); ++i) {
      if (!fn(node.docs[i])) return false;
    }
    return true;
  }
  size_t first = child_for(node, lower);
  if (!visit_from(*node.children[first], lower, fn)) return false;
  for (size_t i = first + 1; i < node.children.size(); ++i) {
    if (!visit_from(*node.children[i], {}, fn)) return false;
  }
  return true;
}

}  // namespace pa_journal
