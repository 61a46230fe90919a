// The end-to-end harness (see harness.h).
#include "support/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "common/test_store.h"

namespace bosun::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::pair<std::string, std::string> split_address(const std::string& address) {
  auto colon = address.rfind(':');
  return {address.substr(0, colon), address.substr(colon + 1)};
}

std::string read_whole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

// Runs `io` until `done` or the deadline; returns whether `done` became true.
bool run_until(asio::io_context& io, const bool& done, std::chrono::milliseconds timeout) {
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  return done;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          (prefix + std::to_string(rd()) + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Json HttpResult::json() const {
  return Json::parse(body, nullptr, false);
}

HttpResult http_request(const std::string& address, const std::string& method,
                        const std::string& target, const std::string& body,
                        const std::map<std::string, std::string>& headers,
                        std::chrono::milliseconds timeout) {
  HttpResult result;
  asio::io_context io;
  beast::tcp_stream stream(io);
  auto [host, port] = split_address(address);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    result.error = ec.message();
    return result;
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, address);
  for (const auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty()) {
    req.body() = body;
    if (!headers.count("Content-Type")) req.set(http::field::content_type, "application/json");
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(512u << 20);
  bool done = false;
  stream.async_connect(endpoints, [&](beast::error_code cec, const tcp::endpoint&) {
    if (cec) {
      result.error = cec.message();
      done = true;
      return;
    }
    stream.socket().set_option(tcp::no_delay(true), cec);
    http::async_write(stream, req, [&](beast::error_code wec, size_t) {
      if (wec) {
        result.error = wec.message();
        done = true;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code rec, size_t) {
        if (rec) {
          result.error = rec.message();
        } else {
          auto& res = parser.get();
          result.status = static_cast<int>(res.result_int());
          result.body = res.body();
          for (const auto& f : res) {
            std::string name(f.name_string());
            for (auto& c : name)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            result.headers[name] = std::string(f.value());
          }
        }
        done = true;
      });
    });
  });
  if (!run_until(io, done, timeout)) result.error = "timeout";
  return result;
}

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() = default;

bool WsClient::connect(const std::string& address, const std::string& target,
                       const std::map<std::string, std::string>& headers,
                       std::chrono::milliseconds timeout) {
  auto [host, port] = split_address(address);
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return false;
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  sock.open(tcp::v4(), ec);
  if (rcvbuf_ > 0) sock.set_option(asio::socket_base::receive_buffer_size(rcvbuf_), ec);
  bool done = false;
  bool ok = false;
  websocket::response_type response;
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers)
      req.set(k, v);
  }));
  beast::get_lowest_layer(impl_->ws).async_connect(*endpoints.begin(), [&](beast::error_code cec) {
    if (cec) {
      done = true;
      return;
    }
    impl_->ws.async_handshake(response, address, target, [&](beast::error_code hec) {
      ok = !hec;
      if (hec) refused_status_ = static_cast<int>(response.result_int());
      done = true;
    });
  });
  if (!run_until(impl_->io, done, timeout)) return false;
  impl_->ws.read_message_max(64u << 20);
  return ok;
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  bool done = false;
  std::optional<std::string> out;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, size_t) {
    if (ec) {
      closed_ = true;
      auto reason = impl_->ws.reason();
      close_code_ = reason.code;
      close_reason_ = std::string(reason.reason.data(), reason.reason.size());
    } else {
      out = beast::buffers_to_string(impl_->buffer.data());
      last_binary_ = impl_->ws.got_binary();
    }
    done = true;
  });
  if (!run_until(impl_->io, done, timeout)) {
    // Cancel the pending read so the stream stays usable for the next call.
    beast::get_lowest_layer(impl_->ws).socket().cancel();
    run_until(impl_->io, done, 5s);
    if (closed_ && close_code_ == 0) closed_ = false;  // only a timeout, not a close
    return std::nullopt;
  }
  return out;
}

