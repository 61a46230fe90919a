// `bosun agent …` end to end: the CLI against a real daemon, and `attach` in a real tmux pane.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "support/agents.h"
#include "support/tmux.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(AgentCli, SpawnListShowSendScreen) {
  TestDaemon d;
  d.start();
  auto spawned = d.cli({"agent", "spawn", "kai", "--cols", "90", "--rows", "20", "--", "bash",
                        "--norc", "--noprofile", "-i"});
  ASSERT_EQ(spawned.exit_code, 0) << spawned.err;
  EXPECT_TRUE(contains(spawned.out, "spawned kai (ag_")) << spawned.out;

  auto list = d.cli({"agent", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(contains(list.out, "kai")) << list.out;
  EXPECT_TRUE(contains(list.out, "idle") || contains(list.out, "working") ||
              contains(list.out, "running"))
      << list.out;
  EXPECT_TRUE(contains(list.out, "bash --norc --noprofile -i")) << list.out;

  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal?from=0", d.auth_header()));
  ASSERT_EQ(d.cli({"agent", "send", "kai", "echo sent-$((40+2))"}).exit_code, 0);
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "sent-42")) << seen;
  auto screen = d.cli({"agent", "screen", "kai"});
  EXPECT_TRUE(contains(screen.out, "\nsent-42\n")) << screen.out;

  // --no-submit types without Enter: nothing runs until Enter arrives.
  ASSERT_EQ(d.cli({"agent", "send", "--no-submit", "kai", "echo held-$((1+1))"}).exit_code, 0);
  ASSERT_TRUE(terminal_until(term, seen, "echo held-$((1+1))")) << seen;
  EXPECT_FALSE(contains(seen, "held-2\r\n"));
  ASSERT_EQ(d.cli({"agent", "send", "kai", ""}).exit_code, 0);
  EXPECT_TRUE(terminal_until(term, seen, "held-2\r\n")) << seen;

  auto show = d.cli({"agent", "show", "kai"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out, "state:     idle") || contains(show.out, "state:     working"))
      << show.out;
  EXPECT_TRUE(contains(show.out, "terminal:  90x20")) << show.out;
  auto json = d.cli({"agent", "show", "kai", "--json"});
  EXPECT_EQ(Json::parse(json.out)["name"], "kai");
}

