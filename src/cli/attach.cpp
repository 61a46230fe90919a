// attach: raw mode, a painted screen, then output ← socket and keys → socket until detach.
#include "cli/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/client.h"
#include "cli/terminal_socket.h"
#include "term/query_filter.h"

namespace bosun::cli {

namespace asio = boost::asio;

namespace {

// How long an incomplete escape sequence may be held back before it is written anyway.
constexpr auto kHeldFlush = std::chrono::milliseconds(30);

// Modes a program may have left on in the user's terminal: colours, hidden cursor, application
// keys, bracketed paste, mouse reporting.
constexpr std::string_view kResetModes =
    "\x1b[0m\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l";

// Writes everything, waiting while the terminal is full (stdin's descriptor may have made the
// shared tty description non-blocking).
void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // the terminal is gone; nothing left to show
    }
  }
}

std::optional<winsize> window_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return std::nullopt;
  return ws;
}

// Puts the user's terminal in raw mode and restores it, and the descriptors' flags, however
// attach ends.
class TerminalGuard {
 public:
  TerminalGuard() {
    in_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
    out_flags_ = ::fcntl(STDOUT_FILENO, F_GETFL);
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      raw_ = ::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0;
    }
  }
  ~TerminalGuard() {
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
    if (in_flags_ >= 0) ::fcntl(STDIN_FILENO, F_SETFL, in_flags_);
    if (out_flags_ >= 0) ::fcntl(STDOUT_FILENO, F_SETFL, out_flags_);
  }
  TerminalGuard(const TerminalGuard&) = delete;
  TerminalGuard& operator=(const TerminalGuard&) = delete;
  bool raw() const { return raw_; }

 private:
  termios saved_{};
  bool raw_ = false;
  int in_flags_ = -1;
  int out_flags_ = -1;
};

// Clears the user's screen and draws the daemon's model of the agent's screen.
std::string paint(const Json& screen) {
  std::string out = "\x1b[0m\x1b[H\x1b[2J";
  const Json& lines = screen["lines"];
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\r\n";
    out += lines[i].get<std::string>();
  }
  out += fmt::format("\x1b[{};{}H", screen["cursor"].value("row", 0) + 1,
                     screen["cursor"].value("col", 0) + 1);
  return out;
}

struct Session {
  Session(asio::io_context& io, Endpoint endpoint)
      : socket(io, std::move(endpoint)), input(io), signals(io), flush_timer(io) {}
  TerminalSocket socket;
  asio::posix::stream_descriptor input;
  asio::signal_set signals;
  asio::steady_timer flush_timer;
  term::QueryFilter filter;
  std::string name;
  uint64_t next = 0;  // next output offset we expect
  std::optional<winsize> size;
  bool done = false;
  int code = 0;
  std::string message;

  void finish(int exit_code, std::string why) {
    if (done) return;
    done = true;
    code = exit_code;
    message = std::move(why);
    boost::system::error_code ec;
    input.cancel(ec);
    signals.cancel(ec);
    flush_timer.cancel();
    asio::co_spawn(input.get_executor(), socket.close(), asio::detached);
  }
};

asio::awaitable<void> flush_held(Session& s) {
  s.flush_timer.expires_after(kHeldFlush);
  boost::system::error_code ec;
  co_await s.flush_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !s.done && s.filter.pending()) write_all(STDOUT_FILENO, s.filter.flush());
}

asio::awaitable<void> pump_output(Session& s) {
  while (!s.done) {
    auto frame = co_await s.socket.read();
    if (!frame) {
      s.finish(1, fmt::format("[bosun: connection to the daemon lost: {}]", frame.error().message));
      break;
    }
    if (frame->output) {
      uint64_t end = frame->offset + frame->bytes.size();
      if (end <= s.next) continue;  // already shown
      std::string_view bytes = frame->bytes;
      if (frame->offset < s.next) bytes.remove_prefix(s.next - frame->offset);
      s.next = end;
      write_all(STDOUT_FILENO, s.filter.feed(bytes));
      if (s.filter.pending()) asio::co_spawn(s.input.get_executor(), flush_held(s), asio::detached);
      continue;
    }
    const Json& m = frame->message;
    std::string type = m.value("type", "");
    if (type == "gap") {
      s.next = m.value("to", s.next);
    } else if (type == "status" && m.value("state", "") != "running") {
      write_all(STDOUT_FILENO, s.filter.flush());
      std::string how = m.contains("exit_code") && m["exit_code"].is_number()
                            ? fmt::format("exited with code {}", m["exit_code"].get<int>())
                        : m.contains("signal")
                            ? fmt::format("was killed by signal {}", m["signal"].dump())
                            : m.value("state", "stopped");
      s.finish(0, fmt::format("[bosun: {} {}]", s.name, how));
    }
  }
}

