// Receiver: a small HTTP server on 127.0.0.1 that records every request it gets — the other
// end of a notification webhook. It answers a chosen status, or holds requests unanswered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/harness.h"

namespace bosun::e2e {

struct Received {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Json json() const;
  std::string header(const std::string& name) const;
};

class Receiver {
 public:
  Receiver();
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // "http://127.0.0.1:PORT" + path.
  std::string url(const std::string& path = "/hook") const;
  // The status the next requests get (200 at first).
  void answer(int status) { status_ = status; }
  // Requests are read and recorded, then held unanswered until this is set back to false.
  void hold(bool on);

  // Every request so far.
  std::vector<Received> requests();
  // Waits until at least `n` requests arrived; false at the deadline.
  bool wait_for(size_t n, std::chrono::milliseconds timeout);

 private:
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  bool holding_ = false;
  std::vector<Received> requests_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace bosun::e2e
