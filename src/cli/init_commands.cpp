// init: the repository's top, its roles, the agent CLIs here; bosun.yaml and an ignored .bosun/.
#include "cli/init_commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/profile.h"
#include "agent/role.h"
#include "cli/family.h"
#include "util/files.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun::cli {

namespace {

namespace fs = std::filesystem;

// An agent CLI bosun has a profile for, and how to tell that it can work here: its program on
// PATH, and a key in the environment or its own credentials file under $HOME.
struct AgentCli {
  const char* profile;
  const char* program;
  std::vector<const char*> keys;         // environment variables that hold an API key
  std::vector<const char*> credentials;  // files under $HOME a login leaves
};

const AgentCli kAgentClis[] = {
    {"claude", "claude", {"ANTHROPIC_API_KEY"}, {".claude/.credentials.json"}},
    {"codex", "codex", {"OPENAI_API_KEY"}, {".codex/auth.json"}},
    {"gemini", "gemini", {"GEMINI_API_KEY", "GOOGLE_API_KEY"}, {".gemini/oauth_creds.json"}},
    {"opencode", "opencode", {}, {".local/share/opencode/auth.json"}},
};

struct Found {
  const AgentCli* cli;
  std::string path;  // where the program is; empty: not installed
  std::string
      login;  // what says it can log in ("ANTHROPIC_API_KEY", "~/.codex/auth.json"); empty: none
};

std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  return find_program(program, path ? path : "", ".").value_or("");
}

std::vector<Found> find_agent_clis() {
  std::vector<Found> found;
  const char* home = std::getenv("HOME");
  for (const auto& cli : kAgentClis) {
    Found f{&cli, on_path(cli.program), ""};
    for (const char* key : cli.keys) {
      const char* value = std::getenv(key);
      if (f.login.empty() && value && *value) f.login = key;
    }
    for (const char* file : cli.credentials) {
      std::error_code ec;
      if (f.login.empty() && home && fs::exists(fs::path(home) / file, ec)) {
        f.login = std::string("~/") + file;
      }
    }
    found.push_back(std::move(f));
  }
  return found;
}

// The profile agents get unless their role names one: the first CLI installed and logged in,
// else the first installed (it will ask to log in), else a shell.
std::string default_profile(const std::vector<Found>& clis) {
  for (const auto& f : clis) {
    if (!f.path.empty() && !f.login.empty()) return f.cli->profile;
  }
  for (const auto& f : clis) {
    if (!f.path.empty()) return f.cli->profile;
  }
  return "shell";
}

// A role's name as an agent's: [a-z0-9_-], starting with a letter, at most 32.
std::string agent_name(const std::string& role) {
  std::string name;
  for (char c : role) {
    char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_';
    name += ok ? l : '-';
  }
  if (name.empty() || name[0] < 'a' || name[0] > 'z') name = "a-" + name;
  return name.substr(0, 32);
}

struct InitFlags {
  std::string profile;
  bool force = false;
  bool json = false;
};

struct Planned {
  std::string name;
  std::string role;
  std::string profile;
  std::string file;
};

std::string team_text(const std::vector<Planned>& agents, const std::vector<Found>& clis) {
  std::string out =
      "# bosun's team file: the crew `bosun up` starts and keeps as written here.\n"
      "# Each agent runs its profile's CLI in its own worktree and branch; tasks go to\n"
      "# the agents of their role. Run `bosun up --dry-run` to see what up would do.\n"
      "# Agent CLIs found on this machine:";
  for (const auto& f : clis) {
    out += fmt::format(" {} ({})", f.cli->profile,
                       f.path.empty() ? "not installed"
                                      : (f.login.empty() ? "installed, no login found" : "ready"));
  }
  out += "\nproject: .\nagents:\n";
  for (const auto& a : agents) {
    out += fmt::format("  - name: {}\n", a.name);
    if (!a.role.empty()) out += fmt::format("    role: {}   # {}\n", a.role, a.file);
    out += fmt::format("    profile: {}\n    worktree: true\n", a.profile);
  }
  out +=
      "supervisor:\n"
      "  heartbeat: 10m      # ask a working agent how it goes after this long without a word\n"
      "  stuck_after: 30m    # report an agent whose screen has not changed for this long\n";
  return out;
}

