// Holder: stopping and signalling the agent's whole process tree, leaving no orphans or zombies.
#include "term/holder.h"

#include "holder_test_support.h"

namespace bosun::term::testing {
namespace {

// Waits until each `argv` in `wanted` runs somewhere in the agent's tree; returns their pids.
std::vector<pid_t> await_processes(const RunningHolder& h,
                                   const std::vector<std::vector<std::string>>& wanted) {
  std::vector<pid_t> pids;
  bool found = eventually(
      [&] {
        pids.clear();
        for (const auto& argv : wanted) {
          auto some = tree_processes(h.agent_pid, h.holder_pid, argv);
          if (some.size() != 1) return false;
          pids.push_back(some[0]);
        }
        return true;
      },
      after(10s));
  EXPECT_TRUE(found);
  return found ? pids : std::vector<pid_t>{};
}

// After the stop: every pid is gone from /proc (exited AND reaped: no zombie left).
void expect_gone(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    EXPECT_TRUE(wait_exit(pid, after(5s))) << pid;
    EXPECT_TRUE(eventually([&] { return !exists(pid) || cmdline(pid).empty(); }, after(5s)))
        << "pid " << pid << " left as a zombie";
  }
}

TEST_F(HolderTest, StopKillsBackgroundJobs) {
  auto h = start({"bash", "-c", "sleep 1001 & sleep 1002 & wait"});
  auto pids = await_processes(h, {{"sleep", "1001"}, {"sleep", "1002"}});
  ASSERT_EQ(pids.size(), 2u);
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_stop(2000));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_TRUE(c.seen().exited->signal.has_value() || c.seen().exited->exit_code.has_value());
  expect_gone(pids);
  EXPECT_TRUE(tree_members(scan_processes(), h.agent_pid, h.holder_pid).empty());
}

TEST_F(HolderTest, StopKillsAGrandchildThatCalledSetsid) {
  auto h = start({"bash", "-c", "setsid sleep 1003 & wait"});
  auto pids = await_processes(h, {{"sleep", "1003"}});
  ASSERT_EQ(pids.size(), 1u);
  auto stat = read_file("/proc/" + std::to_string(pids[0]) + "/stat");
  ASSERT_TRUE(stat.has_value());
  ProcInfo info;
  ASSERT_TRUE(parse_proc_stat(*stat, info));
  EXPECT_NE(info.sid, h.agent_pid);  // it really left the agent's session
  TestClient c(h.socket);
  c.send(encode_stop(2000));
  ASSERT_TRUE(c.read_exited(after(10s)));
  expect_gone(pids);
}

TEST_F(HolderTest, StopEscalatesToSigkillAfterTheGracePeriod) {
  auto h = start({"bash", "-c", "trap '' HUP TERM; sleep 1004 & wait"});
  auto pids = await_processes(h, {{"sleep", "1004"}});
  ASSERT_EQ(pids.size(), 1u);
  TestClient c(h.socket);
  c.send(encode_attach(0));
  auto sent = Clock::now();
  c.send(encode_stop(300));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_GE(Clock::now() - sent, 300ms);
  EXPECT_EQ(c.seen().exited->signal, SIGKILL);
  expect_gone(pids);
}

TEST_F(HolderTest, OrphansLeftByAnExitedAgentAreStopped) {
  // bash starts a nohup'd sleep that survives the hangup and is re-parented to the holder, and
  // exits only once the orphan has written its pid: the orphan certainly existed.
  std::string pid_file = dir_ + "/orphan.pid";
  auto h = start({"bash", "-c",
                  "nohup sh -c 'echo $$ > \"$1\"; exec sleep 1005' sh \"$0\" >/dev/null 2>&1 & "
                  "while [ ! -s \"$0\" ]; do sleep 0.01; done; echo started",
                  pid_file});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_EQ(c.seen().exited->exit_code, 0);
  auto text = read_file(pid_file);
  ASSERT_TRUE(text) << "the orphan never started";
  pid_t orphan = static_cast<pid_t>(std::atoi(text->c_str()));
  ASSERT_GT(orphan, 0) << *text;
  EXPECT_TRUE(wait_exit(orphan, after(5s))) << "orphan " << orphan << " still runs";
  EXPECT_TRUE(eventually(
      [&] {
        return tree_processes(h.agent_pid, h.holder_pid, {"sleep", "1005"}).empty();
      },
      after(5s)));
}

TEST_F(HolderTest, SignalToTheTreeReachesEveryProcess) {
  auto h = start({"bash", "-c", "trap 'echo got-usr1' USR1; sleep 1006 & wait; wait"});
  auto pids = await_processes(h, {{"sleep", "1006"}});
  ASSERT_EQ(pids.size(), 1u);
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_signal(SIGUSR1, SignalTarget::kTree));  // kills sleep; bash traps it
  EXPECT_TRUE(c.read_output_containing("got-usr1", after(10s))) << c.seen().output;
  EXPECT_TRUE(wait_exit(pids[0], after(5s)));
  ASSERT_TRUE(c.read_exited(after(10s)));
}

TEST_F(HolderTest, SigtermToTheHolderStopsTheAgent) {
  auto h = start({"sleep", "1007"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_EQ(::kill(h.holder_pid, SIGTERM), 0);
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_TRUE(c.seen().exited->signal == SIGHUP || c.seen().exited->signal == SIGTERM);
  EXPECT_TRUE(wait_exit(h.agent_pid, after(5s)));
  // With no kCollect it exits after its short linger; collecting ends it now.
  c.send(encode_collect());
  EXPECT_TRUE(c.read_closed(after(5s)));
  EXPECT_TRUE(wait_exit(h.holder_pid, after(5s)));
}

}  // namespace
}  // namespace bosun::term::testing
