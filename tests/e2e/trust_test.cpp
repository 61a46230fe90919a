// Trust boundaries end to end: what reaches a terminal, and where a task goes when its agent
// is gone — against a real daemon, real shells and real agent processes.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

// Spawns an interactive bash (with `role`, when not empty) and waits until it is idle.
Json spawn_shell(TestDaemon& d, EventWaiter& events, const std::string& name,
                 const std::string& role = "") {
  Json body{{"name", name}, {"argv", kBash}};
  if (!role.empty()) body["role"] = role;
  return spawn_idle(d, events, body);
}

// Types `echo <marker>` into a shell agent and waits until the shell has run it: whatever
// bosun would have typed into it before has been run by then too.
bool shell_answers(TestDaemon& d, const std::string& agent, const std::string& marker) {
  auto r = d.post("/api/v1/agents/" + agent + "/input",
                  Json{{"data", "echo " + marker + "-$((6*7))"}, {"submit", true}});
  if (r.status != 200) return false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline;) {
    auto shown = d.get("/api/v1/agents/" + agent + "/screen").json().dump();
    if (shown.find(marker + "-42") != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);  // the screen has no event of its own
  }
  return false;
}

Json messages_to(TestDaemon& d, const std::string& agent) {
  return d.get("/api/v1/messages?to=" + agent).json()["messages"];
}

// A plain shell is nobody's worker: a task whose title is a shell command is never handed to
// it nor typed into it; the next agent CLI that comes along takes it.
TEST(Trust, ATaskTitleIsNeverRunByAPlainShell) {
  TempDir dir;
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  fs::path planted = dir.path() / "planted";
  spawn_shell(d, events, "sh");
  auto task = add_task(d, "Fix it; touch " + planted.string() + "; echo", "");
  Json sim = spawn_sim(d, events, "cli", "");
  auto assigned = events.wait_for("task.updated", task["id"],
                                  [](const Json& e) { return e["task"]["status"] == "assigned"; });
  ASSERT_TRUE(assigned);
  EXPECT_EQ((*assigned)["data"]["task"]["assignee"], sim["id"]);
  ASSERT_TRUE(shell_answers(d, "sh", "alive"));
  EXPECT_FALSE(fs::exists(planted));
  EXPECT_TRUE(messages_to(d, "sh").empty());
}

// A shell a person gave a role is a crew member: it is handed tasks, but they wait in its
// inbox — nothing is typed at its prompt.
TEST(Trust, AShellWithARoleReadsItsTasksFromItsInbox) {
  TempDir dir;
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  fs::path planted = dir.path() / "planted";
  Json sh = spawn_shell(d, events, "ops", "ops");
  auto task = add_task(d, "Deploy; touch " + planted.string() + "; echo", "ops");
  ASSERT_TRUE(task_reaches(events, task["id"], "assigned"));
  ASSERT_TRUE(shell_answers(d, "ops", "alive"));
  Json inbox = messages_to(d, "ops");
  ASSERT_EQ(inbox.size(), 1u) << inbox;
  EXPECT_EQ(inbox[0]["type"], "task");
  EXPECT_EQ(inbox[0]["state"], "queued");
  EXPECT_EQ(inbox[0]["attempts"], 0);
  EXPECT_FALSE(fs::exists(planted));
  // Heartbeats are typed too: a shell gets none.
  configure(d, Json{{"heartbeat", "100ms"}});
  ASSERT_TRUE(shell_answers(d, "ops", "still"));
  for (const auto& m : messages_to(d, "ops"))
    EXPECT_NE(m["type"], "heartbeat") << m;
}

// Mail to a shell waits in its inbox: a subject made to run is never typed.
TEST(Trust, AMailSubjectIsNeverRunByAShell) {
  TempDir dir;
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  fs::path planted = dir.path() / "planted";
  spawn_shell(d, events, "sh");
  auto sent = d.post("/api/v1/messages",
                     Json{{"to", "sh"}, {"subject", "x; touch " + planted.string() + " #"}});
  ASSERT_EQ(sent.status, 201) << sent.body;
  ASSERT_TRUE(shell_answers(d, "sh", "alive"));
  Json m = d.get("/api/v1/messages/" + sent.json()["id"].get<std::string>()).json();
  EXPECT_EQ(m["state"], "queued") << m;
  EXPECT_EQ(m["attempts"], 0) << m;
  EXPECT_FALSE(fs::exists(planted));
}

