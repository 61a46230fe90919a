// Holder: the real `bosun hold` moving bytes, sizes and signals between a client and a PTY.
#include "term/holder.h"

#include "holder_test_support.h"

namespace bosun::term::testing {
namespace {

const std::vector<std::string> kShell = {"bash", "--norc", "--noprofile", "-i"};

TEST_F(HolderTest, EchoRoundTripThroughInputAndOutput) {
  auto h = start(kShell);
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_input("echo hello-$((6*7))\r"));
  EXPECT_TRUE(c.read_output_containing("hello-42", after(10s))) << c.seen().output;
  EXPECT_EQ(c.seen().first_offset, 0u);
  EXPECT_FALSE(c.seen().discontinuous);
  EXPECT_TRUE(c.seen().errors.empty());
}

TEST_F(HolderTest, ReadyLineNamesTheAgentAndTheHolder) {
  auto h = start({"sleep", "100"});
  EXPECT_TRUE(alive(h.agent_pid));
  EXPECT_TRUE(alive(h.holder_pid));
  EXPECT_NE(h.agent_pid, h.holder_pid);
  EXPECT_EQ(cmdline(h.agent_pid), (std::vector<std::string>{"sleep", "100"}));
  // The holder is not our child: it was double-forked into its own session.
  EXPECT_NE(::getppid(), h.holder_pid);
  auto holder_cmd = cmdline(h.holder_pid);
  ASSERT_GE(holder_cmd.size(), 2u);
  EXPECT_EQ(holder_cmd[1], "hold");
  TestClient c(h.socket);
  auto st = c.status(after(5s));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, h.agent_pid);
  EXPECT_EQ(st->holder_pid, h.holder_pid);
  EXPECT_EQ(st->state, RunState::kRunning);
  EXPECT_EQ(st->argv, (std::vector<std::string>{"sleep", "100"}));
  EXPECT_EQ(st->cwd, dir_);
  EXPECT_EQ(st->cols, 80);
  EXPECT_EQ(st->rows, 24);
  EXPECT_GT(st->started_at_ms, 0);
  EXPECT_FALSE(st->exit_code.has_value());
}

