// Process: argv runs with cwd and env, bounded capture, deadline kills the group, loop resumes.
#include "util/process.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "util/ids.h"
#include "util/unique_fd.h"

namespace bosun {
namespace {

using namespace std::chrono_literals;

ProcessSpec spec_of(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = 20s;
  return spec;
}

TEST(Process, CapturesStdoutStderrAndExitCode) {
  auto r = run_process_blocking(spec_of({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.summary(), "exit 3");
  auto ok = run_process_blocking(spec_of({"true"}));
  EXPECT_TRUE(ok.ok());
}

TEST(Process, ArgumentsAreNeverInterpretedByAShell) {
  auto r = run_process_blocking(spec_of({"echo", "$HOME; rm -rf /nothing", "a b"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, "$HOME; rm -rf /nothing a b\n");
}

TEST(Process, ReadsItsInputOnStdinAndNothingWithoutOne) {
  std::string big(256 * 1024, 'x');  // more than a pipe holds: the caller never waits on it
  auto spec = spec_of({"wc", "-c"});
  spec.input = big;
  auto r = run_process_blocking(spec);
  ASSERT_TRUE(r.ok()) << r.summary() << r.err;
  EXPECT_EQ(r.out, "262144\n");
  // A program that never reads its input still ends.
  auto ignored = spec_of({"true"});
  ignored.input = big;
  EXPECT_TRUE(run_process_blocking(ignored).ok());
  auto none = run_process_blocking(spec_of({"wc", "-c"}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.out, "0\n");
}

TEST(Process, RunsInCwdWithExtraAndRemovedEnvironment) {
  auto dir = std::filesystem::temp_directory_path() / new_id("bosun-proc-");
  std::filesystem::create_directories(dir);
  ::setenv("BOSUN_PROCESS_TEST_DROP", "present", 1);
  auto spec = spec_of({"sh", "-c", "pwd; echo \"$EXTRA\"; echo \"[${BOSUN_PROCESS_TEST_DROP}]\""});
  spec.cwd = dir.string();
  spec.env = {{"EXTRA", "given"}};
  spec.unset_env = {"BOSUN_PROCESS_TEST_DROP"};
  auto r = run_process_blocking(spec);
  ::unsetenv("BOSUN_PROCESS_TEST_DROP");
  ASSERT_TRUE(r.ok()) << r.summary() << r.err;
  EXPECT_EQ(r.out, std::filesystem::canonical(dir).string() + "\ngiven\n[]\n");
  std::filesystem::remove_all(dir);
}

TEST(Process, AProgramIsLookedUpOnTheChildsPath) {
  auto dir = std::filesystem::temp_directory_path() / ("bosun-path-" + random_hex(6));
  std::filesystem::create_directories(dir);
  auto program = dir / "bosun-only-here";
  {
    std::FILE* f = std::fopen(program.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("#!/bin/sh\necho found me\n", f);
    std::fclose(f);
  }
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  auto spec = spec_of({"bosun-only-here"});
  EXPECT_FALSE(run_process_blocking(spec).started);  // not on our PATH
  spec.env["PATH"] = "/nonexistent:" + dir.string() + ":/usr/bin:/bin";
  auto r = run_process_blocking(spec);
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.out, "found me\n");
  std::filesystem::remove_all(dir);
}

TEST(Process, StdoutLinesArriveOneAtATime) {
  std::vector<std::string> lines;
  auto spec = spec_of({"sh", "-c", "printf 'one\\ntwo\\n'; sleep 0.05; printf 'three'"});
  spec.on_stdout_line = [&lines](std::string_view line) { lines.emplace_back(line); };
  auto r = run_process_blocking(spec);
  ASSERT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(r.out, "");
}

TEST(Process, MissingProgramOrDirectoryIsNotStarted) {
  auto r = run_process_blocking(spec_of({"bosun-no-such-program-xyz"}));
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("bosun-no-such-program-xyz"), std::string::npos) << r.error;
  EXPECT_EQ(r.summary().rfind("not started", 0), 0u);
  auto spec = spec_of({"true"});
  spec.cwd = "/nonexistent/dir/for/bosun";
  auto c = run_process_blocking(spec);
  EXPECT_FALSE(c.started);
  EXPECT_NE(c.error.find("/nonexistent/dir/for/bosun"), std::string::npos) << c.error;
  EXPECT_FALSE(run_process_blocking(spec_of({})).started);
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  // The shell starts a background sleep that would outlive it; both must die at the deadline.
  auto spec = spec_of({"sh", "-c", "sleep 1000 & echo $!; sleep 1000"});
  spec.timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto r = run_process_blocking(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  ASSERT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(r.ok());
  pid_t background = static_cast<pid_t>(std::stol(r.out));
  // Killed and (being our grandchild, adopted by init or a subreaper) gone or a zombie soon.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    std::string stat_path = "/proc/" + std::to_string(background) + "/stat";
    FILE* f = std::fopen(stat_path.c_str(), "r");
    if (!f) {
      gone = true;
      break;
    }
    char buf[512] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::string stat(buf, n);
    auto paren = stat.rfind(')');
    gone = paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
    if (!gone) std::this_thread::sleep_for(10ms);  // the kernel delivers SIGKILL asynchronously
  }
  EXPECT_TRUE(gone) << "background sleep " << background << " survived";
}

TEST(Process, AStopDescriptorKillsThatOneJob) {
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  ASSERT_TRUE(stop);
  auto spec = spec_of({"sh", "-c", "echo up; sleep 1000"});
  spec.stop_fd = stop.get();
  // Stopped once it is running: its first line says so.
  spec.on_stdout_line = [&](std::string_view line) {
    if (line != "up") return;
    uint64_t one = 1;
    EXPECT_EQ(::write(stop.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  };
  auto started = std::chrono::steady_clock::now();
  auto r = run_process_blocking(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.ok());
  // Once stopped, the same descriptor refuses to start another.
  auto again = run_process_blocking(spec);
  EXPECT_FALSE(again.started);
  EXPECT_TRUE(again.cancelled);
}

TEST(Process, LeftoversDoNotHoldTheCallAfterTheProgramExits) {
  // The program exits at once but leaves a child holding stdout open.
  auto spec = spec_of({"sh", "-c", "sleep 1000 & echo done"});
  auto started = std::chrono::steady_clock::now();
  auto r = run_process_blocking(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.out, "done\n");
}

TEST(Process, OutputIsBoundedButDrained) {
  auto spec = spec_of({"sh", "-c", "head -c 300000 /dev/zero; echo tail >&2"});
  spec.max_output = 1000;
  auto r = run_process_blocking(spec);
  ASSERT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_TRUE(r.out_truncated);
  EXPECT_EQ(r.err, "tail\n");
  EXPECT_FALSE(r.err_truncated);
}

TEST(ProcessRunner, ResultResumesTheCoroutineOnTheLoopThread) {
  boost::asio::io_context io;
  ProcessRunner runner(io, 2);
  std::thread::id loop_thread = std::this_thread::get_id();
  std::vector<std::string> outs;
  bool resumed_on_loop = true;
  for (int i = 0; i < 3; ++i) {
    // Built outside the coroutine: g++ 12 cannot keep an initializer_list in a coroutine frame.
    ProcessSpec spec = spec_of({"sh", "-c", "echo job-" + std::to_string(i)});
    boost::asio::co_spawn(
        io,
        [&, spec]() -> boost::asio::awaitable<void> {
          auto r = co_await runner.run(spec);
          resumed_on_loop = resumed_on_loop && std::this_thread::get_id() == loop_thread;
          outs.push_back(r.out);
        },
        boost::asio::detached);
  }
  io.run();  // returns once every job has come back: each holds the loop's work until then
  EXPECT_TRUE(resumed_on_loop);
  ASSERT_EQ(outs.size(), 3u);
  std::sort(outs.begin(), outs.end());
  EXPECT_EQ(outs[0], "job-0\n");
  EXPECT_EQ(outs[2], "job-2\n");
}

// The process the runner still runs when it goes is killed: its pid (written by the process
// itself) is gone afterwards, not only the runner's destructor quick.
TEST(ProcessRunner, ShutdownKillsWhatStillRuns) {
  auto pid_file = std::filesystem::temp_directory_path() / new_id("bosun-runner-pid-");
  auto started = std::chrono::steady_clock::now();
  {
    boost::asio::io_context io;
    ProcessRunner runner(io, 1);
    auto spec = spec_of({"sh", "-c", "echo $$ > \"$1\"; exec sleep 1000", "sh", pid_file.string()});
    spec.timeout = 60s;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { co_await runner.run(spec); },
        boost::asio::detached);
    // Until the job has started on the worker and written its pid (at most 5 s).
    auto written = [&] {
      std::error_code ec;
      return std::filesystem::file_size(pid_file, ec) > 0 && !ec;
    };
    for (int i = 0; i < 500 && !written(); ++i)
      io.run_for(10ms);
  }  // ~ProcessRunner cancels it; then ~io_context drops the coroutine
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  std::filesystem::remove(pid_file);
  ASSERT_GT(pid, 0) << "the job never started";
  // Gone, or at most a zombie nobody waits for any more.
  std::string stat;
  std::ifstream proc("/proc/" + std::to_string(pid) + "/stat");
  std::getline(proc, stat);
  bool gone = ::kill(pid, 0) != 0 || stat.find(") Z ") != std::string::npos;
  EXPECT_TRUE(gone) << "pid " << pid << " still runs: " << stat;
}

}  // namespace
}  // namespace bosun
