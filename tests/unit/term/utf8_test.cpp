// Utf8Stream: strict decoding, held-back split sequences and offset bookkeeping.
#include "term/utf8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace bosun::term {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string rep(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += kFffd;
  return s;
}

// Feeds `input` in pieces cut at `cuts` and checks the offset contract on the way.
std::string feed_in_pieces(std::string_view input, const std::vector<size_t>& cuts,
                           uint64_t base = 0) {
  Utf8Stream stream(base);
  std::string out;
  size_t prev = 0;
  std::vector<size_t> bounds = cuts;
  bounds.push_back(input.size());
  for (size_t cut : bounds) {
    uint64_t expected_chunk_offset = stream.pending_offset();
    EXPECT_EQ(stream.next_offset(), base + prev);
    auto chunk = stream.feed(base + prev, input.substr(prev, cut - prev));
    EXPECT_EQ(chunk.offset, expected_chunk_offset);
    EXPECT_TRUE(is_valid_utf8(chunk.text));
    EXPECT_LE(stream.pending_size(), 3u);
    EXPECT_EQ(stream.next_offset(), base + cut);
    out += chunk.text;
    prev = cut;
  }
  uint64_t tail_offset = stream.pending_offset();
  auto tail = stream.flush();
  EXPECT_EQ(tail.offset, tail_offset);
  EXPECT_EQ(stream.pending_size(), 0u);
  EXPECT_EQ(stream.pending_offset(), base + input.size());
  out += tail.text;
  return out;
}

TEST(Utf8, AsciiPassesThroughWithOffsets) {
  Utf8Stream s(100);
  auto c = s.feed(100, "hello");
  EXPECT_EQ(c.offset, 100u);
  EXPECT_EQ(c.text, "hello");
  EXPECT_EQ(s.next_offset(), 105u);
  auto d = s.feed(105, " world");
  EXPECT_EQ(d.offset, 105u);
  EXPECT_EQ(d.text, " world");
}

TEST(Utf8, ValidMultiByteCharactersPassThrough) {
  std::string text = "a\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBD z";
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(sanitize_utf8(text), text);
}

TEST(Utf8, SplitSequenceIsHeldBackAndStartsTheNextChunk) {
  Utf8Stream s;
  auto a = s.feed(0, "ab\xE4\xB8");  // "中" = E4 B8 AD
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.text, "ab");
  EXPECT_EQ(s.pending_size(), 2u);
  EXPECT_EQ(s.pending_offset(), 2u);
  auto b = s.feed(4, "\xAD!");
  EXPECT_EQ(b.offset, 2u);  // the first raw byte it represents is the held-back E4
  EXPECT_EQ(b.text, "\xE4\xB8\xAD!");
  EXPECT_EQ(s.next_offset(), 6u);
}

TEST(Utf8, EveryByteAloneStillDecodes) {
  std::string text = "x\xF0\x9F\x98\x80y\xE2\x82\xAC\xC3\xA9";
  Utf8Stream s;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = s.feed(i, text.substr(i, 1));
    EXPECT_TRUE(is_valid_utf8(c.text));
    out += c.text;
  }
  out += s.flush().text;
  EXPECT_EQ(out, text);
}

TEST(Utf8, EverySplitPointOfMultiByteCharacters) {
  const std::string text =
      "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"
      "a\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"
      "\xE0\xA0\x80\xC2\x80";
  ASSERT_TRUE(is_valid_utf8(text));
  for (size_t i = 0; i <= text.size(); ++i) {
    EXPECT_EQ(feed_in_pieces(text, {i}), text) << "split at " << i;
    for (size_t j = i; j <= text.size(); ++j) {
      ASSERT_EQ(feed_in_pieces(text, {i, j}, 7), text) << "splits at " << i << "," << j;
    }
  }
}

struct Case {
  std::string input;
  std::string expected;
};

TEST(Utf8, InvalidSequencesBecomeOneReplacementPerMaximalSubpart) {
  const std::vector<Case> cases = {
      {"\x80", rep(1)},  // stray continuation
      {"a\xBF"
       "b",
       "a" + rep(1) + "b"},          // stray continuation
      {"\xC0\x80", rep(2)},          // overlong NUL: C0 never leads
      {"\xC1\xBF", rep(2)},          // overlong
      {"\xE0\x80\x80", rep(3)},      // overlong 3-byte
      {"\xE0\x9F\xBF", rep(3)},      // overlong 3-byte (just below U+0800)
      {"\xED\xA0\x80", rep(3)},      // surrogate U+D800
      {"\xED\xBF\xBF", rep(3)},      // surrogate U+DFFF
      {"\xF0\x80\x80\x80", rep(4)},  // overlong 4-byte
      {"\xF0\x8F\xBF\xBF", rep(4)},  // overlong 4-byte
      {"\xF4\x90\x80\x80", rep(4)},  // above U+10FFFF
      {"\xF5\x80\x80\x80", rep(4)},  // F5 never leads
      {"\xFE\xFF", rep(2)},          // never valid
      {"\xE2\x82"
       "A",
       rep(1) + "A"},  // truncated 3-byte: one U+FFFD
      {"\xF0\x9F\x98"
       "A",
       rep(1) + "A"},  // truncated 4-byte: one U+FFFD
      {"\xF0\x9F"
       "\xE2\x82\xAC",
       rep(1) + "\xE2\x82\xAC"},  // truncated then valid
      {"\xC3"
       "\xC3\xA9",
       rep(1) + "\xC3\xA9"},
      {"\xF0\x9F\x98", rep(1)},  // truncated at end of stream (flush)
      {"\xE1\x80", rep(1)},
      {"\xC2", rep(1)},
      {std::string("a\0b", 3), std::string("a\0b", 3)},  // NUL is valid
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sanitize_utf8(c.input), c.expected) << "input size " << c.input.size();
    EXPECT_FALSE(c.input != c.expected && is_valid_utf8(c.input));
    // Same result however the input is split.
    for (size_t i = 0; i <= c.input.size(); ++i) {
      EXPECT_EQ(feed_in_pieces(c.input, {i}), c.expected) << "split at " << i;
    }
  }
}

