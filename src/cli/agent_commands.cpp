// `bosun agent spawn|list|show|screen|logs|send|interrupt|resize|restart|kill|rm|attach`.
#include "cli/agent_commands.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/attach.h"
#include "cli/client.h"
#include "cli/detect_commands.h"
#include "cli/export_commands.h"
#include "cli/family.h"
#include "cli/project_commands.h"
#include "cli/terminal_socket.h"
#include "term/query_filter.h"

namespace bosun::cli {

namespace {

void write_out(std::string_view data) {
  std::fwrite(data.data(), 1, data.size(), stdout);
}

std::string join_argv(const Json& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    std::string s = a.is_string() ? a.get<std::string>() : a.dump();
    bool plain = !s.empty() && s.find_first_of(" \t\n'\"\\$`;&|<>()*?[]{}!#~") == std::string::npos;
    out += plain ? s : "'" + s + "'";
  }
  return out;
}

// A run's state in a few words: "running", "exited 3", "killed by SIGKILL", "lost".
std::string run_summary(const Json& agent) {
  std::string state = text(agent, "state");
  const Json& run = agent["run"];
  if (state == "exited" && run.is_object()) {
    if (run["exit_code"].is_number()) return fmt::format("exited {}", run["exit_code"].get<int>());
    if (run["signal"].is_number_integer()) {
      const int sig = run["signal"].get<int>();
      const char* abbrev = sigabbrev_np(sig);
      return abbrev != nullptr ? fmt::format("killed by SIG{} (signal {})", abbrev, sig)
                               : fmt::format("killed by signal {}", sig);
    }
  }
  return state;
}

struct SpawnFlags {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> args;
  std::string role;
  std::string profile;
  std::string cwd;
  std::string project;
  bool worktree = false;
  std::vector<std::string> env;
  int cols = 0;
  int rows = 0;
  bool permanent = false;
  bool json = false;
  std::string sandbox;
  std::string network;
  std::string permission;
};

void setup_spawn(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<SpawnFlags>();
  app.add_option("name", f->name, "the agent's name (unique)")->required();
  app.add_option("argv", f->argv,
                 "the program and its arguments, after -- (default: the profile's command)");
  app.add_option("--role", f->role, "role name");
  app.add_option("--profile", f->profile,
                 "agent profile; without a program, the profile's command is run");
  app.add_option("--arg", f->args, "an argument added to the profile's command (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--cwd", f->cwd, "working directory (default: the current one)");
  app.add_option("--project", f->project, "the project it works on (name or id)");
  app.add_flag("--worktree", f->worktree,
               "its own git worktree and branch (the project: --project, else the current "
               "folder's repository, added as a project if need be)");
  app.add_option("--env", f->env, "extra environment, KEY=VALUE (repeatable)");
  app.add_option("--cols", f->cols, "terminal columns (default: this terminal's, else 120)");
  app.add_option("--rows", f->rows, "terminal rows (default: this terminal's, else 40)");
  app.add_flag("--permanent", f->permanent, "restart it when it exits unexpectedly");
  app.add_option("--sandbox", f->sandbox, "none or bwrap: what its program may see and touch")
      ->check(CLI::IsMember({"none", "bwrap"}));
  app.add_option("--network", f->network, "on or off, in its sandbox (default: on)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--permission", f->permission,
                 "ask, edits or unattended (unattended only in a sandbox)")
      ->check(CLI::IsMember({"ask", "edits", "unattended"}));
  app.add_flag("--json", f->json, "print the agent record as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body{{"name", f->name}};
      if (!f->argv.empty()) body["argv"] = f->argv;
      if (!f->args.empty()) body["args"] = f->args;
      if (!f->role.empty()) body["role"] = f->role;
      if (!f->profile.empty()) body["profile"] = f->profile;
      std::error_code ec;
      std::string here = std::filesystem::current_path(ec).string();
      if (f->worktree && f->project.empty()) {
        auto project = client.post("/api/v1/projects", Json{{"path", here}});
        if (!project) return tl::unexpected(project.error());
        f->project = text(*project, "id");
      }
      if (!f->project.empty()) body["project"] = f->project;
      if (f->worktree) body["worktree"] = true;
      if (!f->worktree && (f->project.empty() || !f->cwd.empty())) {
        std::string cwd = f->cwd.empty() ? here : f->cwd;
        body["cwd"] = std::filesystem::absolute(cwd, ec).lexically_normal().string();
      }
      Json env = Json::object();
      for (const auto& kv : f->env) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
          return bad_request("invalid_env", fmt::format("--env '{}' is not KEY=VALUE", kv));
        }
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      if (!env.empty()) body["env"] = env;
      winsize ws{};
      bool tty =
          ::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0;
      if (f->cols > 0 || tty) body["cols"] = f->cols > 0 ? f->cols : ws.ws_col;
      if (f->rows > 0 || tty) body["rows"] = f->rows > 0 ? f->rows : ws.ws_row;
      if (f->permanent) body["permanent"] = true;
      if (!f->sandbox.empty() || !f->network.empty()) {
        body["sandbox"] = Json{{"kind", f->sandbox.empty() ? "bwrap" : f->sandbox}};
        if (!f->network.empty()) body["sandbox"]["network"] = f->network;
      }
      if (!f->permission.empty()) body["permission"] = f->permission;
      auto agent = client.post("/api/v1/agents", body);
      if (!agent) return tl::unexpected(agent.error());
      if (f->json) {
        std::printf("%s\n", agent->dump(2).c_str());
      } else {
        std::printf("spawned %s (%s), pid %s: %s\n", text(*agent, "name").c_str(),
                    text(*agent, "id").c_str(), text(*agent, "pid").c_str(),
                    join_argv((*agent)["argv"]).c_str());
      }
      return {};
    });
  });
}

