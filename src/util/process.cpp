// Process: posix_spawn in a new process group, bounded capture, deadline, SIGKILL of the group.
#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <tl/expected.hpp>

namespace bosun {

namespace asio = boost::asio;

namespace {

using SteadyClock = std::chrono::steady_clock;

// How often a running child is checked for having exited while its pipes stay open.
constexpr std::chrono::milliseconds kExitPoll{20};

// One captured stream: the read end of a pipe and what was kept of it.
struct Capture {
  UniqueFd fd;
  std::string* text;
  bool* truncated;
  size_t limit;
  const std::function<void(std::string_view)>* on_line = nullptr;
  std::string partial;  // on_line: the start of a line whose end has not come yet
  bool open() const { return fd.valid(); }
  // Reads what is available now; closes on EOF or error.
  void drain() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        if (on_line && *on_line) {
          lines(std::string_view(buf, static_cast<size_t>(n)));
          continue;
        }
        size_t keep = std::min(static_cast<size_t>(n), limit - std::min(limit, text->size()));
        text->append(buf, keep);
        if (keep < static_cast<size_t>(n)) *truncated = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      fd.reset();  // EOF, or an error that ends the stream
      if (on_line && *on_line && !partial.empty()) (*on_line)(partial);
      partial.clear();
      return;
    }
  }
  void lines(std::string_view bytes) {
    size_t nl = 0;
    while ((nl = bytes.find('\n')) != std::string_view::npos) {
      partial.append(bytes.substr(0, nl));
      (*on_line)(partial);
      partial.clear();
      bytes.remove_prefix(nl + 1);
    }
    partial.append(bytes);
    if (partial.size() > limit) {
      (*on_line)(partial);
      partial.clear();
      *truncated = true;
    }
  }
};

// The environment for the child: ours, minus `unset_env`, with `env` on top.
std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(kv.substr(0, eq));
    if (spec.env.count(key)) continue;
    if (std::find(spec.unset_env.begin(), spec.unset_env.end(), key) != spec.unset_env.end()) {
      continue;
    }
    out.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env) {
    std::string kv = k;
    kv += '=';
    kv += v;
    out.push_back(std::move(kv));
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Whether the child has exited, without reaping it (its pid and group id stay reserved).
bool has_exited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid == pid;
}

void reap(pid_t pid, ProcessResult& result) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
}

