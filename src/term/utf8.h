// Utf8Stream: turns a raw byte stream into valid UTF-8 chunks that carry their stream offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bosun::term {

struct Utf8Chunk {
  uint64_t offset = 0;  // absolute offset of the first raw byte that `text` represents
  std::string text;     // always valid UTF-8 (possibly empty)
};

// Decoding follows the Unicode "maximal subpart" practice (as WHATWG and most terminals do):
// each maximal ill-formed subsequence (stray continuation byte, overlong lead C0/C1/E0 8x/F0 8x,
// surrogate ED A0.., code point above U+10FFFF, truncated sequence) becomes one U+FFFD. The
// output is independent of how the input is split into feeds. A pure function of its input:
// no clock, no globals, no allocation beyond the returned text.
class Utf8Stream {
 public:
  explicit Utf8Stream(uint64_t offset = 0) : pending_offset_(offset) {}

  // Decodes `bytes`, which start at absolute offset `offset`. A trailing incomplete but so far
  // valid sequence (at most 3 bytes) is held back for the next feed. The returned chunk starts
  // with the bytes held back from the previous feed. If `offset` is not next_offset() the stream
  // had a gap: the held-back bytes are dropped (as by reset(offset)) before decoding.
  Utf8Chunk feed(uint64_t offset, std::string_view bytes);

  // End of stream: held-back bytes become one U+FFFD.
  Utf8Chunk flush();

  // Drops held-back bytes and expects the next feed at `offset` (after a gap).
  void reset(uint64_t offset);

  // Where the next feed's bytes are expected to start.
  uint64_t next_offset() const { return pending_offset_ + pending_size_; }
  // Offset of the first held-back byte, i.e. where the next chunk's text will start.
  uint64_t pending_offset() const { return pending_offset_; }
  size_t pending_size() const { return pending_size_; }

 private:
  uint64_t pending_offset_ = 0;
  size_t pending_size_ = 0;
  char pending_[4] = {};
};

// Decodes a complete byte string (feed + flush): invalid sequences become U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace bosun::term
