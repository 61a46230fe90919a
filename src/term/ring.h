// Ring: a fixed-capacity byte ring buffer addressed by absolute stream offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::term {

class Ring {
 public:
  static constexpr size_t kDefaultCapacity = size_t{2} << 20;  // 2 MiB

  // `capacity` must be at least 1.
  explicit Ring(size_t capacity = kDefaultCapacity);

  // Appends bytes; the oldest bytes beyond the capacity are forgotten.
  void append(std::string_view bytes);

  // Offset of the oldest byte still held (== end_offset() when empty).
  uint64_t start_offset() const { return end_ - size_; }
  // Offset one past the newest byte (the total number of bytes ever appended).
  uint64_t end_offset() const { return end_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }

  // Up to `max` bytes starting at max(from, start_offset()); empty when from >= end_offset().
  // The caller detects a gap by comparing `from` with start_offset() first.
  std::string read(uint64_t from, size_t max) const;

  // Like read() but without copying: the longest contiguous run (at most `max` bytes) that
  // starts at max(from, start_offset()). Valid until the next append().
  std::string_view peek(uint64_t from, size_t max) const;

 private:
  // Index in buf_ of the byte at absolute offset `offset` (which must be held).
  size_t index_of(uint64_t offset) const { return static_cast<size_t>(offset % cap_); }

  // Not zero-filled: pages of a ring an agent never fills are never touched (or resident).
  std::unique_ptr<char[]> buf_;
  size_t cap_;
  uint64_t end_ = 0;
  size_t size_ = 0;
};

}  // namespace bosun::term
