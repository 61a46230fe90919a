// The daemon end to end: start-up files, token, auth, the state lock, status, graceful stop.
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

TEST(Daemon, HealthzIsOpenAndReportsVersion) {
  TestDaemon d;
  d.start();
  auto r = http_request(d.address(), "GET", "/healthz");
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = r.json();
  EXPECT_EQ(j["ok"], true);
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_TRUE(j["uptime_s"].is_number_integer());
}

TEST(Daemon, WritesRunFilesAndTokenWithMode600) {
  TestDaemon d;
  d.start();
  struct stat st {};
  ASSERT_EQ(::stat((d.state_dir() / "token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_GE(d.token().size(), 32u);
  std::ifstream pid_file(d.state_dir() / "run" / "pid");
  int pid = 0;
  pid_file >> pid;
  EXPECT_EQ(pid, d.pid());
  EXPECT_TRUE(std::filesystem::exists(d.state_dir() / "bosun.db"));
  EXPECT_TRUE(std::filesystem::exists(d.state_dir() / "logs" / "bosun.log"));
}

// A state directory inside the project's repository (`.bosun/`, the default) keeps itself out of
// git: `git add -A` stages none of the database, token, logs or worktrees (nor the ignore file),
// only the roles a person wrote there; an edited ignore file is left as the person made it.
TEST(Daemon, AStateDirectoryInARepositoryIsNeverStaged) {
  TempDir dir;
  const std::filesystem::path repo = dir.path() / "app";
  std::filesystem::create_directories(repo / ".bosun" / "roles");
  std::ofstream(repo / ".bosun" / "roles" / "backend.md") << "You write the server.\n";
  std::ofstream(repo / "README.md") << "app\n";
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    return run_program(args);
  };
  ASSERT_EQ(git({"init", "-q"}).exit_code, 0);
  // The harness keeps the daemon's stderr beside the state directory: not bosun's to ignore.
  std::ofstream(repo / ".git" / "info" / "exclude", std::ios::app) << "/daemon-stderr-*\n";
  TestDaemon d(repo / ".bosun");
  d.start();
  ASSERT_EQ(d.post("/api/v1/journal", Json{{"text", "a note"}}).status, 201);
  ASSERT_EQ(git({"add", "-A"}).exit_code, 0);
  auto staged = git({"diff", "--cached", "--name-only"});
  EXPECT_EQ(staged.out, ".bosun/roles/backend.md\nREADME.md\n");
  EXPECT_TRUE(std::filesystem::exists(repo / ".bosun" / "bosun.db"));

  std::ofstream(repo / ".bosun" / ".gitignore", std::ios::app) << "!/notes.txt\n";
  EXPECT_EQ(d.stop(), 0);
  d.start();
  std::ifstream in(repo / ".bosun" / ".gitignore");
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(kept.find("!/notes.txt"), std::string::npos) << kept;
}

TEST(Daemon, TokenSurvivesRestart) {
  TestDaemon d;
  d.start();
  std::string first = d.token();
  EXPECT_EQ(d.stop(), 0);
  d.start();
  EXPECT_EQ(d.token(), first);
}

TEST(Daemon, MissingTokenIs401) {
  TestDaemon d;
  d.start();
  auto r = http_request(d.address(), "GET", "/api/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json()["error"]["code"], "unauthorized");
}

TEST(Daemon, WrongTokenIs401) {
  TestDaemon d;
  d.start();
  auto r = http_request(d.address(), "GET", "/api/v1/events", "",
                        {{"Authorization", "Bearer " + std::string(64, 'f')}});
  EXPECT_EQ(r.status, 401);
  auto r2 = http_request(d.address(), "GET", "/api/v1/events", "",
                         {{"Authorization", "Basic dXNlcjpwYXNz"}});
  EXPECT_EQ(r2.status, 401);
}

TEST(Daemon, RightTokenIs200) {
  TestDaemon d;
  d.start();
  auto r = d.get("/api/v1/events");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["events"].is_array());
}

TEST(Daemon, LoginSetsCookieThatAuthenticates) {
  TestDaemon d;
  d.start();
  auto bad = http_request(d.address(), "POST", "/api/v1/login", R"({"token":"nope"})");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.headers.count("set-cookie"), 0u);
  auto ok = http_request(d.address(), "POST", "/api/v1/login", Json{{"token", d.token()}}.dump());
  ASSERT_EQ(ok.status, 200);
  auto cookie = ok.headers["set-cookie"];
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  auto value = cookie.substr(0, cookie.find(';'));
  auto r = http_request(d.address(), "GET", "/api/v1/status", "", {{"Cookie", value}});
  EXPECT_EQ(r.status, 200);
}

TEST(Daemon, SecondDaemonOnSameStateRefusesNamingTheFirst) {
  TestDaemon d;
  d.start();
  auto r = run_bosun({"serve", "--listen", "127.0.0.1:0", "--state", d.state_dir().string()}, {},
                     "", 20s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("in use by bosun daemon pid " + std::to_string(d.pid())), std::string::npos)
      << r.err;
  // The first one is untouched.
  EXPECT_EQ(http_request(d.address(), "GET", "/healthz").status, 200);
}

TEST(Daemon, StatusCommandPrintsUptimeVersionAndCounts) {
  TestDaemon d;
  d.start();
  auto r = d.cli({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("running at http://" + d.address()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("events:"), std::string::npos) << r.out;
  auto j = d.cli({"status", "--json"});
  ASSERT_EQ(j.exit_code, 0);
  auto parsed = Json::parse(j.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << j.out;
  EXPECT_EQ(parsed["pid"], d.pid());
  EXPECT_GE(parsed["counts"]["events"].get<int>(), 1);
}

TEST(Daemon, StatusWithoutDaemonExitsUnreachableWithClearMessage) {
  TempDir dir;
  auto r = run_bosun({"--state", (dir.path() / "none").string(), "status"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("no bosun daemon is running"), std::string::npos) << r.err;
}

TEST(Daemon, StatusAfterCrashSaysNoDaemon) {
  TestDaemon d;
  d.start();
  d.kill9();
  auto r = d.cli({"status"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("no bosun daemon is running"), std::string::npos) << r.err;
  // And a new daemon can take the state directory over after the crash.
  d.start();
  EXPECT_EQ(d.cli({"status"}).exit_code, 0);
}

TEST(Daemon, StatusReachesDaemonThroughUrlAndTokenEnvironment) {
  TestDaemon d;
  d.start();
  auto r =
      run_bosun({"status"}, {{"BOSUN_URL", "http://" + d.address()}, {"BOSUN_TOKEN", d.token()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto bad = run_bosun({"status"}, {{"BOSUN_URL", "http://" + d.address()}, {"BOSUN_TOKEN", "x"}});
  EXPECT_EQ(bad.exit_code, 5);
  EXPECT_NE(bad.err.find("token"), std::string::npos) << bad.err;
}

TEST(Daemon, UnknownCommandIsUsageError) {
  auto r = run_bosun({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Daemon, VersionPrintsTheVersion) {
  auto r = run_bosun({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("bosun ", 0), 0u) << r.out;
}

TEST(Daemon, SigtermStopsGracefullyAndRemovesRunFiles) {
  TestDaemon d;
  d.start();
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/events?token=" + d.token()));
  ASSERT_TRUE(ws.read_json());  // hello
  EXPECT_EQ(d.stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(d.state_dir() / "run" / "address"));
  EXPECT_FALSE(std::filesystem::exists(d.state_dir() / "run" / "pid"));
  // The open WebSocket was told the daemon is going away.
  while (ws.read(5s)) {
  }
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(ws.close_code(), 1001);
}

TEST(Daemon, LogFileHasJsonLinesWithIds) {
  TestDaemon d;
  d.start();
  ASSERT_EQ(d.get("/api/v1/status").status, 200);
  EXPECT_EQ(d.stop(), 0);
  std::ifstream in(d.state_dir() / "logs" / "bosun.log");
  std::string line;
  int lines = 0;
  bool saw_listen = false;
  while (std::getline(in, line)) {
    auto j = Json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(j.contains("at") && j.contains("pid") && j.contains("event")) << line;
    if (j["event"] == "serve.listening") saw_listen = j.contains("address");
    ++lines;
  }
  EXPECT_GT(lines, 0);
  EXPECT_TRUE(saw_listen);
}

}  // namespace
}  // namespace bosun::e2e
