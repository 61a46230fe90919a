// Fuzz target: the terminal query filter, fed in pieces. It never returns more bytes than it
// was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "term/query_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bosun::term::QueryFilter filter;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t piece = data[0] % 32 + 1;
  size_t out = 0;
  while (!rest.empty()) {
    size_t n = std::min(piece, rest.size());
    out += filter.feed(rest.substr(0, n)).size();
    rest.remove_prefix(n);
  }
  out += filter.flush().size();
  if (out > size - 1) std::abort();
  return 0;
}
