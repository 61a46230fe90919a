// Helpers for tests that drive agents (see agents.h).
#include "support/agents.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace bosun::e2e {

EventWaiter::EventWaiter(TestDaemon& d) : EventWaiter(d, -1) {}

EventWaiter::EventWaiter(TestDaemon& d, int64_t since) {
  std::string target = "/api/v1/events";
  if (since >= 0) target += "?since=" + std::to_string(since);
  ok_ = ws_.connect(d.address(), target, d.auth_header());
  if (ok_) ok_ = ws_.read_json().has_value();  // hello
}

std::optional<Json> EventWaiter::next(const std::function<bool(const Json& event)>& match,
                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto ev = ws_.read_json(left);
    if (!ev) break;
    if (match(*ev)) return ev;
  }
  return std::nullopt;
}

std::optional<Json> EventWaiter::wait_any(const std::vector<std::string>& types,
                                          const std::string& subject,
                                          std::chrono::milliseconds timeout) {
  return next(
      [&](const Json& ev) {
        return (subject.empty() || ev["subject"] == subject) &&
               std::find(types.begin(), types.end(), ev["type"]) != types.end();
      },
      timeout);
}

std::optional<Json> EventWaiter::wait(const std::string& type, const std::string& subject,
                                      std::chrono::milliseconds timeout) {
  return wait_any({type}, subject, timeout);
}

std::optional<Json> EventWaiter::wait_for(const std::string& type, const std::string& subject,
                                          const std::function<bool(const Json&)>& match,
                                          std::chrono::milliseconds timeout) {
  return next(
      [&](const Json& ev) {
        return ev["type"] == type && (subject.empty() || ev["subject"] == subject) &&
               match(ev["data"]);
      },
      timeout);
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

Json sim_argv(const std::vector<std::string>& extra) {
  Json argv = Json::array({BOSUN_BINARY, "sim-agent", "--work-ms", "40"});
  for (const auto& e : extra)
    argv.push_back(e);
  return argv;
}

Json spawn_sim(TestDaemon& d, EventWaiter& events, const std::string& name, const std::string& role,
               const std::vector<std::string>& extra, const std::string& cwd, bool permanent) {
  Json body{{"name", name},
            {"role", role},
            {"profile", "sim"},
            {"argv", sim_argv(extra)},
            {"permanent", permanent}};
  if (!cwd.empty()) body["cwd"] = cwd;
  return spawn_idle(d, events, body);
}

Json spawn_idle(TestDaemon& d, EventWaiter& events, const Json& body) {
  auto r = d.post("/api/v1/agents", body);
  EXPECT_EQ(r.status, 201) << r.body;
  Json agent = r.json();
  EXPECT_TRUE(events.wait_for("agent.state", agent.value("id", ""),
                              [](const Json& e) { return e["state"] == "idle"; }))
      << body.value("name", "") << " never became idle";
  return agent;
}

void configure(TestDaemon& d, const Json& config) {
  auto r = http_request(d.address(), "PUT", "/api/v1/supervisor", config.dump(), d.auth_header());
  ASSERT_EQ(r.status, 200) << r.body;
}

Json add_task(TestDaemon& d, const std::string& title, const std::string& role,
              const std::string& description, const Json& deps) {
  auto r = d.post(
      "/api/v1/tasks",
      Json{{"title", title}, {"role", role}, {"description", description}, {"depends_on", deps}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

bool task_reaches(EventWaiter& events, const std::string& id, const std::string& status,
                  std::chrono::milliseconds timeout) {
  return events
      .wait_for(
          "task.updated", id, [&](const Json& e) { return e["task"]["status"] == status; }, timeout)
      .has_value();
}

}  // namespace bosun::e2e
