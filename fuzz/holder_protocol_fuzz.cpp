// Fuzz target: the holder protocol's frame decoder, fed in pieces whose sizes the input picks.
// Every frame it returns is within the size limit; a failed decoder returns nothing more.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "term/holder_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bosun::term::FrameDecoder decoder(4096);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t piece = data[0] % 64 + 1;
  while (!rest.empty()) {
    size_t n = std::min(piece, rest.size());
    decoder.feed(rest.substr(0, n));
    rest.remove_prefix(n);
    while (auto frame = decoder.next()) {
      if (frame->payload.size() + 1 > 4096) std::abort();
      (void)bosun::term::frame_type_name(frame->type);
    }
    if (decoder.failed() && decoder.next()) std::abort();
  }
  return 0;
}
