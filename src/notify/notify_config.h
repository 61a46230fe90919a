// NotifyConfig: where a person hears about what needs them — the channels (a webhook, Slack,
// Discord, ntfy, a command, the desktop), which edges each takes, quiet hours, debounce and
// digest — as the team file's `notify:` section and PUT /api/v1/notify write it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/clock.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

// The moments a person is told about.
enum class EdgeKind {
  kWaitingInput,  // an agent waits for an answer (with the question)
  kReview,        // a task or a pipeline's gate waits for review or approval
  kStuck,         // an agent is stuck, looping or failing
  kLimit,         // a provider hit its usage limit (and, when it ends, resumed)
  kFinished,      // a pipeline run ended, or the whole board is done
  kExited,        // an agent exited nobody asked it to, was lost, or was given up on
};
inline constexpr EdgeKind kEdgeKinds[] = {EdgeKind::kWaitingInput, EdgeKind::kReview,
                                          EdgeKind::kStuck,        EdgeKind::kLimit,
                                          EdgeKind::kFinished,     EdgeKind::kExited};
const char* to_string(EdgeKind kind);
std::optional<EdgeKind> parse_edge_kind(std::string_view text);

enum class ChannelType { kWebhook, kSlack, kDiscord, kNtfy, kCommand, kDesktop };
const char* to_string(ChannelType type);
std::optional<ChannelType> parse_channel_type(std::string_view text);

// A daily window in the daemon's local time, "22:00-07:00" (it may wrap past midnight).
struct QuietHours {
  int from_minute = 0;  // minutes after local midnight
  int to_minute = 0;
};
Result<QuietHours> parse_quiet_hours(std::string_view text);
std::string format_quiet_hours(const QuietHours& q);
// Whether `minute` (of the local day) falls in the window.
bool in_quiet_hours(const QuietHours& q, int minute);
// The local minute of the day at `t`, and the first moment at or after `t` outside the window.
int local_minute(TimePoint t);
TimePoint quiet_hours_end(const QuietHours& q, TimePoint t);

struct NotifyChannel {
  std::string name;
  ChannelType type = ChannelType::kWebhook;
  std::string url;                             // webhook, slack, discord, ntfy
  std::map<std::string, std::string> headers;  // sent with a webhook's POST
  std::vector<std::string> run;                // command: argv, the notification on stdin
  std::set<EdgeKind> on;                       // empty: every kind
  std::vector<std::string> projects;           // project names or ids; empty: any
  std::vector<std::string> roles;              // empty: any
  // Quiet hours for this channel alone: unset takes the config's; `quiet_hours: off` none.
  std::optional<std::optional<QuietHours>> quiet_hours;
};

struct NotifyConfig {
  std::vector<NotifyChannel> channels;
  std::optional<QuietHours> quiet_hours;
  Millis debounce{30'000};     // a condition back this soon after it ended is not news
  Millis batch{1000};          // edges this close together go out together
  int64_t digest_after = 5;    // more than this many due at once: one digest message
  int64_t attempts = 5;        // sends before a delivery is marked failed
  Millis retry_backoff{2000};  // the first retry's wait; doubles, at most 5 minutes
  Millis timeout{10'000};      // for one send (the HTTP request, the command)

  const NotifyChannel* channel(std::string_view name) const;
  // The quiet hours `channel` keeps.
  std::optional<QuietHours> quiet_for(const NotifyChannel& channel) const;
};

inline constexpr size_t kMaxNotifyChannels = 20;

// The `notify:` keys; unknown keys, bad URLs, durations, kinds or argv are refused by name.
Result<NotifyConfig> notify_config_from_json(const Json& json);
Json to_json(const NotifyConfig& config);

}  // namespace bosun
