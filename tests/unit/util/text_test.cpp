// Text: shorten() never splits a UTF-8 sequence.
#include "util/text.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(Text, ShortenKeepsShortTextAndCutsOnACharacterBoundary) {
  EXPECT_EQ(shorten("hello", 5), "hello");
  EXPECT_EQ(shorten("hello!", 5), "hello…");
  // "é" is two bytes (c3 a9): a cut at byte 2 would split it, so it backs up before it.
  EXPECT_EQ(shorten("aé-b", 2), "a…");
  EXPECT_EQ(shorten("aé-b", 3), "aé…");
  EXPECT_EQ(shorten("✢✢", 4), "✢…");  // three bytes each
  EXPECT_EQ(shorten("", 0), "");
}

TEST(Text, FirstLineIsASubjectWithinItsLimit) {
  EXPECT_EQ(first_line("Done\nwith details", 200), "Done");
  EXPECT_EQ(first_line("a\tb\x7f", 200), "a b ");
  EXPECT_EQ(first_line("abcdef", 6), "abcdef");
  // Longer: cut so that with "…" it is still within the limit, never mid-character.
  EXPECT_EQ(first_line("abcdefg", 6), "abc…");
  EXPECT_EQ(first_line("ééééé", 8), "éé…");
  EXPECT_LE(first_line(std::string(300, 'x'), 200).size(), 200u);
}

TEST(Text, PercentEncodeLeavesOnlyUnreservedBytesPlain) {
  EXPECT_EQ(percent_encode("t_ab-12.x~"), "t_ab-12.x~");
  EXPECT_EQ(percent_encode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
  EXPECT_EQ(percent_encode("é"), "%C3%A9");
}

TEST(Text, NearestWordsAreTheCommandsATypoMeant) {
  EXPECT_EQ(edit_distance("agnet", "agent"), 1u);  // a swap of two neighbours is one change
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  const std::vector<std::string> commands{"add", "list", "rm", "show", "agent", "approve"};
  EXPECT_EQ(nearest_words("lst", commands), (std::vector<std::string>{"list"}));
  EXPECT_EQ(nearest_words("ad", commands), (std::vector<std::string>{"add"}));  // not rm
  EXPECT_EQ(nearest_words("ap", commands), (std::vector<std::string>{"approve"}));
  EXPECT_EQ(nearest_words("agnet", commands), (std::vector<std::string>{"agent"}));
  EXPECT_TRUE(nearest_words("xyzzy", commands).empty());
}

}  // namespace
}  // namespace bosun
