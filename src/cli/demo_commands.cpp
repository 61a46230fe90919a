// `bosun demo`: sample repository, daemon, three sim agents, five tasks, a live table, a summary;
// with --faults, two more agents and two faulty ones, and the supervisor's recoveries as they
// happen.
#include "cli/demo_commands.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/launch.h"
#include "git/git.h"
#include "util/files.h"
#include "util/state_dir.h"
#include "util/text.h"

namespace bosun::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kRecoveriesShown = 8;  // the live view's latest recoveries
constexpr size_t kRecoveryWidth = 150;

struct DemoFlags {
  std::string dir;
  std::string listen = "127.0.0.1:0";
  bool exit = false;
  int timeout_s = 300;
  int work_ms = 400;
  bool faults = false;
};

struct CrewMember {
  const char* name;
  const char* role;
  const char* about;
  const char* domain;  // the one folder the role may change
};

constexpr CrewMember kCrew[] = {
    {"ada", "architect", "You design modules and write down the decisions.", "docs/"},
    {"ben", "backend", "You implement the code the architect designed.", "src/"},
    {"cai", "qa", "You write tests and check the feature end to end.", "tests/"},
};

// With --faults: who misbehaves, how, and the healthy colleagues who take over.
struct Fault {
  const char* name;
  const char* role;
  const char* misbehave;  // `bosun sim-agent --misbehave`; empty: none
  bool permanent;
  const char* about = "";
};

constexpr Fault kFaultyCrew[] = {
    {"ben", "backend", "crash", true, "crashes on every task (permanent: restarted)"},
    {"cai", "qa", "hang", false, "hangs on every task"},
    {"dan", "backend", "", false},
    {"eve", "qa", "", false},
};

// The supervisor's deadlines for the demo: seconds, not the minutes real agents need.
Json demo_supervisor(bool faults) {
  if (!faults) return Json{{"heartbeat", "1m"}, {"stuck_after", "2m"}};
  return Json{{"heartbeat", "1m"},       {"stuck_after", "1500ms"},     {"recover_step", "1500ms"},
              {"restart_backoff", "1s"}, {"restart_limit", 1},          {"recover_reassigns", 3},
              {"restart_window", "10m"}, {"delivery_timeout", "1500ms"}};
}

struct DemoTask {
  const char* key;
  const char* title;
  const char* role;
  const char* description;
  std::vector<const char*> depends_on;
};

const DemoTask kTasks[] = {
    {"design",
     "Design the greeting module",
     "architect",
     "write docs/design.md: greet(name) returns 'Hello, <name>!'; main.py prints it for argv[1]",
     {}},
    {"greet",
     "Implement greet()",
     "backend",
     "write src/greet.py: def greet(name): return f'Hello, {name}!'",
     {"design"}},
    {"cli",
     "Add the command-line entry point",
     "backend",
     "write src/main.py: import sys; from greet import greet; print(greet(sys.argv[1]))",
     {"greet"}},
    {"unit",
     "Write unit tests for greet()",
     "qa",
     "write tests/test_greet.py: assert greet('Ada') == 'Hello, Ada!'",
     {"greet"}},
    {"e2e",
     "Check the command line end to end",
     "qa",
     "write tests/e2e.md: python3 src/main.py Ada prints Hello, Ada!",
     {"cli", "unit"}},
};

Result<fs::path> make_repository(const fs::path& dir) {
  fs::path repo = dir / "greeter";
  std::error_code ec;
  fs::create_directories(repo / "src", ec);
  if (ec) return internal("mkdir_failed", "cannot create " + repo.string() + ": " + ec.message());
  std::ofstream(repo / "README.md") << "# greeter\n\nA tiny sample project for the bosun demo.\n";
  std::ofstream(repo / "src" / "__init__.py") << "";
  // The crew's roles live in the repository, as a team's would.
  fs::create_directories(repo / ".bosun" / "roles", ec);
  for (const auto& m : kCrew) {
    std::ofstream(repo / ".bosun" / "roles" / (std::string(m.role) + ".md"))
        << fmt::format("---\nname: {}\ndescription: {}\ndomains: [{}]\n---\n{}\n", m.role, m.about,
                       m.domain, m.about);
  }
  std::ofstream(repo / ".gitignore") << ".bosun/*\n!.bosun/roles/\n";
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"init", "-q", "-b", "main"},
                                             {"config", "user.name", "bosun demo"},
                                             {"config", "user.email", "demo@bosun.invalid"},
                                             {"add", "-A"},
                                             {"commit", "-q", "-m", "greeter: initial commit"}}) {
    if (auto out = git::run(repo.string(), args); !out) return tl::unexpected(out.error());
  }
  return repo;
}

