// `bosun hold`: parses the holder's flags and runs it (started by the daemon, hidden from help).
#include "cli/hold.h"

#include <memory>

#include <CLI/CLI.hpp>

#include "term/holder.h"

namespace bosun::cli {
namespace {

// `app` is the `hold` subcommand the command table created.
void setup_hold(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd = &app;
  cmd->group("");  // internal: hidden from help
  // CLI11 writes the flags into storage that must outlive setup(); the callback shares it.
  auto opts = std::make_shared<term::HolderOptions>();
  auto linger_s = std::make_shared<int64_t>(opts->linger.count());
  cmd->add_option("--socket", opts->socket_path, "Unix socket to serve")->required();
  cmd->add_option("--cwd", opts->cwd, "The agent's working directory")->required();
  cmd->add_option("--cols", opts->cols, "Terminal columns")->check(CLI::Range(1, 10000));
  cmd->add_option("--rows", opts->rows, "Terminal rows")->check(CLI::Range(1, 10000));
  cmd->add_option("--ring", opts->ring_bytes, "Bytes of recent output to keep")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  cmd->add_option("--linger", *linger_s, "Seconds an exited agent waits to be collected")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ready-fd", opts->ready_fd, "Descriptor that gets the ready line");
  cmd->add_option("--log", opts->log_path, "The holder's own JSON-lines log file");
  cmd->add_option("--daemon-lock", opts->daemon_lock,
                  "Serve only the process holding this lock file (the daemon)");
  cmd->add_option("argv", opts->argv, "The agent's command, after --")->required();
  cmd->callback([opts, linger_s, &ctx] {
    opts->linger = std::chrono::seconds(*linger_s);
    ctx.exit_code = term::run_holder(*opts);
  });
}

}  // namespace

constinit const Command kHoldCommand{"hold", "Run one agent in a PTY holder (internal)",
                                     &setup_hold};

}  // namespace bosun::cli