std::optional<Json> WsClient::read_json(std::chrono::milliseconds timeout) {
  auto text = read(timeout);
  if (!text) return std::nullopt;
  auto j = Json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

bool WsClient::send_text(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  return !ec;
}

bool WsClient::send_binary(const std::string& data) {
  beast::error_code ec;
  impl_->ws.binary(true);
  impl_->ws.write(asio::buffer(data), ec);
  return !ec;
}

void WsClient::close() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
  closed_ = true;
}

CliResult run_bosun(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const std::string& input,
                    std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {BOSUN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, env, input, timeout);
}

CliResult run_program(const std::vector<std::string>& argv_s,
                      const std::map<std::string, std::string>& env, const std::string& input,
                      std::chrono::milliseconds timeout) {
  CliResult result;
  ::signal(SIGPIPE, SIG_IGN);  // a program that exits without reading its stdin is not our crash
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC) || ::pipe2(in_pipe, O_CLOEXEC)) {
    return result;
  }
  std::vector<char*> argv;
  for (const auto& a : argv_s)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos && env.count(kv.substr(0, eq))) continue;
    if (kv.rfind("BOSUN_", 0) == 0) continue;  // tests say exactly which BOSUN_* they want
    env_s.push_back(kv);
  }
  for (const auto& [k, v] : env)
    env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(in_pipe[0]);
  if (!input.empty()) {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = ::write(in_pipe[1], input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  ::close(in_pipe[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string unique_seconds(int whole) {
  static std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> digits(100'000'000, 999'999'999);
  return std::to_string(whole) + "." + std::to_string(digits(rng));
}

std::vector<pid_t> live_processes_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    pid_t pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::string stat = read_whole(entry.path() / "stat");
    auto rp = stat.rfind(')');
    if (rp == std::string::npos || rp + 2 >= stat.size() || stat[rp + 2] == 'Z') continue;
    std::string cmdline = read_whole(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    std::string environ_text;
    if (cmdline.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  int wd = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    if (wd < 0 && fd >= 0) {
      wd = ::inotify_add_watch(fd, path.parent_path().c_str(), IN_CREATE | IN_MOVED_TO);
    }
    if (std::filesystem::exists(path)) {
      if (fd >= 0) ::close(fd);
      return true;
    }
    // Until the directory exists there is nothing to watch: poll briefly.
    int wait_ms = wd < 0 ? 20 : 200;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) > 0) {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    }
  }
  if (fd >= 0) ::close(fd);
  return std::filesystem::exists(path);
}

TestDaemon::TestDaemon(std::optional<std::filesystem::path> state_dir) {
  if (state_dir) {
    state_ = *state_dir;
  } else {
    owned_ = std::make_unique<TempDir>();
    state_ = owned_->path() / "state";
  }
  stderr_path_ = state_.parent_path() / ("daemon-stderr-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(reinterpret_cast<uintptr_t>(this)));
}

TestDaemon::~TestDaemon() {
  // Agents outlive daemons by design: stop them first, so nothing is left behind.
  if (pid_ > 0) {
    auto agents = get("/api/v1/agents").json();
    if (agents.is_object() && agents["agents"].is_array()) {
      for (const auto& a : agents["agents"]) {
        if (a["state"] != "exited" && a["state"] != "lost") {
          post("/api/v1/agents/" + a["id"].get<std::string>() + "/stop", Json{{"grace_ms", 1000}});
        }
      }
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline) {
        auto now = get("/api/v1/agents").json();
        bool busy = false;
        if (now.is_object()) {
          for (const auto& a : now["agents"])
            busy = busy || (a["state"] != "exited" && a["state"] != "lost");
        }
        if (!busy) break;
        std::this_thread::sleep_for(20ms);  // teardown only; bounded by the deadline
      }
    }
    stop();
  }
  // No process of ours may outlive the test: not the daemon, not a holder, not an agent.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::vector<pid_t> left;
  do {
    left = live_processes_mentioning(state_.string());
    if (left.empty()) break;
    std::this_thread::sleep_for(50ms);  // reaping is asynchronous to us; bounded by deadline
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) left mentioning " << state_
                            << ", first pid " << (left.empty() ? 0 : left[0]);
  for (pid_t p : left)
    ::kill(p, SIGKILL);
  std::error_code ec;
  std::filesystem::remove(stderr_path_, ec);
}

void TestDaemon::start(const std::vector<std::string>& extra_args) {
  std::filesystem::create_directories(state_.parent_path());
  std::filesystem::remove(state_ / "run" / "address");
  std::vector<std::string> args = {BOSUN_BINARY, "serve",   "--listen",
                                   listen_,      "--state", state_.string()};
  if (bosun::testing::test_store_is_postgres()) {
    // A database of this state directory's own on the run's PostgreSQL (e2e.postgres).
    args.push_back("--store");
    args.push_back(bosun::testing::test_store_target(state_));
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // The daemon (and so its agents and git) gets a HOME and a git identity of its own: nothing
  // of the machine's user leaks into a test, and commits work on a machine with no git config.
  auto home = state_.parent_path() / "home";
  std::filesystem::create_directories(home);
  const std::vector<std::string> own = {"HOME=" + home.string(),
                                        "GIT_AUTHOR_NAME=bosun test",
                                        "GIT_AUTHOR_EMAIL=test@bosun.invalid",
                                        "GIT_COMMITTER_NAME=bosun test",
                                        "GIT_COMMITTER_EMAIL=test@bosun.invalid",
                                        "GIT_CONFIG_NOSYSTEM=1"};
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    bool replaced = std::any_of(own.begin(), own.end(), [&](const std::string& o) {
      return o.compare(0, key.size() + 1, key + "=") == 0;
    });
    if (replaced || key == "BOSUN_URL" || key == "BOSUN_TOKEN" || key == "BOSUN_STATE") continue;
    env_s.push_back(kv);
  }
  env_s.insert(env_s.end(), own.begin(), own.end());
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int fd_limit = fd_limit_;
  int64_t fsize_limit = fsize_limit_;
  pid_ = ::fork();
  if (pid_ == 0) {
    if (fd_limit > 0) {
      rlimit files{static_cast<rlim_t>(fd_limit), static_cast<rlim_t>(fd_limit)};
      ::setrlimit(RLIMIT_NOFILE, &files);
    }
    if (fsize_limit > 0) {
      rlimit size{static_cast<rlim_t>(fsize_limit), static_cast<rlim_t>(fsize_limit)};
      ::setrlimit(RLIMIT_FSIZE, &size);
    }
    ::dup2(err, 2);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(err);
  ++starts_;
  auto address_file = state_ / "run" / "address";
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (wait_for_file(address_file, 200ms)) break;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "bosun serve exited during start-up:\n" << stderr_text();
    }
  }
  ASSERT_TRUE(std::filesystem::exists(address_file)) << "no run/address:\n" << stderr_text();
  address_ = trim(read_whole(address_file));
  token_ = trim(read_whole(state_ / "token"));
}

int TestDaemon::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);  // waitpid has no timeout; bounded by the deadline
  }
  ADD_FAILURE() << "daemon did not stop within the timeout:\n" << stderr_text();
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

void TestDaemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string TestDaemon::stderr_text() const {
  return read_whole(stderr_path_);
}

std::map<std::string, std::string> TestDaemon::auth_header() const {
  return {{"Authorization", "Bearer " + token_}};
}

HttpResult TestDaemon::get(const std::string& target) {
  return http_request(address_, "GET", target, "", auth_header());
}
HttpResult TestDaemon::post(const std::string& target, const Json& body) {
  return http_request(address_, "POST", target, body.dump(), auth_header());
}
HttpResult TestDaemon::patch(const std::string& target, const Json& body) {
  return http_request(address_, "PATCH", target, body.dump(), auth_header());
}
HttpResult TestDaemon::del(const std::string& target) {
  return http_request(address_, "DELETE", target, "", auth_header());
}

CliResult TestDaemon::cli(const std::vector<std::string>& args, const std::string& input,
                          const std::map<std::string, std::string>& env) {
  std::vector<std::string> full = {"--state", state_.string()};
  full.insert(full.end(), args.begin(), args.end());
  return run_bosun(full, env, input);
}

}  // namespace bosun::e2e
