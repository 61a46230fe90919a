// Command: one row of the CLI's command table (like tmux's cmd_entry).
#pragma once

#include <optional>
#include <span>
#include <string>

namespace CLI {
class App;
}

namespace bosun::cli {

// What every command can read: the global options, and where it leaves its exit code.
struct CommandContext {
  std::optional<std::string> state;  // --state DIR
  int exit_code = 0;                 // an ExitCode (cli/report.h)
};

struct Command {
  const char* name;
  const char* summary;
  // Adds the command's options and subcommands to `app` and sets its callbacks.
  void (*setup)(CLI::App& app, CommandContext& ctx);
};

// The command table; each family file contributes its rows.
std::span<const Command> command_table();

// Parses argv, runs the chosen command and returns the process exit code.
int run(int argc, char** argv);

}  // namespace bosun::cli