TEST(AgentCli, ResizeInterruptKillRestartRemove) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal?from=0", d.auth_header()));
  ASSERT_EQ(d.cli({"agent", "resize", "kai", "111", "33"}).exit_code, 0);
  ASSERT_EQ(d.cli({"agent", "send", "kai", "stty size"}).exit_code, 0);
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "33 111")) << seen;

  ASSERT_EQ(d.cli({"agent", "send", "kai", "sleep 1001; echo after-$((3*3))"}).exit_code, 0);
  ASSERT_TRUE(terminal_until(term, seen, "sleep 1001")) << seen;
  ASSERT_EQ(d.cli({"agent", "interrupt", "kai"}).exit_code, 0);
  ASSERT_EQ(d.cli({"agent", "send", "kai", "echo back-$((5*5))"}).exit_code, 0);
  ASSERT_TRUE(terminal_until(term, seen, "back-25")) << seen;
  EXPECT_FALSE(contains(seen, "after-9"));

  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(d.cli({"agent", "kill", "kai", "--grace", "500"}).exit_code, 0);
  ASSERT_TRUE(events.wait("agent.exited", ""));
  EXPECT_TRUE(contains(d.cli({"agent", "list"}).out, "kai"));
  auto refused = d.cli({"agent", "send", "kai", "echo too late"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(contains(refused.err, "bosun: ")) << refused.err;

  ASSERT_EQ(d.cli({"agent", "restart", "kai"}).exit_code, 0);
  ASSERT_TRUE(events.wait("agent.state", ""));
  auto agent = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(agent["generation"], 2);

  ASSERT_EQ(d.cli({"agent", "rm", "kai"}).exit_code, 0);
  ASSERT_TRUE(events.wait("agent.removed", ""));
  EXPECT_EQ(d.get("/api/v1/agents/kai").status, 404);
}

TEST(AgentCli, LogsFromOffsetAndFollowUntilExit) {
  TestDaemon d;
  d.start();
  auto r = d.cli({"agent", "spawn", "ticker", "--", "bash", "-c",
                  "for i in 1 2 3 4 5; do echo tick-$i; sleep 0.1; done; exit 4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto follow = d.cli({"agent", "logs", "--follow", "ticker"});
  ASSERT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_EQ(follow.out, "tick-1\r\ntick-2\r\ntick-3\r\ntick-4\r\ntick-5\r\n");
  auto from = d.cli({"agent", "logs", "ticker", "--from", "8"});
  EXPECT_EQ(from.out, "tick-2\r\ntick-3\r\ntick-4\r\ntick-5\r\n");
  auto show = d.cli({"agent", "show", "ticker"});
  EXPECT_TRUE(contains(show.out, "exit code: 4")) << show.out;
  EXPECT_TRUE(contains(d.cli({"agent", "list"}).out, "exited 4"));

  // A run ended by a signal names it, not just its number.
  ASSERT_EQ(d.cli({"agent", "spawn", "sleeper", "--", "sleep", "600"}).exit_code, 0);
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  std::string id = d.get("/api/v1/agents/sleeper").json()["id"];
  ASSERT_EQ(d.cli({"agent", "kill", "sleeper"}).exit_code, 0);
  ASSERT_TRUE(events.wait("agent.exited", id).has_value());
  auto shown = d.cli({"agent", "show", "sleeper"});
  EXPECT_TRUE(std::regex_search(shown.out, std::regex("killed by SIG[A-Z]+ \\(signal [0-9]+\\)")))
      << shown.out;
}

// A program that cannot be run is refused at spawn with the reason (it used to be "spawned",
// exit 0, and a run that exited 127), and nothing is created.
TEST(AgentCli, ASpawnWhoseProgramCannotBeRunFailsWithTheReason) {
  TestDaemon d;
  d.start();
  auto missing = d.cli({"agent", "spawn", "ghost", "--", "nosuchprogram", "--flag"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "bosun: cannot run 'nosuchprogram': not found on PATH ("))
      << missing.err;
  auto json = d.cli({"agent", "spawn", "ghost", "--json", "--", "./nothere.sh"});
  EXPECT_EQ(json.exit_code, 3);
  EXPECT_EQ(Json::parse(json.out)["error"]["code"], "program_not_found") << json.out;
  // A file that is there but not executable; a PATH of the agent's own that lacks the program.
  TempDir dir;
  std::ofstream(dir.path() / "notes.txt") << "echo hi\n";  // created 0644
  auto plain = d.cli({"agent", "spawn", "ghost", "--", (dir.path() / "notes.txt").string()});
  EXPECT_EQ(plain.exit_code, 3);
  EXPECT_TRUE(contains(plain.err, "no executable file there")) << plain.err;
  auto path = d.cli({"agent", "spawn", "ghost", "--env", "PATH=/nowhere", "--", "bash"});
  EXPECT_EQ(path.exit_code, 3);
  EXPECT_TRUE(contains(path.err, "not found on PATH (/nowhere)")) << path.err;
  EXPECT_EQ(d.get("/api/v1/agents").json()["agents"].size(), 0u);
  // The same program by its full path, or found on the PATH, runs.
  EXPECT_EQ(d.cli({"agent", "spawn", "one", "--", "/bin/true"}).exit_code, 0);
  EXPECT_EQ(d.cli({"agent", "spawn", "two", "--", "true"}).exit_code, 0);
}

TEST(AgentCli, ErrorsAreClearAndExitNonZero) {
  TestDaemon d;
  d.start();
  auto unknown = d.cli({"agent", "show", "nobody"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_TRUE(contains(unknown.err, "nobody")) << unknown.err;
  auto weird = d.cli({"agent", "show", "../../healthz?x=1"});
  EXPECT_EQ(weird.exit_code, 3);
  spawn(d, "kai", kBash);
  auto size = d.cli({"agent", "resize", "kai", "0", "0"});
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_TRUE(contains(size.err, "cols")) << size.err;
  auto usage = d.cli({"agent", "resize", "kai"});
  EXPECT_EQ(usage.exit_code, 2);
  auto dup = d.cli({"agent", "spawn", "kai", "--", "true"});
  EXPECT_EQ(dup.exit_code, 4);
  EXPECT_TRUE(contains(dup.err, "kai")) << dup.err;
  auto key = d.cli({"agent", "attach", "kai", "--detach-key", "ctrl-long"});
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_TRUE(contains(key.err, "--detach-key")) << key.err;
  TempDir empty;
  auto none = run_bosun({"--state", (empty.path() / "s").string(), "agent", "list"});
  EXPECT_EQ(none.exit_code, 6);
  EXPECT_TRUE(contains(none.err, "no bosun daemon")) << none.err;
}

// A user's session: attach from a tmux pane, type, resize the window, get one answer to a
// terminal query, detach with the key, find the terminal restored, re-attach, see the agent exit.
TEST(AgentCli, AttachInATmuxPaneShowsTypesAndDetaches) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash, 120, 40);
  TempDir dir;
  Tmux pane(dir.path(), 100, 30, {"bash", "--norc", "--noprofile"},
            {{"PS1", "user$ "}, {"BOSUN_STATE", d.state_dir().string()}, {"PATH", getenv("PATH")}});
  ASSERT_TRUE(pane.ok());
  ASSERT_TRUE(pane.wait_for("user$"));
  std::string attach = std::string(BOSUN_BINARY) + " agent attach kai";
  ASSERT_TRUE(pane.type_line(attach));

  // Typing reaches the agent, and the agent's terminal took the pane's size.
  ASSERT_TRUE(pane.type_line("echo hi-$((6*7)); stty size"));
  ASSERT_TRUE(pane.wait_for("30 100")) << pane.capture();
  EXPECT_TRUE(contains(pane.capture(), "\nhi-42\n")) << pane.capture();

  // Resizing the user's window resizes the agent's terminal.
  ASSERT_TRUE(pane.resize(72, 18));
  ASSERT_TRUE(pane.type_line("stty size"));
  ASSERT_TRUE(pane.wait_for("18 72")) << pane.capture();

  // A cursor-position query gets exactly one answer (the daemon's), not a second from tmux.
  ASSERT_TRUE(
      pane.type_line("printf '\\e[6n'; read -rs -d R r; echo \"cpr=${r#*[}\"; "
                     "read -rs -t 1 -d R x && echo replies=$((1+1)) || echo replies=$((0+1))"));
  ASSERT_TRUE(pane.wait_for("replies=1")) << pane.capture();
  // The answer itself ("cpr=ROW;COL"; the typed command only says "cpr=${r#*[}").
  EXPECT_TRUE(std::regex_search(pane.capture(), std::regex("cpr=[0-9]+;[0-9]+"))) << pane.capture();

  // The detach key leaves the agent running and the user's terminal as it was.
  ASSERT_TRUE(pane.press("C-]"));
  ASSERT_TRUE(pane.wait_for("[bosun: detached from kai]")) << pane.capture();
  ASSERT_TRUE(
      pane.type_line("stty -a | grep -qw icanon && stty -a | grep -qw echo && echo cooked"));
  ASSERT_TRUE(pane.wait_for("\ncooked")) << pane.capture();
  EXPECT_TRUE(is_live(d.get("/api/v1/agents/kai").json()["state"]));

  // Output made while detached is there on re-attach (painted from the daemon's screen
  // model); the agent exiting ends attach with exit code 0.
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal", d.auth_header()));
  ASSERT_EQ(d.cli({"agent", "send", "kai", "echo away-$((7*7))"}).exit_code, 0);
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "away-49")) << seen;
  ASSERT_TRUE(pane.type_line(attach + " --detach-key ^Q; echo attach-exit=$?"));
  ASSERT_TRUE(pane.wait_for("away-49")) << pane.capture();
  ASSERT_TRUE(pane.type_line("exit 5"));
  ASSERT_TRUE(pane.wait_for("[bosun: kai exited with code 5]")) << pane.capture();
  ASSERT_TRUE(pane.wait_for("attach-exit=0")) << pane.capture();
}

}  // namespace
}  // namespace bosun::e2e
