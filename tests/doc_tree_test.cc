// replay/doc_tree.h: the persistent B+tree that holds a collection's
// documents, against a std::map model, and the trees an edit leaves alone;
// seeks and ranks against the model; each document's seq of last change.
#include "replay/doc_tree.h"

#include <gtest/gtest.h>

#include <map>
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
        EXPECT_EQ(tree.erase(session, key, 1), model.erase(key) == 1) << key;
      } else {
        std::string doc = std::to_string(step);
        tree.put(session, key, doc, 1);
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
      ASSERT_TRUE(tree.erase(session, keys[i], 1)) << keys[i];
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
    tree.put(session, key, std::to_string(i), 1);
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
  for (int i = 0; i < 2000; ++i) tree.put(session, "k" + std::to_string(i), "1", 1);
  for (int i = 1999; i >= 0; --i)
    ASSERT_TRUE(tree.erase(session, "k" + std::to_string(i), 1));
  EXPECT_TRUE(tree.empty());
  EXPECT_FALSE(tree.erase(session, "k1", 1));
  tree.put(session, "a", "2", 1);
  EXPECT_EQ(tree.materialize(), (Collection{{"a", "2"}}));
}

TEST(DocTreeTest, BuildGivesTheSameTreeAsPuttingEachDocument) {
  for (size_t n : {0, 1, 12, 13, 300, 5000}) {
    Collection docs;
    for (size_t i = 0; i < n; ++i) docs["k" + std::to_string(i)] = std::to_string(i * 7);
    Collection model = docs;
    DocTree built = DocTree::build(std::move(docs), DocTree::new_session(), 0);
    expect_same(built, model, "n = " + std::to_string(n));
    uint64_t session = DocTree::new_session();
    built.put(session, "k5", "changed", 1);  // a built tree takes edits
    built.erase(session, "k0", 1);
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
      tree.erase(session, key, 1);
      model.erase(key);
    } else {
      tree.put(session, key, std::to_string(step), 1);
      model[key] = std::to_string(step);
    }
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    expect_same(kept[i].first, kept[i].second, "kept copy " + std::to_string(i));
  }
  expect_same(tree, model, "the edited tree");
}

// The keys scan(lower) visits, up to max of them.
std::vector<std::string> scanned(const DocTree& tree, std::string_view lower,
                                 size_t max) {
  std::vector<std::string> out;
  tree.scan(lower, [&out, max](const DocTree::Entry& entry) {
    out.push_back(entry.key);
    return out.size() < max;
  });
  return out;
}

std::vector<std::string> model_from(const Collection& model, std::string_view lower,
                                    size_t max) {
  std::vector<std::string> out;
  for (auto it = model.lower_bound(std::string(lower));
       it != model.end() && out.size() < max; ++it) {
    out.push_back(it->first);
  }
  return out;
}

// Seeks from keys present and absent, below the first and past the last, on
// trees of one leaf up to three levels, as puts and erases reshape them.
TEST(DocTreeTest, ScanFromAnyLowerBoundAndRankMatchAMap) {
  std::mt19937 rng(5);
  DocTree tree;
  Collection model;
  uint64_t session = DocTree::new_session();
  for (int step = 0; step < 12000; ++step) {
    std::string key = "k" + std::to_string(rng() % 4000);
    if (step > 8000 && rng() % 2 == 0) {
      tree.erase(session, key, 1);
      model.erase(key);
    } else {
      tree.put(session, key, "1", 1);
      model[key] = "1";
    }
    if (step % 97 != 0) continue;
    for (int probe = 0; probe < 8; ++probe) {
      std::string lower = probe == 0   ? ""
                          : probe == 1 ? "z"
                                       : "k" + std::to_string(rng() % 4100);
      size_t max = 1 + rng() % 40;
      ASSERT_EQ(scanned(tree, lower, max), model_from(model, lower, max))
          << "step " << step << ", from " << lower;
      auto below =
          static_cast<size_t>(std::distance(model.begin(), model.lower_bound(lower)));
      auto at_or_below =
          static_cast<size_t>(std::distance(model.begin(), model.upper_bound(lower)));
      ASSERT_EQ(tree.rank(lower), below) << lower;
      ASSERT_EQ(tree.rank(lower, true), at_or_below) << lower;
    }
  }
}

TEST(DocTreeTest, ScanOfAnEmptyTreeVisitsNothingAndReportsNoStop) {
  DocTree tree;
  EXPECT_FALSE(tree.scan("", [](const DocTree::Entry&) { return false; }));
  EXPECT_EQ(tree.rank("a", true), 0u);
}

TEST(DocTreeTest, EachDocumentKeepsTheSeqOfItsLastChangeAndEraseKeepsTheNewest) {
  Collection docs{{"a", "1"}, {"b", "2"}};
  DocTree tree = DocTree::build(std::move(docs), DocTree::new_session(), 7);
  EXPECT_EQ(tree.find_entry("a")->seq, 7u);  // a snapshot's seq, for each
  EXPECT_EQ(tree.erased_seq(), 7u);
  uint64_t session = DocTree::new_session();
  tree.put(session, "a", "10", 8);
  tree.put(session, "c", "3", 9);
  EXPECT_EQ(tree.find_entry("a")->seq, 8u);
  EXPECT_EQ(tree.find_entry("b")->seq, 7u);
  EXPECT_EQ(tree.find_entry("c")->seq, 9u);
  EXPECT_FALSE(tree.erase(session, "zz", 10));  // nothing erased, nothing noted
  EXPECT_EQ(tree.erased_seq(), 7u);
  EXPECT_TRUE(tree.erase(session, "b", 11));
  EXPECT_EQ(tree.erased_seq(), 11u);
  EXPECT_EQ(tree.find_entry("b"), nullptr);
}

// Splits and merges move entries between nodes: their seqs go with them.
TEST(DocTreeTest, SeqsSurviveSplitsMergesAndCopies) {
  DocTree tree;
  uint64_t session = DocTree::new_session();
  for (uint64_t i = 0; i < 3000; ++i)
    tree.put(session, "k" + std::to_string(i), "1", i + 1);
  DocTree kept = tree;
  session = DocTree::new_session();
  for (uint64_t i = 0; i < 3000; i += 2)
    tree.erase(session, "k" + std::to_string(i), 5000);
  for (uint64_t i = 1; i < 3000; i += 2) {
    ASSERT_EQ(tree.find_entry("k" + std::to_string(i))->seq, i + 1);
  }
  for (uint64_t i = 0; i < 3000; ++i)
    ASSERT_EQ(kept.find_entry("k" + std::to_string(i))->seq, i + 1);
  EXPECT_EQ(kept.erased_seq(), 0u);
}

}  // namespace
}  // namespace pa_journal
