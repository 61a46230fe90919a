// `bosun sandboxed --relay-port P --relay-socket S -- argv…`: inside a sandbox whose network
// namespace has only loopback, serves 127.0.0.1:P (BOSUN_URL's port) from the daemon's relay
// socket S, and runs the agent's program as its child; exits as the program did.
#include "cli/sandboxed.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "term/relay.h"

namespace bosun::cli {
namespace {

struct SandboxedOptions {
  int port = 0;
  std::string socket;
  std::vector<std::string> argv;
};

// The program's exit, passed on: the same code, or the same signal.
[[noreturn]] void exit_as(int status) {
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::raise(WTERMSIG(status));
  }
  std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int run_sandboxed(const SandboxedOptions& opts) {
  boost::asio::io_context io(1);
  // Listening before the program starts: its first request finds the port served.
  if (auto st = term::start_tcp_to_unix_relay(io, opts.port, opts.socket); !st) {
    std::fprintf(stderr, "bosun sandboxed: %s\n", st.error().message.c_str());
    return 126;
  }
  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "bosun sandboxed: fork: %s\n", std::strerror(errno));
    return 126;
  }
  if (child == 0) {
    std::vector<char*> argv;
    for (const auto& a : opts.argv)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "bosun sandboxed: cannot run %s: %s\n", argv[0], std::strerror(errno));
    std::_Exit(127);
  }
  // The terminal's keys are the program's: Ctrl-C interrupts it, not the relay.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  ::signal(SIGTSTP, SIG_IGN);
  std::thread relay([&io] { io.run(); });
  relay.detach();  // ends with the process
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  exit_as(status);
}

void setup_sandboxed(CLI::App& app, CommandContext& ctx) {
  app.group("");  // internal: hidden from help
  auto opts = std::make_shared<SandboxedOptions>();
  app.add_option("--relay-port", opts->port, "The port to serve inside")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--relay-socket", opts->socket, "The daemon's relay socket")->required();
  app.add_option("argv", opts->argv, "The agent's command, after --")->required();
  app.callback([opts, &ctx] { ctx.exit_code = run_sandboxed(*opts); });
}

}  // namespace

constinit const Command kSandboxedCommand{
    "sandboxed", "Run an agent's program in a sandbox without a network (internal)",
    &setup_sandboxed};

}  // namespace bosun::cli
