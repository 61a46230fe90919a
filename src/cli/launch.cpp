// Launch: double fork so the daemon is nobody's child, then wait for it to answer.
#include "cli/launch.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <thread>

#include <fmt/format.h>

namespace bosun::cli {

std::string bosun_executable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("bosun");
}

namespace {

bool answers(const Endpoint& endpoint) {
  Client client(endpoint);
  auto reply = client.request("GET", "/healthz");
  return reply && reply->status == 200;
}

Result<Endpoint> running_daemon(const StateDir& state) {
  CommandContext ctx;
  ctx.state = state.root.string();
  auto endpoint = find_daemon(ctx);
  if (!endpoint) return endpoint;
  if (!answers(*endpoint))
    return fail(ErrorKind::kUnavailable, "no_daemon", "the daemon does not answer");
  return endpoint;
}

}  // namespace

Result<Endpoint> ensure_daemon(const StateDir& state, const std::string& listen, bool* started) {
  if (started) *started = false;
  if (auto running = running_daemon(state)) return running;
  if (auto st = create_state_dirs(state); !st) return tl::unexpected(st.error());
  std::string exe = bosun_executable();
  std::string out = (state.logs() / "serve.out").string();
  std::string root = state.root.string();
  pid_t pid = ::fork();
  if (pid < 0) return internal("fork_failed", "cannot start the daemon: fork failed");
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);  // the daemon is reparented to init, not left to us
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execl(exe.c_str(), exe.c_str(), "serve", "--state", root.c_str(), "--listen", listen.c_str(),
            "--quiet", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  // The daemon writes run/address once it answers; it may also refuse (state in use).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto running = running_daemon(state)) {
      if (started) *started = true;
      return running;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));  // bounded start-up wait
  }
  return fail(ErrorKind::kUnavailable, "daemon_start_failed",
              fmt::format("the daemon did not start within 15 s; see {}", out));
}

}  // namespace bosun::cli
