// The supervisor recovers the task of a stuck agent instead of only reporting it: a sim agent
// that hangs on its task (no output, deaf to input and to interrupts) is nudged, interrupted,
// restarted fresh with the task sent again with a handoff, and finally has the task taken
// back — each step in the task's history — and another agent finishes it. A task taken back
// as often as recover_reassigns allows is blocked and the person is told.
#include <gtest/gtest.h>

#include <algorithm>

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
  EXPECT_NE(message["subject"].get<std::string>().find("again, in a new run"), std::string::npos)
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
  auto shown = d.cli({"task", "show", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("recovery:   nudged (hung) → interrupted (hung) → restarted fresh "
                           "(hung) → reassigned (hung)"),
            std::string::npos)
      << shown.out;

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

// A looping agent is nudged and interrupted (which stops its loop, as a CLI's turn stops); idle
// with its task, it is reminded of it, loops again, and the ladder goes on where it stopped: a
// fresh restart with the task, then the task is taken back and finished by another agent.
TEST(Recovery, ALoopingAgentIsInterruptedThenRestartedThenRelieved) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d, Json{{"stuck_after", "400ms"}, {"recover_step", "500ms"}});
  spawn_sim(d, events, "loopy", "backend", {"--misbehave", "loop"});
  auto task = add_task(d, "Fix the flaky test", "backend");
  std::string id = task["id"];
  ASSERT_TRUE(recovery_reaches(events, id, "reassigned"));
  auto steps = recovery_steps(d, id);
  // Nudged and interrupted for the loop, reminded while idle with it, then on up the ladder.
  ASSERT_GE(steps.size(), 4u);
  EXPECT_EQ(steps[0], "nudged");
  EXPECT_EQ(steps[1], "interrupted");
  EXPECT_NE(std::find(steps.begin(), steps.end(), "restarted fresh"), steps.end());
  EXPECT_EQ(steps.back(), "reassigned");
  Json history = d.get("/api/v1/tasks/" + id + "/history").json();
  bool loop_named = false;
  for (const auto& h : history["history"]) {
    if (h["field"] == "recovery" && h["to"] == "nudged") {
      loop_named = h["reason"].get<std::string>().find(
                       "keeps printing the same line: error: "
                       "tests failed") != std::string::npos;
    }
  }
  EXPECT_TRUE(loop_named) << history;
  spawn_sim(d, events, "ok", "backend");
  ASSERT_TRUE(task_reaches(events, id, "done", 30s));
}

// A permanent agent that crashes on its task gets it again in its next run, with a handoff
// saying how the last one ended; once it is not restarted any more, the task goes back to the
// board for another agent, and mail still queued for it bounces.
TEST(Recovery, ACrashedPermanentAgentGetsItsTaskAgainThenTheBoardDoes) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d, Json{{"restart_backoff", "100ms"}, {"restart_limit", 1}, {"recover_step", "1m"}});
  auto crashy = spawn_sim(d, events, "crashy", "backend", {"--misbehave", "crash"}, "", true);
  auto task = add_task(d, "Write the changelog", "backend");
  std::string id = task["id"];
  ASSERT_TRUE(events.wait("agent.restarting", crashy["id"]));
  auto again = events.wait_for(
      "message.created", "",
      [&](const Json& m) {
        return m["to"] == "crashy" && m["type"] == "task" && m["task_id"] == id &&
               m["subject"].get<std::string>().find("again, in a new run") != std::string::npos;
      },
      30s);
  ASSERT_TRUE(again);
  auto message = d.get("/api/v1/messages/" + (*again)["subject"].get<std::string>()).json();
  EXPECT_NE(
      message["body"].get<std::string>().find("Your previous run exited (code 1) while on " + id),
      std::string::npos)
      << message;
  // It crashes on it again: no more restarts, so the task is on the board again.
  ASSERT_TRUE(events.wait("agent.restart_gave_up", crashy["id"]));
  ASSERT_TRUE(task_reaches(events, id, "pending", 30s));
  EXPECT_EQ(recovery_steps(d, id), std::vector<std::string>{"kept for the restart"});
  spawn_sim(d, events, "ok", "backend");
  ASSERT_TRUE(task_reaches(events, id, "done", 30s));
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["assignee_name"], "ok");
}

