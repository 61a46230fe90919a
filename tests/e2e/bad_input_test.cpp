// Bad input never crashes the daemon or changes anything; each case has its own test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

// A raw TCP connection for requests no well-behaved client would send.
class RawConn {
 public:
  explicit RawConn(const std::string& address) {
    auto colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool send_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until the peer closes or the timeout passes.
  std::string read_all(std::chrono::milliseconds timeout = 10s) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[8192];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int64_t journal_count(TestDaemon& d) {
  return static_cast<int64_t>(d.get("/api/v1/journal?limit=1000").json()["entries"].size());
}

void expect_alive(TestDaemon& d) {
  auto r = http_request(d.address(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200) << "daemon stopped answering: " << r.error << "\n" << d.stderr_text();
}

TEST(BadInput, MalformedJsonIs400WithPosition) {
  TestDaemon d;
  d.start();
  auto before = journal_count(d);
  auto r =
      http_request(d.address(), "POST", "/api/v1/journal", R"({"text": "a",,})", d.auth_header());
  EXPECT_EQ(r.status, 400);
  auto j = r.json();
  EXPECT_EQ(j["error"]["code"], "invalid_json");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("at byte"), std::string::npos);
  EXPECT_EQ(journal_count(d), before);
  expect_alive(d);
}

TEST(BadInput, WrongTypesAre400) {
  TestDaemon d;
  d.start();
  auto r = d.post("/api/v1/journal", Json{{"text", Json::array({1, 2})}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "invalid_field");
  auto arr = http_request(d.address(), "POST", "/api/v1/journal", "[1]", d.auth_header());
  EXPECT_EQ(arr.status, 400);
  expect_alive(d);
}

TEST(BadInput, InvalidUtf8InJsonIs400) {
  TestDaemon d;
  d.start();
  auto r = http_request(d.address(), "POST", "/api/v1/journal", "{\"text\": \"a\xff\xfe\"}",
                        d.auth_header());
  EXPECT_EQ(r.status, 400);
  expect_alive(d);
}

TEST(BadInput, BodyOverLimitIs413) {
  TestDaemon d;
  d.start({"--max-body", "65536"});
  auto before = journal_count(d);
  std::string body = Json{{"text", std::string(200000, 'a')}}.dump();
  auto r = http_request(d.address(), "POST", "/api/v1/journal", body, d.auth_header());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "body_too_large");
  EXPECT_EQ(journal_count(d), before);
  expect_alive(d);
}

TEST(BadInput, RequestLineOfOneMegabyteIsRefused) {
  TestDaemon d;
  d.start();
  RawConn c(d.address());
  ASSERT_TRUE(c.connected());
  std::string line = "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  c.send_all(line);  // the server may close before it has read everything
  auto reply = c.read_all();
  EXPECT_NE(reply.find("413"), std::string::npos) << reply.substr(0, 200);
  expect_alive(d);
}

TEST(BadInput, GarbageRequestIs400) {
  TestDaemon d;
  d.start();
  RawConn c(d.address());
  ASSERT_TRUE(c.connected());
  c.send_all("THIS IS NOT HTTP\r\n\r\n");
  auto reply = c.read_all();
  EXPECT_NE(reply.find("400"), std::string::npos) << reply;
  expect_alive(d);
}

TEST(BadInput, ClientDisconnectingMidRequestIsHarmless) {
  TestDaemon d;
  d.start();
  auto before = journal_count(d);
  for (int i = 0; i < 20; ++i) {
    RawConn c(d.address());
    ASSERT_TRUE(c.connected());
    c.send_all("POST /api/v1/journal HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
               d.token() +
               "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"text\": \"ha");
    c.close();
  }
  RawConn half(d.address());
  half.send_all("GET /healthz HTT");
  half.close();
  expect_alive(d);
  EXPECT_EQ(journal_count(d), before);
}

TEST(BadInput, UnknownRouteIs404AndWrongMethodIs405) {
  TestDaemon d;
  d.start();
  auto r = d.get("/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["code"], "route_not_found");
  auto m = d.del("/api/v1/events");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.json()["error"]["code"], "method_not_allowed");
  // Without a token the unknown route is still 404 (routing comes first), never a crash.
  EXPECT_EQ(http_request(d.address(), "GET", "/nope").status, 404);
}

TEST(BadInput, TwoHundredConcurrentConnectionsAreAllAnswered) {
  TestDaemon d;
  d.start();
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < kClients; ++i) {
    conns.push_back(std::make_unique<RawConn>(d.address()));
    ASSERT_TRUE(conns.back()->connected()) << i;
  }
  // All 200 are open at once; each sends a request and gets its answer.
  std::string req = "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                    d.token() + "\r\nConnection: close\r\n\r\n";
  for (auto& c : conns)
    ASSERT_TRUE(c->send_all(req));
  int ok = 0;
  for (auto& c : conns) {
    auto reply = c->read_all();
    if (reply.rfind("HTTP/1.1 200", 0) == 0) ++ok;
  }
  EXPECT_EQ(ok, kClients);
  expect_alive(d);
}

TEST(BadInput, OversizedWebSocketMessageClosesOnlyThatSocket) {
  TestDaemon d;
  d.start();
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/events", d.auth_header()));
  ASSERT_TRUE(ws.read_json());
  ws.send_text(std::string(2 << 20, 'x'));
  while (ws.read(5s)) {
  }
  EXPECT_TRUE(ws.closed());
  expect_alive(d);
}

// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i)
    fields >> skip;  // state … cmajflt: fields 3-13
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Polls /healthz until it answers `status` (there is no event for "the daemon has room again").
bool healthz_becomes(TestDaemon& d, int status, std::chrono::milliseconds within) {
  for (auto deadline = std::chrono::steady_clock::now() + within;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    if (http_request(d.address(), "GET", "/healthz", "", {}, 2s).status == status) return true;
  }
  return false;
}

std::string error_code_of(const HttpResult& r) {
  auto j = Json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

// Out of descriptors (more idle connections than the daemon's limit): a new client gets 503
// at once, the acceptor backs off instead of spinning and logs once per interval; once the
// connections go, everything works again, a new agent included.
TEST(BadInput, OutOfDescriptorsANewClientGets503AndTheDaemonNeitherSpinsNorFloodsItsLog) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtime itself needs descriptors (UBSan's vptr check tests memory through a
  // pipe): out of them, it reports valid objects as invalid and stops the daemon.
  GTEST_SKIP() << "not meaningful in the sanitizer build: its runtime needs file descriptors";
#endif
  TestDaemon d;
  d.set_descriptor_limit(128);
  d.start({"--max-connections", "100000"});  // no cap: let the descriptors run out
  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(std::make_unique<RawConn>(d.address()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  auto r = http_request(d.address(), "GET", "/healthz", "", {}, 5s);
  EXPECT_EQ(r.status, 503) << r.body << r.error;
  EXPECT_EQ(error_code_of(r), "overloaded") << r.body;
  size_t log_before = d.stderr_text().size();
  double cpu_before = cpu_seconds(d.pid());
  auto window = 2s;
  std::this_thread::sleep_for(window);  // what is measured is the absence of work
  double used = cpu_seconds(d.pid()) - cpu_before;
  EXPECT_LT(used, 0.5) << "the acceptor spins: " << used << " s of CPU in 2 s";
  EXPECT_LT(d.stderr_text().size() - log_before, size_t{16} * 1024) << d.stderr_text();
  idle.clear();
  ASSERT_TRUE(healthz_becomes(d, 200, 15s)) << d.stderr_text().substr(0, 4000);
  auto spawned = d.post("/api/v1/agents", Json{{"name", "after"}, {"argv", {"sleep", "1000"}}});
  EXPECT_EQ(spawned.status, 201) << spawned.body;
  EXPECT_NE(d.get("/api/v1/agents/after").json()["state"], "lost");
}

// Beyond --max-connections a new client gets a clear 503 at once, and room comes back when
// connections close.
TEST(BadInput, BeyondTheConnectionLimitANewClientGets503AtOnce) {
  TestDaemon d;
  d.start({"--max-connections", "20"});
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 20; ++i)
    held.push_back(std::make_unique<RawConn>(d.address()));
  ASSERT_TRUE(healthz_becomes(d, 503, 10s));
  auto r = http_request(d.address(), "GET", "/healthz", "", {}, 5s);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(error_code_of(r), "connection_limit") << r.body;
  EXPECT_NE(r.body.find("20 connections"), std::string::npos) << r.body;
  held.clear();
  EXPECT_TRUE(healthz_becomes(d, 200, 10s));
}

}  // namespace
}  // namespace bosun::e2e