void setup_list(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the agents as JSON");
  app.callback([&ctx, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto list = client.get("/api/v1/agents");
      if (!list) return tl::unexpected(list.error());
      const Json& agents = (*list)["agents"];
      if (*json) {
        std::printf("%s\n", agents.dump(2).c_str());
        return {};
      }
      if (agents.empty()) {
        std::printf("no agents (start one with 'bosun agent spawn NAME -- PROGRAM…')\n");
        return {};
      }
      // Hosts sharing a store: which one each agent runs on.
      const bool hosts = std::any_of(agents.begin(), agents.end(),
                                     [](const Json& a) { return a.contains("host"); });
      std::printf("%-16s %-12s %-14s %-8s %-10s %-5s ", "NAME", "ID", "STATE", "PID", "ROLE",
                  "CTX");
      if (hosts) std::printf("%-12s ", "HOST");
      std::printf("COMMAND\n");
      for (const auto& a : agents) {
        std::string role = text(a, "role", "");
        std::string ctx = a.contains("context") && a["context"].is_object()
                              ? text(a["context"], "percent") + "%"
                              : "-";
        std::printf("%-16s %-12s %-14s %-8s %-10s %-5s ", text(a, "name").c_str(),
                    text(a, "id").c_str(), run_summary(a).c_str(), text(a, "pid").c_str(),
                    role.empty() ? "-" : role.c_str(), ctx.c_str());
        if (hosts) std::printf("%-12s ", text(a, "host", "-").c_str());
        std::printf("%s\n", join_argv(a["argv"]).c_str());
      }
      return {};
    });
  });
}