// `text` in an anonymous in-memory file, read from its start: the child's stdin.
tl::expected<UniqueFd, std::string> input_file(const std::string& text) {
  UniqueFd fd(::memfd_create("bosun-stdin", MFD_CLOEXEC));
  if (!fd) return tl::unexpected(fmt::format("memfd_create: {}", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return tl::unexpected(fmt::format("write stdin: {}", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return tl::unexpected(fmt::format("lseek stdin: {}", std::strerror(errno)));
  }
  return fd;
}

}  // namespace

std::optional<std::string> find_program(const std::string& program, std::string_view path,
                                        const std::string& cwd) {
  auto runnable = [](const std::string& file) {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(file.c_str(), X_OK) == 0;
  };
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    std::string file = program[0] == '/' ? program : cwd + "/" + program;
    if (runnable(file)) return file;
    return std::nullopt;
  }
  for (;;) {
    size_t colon = path.find(':');
    std::string dir(path.substr(0, colon));
    std::string candidate = (dir.empty() ? cwd : dir) + "/" + program;
    if (runnable(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    path.remove_prefix(colon + 1);
  }
}

namespace {

// Spawns the child; returns its pid or fills `result.error`.
pid_t spawn(const ProcessSpec& spec, int in_r, int out_w, int err_w, ProcessResult& result) {
  std::vector<std::string> args = spec.argv;
  // posix_spawnp searches our PATH; a PATH given for the child is the one to search.
  if (auto path = spec.env.find("PATH");
      path != spec.env.end() && args[0].find('/') == std::string::npos) {
    if (auto found = find_program(args[0], path->second, ".")) args[0] = *found;
  }
  std::vector<std::string> env = child_environment(spec);
  auto cargs = c_strings(args);
  auto cenv = c_strings(env);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  if (in_r >= 0) {
    ::posix_spawn_file_actions_adddup2(&actions, in_r, 0);
  } else {
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  ::posix_spawn_file_actions_adddup2(&actions, out_w, 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_w, 2);
  if (!spec.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t all;
  sigfillset(&all);
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, cargs[0], &actions, &attr, cargs.data(), cenv.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.error = fmt::format("cannot run {}{}: {}", spec.argv[0],
                               spec.cwd.empty() ? "" : " in " + spec.cwd, std::strerror(rc));
    return -1;
  }
  return pid;
}

}  // namespace

std::string ProcessResult::summary() const {
  if (!started) return "not started: " + error;
  if (cancelled) return "cancelled";
  if (timed_out) return fmt::format("timed out after {} ms", elapsed.count());
  if (signal != 0) return fmt::format("killed by signal {}", signal);
  return fmt::format("exit {}", exit_code);
}

namespace {

// Why `spec` cannot be run now (no program, a NUL in an argument, the runner shutting down);
// empty when it can. Sets `cancelled` for the last.
std::string refuse_to_run(const ProcessSpec& spec, int cancel_fd, ProcessResult& result) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return "no program to run";
  }
  for (const auto& a : spec.argv) {
    if (a.find('\0') != std::string::npos) {
      return "an argument contains a NUL byte";
    }
  }
  for (int fd : {cancel_fd, spec.stop_fd}) {
    pollfd p{fd, POLLIN, 0};
    if (fd >= 0 && ::poll(&p, 1, 0) > 0) {
      result.cancelled = true;
      return fd == cancel_fd ? "the process runner is shutting down" : "it was cancelled";
    }
  }
  return {};
}

// Drains stdout and stderr into the result until the program exits, the deadline passes, or the
// runner or this one job is cancelled.
void capture_until_exit(pid_t pid, Capture (&streams)[2], int cancel_fd,
                        SteadyClock::time_point started, const ProcessSpec& spec,
                        ProcessResult& result) {
  auto deadline = started + spec.timeout;
  bool exited = false;
  while (!exited) {
    auto now = SteadyClock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    pollfd fds[4];  // stdout, stderr, the runner's cancel, this job's stop
    nfds_t n = 0;
    for (auto& s : streams) {
      if (s.open()) fds[n++] = pollfd{s.fd.get(), POLLIN, 0};
    }
    if (cancel_fd >= 0) fds[n++] = pollfd{cancel_fd, POLLIN, 0};
    if (spec.stop_fd >= 0) fds[n++] = pollfd{spec.stop_fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    // Short slices: a child may exit while something it started still holds the pipes.
    int wait_ms = static_cast<int>(std::min(left, kExitPoll).count());
    int ready = ::poll(fds, n, std::max(wait_ms, 1));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == cancel_fd || fds[i].fd == spec.stop_fd) {
        result.cancelled = true;
        continue;
      }
      for (auto& s : streams) {
        if (s.open() && s.fd.get() == fds[i].fd) s.drain();
      }
    }
    if (result.cancelled) break;
    exited = has_exited(pid);
  }
}

}  // namespace

ProcessResult run_process_blocking(const ProcessSpec& spec, int cancel_fd) {
  ProcessResult result;
  auto started = SteadyClock::now();
  if (std::string why = refuse_to_run(spec, cancel_fd, result); !why.empty()) {
    result.error = why;
    return result;
  }
  int out_fds[2];
  int err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    result.error = fmt::format("pipe: {}", std::strerror(errno));
    return result;
  }
  UniqueFd out_r(out_fds[0]), out_w(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    result.error = fmt::format("pipe: {}", std::strerror(errno));
    return result;
  }
  UniqueFd err_r(err_fds[0]), err_w(err_fds[1]);
  UniqueFd in_r;
  if (spec.input) {
    auto in = input_file(*spec.input);
    if (!in) {
      result.error = in.error();
      return result;
    }
    in_r = std::move(*in);
  }
  pid_t pid = spawn(spec, in_r.get(), out_w.get(), err_w.get(), result);
  out_w.reset();
  err_w.reset();
  if (pid < 0) return result;
  result.started = true;
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
  Capture streams[2] = {{std::move(out_r), &result.out, &result.out_truncated, spec.max_output},
                        {std::move(err_r), &result.err, &result.err_truncated, spec.max_output}};
  streams[0].on_line = &spec.on_stdout_line;

  capture_until_exit(pid, streams, cancel_fd, started, spec, result);
  // Everything left in the group goes (after a normal exit: what the program left behind).
  // The leader is not reaped yet, so its process group id cannot have been reused.
  ::kill(-pid, SIGKILL);
  for (auto& s : streams) {
    if (s.open()) s.drain();
  }
  reap(pid, result);
  result.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
  return result;
}

ProcessRunner::ProcessRunner(asio::io_context& io, size_t threads)
    : io_(io), pool_(threads), cancel_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ProcessRunner::~ProcessRunner() {
  if (cancel_) {
    uint64_t one = 1;
    ssize_t n = ::write(cancel_.get(), &one, sizeof one);
    (void)n;
  }
  // Queued jobs still run, see the cancel descriptor and return at once; their results are
  // posted to the loop, which no longer runs them.
  pool_.join();
}

asio::awaitable<ProcessResult> ProcessRunner::run(ProcessSpec spec) {
  auto initiate = [this](auto handler, ProcessSpec spec) {
    auto work = asio::make_work_guard(io_);
    asio::post(pool_, [this, spec = std::move(spec), handler = std::move(handler),
                       work = std::move(work)]() mutable {
      ProcessResult result = run_process_blocking(spec, cancel_.get());
      auto executor = asio::get_associated_executor(handler, io_.get_executor());
      asio::post(executor, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(ProcessResult)>(
      initiate, asio::use_awaitable, std::move(spec));
}

}  // namespace bosun