// A task goes back to the board, with the reason in its history, when its agent is stopped or
// removed — and the next free agent takes it.
TEST(Trust, ATaskGoesBackToTheBoardWhenItsAgentIsStoppedOrRemoved) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  Json ops = spawn_shell(d, events, "ops", "ops");
  auto first = add_task(d, "First", "ops");
  ASSERT_TRUE(task_reaches(events, first["id"], "assigned"));
  ASSERT_EQ(d.post("/api/v1/agents/ops/stop", Json::object()).status, 202);
  auto back = events.wait_for("task.updated", first["id"],
                              [](const Json& e) { return e["task"]["status"] == "pending"; });
  ASSERT_TRUE(back);
  EXPECT_TRUE((*back)["data"]["task"]["assignee"].is_null()) << *back;
  EXPECT_EQ((*back)["data"]["reason"], "agent ops was stopped: back to the board") << *back;

  Json other = spawn_shell(d, events, "ops2", "ops");
  auto taken = events.wait_for("task.updated", first["id"],
                               [](const Json& e) { return e["task"]["status"] == "assigned"; });
  ASSERT_TRUE(taken);
  EXPECT_EQ((*taken)["data"]["task"]["assignee"], other["id"]);
  auto removed = http_request(d.address(), "DELETE", "/api/v1/agents/ops2", "", d.auth_header());
  ASSERT_EQ(removed.status / 100, 2) << removed.body;
  auto again = events.wait_for("task.updated", first["id"],
                               [](const Json& e) { return e["task"]["status"] == "pending"; });
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["data"]["reason"], "agent ops2 was removed: back to the board") << *again;
  auto history = d.get("/api/v1/tasks/" + first["id"].get<std::string>() + "/history").json();
  EXPECT_NE(history.dump().find("was stopped: back to the board"), std::string::npos) << history;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

// A state directory that already exists with loose modes (a repository that commits
// .bosun/roles/, a loose umask) is made private on start, with a warning for each change.
TEST(Trust, AnExistingLooseStateDirectoryIsTightenedOnStart) {
  TempDir dir;
  fs::path state = dir.path() / ".bosun";
  {
    TestDaemon first(state);
    first.start();
    ASSERT_EQ(first.post("/api/v1/journal", Json{{"text", "a write for the WAL"}}).status, 201);
    // A fresh state directory is private from the start.
    EXPECT_EQ(mode_of(state), 0700u);
    for (const char* f : {"bosun.db", "bosun.db-wal", "bosun.db-shm", "token", "logs/bosun.log"}) {
      EXPECT_EQ(mode_of(state / f), 0600u) << f;
    }
    ASSERT_EQ(first.stop(), 0);
  }
  for (const char* d : {"", "logs", "run", "journal", "worktrees"})
    fs::permissions(state / d, fs::perms(0755));
  for (const char* f : {"bosun.db", "token", "logs/bosun.log"})
    fs::permissions(state / f, fs::perms(0644));

  TestDaemon second(state);
  second.start();
  for (const char* d : {"", "logs", "run", "journal", "worktrees"})
    EXPECT_EQ(mode_of(state / d), 0700u) << d;
  for (const char* f : {"bosun.db", "bosun.db-wal", "bosun.db-shm", "token", "logs/bosun.log"})
    EXPECT_EQ(mode_of(state / f), 0600u) << f;
  std::string err = second.stderr_text();
  EXPECT_NE(err.find("serve.state_tightened"), std::string::npos) << err;
  EXPECT_NE(err.find("bosun.db was 0644, now 0600"), std::string::npos) << err;
  EXPECT_NE(err.find(".bosun was 0755, now 0700"), std::string::npos) << err;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

// An agent's token is its run's: a new one each run, none once the run ends; and its
// environment does not name the state directory, where the person's token lives.
TEST(Trust, AnAgentTokenLivesAndDiesWithItsRun) {
  TempDir dir;
  TestDaemon d;
  d.start();
  // Each run writes "TOKEN STATE" to run1, then run2.
  std::string script = "f=" + (dir.path() / "run1").string() +
                       "; [ -e \"$f\" ] && f=" + (dir.path() / "run2").string() +
                       "; echo \"$BOSUN_TOKEN ${BOSUN_STATE-none}\" > \"$f.tmp\" && "
                       "mv \"$f.tmp\" \"$f\"; exec sleep 1000";
  spawn(d, "kai", Json::array({"bash", "--norc", "--noprofile", "-c", script}));
  ASSERT_TRUE(wait_for_file(dir.path() / "run1", 10s));
  std::string first = read_text(dir.path() / "run1");
  std::string token1 = first.substr(0, first.find(' '));
  EXPECT_EQ(first.substr(first.find(' ') + 1), "none") << first;
  auto as = [&](const std::string& token) {
    return http_request(d.address(), "GET", "/api/v1/inbox", "",
                        {{"Authorization", "Bearer " + token}})
        .status;
  };
  EXPECT_EQ(as(token1), 200);

  ASSERT_EQ(d.post("/api/v1/agents/kai/restart", Json::object()).status / 100, 2);
  ASSERT_TRUE(wait_for_file(dir.path() / "run2", 10s));
  std::string token2 = read_text(dir.path() / "run2");
  token2 = token2.substr(0, token2.find(' '));
  EXPECT_NE(token2, token1);
  EXPECT_EQ(as(token1), 401);  // the last run's token is dead
  EXPECT_EQ(as(token2), 200);

  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json::object()).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", d.get("/api/v1/agents/kai").json()["id"]));
  EXPECT_EQ(as(token2), 401);  // and so is this one, once the run ended
  // A restarted daemon keeps a stopped agent's token dead.
  ASSERT_EQ(d.stop(), 0);
  d.start();
  EXPECT_EQ(as(token2), 401);
}

