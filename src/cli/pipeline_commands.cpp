// Pipelines from the command line: list and show through the daemon; check reads a file here,
// with no daemon, against the roles of the project it belongs to; runs (pipeline_run_commands).
#include "cli/pipeline_commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/role.h"
#include "cli/family.h"
#include "cli/pipeline_run_commands.h"
#include "pipeline/pipeline.h"

namespace bosun::cli {

namespace {

namespace fs = std::filesystem;

std::string project_query(const std::string& project) {
  return project.empty() ? "" : "?project=" + path_segment(project);
}

std::string list_text(const Json& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + (i.is_string() ? i.get<std::string>() : i.dump());
  return out;
}

void setup_list(CLI::App& app, CommandContext& ctx) {
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("--project", *project, "the project whose pipelines to list");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, project, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.get("/api/v1/pipelines" + project_query(*project));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      for (const auto& p : (*r)["pipelines"]) {
        if (!p["error"].is_null()) {
          std::printf("%-12s BROKEN  %s\n", text(p, "name").c_str(), text(p, "error").c_str());
          continue;
        }
        std::string source = p.value("builtin", false) ? "built in" : "project";
        if (p.value("overrides", false)) source = "project, over the built-in";
        std::string missing = p["missing_roles"].empty()
                                  ? ""
                                  : "  (no role file for: " + list_text(p["missing_roles"]) + ")";
        std::printf("%-12s %-60s [%s]%s\n", text(p, "name").c_str(),
                    text(p, "description", "").c_str(), source.c_str(), missing.c_str());
      }
      return {};
    });
  });
}

void print_pipeline(const Json& p) {
  std::printf("%s — %s\n", text(p, "name").c_str(), text(p, "description", "").c_str());
  std::printf("file:    %s\n", text(p, "file").c_str());
  const Json& l = p["limits"];
  std::string limits = fmt::format("max_loops {}", l.value("max_loops", 0));
  if (!l["timeout"].is_null()) limits += ", timeout " + text(l, "timeout");
  if (!l["budget_tokens"].is_null()) limits += ", budget " + l["budget_tokens"].dump() + " tokens";
  if (!l["budget_usd"].is_null()) limits += fmt::format(", budget ${}", l["budget_usd"].dump());
  std::printf("limits:  %s\n", limits.c_str());
  for (const auto& s : p["steps"]) {
    std::string gates;
    for (const auto& g : s["gates"]) {
      std::string on_fail = g["on_fail"].is_string() ? text(g, "on_fail")
                                                     : "back to " + text(g["on_fail"], "back_to");
      gates += (gates.empty() ? "" : ", ") + text(g, "gate") +
               (on_fail == "retry" ? "" : " (" + on_fail + ")");
    }
    std::printf("  %-10s %-10s %-8s%s  gates: %s\n", text(s, "id").c_str(), text(s, "role").c_str(),
                text(s, "mode").c_str(),
                s["needs"].empty() ? "" : (" after " + list_text(s["needs"])).c_str(),
                gates.empty() ? "none" : gates.c_str());
  }
}

void setup_show(CLI::App& app, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("pipeline", *name, "pipeline name, or a run (run_…)")->required();
  app.add_option("--project", *project, "the project whose pipeline it is");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, name, project, json] {
    with_client(ctx, [&](Client& client) -> Status {
      if (name->starts_with("run_")) {
        auto r = client.get("/api/v1/pipeline-runs/" + path_segment(*name));
        if (!r) return tl::unexpected(r.error());
        if (*json) {
          std::printf("%s\n", r->dump(2).c_str());
        } else {
          print_run(*r);
        }
        return {};
      }
      auto r = client.get("/api/v1/pipelines/" + path_segment(*name) + project_query(*project));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      print_pipeline(*r);
      if (!(*r)["missing_roles"].empty()) {
        std::printf("no role file for: %s\n", list_text((*r)["missing_roles"]).c_str());
      }
      return {};
    });
  });
}

// The project a pipeline file belongs to: the folder holding the `.bosun` it sits in, else the
// current directory.
fs::path project_of(const fs::path& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec).lexically_normal();
  for (fs::path dir = abs.parent_path(); !dir.empty() && dir != dir.parent_path();
       dir = dir.parent_path()) {
    if (dir.filename() == ".bosun") return dir.parent_path();
  }
  return fs::current_path(ec);
}

void setup_check(CLI::App& app, CommandContext& ctx) {
  auto file = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("file", *file, "a pipeline file (.yaml)")->required();
  app.add_option("--project", *project,
                 "the project whose roles its steps must have (default: the one it is in)");
  app.add_flag("--json", *json, "print the checked pipeline as JSON");
  app.callback([&ctx, file, project, json] {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      ctx.exit_code =
          report_error(Error{ErrorKind::kNotFound, "pipeline_not_found", "cannot read " + *file});
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto p = parse_pipeline(text.str(), *file);
    if (!p) {
      ctx.exit_code = report_error(p.error());
      return;
    }
    fs::path root = project->empty() ? project_of(*file) : fs::path(*project);
    std::vector<std::string> roles;
    for (const auto& e : list_roles(root)) {
      if (e.role) roles.push_back(e.name);
    }
    if (auto st = check_roles(*p, roles); !st) {
      ctx.exit_code = report_error(st.error());
      return;
    }
    if (*json) {
      print_json(to_json(*p));
      return;
    }
    std::string order;
    for (const auto& s : p->steps)
      order += (order.empty() ? "" : " → ") + s.id;
    std::printf("%s: pipeline %s, %zu step%s: %s\n", file->c_str(), p->name.c_str(),
                p->steps.size(), p->steps.size() == 1 ? "" : "s", order.c_str());
  });
}

const Verb kPipelineVerbs[] = {
    {"list", "pipelines a project can run (built in, and .bosun/pipelines)", setup_list},
    {"show", "one pipeline (its steps, gates, limits) or one run (run_…: steps, gates, evidence)",
     setup_show},
    {"check", "read and check a pipeline file, here, against its project's roles", setup_check},
    {"run", "run a pipeline on a task (--task) or a new one (--brief)", setup_pipeline_run},
    {"runs", "pipeline runs, newest first", setup_pipeline_runs},
    {"approve", "approve a run's step waiting for a person, or its merge", setup_pipeline_approve},
    {"reject", "reject a run's waiting step or its result, with a reason", setup_pipeline_reject},
    {"retry", "run a waiting or failed run's step again", setup_pipeline_retry},
    {"cancel", "cancel a run; its task goes back to the board", setup_pipeline_cancel},
    {"trace", "a run's requirements (REQ-N) with their tests, commits and gates",
     setup_pipeline_trace},
};

}  // namespace

const Command kPipelineCommand{
    "pipeline", "pipelines: list, show and check files; run them and answer their runs",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kPipelineVerbs); }};

}  // namespace bosun::cli
