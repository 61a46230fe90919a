// Pty: forkpty + exec with a CLOEXEC pipe that reports a failed chdir or exec.
#include "term/pty.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "term/fork_child.h"

namespace bosun::term {
namespace {

// What the child reports on the exec-failure pipe: which step failed, then errno.
constexpr int kStepChdir = 1;
constexpr int kStepExec = 2;

}  // namespace

Result<Pty> Pty::spawn(const std::vector<std::string>& argv, const std::string& cwd, int cols,
                       int rows) {
  if (argv.empty() || argv[0].empty()) return bad_request("empty_argv", "no program to run");
  // Everything the child needs is prepared before fork: it must not allocate.
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& arg : argv)
    cargv.push_back(const_cast<char*>(arg.c_str()));
  cargv.push_back(nullptr);
  const char* dir = cwd.empty() ? nullptr : cwd.c_str();

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return internal("pipe_failed", errno_message("pipe2", errno));
  }
  UniqueFd report_read(pipe_fds[0]);
  UniqueFd report_write(pipe_fds[1]);

  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) return internal("forkpty_failed", errno_message("forkpty", errno));
  if (pid == 0) {
    // Child: stdin/stdout/stderr are the slave and it is a session leader. Async-signal-safe
    // calls only from here to exec.
    int report = report_write.get();
    child_reset_signals();
    child_close_fds_from_3(report);
    if (dir != nullptr && ::chdir(dir) != 0) {
      child_report(report, kStepChdir, errno);
      ::_exit(127);
    }
    ::execvp(cargv[0], cargv.data());
    child_report(report, kStepExec, errno);
    ::_exit(127);
  }

  Pty pty(UniqueFd(master), pid);
  report_write.reset();
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);

  // Exec closes the pipe (EOF, success); a failing child writes its step and errno first.
  int msg[2] = {0, 0};
  size_t got = 0;
  while (got < sizeof msg) {
    ssize_t n = ::read(report_read.get(), reinterpret_cast<char*>(msg) + got, sizeof msg - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == sizeof msg) {
    if (msg[0] == kStepChdir) {
      pty.exec_error_ = "cannot chdir to '" + cwd + "': " + std::strerror(msg[1]);
    } else {
      pty.exec_error_ = "cannot run '" + argv[0] + "': " + std::strerror(msg[1]);
    }
  }
  return pty;
}

Pty::Pty(Pty&& other) noexcept
    : master_(std::move(other.master_)),
      pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      exec_error_(std::move(other.exec_error_)) {}

Pty& Pty::operator=(Pty&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
    master_ = std::move(other.master_);
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = other.reaped_;
    exec_error_ = std::move(other.exec_error_);
  }
  return *this;
}

Pty::~Pty() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

Status Pty::set_size(int cols, int rows) {
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) {
    return internal("resize_failed", errno_message("TIOCSWINSZ", errno));
  }
  return {};
}

Result<pid_t> Pty::foreground_group() const {
  pid_t pgrp = ::tcgetpgrp(master_.get());
  if (pgrp <= 0) {
    return conflict("no_foreground_group", pgrp < 0 ? errno_message("tcgetpgrp", errno)
                                                    : "the PTY has no foreground group");
  }
  return pgrp;
}

}  // namespace bosun::term
