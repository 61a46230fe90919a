// Holder protocol: big-endian framing, payload codecs and the incremental decoder.
#include "term/holder_protocol.h"

#include <fmt/format.h>

#include "util/json.h"

namespace bosun::term {
namespace {

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xFF);
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xFF);
}

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xFF);
}

uint64_t get_be(std::string_view in, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

// Starts a frame whose payload will be `payload_size` bytes: length + type.
std::string frame_header(FrameType type, size_t payload_size) {
  std::string out;
  out.reserve(kFrameHeaderBytes + 1 + payload_size);
  put_u32(out, static_cast<uint32_t>(payload_size + 1));
  out += static_cast<char>(type);
  return out;
}

tl::unexpected<Error> bad_frame(std::string message) {
  return bad_request("bad_frame", std::move(message));
}

Status expect_size(std::string_view payload, size_t size, const char* what) {
  if (payload.size() != size) {
    return bad_frame(
        fmt::format("{} payload must be {} bytes, got {}", what, size, payload.size()));
  }
  return {};
}

}  // namespace

bool is_known_frame_type(uint8_t type) {
  return (type >= 1 && type <= 7) || (type >= 16 && type <= 20);
}

const char* frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::kAttach:
      return "attach";
    case FrameType::kInput:
      return "input";
    case FrameType::kResize:
      return "resize";
    case FrameType::kSignal:
      return "signal";
    case FrameType::kStatus:
      return "status";
    case FrameType::kStop:
      return "stop";
    case FrameType::kCollect:
      return "collect";
    case FrameType::kOutput:
      return "output";
    case FrameType::kGap:
      return "gap";
    case FrameType::kStatusReply:
      return "status_reply";
    case FrameType::kExited:
      return "exited";
    case FrameType::kError:
      return "error";
  }
  return "unknown";
}

const char* run_state_name(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kExited:
      return "exited";
  }
  return "running";
}

nlohmann::json status_to_json(const HolderStatus& s) {
  auto opt = [](const auto& v) -> nlohmann::json {
    if (v) return *v;
    return nullptr;
  };
  return nlohmann::json{{"pid", s.pid},
                        {"state", run_state_name(s.state)},
                        {"exit_code", opt(s.exit_code)},
                        {"signal", opt(s.signal)},
                        {"error", opt(s.error)},
                        {"cols", s.cols},
                        {"rows", s.rows},
                        {"start_offset", s.start_offset},
                        {"end_offset", s.end_offset},
                        {"argv", s.argv},
                        {"cwd", s.cwd},
                        {"started_at_ms", s.started_at_ms},
                        {"ended_at_ms", opt(s.ended_at_ms)},
                        {"holder_pid", s.holder_pid}};
}

Result<HolderStatus> status_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return bad_frame("status must be a JSON object");
  HolderStatus s;
  try {
    s.pid = j.at("pid").get<int>();
    std::string state = j.at("state").get<std::string>();
    if (state == "running") {
      s.state = RunState::kRunning;
    } else if (state == "exited") {
      s.state = RunState::kExited;
    } else {
      return bad_frame("unknown state '" + state + "'");
    }
    if (!j.at("exit_code").is_null()) s.exit_code = j.at("exit_code").get<int>();
    if (!j.at("signal").is_null()) s.signal = j.at("signal").get<int>();
    if (!j.at("error").is_null()) s.error = j.at("error").get<std::string>();
    s.cols = j.at("cols").get<int>();
    s.rows = j.at("rows").get<int>();
    s.start_offset = j.at("start_offset").get<uint64_t>();
    s.end_offset = j.at("end_offset").get<uint64_t>();
    s.argv = j.at("argv").get<std::vector<std::string>>();
    s.cwd = j.at("cwd").get<std::string>();
    s.started_at_ms = j.at("started_at_ms").get<int64_t>();
    if (!j.at("ended_at_ms").is_null()) s.ended_at_ms = j.at("ended_at_ms").get<int64_t>();
    s.holder_pid = j.at("holder_pid").get<int>();
  } catch (const nlohmann::json::exception& e) {
    return bad_frame(std::string("malformed status: ") + e.what());
  }
  return s;
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out = frame_header(type, payload.size());
  out.append(payload);
  return out;
}

std::string encode_attach(uint64_t from_offset) {
  std::string out = frame_header(FrameType::kAttach, 8);
  put_u64(out, from_offset);
  return out;
}

std::string encode_input(std::string_view bytes) {
  return encode_frame(FrameType::kInput, bytes);
}

std::string encode_resize(uint16_t cols, uint16_t rows) {
  std::string out = frame_header(FrameType::kResize, 4);
  put_u16(out, cols);
  put_u16(out, rows);
  return out;
}

