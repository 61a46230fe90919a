// The command table and the entry point that parses argv and runs one command.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/agent_commands.h"
#include "cli/command.h"
#include "cli/completion_commands.h"
#include "cli/daemon_commands.h"
#include "cli/demo_commands.h"
#include "cli/detect_commands.h"
#include "cli/headless_commands.h"
#include "cli/hold.h"
#include "cli/hook_commands.h"
#include "cli/init_commands.h"
#include "cli/mail_commands.h"
#include "cli/notify_commands.h"
#include "cli/observe_commands.h"
#include "cli/pipeline_commands.h"
#include "cli/project_commands.h"
#include "cli/report.h"
#include "cli/sandboxed.h"
#include "cli/sim_commands.h"
#include "cli/task_commands.h"
#include "cli/up_commands.h"
#include "util/text.h"

namespace bosun::cli {
namespace {

const Command kCommands[] = {
    kVersionCommand,    kServeCommand,    kStatusCommand,     kAgentCommand,  kMailCommand,
    kInitCommand,       kUpCommand,       kDownCommand,       kDemoCommand,   kSimAgentCommand,
    kTaskCommand,       kReportCommand,   kHoldCommand,       kDetectCommand, kProjectCommand,
    kWorktreeCommand,   kRoleCommand,     kDecisionCommand,   kHookCommand,   kRunCommand,
    kUsageCommand,      kPipelineCommand, kNotifyCommand,     kEventsCommand, kJournalCommand,
    kSupervisorCommand, kHostsCommand,    kCompletionCommand, kManCommand,    kSandboxedCommand,
};

// The subcommand names of `app`.
std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// After a parse error: the first word that names no command where one is required (`bosun
// agnet list`, `bosun agent lst`), said with the nearest commands, or a command that needs one
// and got none (`bosun`, `bosun agent`). Nothing when the error was about something else.
std::optional<Error> unknown_command(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* at = &app;
  std::string path = "bosun";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return std::nullopt;
    if (!word.empty() && word[0] == '-') {
      if (at == &app && word == "--state") ++i;  // its value
      continue;
    }
    std::vector<std::string> names = subcommand_names(*at);
    if (names.empty() || at->get_require_subcommand_min() == 0) return std::nullopt;
    if (std::find(names.begin(), names.end(), word) != names.end()) {
      at = at->get_subcommand(word);
      path += " " + word;
      continue;
    }
    auto near = nearest_words(word, names);
    std::string hint;
    if (!near.empty()) {
      near.resize(std::min<size_t>(near.size(), 3));
      hint = "; did you mean " + join(near, ", ") + "?";
    }
    return Error{ErrorKind::kInvalid, "unknown_command",
                 fmt::format("'{}' is not a {} command{}\nRun '{} --help' for the commands.", word,
                             path, hint, path)};
  }
  // The words ran out where a command is required (`bosun agent`).
  if (at->get_require_subcommand_min() == 0) return std::nullopt;
  return Error{ErrorKind::kInvalid, "command_required",
               fmt::format("{} needs a command: {}\nRun '{} --help' for what each does.", path,
                           join(subcommand_names(*at), ", "), path)};
}

// Whether the command line asks for JSON (before any `--`, after which words are a program's).
bool wants_json(const std::vector<std::string>& args) {
  for (const auto& word : args) {
    if (word == "--") return false;
    if (word == "--json") return true;
  }
  return false;
}

}  // namespace

std::span<const Command> command_table() {
  return kCommands;
}

int run(int argc, char** argv) {
  CLI::App app{"bosun — an orchestrator for crews of AI coding agents"};
  app.name("bosun");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("bosun ") + BOSUN_VERSION);
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
  std::vector<std::string> args(argv + 1, argv + argc);
  // `bosun help [COMMAND…]` is `bosun [COMMAND…] --help`.
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    args.emplace_back("--help");
  }
  set_json_errors(wants_json(args));
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them backwards
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto unknown = unknown_command(app, args)) return report_error(*unknown);
    if (json_errors()) return report_error(Error{ErrorKind::kInvalid, "usage", e.what()});
    app.exit(e);
    return kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace bosun::cli