void print_agent(const Json& a) {
  const Json& run = a["run"];
  std::printf("name:      %s\n", text(a, "name").c_str());
  std::printf("id:        %s\n", text(a, "id").c_str());
  std::printf("state:     %s (from %s, since %s)\n", run_summary(a).c_str(),
              text(a, "state_source").c_str(), text(a, "state_since").c_str());
  std::printf("command:   %s\n", join_argv(a["argv"]).c_str());
  std::printf("cwd:       %s\n", text(a, "cwd").c_str());
  std::printf("terminal:  %sx%s\n", text(a, "cols").c_str(), text(a, "rows").c_str());
  if (!text(a, "role", "").empty()) std::printf("role:      %s\n", text(a, "role").c_str());
  if (!text(a, "profile", "").empty()) std::printf("profile:   %s\n", text(a, "profile").c_str());
  if (a.value("permanent", false)) std::printf("permanent: yes\n");
  if (const Json& box = a["sandbox"]; box.is_object() && box.value("kind", "none") != "none") {
    std::printf("sandbox:   %s, network %s\n", text(box, "kind").c_str(),
                text(box, "network").c_str());
  }
  if (const Json& c = a["context"]; c.is_object()) {
    std::string tokens =
        c["tokens"].is_number_integer()
            ? fmt::format(", {} of {} tokens", c["tokens"].get<int64_t>(), text(c, "window"))
            : "";
    std::printf("context:   %s%% full (from %s%s)\n", text(c, "percent").c_str(),
                text(c, "source").c_str(), tokens.c_str());
  }
  if (a["worktree"].is_object()) {
    std::printf("worktree:  %s (branch %s, base %s)\n", text(a["worktree"], "path").c_str(),
                text(a["worktree"], "branch").c_str(), text(a["worktree"], "base_branch").c_str());
  }
  if (!run.is_object()) return;
  std::printf("run:       %s (generation %s)\n", text(run, "id").c_str(),
              text(run, "generation").c_str());
  std::printf("pid:       %s (holder %s)\n", text(run, "pid").c_str(),
              text(run, "holder_pid").c_str());
  std::printf("started:   %s\n", text(run, "started_at").c_str());
  if (!run["ended_at"].is_null()) std::printf("ended:     %s\n", text(run, "ended_at").c_str());
  if (!run["exit_code"].is_null()) std::printf("exit code: %s\n", text(run, "exit_code").c_str());
  if (!run["signal"].is_null()) std::printf("signal:    %s\n", text(run, "signal").c_str());
  if (!run["error"].is_null()) std::printf("error:     %s\n", text(run, "error").c_str());
  if (!run["lost_reason"].is_null()) {
    std::printf("lost:      %s\n", text(run, "lost_reason").c_str());
  }
  std::printf("output:    %s bytes", text(run, "end_offset").c_str());
  if (run["gaps"].is_array() && !run["gaps"].empty()) {
    std::printf(" (gaps: %s)", run["gaps"].dump().c_str());
  }
  std::printf("\nlast out:  %s\n", text(a, "last_output_at").c_str());
}

void setup_show(CLI::App& app, CommandContext& ctx) {
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "name or id")->required();
  app.add_flag("--json", *json, "print the agent record as JSON");
  app.callback([&ctx, agent, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto a = client.get(agent_path(*agent));
      if (!a) return tl::unexpected(a.error());
      if (*json) {
        std::printf("%s\n", a->dump(2).c_str());
      } else {
        print_agent(*a);
      }
      return {};
    });
  });
}

void setup_screen(CLI::App& app, CommandContext& ctx) {
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "name or id")->required();
  app.add_flag("--json", *json, "print lines and cursor as JSON");
  app.callback([&ctx, agent, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto screen = client.get(agent_path(*agent, "/screen"));
      if (!screen) return tl::unexpected(screen.error());
      if (*json) {
        std::printf("%s\n", screen->dump(2).c_str());
        return {};
      }
      std::vector<std::string> lines = (*screen)["lines"].get<std::vector<std::string>>();
      while (!lines.empty() && lines.back().empty())
        lines.pop_back();
      for (const auto& line : lines)
        std::printf("%s\n", line.c_str());
      return {};
    });
  });
}

// Copies [from, end of the run) of an agent's output to stdout; returns the next offset.
Result<uint64_t> copy_log(Client& client, const std::string& agent, uint64_t from,
                          std::optional<uint64_t> until, term::QueryFilter* filter) {
  for (;;) {
    auto reply = client.request("GET", agent_path(agent, fmt::format("/log?from={}", from)));
    if (!reply) return tl::unexpected(reply.error());
    if (reply->status >= 400) return tl::unexpected(reply_error(*reply));
    write_out(filter ? filter->feed(reply->body) : reply->body);
    uint64_t offset = std::strtoull(reply->header("X-Bosun-Offset").c_str(), nullptr, 10);
    uint64_t end = std::strtoull(reply->header("X-Bosun-End-Offset").c_str(), nullptr, 10);
    from = offset + reply->body.size();
    if (reply->body.empty() || from >= (until ? *until : end)) return from;
  }
}