asio::awaitable<void> pump_input(Session& s, unsigned char detach_key) {
  std::array<char, 4096> buf;
  while (!s.done) {
    boost::system::error_code ec;
    size_t n = co_await s.input.async_read_some(asio::buffer(buf),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // cancelled, or end of a piped stdin: keep showing output
    std::string_view keys(buf.data(), n);
    auto at = keys.find(static_cast<char>(detach_key));
    if (at != std::string_view::npos) {
      if (at) s.socket.send_input(std::string(keys.substr(0, at)));
      s.finish(0, fmt::format("[bosun: detached from {}]", s.name));
      break;
    }
    s.socket.send_input(std::string(keys));
  }
}

asio::awaitable<void> watch_signals(Session& s, bool follow_size) {
  while (!s.done) {
    boost::system::error_code ec;
    int sig = co_await s.signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (sig == SIGWINCH) {
      if (!follow_size) continue;
      auto size = window_size(STDOUT_FILENO);
      if (!size) continue;
      if (s.size && size->ws_col == s.size->ws_col && size->ws_row == s.size->ws_row) continue;
      s.size = size;
      s.socket.send_message(
          Json{{"type", "resize"}, {"cols", size->ws_col}, {"rows", size->ws_row}});
      continue;
    }
    s.finish(sig == SIGINT ? 0 : 1,
             fmt::format("[bosun: detached from {} ({})]", s.name, ::strsignal(sig)));
  }
}

}  // namespace

std::optional<unsigned char> parse_detach_key(const std::string& name) {
  std::string key = name;
  for (const char* prefix : {"^", "ctrl-", "Ctrl-", "C-", "c-"}) {
    std::string_view p(prefix);
    if (key.size() == p.size() + 1 && key.compare(0, p.size(), p) == 0) {
      unsigned char c = static_cast<unsigned char>(key.back());
      if (c >= 'a' && c <= 'z') c = static_cast<unsigned char>(c - 'a' + 'A');
      if (c < '@' || c > '_') return std::nullopt;
      return static_cast<unsigned char>(c - '@');
    }
  }
  if (key.size() == 1) return static_cast<unsigned char>(key[0]);
  return std::nullopt;
}

int attach(const CommandContext& ctx, const AttachOptions& options) {
  auto client = Client::connect(ctx);
  if (!client) return report_error(client.error());
  auto agent = client->get("/api/v1/agents/" + options.agent);
  if (!agent) return report_error(agent.error());
  std::string id = agent->value("id", "");
  std::string name = agent->value("name", options.agent);
  const Json& run = (*agent)["run"];
  if (!run.is_object() || run.value("state", "") != "running") {
    return report_error(
        Error{ErrorKind::kConflict, "not_running",
              fmt::format("agent {} is not running ({})", name, agent->value("state", "no run"))});
  }
  bool tty_in = ::isatty(STDIN_FILENO);
  std::optional<winsize> size = tty_in ? window_size(STDOUT_FILENO) : std::nullopt;
  if (options.resize && size) {
    auto resized = client->post("/api/v1/agents/" + id + "/resize",
                                Json{{"cols", size->ws_col}, {"rows", size->ws_row}});
    if (!resized) return report_error(resized.error());
  }
  auto screen = client->get("/api/v1/agents/" + id + "/screen");
  if (!screen) return report_error(screen.error());

  // A closed terminal must not kill us before the terminal is restored.
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  Session s(io, client->endpoint());
  s.name = name;
  s.next = (*screen).value("offset", uint64_t{0});
  s.size = size;
  std::optional<Status> connected;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { connected = co_await s.socket.connect(id, s.next); },
      asio::detached);
  io.run();
  if (!connected || !*connected) {
    return report_error(connected ? connected->error()
                                  : Error{ErrorKind::kUnavailable, "no_daemon", "no connection"});
  }
  io.restart();

  int code = 0;
  std::string message;
  {
    TerminalGuard guard;
    write_all(STDOUT_FILENO, paint(*screen));
    int in_fd = ::dup(STDIN_FILENO);
    boost::system::error_code ec;
    if (in_fd >= 0) s.input.assign(in_fd, ec);
    if (in_fd >= 0 && ec) ::close(in_fd);  // e.g. /dev/null cannot be watched: output only
    bool have_input = in_fd >= 0 && !ec;
    s.signals.add(SIGWINCH);
    s.signals.add(SIGTERM);
    s.signals.add(SIGHUP);
    s.signals.add(SIGINT);
    asio::co_spawn(io, pump_output(s), asio::detached);
    if (have_input) asio::co_spawn(io, pump_input(s, options.detach_key), asio::detached);
    asio::co_spawn(io, watch_signals(s, options.resize && tty_in), asio::detached);
    io.run();
    write_all(STDOUT_FILENO, s.filter.flush());
    std::string restore(kResetModes);
    auto after = client->get("/api/v1/agents/" + id + "/screen");
    if (after && after->value("alt_screen", false)) restore += "\x1b[?1049l";
    write_all(STDOUT_FILENO, restore);
    code = s.code;
    message = s.message;
  }
  std::fprintf(stderr, "\r\n%s\r\n", message.c_str());
  return code;
}

}  // namespace bosun::cli
