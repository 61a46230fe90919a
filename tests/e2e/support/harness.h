// The end-to-end harness: a real `bosun serve` on a free port with a temporary state
// directory, HTTP and WebSocket helpers, a CLI runner, and a no-process-left check.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bosun::e2e {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// A temporary directory removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "bosun-e2e-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error, if any
  Json json() const;
};

// One HTTP/1.1 request on a fresh connection.
HttpResult http_request(const std::string& address, const std::string& method,
                        const std::string& target, const std::string& body = "",
                        const std::map<std::string, std::string>& headers = {},
                        std::chrono::milliseconds timeout = 10s);

// A WebSocket client with bounded waits.
class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects and upgrades; on refusal returns false and sets refused_status.
  bool connect(const std::string& address, const std::string& target,
               const std::map<std::string, std::string>& headers = {},
               std::chrono::milliseconds timeout = 10s);
  int refused_status() const { return refused_status_; }

  // Next message, or nullopt on timeout / close (then closed() and close_reason()).
  std::optional<std::string> read(std::chrono::milliseconds timeout = 10s);
  std::optional<Json> read_json(std::chrono::milliseconds timeout = 10s);
  bool last_was_binary() const { return last_binary_; }
  bool send_text(const std::string& text);
  bool send_binary(const std::string& data);
  void close();
  bool closed() const { return closed_; }
  int close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  // Shrinks the socket receive buffer (before connect) to make a slow consumer.
  void set_receive_buffer(int bytes) { rcvbuf_ = bytes; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int refused_status_ = 0;
  bool last_binary_ = false;
  bool closed_ = false;
  int close_code_ = 0;
  std::string close_reason_;
  int rcvbuf_ = 0;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the bosun binary with `args`, the given extra environment, optional stdin.
CliResult run_bosun(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {},
                    const std::string& input = "", std::chrono::milliseconds timeout = 60s);

// Runs any program (found on PATH) the same way; BOSUN_* is not passed on unless in `env`.
CliResult run_program(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env = {},
                      const std::string& input = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Pids of live (non-zombie) processes whose command line mentions `needle`.
std::vector<pid_t> live_processes_mentioning(const std::string& needle);

// "<whole>.<9 random digits>": seconds for a `sleep` that no other test on the machine runs,
// so a test finds its own processes by their command line.
std::string unique_seconds(int whole);

// Waits until `path` exists (inotify on its directory), or the deadline passes.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout);

class TestDaemon {
 public:
  // A daemon on a new temporary state directory (or `state_dir` to share one).
  explicit TestDaemon(std::optional<std::filesystem::path> state_dir = std::nullopt);
  ~TestDaemon();
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  // Starts `bosun serve --listen 127.0.0.1:0 --state DIR [extra]` and waits for run/address.
  void start(const std::vector<std::string>& extra_args = {});
  // The descriptor limit (soft and hard) the next start gives the daemon; 0 leaves it.
  void set_descriptor_limit(int limit) { fd_limit_ = limit; }
  // The next start listens at this one's address, so agents that outlived the daemon reach
  // the new one at the BOSUN_URL they were given.
  void keep_address() { listen_ = address_; }
  // The largest file (RLIMIT_FSIZE) the next start lets the daemon write, as a full disk
  // would; 0 leaves it.
  void set_file_size_limit(int64_t bytes) { fsize_limit_ = bytes; }
  // SIGTERM and wait; returns the exit status (or -1 on timeout, then SIGKILL).
  int stop(std::chrono::milliseconds timeout = 15s);
  // SIGKILL and reap, leaving its run files behind as a crash would.
  void kill9();
  bool running() const { return pid_ > 0; }

  const std::filesystem::path& state_dir() const { return state_; }
  const std::string& address() const { return address_; }
  const std::string& token() const { return token_; }
  pid_t pid() const { return pid_; }
  std::string stderr_text() const;

  // Authenticated helpers.
  HttpResult get(const std::string& target);
  HttpResult post(const std::string& target, const Json& body);
  HttpResult patch(const std::string& target, const Json& body);
  HttpResult del(const std::string& target);
  std::map<std::string, std::string> auth_header() const;

  // Runs `bosun --state DIR args…`.
  CliResult cli(const std::vector<std::string>& args, const std::string& input = "",
                const std::map<std::string, std::string>& env = {});

 private:
  std::unique_ptr<TempDir> owned_;
  std::filesystem::path state_;
  std::filesystem::path stderr_path_;
  std::string address_;
  std::string token_;
  pid_t pid_ = -1;
  int starts_ = 0;
  int fd_limit_ = 0;
  std::string listen_ = "127.0.0.1:0";
  int64_t fsize_limit_ = 0;
};

}  // namespace bosun::e2e
