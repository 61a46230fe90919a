// Holder: reattaching, gaps, floods, and when the holder exits or stays.
#include "term/holder.h"

#include "holder_test_support.h"

namespace bosun::term::testing {
namespace {

TEST_F(HolderTest, ReattachContinuesExactlyWhereTheClientLeft) {
  auto h = start({"bash", "-c", "echo one; read -r x; echo two-$x; read -r y"});
  uint64_t left_at = 0;
  {
    TestClient a(h.socket);
    a.send(encode_attach(0));
    ASSERT_TRUE(a.read_output_containing("one\r\n", after(10s)));
    left_at = a.seen().next_offset;
  }
  // Output produced while nobody is attached.
  {
    TestClient b(h.socket);
    b.send(encode_input("zz\r"));
    ASSERT_TRUE(eventually(
        [&] {
          auto st = b.status(after(5s));
          return st && st->end_offset > left_at + 8;  // "zz\r\n" echo and "two-zz\r\n"
        },
        after(10s)));
  }
  TestClient c(h.socket);
  c.send(encode_attach(left_at));
  ASSERT_TRUE(c.read_output_containing("two-zz\r\n", after(10s))) << c.seen().output;
  EXPECT_EQ(c.seen().first_offset, left_at);
  EXPECT_TRUE(c.seen().gaps.empty());
  EXPECT_FALSE(c.seen().discontinuous);
  // Exactly the continuation: the same bytes a full replay has at those offsets.
  TestClient full(h.socket);
  full.send(encode_attach(0));
  ASSERT_TRUE(full.read_until([&](const Seen& s) { return s.next_offset >= c.seen().next_offset; },
                              after(10s)));
  EXPECT_EQ(full.seen().output.substr(left_at, c.seen().output.size()), c.seen().output);
  EXPECT_EQ(full.seen().output.substr(0, 5), "one\r\n");
}

TEST_F(HolderTest, AttachBelowTheRingStartReportsAGap) {
  auto o =
      options({"bash", "-c", "head -c 20000 /dev/zero | tr '\\0' x; echo; echo done; read -r y"});
  o.ring_bytes = 4096;
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  TestClient c(h.socket);
  std::optional<HolderStatus> st;
  ASSERT_TRUE(eventually(
      [&] {
        st = c.status(after(5s));
        return st && st->end_offset >= 20000 + 2 + 6;
      },
      after(10s)));
  ASSERT_EQ(st->end_offset - st->start_offset, 4096u);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_output_containing("done\r\n", after(10s)));
  ASSERT_EQ(c.seen().gaps.size(), 1u);
  EXPECT_EQ(c.seen().gaps[0].from, 0u);
  EXPECT_EQ(c.seen().gaps[0].to, st->start_offset);
  EXPECT_EQ(c.seen().first_offset, st->start_offset);
  EXPECT_FALSE(c.seen().discontinuous);
  EXPECT_EQ(c.seen().output.size(), c.seen().next_offset - st->start_offset);
}

TEST_F(HolderTest, ExitsAfterCollectOnceTheAgentExited) {
  auto h = start({"bash", "-c", "echo bye"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_EQ(c.seen().exited->exit_code, 0);
  EXPECT_TRUE(alive(h.holder_pid));  // it waits for the daemon to collect
  c.send(encode_collect());
  EXPECT_TRUE(c.read_closed(after(5s)));
  EXPECT_TRUE(wait_exit(h.holder_pid, after(5s)));
  EXPECT_FALSE(std::filesystem::exists(h.socket));
}

TEST_F(HolderTest, CollectBeforeExitTakesEffectWhenTheAgentExits) {
  auto h = start({"bash", "-c", "read -r x; echo got-$x"});
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_collect());
  c.send(encode_input("it\r"));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_NE(c.seen().output.find("got-it"), std::string::npos);
  EXPECT_TRUE(c.read_closed(after(5s)));
  EXPECT_TRUE(wait_exit(h.holder_pid, after(5s)));
}

TEST_F(HolderTest, StaysAliveWhenTheClientDisconnects) {
  auto h = start({"sleep", "100"});
  {
    TestClient c(h.socket);
    c.send(encode_attach(0));
    c.send(encode_collect());  // collect alone does not end a running agent
    ASSERT_TRUE(c.status(after(5s)).has_value());
  }
  TestClient again(h.socket);
  auto st = again.status(after(5s));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, RunState::kRunning);
  EXPECT_TRUE(alive(h.agent_pid));
  EXPECT_TRUE(alive(h.holder_pid));
}

TEST_F(HolderTest, ExitsAfterLingerWithoutCollect) {
  auto o = options({"true"});
  o.linger = std::chrono::seconds(1);
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  EXPECT_TRUE(wait_exit(h.holder_pid, after(10s)));
  EXPECT_FALSE(std::filesystem::exists(h.socket));
}

TEST_F(HolderTest, LateClientGetsTheOutputBeforeExited) {
  auto h = start({"bash", "-c", "echo late; exit 5"});
  EXPECT_TRUE(wait_exit(h.agent_pid, after(10s)));
  {
    TestClient probe(h.socket);
    ASSERT_TRUE(eventually(
        [&] {
          auto st = probe.status(after(5s));
          return st && st->state == RunState::kExited;
        },
        after(10s)));
    EXPECT_EQ(probe.seen().status->exit_code, 5);
  }
  // Connected after the exit: kExited comes only once it has caught up with the output.
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_exited(after(10s)));
  EXPECT_EQ(c.seen().output, "late\r\n");
  EXPECT_EQ(c.seen().exited->exit_code, 5);
}

