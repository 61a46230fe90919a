// The supervisor and the delivery engine on a manual clock, over real agents on this machine:
// a person's stop is not a crash (no restart) while an exit nobody asked for is (restarted after
// its backoff, to the millisecond); mail a stopped daemon left queued is delivered by the next
// one, its attempts counted on; an Enter lost while the CLI draws the paste is pressed again
// without typing the line twice; a dialog the profile marks safe is answered once it can take
// keys, and no other is. See support/this_machine.h.
#include <gtest/gtest.h>

#include <fstream>

#include "agent/profile.h"
#include "crew/mailbox.h"
#include "support/awaited.h"
#include "support/this_machine.h"

namespace bosun {
namespace {

using std::chrono::milliseconds;

class CrewOnTheClock : public testing::CrewOnThisMachine {
 protected:
  void configure(const Json& keys) {
    auto c = supervisor_config_from_json(keys);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(testing::awaited(io_, supervisor_->configure(*c)).value_or(Status()));
  }
  bool live(const std::string& name) {
    auto v = registry_->view(name);
    return v && v->live();
  }
  int64_t generation(const std::string& name) {
    auto v = registry_->view(name);
    return v && v->run ? v->run->generation : 0;
  }
  // A message from the person to `to`, queued as the API queues it.
  Message queue(const std::string& to, const std::string& subject) {
    RegistryDirectory directory(*registry_);
    Mailbox mailbox(*store_, *bus_, clock_, directory);
    auto m = mailbox.send(MessageDraft{.from = "user", .to = to, .subject = subject});
    EXPECT_TRUE(m) << (m ? "" : m.error().message);
    return m ? *m : Message{};
  }
  Message stored(const std::string& id) {
    auto m = store_->messages().get(id);
    EXPECT_TRUE(m) << id;
    return m ? *m : Message{};
  }
};

TEST_F(CrewOnTheClock, APersonsStopIsNotACrashButAnExitNobodyAskedForIs) {
  start_crew();
  configure(Json{{"restart_backoff", 1000}});
  SpawnRequest req;
  req.name = "kai";
  req.argv = {"/bin/sh", "-c", "read line; exit 3"};
  req.permanent = true;
  spawn(req);
  ASSERT_TRUE(run_until([&] { return live("kai"); }));

  ASSERT_TRUE(registry_->stop("kai", 500));
  ASSERT_TRUE(reaches("kai", AgentState::kExited));
  advance(milliseconds(3'600'000));
  EXPECT_TRUE(all("agent.restarting").empty()) << "a person's stop was taken for a crash";
  EXPECT_EQ(state("kai"), AgentState::kExited);
  EXPECT_EQ(generation("kai"), 1);

  // Started again by the person, then the program ends on its own: that is a crash.
  ASSERT_TRUE(registry_->restart("kai"));
  ASSERT_TRUE(run_until([&] { return live("kai") && generation("kai") == 2; }));
  ASSERT_TRUE(registry_->input("kai", "bye", true));
  ASSERT_TRUE(reaches("kai", AgentState::kExited));
  settle();
  auto restarting = all("agent.restarting");
  ASSERT_EQ(restarting.size(), 1u);
  EXPECT_EQ(restarting[0]["delay_ms"], 1000);
  EXPECT_EQ(restarting[0]["reason"], "exited");
  advance(milliseconds(999));
  EXPECT_EQ(generation("kai"), 2) << "restarted before its backoff";
  advance(milliseconds(1));
  ASSERT_TRUE(run_until([&] { return live("kai") && generation("kai") == 3; }));
}

TEST_F(CrewOnTheClock, MailADaemonLeftQueuedIsDeliveredByTheNextOne) {
  spawn_sim("ann");
  ASSERT_TRUE(reaches("ann", AgentState::kIdle, milliseconds(25)));
  // The last daemon queued it and typed it once, then stopped before the turn was seen.
  Message m = queue("ann", "the release notes");
  RegistryDirectory directory(*registry_);
  ASSERT_TRUE(Mailbox(*store_, *bus_, clock_, directory).record_attempt(m.id, std::nullopt));
  ASSERT_EQ(stored(m.id).state, "queued");

  start_crew();  // the next daemon's engines
  ASSERT_TRUE(run_until([&] { return stored(m.id).state != "queued"; }, std::chrono::seconds(15),
                        milliseconds(25)));
  Message after = stored(m.id);
  EXPECT_EQ(after.state, "delivered");
  EXPECT_EQ(after.attempts, 2);  // counted on from the last daemon's
  EXPECT_NE(screen_text("ann").find("[MAIL] " + m.id), std::string::npos) << screen_text("ann");
}

TEST_F(CrewOnTheClock, AnEnterLostWhileThePasteIsDrawnIsPressedAgainNotRetyped) {
  spawn_sim("slow", {"--misbehave", "slow-paste"});
  ASSERT_TRUE(reaches("slow", AgentState::kIdle, milliseconds(25)));
  start_crew();
  configure(Json{{"delivery_timeout", 500}, {"delivery_attempts", 3}});
  Message m = queue("slow", "hello");
  ASSERT_TRUE(run_until([&] { return stored(m.id).state != "queued"; }, std::chrono::seconds(15),
                        milliseconds(25)));
  Message after = stored(m.id);
  EXPECT_EQ(after.state, "delivered");
  EXPECT_EQ(after.attempts, 2);
  std::string screen = screen_text("slow");
  std::string typed = "[MAIL] " + m.id;
  auto first = screen.find(typed);
  ASSERT_NE(first, std::string::npos) << screen;
  EXPECT_EQ(screen.find(typed, first + 1), std::string::npos) << "typed twice: " << screen;
}

// A program that asks the sim profile's permission question, then says what it was told.
SpawnRequest asker() {
  SpawnRequest req;
  req.name = "asker";
  req.profile = "sim";
  req.argv = {"/bin/sh", "-c",
              "printf 'Allow edits to notes.txt? (y/n) '; read a; echo told-$a; "
              "exec sleep 1000"};
  return req;
}

TEST_F(CrewOnTheClock, ADialogTheProfileMarksSafeIsAnsweredOnceItTakesKeys) {
  // The project's own sim profile: the built-in one, its allow-edits dialog marked safe.
  std::string text;
  for (const auto& f : builtin_profile_files()) {
    if (f.name == "sim") text = std::string(f.text);
  }
  const std::string keys = "    keys: [\"y\", \"\\r\"]\n";
  ASSERT_NE(text.find(keys), std::string::npos) << text;
  text.replace(text.find(keys), keys.size(), keys + "    auto_answer: true\n");
  std::filesystem::create_directories(dir_ / ".bosun" / "profiles");
  std::ofstream(dir_ / ".bosun" / "profiles" / "sim.yaml") << text;

  start_crew();
  spawn(asker());
  ASSERT_TRUE(reaches("asker", AgentState::kWaitingInput)) << screen_text("asker");
  EXPECT_EQ(registry_->view("asker")->reading.dialog, "allow-edits");
  advance(DialogAnswers::kSettle - milliseconds(1));
  EXPECT_TRUE(all("agent.dialog_answered").empty()) << "answered in the dialog's first moments";
  advance(milliseconds(1));              // "y"
  advance(DialogAnswers::kBetweenKeys);  // Enter
  ASSERT_TRUE(run_until([&] { return screen_text("asker").find("told-y") != std::string::npos; }))
      << screen_text("asker");
  auto answered = all("agent.dialog_answered");
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0]["dialog"], "allow-edits");
  EXPECT_EQ(answered[0]["name"], "asker");
}

TEST_F(CrewOnTheClock, ADialogNotMarkedSafeStaysAPersonsCall) {
  start_crew();
  spawn(asker());
  ASSERT_TRUE(reaches("asker", AgentState::kWaitingInput)) << screen_text("asker");
  for (int i = 0; i < 60; ++i)
    advance(milliseconds(1000));
  settle();
  EXPECT_TRUE(all("agent.dialog_answered").empty());
  EXPECT_EQ(state("asker"), AgentState::kWaitingInput);
  EXPECT_EQ(screen_text("asker").find("told-"), std::string::npos) << screen_text("asker");
}

}  // namespace
}  // namespace bosun
