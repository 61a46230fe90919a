// Fuzz target: the daemon's HTTP surface, end to end. Each input is raw bytes on one loopback
// connection to a real daemon (Beast's parser, the target and query decoding, Host/Origin
// checks, the router, token auth, every route family's JSON body, the store behind it). The
// seeds are requests per route family with @TOKEN@/@AGENT@/@HOST@ standing for real values.
// Inputs that would reach a route starting processes are not sent (see harmless()); a crash,
// a sanitizer report or a connection the daemon neither answers nor closes is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "support/live_daemon.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)bosun::fuzz::live_daemon();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes =
      bosun::fuzz::fill_placeholders(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!bosun::fuzz::harmless(bytes)) return -1;  // not added to the corpus
  bosun::fuzz::exchange(bytes);
  return 0;
}
