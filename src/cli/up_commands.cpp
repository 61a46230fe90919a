// up: daemon if needed, supervisor settings, then each agent created, restarted or left running.
// down: every agent stopped, then the daemon.
#include "cli/up_commands.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/agent_state.h"
#include "agent/profile.h"
#include "cli/client.h"
#include "cli/crew_plan.h"
#include "cli/family.h"
#include "cli/launch.h"
#include "crew/team.h"
#include "git/repo.h"
#include "util/files.h"
#include "util/state_dir.h"

namespace bosun::cli {

namespace {

namespace fs = std::filesystem;

struct UpFlags {
  std::string file = "bosun.yaml";
  std::string listen;  // empty: the team file's listen:, else the last port, else a free one
  bool prune = false;
  bool dry_run = false;
  bool json = false;
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

// The supervisor's settings and the notification channels, as the file gives them.
Status configure(Client& client, const Place& place, const std::string& file) {
  auto configured = client.request("PUT", "/api/v1/supervisor", dump_json(place.team.supervisor));
  if (!configured) return tl::unexpected(configured.error());
  if (configured->status != 200) {
    Error e = reply_error(*configured);
    e.message = file + ": supervisor: " + e.message;
    return tl::unexpected(e);
  }
  if (!place.team.notify.is_null()) {
    if (auto n = client.put("/api/v1/notify", place.team.notify); !n) {
      Error e = n.error();
      e.message = file + ": notify: " + e.message;
      return tl::unexpected(e);
    }
  }
  return {};
}

// The crew as the last `up` gave it: agent name → the spec it was created with.
fs::path crew_file(const StateDir& state) {
  return state.root / "crew.json";
}

Json applied_crew(const StateDir& state) {
  auto text = read_file(crew_file(state));
  if (!text) return Json::object();
  Json j = Json::parse(*text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

// Where the daemon the last `up` started listened.
fs::path listen_file(const StateDir& state) {
  return state.root / "listen";
}

// Whether HOST:PORT can be bound now (IPv4 addresses; others are tried as they are).
bool address_free(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) return true;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// Where a daemon `up` starts listens: --listen, the team file's listen:, else where the one it
// started last listened (a bookmarked dashboard keeps working) while that is free, else any port.
std::string choose_listen(const UpFlags& flags, const Place& place) {
  if (!flags.listen.empty()) return flags.listen;
  if (!place.team.listen.empty()) return place.team.listen;
  if (auto last = read_file(listen_file(place.state))) {
    std::string address = *last;
    while (!address.empty() && (address.back() == '\n' || address.back() == ' ')) {
      address.pop_back();
    }
    if (!address.empty() && address_free(address)) return address;
  }
  return "127.0.0.1:0";
}

// Each agent of the file as POST /api/v1/agents takes it (without its project).
std::vector<Json> wanted_specs(const Place& place,
                               const std::vector<std::vector<std::string>>& programs) {
  std::vector<Json> specs;
  for (size_t i = 0; i < place.team.agents.size(); ++i) {
    const TeamAgent& a = place.team.agents[i];
    Json spec{
        {"name", a.name}, {"role", a.role}, {"profile", a.profile}, {"permanent", a.permanent}};
    if (!programs[i].empty()) spec["argv"] = programs[i];
    if (!a.args.empty()) spec["args"] = a.args;
    if (a.worktree) spec["worktree"] = true;
    if (!a.env.empty()) spec["env"] = a.env;
    // The agent's own setting, else the team's; neither: the role's (the daemon applies it).
    const Json& sandbox = a.sandbox.is_null() ? place.team.sandbox : a.sandbox;
    if (!sandbox.is_null()) spec["sandbox"] = sandbox;
    const std::string& permission = a.permission.empty() ? place.team.permission : a.permission;
    if (!permission.empty()) spec["permission"] = permission;
    specs.push_back(std::move(spec));
  }
  return specs;
}

const TeamAgent* team_agent(const Team& team, const std::string& name) {
  for (const auto& a : team.agents) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// Waits (at most 15 s) until the daemon has forgotten a removed agent.
Status wait_removed(Client& client, const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    auto a = client.get("/api/v1/agents/" + name);
    if (!a && a.error().kind == ErrorKind::kNotFound) return {};
    if (!a) return tl::unexpected(a.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // bounded by the deadline
  }
  return fail(
      ErrorKind::kConflict, "agent_not_removed",
      fmt::format("agent {} was not removed within 15 s; see bosun agent show {}", name, name));
}

// One step of the plan, carried out; `shown` gets what the person reads about it.
Status apply_step(Client& client, const Place& place, const std::string& file,
                  const std::string& project_id, CrewStep& step, Json& shown) {
  auto create = [&]() -> Status {
    Json body = step.spec;
    body["project"] = project_id;
    auto created = client.post("/api/v1/agents", body);
    if (!created) {
      Error e = created.error();
      const TeamAgent* a = team_agent(place.team, step.name);
      e.message = fmt::format("{}:{}: agent {}: {}", file, a ? a->line : 0, step.name, e.message);
      return tl::unexpected(e);
    }
    shown["pid"] = created->value("pid", Json());
    shown["cwd"] = created->value("cwd", "");
    shown["state"] = created->value("state", "");
    return {};
  };
  switch (step.action) {
    case CrewAction::kStart:
      return create();
    case CrewAction::kReplace: {
      auto removed = client.del("/api/v1/agents/" + step.name);
      if (!removed) return tl::unexpected(removed.error());
      TRY_OK(wait_removed(client, step.name));
      return create();
    }
    case CrewAction::kRestart: {
      auto restarted = client.post("/api/v1/agents/" + step.name + "/restart", Json::object());
      if (!restarted) return tl::unexpected(restarted.error());
      return {};
    }
    case CrewAction::kStop: {
      if (!is_live(step.state)) return {};
      auto stopped = client.post("/api/v1/agents/" + step.name + "/stop", Json{{"grace_ms", 3000}});
      if (!stopped) return tl::unexpected(stopped.error());
      return {};
    }
    case CrewAction::kKeep:
    case CrewAction::kLeave:
      return {};
  }
  return {};
}

// A step in words: "started (backend, pid 41) in /repo", "would restart (was exited)".
std::string step_words(const CrewStep& step, const Json& shown, bool dry_run,
                       const std::string& file) {
  std::string role = step.spec.is_object() ? step.spec.value("role", "") : "";
  std::string changes;
  for (const auto& c : step.changes)
    changes += (changes.empty() ? "" : "; ") + c;
  switch (step.action) {
    case CrewAction::kStart:
      if (dry_run) return fmt::format("would start ({})", role.empty() ? "no role" : role);
      return fmt::format("started ({}, pid {}) in {}", role.empty() ? "no role" : role,
                         shown["pid"].is_number() ? shown["pid"].dump() : "-",
                         shown.value("cwd", ""));
    case CrewAction::kKeep:
      return step.state;
    case CrewAction::kRestart:
      return fmt::format("{} (was {})", dry_run ? "would restart" : "restarted", step.state);
    case CrewAction::kReplace:
      return fmt::format("{} with new settings ({})", dry_run ? "would restart" : "restarted",
                         changes);
    case CrewAction::kLeave:
      return fmt::format("not in {}; left {} ('bosun up --prune' stops it)", file, step.state);
    case CrewAction::kStop:
      if (!is_live(step.state)) return fmt::format("not in {}; already {}", file, step.state);
      return fmt::format("not in {}; {}", file, dry_run ? "would stop" : "stopped");
  }
  return "";
}

// The team file checked whole before anything starts (no half-started crew): its place, a
// project that is a repository with a commit, and each agent's program.
Result<std::pair<Place, std::vector<Json>>> check_team(CommandContext& ctx, const UpFlags& flags) {
  TRY(place, locate(ctx, flags.file));
  // The project must be a repository with a commit (worktrees start from one).
  if (auto repo = git::inspect(place->project.string()); !repo) {
    Error e = repo.error();
    e.message = flags.file + ": project: " + e.message;
    return tl::unexpected(e);
  }
  std::vector<std::vector<std::string>> programs;
  for (const auto& a : place->team.agents) {
    TRY(argv, program_of(a, flags.file, place->project));
    programs.push_back(*argv);
  }
  std::vector<Json> wanted = wanted_specs(*place, programs);
  return std::pair{std::move(*place), std::move(wanted)};
}

// The daemon of the state directory: started when needed (not for a dry run, which only looks
// for one running). `out` gets {daemon, dashboard}; nullopt for a dry run with none running.
Result<std::optional<Client>> daemon_for(const UpFlags& flags, const Place& place, Json& out) {
  std::optional<Client> client;
  bool started = false;
  if (flags.dry_run) {
    CommandContext located;
    located.state = place.state.root.string();
    if (auto c = Client::connect(located); c && c->request("GET", "/healthz")) {
      client.emplace(std::move(*c));
    }
  } else {
    TRY(endpoint, ensure_daemon(place.state, choose_listen(flags, place), &started));
    client.emplace(*endpoint);
    if (started) {
      (void)write_file_atomic(listen_file(place.state),
                              endpoint->host + ":" + endpoint->port + "\n", 0600);
    }
  }
  if (!client) {
    out["daemon"] = nullptr;
    if (!flags.json) {
      std::printf("no daemon runs for %s: 'bosun up' would start one\n", place.state.root.c_str());
    }
    return client;
  }
  const Endpoint& e = client->endpoint();
  out["daemon"] = Json{{"started", started}, {"url", fmt::format("http://{}:{}", e.host, e.port)}};
  out["dashboard"] = fmt::format("http://{}:{}/#token={}", e.host, e.port, e.token);
  if (!flags.json) {
    std::printf("daemon %s at %s (state %s)\n", started ? "started" : "running",
                out["daemon"]["url"].get<std::string>().c_str(), place.state.root.c_str());
  }
  return client;
}

// Carries out the plan step by step (or, dry, only says it), keeping `applied` — what each
// agent was started with — in step; 0, or the exit code of the step that failed.
int apply_plan(Client* client, const UpFlags& flags, const Place& place,
               const std::string& project_id, std::vector<CrewStep>& plan, Json& applied,
               Json& out) {
  out["agents"] = Json::array();
  for (auto& step : plan) {
    Json shown{{"name", step.name},
               {"action", crew_action_name(step.action)},
               {"state", step.state},
               {"changes", step.changes}};
    if (!flags.dry_run) {
      if (auto st = apply_step(*client, place, flags.file, project_id, step, shown); !st) {
        return report_error(st.error());
      }
      if (step.action == CrewAction::kStart || step.action == CrewAction::kReplace ||
          step.action == CrewAction::kKeep || step.action == CrewAction::kRestart) {
        applied[step.name] = step.spec;
      } else if (step.action == CrewAction::kStop) {
        applied.erase(step.name);
      }
    }
    if (!flags.json) {
      std::printf("  %-12s %s\n", step.name.c_str(),
                  step_words(step, shown, flags.dry_run, flags.file).c_str());
    }
    out["agents"].push_back(std::move(shown));
  }
  return 0;
}

int up(CommandContext& ctx, const UpFlags& flags) {
  auto checked = check_team(ctx, flags);
  if (!checked) return report_error(checked.error());
  const auto& [place, wanted] = *checked;
  Json applied = applied_crew(place.state);
  Json out{{"state", place.state.root.string()}, {"dry_run", flags.dry_run}};
  auto client = daemon_for(flags, place, out);
  if (!client) return report_error(client.error());
  Json agents = Json::array();
  if (*client) {
    auto list = (*client)->get("/api/v1/agents");
    if (!list) return report_error(list.error());
    agents = (*list)["agents"];
  }
  std::vector<CrewStep> plan = plan_crew(wanted, agents, applied, flags.prune);
  std::string project_id;
  if (!flags.dry_run) {
    if (auto st = configure(**client, place, flags.file); !st) return report_error(st.error());
    // The repository is a project (adding it again is harmless), so agents can have worktrees.
    auto project = (*client)->post("/api/v1/projects", Json{{"path", place.project.string()}});
    if (!project) {
      Error e = project.error();
      e.message = flags.file + ": project: " + e.message;
      return report_error(e);
    }
    project_id = (*project)["id"].get<std::string>();
  }
  Client* c = *client ? &**client : nullptr;
  int failed = apply_plan(c, flags, place, project_id, plan, applied, out);
  if (!flags.dry_run) {
    (void)write_file_atomic(crew_file(place.state), dump_json(applied) + "\n", 0600);
  }
  if (failed != 0) return failed;
  if (flags.json) {
    print_json(out);
  } else if (flags.dry_run) {
    std::printf("nothing was changed (--dry-run)\n");
  } else {
    std::printf("crew of %zu up; watch it with: bosun --state %s agent list\n",
                place.team.agents.size(), place.state.root.c_str());
    std::printf("dashboard: %s\n", out["dashboard"].get<std::string>().c_str());
  }
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
  const char* env = std::getenv("BOSUN_STATE");
  if (!ctx.state && !(env && *env)) {
    if (auto place = locate(ctx, flags.file)) state = place->state;
  }
  CommandContext located;
  located.state = state.root.string();
  // Down already: saying so is success. Agents left under their holders need the daemon.
  auto no_daemon = [&state, &flags] {
    if (int live = live_holders(state); live > 0) {
      return report_error(
          Error{ErrorKind::kUnavailable, "no_daemon",
                fmt::format("no bosun daemon runs for {}, but {} agent(s) still run under their "
                            "holders; start it ('bosun serve --state {}') and run down again",
                            state.root.string(), live, state.root.string())});
    }
    if (flags.json) {
      print_json(Json{{"state", state.root.string()}, {"stopped", 0}, {"daemon", "not running"}});
    } else {
      std::printf("nothing to stop: no bosun daemon or agent runs for %s\n",
                  state.root.string().c_str());
    }
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
  if (flags.json) {
    print_json(Json{{"state", state.root.string()}, {"stopped", stopping}, {"daemon", "stopped"}});
  } else {
    std::printf("stopped %d agent(s) and the daemon (state %s)\n", stopping, state.root.c_str());
  }
  return 0;
}

void setup_up(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<UpFlags>();
  app.add_option("file", flags->file, "team file")->capture_default_str();
  app.add_option("--listen", flags->listen,
                 "address for a daemon this starts (default: the team file's listen:, else the "
                 "port the last one had)");
  app.add_flag("--prune", flags->prune,
               "stop agents an earlier up started that the team file no longer lists");
  app.add_flag("--dry-run", flags->dry_run, "print what up would do and change nothing");
  app.add_flag("--json", flags->json,
               "print the daemon, dashboard link and each agent's step as JSON");
  app.callback([&ctx, flags] { ctx.exit_code = up(ctx, *flags); });
}

void setup_down(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<UpFlags>();
  app.add_option("file", flags->file, "team file (finds the state directory)")
      ->capture_default_str();
  app.add_flag("--json", flags->json, "print what was stopped as JSON");
  app.callback([&ctx, flags] { ctx.exit_code = down(ctx, *flags); });
}

}  // namespace

const Command kUpCommand{"up", "start the daemon if needed and the crew of a team file", setup_up};
const Command kDownCommand{"down", "stop every agent, then the daemon", setup_down};

}  // namespace bosun::cli
