// The command table and the entry point that parses argv and runs one command.
#include <CLI/CLI.hpp>

#include "cli/agent_commands.h"
#include "cli/command.h"
#include "cli/daemon_commands.h"
#include "cli/demo_commands.h"
#include "cli/detect_commands.h"
#include "cli/headless_commands.h"
#include "cli/hold.h"
#include "cli/hook_commands.h"
#include "cli/mail_commands.h"
#include "cli/pipeline_commands.h"
#include "cli/project_commands.h"
#include "cli/sim_commands.h"
#include "cli/task_commands.h"
#include "cli/up_commands.h"

namespace bosun::cli {
namespace {

const Command kCommands[] = {
    kVersionCommand,  kServeCommand,    kStatusCommand, kAgentCommand,    kMailCommand,
    kUpCommand,       kDownCommand,     kDemoCommand,   kSimAgentCommand, kTaskCommand,
    kReportCommand,   kHoldCommand,     kDetectCommand, kProjectCommand,  kWorktreeCommand,
    kRoleCommand,     kDecisionCommand, kHookCommand,   kRunCommand,      kUsageCommand,
    kPipelineCommand,
};

}  // namespace

std::span<const Command> command_table() {
  return kCommands;
}

int run(int argc, char** argv) {
  CLI::App app{"bosun — an orchestrator for crews of AI coding agents"};
  app.name("bosun");
  app.require_subcommand(1);
  app.fallthrough();
  CommandContext ctx;
  app.add_option_function<std::string>(
         "--state", [&ctx](const std::string& dir) { ctx.state = dir; },
         "state directory (default: $BOSUN_STATE or ./.bosun)")
      ->type_name("DIR");
  for (const auto& command : command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    command.setup(*sub, ctx);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace bosun::cli
