// Channels: how one message leaves — a JSON POST (generic, or shaped for Slack, Discord or
// ntfy) through curl, the person's own command with the message on stdin, or notify-send on
// the desktop's session bus. Each is an argv (never a shell string) run off the loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "notify/notify_config.h"
#include "util/json.h"
#include "util/process.h"

namespace bosun {

struct NotifyMessage {
  int64_t id = 0;  // the delivery's id: a receiver may drop one it saw
  std::string edge;
  std::string kind;
  std::string title;
  std::string body;
  std::string link;                  // the dashboard's address of it, or empty
  std::string at;                    // when it happened, ISO time
  std::vector<NotifyMessage> items;  // a digest: the messages it stands for
};

// The generic webhook's (and the command's stdin) JSON.
Json to_json(const NotifyMessage& message);
// The body each URL channel POSTs.
Json channel_body(const NotifyChannel& channel, const NotifyMessage& message);
// Where an ntfy channel POSTs (the server's root) and its topic, from https://host/TOPIC.
std::pair<std::string, std::string> ntfy_target(const std::string& url);

// The desktop's session bus address (DBUS_SESSION_BUS_ADDRESS, else the user's
// /run/user/UID/bus), or empty when there is no desktop session.
std::string session_bus();

// The program that sends `message` on `channel`; an error says why it cannot be sent at all.
Result<ProcessSpec> send_spec(const NotifyChannel& channel, const NotifyMessage& message,
                              Millis timeout);
// Why the run did not deliver (empty when it did): "HTTP 500: …", "timed out after …".
std::string send_failure(const NotifyChannel& channel, const ProcessResult& result);

}  // namespace bosun
