// Sandboxed agents: the real daemon, real bubblewrap, real git worktrees. Each agent runs a
// bash script that tries what a sandbox must allow and refuse and writes what happened into
// its own worktree; the test then looks at the machine from outside.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void git(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir.string()});
  auto r = run_program(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_program({"bwrap", "--version"}).exit_code != 0)
      GTEST_SKIP() << "bwrap is not installed";
    if (run_program({"bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"})
            .exit_code != 0) {
      GTEST_SKIP() << "bwrap cannot make namespaces on this machine (user namespaces off?)";
    }
    repo_ = dir_.path() / "app";
    fs::create_directories(repo_);
    git(repo_, {"init", "-q", "-b", "main"});
    git(repo_, {"config", "user.name", "test"});
    git(repo_, {"config", "user.email", "test@bosun.invalid"});
    std::ofstream(repo_ / "a.txt") << "one\n";
    git(repo_, {"add", "-A"});
    git(repo_, {"commit", "-q", "-m", "init"});
    home_ = dir_.path() / "home";
    fs::create_directories(home_ / ".ssh");
    std::ofstream(home_ / ".ssh" / "id_ed25519") << "PRIVATE KEY\n";
    std::ofstream(home_ / "notes.txt") << "mine\n";
    d_.start();
    ASSERT_EQ(d_.post("/api/v1/projects", Json{{"path", repo_.string()}}).status, 201);
  }

  // A sandboxed agent in its own worktree running `script` with bash, HOME the test's.
  Json spawn_script(const std::string& name, const std::string& script,
                    const Json& sandbox = "bwrap") {
    Json body{{"name", name},
              {"project", "app"},
              {"worktree", true},
              {"argv", Json::array({"bash", "--norc", "--noprofile", "-c", script})},
              {"env", {{"HOME", home_.string()}}},
              {"sandbox", sandbox}};
    auto r = d_.post("/api/v1/agents", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  // Waits until the agent's program has ended; → its worktree.
  fs::path finished(EventWaiter& events, const Json& agent) {
    std::string id = agent["id"];
    auto show = d_.get("/api/v1/agents/" + id).json();
    if (show["state"] != "exited") {
      EXPECT_TRUE(events.wait_for(
          "agent.state", id, [](const Json& data) { return data["state"] == "exited"; }, 30s))
          << show.dump();
    }
    return agent["worktree"]["path"].get<std::string>();
  }

  TempDir dir_;
  fs::path repo_;
  fs::path home_;
  TestDaemon d_;
};

TEST_F(Sandbox, AnAgentWritesItsWorktreeAndNothingElse) {
  EventWaiter events(d_);
  // A second agent whose worktree and log the first one must not reach.
  Json other = spawn_script("other", "echo other-output-marker; sleep 30");
  fs::path other_wt = other["worktree"]["path"].get<std::string>();
  const std::string state = d_.state_dir().string();
  const std::string script =
      "try() { if eval \"$1\" >/dev/null 2>&1; then echo \"$2 allowed\"; else echo \"$2 refused\"; "
      "fi; }\n"
      "{\n"
      "try 'echo mine > own.txt' own-worktree\n"
      "try 'git add own.txt && git commit -q -m mine' commit\n"
      "try 'echo x >> " +
      (repo_ / "a.txt").string() +
      "' main-checkout\n"
      "try 'echo x > " +
      (other_wt / "theirs.txt").string() +
      "' other-worktree\n"
      "try 'echo x >> \"$HOME/notes.txt\"' home\n"
      "echo x > \"$HOME/dropped.txt\"\n"
      "try 'cat " +
      state +
      "/token' token\n"
      "try 'cat " +
      state +
      "/logs/other-1.log' other-log\n"
      "try 'cat \"$HOME/.ssh/id_ed25519\"' ssh-key\n"
      "try 'echo x > " +
      (repo_ / ".git" / "hooks" / "post-checkout").string() +
      "' git-hooks\n"
      "try 'kill -0 " +
      std::to_string(::getpid()) +
      "' see-outside-process\n"
      "} > results.txt\n";
  Json agent = spawn_script("one", script);
  EXPECT_EQ(agent["sandbox"], (Json{{"kind", "bwrap"}, {"network", "on"}}));
  fs::path wt = finished(events, agent);
  std::string results = read(wt / "results.txt");
  for (const char* allowed : {"own-worktree allowed", "commit allowed"}) {
    EXPECT_NE(results.find(allowed), std::string::npos) << results;
  }
  for (const char* refused :
       {"other-worktree refused", "home refused", "token refused", "other-log refused",
        "ssh-key refused", "git-hooks refused", "see-outside-process refused"}) {
    EXPECT_NE(results.find(refused), std::string::npos) << results;
  }
  // From outside: the commit is on the agent's branch, nothing else changed. (A main checkout
  // under /tmp is inside the sandbox's private /tmp: what it wrote there went nowhere.)
  EXPECT_EQ(read(repo_ / "a.txt"), "one\n");
  EXPECT_FALSE(fs::exists(other_wt / "theirs.txt"));
  EXPECT_EQ(read(home_ / "notes.txt"), "mine\n");
  EXPECT_FALSE(fs::exists(home_ / "dropped.txt"));  // HOME inside is private: it went nowhere
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "hooks" / "post-checkout"));
  auto log = run_program({"git", "-C", wt.string(), "log", "--format=%s", "-1"});
  EXPECT_EQ(log.out, "mine\n");
  ASSERT_EQ(d_.post("/api/v1/agents/other/stop", Json::object()).status, 202);
}

