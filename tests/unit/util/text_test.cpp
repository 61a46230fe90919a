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

}  // namespace
}  // namespace bosun