// A unix-socket connection from the test process (not the daemon) to `path`; -1 on failure.
int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Another process of the same user cannot drive an agent's holder: what it types is never
// read, and holding every slot it can open does not keep the daemon out after a restart.
TEST(Trust, OnlyTheDaemonDrivesAHolder) {
  TempDir dir;
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  Json kai = spawn_shell(d, events, "kai");
  Json shown_kai = d.get("/api/v1/agents/kai").json();
  std::string socket = (d.state_dir() / "run" /
                        (shown_kai["id"].get<std::string>() + "-" +
                         std::to_string(shown_kai["generation"].get<int64_t>()) + ".sock"))
                           .string();
  ASSERT_TRUE(fs::exists(socket)) << socket;
  fs::path planted = dir.path() / "planted";

  int fd = connect_unix(socket);
  ASSERT_GE(fd, 0);
  timeval bound{5, 0};  // a holder that reads what it is sent never closes: do not wait forever
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  std::string line = "touch " + planted.string() + "\r";
  std::string frame(4, '\0');
  uint32_t n = static_cast<uint32_t>(line.size() + 1);
  for (int i = 0; i < 4; ++i)
    frame[static_cast<size_t>(i)] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
  frame += '\x02';  // input
  frame += line;
  (void)::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[512];
  for (ssize_t got; (got = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    answer.append(buf, static_cast<size_t>(got));  // until the holder closes it
  ::close(fd);
  EXPECT_NE(answer.find("not the daemon"), std::string::npos) << answer;
  ASSERT_TRUE(shell_answers(d, "kai", "alive"));
  EXPECT_FALSE(fs::exists(planted));

  // Every slot a squatter can take, held across a daemon restart.
  std::vector<int> squat;
  for (int i = 0; i < 100; ++i) {
    int s = connect_unix(socket);
    if (s >= 0) squat.push_back(s);
  }
  ASSERT_EQ(d.stop(), 0);
  d.start();
  EventWaiter after(d);
  ASSERT_TRUE(after.ok());
  Json shown = d.get("/api/v1/agents/kai").json();
  EXPECT_TRUE(is_live(shown["state"])) << shown;
  EXPECT_TRUE(shell_answers(d, "kai", "back"));
  for (int s : squat)
    ::close(s);
}

}  // namespace
}  // namespace bosun::e2e
