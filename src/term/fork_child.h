// Fork child: the async-signal-safe steps a forked child takes before exec.
#pragma once

namespace bosun::term {

// Every signal back to its default disposition and an empty signal mask, so the exec'd
// program does not inherit the parent's ignored or blocked signals.
void child_reset_signals();

// Closes every descriptor >= 3 except `keep` (-1 keeps none).
void child_close_fds_from_3(int keep);

// Writes `a` and `b` as two native ints to `fd` (the exec-failure pipe), ignoring errors.
void child_report(int fd, int a, int b);

}  // namespace bosun::term