struct LogsFlags {
  std::string agent;
  bool follow = false;
  uint64_t from = 0;
};

// --follow: the terminal socket from `from`, until the run ends or the daemon goes away.
Status follow_log(Client& client, const LogsFlags& f, term::QueryFilter* filter) {
  auto agent = client.get(agent_path(f.agent));
  if (!agent) return tl::unexpected(agent.error());
  std::string id = text(*agent, "id");
  boost::asio::io_context io;
  TerminalSocket socket(io, client.endpoint());
  Status result;
  std::optional<uint64_t> ended_at;  // the run's end offset, once it has ended
  uint64_t next = f.from;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        result = co_await socket.connect(id, next);
        while (result) {
          auto frame = co_await socket.read();
          if (!frame) {
            result = tl::unexpected(frame.error());
            break;
          }
          if (frame->output) {
            uint64_t end = frame->offset + frame->bytes.size();
            if (end <= next) continue;
            std::string_view bytes = frame->bytes;
            if (frame->offset < next) bytes.remove_prefix(next - frame->offset);
            write_out(filter ? filter->feed(bytes) : bytes);
            std::fflush(stdout);
            next = end;
          } else if (frame->message.value("type", "") == "gap") {
            next = frame->message.value("to", next);
          } else if (frame->message.value("type", "") == "status" &&
                     frame->message.value("state", "") != "running") {
            ended_at = frame->message.value("end_offset", next);
            break;
          }
        }
        co_await socket.close();
      },
      boost::asio::detached);
  io.run();
  if (!result) return result;
  if (ended_at && next < *ended_at) {  // whatever the socket had not delivered yet
    auto rest = copy_log(client, id, next, ended_at, filter);
    if (!rest) return tl::unexpected(rest.error());
  }
  return {};
}

void setup_logs(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<LogsFlags>();
  app.add_option("agent", f->agent, "name or id")->required();
  app.add_flag("-f,--follow", f->follow, "keep printing output as it arrives, until the run ends");
  app.add_option("--from", f->from, "start at this byte offset of the run's output")
      ->capture_default_str();
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      // A terminal must not answer queries in the log: the agent asked its own terminal.
      term::QueryFilter filter;
      term::QueryFilter* tty = ::isatty(STDOUT_FILENO) ? &filter : nullptr;
      Status st;
      if (f->follow) {
        st = follow_log(client, *f, tty);
      } else {
        auto copied = copy_log(client, f->agent, f->from, std::nullopt, tty);
        if (!copied) st = tl::unexpected(copied.error());
      }
      write_out(filter.flush());
      std::fflush(stdout);
      return st;
    });
  });
}

// A command of the form `agent VERB A` that posts `body`; --json prints the daemon's reply.
template <typename Build>
void simple_post(CLI::App& app, CommandContext& ctx, const char* verb, Build build) {
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "name or id")->required();
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  app.callback([&ctx, agent, json, verb, build] {
    with_client(ctx, [&](Client& client) -> Status {
      auto reply = client.post(agent_path(*agent, std::string("/") + verb), build());
      if (!reply) return tl::unexpected(reply.error());
      if (*json) print_json(*reply);
      return {};
    });
  });
}

void setup_send(CLI::App& app, CommandContext& ctx) {
  auto text_arg = std::make_shared<std::string>();
  auto no_submit = std::make_shared<bool>(false);
  simple_post(app, ctx, "input", [text_arg, no_submit] {
    return Json{{"data", *text_arg}, {"submit", !*no_submit}};
  });
  app.add_option("text", *text_arg, "what to type")->required();
  app.add_flag("--no-submit", *no_submit, "type the text without pressing Enter");
}

void setup_interrupt(CLI::App& app, CommandContext& ctx) {
  simple_post(app, ctx, "interrupt", [] { return Json::object(); });
}

