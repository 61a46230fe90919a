// `make install`: the one binary (the dashboard inside), shell completions and the man page
// under a staged prefix; the installed binary runs a daemon and serves the dashboard, and the
// bash completion loads and completes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/harness.h"

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

// What `bash` completes for the words (the last one is being typed).
std::string complete(const fs::path& script, const std::string& words) {
  auto r =
      run_program({"bash", "--norc", "--noprofile", "-c",
                   "source \"$1\" || exit 9; COMP_WORDS=($2); COMP_CWORD=$(( ${#COMP_WORDS[@]} "
                   "- 1 )); [[ $2 == *' ' ]] && COMP_WORDS+=('') && COMP_CWORD=$(( "
                   "COMP_CWORD + 1 )); _bosun; echo \"${COMPREPLY[*]}\"",
                   "complete", script.string(), words});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return r.out;
}

TEST(Install, StagedInstallRunsAndItsCompletionCompletes) {
  TempDir dir;
  const fs::path build = fs::path(BOSUN_BINARY).parent_path();
  const fs::path stage = dir.path() / "stage";
  auto installed = run_program({"cmake", "--install", build.string(), "--prefix", "/usr"},
                               {{"DESTDIR", stage.string()}});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;
  const fs::path usr = stage / "usr";
  const std::string bosun = (usr / "bin" / "bosun").string();
  for (const fs::path& file :
       {usr / "share/bash-completion/completions/bosun",
        usr / "share/zsh/vendor-completions/_bosun",
        usr / "share/fish/vendor_completions.d/bosun.fish", usr / "share/man/man1/bosun.1"}) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
  }
  // The manual and the completions come from the command table: a command is in each.
  std::string man = read(usr / "share/man/man1/bosun.1");
  EXPECT_EQ(man.rfind(".TH BOSUN 1", 0), 0u);
  EXPECT_TRUE(contains(man, ".B bosun agent spawn")) << man.substr(0, 400);
  EXPECT_TRUE(contains(man, ".SH EXIT STATUS")) << man.substr(0, 400);
  EXPECT_TRUE(contains(read(usr / "share/fish/vendor_completions.d/bosun.fish"), "-a 'spawn'"));

  auto version = run_program({bosun, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, run_bosun({"--version"}).out);

  // The installed binary runs a daemon (detached, by `up`) and serves the dashboard.
  const fs::path repo = dir.path() / "app";
  fs::create_directories(repo);
  ASSERT_EQ(run_program({"git", "init", "-q", repo.string()}).exit_code, 0);
  ASSERT_EQ(
      run_program({"git", "-C", repo.string(), "-c", "user.name=t", "-c",
                   "user.email=t@bosun.invalid", "commit", "-q", "--allow-empty", "-m", "init"})
          .exit_code,
      0);
  std::ofstream(repo / "bosun.yaml") << "project: .\nagents: []\n";
  auto up = run_program({bosun, "up", (repo / "bosun.yaml").string()});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const std::string address = read(repo / ".bosun" / "run" / "address");
  auto colon = address.rfind(':');
  auto page = run_program(
      {"bash", "--norc", "-c",
       "exec 3<>/dev/tcp/$1/$2 && printf 'GET / HTTP/1.0\\r\\nHost: %s:%s\\r\\n\\r\\n' $1 $2 >&3 "
       "&& cat <&3",
       "get", address.substr(0, colon), address.substr(colon + 1, address.find('\n') - colon - 1)});
  EXPECT_TRUE(contains(page.out, " 200 OK")) << page.out.substr(0, 300);
  EXPECT_TRUE(contains(page.out, "<title>")) << page.out.substr(0, 300);
  auto status = run_program({bosun, "--state", (repo / ".bosun").string(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(contains(status.out, "dashboard: http://")) << status.out;
  EXPECT_EQ(run_program({bosun, "down", (repo / "bosun.yaml").string()}).exit_code, 0);

  // The bash completion loads without a word on stderr and completes commands and flags.
  const fs::path bash = usr / "share/bash-completion/completions/bosun";
  EXPECT_EQ(complete(bash, "bosun ag"), "agent\n");
  EXPECT_EQ(complete(bash, "bosun agent sp"), "spawn\n");
  EXPECT_EQ(complete(bash, "bosun --state /x task app"), "approve\n");
  EXPECT_TRUE(contains(complete(bash, "bosun agent spawn --wo"), "--worktree"));
  EXPECT_TRUE(contains(complete(bash, "bosun "), "supervisor"));
}

}  // namespace
}  // namespace bosun::e2e