std::string text(const Json& j, const char* key, const char* fallback = "") {
  if (!j.contains(key) || !j[key].is_string()) return fallback;
  return j[key].get<std::string>();
}

// A recovery the supervisor made, as a line of the live view; nullopt for other events.
std::optional<std::string> recovery_line(const Json& event) {
  std::string type = text(event, "type");
  const Json& d = event.contains("data") && event["data"].is_object() ? event["data"] : Json();
  if (d.is_null()) return std::nullopt;
  std::string line;
  if (type == "task.recovery") {
    line = fmt::format("{} {}: {} — {}", text(d, "task_id"), text(d, "agent"), text(d, "step"),
                       text(d, "reason"));
  } else if (type == "agent.restarting") {
    line = fmt::format("{} {} — restarted in {} ms", text(d, "name"), text(d, "reason"),
                       d.value("delay_ms", int64_t{0}));
  } else if (type == "task.updated" && text(d, "reason").ends_with(": back to the board")) {
    line = fmt::format("{} {}", text(event, "subject"), text(d, "reason"));
  } else if (type == "agent.restart_gave_up") {
    line = text(d, "reason");
  } else {
    return std::nullopt;
  }
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

// The live view: one row per agent and per task, then the latest recoveries.
std::string render(const Json& agents, const Json& tasks, std::chrono::seconds elapsed,
                   const std::vector<std::string>& recoveries) {
  std::string out = fmt::format("bosun demo — {}s\n\n  {:<6} {:<10} {:<9} {}\n", elapsed.count(),
                                "AGENT", "ROLE", "STATE", "TASK");
  for (const auto& a : agents) {
    std::string current = "-";
    for (const auto& t : tasks) {
      std::string status = text(t, "status");
      if (text(t, "assignee") == text(a, "id") &&
          (status == "assigned" || status == "in_progress")) {
        current = text(t, "id") + " " + text(t, "title");
      }
    }
    out += fmt::format("  {:<6} {:<10} {:<9} {}\n", text(a, "name"), text(a, "role"),
                       text(a, "state"), current);
  }
  out += fmt::format("\n  {:<11} {:<12} {:<6} {}\n", "TASK", "STATUS", "WHO", "TITLE");
  for (const auto& t : tasks) {
    out += fmt::format("  {:<11} {:<12} {:<6} {}\n", text(t, "id"), text(t, "status"),
                       text(t, "assignee_name", "-"), text(t, "title"));
  }
  if (!recoveries.empty()) {
    out += fmt::format("\n  RECOVERIES ({})\n", recoveries.size());
    size_t from = recoveries.size() > kRecoveriesShown ? recoveries.size() - kRecoveriesShown : 0;
    for (size_t i = from; i < recoveries.size(); ++i)
      out += "  " + shorten(recoveries[i], kRecoveryWidth) + "\n";
  }
  return out;
}

int count_lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

void stop_everything(Client& client, const Json& agent_ids, const StateDir& state) {
  for (const auto& id : agent_ids)
    (void)client.del("/api/v1/agents/" + id.get<std::string>());
  // Wait (bounded) for the agents to be gone, then stop the daemon.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    auto list = client.get("/api/v1/agents");
    if (!list || (*list)["agents"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto pid = read_file(state.pid_file());
  if (pid) {
    pid_t p = static_cast<pid_t>(std::atoi(pid->c_str()));
    if (p > 0) {
      ::kill(p, SIGTERM);
      auto until = Clock::now() + std::chrono::seconds(10);
      while (::kill(p, 0) == 0 && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

// The demo's folder: the one given, or a new temporary one; refused when it holds a demo.
Result<fs::path> demo_folder(const DemoFlags& flags) {
  fs::path dir = flags.dir;
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "bosun-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      return fail(ErrorKind::kInternal, "mkdtemp", "cannot make a temporary folder");
    }
    dir = tmpl;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  dir = fs::absolute(dir, ec);
  if (fs::exists(dir / "greeter")) {
    return conflict("demo_exists",
                    fmt::format("{} already holds a demo; pick an empty folder", dir.string()));
  }
  return dir;
}

// The supervisor's settings, the project in auto mode with a decision, the crew (each in its
// own worktree) and the feature's tasks; returns the crew's agent ids.
Result<Json> file_the_work(Client& client, const fs::path& repo, const DemoFlags& flags) {
  if (auto r =
          client.request("PUT", "/api/v1/supervisor", dump_json(demo_supervisor(flags.faults)));
      !r || r->status != 200) {
    return tl::unexpected(r ? reply_error(*r) : r.error());
  }
  // Auto mode: each checked task's branch is merged into main by bosun.
  TRY(project, client.post("/api/v1/projects", Json{{"path", repo.string()},
                                                    {"execution_mode", "auto"},
                                                    {"tech_stack", "Python 3"}}));
  (void)client.post(
      "/api/v1/projects/" + text(*project, "id") + "/decisions",
      Json{{"kind", "convention"}, {"text", "greet() returns the greeting; only main.py prints"}});
  Json agent_ids = Json::array();
  std::vector<Fault> crew;
  for (const auto& m : kCrew)
    crew.push_back(Fault{m.name, m.role, "", false});
  if (flags.faults) crew.assign(std::begin(kFaultyCrew), std::end(kFaultyCrew));
  if (flags.faults) crew.insert(crew.begin(), Fault{kCrew[0].name, kCrew[0].role, "", false});
  for (const auto& m : crew) {
    Json argv = {bosun_executable(), "sim-agent", "--work-ms", std::to_string(flags.work_ms)};
    if (*m.misbehave) argv.insert(argv.end(), {"--misbehave", m.misbehave});
    Json body{{"name", m.name},   {"role", m.role},
              {"profile", "sim"}, {"project", text(*project, "id")},
              {"worktree", true}, {"permanent", m.permanent},
              {"cols", 100},      {"rows", 30},
              {"argv", argv}};
    TRY(agent, client.post("/api/v1/agents", body));
    agent_ids.push_back((*agent)["id"]);
    std::string fault = *m.about ? fmt::format("  — {}", m.about) : "";
    std::printf("  %-4s %-10s works in %s (branch %s)%s\n", m.name, m.role,
                text((*agent)["worktree"], "path").c_str(),
                text((*agent)["worktree"], "branch").c_str(), fault.c_str());
  }
  std::printf("\n");
  std::map<std::string, std::string> ids;
  for (const auto& t : kTasks) {
    Json deps = Json::array();
    for (const char* d : t.depends_on)
      deps.push_back(ids[d]);
    TRY(task, client.post("/api/v1/tasks", Json{{"title", t.title},
                                                {"role", t.role},
                                                {"description", t.description},
                                                {"depends_on", deps}}));
    ids[t.key] = text(*task, "id");
  }
  return agent_ids;
}

// The board as the crew works through it, redrawn in place on a terminal (a line per change
// when piped), until every task is done or the deadline passes.
struct Watched {
  Json tasks;
  bool all_done = false;
  std::vector<std::string> recoveries;
};

Result<Watched> watch_the_crew(Client& client, Clock::time_point started_at, int timeout_s) {
  bool tty = ::isatty(STDOUT_FILENO);
  int drawn = 0;
  std::string last;
  Watched w;
  int64_t seen = 0;  // the last event looked at
  auto deadline = started_at + std::chrono::seconds(timeout_s);
  while (Clock::now() < deadline) {
    TRY(t, client.get("/api/v1/tasks?limit=100"));
    TRY(a, client.get("/api/v1/agents"));
    for (;;) {
      TRY(e, client.get(fmt::format("/api/v1/events?since={}&limit=1000", seen)));
      for (const auto& event : (*e)["events"]) {
        seen = std::max(seen, event.value("seq", seen));
        if (auto line = recovery_line(event)) w.recoveries.push_back(*line);
      }
      if ((*e)["events"].size() < 1000) break;
    }
    w.tasks = (*t)["tasks"];
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_at);
    std::string view = render((*a)["agents"], w.tasks, elapsed, w.recoveries);
    if (tty) {
      std::string frame = drawn ? fmt::format("\x1b[{}A\x1b[J", drawn) : "";
      std::fputs((frame + view).c_str(), stdout);
      drawn = count_lines(view);
    } else if (view.substr(view.find('\n')) != last) {  // a line-per-change log when piped
      std::fputs(view.c_str(), stdout);
      last = view.substr(view.find('\n'));
    }
    std::fflush(stdout);
    w.all_done = std::all_of(w.tasks.begin(), w.tasks.end(),
                             [](const Json& x) { return text(x, "status") == "done"; });
    if (w.all_done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // a console view's refresh
  }
  return w;
}

// What the crew did: tasks done, reports verified, commits and merges on main, its files.
void print_summary(Client& client, const Watched& w, const fs::path& repo,
                   std::chrono::milliseconds took) {
  int verified = 0, reports = 0;
  for (const auto& t : w.tasks) {
    auto r = client.get("/api/v1/tasks/" + text(t, "id") + "/reports");
    if (!r) continue;
    for (const auto& rep : (*r)["reports"]) {
      ++reports;
      if (text(rep, "verified") == "passed") ++verified;
    }
  }
  // What reached main: the crew's commits and bosun's merges.
  auto commits = git::run(repo.string(), {"rev-list", "--count", "--no-merges", "main"});
  auto merges = git::run(repo.string(), {"rev-list", "--count", "--merges", "main"});
  auto files = git::run(repo.string(), {"ls-tree", "-r", "--name-only", "main"});
  int done = static_cast<int>(std::count_if(
      w.tasks.begin(), w.tasks.end(), [](const Json& x) { return text(x, "status") == "done"; }));
  std::printf(
      "\n%s: %d of %zu tasks done (checked), %d of %d reports verified, %d commits by "
      "the crew merged into main (%d merge commit%s), %.1f s\n",
      w.all_done ? "Finished" : "Timed out", done, w.tasks.size(), verified, reports,
      commits ? std::atoi(commits->c_str()) - 1 : -1, merges ? std::atoi(merges->c_str()) : -1,
      merges && std::atoi(merges->c_str()) == 1 ? "" : "s",
      static_cast<double>(took.count()) / 1000.0);
  if (!w.recoveries.empty()) {
    std::printf("%zu recoveries by the supervisor:\n", w.recoveries.size());
    for (const auto& r : w.recoveries)
      std::printf("  %s\n", shorten(r, kRecoveryWidth).c_str());
  }
  if (files) {
    std::string listed;
    for (const auto& f : git::split_lines(*files)) {
      if (f.rfind(".bosun/", 0) != 0 && f != ".gitignore") listed += "  " + f + "\n";
    }
    std::printf("main now holds:\n%s", listed.c_str());
  }
}

int run_demo(const DemoFlags& flags) {
  auto started_at = Clock::now();
  auto dir = demo_folder(flags);
  if (!dir) return report_error(dir.error());
  auto repo = make_repository(*dir);
  if (!repo) return report_error(repo.error());
  StateDir state{*dir / ".bosun"};
  bool started = false;
  auto endpoint = ensure_daemon(state, flags.listen, &started);
  if (!endpoint) return report_error(endpoint.error());
  Client client(*endpoint);
  std::printf("bosun demo in %s\n  repository: %s\n  daemon:     http://%s:%s (%s)\n", dir->c_str(),
              repo->c_str(), endpoint->host.c_str(), endpoint->port.c_str(),
              started ? "started" : "already running");
  std::printf("  dashboard:  http://%s:%s/#token=%s\n\n", endpoint->host.c_str(),
              endpoint->port.c_str(), endpoint->token.c_str());
  auto agent_ids = file_the_work(client, *repo, flags);
  if (!agent_ids) return report_error(agent_ids.error());
  auto watched = watch_the_crew(client, started_at, flags.timeout_s);
  if (!watched) return report_error(watched.error());
  print_summary(client, *watched, *repo,
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at));
  if (flags.exit) {
    stop_everything(client, *agent_ids, state);
    std::printf("stopped the crew and the daemon; the repository stays in %s\n", repo->c_str());
    return watched->all_done ? 0 : 1;
  }
  // Commands that paste as they are: this binary's own path, one command a line.
  std::string bosun = bosun_executable() + " --state " + state.root.string();
  std::printf(
      "\nThe daemon and the crew keep running:\n"
      "  browser:  http://%s:%s/#token=%s   (the dashboard)\n"
      "  API:      http://%s:%s/   (token in %s)\n"
      "  try:      %s agent list\n"
      "            %s task list\n"
      "            %s agent attach ben\n"
      "  stop all: %s down\n",
      endpoint->host.c_str(), endpoint->port.c_str(), endpoint->token.c_str(),
      endpoint->host.c_str(), endpoint->port.c_str(), state.token().c_str(), bosun.c_str(),
      bosun.c_str(), bosun.c_str(), bosun.c_str());
  return watched->all_done ? 0 : 1;
}

void setup_demo(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<DemoFlags>();
  app.add_option("--dir", flags->dir,
                 "folder for the sample repository and state (default: a new temporary one)");
  app.add_option("--listen", flags->listen, "address for the daemon")->capture_default_str();
  app.add_flag("--exit", flags->exit, "stop the crew and the daemon at the end");
  app.add_option("--timeout", flags->timeout_s, "give up after this many seconds")
      ->capture_default_str();
  app.add_option("--work-ms", flags->work_ms, "how long each step of a scripted agent takes")
      ->capture_default_str();
  app.add_flag("--faults", flags->faults,
               "add a crashing and a hanging agent (and two that take over their tasks)");
  app.callback([&ctx, flags] { ctx.exit_code = run_demo(*flags); });
}

}  // namespace

const Command kDemoCommand{"demo", "run a crew of scripted agents on a sample repository",
                           setup_demo};

}  // namespace bosun::cli