TEST_F(HolderTest, SocketIsPrivate) {
  auto h = start({"sleep", "100"});
  struct stat st {};
  ASSERT_EQ(::stat(h.socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(HolderTest, AgentRunsInItsCwdWithTheGivenEnvironment) {
  auto h = start({"bash", "-c", "echo \"cwd=$(pwd) term=$TERM\"; read -r x"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  EXPECT_TRUE(c.read_output_containing("cwd=" + dir_ + " term=xterm-256color", after(10s)))
      << c.seen().output;
}

TEST_F(HolderTest, ResizeIsSeenByStty) {
  auto h = start({"bash", "-c", "read -r x; stty size"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_resize(100, 30));
  c.send(encode_input("go\r"));
  EXPECT_TRUE(c.read_output_containing("30 100", after(10s))) << c.seen().output;
  auto st = c.status(after(5s));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->cols, 100);
  EXPECT_EQ(st->rows, 30);
}

TEST_F(HolderTest, BadResizeIsRefused) {
  auto h = start({"sleep", "100"});
  TestClient c(h.socket);
  c.send(encode_resize(0, 24));
  c.send(encode_resize(80, 10001));
  EXPECT_TRUE(c.read_until([](const Seen& s) { return s.errors.size() == 2; }, after(5s)));
  auto st = c.status(after(5s));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->cols, 80);
}

TEST_F(HolderTest, CtrlCSignalStopsTheForegroundJobButNotTheShell) {
  auto h = start(kShell);
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_input("sleep 100\r"));
  // Wait until sleep runs as the terminal's foreground job (tpgid == its pgrp).
  pid_t sleeper = 0;
  ASSERT_TRUE(eventually(
      [&] {
        for (pid_t pid : tree_processes(h.agent_pid, h.holder_pid, {"sleep", "100"})) {
          auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
          if (!stat) continue;
          // Field 8 (tpgid) follows "state ppid pgrp session tty_nr".
          std::istringstream rest(stat->substr(stat->rfind(')') + 1));
          char state;
          long ppid, pgrp, session, tty, tpgid;
          if (rest >> state >> ppid >> pgrp >> session >> tty >> tpgid && tpgid == pgrp) {
            sleeper = pid;
            return true;
          }
        }
        return false;
      },
      after(10s)));
  c.send(encode_signal(SIGINT, SignalTarget::kForeground));
  EXPECT_TRUE(wait_exit(sleeper, after(5s)));
  c.send(encode_input("echo alive-$((1+1))\r"));
  EXPECT_TRUE(c.read_output_containing("alive-2", after(10s))) << c.seen().output;
  EXPECT_TRUE(alive(h.agent_pid));
  EXPECT_TRUE(c.seen().errors.empty());
}

TEST_F(HolderTest, ExitCodeIsReported) {
  auto h = start({"bash", "-c", "echo bye; exit 3"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(10s)));
  const auto& ex = *c.seen().exited;
  EXPECT_EQ(ex.state, RunState::kExited);
  EXPECT_EQ(ex.exit_code, 3);
  EXPECT_FALSE(ex.signal.has_value());
  EXPECT_FALSE(ex.error.has_value());
  EXPECT_TRUE(ex.ended_at_ms.has_value());
  EXPECT_EQ(ex.end_offset, c.seen().next_offset);  // kExited follows all the output
  EXPECT_NE(c.seen().output.find("bye"), std::string::npos);
}

TEST_F(HolderTest, MissingProgramExitsQuicklyWith127AndAnError) {
  auto started = Clock::now();
  auto h = start({"nosuchprog-bosun-test", "arg"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(5s)));
  EXPECT_LT(Clock::now() - started, 5s);
  const auto& ex = *c.seen().exited;
  EXPECT_EQ(ex.exit_code, 127);
  EXPECT_EQ(ex.error, "cannot run 'nosuchprog-bosun-test': No such file or directory");
}

TEST_F(HolderTest, MissingCwdIsReportedLikeAMissingProgram) {
  auto o = options({"true"});
  o.cwd = dir_ + "/nope";
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(5s)));
  EXPECT_EQ(c.seen().exited->exit_code, 127);
  EXPECT_EQ(c.seen().exited->error,
            "cannot chdir to '" + dir_ + "/nope': No such file or directory");
}

TEST_F(HolderTest, SecondHolderOnALiveSocketIsRefused) {
  auto first = start({"sleep", "100"});
  auto o = options({"sleep", "100"});
  o.socket_path = first.socket;
  auto second = launch(o);
  EXPECT_EQ(second.ready_line.rfind("error ", 0), 0u) << second.ready_line;
  EXPECT_NE(second.ready_line.find("live holder"), std::string::npos) << second.ready_line;
  TestClient c(first.socket);  // the first is unharmed
  auto st = c.status(after(5s));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, RunState::kRunning);
}

TEST_F(HolderTest, StaleSocketFileIsReplaced) {
  auto o = options({"sleep", "100"});
  {
    auto stale = listen_unix(o.socket_path);  // bound, then closed: nobody accepts any more
    ASSERT_TRUE(stale.has_value());
  }
  ASSERT_TRUE(std::filesystem::exists(o.socket_path));
  auto h = launch(o);
  EXPECT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
}

TEST_F(HolderTest, ProtocolMistakesGetErrorFrames) {
  auto h = start({"sleep", "100"});
  TestClient c(h.socket);
  c.send(encode_frame(static_cast<FrameType>(99), "future"));
  c.send(encode_output(0, "not for you"));
  c.send(encode_frame(FrameType::kAttach, "short"));
  c.send(encode_signal(0, SignalTarget::kTree));
  EXPECT_TRUE(c.read_until([](const Seen& s) { return s.errors.size() == 4; }, after(5s)))
      << c.seen().errors.size();
  // Garbage that cannot be framed closes the connection after an error.
  c.send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(c.read_closed(after(5s)));
  EXPECT_EQ(c.seen().errors.size(), 5u);
  TestClient again(h.socket);  // the holder is fine
  EXPECT_TRUE(again.status(after(5s)).has_value());
}

TEST_F(HolderTest, LaunchRejectsRelativePaths) {
  auto o = options({"true"});
  o.cwd = "relative";
  auto launched = launch_holder(BOSUN_BINARY, o, env());
  ASSERT_FALSE(launched.has_value());
  EXPECT_EQ(launched.error().code, "bad_holder_options");
}

TEST_F(HolderTest, LaunchReportsAnUnrunnableBosun) {
  auto launched = launch_holder("/nonexistent/bosun", options({"true"}), env());
  ASSERT_TRUE(launched.has_value());
  auto line = read_line(launched->ready_fd.get(), after(5s));
  EXPECT_EQ(line.rfind("error exec bosun failed", 0), 0u) << line;
}

}  // namespace
}  // namespace bosun::term::testing
