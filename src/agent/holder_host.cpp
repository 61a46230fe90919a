// LocalHolderHost: launch_holder, the ready line, a unix-socket HolderClient.
#include "agent/holder_host.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "term/holder_launch.h"
#include "term/process_tree.h"
#include "util/files.h"
#include "util/process.h"

namespace bosun {

namespace asio = boost::asio;

Status LocalHolderHost::check_cwd(const std::string& cwd) const {
  std::error_code ec;
  if (!std::filesystem::path(cwd).is_absolute() || !std::filesystem::is_directory(cwd, ec)) {
    return bad_request("invalid_cwd", "cwd must be an existing absolute directory: " + cwd);
  }
  return {};
}

Status LocalHolderHost::check_program(const std::string& program, const std::string& cwd,
                                      const std::map<std::string, std::string>& env) const {
  if (program.empty()) return bad_request("invalid_argv", "the program (argv[0]) is empty");
  auto given = env.find("PATH");
  const char* inherited = std::getenv("PATH");
  std::string path = given != env.end() ? given->second : (inherited ? inherited : "");
  if (find_program(program, path, cwd)) return {};
  if (program.find('/') != std::string::npos) {
    return not_found("program_not_found",
                     fmt::format("cannot run '{}': no executable file there", program));
  }
  return not_found("program_not_found",
                   fmt::format("cannot run '{}': not found on PATH ({})", program, path));
}

Status LocalHolderHost::check_sandbox(const SandboxPolicy& policy) const {
  if (!policy.enabled()) return {};
  const char* path = std::getenv("PATH");
  if (!find_program("bwrap", path ? path : "", "/")) {
    return bad_request("sandbox_unavailable",
                       "sandbox bwrap needs bubblewrap, and bwrap is not on PATH (Debian: "
                       "apt-get install bubblewrap)");
  }
  return {};
}

std::string LocalHolderHost::socket_path(const std::string& agent_id, int64_t generation) const {
  return (state_.run() / fmt::format("{}-{}.sock", agent_id, generation)).string();
}

std::string LocalHolderHost::log_path(const std::string& agent_name, int64_t generation) const {
  return (state_.logs() / fmt::format("{}-{}.log", agent_name, generation)).string();
}

namespace {

// The variables by which CLIs decide they run in CI, not at a terminal: with `CI=true` inherited
// from the daemon, Gemini CLI runs headless (and exits, having no prompt) and Ink-drawn TUIs draw
// only their last frame. An agent in a holder is at a terminal; an agent's own env may set them.
bool says_ci(std::string_view key) {
  return key == "CI" || key == "CONTINUOUS_INTEGRATION" || key == "GITHUB_ACTIONS" ||
         key.starts_with("CI_");
}

}  // namespace

std::vector<std::string> LocalHolderHost::environment(const HolderSpec& spec) const {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (key.rfind("BOSUN_", 0) == 0 || says_ci(key)) continue;
    env[key] = kv.substr(eq + 1);
  }
  env["TERM"] = "xterm-256color";
  for (const auto& [k, v] : spec.env)
    env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) {
    std::string kv = k;
    kv += '=';
    kv += v;
    out.push_back(std::move(kv));
  }
  return out;
}

asio::awaitable<Result<HolderStarted>> LocalHolderHost::launch(const HolderSpec& spec,
                                                               const std::string& socket) {
  term::HolderOptions options;
  options.socket_path = socket;
  options.argv =
      spec.sandbox.enabled() ? bwrap_argv(spec.sandbox, spec.layout, spec.argv) : spec.argv;
  options.cwd = spec.cwd;
  options.cols = spec.cols;
  options.rows = spec.rows;
  options.daemon_lock = state_.lock_file().string();  // only this state's daemon drives it
  options.log_path =
      (state_.logs() / fmt::format("holder-{}-{}.log", spec.agent_name, spec.generation)).string();
  auto launched = term::launch_holder(bosun_exe_, options, environment(spec));
  if (!launched) {
    co_return internal("holder_unavailable", "cannot start a holder: " + launched.error().message);
  }
  asio::posix::stream_descriptor ready(io_, launched->ready_fd.release());
  std::string line;
  auto [rec, n] = co_await asio::async_read_until(ready, asio::dynamic_buffer(line), '\n',
                                                  asio::as_tuple(asio::use_awaitable));
  if (rec && line.empty()) line = "error the holder exited before it was ready";
  if (line.rfind("ready ", 0) != 0) {
    std::string message = line.substr(line.find(' ') + 1);
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    co_return internal("holder_failed", message);
  }
  long long pid = 0, holder_pid = 0;
  std::sscanf(line.c_str(), "ready %lld %lld", &pid, &holder_pid);
  co_return HolderStarted{pid, holder_pid};
}

std::shared_ptr<term::HolderClient> LocalHolderHost::client(const std::string& socket,
                                                            const std::string& agent_id) {
  return term::HolderClient::create(io_, socket, agent_id, log_);
}

int LocalHolderHost::reap(const std::string& agent_id, int64_t agent_pid, const std::string& socket,
                          int64_t holder_pid) {
  if (agent_pid <= 1) return 0;
  // A holder that still runs (only unreachable) keeps its agent: nothing is orphaned.
  if (holder_pid > 1) {
    if (auto cmdline = read_file("/proc/" + std::to_string(holder_pid) + "/cmdline");
        cmdline && cmdline->find(socket) != std::string::npos) {
      return 0;
    }
  }
  auto procs = term::scan_processes();
  // The holder made the agent a session leader: its session is the agent's tree. The root
  // (the holder) is gone, so only the session counts.
  auto members = term::tree_members(procs, static_cast<pid_t>(agent_pid), -1);
  std::vector<pid_t> ours;
  for (pid_t pid : members) {
    if (term::environ_has(pid, "BOSUN_AGENT_ID=" + agent_id)) ours.push_back(pid);
  }
  int killed = term::signal_all(ours, SIGKILL);
  if (killed > 0) {
    log_.warn("agent.orphans_killed",
              {{"agent", agent_id}, {"session", agent_pid}, {"killed", killed}});
  }
  return killed;
}

}  // namespace bosun
