// `bosun run AGENT [PROMPT] [--task T]`: starts a headless run of the agent's CLI and, unless
// --no-wait, waits for its outcome (exit 0 only on a success). `bosun usage`: tokens and cost
// per agent or per task; --runs lists the runs themselves.
#include "cli/headless_commands.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/family.h"
#include "util/duration.h"

namespace bosun::cli {
namespace {

struct RunFlags {
  std::string agent;
  std::string prompt;
  std::string task;
  std::string profile;
  std::string timeout;
  std::vector<std::string> args;
  bool no_wait = false;
  bool json = false;
};

std::string money(const Json& v) {
  return v.is_number() ? fmt::format("${:.4f}", v.get<double>()) : "-";
}

void print_run(const Json& r) {
  std::string outcome = text(r, "state") != "finished" ? "running"
                        : r.value("success", false)    ? "success"
                                                       : "failed (" + text(r, "reason") + ")";
  const Json& u = r.contains("usage") ? r["usage"] : Json::object();
  std::printf("%s  %s  %s  turns %s  tokens %s in / %s out  %s\n", text(r, "id").c_str(),
              text(r, "agent").c_str(), outcome.c_str(), text(r, "turns").c_str(),
              text(u, "input_tokens").c_str(), text(u, "output_tokens").c_str(),
              money(r.value("cost_usd", Json())).c_str());
  if (text(r, "state") == "finished" && !text(r, "text", "").empty()) {
    std::printf("%s\n", text(r, "text").c_str());
  }
}

void setup_run(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RunFlags>();
  app.add_option("agent", f->agent, "the agent whose CLI, folder and environment it uses")
      ->required();
  app.add_option("prompt", f->prompt, "what to ask (default with --task: the task)");
  app.add_option("--task", f->task, "the task it works on; usage counts against it");
  app.add_option("--profile", f->profile, "another profile's headless command");
  app.add_option("--timeout", f->timeout, "kill it after this long (default 30m)");
  app.add_option("--arg", f->args, "an argument added to the headless command (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--no-wait", f->no_wait, "print the run's id and return");
  app.add_flag("--json", f->json, "print the run as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!f->prompt.empty()) body["prompt"] = f->prompt;
      if (!f->task.empty()) body["task"] = f->task;
      if (!f->profile.empty()) body["profile"] = f->profile;
      if (!f->args.empty()) body["args"] = f->args;
      std::chrono::milliseconds limit{30 * 60 * 1000};
      if (!f->timeout.empty()) {
        auto d = parse_duration(f->timeout);
        if (!d) return tl::unexpected(d.error());
        limit = *d;
        body["timeout_ms"] = d->count();
      }
      auto run = client.post(agent_path(f->agent, "/runs"), body);
      if (!run) return tl::unexpected(run.error());
      Json r = *run;
      if (!f->no_wait) {
        // The run ends by its own timeout at the latest; the margin covers its last words.
        auto deadline = std::chrono::steady_clock::now() + limit + std::chrono::seconds(30);
        while (text(r, "state") != "finished" && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          auto now = client.get("/api/v1/runs/" + path_segment(text(r, "id")));
          if (!now) return tl::unexpected(now.error());
          r = *now;
        }
      }
      if (f->json) {
        std::printf("%s\n", r.dump(2).c_str());
      } else {
        print_run(r);
      }
      if (text(r, "state") == "finished" && !r.value("success", false)) ctx.exit_code = 1;
      return {};
    });
  });
}

struct UsageFlags {
  std::string by = "agent";
  std::string agent;
  std::string task;
  bool runs = false;
  bool json = false;
};

void setup_usage(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<UsageFlags>();
  app.add_option("--by", f->by, "agent or task")->check(CLI::IsMember({"agent", "task"}));
  app.add_option("--agent", f->agent, "one agent only");
  app.add_option("--task", f->task, "one task only");
  app.add_flag("--runs", f->runs, "list the runs instead of totals");
  app.add_flag("--json", f->json, "print JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string query;
      if (!f->agent.empty()) query += "&agent=" + path_segment(f->agent);
      if (!f->task.empty()) query += "&task=" + path_segment(f->task);
      if (f->runs) {
        auto runs = client.get("/api/v1/runs?" + query.substr(query.empty() ? 0 : 1));
        if (!runs) return tl::unexpected(runs.error());
        if (f->json) {
          std::printf("%s\n", (*runs)["runs"].dump(2).c_str());
          return {};
        }
        for (const auto& r : (*runs)["runs"])
          print_run(r);
        return {};
      }
      auto usage = client.get("/api/v1/usage?by=" + f->by + query);
      if (!usage) return tl::unexpected(usage.error());
      if (f->json) {
        std::printf("%s\n", usage->dump(2).c_str());
        return {};
      }
      const char* key = f->by == "task" ? "task_id" : "agent";
      std::printf("%-16s %5s %12s %12s %12s %10s\n", f->by == "task" ? "TASK" : "AGENT", "RUNS",
                  "IN", "OUT", "CACHE READ", "COST");
      auto line = [](const std::string& name, const Json& t) {
        std::printf("%-16s %5s %12s %12s %12s %10s\n", name.c_str(), text(t, "runs").c_str(),
                    text(t, "input_tokens").c_str(), text(t, "output_tokens").c_str(),
                    text(t, "cache_read_tokens").c_str(), money(t["cost_usd"]).c_str());
      };
      for (const auto& row : (*usage)["rows"])
        line(text(row, key), row);
      line("total", (*usage)["total"]);
      return {};
    });
  });
}

}  // namespace

const Command kRunCommand{"run", "run one headless task step with an agent's CLI", setup_run};
const Command kUsageCommand{"usage", "tokens and cost of headless runs, per agent or task",
                            setup_usage};

}  // namespace bosun::cli
