// SupervisorConfig: the team file's `supervisor:` keys ↔ the configuration.
#include "crew/supervisor_config.h"

#include <optional>

#include <fmt/format.h>

#include "util/duration.h"

namespace bosun {

namespace {

// "80%", "80" or 80 → 80; anything else (or outside 0-100) → nullopt.
std::optional<int64_t> percent_of(const Json& value) {
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    return v >= 0 && v <= 100 ? std::optional(v) : std::nullopt;
  }
  if (!value.is_string()) return std::nullopt;
  std::string text = value.get<std::string>();
  if (text.ends_with("%")) text.pop_back();
  if (text.empty() || text.size() > 3) return std::nullopt;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
  }
  int64_t v = std::stoll(text);
  return v <= 100 ? std::optional(v) : std::nullopt;
}

}  // namespace

Result<SupervisorConfig> supervisor_config_from_json(const Json& json) {
  if (!json.is_object()) return bad_request("invalid_field", "supervisor must be an object");
  SupervisorConfig c;
  for (const auto& [key, value] : json.items()) {
    if (key == "reset_at_context") {
      auto pct = percent_of(value);
      if (!pct) {
        return bad_request("invalid_field",
                           "supervisor.reset_at_context must be a percent from 0 to 100, like 80%");
      }
      c.reset_at_context = *pct;
      continue;
    }
    Millis* duration = key == "heartbeat"          ? &c.heartbeat
                       : key == "heartbeat_answer" ? &c.heartbeat_answer
                       : key == "reset_after"      ? &c.reset_after
                       : key == "stuck_after"      ? &c.stuck_after
                       : key == "restart_backoff"  ? &c.restart_backoff
                       : key == "restart_window"   ? &c.restart_window
                       : key == "delivery_timeout" ? &c.delivery_timeout
                       : key == "rate_limit_wait"  ? &c.rate_limit_wait
                       : key == "recover_step"     ? &c.recover_step
                                                   : nullptr;
    int64_t* count = key == "reset_after_tasks"   ? &c.reset_after_tasks
                     : key == "restart_limit"     ? &c.restart_limit
                     : key == "delivery_attempts" ? &c.delivery_attempts
                     : key == "error_limit"       ? &c.error_limit
                     : key == "recover_reassigns" ? &c.recover_reassigns
                                                  : nullptr;
    if (duration) {
      if (value.is_number_integer() && value.get<int64_t>() >= 0) {
        *duration = Millis(value.get<int64_t>());
        continue;
      }
      if (!value.is_string()) {
        return bad_request("invalid_field",
                           fmt::format("supervisor.{} must be a duration like \"10m\"", key));
      }
      auto d = parse_duration(value.get<std::string>());
      if (!d) {
        return bad_request("invalid_field",
                           fmt::format("supervisor.{}: {}", key, d.error().message));
      }
      *duration = *d;
    } else if (count) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 1'000'000) {
        return bad_request("invalid_field",
                           fmt::format("supervisor.{} must be a whole number from 0", key));
      }
      *count = value.get<int64_t>();
    } else {
      return bad_request(
          "invalid_field",
          fmt::format("unknown supervisor key '{}' (heartbeat, heartbeat_answer, "
                      "reset_after_tasks, reset_after, stuck_after, "
                      "restart_backoff, restart_limit, restart_window, "
                      "delivery_timeout, delivery_attempts, rate_limit_wait, "
                      "error_limit, recover_step, recover_reassigns, reset_at_context)",
                      key));
    }
  }
  if (c.restart_backoff.count() == 0) c.restart_backoff = Millis(1);
  if (c.delivery_timeout.count() == 0) c.delivery_timeout = Millis(1);
  if (c.delivery_attempts == 0) c.delivery_attempts = 1;
  if (c.error_limit == 0) c.error_limit = 1;
  if (c.recover_reassigns == 0) c.recover_reassigns = 1;
  return c;
}

Json to_json(const SupervisorConfig& c) {
  return Json{{"heartbeat", format_duration(c.heartbeat)},
              {"heartbeat_answer", format_duration(c.heartbeat_answer)},
              {"reset_after_tasks", c.reset_after_tasks},
              {"reset_after", format_duration(c.reset_after)},
              {"stuck_after", format_duration(c.stuck_after)},
              {"restart_backoff", format_duration(c.restart_backoff)},
              {"restart_limit", c.restart_limit},
              {"restart_window", format_duration(c.restart_window)},
              {"delivery_timeout", format_duration(c.delivery_timeout)},
              {"delivery_attempts", c.delivery_attempts},
              {"rate_limit_wait", format_duration(c.rate_limit_wait)},
              {"error_limit", c.error_limit},
              {"recover_step", format_duration(c.recover_step)},
              {"recover_reassigns", c.recover_reassigns},
              {"reset_at_context", c.reset_at_context}};
}

}  // namespace bosun
