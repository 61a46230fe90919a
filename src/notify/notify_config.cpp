// NotifyConfig: the `notify:` keys ↔ the configuration, and quiet hours in local time.
#include "notify/notify_config.h"

#include <ctime>

#include <fmt/format.h>

#include "util/duration.h"

namespace bosun {
namespace {

constexpr const char* kTopKeys =
    "channels, quiet_hours, debounce, batch, digest_after, attempts, retry_backoff, timeout";
constexpr const char* kChannelKeys =
    "name, type, url, headers, run, on, projects, roles, quiet_hours";
constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxArgs = 64;

tl::unexpected<Error> refuse(std::string message) {
  return bad_request("invalid_field", "notify: " + std::move(message));
}

bool url_type(ChannelType t) {
  return t == ChannelType::kWebhook || t == ChannelType::kSlack || t == ChannelType::kDiscord ||
         t == ChannelType::kNtfy;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Result<std::vector<std::string>> strings(const Json& value, const std::string& where) {
  if (!value.is_array()) return refuse(where + " must be a list of strings");
  std::vector<std::string> out;
  for (const auto& v : value) {
    // A team file's `run: [sleep, 1]` reads 1 as a number: it is the text it was.
    if (v.is_number_integer()) {
      out.push_back(std::to_string(v.get<int64_t>()));
      continue;
    }
    if (!v.is_string()) return refuse(where + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Status check_url(const std::string& url, ChannelType type, const std::string& where) {
  if (url.size() > kMaxUrl) return refuse(fmt::format("{}.url is over {} bytes", where, kMaxUrl));
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return refuse(where + ".url must start with http:// or https://");
  }
  if (has_control(url) || url.find(' ') != std::string::npos) {
    return refuse(where + ".url must not hold spaces or control characters");
  }
  if (type == ChannelType::kNtfy) {
    size_t host_end = url.find('/', url.find("//") + 2);
    if (host_end == std::string::npos || host_end + 1 >= url.size()) {
      return refuse(where + ".url must name the ntfy topic (https://ntfy.sh/TOPIC)");
    }
  }
  return {};
}

Status check_headers(const Json& value, NotifyChannel& c, const std::string& where) {
  if (!value.is_object()) return refuse(where + ".headers must be a map of strings");
  for (const auto& [name, v] : value.items()) {
    bool token = !name.empty() && name.size() <= 64;
    for (char ch : name)
      token = token && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-');
    if (!token) return refuse(fmt::format("{}.headers: '{}' is not a header name", where, name));
    if (!v.is_string() || has_control(v.get<std::string>())) {
      return refuse(fmt::format("{}.headers.{} must be one line of text", where, name));
    }
    c.headers[name] = v.get<std::string>();
  }
  return {};
}

Result<std::optional<QuietHours>> quiet_value(const Json& value, const std::string& where) {
  if (!value.is_string()) return refuse(where + " must be like \"22:00-07:00\" or off");
  std::string text = value.get<std::string>();
  if (text == "off") return std::optional<QuietHours>();
  auto q = parse_quiet_hours(text);
  if (!q) return refuse(where + ": " + q.error().message);
  return std::optional<QuietHours>(*q);
}

Status channel_field(const std::string& key, const Json& v, NotifyChannel& c,
                     const std::string& where) {
  if (key == "name" || key == "type") return {};  // read first
  if (key == "url") {
    if (!url_type(c.type))
      return refuse(fmt::format("{}: a {} channel has no url", where, to_string(c.type)));
    if (!v.is_string()) return refuse(where + ".url must be a string");
    c.url = v.get<std::string>();
    return check_url(c.url, c.type, where);
  }
  if (key == "headers") {
    if (c.type != ChannelType::kWebhook && c.type != ChannelType::kNtfy) {
      return refuse(where + ": headers are for webhook and ntfy channels");
    }
    return check_headers(v, c, where);
  }
  if (key == "run") {
    if (c.type != ChannelType::kCommand) return refuse(where + ": run is for command channels");
    auto argv = strings(v, where + ".run");
    if (!argv) return tl::unexpected(argv.error());
    if (argv->empty() || (*argv)[0].empty() || argv->size() > kMaxArgs) {
      return refuse(
          fmt::format("{}.run must be a program and its arguments (at most {})", where, kMaxArgs));
    }
    for (const auto& a : *argv) {
      if (a.find('\0') != std::string::npos) return refuse(where + ".run: an argument holds a NUL");
    }
    c.run = std::move(*argv);
    return {};
  }
  if (key == "on") {
    auto kinds = strings(v, where + ".on");
    if (!kinds) return tl::unexpected(kinds.error());
    for (const auto& k : *kinds) {
      auto kind = parse_edge_kind(k);
      if (!kind) {
        return refuse(fmt::format(
            "{}.on: unknown '{}' (waiting_input, review, stuck, limit, finished, exited)", where,
            k));
      }
      c.on.insert(*kind);
    }
    return {};
  }
  if (key == "projects" || key == "roles") {
    auto list = strings(v, where + "." + key);
    if (!list) return tl::unexpected(list.error());
    (key == "projects" ? c.projects : c.roles) = std::move(*list);
    return {};
  }
  if (key == "quiet_hours") {
    auto q = quiet_value(v, where + ".quiet_hours");
    if (!q) return tl::unexpected(q.error());
    c.quiet_hours = *q;
    return {};
  }
  return refuse(fmt::format("{}: unknown key '{}' ({})", where, key, kChannelKeys));
}

Result<NotifyChannel> channel_from_json(const Json& j, size_t index) {
  std::string where = fmt::format("channels[{}]", index);
  if (!j.is_object()) return refuse(where + " must be a map");
  NotifyChannel c;
  if (!j.contains("name") || !j["name"].is_string()) return refuse(where + ".name is required");
  c.name = j["name"].get<std::string>();
  bool name_ok = !c.name.empty() && c.name.size() <= 40;
  for (char ch : c.name) {
    name_ok = name_ok &&
              (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.');
  }
  if (!name_ok) return refuse(where + ".name must be 1-40 letters, digits, '-', '_' or '.'");
  where = fmt::format("channel {}", c.name);
  if (!j.contains("type") || !j["type"].is_string()) {
    return refuse(where + ": type is required (webhook, slack, discord, ntfy, command, desktop)");
  }
  auto type = parse_channel_type(j["type"].get<std::string>());
  if (!type) {
    return refuse(
        fmt::format("{}: unknown type '{}' (webhook, slack, discord, ntfy, command, desktop)",
                    where, j["type"].get<std::string>()));
  }
  c.type = *type;
  for (const auto& [key, value] : j.items()) {
    if (auto st = channel_field(key, value, c, where); !st) return tl::unexpected(st.error());
  }
  if (url_type(c.type) && c.url.empty()) return refuse(where + ": url is required");
  if (c.type == ChannelType::kCommand && c.run.empty()) return refuse(where + ": run is required");
  return c;
}

Status top_field(const std::string& key, const Json& v, NotifyConfig& c) {
  Millis* duration = key == "debounce"        ? &c.debounce
                     : key == "batch"         ? &c.batch
                     : key == "retry_backoff" ? &c.retry_backoff
                     : key == "timeout"       ? &c.timeout
                                              : nullptr;
  int64_t* count = key == "digest_after" ? &c.digest_after
                   : key == "attempts"   ? &c.attempts
                                         : nullptr;
  if (duration) {
    Result<Millis> d = v.is_number_integer() && v.get<int64_t>() >= 0
                           ? Result<Millis>(Millis(v.get<int64_t>()))
                           : Result<Millis>(bad_request("invalid_field", ""));
    if (v.is_string()) d = parse_duration(v.get<std::string>());
    if (!v.is_string() && !d) return refuse(key + " must be a duration like \"30s\"");
    if (!d) return refuse(key + ": " + d.error().message);
    if (key == "timeout" && (*d < Millis(100) || *d > Millis(300'000))) {
      return refuse("timeout must be from 100ms to 5m");
    }
    *duration = *d;
    return {};
  }
  if (count) {
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000) {
      return refuse(key + " must be a whole number from 1 to 1000");
    }
    *count = v.get<int64_t>();
    return {};
  }
  if (key == "quiet_hours") {
    auto q = quiet_value(v, "quiet_hours");
    if (!q) return tl::unexpected(q.error());
    c.quiet_hours = *q;
    return {};
  }
  if (key == "channels") {
    if (!v.is_array()) return refuse("channels must be a list");
    if (v.size() > kMaxNotifyChannels)
      return refuse(fmt::format("at most {} channels", kMaxNotifyChannels));
    for (size_t i = 0; i < v.size(); ++i) {
      auto ch = channel_from_json(v[i], i);
      if (!ch) return tl::unexpected(ch.error());
      if (c.channel(ch->name)) return refuse(fmt::format("two channels are named {}", ch->name));
      c.channels.push_back(std::move(*ch));
    }
    return {};
  }
  return refuse(fmt::format("unknown key '{}' ({})", key, kTopKeys));
}

int parse_clock_time(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return -1;
  for (size_t i : {0, 1, 3, 4}) {
    if (t[i] < '0' || t[i] > '9') return -1;
  }
  int h = (t[0] - '0') * 10 + (t[1] - '0');
  int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

}  // namespace

const char* to_string(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kWaitingInput:
      return "waiting_input";
    case EdgeKind::kReview:
      return "review";
    case EdgeKind::kStuck:
      return "stuck";
    case EdgeKind::kLimit:
      return "limit";
    case EdgeKind::kFinished:
      return "finished";
    case EdgeKind::kExited:
      return "exited";
  }
  return "exited";
}

std::optional<EdgeKind> parse_edge_kind(std::string_view text) {
  for (EdgeKind k : kEdgeKinds) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

const char* to_string(ChannelType type) {
  switch (type) {
    case ChannelType::kWebhook:
      return "webhook";
    case ChannelType::kSlack:
      return "slack";
    case ChannelType::kDiscord:
      return "discord";
    case ChannelType::kNtfy:
      return "ntfy";
    case ChannelType::kCommand:
      return "command";
    case ChannelType::kDesktop:
      return "desktop";
  }
  return "webhook";
}

std::optional<ChannelType> parse_channel_type(std::string_view text) {
  for (auto t : {ChannelType::kWebhook, ChannelType::kSlack, ChannelType::kDiscord,
                 ChannelType::kNtfy, ChannelType::kCommand, ChannelType::kDesktop}) {
    if (text == to_string(t)) return t;
  }
  return std::nullopt;
}

Result<QuietHours> parse_quiet_hours(std::string_view text) {
  size_t dash = text.find('-');
  int from = dash == std::string_view::npos ? -1 : parse_clock_time(text.substr(0, dash));
  int to = dash == std::string_view::npos ? -1 : parse_clock_time(text.substr(dash + 1));
  if (from < 0 || to < 0) {
    return bad_request("invalid_field",
                       fmt::format("'{}' is not a window like \"22:00-07:00\"", text));
  }
  if (from == to) return bad_request("invalid_field", fmt::format("'{}' is an empty window", text));
  return QuietHours{from, to};
}

std::string format_quiet_hours(const QuietHours& q) {
  return fmt::format("{:02}:{:02}-{:02}:{:02}", q.from_minute / 60, q.from_minute % 60,
                     q.to_minute / 60, q.to_minute % 60);
}

bool in_quiet_hours(const QuietHours& q, int minute) {
  if (q.from_minute < q.to_minute) return minute >= q.from_minute && minute < q.to_minute;
  return minute >= q.from_minute || minute < q.to_minute;  // it wraps past midnight
}

int local_minute(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  ::localtime_r(&secs, &local);
  return local.tm_hour * 60 + local.tm_min;
}

TimePoint quiet_hours_end(const QuietHours& q, TimePoint t) {
  int minute = local_minute(t);
  if (!in_quiet_hours(q, minute)) return t;
  int ahead = (q.to_minute - minute + 24 * 60) % (24 * 60);
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  ::localtime_r(&secs, &local);
  TimePoint minute_start =
      std::chrono::time_point_cast<std::chrono::seconds>(t) - std::chrono::seconds(local.tm_sec);
  return minute_start + std::chrono::minutes(ahead);
}

const NotifyChannel* NotifyConfig::channel(std::string_view name) const {
  for (const auto& c : channels) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<QuietHours> NotifyConfig::quiet_for(const NotifyChannel& c) const {
  return c.quiet_hours ? *c.quiet_hours : quiet_hours;
}

Result<NotifyConfig> notify_config_from_json(const Json& json) {
  if (json.is_null()) return NotifyConfig{};
  if (!json.is_object()) return refuse("must be a map");
  NotifyConfig c;
  for (const auto& [key, value] : json.items()) {
    if (auto st = top_field(key, value, c); !st) return tl::unexpected(st.error());
  }
  return c;
}

Json to_json(const NotifyConfig& c) {
  Json channels = Json::array();
  for (const auto& ch : c.channels) {
    Json j{{"name", ch.name}, {"type", to_string(ch.type)}};
    if (!ch.url.empty()) j["url"] = ch.url;
    if (!ch.headers.empty()) j["headers"] = ch.headers;
    if (!ch.run.empty()) j["run"] = ch.run;
    if (!ch.on.empty()) {
      Json on = Json::array();
      for (EdgeKind k : ch.on)
        on.push_back(to_string(k));
      j["on"] = on;
    }
    if (!ch.projects.empty()) j["projects"] = ch.projects;
    if (!ch.roles.empty()) j["roles"] = ch.roles;
    if (ch.quiet_hours)
      j["quiet_hours"] = *ch.quiet_hours ? format_quiet_hours(**ch.quiet_hours) : "off";
    channels.push_back(std::move(j));
  }
  Json j{{"channels", channels},
         {"debounce", format_duration(c.debounce)},
         {"batch", format_duration(c.batch)},
         {"digest_after", c.digest_after},
         {"attempts", c.attempts},
         {"retry_backoff", format_duration(c.retry_backoff)},
         {"timeout", format_duration(c.timeout)}};
  if (c.quiet_hours) j["quiet_hours"] = format_quiet_hours(*c.quiet_hours);
  return j;
}

}  // namespace bosun
