// TerminalStream: per-viewer cursors over the run's log file, live batches, viewer input.
#include "api/terminal_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "api/ws_channel.h"
#include "term/utf8.h"
#include "util/unique_fd.h"

namespace bosun {

namespace {

constexpr uint64_t kDefaultReplay = uint64_t{256} * 1024;
constexpr size_t kReadChunk = size_t{64} * 1024;

std::string be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace

struct TerminalStream::Viewer {
  std::string agent_id;
  std::shared_ptr<WsChannel> channel;
  bool binary = false;
  uint64_t cursor = 0;  // next byte this viewer needs
  bool live = false;    // false while catching up from the log file
  term::Utf8Stream utf8;
  // Frames are sent live only while the viewer's queue is below this.
  size_t high_water() const { return channel->queue_limit() / 2; }
};

TerminalStream::TerminalStream(boost::asio::io_context& io, AgentRegistry& agents, Log& log)
    : io_(io), agents_(agents), log_(log) {
  agents_.set_observer(this);
}

TerminalStream::~TerminalStream() {
  agents_.set_observer(nullptr);
}

void TerminalStream::open(const std::string& agent_id, const std::shared_ptr<WsChannel>& channel,
                          std::optional<uint64_t> from, bool binary) {
  auto info = agents_.terminal(agent_id);
  if (!info) {
    channel->close(4004, info.error().message);
    return;
  }
  auto viewer = std::make_unique<Viewer>();
  Viewer& v = *viewer;
  v.agent_id = info->agent_id;
  v.channel = channel;
  v.binary = binary;
  uint64_t end = info->end_offset;
  v.cursor = from ? std::min(*from, end) : (end > kDefaultReplay ? end - kDefaultReplay : 0);
  v.utf8.reset(v.cursor);
  viewers_.push_back(std::move(viewer));
  const WsChannel* key = channel.get();
  channel->on_close([this, key] { remove(key); });
  channel->on_message([this, &v](std::string_view data, bool binary) {
    if (binary) return on_raw_input(v, data);
    on_message(v, data);
  });
  channel->on_drain([this, &v] {
    if (!v.live) catch_up(v);
  });
  channel->set_slow_close_reason(
      [&v] { return fmt::format("slow viewer: reconnect with ?from={}", v.cursor); });
  channel->send_text(dump_json(info->status));
  if (from && *from > end) {
    channel->send_text(dump_json(Json{{"type", "gap"}, {"from", end}, {"to", *from}}));
  }
  catch_up(v);
}

void TerminalStream::catch_up(Viewer& v) {
  auto info = agents_.terminal(v.agent_id);
  if (!info) return;
  // Output already queued for this agent but not yet flushed counts as live.
  auto pend = pending_.find(v.agent_id);
  uint64_t end = pend != pending_.end() && !pend->second.bytes.empty() ? pend->second.offset
                                                                       : info->end_offset;
  UniqueFd fd;
  while (v.cursor < end && v.channel->queued_bytes() < v.high_water()) {
    for (const auto& gap : info->gaps) {
      uint64_t gfrom = gap[0], gto = gap[1];
      if (v.cursor >= gfrom && v.cursor < gto) {
        Json frame{{"type", "gap"}, {"from", v.cursor}, {"to", gto}};
        if (gap.size() > 2 && gap[2].is_string()) frame["reason"] = gap[2];
        v.channel->send_text(dump_json(frame));
        v.cursor = gto;
        v.utf8.reset(gto);
      }
    }
    if (v.cursor >= end) break;
    if (!fd) fd.reset(::open(info->log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      log_.warn("terminal.log_unreadable", {{"agent", v.agent_id}, {"path", info->log_path}});
      v.channel->close(1011, "cannot read the agent's log");
      return;
    }
    std::string buf(std::min<uint64_t>(kReadChunk, end - v.cursor), '\0');
    ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(v.cursor));
    if (n <= 0) break;
    buf.resize(static_cast<size_t>(n));
    uint64_t at = v.cursor;
    v.cursor += static_cast<uint64_t>(n);
    if (v.binary) {
      if (!v.channel->send_binary(be64(at) + buf)) return;
    } else {
      auto chunk = v.utf8.feed(at, buf);
      if (!chunk.text.empty() &&
          !v.channel->send_text(dump_json(
              Json{{"type", "output"}, {"data", chunk.text}, {"offset", chunk.offset}}))) {
        return;
      }
    }
  }
  if (v.cursor >= end) v.live = true;
}

bool TerminalStream::deliver(Viewer& v, uint64_t offset, std::string_view bytes) {
  if (!v.live) return false;
  if (offset + bytes.size() <= v.cursor) return true;
  if (offset < v.cursor) {
    bytes.remove_prefix(v.cursor - offset);
    offset = v.cursor;
  }
  if (offset > v.cursor) {
    v.channel->send_text(dump_json(Json{{"type", "gap"}, {"from", v.cursor}, {"to", offset}}));
    v.utf8.reset(offset);
  }
  if (v.channel->queued_bytes() + bytes.size() > v.high_water()) {
    // Behind: stop sending live and read from the log file as the queue drains.
    v.live = false;
    return false;
  }
  v.cursor = offset + bytes.size();
  if (v.binary) return v.channel->send_binary(be64(offset) + std::string(bytes));
  auto chunk = v.utf8.feed(offset, bytes);
  if (chunk.text.empty()) return true;
  return v.channel->send_text(
      dump_json(Json{{"type", "output"}, {"data", chunk.text}, {"offset", chunk.offset}}));
}

void TerminalStream::on_output(const std::string& agent_id, uint64_t offset,
                               std::string_view bytes) {
  bool any = false;
  for (const auto& v : viewers_) {
    if (v->agent_id == agent_id) {
      any = true;
      break;
    }
  }
  if (!any) return;
  auto& p = pending_[agent_id];
  if (p.bytes.empty()) {
    p.offset = offset;
    // Batch what arrives during this loop turn into one frame per viewer.
    boost::asio::post(io_, [this, life = lifetime_.guard(), agent_id] {
      if (life.alive()) flush(agent_id);
    });
  } else if (p.offset + p.bytes.size() != offset) {
    flush(agent_id);
    on_output(agent_id, offset, bytes);
    return;
  }
  p.bytes.append(bytes);
}

void TerminalStream::flush(const std::string& agent_id) {
  auto it = pending_.find(agent_id);
  if (it == pending_.end() || it->second.bytes.empty()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  for (const auto& v : viewers_) {
    if (v->agent_id == agent_id) deliver(*v, p.offset, p.bytes);
  }
}

void TerminalStream::on_run_status(const std::string& agent_id, const Json& status) {
  flush(agent_id);
  auto frame = std::make_shared<const std::string>(dump_json(status));
  for (const auto& v : viewers_) {
    if (v->agent_id == agent_id) v->channel->send(frame, false);
  }
}

void TerminalStream::on_message(Viewer& v, std::string_view data) {
  auto msg = parse_json_object(data);
  auto reply_error = [&](const Error& e) {
    v.channel->send_text(
        dump_json(Json{{"type", "error"}, {"code", e.code}, {"message", e.message}}));
  };
  if (!msg) return reply_error(msg.error());
  auto type = require_string(*msg, "type");
  if (!type) return reply_error(type.error());
  Status st;
  if (*type == "input") {
    auto text = require_string(*msg, "data");
    if (!text) return reply_error(text.error());
    st = agents_.input(v.agent_id, *text, false);
  } else if (*type == "interrupt") {
    st = agents_.interrupt(v.agent_id);
  } else if (*type == "resize") {
    auto cols = optional_int(*msg, "cols");
    auto rows = optional_int(*msg, "rows");
    if (!cols || !rows || !*cols || !*rows) {
      return reply_error(
          Error{ErrorKind::kInvalid, "invalid_field", "resize needs integer cols and rows"});
    }
    st = agents_.resize(v.agent_id, static_cast<int>(std::clamp<int64_t>(**cols, -1, 1 << 20)),
                        static_cast<int>(std::clamp<int64_t>(**rows, -1, 1 << 20)));
  } else {
    return reply_error(
        Error{ErrorKind::kInvalid, "unknown_type", "unknown message type '" + *type + "'"});
  }
  if (!st) reply_error(st.error());
}

void TerminalStream::on_raw_input(Viewer& v, std::string_view bytes) {
  if (auto st = agents_.input(v.agent_id, bytes, false); !st) {
    v.channel->send_text(dump_json(
        Json{{"type", "error"}, {"code", st.error().code}, {"message", st.error().message}}));
  }
}

void TerminalStream::remove(const WsChannel* channel) {
  std::erase_if(viewers_, [channel](const auto& v) { return v->channel.get() == channel; });
}

void TerminalStream::close_all() {
  std::vector<std::shared_ptr<WsChannel>> channels;
  for (auto& v : viewers_)
    channels.push_back(v->channel);
  for (auto& ch : channels)
    ch->close(kWsCloseGoingAway, "daemon shutting down");
}

}  // namespace bosun
