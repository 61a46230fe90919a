// Holder launch: double fork + execve so the holder outlives the daemon and is not its child.
#include "term/holder_launch.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "term/fork_child.h"

namespace bosun::term {
namespace {

// The fd number the holder finds its ready pipe on.
constexpr int kReadyFdInHolder = 3;

// Writes "error <what> errno <n>\n" without allocating (async-signal-safe).
void child_fail(int fd, const char* what, int err) {
  char line[96];
  size_t n = 0;
  auto put = [&](const char* s) {
    while (*s != '\0' && n < sizeof line - 1)
      line[n++] = *s++;
  };
  put("error ");
  put(what);
  put(" failed, errno ");
  char digits[12];
  size_t d = 0;
  unsigned v = err < 0 ? 0U : static_cast<unsigned>(err);
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && d < sizeof digits);
  while (d > 0 && n < sizeof line - 1)
    line[n++] = digits[--d];
  line[n++] = '\n';
  ssize_t rc;
  do {
    rc = ::write(fd, line, n);
  } while (rc < 0 && errno == EINTR);
}

bool is_absolute(const std::string& path) {
  return !path.empty() && path[0] == '/';
}

}  // namespace

std::vector<std::string> holder_command_line(const std::string& bosun_exe,
                                             const HolderOptions& options, int ready_fd) {
  std::vector<std::string> args{bosun_exe,    "hold",
                                "--socket",   options.socket_path,
                                "--cwd",      options.cwd,
                                "--cols",     std::to_string(options.cols),
                                "--rows",     std::to_string(options.rows),
                                "--ring",     std::to_string(options.ring_bytes),
                                "--linger",   std::to_string(options.linger.count()),
                                "--ready-fd", std::to_string(ready_fd)};
  if (!options.log_path.empty()) {
    args.emplace_back("--log");
    args.push_back(options.log_path);
  }
  if (!options.daemon_lock.empty()) {
    args.emplace_back("--daemon-lock");
    args.push_back(options.daemon_lock);
  }
  args.emplace_back("--");
  args.insert(args.end(), options.argv.begin(), options.argv.end());
  return args;
}

namespace {

// The intermediate child of launch_holder: a new session, then the holder forked from it with
// fd 0-2 on /dev/null and the ready pipe as fd 3. Async-signal-safe calls only; never returns.
[[noreturn]] void run_launcher_child(int ready_w, int dev_null, char* const* argv,
                                     char* const* envp) {
  // Intermediate child: async-signal-safe calls only.
  int w = ready_w;
  if (::setsid() < 0) {
    child_fail(w, "setsid", errno);
    ::_exit(1);
  }
  pid_t holder = ::fork();
  if (holder < 0) {
    child_fail(w, "fork", errno);
    ::_exit(1);
  }
  if (holder > 0) ::_exit(0);
  // The holder: fd 0-2 are /dev/null, fd 3 the ready pipe (without CLOEXEC), nothing else.
  // Both are first copied above 10 so the dup2s below cannot clobber each other.
  child_reset_signals();
  int pipe_hi = ::fcntl(w, F_DUPFD_CLOEXEC, 10);
  int null_hi = ::fcntl(dev_null, F_DUPFD_CLOEXEC, 10);
  if (pipe_hi < 0 || null_hi < 0) {
    child_fail(w, "dup", errno);
    ::_exit(1);
  }
  for (int fd = 0; fd <= 2; ++fd)
    ::dup2(null_hi, fd);
  ::dup2(pipe_hi, kReadyFdInHolder);  // dup2 clears CLOEXEC on the new descriptor
  w = kReadyFdInHolder;
  child_close_fds_from_3(w);
  if (::chdir("/") != 0) {
    child_fail(w, "chdir /", errno);
    ::_exit(1);
  }
  ::execve(argv[0], argv, envp);
  child_fail(w, "exec bosun", errno);
  ::_exit(127);
}

// Reaps the intermediate child; when it failed (no holder was forked), what it wrote to the
// ready pipe is why.
Status reap_launcher(pid_t middle, int ready_read) {
  int st = 0;
  bool reaped_here = true;
  while (::waitpid(middle, &st, 0) < 0) {
    if (errno == EINTR) continue;
    // ECHILD: a process-wide reaper (waitpid(-1)) got it first; the ready pipe still tells.
    if (errno == ECHILD) {
      reaped_here = false;
      break;
    }
    return internal("waitpid_failed", errno_message("waitpid", errno));
  }
  if (reaped_here && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
    // No holder was forked, so the pipe has no writer left: this read cannot block.
    std::string reason;
    char buf[256];
    ssize_t n;
    while ((n = ::read(ready_read, buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      reason.append(buf, static_cast<size_t>(n));
    }
    while (!reason.empty() && reason.back() == '\n')
      reason.pop_back();
    return internal("holder_launch_failed",
                    "cannot start the holder: " + (reason.empty() ? "launcher failed" : reason));
  }
  return {};
}

}  // namespace

Result<LaunchedHolder> launch_holder(const std::string& bosun_exe, const HolderOptions& options,
                                     const std::vector<std::string>& env) {
  if (!is_absolute(bosun_exe) || !is_absolute(options.socket_path) || !is_absolute(options.cwd)) {
    return bad_request("bad_holder_options",
                       "the bosun executable, socket path and cwd must be absolute paths");
  }
  if (options.argv.empty() || options.argv[0].empty()) {
    return bad_request("empty_argv", "no program to run");
  }

  // Everything the children need is built before fork: they must not allocate.
  std::vector<std::string> args = holder_command_line(bosun_exe, options, kReadyFdInHolder);
  std::vector<char*> cargs;
  cargs.reserve(args.size() + 1);
  for (auto& a : args)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  std::vector<char*> cenv;
  cenv.reserve(env_copy.size() + 1);
  for (auto& e : env_copy)
    cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return internal("pipe_failed", errno_message("pipe2", errno));
  }
  UniqueFd ready_read(pipe_fds[0]);
  UniqueFd ready_write(pipe_fds[1]);
  UniqueFd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null) return internal("open_failed", errno_message("open /dev/null", errno));

  pid_t middle = ::fork();
  if (middle < 0) return internal("fork_failed", errno_message("fork", errno));
  if (middle == 0) run_launcher_child(ready_write.get(), dev_null.get(), cargs.data(), cenv.data());
  ready_write.reset();
  TRY_OK(reap_launcher(middle, ready_read.get()));
  return LaunchedHolder{std::move(ready_read)};
}

}  // namespace bosun::term
