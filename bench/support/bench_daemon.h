// A daemon for benchmarks: `bosun serve` on a free port in a temporary state directory.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bosun::bench {

class BenchDaemon {
 public:
  // `stderr_to_file`: the daemon's stderr goes to stderr_path() instead of the bench's.
  explicit BenchDaemon(std::vector<std::string> extra = {}, bool stderr_to_file = false) {
    char tmpl[] = "/tmp/bosun-bench-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::vector<std::string> args = {BOSUN_BINARY, "serve",   "--listen",     "127.0.0.1:0",
                                     "--quiet",    "--state", dir_ + "/state"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string err_path = stderr_path();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (stderr_to_file) {
        int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto address_file = dir_ + "/state/run/address";
    for (int i = 0; i < 3000 && !std::filesystem::exists(address_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // start-up only, not measured
    }
    std::ifstream(address_file) >> address_;
    std::ifstream(dir_ + "/state/token") >> token_;
    if (address_.empty()) {
      std::fprintf(stderr, "bench: the daemon did not start\n");
      std::exit(1);
    }
  }
  ~BenchDaemon() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::filesystem::remove_all(dir_);
  }
  const std::string& address() const { return address_; }
  std::string host() const { return address_.substr(0, address_.rfind(':')); }
  std::string port() const { return address_.substr(address_.rfind(':') + 1); }
  const std::string& token() const { return token_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string stderr_path() const { return dir_ + "/daemon.stderr"; }

 private:
  std::string dir_;
  std::string address_;
  std::string token_;
  pid_t pid_ = -1;
};

// Percentile of an unsorted sample (sorts it).
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace bosun::bench
