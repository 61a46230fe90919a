// Pipeline runs from the command line: start one (optionally waiting until it settles), list
// them, show one, and a person's word on one.
#include "cli/pipeline_run_commands.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "cli/family.h"
#include "util/text.h"

namespace bosun::cli {

namespace {

std::string run_path(const std::string& run, std::string_view rest = {}) {
  return "/api/v1/pipeline-runs/" + path_segment(run) + std::string(rest);
}

bool settled(const Json& run) {
  std::string state = run.value("state", "");
  return state != "running";
}

// The first lines of `text`, indented, at most `lines`.
std::string indented(const std::string& text, int lines) {
  std::string out;
  size_t at = 0;
  for (int n = 0; n < lines && at < text.size(); ++n) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    out += "        " + text.substr(at, end - at) + "\n";
    at = end + 1;
  }
  if (at < text.size()) out += "        …\n";
  return out;
}

void print_short(const Json& r) {
  std::string steps;
  for (const auto& s : r["steps"]) {
    steps += fmt::format("{}{}:{}", steps.empty() ? "" : " ", text(s, "id"), text(s, "state"));
  }
  std::printf("%-22s %-10s %-9s %-14s %s\n", text(r, "id").c_str(), text(r, "pipeline").c_str(),
              text(r, "state").c_str(), text(r, "task_id").c_str(), steps.c_str());
}

void print_or_json(const Json& r, bool json) {
  if (json) {
    std::printf("%s\n", r.dump(2).c_str());
  } else {
    print_run(r);
  }
}

}  // namespace

void print_run(const Json& r) {
  std::printf("%s  %s on %s  %s\n", text(r, "id").c_str(), text(r, "pipeline").c_str(),
              text(r, "task_id").c_str(), text(r, "state").c_str());
  if (r.contains("task")) std::printf("task:    %s\n", text(r["task"], "title").c_str());
  if (!r["reason"].is_null()) std::printf("why:     %s\n", text(r, "reason").c_str());
  std::printf("branch:  %s (from %s, %s mode)\n", text(r, "branch").c_str(),
              text(r, "base_branch").c_str(), text(r, "mode").c_str());
  if (!r["merged_commit"].is_null()) {
    std::printf("merged:  %s\n", text(r, "merged_commit").substr(0, 12).c_str());
  }
  std::printf("loops:   %s\n", text(r, "loops").c_str());
  if (r.contains("usage")) {
    const Json& u = r["usage"];
    std::printf("usage:   %s runs, %s in / %s out tokens, $%.2f\n", text(u, "runs").c_str(),
                text(u, "input_tokens").c_str(), text(u, "output_tokens").c_str(),
                u.value("cost_usd", 0.0));
  }
  for (const auto& s : r["steps"]) {
    std::printf("  %-10s %-10s %-9s attempts %s\n", text(s, "id").c_str(),
                text(s, "role", "").c_str(), text(s, "state").c_str(), text(s, "attempts").c_str());
    for (const auto& g : s["gates"]) {
      std::printf("      %-16s %s\n", text(g, "gate").c_str(), text(g, "result").c_str());
      std::printf("%s", indented(text(g, "evidence", ""), 3).c_str());
    }
    if (!s["evidence"].is_null() && s["state"] != "passed") {
      std::printf("      asked again because: %s\n", text(s, "evidence").c_str());
    }
  }
}

void setup_pipeline_run(CLI::App& app, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>();
  auto brief = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  auto wait = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  app.add_option("pipeline", *name, "the pipeline to run")->required();
  auto* t = app.add_option("--task", *task, "the task it works on");
  auto* b = app.add_option("--brief", *brief, "a new task: its title (first line) and description");
  t->excludes(b);
  app.add_option("--project", *project,
                 "the project it runs in (default: the task's, or the only one)");
  app.add_flag("--wait", *wait, "wait until it merges, fails or needs a person");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, name, task, brief, project, wait, json] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!task->empty()) body["task"] = *task;
      if (!brief->empty()) body["brief"] = *brief;
      if (!project->empty()) body["project"] = *project;
      auto r = client.post("/api/v1/pipelines/" + path_segment(*name) + "/runs", body);
      if (!r) return tl::unexpected(r.error());
      std::string id = text(*r, "id");
      if (!*wait) {
        if (*json) {
          std::printf("%s\n", r->dump(2).c_str());
        } else {
          std::printf("started %s: pipeline %s on %s (branch %s)\n", id.c_str(),
                      text(*r, "pipeline").c_str(), text(*r, "task_id").c_str(),
                      text(*r, "branch").c_str());
        }
        return {};
      }
      for (;;) {
        auto shown = client.get(run_path(id));
        if (!shown) return tl::unexpected(shown.error());
        if (settled(*shown)) {
          print_or_json(*shown, *json);
          return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    });
  });
}

