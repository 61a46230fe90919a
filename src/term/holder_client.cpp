// HolderClient: frames out through one writer coroutine, frames in through one reader.
#include "term/holder_client.h"

#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace bosun::term {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

std::shared_ptr<HolderClient> HolderClient::create(asio::io_context& io, std::string socket_path,
                                                   std::string agent_id, Log& log) {
  return std::shared_ptr<HolderClient>(
      new HolderClient(io, std::move(socket_path), std::move(agent_id), log));
}

HolderClient::HolderClient(asio::io_context& io, std::string socket_path, std::string agent_id,
                           Log& log)
    : io_(io),
      socket_(io),
      path_(std::move(socket_path)),
      agent_id_(std::move(agent_id)),
      log_(log) {}

asio::awaitable<Status> HolderClient::connect() {
  auto [ec] = co_await socket_.async_connect(local::endpoint(path_), kNoThrow);
  if (ec) {
    co_return not_found("holder_gone", "no holder answers on " + path_ + ": " + ec.message());
  }
  connected_ = true;
  co_return Status{};
}

void HolderClient::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  asio::co_spawn(io_, read_loop(), asio::detached);
  if (!queue_.empty() && !writing_) {
    writing_ = true;
    asio::co_spawn(io_, write_loop(), asio::detached);
  }
}

void HolderClient::input(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t n = std::min(bytes.size(), kMaxFrameBytes - 1);
    send(encode_input(bytes.substr(0, n)));
    bytes.remove_prefix(n);
  }
}

void HolderClient::send(std::string frame) {
  if (closed_) return;
  queued_ += frame.size();
  queue_.push_back(std::move(frame));
  if (connected_ && !writing_) {
    writing_ = true;
    asio::co_spawn(io_, write_loop(), asio::detached);
  }
}

asio::awaitable<void> HolderClient::write_loop() {
  auto self = shared_from_this();
  while (!queue_.empty() && !closed_) {
    std::string frame = std::move(queue_.front());
    queue_.pop_front();
    queued_ -= frame.size();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(frame), kNoThrow);
    if (ec) {
      disconnect("write to holder failed: " + ec.message());
      break;
    }
  }
  writing_ = false;
}

asio::awaitable<void> HolderClient::read_loop() {
  auto self = shared_from_this();
  // The read buffer follows the traffic: 64 KiB while reads fill it, 4 KiB once they do not,
  // so an idle agent (most of a crew, most of the time) holds 4 KiB here, not 64.
  constexpr size_t kSmall = size_t{4} * 1024;
  constexpr size_t kLarge = size_t{64} * 1024;
  std::vector<char> buf(kSmall);
  while (!closed_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) {
      disconnect(ec == asio::error::eof ? "holder closed the connection"
                                        : "read from holder failed: " + ec.message());
      break;
    }
    decoder_.feed(std::string_view(buf.data(), n));
    // The output frames of one read reach on_output as one chunk while they are contiguous:
    // a screen fed a large chunk skips what scrolls out of sight (term::Screen), one fed the
    // holder's 4 KiB reads one by one scrolls libvterm's whole buffer for every line.
    std::string merged;
    uint64_t merged_at = 0;
    auto flush = [&] {
      if (merged.empty()) return;
      if (handlers_.on_output) handlers_.on_output(merged_at, merged);
      merged.clear();
    };
    while (auto frame = decoder_.next()) {
      if (frame->type == FrameType::kOutput) {
        auto chunk = parse_output(frame->payload);
        if (!chunk) continue;
        if (!merged.empty() && merged_at + merged.size() != chunk->offset) flush();
        if (closed_) co_return;
        if (merged.empty()) merged_at = chunk->offset;
        merged.append(chunk->bytes);
        continue;
      }
      flush();
      if (closed_) co_return;
      dispatch(*frame);
      if (closed_) co_return;
    }
    flush();
    if (closed_) co_return;
    if (decoder_.failed()) {
      disconnect("holder protocol error: " + decoder_.error());
      break;
    }
    if (n == buf.size() && buf.size() < kLarge) {
      buf.resize(kLarge);
    } else if (n < kSmall) {
      if (buf.size() > kSmall) std::vector<char>(kSmall).swap(buf);
      decoder_.release();
    }
  }
}

void HolderClient::dispatch(const Frame& frame) {
  switch (frame.type) {
    case FrameType::kOutput: {
      auto chunk = parse_output(frame.payload);
      if (chunk && handlers_.on_output) handlers_.on_output(chunk->offset, chunk->bytes);
      return;
    }
    case FrameType::kGap: {
      auto gap = parse_gap(frame.payload);
      if (gap && handlers_.on_gap) handlers_.on_gap(gap->from, gap->to);
      return;
    }
    case FrameType::kStatusReply: {
      auto status = parse_status(frame.payload);
      if (status && handlers_.on_status) handlers_.on_status(*status);
      return;
    }
    case FrameType::kExited: {
      auto status = parse_status(frame.payload);
      if (status && handlers_.on_exited) handlers_.on_exited(*status);
      return;
    }
    case FrameType::kError:
      if (handlers_.on_error) handlers_.on_error(frame.payload);
      return;
    case FrameType::kAttach:
    case FrameType::kInput:
    case FrameType::kResize:
    case FrameType::kSignal:
    case FrameType::kStatus:
    case FrameType::kStop:
    case FrameType::kCollect:
      log_.warn("holder.unexpected_frame",
                {{"agent", agent_id_}, {"type", frame_type_name(frame.type)}});
      return;
  }
  log_.warn("holder.unknown_frame", {{"agent", agent_id_}});
}

void HolderClient::disconnect(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  boost::system::error_code ec;
  socket_.close(ec);
  queue_.clear();
  queued_ = 0;
  log_.debug("holder.disconnect", {{"agent", agent_id_}, {"reason", reason}});
  // Posted: we may be inside one of the handlers now, and the owner may destroy us from
  // the disconnect handler.
  asio::post(io_, [self = shared_from_this(), reason] {
    auto handler = std::move(self->handlers_.on_disconnect);
    self->handlers_ = Handlers{};
    if (handler && !self->silenced_) handler(reason);
  });
}

void HolderClient::close() {
  silenced_ = true;
  disconnect("closed by the daemon");
}

}  // namespace bosun::term
