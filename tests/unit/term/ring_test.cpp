// Ring: offsets, wrap-around, clamping, and a randomized comparison with a plain string.
#include "term/ring.h"

#include <gtest/gtest.h>

#include <random>

namespace bosun::term {
namespace {

TEST(Ring, StartsEmpty) {
  Ring ring(16);
  EXPECT_EQ(ring.start_offset(), 0u);
  EXPECT_EQ(ring.end_offset(), 0u);
  EXPECT_EQ(ring.read(0, 100), "");
  EXPECT_EQ(ring.capacity(), 16u);
}

TEST(Ring, DefaultCapacityIsTwoMiB) {
  EXPECT_EQ(Ring().capacity(), size_t{2} << 20);
}

TEST(Ring, AppendsAndReadsWithinCapacity) {
  Ring ring(16);
  ring.append("hello ");
  ring.append("world");
  EXPECT_EQ(ring.start_offset(), 0u);
  EXPECT_EQ(ring.end_offset(), 11u);
  EXPECT_EQ(ring.read(0, 100), "hello world");
  EXPECT_EQ(ring.read(6, 3), "wor");
  EXPECT_EQ(ring.read(11, 3), "");
  EXPECT_EQ(ring.read(99, 3), "");
}

TEST(Ring, WrapsAndForgetsTheOldest) {
  Ring ring(8);
  ring.append("abcdef");
  ring.append("ghij");
  EXPECT_EQ(ring.start_offset(), 2u);
  EXPECT_EQ(ring.end_offset(), 10u);
  EXPECT_EQ(ring.size(), 8u);
  EXPECT_EQ(ring.read(0, 100), "cdefghij");  // clamped to the start
  EXPECT_EQ(ring.read(5, 3), "fgh");
  EXPECT_EQ(ring.read(7, 100), "hij");
}

TEST(Ring, PeekReturnsTheContiguousRun) {
  Ring ring(8);
  ring.append("abcdef");
  ring.append("ghij");  // "ij" wrapped to the front of the storage
  EXPECT_EQ(ring.peek(2, 100), "cdefgh");
  EXPECT_EQ(ring.peek(8, 100), "ij");
  EXPECT_EQ(ring.peek(3, 2), "de");
  EXPECT_EQ(ring.peek(10, 5), "");
}

TEST(Ring, AppendLargerThanCapacityKeepsTheTail) {
  Ring ring(4);
  ring.append("ab");
  ring.append("cdefghij");
  EXPECT_EQ(ring.start_offset(), 6u);
  EXPECT_EQ(ring.end_offset(), 10u);
  EXPECT_EQ(ring.read(0, 100), "ghij");
  ring.append("kl");
  EXPECT_EQ(ring.read(0, 100), "ijkl");
  EXPECT_EQ(ring.start_offset(), 8u);
}

TEST(Ring, ACapacityOfOneKeepsOnlyTheNewestByte) {
  Ring ring(1);
  ring.append("xyz");
  EXPECT_EQ(ring.read(0, 10), "z");
  EXPECT_EQ(ring.start_offset(), 2u);
}

TEST(Ring, RandomAppendsMatchAPlainString) {
  std::mt19937 rng(42);
  for (size_t cap : {1u, 7u, 64u, 1000u}) {
    Ring ring(cap);
    std::string all;
    for (int step = 0; step < 500; ++step) {
      std::string chunk(rng() % (2 * cap + 3), '\0');
      for (auto& ch : chunk)
        ch = static_cast<char>(rng());
      ring.append(chunk);
      all += chunk;
      ASSERT_EQ(ring.end_offset(), all.size());
      ASSERT_EQ(ring.start_offset(), all.size() - std::min(all.size(), cap));
      uint64_t from = all.empty() ? 0 : rng() % (all.size() + 2);
      size_t max = rng() % (cap + 5);
      uint64_t eff = std::max<uint64_t>(from, ring.start_offset());
      std::string want = eff >= all.size() ? "" : all.substr(eff, max);
      ASSERT_EQ(ring.read(from, max), want) << "cap " << cap << " step " << step;
    }
  }
}

}  // namespace
}  // namespace bosun::term