TEST(Utf8, InvalidLeadIsNotHeldBack) {
  Utf8Stream s;
  auto c = s.feed(0, "a\xE0\x80");  // E0 80 can never complete
  EXPECT_EQ(c.text, "a" + rep(2));
  EXPECT_EQ(s.pending_size(), 0u);
}

TEST(Utf8, FlushTurnsHeldBackBytesIntoOneReplacement) {
  Utf8Stream s;
  EXPECT_EQ(s.feed(0, "ok\xF0\x9F\x98").text, "ok");
  auto tail = s.flush();
  EXPECT_EQ(tail.offset, 2u);
  EXPECT_EQ(tail.text, rep(1));
  EXPECT_EQ(s.next_offset(), 5u);
  auto empty = s.flush();
  EXPECT_EQ(empty.offset, 5u);
  EXPECT_EQ(empty.text, "");
}

TEST(Utf8, GapDropsHeldBackBytes) {
  Utf8Stream s;
  EXPECT_EQ(s.feed(0, "ab\xE4\xB8").text, "ab");
  auto c = s.feed(100, "cd");  // bytes [4, 100) were lost
  EXPECT_EQ(c.offset, 100u);
  EXPECT_EQ(c.text, "cd");
  EXPECT_EQ(s.next_offset(), 102u);
}

TEST(Utf8, ResetStartsOverAtTheGivenOffset) {
  Utf8Stream s;
  EXPECT_EQ(s.feed(0, "\xE4").text, "");
  s.reset(50);
  EXPECT_EQ(s.pending_size(), 0u);
  EXPECT_EQ(s.next_offset(), 50u);
  auto c = s.feed(50, "\xB8\xAD");  // continuation bytes without their lead
  EXPECT_EQ(c.offset, 50u);
  EXPECT_EQ(c.text, rep(2));
}

TEST(Utf8, EmptyFeedChangesNothing) {
  Utf8Stream s;
  EXPECT_EQ(s.feed(0, "\xC3").text, "");
  auto c = s.feed(1, "");
  EXPECT_EQ(c.offset, 0u);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(s.pending_size(), 1u);
  EXPECT_EQ(s.feed(1, "\xA9").text, "\xC3\xA9");
}

TEST(Utf8, IsValidRejectsWhatTheDecoderReplaces) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(is_valid_utf8("\xE4\xB8"));
}

// Random input, random splits: the output is valid UTF-8, the same as one-shot decoding,
// and every chunk's offset is where the previous one ended.
void check_random(std::mt19937& rng, const std::string& input) {
  std::vector<size_t> cuts;
  size_t pieces = rng() % 6;
  for (size_t k = 0; k < pieces; ++k)
    cuts.push_back(input.empty() ? 0 : rng() % (input.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  std::string once = sanitize_utf8(input);
  ASSERT_TRUE(is_valid_utf8(once));
  ASSERT_EQ(feed_in_pieces(input, cuts, rng() % 1000), once);
}

TEST(Utf8, RandomBytesAlwaysGiveValidConsistentOutput) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input(rng() % 40, '\0');
    for (auto& ch : input)
      ch = static_cast<char>(rng());
    check_random(rng, input);
    if (HasFatalFailure()) return;
  }
}

TEST(Utf8, RandomNearlyValidTextAlwaysGivesValidConsistentOutput) {
  // Pieces of valid sequences and boundary bytes, so truncations and bad continuations abound.
  const std::vector<std::string> atoms = {"a",
                                          "\n",
                                          "\xC3\xA9",
                                          "\xE4\xB8\xAD",
                                          "\xF0\x9F\x98\x80",
                                          "\xF4\x8F\xBF\xBF",
                                          "\xC3",
                                          "\xE4\xB8",
                                          "\xF0\x9F",
                                          "\x80",
                                          "\xBF",
                                          "\xC0",
                                          "\xC1",
                                          "\xE0",
                                          "\xED",
                                          "\xF0",
                                          "\xF4",
                                          "\xF5",
                                          "\xFF",
                                          "\xA0",
                                          "\x9F",
                                          "\x90",
                                          "\x8F"};
  std::mt19937 rng(99);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input;
    size_t n = rng() % 12;
    for (size_t k = 0; k < n; ++k)
      input += atoms[rng() % atoms.size()];
    check_random(rng, input);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace bosun::term
