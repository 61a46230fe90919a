// Fuzz target: WebSocket frames from a client, end to end. The first byte picks the stream —
// the event stream or the terminal of an agent that is not running — whose upgrade request the
// harness writes; the rest of the input follows the handshake as raw frames (Beast's frame
// parser, masking, fragmentation, control frames, close codes, then bosun's handling of each
// message: the terminal's JSON input/resize/interrupt and raw binary input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "support/live_daemon.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)bosun::fuzz::live_daemon();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  const char* path =
      (data[0] & 1) ? "/api/v1/agents/@AGENT_ID@/terminal" : "/api/v1/events?since=0";
  std::string bytes = bosun::fuzz::fill_placeholders(
      std::string("GET ") + path +
      " HTTP/1.1\r\nHost: @HOST@\r\nAuthorization: Bearer @TOKEN@\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  size_t handshake = bytes.size();
  bytes.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  bosun::fuzz::exchange(bytes, handshake);
  return 0;
}