// A listening socket on this machine's loopback, outside any sandbox.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof at;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&at), len);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &len);
    port_ = ntohs(at.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(Sandbox, WithoutANetworkOnlyTheDaemonIsReachable) {
  EventWaiter events(d_);
  Listener outside;
  const std::string script =
      "{\n"
      "if (exec 3<>/dev/tcp/127.0.0.1/" +
      std::to_string(outside.port()) +
      ") 2>/dev/null; then echo 'outside reached'; else echo 'outside unreachable'; fi\n"
      "exec 3<>/dev/tcp/127.0.0.1/${BOSUN_URL##*:} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' "
      ">&3"
      " && head -1 <&3\n"
      "} > results.txt\n";
  Json agent = spawn_script("quiet", script, Json{{"kind", "bwrap"}, {"network", "off"}});
  EXPECT_EQ(agent["sandbox"], (Json{{"kind", "bwrap"}, {"network", "off"}}));
  std::string results = read(finished(events, agent) / "results.txt");
  EXPECT_NE(results.find("outside unreachable"), std::string::npos) << results;
  EXPECT_NE(results.find("HTTP/1.0 200"), std::string::npos) << results;
  // The same script with the network on reaches the listener.
  Json open = spawn_script("open", script);
  std::string open_results = read(finished(events, open) / "results.txt");
  EXPECT_NE(open_results.find("outside reached"), std::string::npos) << open_results;
}

TEST_F(Sandbox, AnAgentOutlivesAKilledDaemonAndStopLeavesNothingBehind) {
  EventWaiter events(d_);
  const std::string marker = "sleep " + unique_seconds(1003);
  Json body{{"name", "kai"},
            {"project", "app"},
            {"worktree", true},
            {"argv", kBash},
            {"env", {{"HOME", home_.string()}}},
            {"sandbox", {{"kind", "bwrap"}, {"network", "off"}}}};
  Json agent = spawn_idle(d_, events, body);
  fs::path wt = agent["worktree"]["path"].get<std::string>();
  ASSERT_EQ(
      d_.post("/api/v1/agents/kai/input", Json{{"data", marker + " &"}, {"submit", true}}).status,
      200);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (live_processes_mentioning(marker).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_FALSE(live_processes_mentioning(marker).empty());
  int64_t pid = d_.get("/api/v1/agents/kai").json()["pid"];
  d_.kill9();
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);
  d_.start();
  auto show = d_.get("/api/v1/agents/kai").json();
  EXPECT_EQ(show["pid"], pid);
  EXPECT_TRUE(is_live(show["state"])) << show.dump();
  // The new daemon serves the sandbox's relay: the agent reaches it from inside.
  ASSERT_EQ(d_.post("/api/v1/agents/kai/input",
                    Json{{"data",
                          "exec 3<>/dev/tcp/127.0.0.1/${BOSUN_URL##*:} && printf 'GET /healthz "
                          "HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 > after.txt"},
                         {"submit", true}})
                .status,
            200);
  ASSERT_TRUE(wait_for_file(wt / "after.txt", 10s));
  deadline = std::chrono::steady_clock::now() + 10s;
  while (read(wt / "after.txt").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_NE(read(wt / "after.txt").find("200"), std::string::npos);
  EventWaiter after(d_);  // the first one followed the killed daemon
  ASSERT_EQ(d_.post("/api/v1/agents/kai/stop", Json::object()).status, 202);
  ASSERT_TRUE(after.wait_for(
      "agent.state", agent["id"], [](const Json& data) { return data["state"] == "exited"; }, 15s));
  // The holder's SIGKILL reaches bubblewrap's processes (their argv names the worktree) a
  // moment after the marker's: wait for both, bounded.
  deadline = std::chrono::steady_clock::now() + 10s;
  while ((!live_processes_mentioning(marker).empty() ||
          !live_processes_mentioning(wt.string()).empty()) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(live_processes_mentioning(marker).empty());
  EXPECT_TRUE(live_processes_mentioning(wt.string()).empty());
}

TEST_F(Sandbox, UnattendedOutsideASandboxAndUnknownKindsAreRefused) {
  auto r = d_.post("/api/v1/agents",
                   Json{{"name", "yolo"}, {"profile", "claude"}, {"permission", "unattended"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "unattended_needs_sandbox");
  r = d_.post("/api/v1/agents", Json{{"name", "boxed"}, {"argv", kBash}, {"sandbox", "docker"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "invalid_sandbox");
  r = d_.post("/api/v1/agents", Json{{"name", "boxed"}, {"argv", kBash}, {"permission", "all"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "invalid_permission");
  EXPECT_EQ(d_.get("/api/v1/agents").json()["agents"].size(), 0U);
}

TEST_F(Sandbox, ARoleFileSetsTheSandboxAndPermissionOfItsAgents) {
  fs::create_directories(repo_ / ".bosun" / "roles");
  std::ofstream(repo_ / ".bosun" / "roles" / "builder.md")
      << "---\nname: builder\nsandbox: {kind: bwrap, network: off}\npermission: ask\n---\n"
         "You build.\n";
  EventWaiter events(d_);
  Json agent = spawn_idle(d_, events,
                          Json{{"name", "bob"},
                               {"project", "app"},
                               {"worktree", true},
                               {"role", "builder"},
                               {"argv", kBash}});
  EXPECT_EQ(agent["sandbox"], (Json{{"kind", "bwrap"}, {"network", "off"}}));
  auto procs = live_processes_mentioning("--unshare-net");
  bool ours = false;
  for (pid_t p : procs) {
    ours = ours || read("/proc/" + std::to_string(p) + "/cmdline")
                           .find(agent["worktree"]["path"].get<std::string>()) != std::string::npos;
  }
  EXPECT_TRUE(ours) << "no bwrap without a network runs in bob's worktree";
  ASSERT_EQ(d_.post("/api/v1/agents/bob/stop", Json::object()).status, 202);
}

}  // namespace
}  // namespace bosun::e2e
