// Receiver: accept, read one request, record it, answer (or hold), close.
#include "support/receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

namespace bosun::e2e {

Json Received::json() const {
  return Json::parse(body, nullptr, false);
}

std::string Received::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

Receiver::Receiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ADD_FAILURE() << "receiver: bind/listen: " << std::strerror(errno);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { serve(); });
}

Receiver::~Receiver() {
  stopping_ = true;
  hold(false);
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : connections_)
    t.join();
}

std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void Receiver::hold(bool on) {
  {
    std::lock_guard lock(mu_);
    holding_ = on;
  }
  changed_.notify_all();
}

std::vector<Received> Receiver::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

bool Receiver::wait_for(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void Receiver::serve() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR) continue;
      return;
    }
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd] { handle(fd); });
  }
}

void Receiver::handle(int fd) {
  std::string data;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t want = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string lower = data.substr(0, header_end);
      for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t cl = lower.find("content-length:");
      want = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
    }
    if (data.size() >= header_end + 4 + want) break;
  }
  Received r;
  if (header_end != std::string::npos) {
    std::string head = data.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    size_t sp1 = first.find(' ');
    size_t sp2 = first.find(' ', sp1 + 1);
    r.method = first.substr(0, sp1);
    r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.erase(0, 1);
        r.headers.emplace_back(line.substr(0, colon), value);
      }
      pos = end + 2;
    }
    r.body = data.substr(header_end + 4);
  }
  {
    std::unique_lock lock(mu_);
    requests_.push_back(r);
    changed_.notify_all();
    changed_.wait(lock, [this] { return !holding_ || stopping_; });
  }
  int status = status_;
  std::string text = status >= 200 && status < 300 ? "ok" : "receiver says no";
  std::string reply = "HTTP/1.1 " + std::to_string(status) +
                      " X\r\nContent-Length: " + std::to_string(text.size()) +
                      "\r\nConnection: close\r\n\r\n" + text;
  (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  ::close(fd);
}

}  // namespace bosun::e2e