TEST_F(HolderTest, FloodWithoutClientNeverBlocksTheAgent) {
  auto o = options({"head", "-c", "5M", "/dev/urandom"});
  o.ring_bytes = size_t{1} << 20;
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  ASSERT_TRUE(wait_exit(h.agent_pid, after(60s)));  // nobody reads, yet it finishes
  TestClient c(h.socket);
  c.send(encode_status_request());  // a client that has spoken is sent kExited
  ASSERT_TRUE(c.read_exited(after(10s)));
  const auto& ex = *c.seen().exited;
  EXPECT_EQ(ex.exit_code, 0);
  EXPECT_GE(ex.end_offset, uint64_t{5} << 20);  // the tty turns \n into \r\n: maybe more
  EXPECT_EQ(ex.end_offset - ex.start_offset, size_t{1} << 20);
  TestClient r(h.socket);
  r.send(encode_attach(ex.start_offset));
  ASSERT_TRUE(r.read_exited(after(20s))) << r.seen().output.size();
  EXPECT_EQ(r.seen().output.size(), size_t{1} << 20);
  EXPECT_EQ(r.seen().next_offset, ex.end_offset);
  EXPECT_TRUE(r.seen().gaps.empty());
}

// While a client (the daemon) is attached, a producer faster than the client waits for it:
// the ring is never overwritten under it, so nothing is lost however slowly it reads.
TEST_F(HolderTest, AnAttachedSlowClientThrottlesTheProducerAndLosesNothing) {
  auto o =
      options({"bash", "-c", "read -r x; head -c 3000000 /dev/zero | tr '\\0' y; echo; echo end"});
  o.ring_bytes = 64 * 1024;
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  TestClient c(h.socket);
  c.send(encode_attach(0));
  c.send(encode_input("go\r"));
  // While the client reads nothing, the producer is held: unthrottled it would be done in
  // ~50 ms; for 400 ms it stays running with its output bounded by the ring and the buffers.
  TestClient probe(h.socket);
  auto until = std::chrono::steady_clock::now() + 400ms;
  while (std::chrono::steady_clock::now() < until) {
    auto st = probe.status(after(5s));
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, RunState::kRunning);
    EXPECT_LT(st->end_offset, 3'000'000u);
  }
  ASSERT_TRUE(c.read_output_containing("end\r\n", after(60s)));
  EXPECT_TRUE(c.seen().gaps.empty());
  EXPECT_GE(c.seen().output.size(), 3'000'000u);
  EXPECT_EQ(c.seen().output.size(), c.seen().next_offset);
}

// With no client attached (the daemon is gone) the agent is never held up: the ring keeps the
// newest output, and the next client is told exactly what was lost.
TEST_F(HolderTest, OutputWithNoClientAttachedKeepsTheNewestAndReportsTheGap) {
  auto o =
      options({"bash", "-c", "read -r x; head -c 3000000 /dev/zero | tr '\\0' y; echo; echo end"});
  o.ring_bytes = 64 * 1024;
  auto h = launch(o);
  ASSERT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
  {
    TestClient starter(h.socket);
    starter.send(encode_input("go\r"));  // input only: it never attaches, then goes away
    ASSERT_TRUE(starter.status(after(5s)));
  }
  TestClient probe(h.socket);
  ASSERT_TRUE(eventually(
      [&] {
        auto st = probe.status(after(5s));
        return st && st->state == RunState::kExited;
      },
      after(30s)));
  TestClient c(h.socket);
  c.send(encode_attach(0));
  ASSERT_TRUE(c.read_output_containing("end\r\n", after(30s)));
  EXPECT_FALSE(c.seen().gaps.empty());
  uint64_t covered = c.seen().output.size();
  for (const auto& g : c.seen().gaps)
    covered += g.to - g.from;
  EXPECT_EQ(covered, c.seen().next_offset);  // output + gaps account for every byte
}

}  // namespace
}  // namespace bosun::term::testing
