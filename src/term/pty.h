// Pty: the one owner of an agent process running on a new pseudo-terminal, and of its master.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace bosun::term {

class Pty {
 public:
  // Forks `argv` on a new PTY (cols x rows) in a new session whose controlling terminal is the
  // PTY, in `cwd` (inherited when empty), with this process's environment; argv[0] is looked up
  // in PATH. The master is non-blocking and CLOEXEC. If chdir or exec fails in the child, the
  // child exits 127 and the returned Pty has exec_error() set ("cannot run 'x': No such file or
  // directory"); it must still be reaped. Fails only when no child could be started.
  static Result<Pty> spawn(const std::vector<std::string>& argv, const std::string& cwd, int cols,
                           int rows);

  Pty(Pty&& other) noexcept;
  Pty& operator=(Pty&& other) noexcept;
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  // SIGKILLs the child if it was never reaped; whoever reaps children collects it.
  ~Pty();

  int master_fd() const { return master_.get(); }
  pid_t pid() const { return pid_; }
  const std::optional<std::string>& exec_error() const { return exec_error_; }

  // TIOCSWINSZ on the master; the kernel sends SIGWINCH to the foreground process group.
  Status set_size(int cols, int rows);
  // The PTY's foreground process group (tcgetpgrp on the master).
  Result<pid_t> foreground_group() const;

  // The reaper saw the child exit: its pid must no longer be signalled.
  void mark_reaped() { reaped_ = true; }
  bool reaped() const { return reaped_; }

 private:
  Pty(UniqueFd master, pid_t pid) : master_(std::move(master)), pid_(pid) {}

  UniqueFd master_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<std::string> exec_error_;
};

}  // namespace bosun::term