void setup_pipeline_runs(CLI::App& app, CommandContext& ctx) {
  auto state = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("--state", *state, "running|waiting|review|merged|failed|cancelled");
  app.add_option("--task", *task, "runs on this task");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, state, task, json] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string query;
      if (!state->empty()) query += "&state=" + path_segment(*state);
      if (!task->empty()) query += "&task=" + path_segment(*task);
      if (!query.empty()) query[0] = '?';
      auto r = client.get("/api/v1/pipeline-runs" + query);
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      if ((*r)["runs"].empty()) std::printf("no pipeline runs\n");
      for (const auto& run : (*r)["runs"])
        print_short(run);
      return {};
    });
  });
}

namespace {

// A verb that posts {field: value} to /api/v1/pipeline-runs/RUN/<verb> and prints the run.
void setup_word(CLI::App& app, CommandContext& ctx, const char* verb, const char* field,
                const char* field_help, bool field_required) {
  auto run = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("run", *run, "the run (run_…)")->required();
  if (std::string(field) == "step") {
    app.add_option("step", *value, field_help);
  } else {
    auto* o = app.add_option(std::string("--") + field, *value, field_help);
    if (field_required) o->required();
  }
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, verb, field, run, value, json] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!value->empty()) body[field] = *value;
      auto r = client.post(run_path(*run, std::string("/") + verb), body);
      if (!r) return tl::unexpected(r.error());
      print_or_json(*r, *json);
      return {};
    });
  });
}

}  // namespace

void setup_pipeline_approve(CLI::App& app, CommandContext& ctx) {
  setup_word(app, ctx, "approve", "note", "a note for the record", false);
}
void setup_pipeline_reject(CLI::App& app, CommandContext& ctx) {
  setup_word(app, ctx, "reject", "reason", "why: the next attempt is told", true);
}
void setup_pipeline_retry(CLI::App& app, CommandContext& ctx) {
  setup_word(app, ctx, "retry", "step", "the step to run again (default: the one that stopped)",
             false);
}
void setup_pipeline_cancel(CLI::App& app, CommandContext& ctx) {
  setup_word(app, ctx, "cancel", "reason", "why", false);
}

namespace {

std::string joined(const Json& list, const std::function<std::string(const Json&)>& item) {
  std::vector<std::string> items;
  for (const auto& x : list)
    items.push_back(item(x));
  return items.empty() ? "-" : join(items, ", ");
}

void print_trace(const Json& t) {
  const Json& reqs = t["requirements"];
  if (reqs.empty()) {
    std::printf("no requirements (REQ-N) in the brief or in the files the run changed\n");
  }
  for (const auto& r : reqs) {
    std::vector<std::string> where;
    if (r.value("in_brief", false)) where.emplace_back("brief");
    for (const auto& f : r["files"])
      where.push_back(f.get<std::string>());
    std::printf("%s  %s\n", text(r, "id").c_str(), text(r, "status").c_str());
    std::printf("  in:      %s\n", where.empty() ? "-" : join(where, ", ").c_str());
    std::printf("  tests:   %s\n",
                joined(r["tests"], [](const Json& x) { return x.get<std::string>(); }).c_str());
    std::printf("  commits: %s\n", joined(r["commits"], [](const Json& c) {
                                     std::string step = text(c, "step", "");
                                     return text(c, "commit").substr(0, 10) +
                                            (step.empty() ? "" : " (" + step + ")");
                                   }).c_str());
    std::printf("  gates:   %s\n", joined(r["gates"], [](const Json& g) {
                                     return text(g, "step") + ":" + text(g, "gate") + " " +
                                            text(g, "result");
                                   }).c_str());
  }
  for (const auto& u : t["unknown"]) {
    std::printf("%s  named only by tests: %s\n", text(u, "id").c_str(),
                joined(u["tests"], [](const Json& x) { return x.get<std::string>(); }).c_str());
  }
}

}  // namespace

void setup_pipeline_trace(CLI::App& app, CommandContext& ctx) {
  auto run = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("run", *run, "the run (run_…)")->required();
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, run, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.get(run_path(*run, "/trace"));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
      } else {
        print_trace(*r);
      }
      return {};
    });
  });
}

}  // namespace bosun::cli
