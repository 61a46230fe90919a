// Utf8Stream: a strict UTF-8 decoder (Unicode table 3-7) that holds back split sequences.
#include "term/utf8.h"

#include <cassert>
#include <cstring>

namespace bosun::term {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// For a lead byte: how many continuation bytes follow and the allowed range of the first one
// (the later ones are always 80..BF). need == 0 means the byte cannot start a sequence.
struct Lead {
  int need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
};

Lead lead_of(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};  // excludes overlongs
  if (b == 0xED) return {2, 0x80, 0x9F};  // excludes surrogates
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};  // excludes overlongs
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};  // excludes > U+10FFFF
  return {};
}

// Decodes `in` and appends to `out`. Returns how many bytes at the end of `in` were held back
// (a valid but incomplete sequence); with `final` nothing is held back.
size_t decode(std::string_view in, bool final, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: a run of ASCII.
    size_t run = i;
    while (run < n && p[run] < 0x80)
      ++run;
    if (run > i) {
      out.append(in.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    Lead lead = lead_of(p[i]);
    if (lead.need == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool complete = true;
    for (int k = 0; k < lead.need; ++k, ++j) {
      if (j >= n) {
        if (!final) return n - i;  // hold back the valid prefix in[i, n)
        complete = false;
        break;
      }
      unsigned char lo = k == 0 ? lead.lo : 0x80;
      unsigned char hi = k == 0 ? lead.hi : 0xBF;
      if (p[j] < lo || p[j] > hi) {
        complete = false;
        break;
      }
    }
    if (complete) {
      out.append(in.data() + i, j - i);
    } else {
      out.append(kReplacement);  // one U+FFFD for the maximal subpart in[i, j)
    }
    i = j;
  }
  return 0;
}

}  // namespace

Utf8Chunk Utf8Stream::feed(uint64_t offset, std::string_view bytes) {
  if (offset != next_offset()) reset(offset);
  Utf8Chunk chunk;
  chunk.offset = pending_offset_;
  chunk.text.reserve(bytes.size() + pending_size_ + 8);
  size_t held = 0;
  size_t total = pending_size_ + bytes.size();
  if (pending_size_ == 0) {
    held = decode(bytes, false, chunk.text);
  } else {
    // Rare: a sequence was split. Decode the joined input.
    std::string joined(pending_, pending_size_);
    joined.append(bytes);
    held = decode(joined, false, chunk.text);
  }
  assert(held <= 3 && held <= total);
  // The held-back bytes are always the last `held` bytes of pending_ + bytes.
  char tail[4] = {};
  for (size_t k = 0; k < held; ++k) {
    size_t pos = total - held + k;
    tail[k] = pos < pending_size_ ? pending_[pos] : bytes[pos - pending_size_];
  }
  std::memcpy(pending_, tail, sizeof tail);
  pending_offset_ += total - held;
  pending_size_ = held;
  return chunk;
}

Utf8Chunk Utf8Stream::flush() {
  Utf8Chunk chunk;
  chunk.offset = pending_offset_;
  decode(std::string_view(pending_, pending_size_), true, chunk.text);
  pending_offset_ += pending_size_;
  pending_size_ = 0;
  return chunk;
}

void Utf8Stream::reset(uint64_t offset) {
  pending_offset_ = offset;
  pending_size_ = 0;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  decode(bytes, true, out);
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Lead lead = lead_of(p[i]);
    // Invalid lead, or the sequence runs past the end.
    if (lead.need == 0 || i + static_cast<size_t>(lead.need) >= n) return false;
    for (int k = 0; k < lead.need; ++k) {
      unsigned char c = p[i + 1 + static_cast<size_t>(k)];
      if (c < (k == 0 ? lead.lo : 0x80) || c > (k == 0 ? lead.hi : 0xBF)) return false;
    }
    i += 1 + static_cast<size_t>(lead.need);
  }
  return true;
}

}  // namespace bosun::term
