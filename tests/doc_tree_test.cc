// replay/doc_tree.h: the persistent B+tree that holds a collection's
// documents, against a std::map model, and the trees an edit leaves alone.
#include "replay/doc_tree.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace pa_journal {
namespace {

void expect_same(const DocTree& tree, const Collection& model, const std::string& when) {
  ASSERT_EQ(tree.size(), model.size()) << when;
  EXPECT_EQ(tree.materialize(), model) << when;
}

// Keys from a small range at first (many replaces and erases of one leaf)
// and then a wide one (splits up to three levels), then erases of almost
// everything (merges and evening-out, the root shrinking).
TEST(DocTreeTest, RandomPutsAndErasesMatchAMapThroughSplitsAndMerges) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    DocTree tree;
    Collection model;
    uint64_t session = DocTree::new_session();
    size_t deepest = 0;
    for (int step = 0; step < 30000; ++step) {
      uint32_t range = step < 3000 ? 40 : 6000;
      bool erasing = step >= 20000 ? rng() % 10 != 0 : rng() % 3 == 0;
      std::string key = "k" + std::to_string(rng() % range);
      if (step % 1000 == 0) session = DocTree::new_session();  // as a freeze does
      if (erasing) {
        EXPECT_EQ(tree.erase(session, key), model.erase(key) == 1) << key;
      } else {
        std::string doc = std::to_string(step);
        tree.put(session, key, doc);
        model[key] = doc;
      }
      deepest = std::max(deepest, tree.depth());
      if (step % 997 == 0) expect_same(tree, model, "step " + std::to_string(step));
    }
    expect_same(tree, model, "at the end");
    for (const auto& [key, doc] : model) {
      const std::string* found = tree.find(key);
      ASSERT_NE(found, nullptr) << key;
      EXPECT_EQ(*found, doc);
    }
    EXPECT_EQ(tree.find("k"), nullptr);
    EXPECT_EQ(tree.find("zz"), nullptr);
    EXPECT_GE(deepest, 3u);  // the wide range split internal nodes
    std::vector<std::string> keys;
    for (const auto& entry : model) keys.push_back(entry.first);
    for (size_t i = 5; i < keys.size(); ++i) {
      ASSERT_TRUE(tree.erase(session, keys[i])) << keys[i];
      model.erase(keys[i]);
    }
    expect_same(tree, model, "after erasing all but 5");
    EXPECT_EQ(tree.depth(), 1u);  // merged back into one leaf
  }
}

// Keys with a long shared prefix, of every length around the 8-byte words
// the comparison reads, with bytes above 0x7f: the tree's order is
// std::string's, document by document.
TEST(DocTreeTest, KeysAreInStdStringOrderWhateverTheirLengthAndBytes) {
  std::mt19937 rng(5);
  DocTree tree;
  Collection model;
  uint64_t session = DocTree::new_session();
  for (int i = 0; i < 4000; ++i) {
    std::string key = i % 2 == 0 ? "contact-prefix-" : "contact-";
    for (size_t n = rng() % 20; n > 0; --n) {
      key.push_back(
          static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 0x80 : 'a' + rng() % 3));
    }
    tree.put(session, key, std::to_string(i));
    model[key] = std::to_string(i);
  }
  using Entries = std::vector<std::pair<std::string, std::string>>;
  Entries in_order;
  tree.for_each([&](const std::string& key, const std::string& doc) {
    in_order.emplace_back(key, doc);
  });
  EXPECT_EQ(in_order, Entries(model.begin(), model.end()));
  for (const auto& [key, doc] : model) {
    const std::string* found = tree.find(key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, doc);
  }
}

TEST(DocTreeTest, EraseOfEveryDocumentLeavesAnEmptyTreeThatTakesPutsAgain) {
  DocTree tree;
  uint64_t session = DocTree::new_session();
  for (int i = 0; i < 2000; ++i) tree.put(session, "k" + std::to_string(i), "1");
  for (int i = 1999; i >= 0; --i)
    ASSERT_TRUE(tree.erase(session, "k" + std::to_string(i)));
  EXPECT_TRUE(tree.empty());
  EXPECT_FALSE(tree.erase(session, "k1"));
  tree.put(session, "a", "2");
  EXPECT_EQ(tree.materialize(), (Collection{{"a", "2"}}));
}

TEST(DocTreeTest, BuildGivesTheSameTreeAsPuttingEachDocument) {
  for (size_t n : {0, 1, 12, 13, 300, 5000}) {
    Collection docs;
    for (size_t i = 0; i < n; ++i) docs["k" + std::to_string(i)] = std::to_string(i * 7);
    Collection model = docs;
    DocTree built = DocTree::build(std::move(docs), DocTree::new_session());
    expect_same(built, model, "n = " + std::to_string(n));
    uint64_t session = DocTree::new_session();
    built.put(session, "k5", "changed");  // a built tree takes edits
    built.erase(session, "k0");
    model["k5"] = "changed";
    model.erase("k0");
    expect_same(built, model, "edited, n = " + std::to_string(n));
  }
}

// A copy of a tree shares its nodes; once the session that made them has
// ended, edits in a new session copy what they change and leave the copy
// reading what it read.
TEST(DocTreeTest, ATreeKeptBeforeLaterEditsReadsAsItDidThen) {
  std::mt19937 rng(11);
  DocTree tree;
  Collection model;
  uint64_t session = DocTree::new_session();
  std::vector<std::pair<DocTree, Collection>> kept;
  for (int step = 0; step < 20000; ++step) {
    if (step % 2000 == 0) {
      kept.emplace_back(tree, model);
      session = DocTree::new_session();  // the kept copy is frozen
    }
    std::string key = "k" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      tree.erase(session, key);
      model.erase(key);
    } else {
      tree.put(session, key, std::to_string(step));
      model[key] = std::to_string(step);
    }
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    expect_same(kept[i].first, kept[i].second, "kept copy " + std::to_string(i));
  }
  expect_same(tree, model, "the edited tree");
}

}  // namespace
}  // namespace pa_journal
