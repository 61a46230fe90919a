// Process: run a program (an argv, never a shell string) to completion off the loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "util/unique_fd.h"

namespace bosun {

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is looked up on PATH
  std::string cwd;                         // empty: the caller's working directory
  std::map<std::string, std::string> env;  // set on top of the inherited environment
  std::vector<std::string> unset_env;      // removed from the inherited environment
  std::chrono::milliseconds timeout{60'000};
  // What the program reads on stdin (held in memory, so a program that never reads it cannot
  // stall the caller); unset: /dev/null.
  std::optional<std::string> input;
  size_t max_output =
      1 << 20;  // bytes kept of stdout and of stderr each; the rest is read and dropped
  // When set, stdout is handed over a line at a time (without its "\n"), as it comes, on the
  // thread that runs the process, instead of being kept in `out`. A line longer than
  // max_output is handed over in pieces.
  std::function<void(std::string_view line)> on_stdout_line;
  // When set: once this descriptor is readable (an eventfd written by whoever stops this one
  // job), the program's whole group is killed as when its runner shuts down (`cancelled`).
  int stop_fd = -1;
};

struct ProcessResult {
  bool started = false;
  std::string error;       // why it did not start ("cannot run git: No such file or directory")
  int exit_code = -1;      // when it exited normally
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // killed (with its whole process group) at the deadline
  bool cancelled = false;  // killed because the runner shut down
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return started && !timed_out && !cancelled && signal == 0 && exit_code == 0; }
  // "exit 0", "exit 3", "killed by signal 9", "timed out after 5000 ms", "not started: …".
  std::string summary() const;
};

// Runs `spec` on the calling thread and blocks until the process has ended and been reaped.
// The child gets its own process group, /dev/null as stdin, default signal dispositions and
// no inherited descriptors beyond 0-2. At the deadline, or when `cancel_fd` becomes readable,
// the whole group gets SIGKILL. When the program exits, whatever it left behind in its group
// is killed too, so nothing outlives the call.
ProcessResult run_process_blocking(const ProcessSpec& spec, int cancel_fd = -1);

// Where `program` (an argv[0]) runs from: itself when it has a '/' (relative to `cwd`), else the
// first directory of `path` (colon-separated; an empty entry is `cwd`) holding an executable
// regular file of that name. Nothing when there is none.
std::optional<std::string> find_program(const std::string& program, std::string_view path,
                                        const std::string& cwd);

// Runs processes on a small pool of worker threads and hands each result back to the loop.
// Why threads: waiting for a child (git, a test command) may take seconds, and the loop must
// never block (STYLE.md 9, 11). Each job owns its child; results are posted to the awaiting
// coroutine's executor.
class ProcessRunner {
 public:
  explicit ProcessRunner(boost::asio::io_context& io, size_t threads = 2);
  // Kills every running process group, then joins the workers.
  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  // Runs `spec` on a worker thread; resumes the caller on the loop with the result.
  boost::asio::awaitable<ProcessResult> run(ProcessSpec spec);

  // Runs `work` (a sequence of blocking steps, e.g. several git commands) on a worker thread
  // and resumes the caller on the loop with what it returns. `work` gets the runner's cancel
  // descriptor to pass to run_process_blocking.
  template <typename T>
  boost::asio::awaitable<T> call(std::function<T(int cancel_fd)> work) {
    auto initiate = [this](auto handler, std::function<T(int)> work) {
      auto guard = boost::asio::make_work_guard(io_);
      boost::asio::post(pool_, [this, work = std::move(work), handler = std::move(handler),
                                guard = std::move(guard)]() mutable {
        T result = work(cancel_.get());
        auto executor = boost::asio::get_associated_executor(handler, io_.get_executor());
        boost::asio::post(executor,
                          [handler = std::move(handler), result = std::move(result)]() mutable {
                            std::move(handler)(std::move(result));
                          });
      });
    };
    // Not a coroutine itself: `work` moves straight into the operation (g++ 12 mishandles
    // non-trivial coroutine parameters that arrive as temporaries).
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
        initiate, boost::asio::use_awaitable, std::move(work));
  }

 private:
  boost::asio::io_context& io_;
  boost::asio::thread_pool pool_;
  UniqueFd cancel_;  // an eventfd: readable once the runner shuts down
};

}  // namespace bosun