void setup_resize(CLI::App& app, CommandContext& ctx) {
  auto cols = std::make_shared<int>(0);
  auto rows = std::make_shared<int>(0);
  simple_post(app, ctx, "resize", [cols, rows] { return Json{{"cols", *cols}, {"rows", *rows}}; });
  app.add_option("cols", *cols, "columns")->required();
  app.add_option("rows", *rows, "rows")->required();
}

void setup_restart(CLI::App& app, CommandContext& ctx) {
  auto fresh = std::make_shared<bool>(false);
  simple_post(app, ctx, "restart", [fresh] { return Json{{"fresh", *fresh}}; });
  app.add_flag("--fresh", *fresh, "start a new session of the agent's CLI instead of resuming");
}

void setup_kill(CLI::App& app, CommandContext& ctx) {
  auto grace = std::make_shared<int>(3000);
  simple_post(app, ctx, "stop", [grace] { return Json{{"grace_ms", *grace}}; });
  app.add_option("--grace", *grace, "milliseconds between SIGHUP+SIGTERM and SIGKILL")
      ->capture_default_str();
}

void setup_rm(CLI::App& app, CommandContext& ctx) {
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "name or id")->required();
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  app.callback([&ctx, agent, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto reply = client.del(agent_path(*agent));
      if (!reply) return tl::unexpected(reply.error());
      if (*json) print_json(*reply);
      return {};
    });
  });
}

void setup_attach(CLI::App& app, CommandContext& ctx) {
  auto agent = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>("^]");
  auto no_resize = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "name or id")->required();
  app.add_option("--detach-key", *key, "key that detaches, e.g. ^] (Ctrl-]) or ^Q")
      ->capture_default_str();
  app.add_flag("--no-resize", *no_resize, "leave the agent's terminal size alone");
  app.callback([&ctx, agent, key, no_resize] {
    auto byte = parse_detach_key(*key);
    if (!byte) {
      ctx.exit_code = report_error(Error{ErrorKind::kInvalid, "invalid_key",
                                         fmt::format("--detach-key '{}' is not a key", *key)});
      return;
    }
    ctx.exit_code = attach(ctx, AttachOptions{*agent, *byte, !*no_resize});
  });
}

const Verb kVerbs[] = {
    {"spawn", "start an agent: bosun agent spawn NAME [-- PROGRAM ARGS…]", setup_spawn},
    {"list", "list agents with their state and pid", setup_list},
    {"show", "show one agent and its current run", setup_show},
    {"screen", "print the agent's screen as the daemon sees it", setup_screen},
    {"logs", "print the run's output from a byte offset (--follow to keep going)", setup_logs},
    {"send", "type TEXT into the agent and press Enter (--no-submit: don't)", setup_send},
    {"interrupt", "send Ctrl-C (SIGINT) to the agent's foreground program", setup_interrupt},
    {"resize", "set the agent's terminal size", setup_resize},
    {"restart", "stop the agent if running and start it again", setup_restart},
    {"kill", "stop the agent's whole process tree (SIGHUP and SIGTERM, then SIGKILL after --grace)",
     setup_kill},
    {"rm", "stop the agent if running and forget it (its logs stay)", setup_rm},
    {"export", "a run as text, an asciicast recording (-o run.cast) or a headless run's JSON lines",
     setup_agent_export},
    {"attach", "the agent's terminal in yours; detach with Ctrl-]", setup_attach},
    {"explain", "the agent's state, its source and evidence, and what its screen shows now",
     setup_agent_explain},
    {"diff", "what the agent changed in its worktree, against its base branch", setup_agent_diff},
    {"merge", "merge the agent's branch into its base (refuses conflicts)", setup_agent_merge},
    {"rebase", "rebase the agent's branch onto its base (aborts on conflict)", setup_agent_rebase},
};

void setup_agent(CLI::App& app, CommandContext& ctx) {
  add_verbs(app, ctx, kVerbs);
}

}  // namespace

const Command kAgentCommand{"agent", "spawn, inspect, drive and attach to agents", setup_agent};

}  // namespace bosun::cli