// One agent per role file found (.bosun/roles/, .claude/agents/), named after its role, with
// the role's own CLI or `profile`; "dev" with no role when there is none. Role files that do
// not read go to `broken`.
std::vector<Planned> plan_agents(const fs::path& root, const std::string& profile,
                                 std::vector<std::string>& broken) {
  std::vector<Planned> agents;
  std::set<std::string> names;
  for (const auto& entry : list_roles(root)) {
    if (entry.shadowed) continue;
    if (!entry.role) {
      broken.push_back(fmt::format("{}: {}", entry.file, entry.error ? entry.error->message : "?"));
      continue;
    }
    std::string name = agent_name(entry.role->name);
    if (!names.insert(name).second) continue;
    std::string file_shown = fs::path(entry.file).lexically_relative(root).string();
    agents.push_back(Planned{name, entry.role->name, entry.role->profile.value_or(profile),
                             file_shown.empty() ? entry.file : file_shown});
  }
  if (agents.empty()) agents.push_back(Planned{"dev", "", profile, ""});
  return agents;
}

// What init wrote and found, and the next two commands (or all of it as JSON).
void print_init(const fs::path& file, const std::vector<Planned>& agents,
                const std::vector<Found>& clis, const std::vector<std::string>& broken, bool json) {
  if (json) {
    Json j{{"file", file.string()},
           {"agents", Json::array()},
           {"clis", Json::array()},
           {"broken_roles", broken}};
    for (const auto& a : agents) {
      j["agents"].push_back(Json{{"name", a.name}, {"role", a.role}, {"profile", a.profile}});
    }
    for (const auto& f : clis) {
      j["clis"].push_back(Json{{"profile", f.cli->profile},
                               {"path", f.path.empty() ? Json() : Json(f.path)},
                               {"login", f.login.empty() ? Json() : Json(f.login)}});
    }
    print_json(j);
    return;
  }
  std::printf("wrote %s: %zu agent%s\n", file.c_str(), agents.size(),
              agents.size() == 1 ? "" : "s");
  for (const auto& a : agents) {
    std::printf("  %-12s %-12s %s\n", a.name.c_str(), a.role.empty() ? "(no role)" : a.role.c_str(),
                a.profile.c_str());
  }
  for (const auto& f : clis) {
    std::printf("%-9s %s\n", f.cli->profile,
                f.path.empty()    ? "not installed"
                : f.login.empty() ? fmt::format("{} (no login found: it will ask)", f.path).c_str()
                                  : fmt::format("{} (login: {})", f.path, f.login).c_str());
  }
  for (const auto& b : broken)
    std::printf("role file not used: %s\n", b.c_str());
  if (agents.size() == 1 && agents[0].role.empty()) {
    std::printf("no roles found: write some in .bosun/roles/ or .claude/agents/ (NAME.md)\n");
  }
  std::printf(
      "next: bosun up          # starts the daemon and this crew\n"
      "      bosun task add \"…\" --role ROLE   # work for them\n");
}

int init(const InitFlags& flags) {
  ProcessSpec spec;
  spec.argv = {"git", "rev-parse", "--show-toplevel"};
  spec.timeout = std::chrono::milliseconds(10'000);
  ProcessResult top = run_process_blocking(spec);
  if (!top.ok()) {
    return report_error(Error{ErrorKind::kInvalid, "not_a_repository",
                              "bosun init works in a git repository, and this is not one "
                              "('git init' makes one)"});
  }
  fs::path root = top.out.substr(0, top.out.find('\n'));
  fs::path file = root / "bosun.yaml";
  std::error_code ec;
  if (fs::exists(file, ec) && !flags.force) {
    return report_error(Error{ErrorKind::kConflict, "team_file_exists",
                              fmt::format("{} exists: 'bosun up' runs it ('bosun init --force' "
                                          "writes a new one over it)",
                                          file.string())});
  }
  std::vector<Found> clis = find_agent_clis();
  std::string profile = flags.profile.empty() ? default_profile(clis) : flags.profile;
  if (auto known = load_profile(profile, root); !known) return report_error(known.error());
  std::vector<std::string> broken;
  std::vector<Planned> agents = plan_agents(root, profile, broken);
  if (auto st = write_file_atomic(file, team_text(agents, clis), 0644); !st) {
    return report_error(st.error());
  }
  // The state directory, ignored by git from the start.
  if (auto st = create_state_dirs(StateDir{root / ".bosun"}); !st) return report_error(st.error());

  print_init(file, agents, clis, broken, flags.json);
  return 0;
}

void setup_init(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<InitFlags>();
  app.add_option("--profile", flags->profile,
                 "the agent CLI for agents whose role names none (default: the first found "
                 "installed and logged in: claude, codex, gemini, opencode; else shell)");
  app.add_flag("--force", flags->force, "write bosun.yaml over an existing one");
  app.add_flag("--json", flags->json, "print what was written and found as JSON");
  app.callback([&ctx, flags] { ctx.exit_code = init(*flags); });
}

}  // namespace

const Command kInitCommand{"init", "write a starter bosun.yaml for this repository", setup_init};

}  // namespace bosun::cli
