// Ring: byte storage where the byte at absolute offset `o` lives at index `o % capacity`.
#include "term/ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace bosun::term {

Ring::Ring(size_t capacity)
    : buf_(new char[std::max<size_t>(capacity, 1)]), cap_(std::max<size_t>(capacity, 1)) {}

void Ring::append(std::string_view bytes) {
  const size_t cap = cap_;
  if (bytes.size() >= cap) {
    // Only the last `cap` bytes survive; place them where their offsets say.
    uint64_t new_end = end_ + bytes.size();
    std::string_view tail = bytes.substr(bytes.size() - cap);
    uint64_t first = new_end - cap;
    size_t idx = static_cast<size_t>(first % cap);
    size_t n1 = std::min(cap - idx, tail.size());
    std::memcpy(buf_.get() + idx, tail.data(), n1);
    std::memcpy(buf_.get(), tail.data() + n1, tail.size() - n1);
    end_ = new_end;
    size_ = cap;
    return;
  }
  size_t idx = index_of(end_);
  size_t n1 = std::min(cap - idx, bytes.size());
  std::memcpy(buf_.get() + idx, bytes.data(), n1);
  std::memcpy(buf_.get(), bytes.data() + n1, bytes.size() - n1);
  end_ += bytes.size();
  size_ = std::min(cap, size_ + bytes.size());
}

std::string_view Ring::peek(uint64_t from, size_t max) const {
  uint64_t start = start_offset();
  if (from < start) from = start;
  if (from >= end_ || max == 0) return {};
  uint64_t avail = end_ - from;
  size_t idx = index_of(from);
  size_t n = std::min<uint64_t>({avail, max, cap_ - idx});
  assert(n > 0);
  return {buf_.get() + idx, n};
}

std::string Ring::read(uint64_t from, size_t max) const {
  std::string out;
  uint64_t start = start_offset();
  if (from < start) from = start;
  while (out.size() < max) {
    std::string_view part = peek(from, max - out.size());
    if (part.empty()) break;
    out.append(part);
    from += part.size();
  }
  return out;
}

}  // namespace bosun::term
