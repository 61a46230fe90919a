// Holder: one poll() loop over the PTY master, the socket and its clients, a signalfd and timers.
#include "term/holder.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "term/holder_protocol.h"
#include "term/peer_check.h"
#include "term/process_tree.h"
#include "term/pty.h"
#include "term/ring.h"
#include "term/unix_socket.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/unique_fd.h"

namespace bosun::term {
namespace {

using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

// Bytes per read() of the PTY or a client, and per kOutput frame.
constexpr size_t kReadChunk = size_t{64} << 10;
constexpr size_t kOutputFrameBytes = size_t{64} << 10;
// Read at most this much from the PTY per loop turn, then serve the clients.
constexpr size_t kMaxMasterReadPerTurn = size_t{1} << 20;
// Stop framing output for a client whose unsent bytes exceed this.
constexpr size_t kClientHighWater = size_t{256} << 10;
// Drop a client whose unsent replies pile up past this (it does not read).
constexpr size_t kMaxClientQueue = size_t{4} << 20;
// Input the PTY has not taken yet; beyond it, input is dropped with kError.
constexpr size_t kMaxPendingInput = size_t{1} << 20;
constexpr size_t kMaxClients = 64;
constexpr int kMaxSide = 10000;
constexpr auto kTermGrace = 2s;            // SIGTERM to the holder: grace for the agent tree
constexpr auto kTermLinger = 5s;           // ... and how long it then waits for kCollect
constexpr auto kLeftoverGrace = 2s;        // for processes an exited agent left behind
constexpr auto kCollectFlushTimeout = 5s;  // after kCollect, how long slow clients may take
constexpr auto kFinalReapTimeout = 1s;     // on exit, how long to wait for killed processes

// Blocks the signals the loop reads from a signalfd and ignores SIGPIPE; restores both.
class SignalScope {
 public:
  SignalScope() {
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP})
      sigaddset(&blocked, sig);
    ::sigprocmask(SIG_BLOCK, &blocked, &old_mask_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
    fd_.reset(::signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC));
  }
  ~SignalScope() {
    fd_.reset();
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  int fd() const { return fd_.get(); }

 private:
  sigset_t old_mask_{};
  struct sigaction old_pipe_ {};
  UniqueFd fd_;
};

// One connection on the holder's socket.
struct Client {
  UniqueFd fd;
  FrameDecoder decoder;
  bool attached = false;  // streaming output since kAttach
  uint64_t cursor = 0;    // next output offset to frame for it
  std::string out;        // encoded frames not yet written
  size_t out_pos = 0;
  bool spoke = false;        // it has sent a frame: only then is it sent kExited
  bool exited_sent = false;  // kExited is queued
  bool dead = false;         // removed after this loop turn

  size_t pending() const { return out.size() - out_pos; }
};

class Holder {
 public:
  Holder(const HolderOptions& options, Log& log, const Clock& clock)
      : opts_(options),
        log_(log),
        clock_(clock),
        ring_(std::max<size_t>(options.ring_bytes, 1)),
        ready_fd_(options.ready_fd),
        read_buf_(kReadChunk),
        cols_(options.cols),
        rows_(options.rows),
        linger_(options.linger) {}

  int run();

 private:
  // The holder's life: the agent runs; it has exited (reaped and its output drained) and the
  // holder waits for kCollect; done (the loop ends).
  enum class Phase { kRunning, kExited, kDone };
  static const char* phase_name(Phase phase);

  Status start();
  void report_ready(const std::string& line);
  void enter(Phase next, const char* why);
  void before_sleep();
  int poll_timeout_ms() const;
  void on_signals();
  void on_terminate(int signo);
  void reap();
  void read_master();
  void write_master();
  // How many bytes may be read from the PTY now without overwriting output an attached
  // client has not been sent yet.
  size_t read_budget() const;
  void accept_clients();
  void read_client(Client& c);
  void serve_client(Client& c);
  void flush_client(Client& c);
  void handle_frame(Client& c, const Frame& frame);
  void on_input(Client& c, std::string_view bytes);
  void on_resize(Client& c, std::string_view payload);
  void on_signal_request(Client& c, std::string_view payload);
  void queue(Client& c, const std::string& frame);
  void drop(Client& c, const std::string& why);
  void stop_tree(milliseconds grace, const char* why);
  void kill_tree();
  std::vector<pid_t> tree() const;
  HolderStatus status() const;
  void shutdown();
  SteadyTime now() const { return clock_.steady_now(); }

