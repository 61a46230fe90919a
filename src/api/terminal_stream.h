// TerminalStream: the /api/v1/agents/{id}/terminal WebSocket hub: replay from the run's log,
// then live output, batched per loop turn; input, interrupt and resize from viewers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/registry.h"
#include "util/lifetime.h"

namespace bosun {

class WsChannel;

class TerminalStream final : public TerminalObserver {
 public:
  TerminalStream(boost::asio::io_context& io, AgentRegistry& agents, Log& log);
  ~TerminalStream() override;
  TerminalStream(const TerminalStream&) = delete;
  TerminalStream& operator=(const TerminalStream&) = delete;

  // A new viewer of `agent_id` from `from` (nullopt: the last 256 KiB); binary or JSON frames.
  void open(const std::string& agent_id, const std::shared_ptr<WsChannel>& channel,
            std::optional<uint64_t> from, bool binary);

  void on_output(const std::string& agent_id, uint64_t offset, std::string_view bytes) override;
  void on_run_status(const std::string& agent_id, const Json& status) override;

  size_t viewer_count() const { return viewers_.size(); }
  void close_all();

 private:
  struct Viewer;
  struct Pending {
    uint64_t offset = 0;
    std::string bytes;
  };
  void catch_up(Viewer& viewer);
  void flush(const std::string& agent_id);
  // Sends bytes at `offset` to one viewer; false if it must catch up from the log instead.
  bool deliver(Viewer& viewer, uint64_t offset, std::string_view bytes);
  void on_message(Viewer& viewer, std::string_view data);
  // A binary frame from a viewer is raw input bytes (keys as the user's terminal sent them).
  void on_raw_input(Viewer& viewer, std::string_view bytes);
  void remove(const WsChannel* channel);

  boost::asio::io_context& io_;
  AgentRegistry& agents_;
  Log& log_;
  std::vector<std::unique_ptr<Viewer>> viewers_;
  std::map<std::string, Pending>
      pending_;        // output not yet sent, by agent: one flush per loop turn
  Lifetime lifetime_;  // checked by callbacks that may outlive this object
};

}  // namespace bosun
