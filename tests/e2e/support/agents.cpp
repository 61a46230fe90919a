// Helpers for tests that drive agents (see agents.h).
#include "support/agents.h"

#include <gtest/gtest.h>

namespace bosun::e2e {

EventWaiter::EventWaiter(TestDaemon& d) {
  ok_ = ws_.connect(d.address(), "/api/v1/events", d.auth_header());
  if (ok_) ok_ = ws_.read_json().has_value();  // hello
}

std::optional<Json> EventWaiter::wait(const std::string& type, const std::string& subject,
                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto ev = ws_.read_json(left);
    if (!ev) break;
    if ((*ev)["type"] == type && (subject.empty() || (*ev)["subject"] == subject)) return ev;
  }
  return std::nullopt;
}

std::optional<Json> EventWaiter::wait_for(const std::string& type, const std::string& subject,
                                          const std::function<bool(const Json&)>& match,
                                          std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto ev = ws_.read_json(left);
    if (!ev) break;
    if ((*ev)["type"] != type || (!subject.empty() && (*ev)["subject"] != subject)) continue;
    if (match((*ev)["data"])) return ev;
  }
  return std::nullopt;
}

bool terminal_until(WsClient& ws, std::string& seen, const std::string& needle,
                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    auto frame = ws.read_json(left);
    if (!frame) return false;
    if ((*frame)["type"] == "output") seen += (*frame)["data"].get<std::string>();
  }
  return true;
}

Json spawn(TestDaemon& d, const std::string& name, const Json& argv, int cols, int rows) {
  auto r = d.post("/api/v1/agents",
                  Json{{"name", name}, {"argv", argv}, {"cols", cols}, {"rows", rows}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

}  // namespace bosun::e2e
