// The supervisor recovers the task of a stuck agent instead of only reporting it: a sim agent
// that hangs on its task (no output, deaf to input and to interrupts) is nudged, interrupted,
// restarted fresh with the task sent again with a handoff, and finally has the task taken
// back — each step in the task's history — and another agent finishes it. A task taken back
// as often as recover_reassigns allows is blocked and the person is told.
#include <gtest/gtest.h>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> recovery_steps(TestDaemon& d, const std::string& task) {
  std::vector<std::string> steps;
  Json history = d.get("/api/v1/tasks/" + task + "/history").json();
  for (const auto& h : history["history"]) {
    if (h["field"] == "recovery") steps.push_back(h["to"].get<std::string>());
  }
  return steps;
}

// Waits for task.recovery step `step` on `task`.
bool recovery_reaches(EventWaiter& events, const std::string& task, const std::string& step) {
  return events
      .wait_for(
          "task.recovery", task, [&](const Json& data) { return data["step"] == step; }, 30s)
      .has_value();
}

TEST(Recovery, AHungAgentsTaskClimbsTheLadderAndAnotherAgentFinishesIt) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d, Json{{"stuck_after", "500ms"}, {"recover_step", "500ms"}});
  auto hung = spawn_sim(d, events, "hung", "backend", {"--misbehave", "hang"});
  auto task = add_task(d, "Finish the parser", "backend");
  std::string id = task["id"];

  ASSERT_TRUE(recovery_reaches(events, id, "nudged"));
  ASSERT_TRUE(recovery_reaches(events, id, "interrupted"));
  ASSERT_TRUE(recovery_reaches(events, id, "restarted fresh"));
  // The restarted run gets the task again, with what happened as the message.
  auto again = events.wait_for(
      "message.created", "",
      [&](const Json& m) { return m["to"] == "hung" && m["type"] == "task" && m["task_id"] == id; },
      30s);
  ASSERT_TRUE(again);
  std::string again_id = (*again)["subject"];
  auto message = d.get("/api/v1/messages/" + again_id).json();
  EXPECT_NE(message["subject"].get<std::string>().find("again, after a fresh restart"),
            std::string::npos)
      << message;
  EXPECT_NE(message["body"].get<std::string>().find("restarted fresh because agent hung has been "
                                                    "working with no output"),
            std::string::npos)
      << message;
  // It hangs again: the task is taken back, and never given to it again.
  ASSERT_TRUE(recovery_reaches(events, id, "reassigned"));
  Json back = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(back["status"], "pending") << back;
  EXPECT_TRUE(back["assignee"].is_null()) << back;
  EXPECT_EQ(recovery_steps(d, id),
            (std::vector<std::string>{"nudged", "interrupted", "restarted fresh", "reassigned"}));

  spawn_sim(d, events, "ok", "backend");
  ASSERT_TRUE(task_reaches(events, id, "done", 30s));
  Json done = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(done["assignee_name"], "ok") << done;
  // The stuck agent was never handed it again after it was taken back.
  int to_hung_after = 0;
  bool taken = false;
  Json history = d.get("/api/v1/tasks/" + id + "/history").json();
  for (const auto& h : history["history"]) {
    if (h["field"] == "recovery" && h["to"] == "reassigned") taken = true;
    if (taken && h["field"] == "assignee" && h["to"] == hung["id"]) ++to_hung_after;
  }
  EXPECT_EQ(to_hung_after, 0);
}

TEST(Recovery, ATaskThatExhaustsItsLadderIsBlockedAndThePersonIsTold) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d, Json{{"stuck_after", "400ms"}, {"recover_step", "400ms"}, {"recover_reassigns", 1}});
  auto hung = spawn_sim(d, events, "hung", "backend", {"--misbehave", "hang"});
  auto task = add_task(d, "Finish the lexer", "backend");
  std::string id = task["id"];
  ASSERT_TRUE(recovery_reaches(events, id, "blocked"));
  // The agent itself gets a fresh run, free for other work (and the test ends after it is up).
  ASSERT_TRUE(events.wait_for(
      "agent.state", hung["id"], [](const Json& data) { return data["state"] == "idle"; }, 30s));
  Json blocked = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(blocked["status"], "blocked") << blocked;
  EXPECT_EQ(recovery_steps(d, id),
            (std::vector<std::string>{"nudged", "interrupted", "restarted fresh", "blocked"}));
  auto inbox = d.get("/api/v1/inbox").json().dump();
  EXPECT_NE(inbox.find("Task " + id + " is blocked: its agents got stuck on it 1 times"),
            std::string::npos)
      << inbox;
}

}  // namespace
}  // namespace bosun::e2e
