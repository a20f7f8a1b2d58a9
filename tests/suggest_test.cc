// tools/suggest.h: the nearest names the command line suggests for a
// mistyped command, option or collection.
#include "tools/suggest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pa_journal::cli {
namespace {

using Names = std::vector<std::string>;

const Names kCommands = {"put",    "patch",   "delete", "get",     "list",
                         "apply",  "inspect", "verify", "compact", "backups",
                         "replay", "export",  "import", "restore", "history"};

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("list", "list"), 0u);
  EXPECT_EQ(edit_distance("lst", "list"), 1u);           // insertion
  EXPECT_EQ(edit_distance("lisst", "list"), 1u);         // deletion
  EXPECT_EQ(edit_distance("lust", "list"), 1u);          // substitution
  EXPECT_EQ(edit_distance("contcats", "contacts"), 1u);  // adjacent swap
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(EditDistanceTest, IgnoresTheCaseOfAsciiLetters) {
  EXPECT_EQ(edit_distance("Contacts", "contacts"), 0u);
}

TEST(NearestNamesTest, SuggestsTheCommandOneEditAway) {
  EXPECT_EQ(nearest_names("lst", kCommands), Names{"list"});
  EXPECT_EQ(nearest_names("gte", kCommands), Names{"get"});
}

TEST(NearestNamesTest, KeepsOnlyTheClosestNames) {
  // "lst": list at distance 1, put and get at 2.
  EXPECT_EQ(nearest_names("lst", kCommands), Names{"list"});
  EXPECT_EQ(nearest_names("note", Names{"nodes", "notes"}), Names{"notes"});
  EXPECT_EQ(nearest_names("ls", kCommands), Names{"list"});
}

TEST(NearestNamesTest, SuggestsANameTheWordStarts) {
  EXPECT_EQ(nearest_names("hist", kCommands), Names{"history"});
}

TEST(NearestNamesTest, SuggestsNothingForAFarWord) {
  EXPECT_TRUE(nearest_names("frobnicate", kCommands).empty());
  EXPECT_TRUE(nearest_names("zz", kCommands).empty());
}

TEST(NearestNamesTest, NeverSuggestsTheWordItself) {
  EXPECT_TRUE(nearest_names("list", Names{"list"}).empty());
}

TEST(NearestNamesTest, KeepsAtMostTheLimit) {
  Names names = {"ab1", "ab2", "ab3", "ab4"};
  EXPECT_EQ(nearest_names("ab", names, 2).size(), 2u);
}

TEST(DidYouMeanTest, NamesOneOrSeveralNamesOrNothing) {
  EXPECT_EQ(did_you_mean("lst", kCommands), "; did you mean list?");
  EXPECT_EQ(did_you_mean("--jsn", Names{"--json", "--dir"}), "; did you mean --json?");
  EXPECT_EQ(did_you_mean("cat", Names{"bat", "hat"}), "; did you mean bat or hat?");
  EXPECT_EQ(did_you_mean("frobnicate", kCommands), "");
}

}  // namespace
}  // namespace pa_journal::cli
