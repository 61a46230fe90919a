// up: daemon if needed, supervisor settings, then each agent created, restarted or left running.
// down: every agent stopped, then the daemon.
#include "cli/up_commands.h"

#include "agent/profile.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/agent_state.h"
#include "agent/profile.h"
#include "cli/client.h"
#include "cli/launch.h"
#include "crew/team.h"
#include "util/files.h"
#include "util/state_dir.h"

namespace bosun::cli {

namespace {

namespace fs = std::filesystem;

struct UpFlags {
  std::string file = "bosun.yaml";
  std::string listen = "127.0.0.1:0";
};

bool is_live(const std::string& state) {
  auto s = parse_agent_state(state);
  return s && (bosun::is_live(*s) || *s == AgentState::kStarting);
}

// The team file's project and state directory (--state and BOSUN_STATE win).
struct Place {
  Team team;
  fs::path project;
  StateDir state;
};

Result<Place> locate(const CommandContext& ctx, const std::string& file) {
  auto text = read_file(file);
  if (!text) {
    return fail(ErrorKind::kNotFound, "no_team_file",
                fmt::format("cannot read the team file {}: {}", file, text.error().message));
  }
  auto team = parse_team(*text, file);
  if (!team) return tl::unexpected(team.error());
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(file), ec).parent_path();
  fs::path project = fs::weakly_canonical(base / team->project, ec);
  if (!fs::is_directory(project)) {
    return fail(ErrorKind::kInvalid, "invalid_team",
                fmt::format("{}: project {} is not a directory", file, project.string()));
  }
  const char* env = std::getenv("BOSUN_STATE");
  StateDir state =
      ctx.state || (env && *env) ? resolve_state_dir(ctx.state) : StateDir{project / ".bosun"};
  return Place{std::move(*team), project, state};
}

// The agent's command as the team file gives it; empty: the daemon builds it from the profile
// (which must exist, here or in the project's .bosun/profiles/).
Result<std::vector<std::string>> program_of(const TeamAgent& a, const std::string& file,
                                            const fs::path& project) {
  if (!a.command.empty()) return a.command;
  if (auto profile = load_profile(a.profile, project); !profile) {
    return fail(ErrorKind::kInvalid, "invalid_team",
                fmt::format("{}:{}: agent {}: {}", file, a.line, a.name, profile.error().message));
  }
  return std::vector<std::string>{};
}

int up(CommandContext& ctx, const UpFlags& flags) {
  auto place = locate(ctx, flags.file);
  if (!place) return report_error(place.error());
  // Every agent's program is settled before anything starts: no half-started crew.
  std::vector<std::vector<std::string>> programs;
  for (const auto& a : place->team.agents) {
    auto argv = program_of(a, flags.file, place->project);
    if (!argv) return report_error(argv.error());
    programs.push_back(*argv);
  }
  bool started = false;
  auto endpoint = ensure_daemon(place->state, flags.listen, &started);
  if (!endpoint) return report_error(endpoint.error());
  Client client(*endpoint);
  std::printf("daemon %s at http://%s:%s (state %s)\n", started ? "started" : "running",
              endpoint->host.c_str(), endpoint->port.c_str(), place->state.root.c_str());
  auto configured = client.request("PUT", "/api/v1/supervisor", dump_json(place->team.supervisor));
  if (!configured) return report_error(configured.error());
  if (configured->status != 200) {
    Error e = reply_error(*configured);
    e.message = flags.file + ": supervisor: " + e.message;
    return report_error(e);
  }
  if (!place->team.notify.is_null()) {
    if (auto n = client.put("/api/v1/notify", place->team.notify); !n) {
      Error e = n.error();
      e.message = flags.file + ": notify: " + e.message;
      return report_error(e);
    }
  }
  // The repository is a project (adding it again is harmless), so agents can have worktrees.
  auto project = client.post("/api/v1/projects", Json{{"path", place->project.string()}});
  if (!project) {
    Error e = project.error();
    e.message = flags.file + ": project: " + e.message;
    return report_error(e);
  }
  for (size_t i = 0; i < place->team.agents.size(); ++i) {
    const TeamAgent& a = place->team.agents[i];
    auto existing = client.get("/api/v1/agents/" + a.name);
    if (existing) {
      std::string state = existing->value("state", "");
      if (is_live(state) || state == "stopping") {
        std::printf("  %-12s %s\n", a.name.c_str(), state.c_str());
        continue;
      }
      auto restarted = client.post("/api/v1/agents/" + a.name + "/restart", Json::object());
      if (!restarted) return report_error(restarted.error());
      std::printf("  %-12s restarted (was %s)\n", a.name.c_str(), state.c_str());
      continue;
    }
    if (existing.error().kind != ErrorKind::kNotFound) return report_error(existing.error());
    Json body{{"name", a.name},
              {"role", a.role},
              {"profile", a.profile},
              {"project", (*project)["id"]},
              {"permanent", a.permanent}};
    if (!programs[i].empty()) body["argv"] = programs[i];
    if (!a.args.empty()) body["args"] = a.args;
    if (a.worktree) body["worktree"] = true;
    if (!a.env.empty()) body["env"] = a.env;
    auto created = client.post("/api/v1/agents", body);
    if (!created) {
      Error e = created.error();
      e.message = fmt::format("{}:{}: agent {}: {}", flags.file, a.line, a.name, e.message);
      return report_error(e);
    }
    std::printf("  %-12s started (%s, pid %s) in %s\n", a.name.c_str(),
                a.role.empty() ? "no role" : a.role.c_str(),
                created->contains("pid") ? (*created)["pid"].dump().c_str() : "-",
                (*created)["cwd"].get<std::string>().c_str());
  }
  std::printf("crew of %zu up; watch it with: bosun --state %s agent list\n",
              place->team.agents.size(), place->state.root.c_str());
  return 0;
}

// Agents whose holder still answers on its socket in the state directory's run/ (they outlive
// a daemon by design).
int live_holders(const StateDir& state) {
  int live = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state.run(), ec)) {
    if (entry.path().extension() != ".sock") continue;
    std::string path = entry.path().string();
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) continue;
    addr.sun_family = AF_UNIX;
    std::copy(path.begin(), path.end(), addr.sun_path);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) ++live;
    ::close(fd);
  }
  return live;
}

