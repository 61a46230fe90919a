// Real terminal programs under agents: vim redraws after a resize, terminal queries are
// answered exactly once (by the daemon), and fifty agents run side by side.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

// Reads terminal frames until `check(screen)` holds for the daemon's screen model.
template <typename Check>
bool screen_until(TestDaemon& d, WsClient& ws, const std::string& agent, Check check,
                  std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Json screen = d.get("/api/v1/agents/" + agent + "/screen").json();
    if (check(screen)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ws.read(left)) return false;  // woken by the next output
  }
}

TEST(TerminalPrograms, VimRedrawsAfterResize) {
  TestDaemon d;
  d.start();
  TempDir dir;
  auto file = dir.path() / "notes.txt";
  std::ofstream(file) << "alpha\nbeta\ngamma\n";
  spawn(d, "vi", Json::array({"vim", "-u", "NONE", "-i", "NONE", "-N", "-n", file.string()}), 80,
        24);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/vi/terminal?from=0", d.auth_header()));
  ASSERT_TRUE(screen_until(d, term, "vi", [](const Json& s) {
    return s["lines"].size() == 24 && s["lines"][0] == "alpha" && s["lines"][22] == "~";
  })) << d.get("/api/v1/agents/vi/screen").body;

  ASSERT_EQ(d.post("/api/v1/agents/vi/resize", Json{{"cols", 100}, {"rows", 40}}).status, 200);
  // vim got SIGWINCH and filled the new rows with its own "~" lines.
  ASSERT_TRUE(screen_until(d, term, "vi", [](const Json& s) {
    return s["rows"] == 40 && s["lines"].size() == 40 && s["lines"][0] == "alpha" &&
           s["lines"][30] == "~" && s["lines"][38] == "~";
  })) << d.get("/api/v1/agents/vi/screen").body;

  // And it still takes commands at the new size.
  ASSERT_TRUE(term.send_text(R"({"type":"input","data":"Goomega\u001b:wq\r"})"));
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (d.get("/api/v1/agents/vi").json()["state"] != "exited" &&
         std::chrono::steady_clock::now() < deadline) {
    if (!term.read(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now())))
      break;  // each frame (output, then the exit status) is the event we wait on
  }
  std::ifstream saved(file);
  std::string text((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "alpha\nbeta\ngamma\nomega\n");
}

// The program asks for the cursor position and the device attributes; each query gets one
// answer, from the daemon's terminal model, while a viewer is attached.
TEST(TerminalPrograms, QueriesAreAnsweredExactlyOnce) {
  TestDaemon d;
  d.start();
  spawn(d, "ask",
        Json::array({"bash", "-c",
                     "printf 'abc\\e[6n'; read -rs -d R r; printf 'cpr=%s\\n' \"${r#*[}\"; "
                     "printf '\\e[c'; read -rs -d c a; printf 'da=%s\\n' \"${a#*[}\"; "
                     "if read -rs -t 1 -n 1 x; then echo answers=more; else echo answers=once; fi; "
                     "exec sleep 1004"}));
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/ask/terminal?from=0", d.auth_header()));
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "answers=")) << seen;
  EXPECT_NE(seen.find("cpr=1;4"), std::string::npos) << seen;
  EXPECT_NE(seen.find("da=?1;2"), std::string::npos) << seen;
  EXPECT_NE(seen.find("answers=once"), std::string::npos) << seen;
}

TEST(TerminalPrograms, FiftyAgentsRunAndStreamAtOnce) {
  TestDaemon d;
  d.start();
  constexpr int kAgents = 50;
  for (int i = 0; i < kAgents; ++i)
    spawn(d, "a" + std::to_string(i), Json::array({"cat"}));
  std::vector<std::unique_ptr<WsClient>> terms;
  for (int i = 0; i < kAgents; ++i) {
    terms.push_back(std::make_unique<WsClient>());
    ASSERT_TRUE(terms.back()->connect(
        d.address(), "/api/v1/agents/a" + std::to_string(i) + "/terminal", d.auth_header()));
    ASSERT_TRUE(terms.back()->read_json());  // status
  }
  for (int i = 0; i < kAgents; ++i) {
    Json input{{"type", "input"}, {"data", "ping-" + std::to_string(i * 7) + "\r"}};
    ASSERT_TRUE(terms[static_cast<size_t>(i)]->send_text(input.dump()));
  }
  for (int i = 0; i < kAgents; ++i) {
    std::string seen;
    // cat's own output after the tty's echo: the line twice.
    std::string line = "ping-" + std::to_string(i * 7) + "\r\n";
    EXPECT_TRUE(terminal_until(*terms[static_cast<size_t>(i)], seen, line + line)) << i << seen;
  }
  auto list = d.get("/api/v1/agents").json()["agents"];
  ASSERT_EQ(list.size(), static_cast<size_t>(kAgents));
  std::set<int64_t> pids;
  for (const auto& a : list) {
    EXPECT_TRUE(is_live(a["state"])) << a.dump();
    pids.insert(a["pid"].get<int64_t>());
  }
  EXPECT_EQ(pids.size(), static_cast<size_t>(kAgents));
  EXPECT_EQ(d.get("/healthz").status, 200);
}

}  // namespace
}  // namespace bosun::e2e