std::string encode_signal(int32_t signo, SignalTarget target) {
  std::string out = frame_header(FrameType::kSignal, 5);
  put_u32(out, static_cast<uint32_t>(signo));
  out += static_cast<char>(target);
  return out;
}

std::string encode_status_request() {
  return encode_frame(FrameType::kStatus, {});
}

std::string encode_stop(uint32_t grace_ms) {
  std::string out = frame_header(FrameType::kStop, 4);
  put_u32(out, grace_ms);
  return out;
}

std::string encode_collect() {
  return encode_frame(FrameType::kCollect, {});
}

std::string encode_output(uint64_t offset, std::string_view bytes) {
  std::string out = frame_header(FrameType::kOutput, 8 + bytes.size());
  put_u64(out, offset);
  out.append(bytes);
  return out;
}

std::string encode_gap(uint64_t from, uint64_t to) {
  std::string out = frame_header(FrameType::kGap, 16);
  put_u64(out, from);
  put_u64(out, to);
  return out;
}

std::string encode_status_reply(const HolderStatus& status) {
  return encode_frame(FrameType::kStatusReply, dump_json(status_to_json(status)));
}

std::string encode_exited(const HolderStatus& status) {
  return encode_frame(FrameType::kExited, dump_json(status_to_json(status)));
}

std::string encode_error(std::string_view message) {
  return encode_frame(FrameType::kError, message.substr(0, kMaxFrameBytes - 1));
}

Result<uint64_t> parse_attach(std::string_view payload) {
  if (auto ok = expect_size(payload, 8, "attach"); !ok) return tl::unexpected(ok.error());
  return get_be(payload, 0, 8);
}

Result<ResizeRequest> parse_resize(std::string_view payload) {
  if (auto ok = expect_size(payload, 4, "resize"); !ok) return tl::unexpected(ok.error());
  return ResizeRequest{static_cast<uint16_t>(get_be(payload, 0, 2)),
                       static_cast<uint16_t>(get_be(payload, 2, 2))};
}

Result<SignalRequest> parse_signal(std::string_view payload) {
  if (auto ok = expect_size(payload, 5, "signal"); !ok) return tl::unexpected(ok.error());
  auto target = static_cast<uint8_t>(payload[4]);
  if (target > 1) return bad_frame(fmt::format("unknown signal target {}", target));
  return SignalRequest{static_cast<int32_t>(static_cast<uint32_t>(get_be(payload, 0, 4))),
                       static_cast<SignalTarget>(target)};
}

Result<uint32_t> parse_stop(std::string_view payload) {
  if (auto ok = expect_size(payload, 4, "stop"); !ok) return tl::unexpected(ok.error());
  return static_cast<uint32_t>(get_be(payload, 0, 4));
}

Result<OutputChunk> parse_output(std::string_view payload) {
  if (payload.size() < 8) return bad_frame("output payload shorter than its offset");
  return OutputChunk{get_be(payload, 0, 8), payload.substr(8)};
}

Result<GapRange> parse_gap(std::string_view payload) {
  if (auto ok = expect_size(payload, 16, "gap"); !ok) return tl::unexpected(ok.error());
  GapRange gap{get_be(payload, 0, 8), get_be(payload, 8, 8)};
  if (gap.from > gap.to) return bad_frame("gap ends before it starts");
  return gap;
}

Result<HolderStatus> parse_status(std::string_view payload) {
  auto json = parse_json(payload);
  if (!json) return bad_frame("status is not JSON: " + json.error().message);
  return status_from_json(*json);
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return;
  // Compact before growing so the buffer stays about one frame long.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

void FrameDecoder::release() {
  if (buffered() == 0 && buf_.capacity() > 4096) {
    std::string().swap(buf_);
    pos_ = 0;
  }
}

std::optional<Frame> FrameDecoder::next() {
  if (failed() || buffered() < kFrameHeaderBytes) return std::nullopt;
  uint64_t n = get_be(buf_, pos_, kFrameHeaderBytes);
  if (n == 0 || n > max_) {
    error_ = n == 0 ? "frame with length 0"
                    : fmt::format("frame of {} bytes exceeds the limit of {}", n, max_);
    buf_.clear();
    pos_ = 0;
    return std::nullopt;
  }
  if (buffered() < kFrameHeaderBytes + n) return std::nullopt;
  Frame frame;
  frame.type = static_cast<FrameType>(static_cast<unsigned char>(buf_[pos_ + kFrameHeaderBytes]));
  frame.payload.assign(buf_, pos_ + kFrameHeaderBytes + 1, n - 1);
  pos_ += kFrameHeaderBytes + n;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return frame;
}

}  // namespace bosun::term