// An agent that goes idle holding its task — here its done reports lack proof and are refused —
// is reminded of it twice (the task sent again, with what a report needs), then the task is
// taken back and another agent finishes it.
TEST(Recovery, AnAgentIdleWithItsTaskIsRemindedThenItIsTakenBack) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d, Json{{"recover_step", "500ms"}});
  auto lazy = spawn_sim(d, events, "lazy", "backend", {"--misbehave", "no-proof"});
  auto task = add_task(d, "Bump the version", "backend");
  std::string id = task["id"];
  ASSERT_TRUE(recovery_reaches(events, id, "reminded"));
  auto reminder = events.wait_for(
      "message.created", "",
      [&](const Json& m) {
        return m["to"] == "lazy" && m["task_id"] == id &&
               m["subject"].get<std::string>().find("still yours") != std::string::npos;
      },
      30s);
  ASSERT_TRUE(reminder);
  auto body = d.get("/api/v1/messages/" + (*reminder)["subject"].get<std::string>()).json()["body"];
  EXPECT_NE(body.get<std::string>().find("what_was_done, how_verified, verification_result"),
            std::string::npos)
      << body;
  ASSERT_TRUE(recovery_reaches(events, id, "reassigned"));
  EXPECT_EQ(recovery_steps(d, id),
            (std::vector<std::string>{"reminded", "reminded", "reassigned"}));
  spawn_sim(d, events, "ok", "backend");
  ASSERT_TRUE(task_reaches(events, id, "done", 30s));
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["assignee_name"], "ok");
  (void)lazy;
}

// An agent that never takes its [TASK] in (deaf to what is typed): each failed delivery counts
// as a reminder at once, so the task is taken back after the deliveries, long before
// recover_step would have come round three times.
TEST(Recovery, ATaskThatCannotBeDeliveredIsTakenBackAfterItsDeliveriesFail) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  configure(d,
            Json{{"recover_step", "1m"}, {"delivery_timeout", "300ms"}, {"delivery_attempts", 2}});
  spawn_sim(d, events, "deaf", "backend", {"--misbehave", "ignore"});
  auto task = add_task(d, "Tag the release", "backend");
  std::string id = task["id"];
  ASSERT_TRUE(recovery_reaches(events, id, "reassigned"));
  EXPECT_EQ(recovery_steps(d, id),
            (std::vector<std::string>{"reminded", "reminded", "reassigned"}));
  spawn_sim(d, events, "ok", "backend");
  ASSERT_TRUE(task_reaches(events, id, "done", 30s));
}

// Mail waiting in the queue of an agent that is removed, or that exits for good, goes back to
// its sender, saying why.
TEST(Recovery, MailQueuedForAnAgentThatIsGoneBounces) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = d.post("/api/v1/agents", Json{{"name", "shy"}, {"argv", {"sleep", "1000"}}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto sent = d.post("/api/v1/messages", Json{{"to", "shy"}, {"subject", "read me"}});
  ASSERT_EQ(sent.status, 201) << sent.body;
  std::string mid = sent.json()["id"];
  EXPECT_EQ(d.get("/api/v1/messages/" + mid).json()["state"], "queued");
  auto removed = d.del("/api/v1/agents/shy");
  ASSERT_TRUE(removed.status == 200 || removed.status == 202) << removed.body;  // 202: stopping
  auto bounced = events.wait("message.bounced", mid);
  ASSERT_TRUE(bounced);
  Json m = d.get("/api/v1/messages/" + mid).json();
  EXPECT_EQ(m["state"], "bounced") << m;
  EXPECT_EQ(m["error"], "agent shy was removed") << m;

  // And for one that exits: stopped, it is not coming back on its own.
  ASSERT_EQ(d.post("/api/v1/agents", Json{{"name", "brief"}, {"argv", {"sleep", "1000"}}}).status,
            201);
  auto later = d.post("/api/v1/messages", Json{{"to", "brief"}, {"subject", "read me too"}});
  ASSERT_EQ(later.status, 201) << later.body;
  std::string lid = later.json()["id"];
  auto stopped = d.post("/api/v1/agents/brief/stop", Json::object());
  ASSERT_TRUE(stopped.status == 200 || stopped.status == 202) << stopped.body;
  ASSERT_TRUE(events.wait("message.bounced", lid));
  EXPECT_EQ(d.get("/api/v1/messages/" + lid).json()["error"],
            "agent brief was stopped and is not coming back");
}

}  // namespace
}  // namespace bosun::e2e
