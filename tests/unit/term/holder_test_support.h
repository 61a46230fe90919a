// Holder test support: launches the real `bosun hold`, and a small blocking protocol client.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "term/holder_launch.h"
#include "term/holder_protocol.h"
#include "term/process_tree.h"
#include "term/unix_socket.h"
#include "util/files.h"
#include "util/unique_fd.h"

#ifndef BOSUN_BINARY
#error "BOSUN_BINARY must name the bosun executable"
#endif

namespace bosun::term::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline after(std::chrono::milliseconds d) {
  return Clock::now() + d;
}

inline int ms_left(Deadline deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 0));
}

// Polls `cond` every 10 ms until it holds or the deadline passes. For conditions with no fd to
// wait on (a process appearing in /proc); everything with an fd is awaited with poll().
inline bool eventually(const std::function<bool()>& cond, Deadline deadline) {
  for (;;) {
    if (cond()) return true;
    if (Clock::now() >= deadline) return false;
    ::poll(nullptr, 0, std::min(10, ms_left(deadline)));
  }
}

// A process is alive if it exists and is not a zombie.
inline bool alive(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  ProcInfo info;
  return parse_proc_stat(*stat, info) && info.state != 'Z' && info.state != 'X';
}

inline bool exists(pid_t pid) {
  return std::filesystem::exists("/proc/" + std::to_string(pid));
}

// Waits until `pid` has exited (pidfd: works for processes that are not our children).
inline bool wait_exit(pid_t pid, Deadline deadline) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) return errno == ESRCH || !alive(pid);
  pollfd pfd{fd.get(), POLLIN, 0};
  return ::poll(&pfd, 1, ms_left(deadline)) == 1 || !alive(pid);
}

