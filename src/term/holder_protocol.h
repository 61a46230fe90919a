// Holder protocol: the framed messages on a holder's unix socket (transport-free codec).
//
// Frame = u32 big-endian N, then N bytes: one type byte and N-1 bytes of payload.
// 1 <= N <= kMaxFrameBytes; anything else is a protocol error. Integers are big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace bosun::term {

inline constexpr size_t kMaxFrameBytes = size_t{1} << 20;  // N: type byte + payload
inline constexpr size_t kFrameHeaderBytes = 4;

enum class FrameType : uint8_t {
  // client -> holder
  kAttach = 1,   // u64 from_offset: stream output from there
  kInput = 2,    // raw bytes for the PTY
  kResize = 3,   // u16 cols, u16 rows
  kSignal = 4,   // i32 signo, u8 target (SignalTarget)
  kStatus = 5,   // empty: ask for a kStatusReply
  kStop = 6,     // u32 grace_ms: stop the agent tree
  kCollect = 7,  // empty: the exit status is recorded; the holder may exit once the agent has
  // holder -> client
  kOutput = 16,       // u64 offset + bytes
  kGap = 17,          // u64 from, u64 to: bytes [from, to) are no longer in the ring
  kStatusReply = 18,  // HolderStatus as JSON
  // HolderStatus as JSON, once the agent exited and the PTY is drained. Sent to each client
  // that has sent at least one frame; to an attached client only after all output up to the
  // end of the stream. So send kAttach first (a kStatus first may get kExited before output).
  kExited = 19,
  kError = 20,  // UTF-8 text
};

// True for the types above. The decoder passes unknown types through (a newer peer may send
// them); the receiver answers them with kError.
bool is_known_frame_type(uint8_t type);
const char* frame_type_name(FrameType type);

enum class SignalTarget : uint8_t {
  kForeground = 0,  // the PTY's foreground process group (Ctrl-C semantics)
  kTree = 1,        // every process of the agent's tree
};

struct Frame {
  FrameType type = FrameType::kError;
  std::string payload;
};

enum class RunState { kRunning, kExited };
const char* run_state_name(RunState state);

// What kStatusReply and kExited carry.
struct HolderStatus {
  int pid = 0;  // the agent's pid
  RunState state = RunState::kRunning;
  std::optional<int> exit_code;      // set when the agent exited normally
  std::optional<int> signal;         // set when a signal killed the agent
  std::optional<std::string> error;  // e.g. "cannot run 'x': No such file or directory"
  int cols = 80;
  int rows = 24;
  uint64_t start_offset = 0;
  uint64_t end_offset = 0;
  std::vector<std::string> argv;
  std::string cwd;
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
  int holder_pid = 0;
};

nlohmann::json status_to_json(const HolderStatus& status);
Result<HolderStatus> status_from_json(const nlohmann::json& json);

// ---- encoding: each returns one complete frame, ready to write ----
std::string encode_frame(FrameType type, std::string_view payload);
std::string encode_attach(uint64_t from_offset);
std::string encode_input(std::string_view bytes);
std::string encode_resize(uint16_t cols, uint16_t rows);
std::string encode_signal(int32_t signo, SignalTarget target);
std::string encode_status_request();
std::string encode_stop(uint32_t grace_ms);
std::string encode_collect();
std::string encode_output(uint64_t offset, std::string_view bytes);
std::string encode_gap(uint64_t from, uint64_t to);
std::string encode_status_reply(const HolderStatus& status);
std::string encode_exited(const HolderStatus& status);
std::string encode_error(std::string_view message);

// Output payload bytes per kOutput frame that keep the frame within kMaxFrameBytes.
inline constexpr size_t kMaxOutputBytes = kMaxFrameBytes - 1 - 8;

// ---- payload parsing: a malformed payload is 400 `bad_frame` ----
struct ResizeRequest {
  uint16_t cols = 0;
  uint16_t rows = 0;
};
struct SignalRequest {
  int32_t signo = 0;
  SignalTarget target = SignalTarget::kForeground;
};
struct OutputChunk {
  uint64_t offset = 0;
  std::string_view bytes;  // a view into the frame's payload: valid while the Frame lives
};
struct GapRange {
  uint64_t from = 0;
  uint64_t to = 0;
};

Result<uint64_t> parse_attach(std::string_view payload);
Result<ResizeRequest> parse_resize(std::string_view payload);
Result<SignalRequest> parse_signal(std::string_view payload);
Result<uint32_t> parse_stop(std::string_view payload);
Result<OutputChunk> parse_output(std::string_view payload);
Result<GapRange> parse_gap(std::string_view payload);
// For kStatusReply and kExited.
Result<HolderStatus> parse_status(std::string_view payload);

// Incremental frame decoder: feed bytes as they arrive, then take frames with next().
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes = kMaxFrameBytes) : max_(max_frame_bytes) {}

  // Buffers bytes; ignored once the decoder has failed.
  void feed(std::string_view bytes);
  // The next complete frame, or nullopt when more bytes are needed or the decoder failed.
  std::optional<Frame> next();

  // A length of 0 or above the maximum: the stream cannot be resynchronised; close it.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes received but not yet returned as frames.
  size_t buffered() const { return buf_.size() - pos_; }
  // With nothing buffered, gives back the memory a large frame left behind.
  void release();

 private:
  size_t max_;
  std::string buf_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace bosun::term
