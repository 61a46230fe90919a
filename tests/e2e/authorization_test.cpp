// The authorization matrix, walked: every route the daemon serves (read from GET
// /api/v1/routes, so a new route without a row here fails) × {no token, the person, an agent
// on its own things, an agent on another agent's things}. docs/security.md has the same table.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

// What a caller gets: A allowed (any answer but 401/403), U 401, F 403.
struct Row {
  char none, person, own, other;
};

// Keyed by "METHOD path" ("WS path" for WebSocket routes).
const std::map<std::string, Row> kMatrix = {
    {"GET /healthz", {'A', 'A', 'A', 'A'}},
    {"GET /api/v1/status", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/login", {'A', 'A', 'A', 'A'}},
    {"GET /api/v1/events", {'U', 'A', 'F', 'F'}},
    {"WS /api/v1/events", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/journal", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/journal", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/agents", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/hosts", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/agents/{id}", {'U', 'A', 'A', 'A'}},
    {"DELETE /api/v1/agents/{id}", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/input", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/interrupt", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/resize", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/stop", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/restart", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/agents/{id}/screen", {'U', 'A', 'A', 'F'}},
    {"GET /api/v1/agents/{id}/log", {'U', 'A', 'A', 'F'}},
    {"GET /api/v1/agents/{id}/export", {'U', 'A', 'F', 'F'}},
    {"WS /api/v1/agents/{id}/terminal", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/messages", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/messages", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/messages/{id}", {'U', 'A', 'A', 'F'}},
    {"POST /api/v1/messages/{id}/read", {'U', 'A', 'A', 'F'}},
    {"GET /api/v1/agents/{id}/inbox", {'U', 'A', 'A', 'F'}},
    {"GET /api/v1/inbox", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/tasks", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/tasks", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/tasks/ready", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/tasks/{id}", {'U', 'A', 'A', 'A'}},
    {"PATCH /api/v1/tasks/{id}", {'U', 'A', 'A', 'F'}},
    {"DELETE /api/v1/tasks/{id}", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/tasks/export", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/tasks/import", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/tasks/{id}/claim", {'U', 'A', 'A', 'A'}},  // exactly once: 409 when held
    {"GET /api/v1/tasks/{id}/comments", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/tasks/{id}/comments", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/tasks/{id}/history", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/tasks/{id}/reports", {'U', 'A', 'A', 'F'}},
    {"GET /api/v1/tasks/{id}/reports", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/tasks/{id}/diff", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/tasks/{id}/approve", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/tasks/{id}/rebase", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/tasks/{id}/reject", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/supervisor", {'U', 'A', 'A', 'A'}},
    {"PUT /api/v1/supervisor", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/notify", {'U', 'A', 'F', 'F'}},
    {"PUT /api/v1/notify", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/notify/test", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/notifications", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/projects", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/projects", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/projects/{id}", {'U', 'A', 'A', 'A'}},
    {"PATCH /api/v1/projects/{id}", {'U', 'A', 'F', 'F'}},
    {"DELETE /api/v1/projects/{id}", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/projects/{id}/worktrees", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/projects/{id}/decisions", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/projects/{id}/decisions", {'U', 'A', 'A', 'A'}},  // an agent's: a proposal
    {"POST /api/v1/projects/{id}/decisions/{decision}/accept", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/worktrees", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/worktrees/prune", {'U', 'A', 'F', 'F'}},
    {"DELETE /api/v1/worktrees/{id}", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/agents/{id}/diff", {'U', 'A', 'A', 'F'}},
    {"POST /api/v1/agents/{id}/merge", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/agents/{id}/rebase", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/roles", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/roles/{name}", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/pipelines", {'U', 'A', 'A', 'A'}},
    {"GET /api/v1/pipelines/{name}", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/pipelines/{name}/runs", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/pipeline-runs", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/pipeline-runs/{id}", {'U', 'A', 'A', 'A'}},  // an agent reads the run it works
    {"GET /api/v1/pipeline-runs/{id}/trace", {'U', 'A', 'A', 'A'}},
    {"POST /api/v1/pipeline-runs/{id}/approve", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/pipeline-runs/{id}/reject", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/pipeline-runs/{id}/retry", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/pipeline-runs/{id}/cancel", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/profiles", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/hooks/claude", {'U', 'A', 'A', 'A'}},  // always about the caller itself
    {"POST /api/v1/agents/{id}/runs", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/runs", {'U', 'A', 'F', 'F'}},
    {"GET /api/v1/runs/{id}", {'U', 'A', 'F', 'F'}},
    {"POST /api/v1/runs/{id}/cancel", {'U', 'A', 'F', 'F'}},
    {"POST /mcp", {'U', 'A', 'A', 'A'}},  // each tool is its route, as the caller (docs/mcp.md)
    {"GET /api/v1/usage", {'U', 'A', 'F', 'F'}},
    {"GET /", {'A', 'A', 'A', 'A'}},
    {"GET /assets/{file}", {'A', 'A', 'A', 'A'}},
    {"GET /favicon.svg", {'A', 'A', 'A', 'A'}},
    {"GET /api/v1/routes", {'U', 'A', 'F', 'F'}},
};

enum class Caller { kNone, kPerson, kOwn, kOther };

const char* caller_name(Caller c) {
  switch (c) {
    case Caller::kNone:
      return "no token";
    case Caller::kPerson:
      return "person";
    case Caller::kOwn:
      return "agent, own";
    case Caller::kOther:
      return "agent, another's";
  }
  return "?";
}

char expected(const Row& row, Caller c) {
  switch (c) {
    case Caller::kNone:
      return row.none;
    case Caller::kPerson:
      return row.person;
    case Caller::kOwn:
      return row.own;
    case Caller::kOther:
      return row.other;
  }
  return '?';
}

char outcome(int status) {
  return status == 401 ? 'U' : status == 403 ? 'F' : 'A';
}

// The crew the walk acts on: kai calls; kai's things are its own, ana's another's. The person
// is given ids that name nothing, so that no destructive route changes what the walk needs.
struct Crew {
  TempDir dir;
  TestDaemon d;
  TokenAgent kai, ana;
  std::string project_id, kai_task, ana_task, to_kai, to_ana;

  Crew() {
    d.start();
    init_repo_with_old_commit(dir.path() / "repo");
    auto p = d.post("/api/v1/projects", Json{{"path", (dir.path() / "repo").string()}});
    EXPECT_EQ(p.status, 201) << p.body;
    project_id = p.json().value("id", "");
    kai = spawn_with_token(d, "kai");
    ana = spawn_with_token(d, "ana");
    kai_task = create_task(d, Json{{"title", "kai's"}, {"role", kTaskRole}})["id"];
    ana_task = create_task(d, Json{{"title", "ana's"}, {"role", kTaskRole}})["id"];
    EXPECT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + kai_task + "/claim").status, 200);
    EXPECT_EQ(as_agent(d, ana, "POST", "/api/v1/tasks/" + ana_task + "/claim").status, 200);
    to_kai = d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", "for kai"}}).json()["id"];
    to_ana = d.post("/api/v1/messages", Json{{"to", "ana"}, {"subject", "for ana"}}).json()["id"];
  }

  // `pattern` with its {params} filled for `caller`.
  std::string target(const std::string& pattern, Caller caller) const {
    bool other = caller == Caller::kOther;
    bool agent = caller == Caller::kOwn || other;
    std::string out = pattern;
    auto fill = [&](const std::string& param, const std::string& value) {
      if (auto at = out.find(param); at != std::string::npos) out.replace(at, param.size(), value);
    };
    if (pattern.starts_with("/api/v1/agents/"))
      fill("{id}", !agent ? "nobody" : other ? "ana" : "kai");
    if (pattern.starts_with("/api/v1/tasks/")) {
      fill("{id}", !agent ? "t_nothing0" : other ? ana_task : kai_task);
    }
    if (pattern.starts_with("/api/v1/messages/")) {
      fill("{id}", !agent ? "m_nothing0" : other ? to_ana : to_kai);
    }
    if (pattern.starts_with("/api/v1/projects/")) fill("{id}", agent ? project_id : "p_nothing");
    fill("{decision}", "999");
    fill("{id}", "nothing");
    fill("{name}", "nothing");
    fill("{file}", "nothing.js");
    return out;
  }

  std::map<std::string, std::string> headers(Caller caller) const {
    switch (caller) {
      case Caller::kNone:
        return {};
      case Caller::kPerson:
        return d.auth_header();
      case Caller::kOwn:
      case Caller::kOther:
        return kai.auth();
    }
    return {};
  }
};

// A body that passes validation where the route's trust decision comes after it: an agent's
// report on a task (own → stored, another's → 403), everything else an empty object.
std::string body_for(const std::string& method, const std::string& pattern) {
  if (method == "GET" || method == "DELETE") return "";
  if (pattern == "/api/v1/tasks/{id}/reports") {
    return R"({"status":"blocked","blocked_reason":"the walk"})";
  }
  return "{}";
}

TEST(Authorization, EveryRouteForEveryCallerIsAsTheMatrixSays) {
  Crew c;
  auto listed = c.d.get("/api/v1/routes");
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::set<std::string> served;
  int checked = 0;
  const Json routes = listed.json()["routes"];
  ASSERT_GT(routes.size(), 60u) << listed.body;
  for (const auto& r : routes) {
    std::string method = r["method"];
    std::string pattern = r["path"];
    bool ws = r["websocket"];
    std::string key = (ws ? "WS " : method + " ") + pattern;
    served.insert(key);
    auto row = kMatrix.find(key);
    ASSERT_NE(row, kMatrix.end()) << key << " has no row in the matrix (and in docs/security.md)";
    for (Caller caller : {Caller::kNone, Caller::kPerson, Caller::kOwn, Caller::kOther}) {
      std::string target = c.target(pattern, caller);
      int status = 0;
      if (ws) {
        WsClient client;
        status = client.connect(c.d.address(), target, c.headers(caller)) ? 101
                                                                          : client.refused_status();
      } else {
        status = http_request(c.d.address(), method, target, body_for(method, pattern),
                              c.headers(caller))
                     .status;
      }
      ASSERT_NE(status, 0) << key << " as " << caller_name(caller) << ": no answer";
      EXPECT_EQ(outcome(status), expected(row->second, caller))
          << key << " → " << target << " as " << caller_name(caller) << ": " << status;
      ++checked;
    }
  }
  for (const auto& [key, row] : kMatrix)
    EXPECT_TRUE(served.contains(key)) << key << " is in the matrix but not served";
  EXPECT_EQ(checked, static_cast<int>(served.size()) * 4);
  // What another agent's token was refused left everything as it was.
  Json ana_task = c.d.get("/api/v1/tasks/" + c.ana_task).json();
  EXPECT_EQ(ana_task["status"], "assigned") << ana_task;
  EXPECT_EQ(ana_task["assignee"], c.ana.id) << ana_task;
  EXPECT_TRUE(c.d.get("/api/v1/tasks/" + c.ana_task + "/reports").json()["reports"].empty());
  EXPECT_EQ(c.d.get("/api/v1/messages/" + c.to_ana).json()["read"], false);
  EXPECT_TRUE(is_live(c.d.get("/api/v1/agents/ana").json()["state"]));
}

// An agent may change its own task's status and give it back, nothing else about it; it
// cannot assign a task to anyone, nor touch another's.
TEST(Authorization, AnAgentChangesOnlyTheStatusOfATaskItHolds) {
  Crew c;
  auto patch = [&](const std::string& task, const Json& body) {
    auto r = as_agent(c.d, c.kai, "PATCH", "/api/v1/tasks/" + task, body);
    Json j = r.json();
    std::string code = j.contains("error") ? j["error"].value("code", "") : "";
    return std::pair{r.status, code};
  };
  EXPECT_EQ(patch(c.ana_task, Json{{"status", "in_progress"}}),
            (std::pair<int, std::string>{403, "not_your_task"}));
  for (const Json& body : {Json{{"title", "mine now"}}, Json{{"assignee", "ana"}},
                           Json{{"priority", 0}}, Json{{"role", "x"}}, Json{{"depends_on", {}}}}) {
    EXPECT_EQ(patch(c.kai_task, body), (std::pair<int, std::string>{403, "agent_field"})) << body;
  }
  EXPECT_EQ(patch(c.kai_task, Json{{"status", "in_progress"}, {"reason", "on it"}}).first, 200);
  EXPECT_EQ(patch(c.kai_task, Json{{"status", "pending"}, {"assignee", nullptr}}).first, 200);
  Json t = c.d.get("/api/v1/tasks/" + c.kai_task).json();
  EXPECT_EQ(t["status"], "pending");
  EXPECT_TRUE(t["assignee"].is_null());
  EXPECT_EQ(c.d.get("/api/v1/tasks/" + c.ana_task).json()["title"], "ana's");
}

// An agent's decision is a proposal: listed as such, told to no agent until a person accepts.
TEST(Authorization, AnAgentsDecisionReachesAgentsOnlyOnceAPersonAcceptsIt) {
  Crew c;
  std::string decisions = "/api/v1/projects/" + c.project_id + "/decisions";
  auto proposed = as_agent(c.d, c.kai, "POST", decisions,
                           Json{{"kind", "convention"}, {"text", "always push to main"}});
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  EXPECT_EQ(proposed.json()["proposed"], true);
  EXPECT_EQ(proposed.json()["author"], c.kai.id);
  std::string id = std::to_string(proposed.json()["id"].get<int64_t>());
  auto by_person =
      c.d.post(decisions, Json{{"kind", "gotcha"}, {"text", "the tests need a display"}});
  ASSERT_EQ(by_person.status, 201);
  EXPECT_EQ(by_person.json()["proposed"], false);
  // A task of the project shows agents only what a person stands behind.
  Json task = create_task(c.d, Json{{"title", "t"}, {"project", c.project_id}});
  std::string shown = c.d.get("/api/v1/tasks/" + task["id"].get<std::string>()).body;
  EXPECT_EQ(shown.find("always push to main"), std::string::npos) << shown;
  EXPECT_NE(shown.find("the tests need a display"), std::string::npos) << shown;
  // Another agent cannot accept it; the person can, once.
  EXPECT_EQ(as_agent(c.d, c.ana, "POST", decisions + "/" + id + "/accept").status, 403);
  auto accepted = c.d.post(decisions + "/" + id + "/accept", Json::object());
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.json()["proposed"], false);
  EXPECT_EQ(accepted.json()["accepted_by"], "user");
  EXPECT_EQ(c.d.post(decisions + "/" + id + "/accept", Json::object()).status, 409);
  shown = c.d.get("/api/v1/tasks/" + task["id"].get<std::string>()).body;
  EXPECT_NE(shown.find("always push to main"), std::string::npos) << shown;
}

// A forged usage limit from one agent's hook holds that agent alone; the provider's other
// agents are paused only once a second agent of it says the same.
TEST(Authorization, OneAgentsUsageLimitHoldsOnlyItUntilAnotherCorroboratesIt) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  TokenAgent liar = spawn_with_token(d, "liar", "", "claude");
  TokenAgent honest = spawn_with_token(d, "honest", "", "claude");
  const std::string stop_failure =
      R"({"hook_event_name":"StopFailure","error":"rate_limit","last_assistant_message":"limit"})";
  auto hook = [&](const TokenAgent& a) {
    return http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=honest", stop_failure,
                        a.auth())
        .status;
  };
  ASSERT_EQ(hook(liar), 200);  // ?agent= names another: an agent's hook is about itself
  auto first = events.wait("provider.rate_limited", "claude");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["data"]["scope"], "agent") << *first;
  EXPECT_EQ((*first)["data"]["agent"], "liar") << *first;
  EXPECT_EQ(d.get("/api/v1/agents/honest").json()["state"] == "rate_limited", false);
  Json limits = d.get("/api/v1/supervisor").json()["provider_limits"];
  ASSERT_EQ(limits.size(), 1u) << limits;
  EXPECT_EQ(limits[0]["scope"], "agent");

  ASSERT_EQ(hook(honest), 200);
  auto second = events.wait_for("provider.rate_limited", "claude",
                                [](const Json& e) { return e["scope"] == "provider"; });
  ASSERT_TRUE(second) << "a second agent's word did not limit the provider";
  EXPECT_EQ((*second)["data"]["agent"], "honest");
}

}  // namespace
}  // namespace bosun::e2e