inline std::vector<std::string> cmdline(pid_t pid) {
  std::vector<std::string> out;
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return out;
  std::string cur;
  for (char ch : *text) {
    if (ch == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return out;
}

// Live processes of the holder's agent tree whose command line is exactly `argv`.
inline std::vector<pid_t> tree_processes(pid_t agent_pid, pid_t holder_pid,
                                         const std::vector<std::string>& argv) {
  std::vector<pid_t> out;
  for (pid_t pid : tree_members(scan_processes(), agent_pid, holder_pid)) {
    if (cmdline(pid) == argv) out.push_back(pid);
  }
  return out;
}

// What a client has seen on its connection.
struct Seen {
  std::optional<uint64_t> first_offset;  // offset of the first output byte received
  uint64_t next_offset = 0;              // where the next output byte should start
  std::string output;                    // every output byte, in order
  bool discontinuous = false;            // an output frame did not start at next_offset
  std::vector<GapRange> gaps;
  std::vector<std::string> errors;
  std::optional<HolderStatus> status;  // the last kStatusReply
  std::optional<HolderStatus> exited;  // kExited
  bool closed = false;                 // the holder closed the connection
};

// A blocking client of a holder's socket; every read is bounded by a deadline.
class TestClient {
 public:
  explicit TestClient(const std::string& socket_path, bool must_connect = true) {
    auto fd = connect_unix(socket_path);
    if (must_connect) {
      EXPECT_TRUE(fd.has_value()) << (fd ? "" : fd.error().message);
    }
    if (fd) fd_ = std::move(*fd);
  }

  bool connected() const { return fd_.valid(); }

  void send(const std::string& frame) { ASSERT_TRUE(try_send(frame)) << std::strerror(errno); }

  // False if the holder has closed the connection.
  bool try_send(const std::string& frame) {
    size_t done = 0;
    while (done < frame.size()) {
      ssize_t n = ::send(fd_.get(), frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads and records frames until `done()` holds, the connection closes, or the deadline.
  bool read_until(const std::function<bool(const Seen&)>& done, Deadline deadline) {
    while (!done(seen_)) {
      if (seen_.closed) return false;
      pollfd pfd{fd_.get(), POLLIN, 0};
      int rc = ::poll(&pfd, 1, ms_left(deadline));
      if (rc == 0) return done(seen_);
      if (rc < 0 && errno == EINTR) continue;
      char buf[65536];
      ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        seen_.closed = true;
        continue;
      }
      decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (auto frame = decoder_.next())
        record(*frame);
      EXPECT_FALSE(decoder_.failed()) << decoder_.error();
    }
    return true;
  }

  bool read_output_containing(const std::string& needle, Deadline deadline) {
    return read_until([&](const Seen& s) { return s.output.find(needle) != std::string::npos; },
                      deadline);
  }

  bool read_exited(Deadline deadline) {
    return read_until([](const Seen& s) { return s.exited.has_value(); }, deadline);
  }

  // Sends kStatus and returns the reply.
  std::optional<HolderStatus> status(Deadline deadline) {
    seen_.status.reset();
    send(encode_status_request());
    if (!read_until([](const Seen& s) { return s.status.has_value(); }, deadline)) return {};
    return seen_.status;
  }

  bool read_closed(Deadline deadline) {
    return read_until([](const Seen& s) { return s.closed; }, deadline);
  }

  const Seen& seen() const { return seen_; }
  Seen& seen() { return seen_; }
  void close() { fd_.reset(); }

 private:
  void record(const Frame& frame) {
    switch (frame.type) {
      case FrameType::kOutput: {
        auto chunk = parse_output(frame.payload);
        ASSERT_TRUE(chunk.has_value());
        if (!seen_.first_offset) {
          seen_.first_offset = chunk->offset;
        } else if (chunk->offset != seen_.next_offset) {
          seen_.discontinuous = true;
        }
        seen_.output.append(chunk->bytes);
        seen_.next_offset = chunk->offset + chunk->bytes.size();
        return;
      }
      case FrameType::kGap: {
        auto gap = parse_gap(frame.payload);
        ASSERT_TRUE(gap.has_value());
        seen_.gaps.push_back(*gap);
        return;
      }
      case FrameType::kStatusReply:
      case FrameType::kExited: {
        auto status = parse_status(frame.payload);
        ASSERT_TRUE(status.has_value()) << frame.payload;
        (frame.type == FrameType::kExited ? seen_.exited : seen_.status) = *status;
        return;
      }
      case FrameType::kError:
        seen_.errors.push_back(frame.payload);
        return;
      case FrameType::kAttach:
      case FrameType::kInput:
      case FrameType::kResize:
      case FrameType::kSignal:
      case FrameType::kStatus:
      case FrameType::kStop:
      case FrameType::kCollect:
        ADD_FAILURE() << "client frame from the holder: " << frame_type_name(frame.type);
        return;
    }
    ADD_FAILURE() << "unknown frame type " << static_cast<int>(frame.type);
  }

  UniqueFd fd_;
  FrameDecoder decoder_;
  Seen seen_;
};

struct RunningHolder {
  std::string socket;
  pid_t agent_pid = 0;
  pid_t holder_pid = 0;
  std::string ready_line;
};

// Starts holders in a private temporary directory and makes sure none outlives the test.
class HolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-term-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }

  void TearDown() override {
    for (const auto& h : holders_) {
      if (!alive(h.holder_pid)) continue;
      {
        TestClient c(h.socket, /*must_connect=*/false);  // it may be exiting right now
        if (c.connected()) {
          // A holder that was already collected may exit as soon as the stop takes effect.
          if (c.try_send(encode_stop(0) + encode_collect())) c.read_closed(after(5s));
        }
      }
      if (!wait_exit(h.holder_pid, after(5s))) {
        ADD_FAILURE() << "holder " << h.holder_pid << " did not exit; killing it";
        ::kill(h.holder_pid, SIGKILL);
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  HolderOptions options(std::vector<std::string> argv) {
    HolderOptions o;
    o.socket_path = dir_ + "/h" + std::to_string(holders_.size()) + ".sock";
    o.argv = std::move(argv);
    o.cwd = dir_;
    o.linger = std::chrono::seconds(60);
    return o;
  }

  std::vector<std::string> env() const {
    const char* path = ::getenv("PATH");
    std::vector<std::string> out = {
        std::string("PATH=") + (path != nullptr ? path : "/usr/bin:/bin"), "HOME=" + dir_,
        "TERM=xterm-256color", "LANG=C.UTF-8", "PS1=$ "};
    // So a sanitizer build can send the holder's reports somewhere (its stderr is /dev/null).
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* value = ::getenv(name)) out.push_back(std::string(name) + "=" + value);
    }
    return out;
  }

  // Launches a holder and waits for its ready line; `ready_line` is set either way.
  RunningHolder launch(const HolderOptions& o) {
    RunningHolder h;
    h.socket = o.socket_path;
    auto launched = launch_holder(BOSUN_BINARY, o, env());
    EXPECT_TRUE(launched.has_value()) << (launched ? "" : launched.error().message);
    if (!launched) return h;
    h.ready_line = read_line(launched->ready_fd.get(), after(10s));
    unsigned long agent = 0;
    unsigned long holder = 0;
    if (std::sscanf(h.ready_line.c_str(), "ready %lu %lu", &agent, &holder) == 2) {
      h.agent_pid = static_cast<pid_t>(agent);
      h.holder_pid = static_cast<pid_t>(holder);
      holders_.push_back(h);
    }
    return h;
  }

  RunningHolder start(std::vector<std::string> argv) {
    auto h = launch(options(std::move(argv)));
    EXPECT_EQ(h.ready_line.rfind("ready ", 0), 0u) << h.ready_line;
    return h;
  }

  static std::string read_line(int fd, Deadline deadline) {
    std::string line;
    while (line.empty() || line.back() != '\n') {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, ms_left(deadline)) <= 0) break;
      char ch;
      ssize_t n = ::read(fd, &ch, 1);
      if (n <= 0) break;
      line += ch;
    }
    return line;
  }

  std::string dir_;
  std::vector<RunningHolder> holders_;
};

}  // namespace bosun::term::testing
