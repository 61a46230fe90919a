// `bosun sim-agent`: the scripted agent used by `bosun demo` and the tests.
#include "cli/sim_commands.h"

#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "sim/sim_agent.h"
#include "sim/sim_step.h"

namespace bosun::cli {

namespace {

void setup_sim_agent(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<sim::SimOptions>();
  auto misbehave = std::make_shared<std::string>("none");
  auto script = std::make_shared<std::string>();
  app.add_option("--name", opt->name, "name to go by (default: $BOSUN_AGENT)");
  app.add_option("--role-file", opt->role_file, "role file to read at start and on [RESET]");
  app.add_option("--work-ms", opt->work_ms, "how long each step of work takes")
      ->capture_default_str();
  app.add_option("--misbehave", *misbehave,
                 "none|ask|hang|loop|crash|no-proof|ignore|slow-paste, for every task")
      ->capture_default_str();
  app.add_option("--script", *script, "file of '<task number> <misbehaviour>' lines");
  app.add_option("--context-step", opt->context_step,
                 "percent of its context each finished task fills, shown as \"(N% context left)\"")
      ->check(CLI::Range(0, 100));
  auto headless = std::make_shared<bool>(false);
  auto prompt = std::make_shared<std::string>();
  app.add_flag(
      "--headless", *headless,
      "one pipeline step: play $BOSUN_ROLE on PROMPT, print stream-json (src/sim/sim_step.h)");
  app.add_option("prompt", *prompt, "the step's prompt (with --headless)");
  app.callback([&ctx, opt, misbehave, script, headless, prompt] {
    if (*headless) {
      ctx.exit_code = sim::run_sim_step(*prompt);
      return;
    }
    auto how = sim::parse_misbehaviour(*misbehave);
    if (!how) {
      ctx.exit_code = report_error(Error{ErrorKind::kInvalid, "invalid_misbehaviour",
                                         "--misbehave must be one of none|ask|hang|loop|crash|"
                                         "no-proof|ignore|slow-paste, not '" +
                                             *misbehave + "'"});
      return;
    }
    opt->misbehave = *how;
    if (!script->empty()) {
      if (auto err = sim::load_script(*script, *opt)) {
        ctx.exit_code = report_error(Error{ErrorKind::kInvalid, "invalid_script", *err});
        return;
      }
    }
    ctx.exit_code = sim::run_sim_agent(*opt);
  });
}

}  // namespace

const Command kSimAgentCommand{"sim-agent", "a scripted stand-in for an LLM coding agent",
                               setup_sim_agent};

}  // namespace bosun::cli
