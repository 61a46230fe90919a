// Installing bosun the way a machine keeps it: the systemd user unit (checked by
// systemd-analyze, and its kill settings shown to keep agents across a restart) and the Debian
// package (built by CPack, installed with dpkg -i, run, removed).
//
// No user systemd manager runs here (the machine's PID 1 is not systemd), so `systemctl --user
// restart` itself is not run: the test does what that restart does under the unit's
// KillMode=process — SIGTERM to the daemon alone, then the unit's ExecStart again.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The value of `key=` in a unit file (the last one), "" when absent.
std::string unit_value(const std::string& unit, const std::string& key) {
  std::istringstream in(unit);
  std::string line;
  std::string value;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) value = line.substr(key.size() + 1);
  }
  return value;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

TEST(Package, TheUserUnitPassesSystemdAnalyzeAndItsRestartKeepsTheAgents) {
  TempDir dir;
  const fs::path build = fs::path(BOSUN_BINARY).parent_path();
  const fs::path prefix = dir.path() / "prefix";
  // The unit as `make install PREFIX=…` writes it, the binary and manual it names beside it.
  auto installed = run_program({"cmake", "--install", build.string(), "--prefix", prefix.string(),
                                "--component", "service"});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;
  fs::create_directories(prefix / "bin");
  fs::create_symlink(BOSUN_BINARY, prefix / "bin" / "bosun");
  fs::create_directories(prefix / "share/man/man1");
  fs::copy_file(build / "share" / "bosun.1", prefix / "share/man/man1/bosun.1");
  const fs::path unit_file = prefix / "lib/systemd/user/bosun@.service";
  ASSERT_TRUE(fs::is_regular_file(unit_file));
  std::string unit = read(unit_file);
  EXPECT_EQ(unit_value(unit, "ExecStart"),
            (prefix / "bin" / "bosun").string() + " --state %f serve --listen 127.0.0.1:0");
  EXPECT_EQ(unit_value(unit, "KillMode"), "process");  // a restart never kills the holders
  EXPECT_EQ(unit_value(unit, "WantedBy"), "default.target");

  // systemd-analyze checks an instance for a state directory, as a user would enable it.
  const fs::path state = dir.path() / "app" / ".bosun";
  auto escaped = run_program({"systemd-escape", "--path", state.string()});
  ASSERT_EQ(escaped.exit_code, 0) << escaped.err;
  std::string instance = escaped.out.substr(0, escaped.out.find('\n'));
  const fs::path units = dir.path() / "units";
  fs::create_directories(units);
  const fs::path instance_file = units / ("bosun@" + instance + ".service");
  fs::copy_file(unit_file, instance_file);
  auto verified = run_program({"systemd-analyze", "verify", instance_file.string()},
                              {{"MANPATH", (prefix / "share/man").string()}});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.err, "");

  // The unit's daemon (its ExecStart: this state directory, port 0) runs an agent; the restart
  // signals the daemon alone; the agent runs on and the next daemon has it again.
  fs::create_directories(state.parent_path());
  TestDaemon d(state);
  d.start();
  std::string seconds = unique_seconds(300);
  Json agent = spawn(d, "steady", Json::array({"sleep", seconds}));
  pid_t pid = agent["pid"].get<pid_t>();
  ASSERT_GT(pid, 0) << agent;
  EXPECT_EQ(d.stop(), 0);
  EXPECT_TRUE(alive(pid)) << "the agent died with the daemon";
  d.start();
  Json again = d.get("/api/v1/agents/steady").json();
  EXPECT_EQ(again["pid"], pid) << again;
  EXPECT_TRUE(is_live(again["state"])) << again;
  EXPECT_EQ(d.cli({"agent", "kill", "steady"}).exit_code, 0);
}

TEST(Package, TheDebBuildsInstallsRunsAndRemoves) {
  if (run_program({"dpkg-query", "-W", "-f=${Status}", "bosun"}).out == "install ok installed") {
    GTEST_SKIP() << "a bosun package is installed on this machine: the test will not replace it";
  }
  TempDir dir;
  const fs::path build = fs::path(BOSUN_BINARY).parent_path();
  auto packed =
      run_program({"cpack", "-G", "DEB", "--config", (build / "CPackConfig.cmake").string(), "-B",
                   (dir.path() / "out").string()},
                  {}, "", std::chrono::seconds(240));
  ASSERT_EQ(packed.exit_code, 0) << packed.out << packed.err;
  fs::path deb;
  for (const auto& entry : fs::directory_iterator(dir.path() / "out")) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_FALSE(deb.empty()) << packed.out;
  EXPECT_TRUE(contains(deb.filename().string(), "bosun_")) << deb;

  // Its dependencies: the libraries the binary links (found by dpkg-shlibdeps) and git.
  auto depends = run_program({"dpkg-deb", "-f", deb.string(), "Depends"});
  for (const char* needed : {"git", "libvterm0", "libsqlite3-0", "libc6"}) {
    EXPECT_TRUE(contains(depends.out, needed)) << needed << " in " << depends.out;
  }
  auto files = run_program({"dpkg-deb", "-c", deb.string()});
  for (const char* path :
       {"./usr/bin/bosun", "./usr/lib/systemd/user/bosun@.service", "./usr/share/man/man1/bosun.1",
        "./usr/share/bash-completion/completions/bosun"}) {
    EXPECT_TRUE(contains(files.out, path)) << path << " in\n" << files.out;
  }

  auto install = run_program({"dpkg", "-i", deb.string()}, {}, "", std::chrono::seconds(120));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  auto version = run_program({"/usr/bin/bosun", "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, run_bosun({"--version"}).out);
  EXPECT_TRUE(contains(read("/usr/lib/systemd/user/bosun@.service"),
                       "ExecStart=/usr/bin/bosun --state %f serve"));
  // The installed binary runs a daemon and answers.
  const fs::path repo = dir.path() / "app";
  fs::create_directories(repo);
  init_repo_with_old_commit(repo);
  std::ofstream(repo / "bosun.yaml") << "agents: []\n";
  auto up = run_program({"/usr/bin/bosun", "up", (repo / "bosun.yaml").string()});
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  auto status = run_program({"/usr/bin/bosun", "--state", (repo / ".bosun").string(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(contains(status.out, "dashboard: http://")) << status.out;
  EXPECT_EQ(run_program({"/usr/bin/bosun", "down", (repo / "bosun.yaml").string()}).exit_code, 0);

  auto removed = run_program({"dpkg", "-r", "bosun"}, {}, "", std::chrono::seconds(120));
  EXPECT_EQ(removed.exit_code, 0) << removed.out << removed.err;
  EXPECT_FALSE(fs::exists("/usr/bin/bosun"));
  EXPECT_FALSE(fs::exists("/usr/lib/systemd/user/bosun@.service"));
}

}  // namespace
}  // namespace bosun::e2e
