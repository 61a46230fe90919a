// The daemon against other web pages: a foreign Origin, a form or text/plain POST riding on
// the login cookie, and a DNS-rebinding Host are refused and change nothing.
#include <gtest/gtest.h>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

// What a browser sends with the login cookie, plus `extra`.
std::map<std::string, std::string> cookie(const TestDaemon& d,
                                          std::map<std::string, std::string> extra = {}) {
  extra["Cookie"] = "bosun_token=" + d.token();
  return extra;
}

size_t agent_count(TestDaemon& d) {
  return d.get("/api/v1/agents").json()["agents"].size();
}

std::string error_code(const HttpResult& r) {
  auto j = Json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

const std::string kSpawn = R"({"name":"evil","argv":["bash","-c","echo pwned"]})";

TEST(BrowserBoundary, ACrossSiteSpawnOnTheCookieIsRefusedAndSpawnsNothing) {
  TestDaemon d;
  d.start();
  std::string own = "http://" + d.address();
  auto port = d.address().substr(d.address().rfind(':') + 1);
  struct Case {
    std::map<std::string, std::string> headers;
    int status;
    std::string code;
  };
  std::vector<Case> cases = {
      // Another site, another port of 127.0.0.1, a sandboxed frame's null origin.
      {{{"Origin", "http://evil.example"}, {"Content-Type", "text/plain"}}, 403, "origin_refused"},
      {{{"Origin", "http://127.0.0.1:1"}, {"Content-Type", "text/plain"}}, 403, "origin_refused"},
      {{{"Origin", "null"}, {"Content-Type", "application/json"}}, 403, "origin_refused"},
      // No Origin and no Referer: nothing shows it came from our page.
      {{{"Content-Type", "application/json"}}, 403, "origin_required"},
      {{{"Referer", "http://evil.example/" + own}, {"Content-Type", "application/json"}},
       403,
       "origin_required"},
      // Our Origin, but a body a form or a simple request can send.
      {{{"Origin", own}, {"Content-Type", "text/plain"}}, 415, "json_required"},
      {{{"Origin", own}, {"Content-Type", "application/x-www-form-urlencoded"}},
       415,
       "json_required"},
  };
  for (const auto& c : cases) {
    auto r = http_request(d.address(), "POST", "/api/v1/agents", kSpawn, cookie(d, c.headers));
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(error_code(r), c.code) << r.body;
  }
  EXPECT_EQ(agent_count(d), 0u);
  // A foreign Origin is refused on reads too, and even with the daemon token.
  auto read = http_request(d.address(), "GET", "/api/v1/agents", "",
                           cookie(d, {{"Origin", "http://evil.example"}}));
  EXPECT_EQ(read.status, 403);
  auto bearer = d.auth_header();
  bearer["Origin"] = "http://evil.example";
  EXPECT_EQ(http_request(d.address(), "GET", "/api/v1/agents", "", bearer).status, 403);

  // The dashboard's own requests: our Origin (any of our names) or Referer, and JSON.
  auto ok = http_request(d.address(), "POST", "/api/v1/agents",
                         R"({"name":"kai","argv":["bash","--norc","--noprofile"]})",
                         cookie(d, {{"Origin", "http://localhost:" + port},
                                    {"Content-Type", "application/json; charset=utf-8"}}));
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto by_referer = http_request(
      d.address(), "POST", "/api/v1/agents/kai/stop", "{}",
      cookie(d, {{"Referer", own + "/#/agents/kai"}, {"Content-Type", "application/json"}}));
  EXPECT_EQ(by_referer.status, 202) << by_referer.body;
  EXPECT_EQ(agent_count(d), 1u);
}

// A page on another name that resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
TEST(BrowserBoundary, AHostThatIsNotTheDaemonsIsRefused) {
  TestDaemon d;
  d.start();
  auto port = d.address().substr(d.address().rfind(':') + 1);
  for (const std::string& host :
       std::vector<std::string>{"evil.example:" + port, "evil.example",
                                "localhost.evil.example:" + port, "[::ffff:7f00:1"}) {
    auto headers = d.auth_header();
    headers["Host"] = host;
    auto r = http_request(d.address(), "GET", "/api/v1/agents", "", headers);
    EXPECT_EQ(r.status, 403) << host << ": " << r.body;
    EXPECT_EQ(error_code(r), "host_refused") << host;
    auto spawn = http_request(d.address(), "POST", "/api/v1/agents", kSpawn, headers);
    EXPECT_EQ(spawn.status, 403) << host;
  }
  for (std::string host :
       {d.address(), "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port}) {
    auto headers = d.auth_header();
    headers["Host"] = host;
    EXPECT_EQ(http_request(d.address(), "GET", "/api/v1/agents", "", headers).status, 200) << host;
  }
  EXPECT_EQ(agent_count(d), 0u);
}

// A name the person configured is ours, for Host and Origin alike.
TEST(BrowserBoundary, AConfiguredNameIsAccepted) {
  TestDaemon d;
  d.start({"--allow-host", "bosun.lan"});
  auto port = d.address().substr(d.address().rfind(':') + 1);
  auto headers = cookie(d, {{"Host", "bosun.lan:" + port},
                            {"Origin", "http://bosun.lan:" + port},
                            {"Content-Type", "application/json"}});
  auto r = http_request(d.address(), "POST", "/api/v1/agents",
                        R"({"name":"kai","argv":["bash","--norc","--noprofile"]})", headers);
  EXPECT_EQ(r.status, 201) << r.body;
  headers["Host"] = "other.lan:" + port;
  EXPECT_EQ(http_request(d.address(), "GET", "/api/v1/agents", "", headers).status, 403);
}

}  // namespace
}  // namespace bosun::e2e
