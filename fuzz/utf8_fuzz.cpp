// Fuzz target: the UTF-8 stream splitter. Whatever the bytes and however they are split, every
// chunk is valid UTF-8 and offsets only move forward.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "term/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bosun::term::Utf8Stream stream(0);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t piece = data[0] % 16 + 1;
  uint64_t offset = 0;
  uint64_t last = 0;
  while (!rest.empty()) {
    size_t n = std::min(piece, rest.size());
    auto chunk = stream.feed(offset, rest.substr(0, n));
    if (!bosun::term::is_valid_utf8(chunk.text) || chunk.offset < last) std::abort();
    last = chunk.offset;
    offset += n;
    rest.remove_prefix(n);
  }
  if (!bosun::term::is_valid_utf8(stream.flush().text)) std::abort();
  if (!bosun::term::is_valid_utf8(bosun::term::sanitize_utf8(
          std::string_view(reinterpret_cast<const char*>(data), size)))) {
    std::abort();
  }
  return 0;
}