int down(CommandContext& ctx, const UpFlags& flags) {
  StateDir state = resolve_state_dir(ctx.state);
  if (!ctx.state && !std::getenv("BOSUN_STATE")) {
    if (auto place = locate(ctx, flags.file)) state = place->state;
  }
  CommandContext located;
  located.state = state.root.string();
  // Down already: saying so is success. Agents left under their holders need the daemon.
  auto no_daemon = [&state] {
    if (int live = live_holders(state); live > 0) {
      return report_error(
          Error{ErrorKind::kUnavailable, "no_daemon",
                fmt::format("no bosun daemon runs for {}, but {} agent(s) still run under their "
                            "holders; start it ('bosun serve --state {}') and run down again",
                            state.root.string(), live, state.root.string())});
    }
    std::printf("nothing to stop: no bosun daemon or agent runs for %s\n",
                state.root.string().c_str());
    return 0;
  };
  auto client = Client::connect(located);
  if (!client && client.error().code == "no_daemon") return no_daemon();
  if (!client) return report_error(client.error());
  auto list = client->get("/api/v1/agents");
  if (!list && list.error().code == "no_daemon") return no_daemon();
  if (!list) return report_error(list.error());
  int stopping = 0;
  for (const auto& a : (*list)["agents"]) {
    if (!is_live(a.value("state", ""))) continue;
    if (client->post("/api/v1/agents/" + a.value("id", "") + "/stop", Json{{"grace_ms", 3000}})) {
      ++stopping;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (stopping > 0 && std::chrono::steady_clock::now() < deadline) {
    auto now = client->get("/api/v1/agents");
    if (!now) break;
    bool busy = false;
    for (const auto& a : (*now)["agents"]) {
      std::string s = a.value("state", "");
      busy = busy || is_live(s) || s == "stopping";
    }
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // bounded by the deadline
  }
  auto pid_text = read_file(state.pid_file());
  pid_t pid = pid_text ? static_cast<pid_t>(std::atoi(pid_text->c_str())) : 0;
  if (pid > 0 && ::kill(pid, SIGTERM) == 0) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::printf("stopped %d agent(s) and the daemon (state %s)\n", stopping, state.root.c_str());
  return 0;
}

void setup_up(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<UpFlags>();
  app.add_option("file", flags->file, "team file")->capture_default_str();
  app.add_option("--listen", flags->listen, "address for a daemon this starts")
      ->capture_default_str();
  app.callback([&ctx, flags] { ctx.exit_code = up(ctx, *flags); });
}

void setup_down(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<UpFlags>();
  app.add_option("file", flags->file, "team file (finds the state directory)")
      ->capture_default_str();
  app.callback([&ctx, flags] { ctx.exit_code = down(ctx, *flags); });
}

}  // namespace

const Command kUpCommand{"up", "start the daemon if needed and the crew of a team file", setup_up};
const Command kDownCommand{"down", "stop every agent, then the daemon", setup_down};

}  // namespace bosun::cli
