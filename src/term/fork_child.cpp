// Fork child: only async-signal-safe system calls live here.
#include "term/fork_child.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace bosun::term {

void child_reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for the libc-reserved signals
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

namespace {

// Closes [first, last] with close_range, or one by one where the kernel lacks it.
void close_span(unsigned first, unsigned last) {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  unsigned stop = last < 65536 ? last : 65535;
  for (unsigned fd = first; fd <= stop; ++fd)
    ::close(static_cast<int>(fd));
}

}  // namespace

void child_close_fds_from_3(int keep) {
  if (keep < 3) {
    close_span(3, ~0U);
    return;
  }
  close_span(3, static_cast<unsigned>(keep) - 1);
  close_span(static_cast<unsigned>(keep) + 1, ~0U);
}

void child_report(int fd, int a, int b) {
  int msg[2] = {a, b};
  ssize_t n;
  do {
    n = ::write(fd, msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
}

}  // namespace bosun::term