  const HolderOptions& opts_;
  Log& log_;
  const Clock& clock_;
  SignalScope signals_;
  UniqueFd listen_fd_;
  bool socket_created_ = false;
  std::optional<Pty> pty_;
  Ring ring_;
  UniqueFd ready_fd_;
  std::vector<char> read_buf_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::string input_;  // bytes for the PTY that it has not taken yet
  size_t input_pos_ = 0;

  Phase phase_ = Phase::kRunning;
  bool pty_eof_ = false;
  bool collected_ = false;
  int cols_;
  int rows_;
  std::chrono::seconds linger_;
  int64_t started_at_ms_ = 0;
  std::optional<int64_t> ended_at_ms_;
  std::optional<int> exit_code_;
  std::optional<int> exit_signal_;
  std::optional<std::string> error_;

  std::optional<SteadyTime> kill_deadline_;    // SIGKILL what is left of the tree
  std::optional<SteadyTime> linger_deadline_;  // exit without kCollect
  std::optional<SteadyTime> flush_deadline_;   // exit after kCollect even if clients are slow
};

const char* Holder::phase_name(Phase phase) {
  switch (phase) {
    case Phase::kRunning:
      return "running";
    case Phase::kExited:
      return "exited";
    case Phase::kDone:
      return "done";
  }
  return "?";
}

int Holder::run() {
  if (auto ok = start(); !ok) {
    log_.error("hold.start_failed", {{"error", ok.error().message}});
    report_ready("error " + ok.error().message + "\n");
    if (socket_created_) ::unlink(opts_.socket_path.c_str());
    return 1;
  }
  report_ready(fmt::format("ready {} {}\n", pty_->pid(), ::getpid()));

  std::vector<pollfd> fds;
  for (;;) {
    before_sleep();
    if (phase_ == Phase::kDone) break;

    // Slots: signals, listener, master, then one per client.
    fds.clear();
    fds.push_back({signals_.fd(), POLLIN, 0});
    fds.push_back({listen_fd_.get(), POLLIN, 0});
    short master_events = 0;
    // Flow control: while the daemon is attached, never read more than it can still be sent
    // from the ring — a fast producer waits for the daemon instead of losing output. With no
    // daemon attached the ring keeps the newest output and the daemon later learns of the gap.
    if (!pty_eof_) {
      master_events = static_cast<short>((read_budget() >= kReadChunk ? POLLIN : 0) |
                                         (input_.empty() ? 0 : POLLOUT));
    }
    fds.push_back({master_events != 0 ? pty_->master_fd() : -1, master_events, 0});
    const size_t client_count = clients_.size();
    for (const auto& c : clients_) {
      short events = static_cast<short>(POLLIN | (c->pending() > 0 ? POLLOUT : 0));
      fds.push_back({c->fd.get(), events, 0});
    }

    int rc = ::poll(fds.data(), fds.size(), poll_timeout_ms());
    if (rc < 0 && errno != EINTR) {
      log_.error("hold.poll_failed", {{"error", errno_message("poll", errno)}});
      break;
    }
    if (rc > 0) {
      if (fds[0].revents != 0) on_signals();
      if ((fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_master();
      if ((fds[2].revents & POLLOUT) != 0 && !pty_eof_) write_master();
      for (size_t i = 0; i < client_count; ++i) {
        Client& c = *clients_[i];
        short revents = fds[3 + i].revents;
        if (!c.dead && (revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_client(c);
        if (!c.dead && (revents & POLLOUT) != 0) flush_client(c);
      }
      if (fds[1].revents != 0) accept_clients();
    }
    if (kill_deadline_ && now() >= *kill_deadline_) {
      kill_deadline_.reset();
      kill_tree();
    }
    std::erase_if(clients_, [](const auto& c) { return c->dead; });
  }
  shutdown();
  return 0;
}

Status Holder::start() {
  if (opts_.argv.empty()) return bad_request("empty_argv", "no program to run");
  if (opts_.cols < 1 || opts_.cols > kMaxSide || opts_.rows < 1 || opts_.rows > kMaxSide) {
    return bad_request("bad_size", fmt::format("cols and rows must be 1..{}", kMaxSide));
  }
  if (signals_.fd() < 0) return internal("signalfd_failed", errno_message("signalfd", errno));
  // Orphans of the agent's tree become our children, so we can reap and kill them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return internal("subreaper_failed", errno_message("PR_SET_CHILD_SUBREAPER", errno));
  }
  auto listener = listen_unix(opts_.socket_path);
  if (!listener) return tl::unexpected(listener.error());
  listen_fd_ = std::move(*listener);
  socket_created_ = true;

  auto pty = Pty::spawn(opts_.argv, opts_.cwd, opts_.cols, opts_.rows);
  if (!pty) return tl::unexpected(pty.error());
  pty_.emplace(std::move(*pty));
  started_at_ms_ = to_unix_ms(clock_.now());
  error_ = pty_->exec_error();
  log_.info("hold.started", {{"agent_pid", pty_->pid()},
                             {"argv", opts_.argv},
                             {"cwd", opts_.cwd},
                             {"socket", opts_.socket_path}});
  if (error_) log_.warn("hold.exec_failed", {{"agent_pid", pty_->pid()}, {"error", *error_}});
  return {};
}

void Holder::report_ready(const std::string& line) {
  if (!ready_fd_) return;
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(ready_fd_.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nobody is waiting any more; not our problem
    done += static_cast<size_t>(n);
  }
  ready_fd_.reset();
}

void Holder::enter(Phase next, const char* why) {
  log_.info("hold.phase", {{"from", phase_name(phase_)}, {"to", phase_name(next)}, {"why", why}});
  phase_ = next;
  switch (next) {
    case Phase::kRunning:
      break;
    case Phase::kExited:
      // serve_client() queues kExited for each client once it has all the output.
      linger_deadline_ = now() + linger_;
      break;
    case Phase::kDone:
      break;
  }
}

// The work of one loop turn, in this order: (1) notice the end of the agent, (2) frame output,
// gaps and kExited for each client and write what its socket takes, (3) decide whether to exit.
void Holder::before_sleep() {
  if (phase_ == Phase::kRunning && pty_->reaped() && pty_eof_) {
    enter(Phase::kExited, "agent reaped and output drained");
  }

  for (auto& c : clients_) {
    if (!c->dead) serve_client(*c);
  }

  if (phase_ != Phase::kExited) return;
  if (collected_ && !flush_deadline_) flush_deadline_ = now() + kCollectFlushTimeout;
  bool delivered = std::all_of(clients_.begin(), clients_.end(), [](const auto& c) {
    return c->dead || ((c->exited_sent || !c->spoke) && c->pending() == 0);
  });
  if (collected_ && (delivered || now() >= *flush_deadline_)) {
    enter(Phase::kDone, delivered ? "collected" : "collected; slow clients dropped");
  } else if (linger_deadline_ && now() >= *linger_deadline_) {
    enter(Phase::kDone, "linger expired without collect");
  }
}

// Frames output (after a kGap if the client fell behind the ring) and then kExited, and writes
// until the client has everything or its socket is full (then POLLOUT brings us back).
// kExited goes only to clients that have sent a frame, so a client that connects and then
// attaches never sees kExited before the output it attached for.
void Holder::serve_client(Client& c) {
  for (;;) {
    while (c.attached && c.pending() < kClientHighWater && c.cursor < ring_.end_offset()) {
      if (c.cursor < ring_.start_offset()) {
        c.out += encode_gap(c.cursor, ring_.start_offset());
        c.cursor = ring_.start_offset();
        continue;
      }
      std::string_view bytes = ring_.peek(c.cursor, kOutputFrameBytes);
      c.out += encode_output(c.cursor, bytes);
      c.cursor += bytes.size();
    }
    bool caught_up = !c.attached || c.cursor == ring_.end_offset();
    if (phase_ == Phase::kExited && c.spoke && !c.exited_sent && caught_up) {
      c.out += encode_exited(status());
      c.exited_sent = true;
    }
    if (c.pending() == 0) return;
    flush_client(c);
    if (c.dead || c.pending() > 0 || caught_up) return;
  }
}

int Holder::poll_timeout_ms() const {
  std::optional<SteadyTime> next;
  for (const auto& d : {kill_deadline_, phase_ == Phase::kExited ? linger_deadline_ : std::nullopt,
                        phase_ == Phase::kExited ? flush_deadline_ : std::nullopt}) {
    if (d && (!next || *d < *next)) next = d;
  }
  if (!next) return -1;
  auto left = std::chrono::ceil<milliseconds>(*next - now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
}

void Holder::on_signals() {
  bool child = false;
  signalfd_siginfo info{};
  while (::read(signals_.fd(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    int signo = static_cast<int>(info.ssi_signo);
    if (signo == SIGCHLD) {
      child = true;
    } else if (signo == SIGTERM || signo == SIGINT) {
      on_terminate(signo);
    } else {
      log_.debug("hold.signal_ignored", {{"signal", signo}});
    }
  }
  if (child) reap();
}

// SIGTERM/SIGINT to the holder: stop the agent tree, then exit soon even without kCollect.
void Holder::on_terminate(int signo) {
  log_.info("hold.terminate", {{"signal", signo}});
  linger_ = std::min<std::chrono::seconds>(linger_, kTermLinger);
  if (linger_deadline_) linger_deadline_ = std::min(*linger_deadline_, now() + linger_);
  stop_tree(kTermGrace, "holder terminated");
}

// The one place that reaps: the agent, and orphans of its tree re-parented to us.
void Holder::reap() {
  for (;;) {
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    if (pid != pty_->pid() || pty_->reaped()) continue;
    pty_->mark_reaped();
    ended_at_ms_ = to_unix_ms(clock_.now());
    if (WIFEXITED(st)) exit_code_ = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) exit_signal_ = WTERMSIG(st);
    Json fields{{"agent_pid", pid}, {"exit_code", nullptr}, {"signal", nullptr}};
    if (exit_code_) fields["exit_code"] = *exit_code_;
    if (exit_signal_) fields["signal"] = *exit_signal_;
    log_.info("hold.agent_exited", fields);
    // Whatever the agent left behind must not outlive it (nor hold the PTY open).
    if (!tree().empty()) stop_tree(kLeftoverGrace, "agent exited; stopping what it left");
  }
}

size_t Holder::read_budget() const {
  size_t budget = kMaxMasterReadPerTurn;
  for (const auto& c : clients_) {
    if (!c->attached || c->dead) continue;
    uint64_t unsent = ring_.end_offset() - std::max(c->cursor, ring_.start_offset());
    budget =
        std::min<size_t>(budget, ring_.capacity() - std::min<uint64_t>(unsent, ring_.capacity()));
  }
  return budget;
}

void Holder::read_master() {
  size_t total = 0;
  size_t budget = read_budget();
  while (total < budget) {
    size_t want = std::min(read_buf_.size(), budget - total);
    ssize_t n = ::read(pty_->master_fd(), read_buf_.data(), want);
    if (n > 0) {
      ring_.append(std::string_view(read_buf_.data(), static_cast<size_t>(n)));
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EIO (or 0): every slave descriptor is closed. End of stream, not an error.
    if (n < 0 && errno != EIO) {
      log_.warn("hold.pty_read_failed", {{"error", errno_message("read", errno)}});
    }
    pty_eof_ = true;
    input_.clear();
    input_pos_ = 0;
    log_.info("hold.pty_eof", {{"end_offset", ring_.end_offset()}});
    return;
  }
}

void Holder::write_master() {
  while (input_pos_ < input_.size()) {
    ssize_t n = ::write(pty_->master_fd(), input_.data() + input_pos_, input_.size() - input_pos_);
    if (n > 0) {
      input_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    log_.warn("hold.pty_write_failed", {{"error", errno_message("write", errno)}});
    input_pos_ = input_.size();  // nobody will read it
  }
  if (input_pos_ == input_.size()) {
    input_.clear();
    input_pos_ = 0;
  }
}

void Holder::accept_clients() {
  for (;;) {
    UniqueFd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN)
        log_.warn("hold.accept_failed", {{"error", errno_message("accept", errno)}});
      return;
    }
    // Checked before anything is read: another process of the same user (an agent) can
    // neither type into this agent nor hold a slot the daemon needs.
    if (!opts_.daemon_lock.empty()) {
      auto pid = peer_pid(fd.get());
      if (!pid || !holds_flock(*pid, opts_.daemon_lock)) {
        std::string refusal = encode_error("not the daemon: this socket serves only bosun serve");
        (void)::send(fd.get(), refusal.data(), refusal.size(), MSG_NOSIGNAL);
        log_.debug("hold.client_refused", {{"pid", pid.value_or(0)}});
        continue;
      }
    }
    if (clients_.size() >= kMaxClients) {
      std::string refusal = encode_error("too many clients");
      (void)::send(fd.get(), refusal.data(), refusal.size(), MSG_NOSIGNAL);
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = std::move(fd);
    log_.debug("hold.client_connected", {{"clients", clients_.size() + 1}});
    clients_.push_back(std::move(c));
  }
}

void Holder::read_client(Client& c) {
  ssize_t n;
  do {
    n = ::recv(c.fd.get(), read_buf_.data(), read_buf_.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN) drop(c, errno_message("recv", errno));
    return;
  }
  if (n == 0) {
    drop(c, "closed by the client");
    return;
  }
  c.decoder.feed(std::string_view(read_buf_.data(), static_cast<size_t>(n)));
  while (!c.dead) {
    auto frame = c.decoder.next();
    if (!frame) break;
    handle_frame(c, *frame);
  }
  if (!c.dead && c.decoder.failed()) {
    queue(c, encode_error("protocol error: " + c.decoder.error()));
    flush_client(c);
    drop(c, "protocol error: " + c.decoder.error());
  }
}

void Holder::flush_client(Client& c) {
  while (c.pending() > 0) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.pending(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    drop(c, errno_message("send", errno));
    return;
  }
  if (c.out_pos == c.out.size()) {
    c.out.clear();
    c.out_pos = 0;
  } else if (c.out_pos >= kClientHighWater) {
    c.out.erase(0, c.out_pos);
    c.out_pos = 0;
  }
}

void Holder::handle_frame(Client& c, const Frame& frame) {
  c.spoke = true;
  auto raw = static_cast<uint8_t>(frame.type);
  if (!is_known_frame_type(raw)) {
    queue(c, encode_error(fmt::format("unknown frame type {}", raw)));
    return;
  }
  switch (frame.type) {
    case FrameType::kAttach: {
      auto from = parse_attach(frame.payload);
      if (!from) return queue(c, encode_error(from.error().message));
      c.attached = true;
      c.cursor = std::min(*from, ring_.end_offset());
      c.exited_sent = false;  // again, once it has caught up
      return;
    }
    case FrameType::kInput:
      return on_input(c, frame.payload);
    case FrameType::kResize:
      return on_resize(c, frame.payload);
    case FrameType::kSignal:
      return on_signal_request(c, frame.payload);
    case FrameType::kStatus:
      return queue(c, encode_status_reply(status()));
    case FrameType::kStop: {
      auto grace = parse_stop(frame.payload);
      if (!grace) return queue(c, encode_error(grace.error().message));
      return stop_tree(milliseconds(*grace), "stop requested");
    }
    case FrameType::kCollect:
      if (!collected_) log_.info("hold.collect_requested");
      collected_ = true;
      return;
    case FrameType::kOutput:
    case FrameType::kGap:
    case FrameType::kStatusReply:
    case FrameType::kExited:
    case FrameType::kError:
      return queue(c, encode_error(fmt::format("unexpected frame '{}' from a client",
                                               frame_type_name(frame.type))));
  }
}

void Holder::on_input(Client& c, std::string_view bytes) {
  if (pty_eof_) return queue(c, encode_error("the terminal is closed; input dropped"));
  if (input_.size() - input_pos_ + bytes.size() > kMaxPendingInput) {
    return queue(
        c, encode_error("input buffer full (1 MiB not yet read by the agent); input dropped"));
  }
  input_.append(bytes);
  write_master();
}

void Holder::on_resize(Client& c, std::string_view payload) {
  auto size = parse_resize(payload);
  if (!size) return queue(c, encode_error(size.error().message));
  if (size->cols < 1 || size->cols > kMaxSide || size->rows < 1 || size->rows > kMaxSide) {
    return queue(c, encode_error(fmt::format("cols and rows must be 1..{}, got {}x{}", kMaxSide,
                                             size->cols, size->rows)));
  }
  if (auto ok = pty_->set_size(size->cols, size->rows); !ok) {
    return queue(c, encode_error(ok.error().message));
  }
  cols_ = size->cols;
  rows_ = size->rows;
}

void Holder::on_signal_request(Client& c, std::string_view payload) {
  auto request = parse_signal(payload);
  if (!request) return queue(c, encode_error(request.error().message));
  int signo = request->signo;
  if (signo < 1 || signo >= NSIG) {
    return queue(c, encode_error(fmt::format("no such signal {}", signo)));
  }
  switch (request->target) {
    case SignalTarget::kForeground: {
      auto pgrp = pty_->foreground_group();
      if (!pgrp) return queue(c, encode_error(pgrp.error().message));
      if (::kill(-*pgrp, signo) != 0) {
        return queue(c,
                     encode_error(errno_message(fmt::format("kill -{} -{}", signo, *pgrp), errno)));
      }
      log_.info("hold.signal", {{"signal", signo}, {"pgrp", *pgrp}});
      return;
    }
    case SignalTarget::kTree: {
      int sent = signal_all(tree(), signo);
      log_.info("hold.signal", {{"signal", signo}, {"tree", sent}});
      return;
    }
  }
}

void Holder::queue(Client& c, const std::string& frame) {
  if (c.dead) return;
  c.out += frame;
  if (c.pending() > kMaxClientQueue) drop(c, "client does not read its replies");
}

void Holder::drop(Client& c, const std::string& why) {
  if (c.dead) return;
  c.dead = true;
  c.fd.reset();
  log_.debug("hold.client_dropped", {{"why", why}});
}

// SIGHUP + SIGTERM (+ SIGCONT for stopped jobs) to the whole tree now; SIGKILL after `grace`.
void Holder::stop_tree(milliseconds grace, const char* why) {
  auto members = tree();
  log_.info("hold.stop",
            {{"why", why}, {"grace_ms", grace.count()}, {"processes", members.size()}});
  if (members.empty()) return;
  signal_all(members, SIGHUP);
  signal_all(members, SIGTERM);
  signal_all(members, SIGCONT);
  SteadyTime deadline = now() + grace;
  if (!kill_deadline_ || deadline < *kill_deadline_) kill_deadline_ = deadline;
}

// SIGKILL the tree; rescans a few times for children forked while we were scanning.
void Holder::kill_tree() {
  for (int round = 0; round < 4; ++round) {
    auto members = tree();
    if (members.empty()) return;
    int sent = signal_all(members, SIGKILL);
    if (round == 0) log_.info("hold.kill", {{"processes", sent}});
  }
}

// The agent's tree: its session, plus every descendant of this holder (the agent, and orphans
// re-parented to us as subreaper, including those that called setsid).
std::vector<pid_t> Holder::tree() const {
  return tree_members(scan_processes(), pty_ ? pty_->pid() : 0, ::getpid());
}

HolderStatus Holder::status() const {
  HolderStatus s;
  s.pid = pty_ ? pty_->pid() : 0;
  s.state = phase_ == Phase::kRunning ? RunState::kRunning : RunState::kExited;
  if (s.state == RunState::kExited) {
    s.exit_code = exit_code_;
    s.signal = exit_signal_;
    s.ended_at_ms = ended_at_ms_;
  }
  s.error = error_;
  s.cols = cols_;
  s.rows = rows_;
  s.start_offset = ring_.start_offset();
  s.end_offset = ring_.end_offset();
  s.argv = opts_.argv;
  s.cwd = opts_.cwd;
  s.started_at_ms = started_at_ms_;
  s.holder_pid = static_cast<int>(::getpid());
  return s;
}

void Holder::shutdown() {
  // Nothing of the tree may outlive the holder: kill it and reap for a bounded time.
  if (!tree().empty()) {
    kill_tree();
    SteadyTime deadline = now() + kFinalReapTimeout;
    while (!tree().empty() && now() < deadline) {
      // SIGCHLD wakes us; the timeout only bounds the wait for processes that are not our
      // children (session members whose parent is still alive).
      pollfd pfd{signals_.fd(), POLLIN, 0};
      auto left = std::chrono::ceil<milliseconds>(deadline - now()).count();
      ::poll(&pfd, 1, static_cast<int>(std::clamp<int64_t>(left, 0, 20)));
      on_signals();
    }
  }
  reap();
  clients_.clear();
  listen_fd_.reset();
  ::unlink(opts_.socket_path.c_str());
  log_.info("hold.exit", {{"exit_code", exit_code_ ? Json(*exit_code_) : Json(nullptr)}});
  log_.flush();
}

}  // namespace

int run_holder(const HolderOptions& options) {
  Log log("hold");
  if (!options.log_path.empty()) {
    if (auto ok = log.open_file(options.log_path); !ok) {
      log.warn("hold.log_open_failed", {{"error", ok.error().message}});
    }
  }
  SystemClock clock;
  Holder holder(options, log, clock);
  return holder.run();
}

}  // namespace bosun::term
