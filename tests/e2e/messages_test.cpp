// Messages end to end: the mailbox routes, who may speak and read, bounces, restarts, bad input,
// and `bosun mail …` typed into real agents' terminals.
#include <gtest/gtest.h>

#include <regex>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// An agent's terminal: type lines into it and read what it prints.
class Terminal {
 public:
  Terminal(TestDaemon& d, const std::string& agent) : d_(d), agent_(agent) {
    ok_ = ws_.connect(d.address(), "/api/v1/agents/" + agent + "/terminal?from=0", d.auth_header());
  }
  bool ok() const { return ok_; }
  bool type(const std::string& line) {
    return d_.post("/api/v1/agents/" + agent_ + "/input", Json{{"data", line}, {"submit", true}})
               .status == 200;
  }
  // Waits for `needle` in the output since the last call's match.
  bool until(const std::string& needle) {
    bool found = terminal_until(ws_, seen_, needle);
    return found;
  }
  // Waits for a match of `pattern` in the output; returns its first group.
  std::optional<std::string> until_match(const std::string& pattern,
                                         std::chrono::milliseconds timeout = 15s) {
    std::regex re(pattern);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::smatch m;
      if (std::regex_search(seen_, m, re)) return m[1].str();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto frame = ws_.read_json(left);
      if (!frame) return std::nullopt;
      if ((*frame)["type"] == "output") seen_ += (*frame)["data"].get<std::string>();
    }
  }
  const std::string& seen() const { return seen_; }
  void forget() { seen_.clear(); }

 private:
  TestDaemon& d_;
  std::string agent_;
  WsClient ws_;
  std::string seen_;
  bool ok_ = false;
};

// The delivery engine types queued mail into an agent once it is idle (quiet output). These
// agents are never idle, so what is queued for them stays queued while a test looks at it. They
// print their own token first, as they see it in their environment.
const Json kBusy = Json::array({"bash", "--norc", "--noprofile", "-c",
                                "echo \"tok:$BOSUN_TOKEN:end\"; "
                                "while :; do printf .; sleep 0.1; done"});

// Spawns a kBusy agent and returns its own token.
std::string spawn_busy(TestDaemon& d, const std::string& name) {
  spawn(d, name, kBusy);
  Terminal term(d, name);
  EXPECT_TRUE(term.ok());
  auto token = term.until_match("tok:([0-9a-f]{16,}):end");
  EXPECT_TRUE(token) << term.seen();
  return token.value_or("");
}

// Keeps an interactive shell from going idle (a background job writes save/restore-cursor,
// which shows nothing), so the delivery engine does not type into it while the test does.
bool keep_busy(Terminal& term) {
  return term.type("while :; do printf '\\e7\\e8'; sleep 0.1; done &");
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

HttpResult as_agent(TestDaemon& d, const std::string& token, const std::string& method,
                    const std::string& target, const Json& body = nullptr) {
  return http_request(d.address(), method, target, body.is_null() ? "" : body.dump(),
                      bearer(token));
}

Json messages(TestDaemon& d, const std::string& query = "") {
  auto r = d.get("/api/v1/messages" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["messages"];
}

// The `bosun` binary as typed into an agent's shell.
const std::string kBosun = BOSUN_BINARY;

TEST(Messages, UserToAgentIsQueuedFromUser) {
  TestDaemon d;
  d.start();
  spawn_busy(d, "kai");
  Json kai = d.get("/api/v1/agents/kai").json();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = d.post("/api/v1/messages", Json{{"to", kai["id"]},
                                           {"subject", "build the parser"},
                                           {"body", "details\nover two lines"},
                                           {"task_id", "t_ab12cd34"}});
  ASSERT_EQ(r.status, 201) << r.body;
  Json m = r.json();
  std::string id = m["id"];
  EXPECT_TRUE(id.starts_with("m_")) << id;
  EXPECT_EQ(m["from"], "user");
  EXPECT_EQ(m["to"], "kai");  // the id is normalised to the name
  EXPECT_EQ(m["type"], "mail");
  EXPECT_EQ(m["state"], "queued");
  EXPECT_EQ(m["urgent"], false);
  EXPECT_EQ(m["task_id"], "t_ab12cd34");
  auto created = events.wait("message.created", id);
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["data"]["to"], "kai");

  Json stored = d.get("/api/v1/messages/" + id).json();
  EXPECT_EQ(stored["body"], "details\nover two lines");
  EXPECT_EQ(stored["state"], "queued");
  EXPECT_EQ(messages(d, "?to=kai").size(), 1u);
  EXPECT_EQ(messages(d, "?to=" + kai["id"].get<std::string>()).size(), 1u);
  EXPECT_EQ(messages(d, "?from=user&task=t_ab12cd34&state=queued&type=mail").size(), 1u);
  EXPECT_EQ(messages(d, "?from=kai").size(), 0u);
  Json inbox = d.get("/api/v1/agents/kai/inbox?unread=1").json();
  EXPECT_EQ(inbox["owner"], "kai");
  EXPECT_EQ(inbox["unread"], 1);
  ASSERT_EQ(inbox["messages"].size(), 1u);
  EXPECT_FALSE(inbox["messages"][0].contains("body"));
  EXPECT_EQ(d.get("/api/v1/inbox").json()["unread"], 0);  // the user's own inbox is empty
  auto urgent =
      d.post("/api/v1/messages",
             Json{{"to", "supervisor"}, {"subject", "now"}, {"type", "blocked"}, {"urgent", true}});
  ASSERT_EQ(urgent.status, 201) << urgent.body;
  EXPECT_EQ(d.get("/api/v1/messages/" + urgent.json()["id"].get<std::string>()).json()["urgent"],
            true);
}

TEST(Messages, ToAStoppedAgentBouncesAndAnAgentSenderFindsTheBounce) {
  TestDaemon d;
  d.start();
  std::string kai_token = spawn_busy(d, "kai");
  spawn(d, "ana", kBash);
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(d.post("/api/v1/agents/ana/stop", Json{{"grace_ms", 500}}).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", ""));

  auto from_user = d.post("/api/v1/messages", Json{{"to", "ana"}, {"subject", "still there?"}});
  ASSERT_EQ(from_user.status, 201) << from_user.body;
  EXPECT_EQ(from_user.json()["state"], "bounced");
  EXPECT_TRUE(contains(from_user.json()["error"].get<std::string>(), "agent ana has exited"))
      << from_user.body;
  ASSERT_TRUE(events.wait("message.bounced", from_user.json()["id"]));
  EXPECT_EQ(d.get("/api/v1/inbox").json()["messages"].size(), 0u);  // the user is not mailed

  auto from_kai = as_agent(d, kai_token, "POST", "/api/v1/messages",
                           Json{{"to", "ana"}, {"subject", "review my branch"}});
  ASSERT_EQ(from_kai.status, 201) << from_kai.body;
  std::string bounced_id = from_kai.json()["id"];
  EXPECT_EQ(from_kai.json()["from"], "kai");
  EXPECT_EQ(from_kai.json()["state"], "bounced");
  ASSERT_TRUE(events.wait("message.bounced", bounced_id));

  auto inbox = as_agent(d, kai_token, "GET", "/api/v1/inbox");
  ASSERT_EQ(inbox.status, 200) << inbox.body;
  ASSERT_EQ(inbox.json()["messages"].size(), 1u) << inbox.body;
  Json notice = inbox.json()["messages"][0];
  EXPECT_EQ(notice["from"], "system");
  EXPECT_EQ(notice["type"], "system");
  EXPECT_TRUE(contains(notice["subject"].get<std::string>(), "bounced: review my branch"))
      << notice;
  Json full =
      as_agent(d, kai_token, "GET", "/api/v1/messages/" + notice["id"].get<std::string>()).json();
  EXPECT_TRUE(contains(full["body"].get<std::string>(), bounced_id)) << full;
  EXPECT_TRUE(d.get("/api/v1/agents/ana/inbox").json()["messages"].empty());
}

TEST(Messages, AnAgentSpeaksOnlyAsItselfAndReadsOnlyItsOwnMail) {
  TestDaemon d;
  d.start();
  std::string token = spawn_busy(d, "kai");
  spawn_busy(d, "ana");

  auto spoof = as_agent(d, token, "POST", "/api/v1/messages",
                        Json{{"to", "ana"}, {"subject", "from ana, honest"}, {"from", "ana"}});
  EXPECT_EQ(spoof.status, 400) << spoof.body;
  EXPECT_TRUE(contains(spoof.body, "from")) << spoof.body;
  EXPECT_TRUE(messages(d).empty());
  auto heartbeat = as_agent(d, token, "POST", "/api/v1/messages",
                            Json{{"to", "ana"}, {"subject", "wake up"}, {"type", "heartbeat"}});
  EXPECT_EQ(heartbeat.status, 403) << heartbeat.body;

  auto sent =
      as_agent(d, token, "POST", "/api/v1/messages", Json{{"to", "ana"}, {"subject", "hello ana"}});
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_EQ(sent.json()["from"], "kai");
  auto to_ana = d.post("/api/v1/messages", Json{{"to", "ana"}, {"subject", "private"}});
  std::string private_id = to_ana.json()["id"];
  auto to_kai = d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", "for kai"}});
  std::string kai_id = to_kai.json()["id"];

  EXPECT_EQ(as_agent(d, token, "GET", "/api/v1/agents/ana/inbox").status, 403);
  EXPECT_EQ(as_agent(d, token, "GET", "/api/v1/messages/" + private_id).status, 403);
  EXPECT_EQ(as_agent(d, token, "POST", "/api/v1/messages/" + private_id + "/read").status, 403);
  EXPECT_EQ(d.get("/api/v1/messages/" + private_id).json()["read"], false);
  // Its own: the inbox by name, the message it sent, the one it received.
  auto own = as_agent(d, token, "GET", "/api/v1/agents/kai/inbox");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json()["messages"].size(), 1u);
  EXPECT_EQ(
      as_agent(d, token, "GET", "/api/v1/messages/" + sent.json()["id"].get<std::string>()).status,
      200);
  // The sender may look at it, but only the recipient marks it read.
  auto not_mine = as_agent(d, token, "POST",
                           "/api/v1/messages/" + sent.json()["id"].get<std::string>() + "/read");
  EXPECT_EQ(not_mine.status, 403);
  EXPECT_TRUE(contains(not_mine.body, "not_recipient")) << not_mine.body;
  auto read = as_agent(d, token, "POST", "/api/v1/messages/" + kai_id + "/read");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["state"], "acked");
  EXPECT_EQ(read.json()["read"], true);
  // Its list holds only what it sent or received, whatever the filter says.
  auto list = as_agent(d, token, "GET", "/api/v1/messages");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["messages"].size(), 2u) << list.body;
  EXPECT_EQ(as_agent(d, token, "GET", "/api/v1/messages?to=ana").json()["messages"].size(), 1u);
  EXPECT_EQ(messages(d).size(), 3u);
  // The user reads any agent's inbox.
  EXPECT_EQ(d.get("/api/v1/agents/ana/inbox").json()["messages"].size(), 2u);
}

TEST(Messages, MailCommandsWorkInsideAgentsWithNoFlags) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash, 200, 40);
  spawn(d, "ana", kBash, 200, 40);
  Terminal kai(d, "kai");
  Terminal ana(d, "ana");
  ASSERT_TRUE(kai.ok() && ana.ok());
  ASSERT_TRUE(keep_busy(ana));  // mail for ana stays queued until the test reads it
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());

  // send, with the body as an argument and from stdin.
  ASSERT_TRUE(kai.type(kBosun + " mail send ana 'please review' 'the parser, in src/parse'; "
                                "echo \"rc=$?\""));
  auto created = events.wait("message.created", "");
  ASSERT_TRUE(created) << kai.seen();
  ASSERT_TRUE(kai.until("rc=0")) << kai.seen();
  EXPECT_TRUE(contains(kai.seen(), "sent m_")) << kai.seen();
  std::string id = (*created)["subject"];
  Json m = d.get("/api/v1/messages/" + id).json();
  EXPECT_EQ(m["from"], "kai");
  EXPECT_EQ(m["to"], "ana");
  EXPECT_EQ(m["body"], "the parser, in src/parse");
  EXPECT_EQ(m["state"], "queued");
  kai.forget();
  ASSERT_TRUE(kai.type("printf 'line one\\nline two\\n' | " + kBosun +
                       " mail send ana 'from stdin' -; echo \"rc=$?\""));
  auto piped = events.wait("message.created", "");
  ASSERT_TRUE(piped);
  ASSERT_TRUE(kai.until("rc=0")) << kai.seen();
  EXPECT_EQ(d.get("/api/v1/messages/" + (*piped)["subject"].get<std::string>()).json()["body"],
            "line one\nline two\n");

  // inbox, then read: the body is printed and the message is acked.
  ASSERT_TRUE(ana.type(kBosun + " mail inbox --unread; echo \"rc=$?\""));
  ASSERT_TRUE(ana.until("rc=0")) << ana.seen();
  EXPECT_TRUE(contains(ana.seen(), "inbox of ana: 2 unread")) << ana.seen();
  EXPECT_TRUE(contains(ana.seen(), "please review")) << ana.seen();
  EXPECT_TRUE(contains(ana.seen(), id)) << ana.seen();
  ana.forget();
  ASSERT_TRUE(ana.type(kBosun + " mail read " + id + "; echo \"rc=$?\""));
  ASSERT_TRUE(events.wait("message.read", id));
  ASSERT_TRUE(ana.until("rc=0")) << ana.seen();
  EXPECT_TRUE(contains(ana.seen(), "the parser, in src/parse")) << ana.seen();
  EXPECT_TRUE(contains(ana.seen(), "from:    kai")) << ana.seen();
  m = d.get("/api/v1/messages/" + id).json();
  EXPECT_EQ(m["state"], "acked");
  EXPECT_EQ(m["read"], true);

  // done / status / blocked go to the supervisor, with the task from --task or BOSUN_TASK.
  ana.forget();
  ASSERT_TRUE(ana.type(kBosun + " mail done 'parser reviewed, two nits' --task t_review01; "
                                "echo \"rc=$?\""));
  auto done = events.wait("message.created", "");
  ASSERT_TRUE(done);
  ASSERT_TRUE(ana.until("rc=0")) << ana.seen();
  Json done_data = (*done)["data"];
  EXPECT_EQ(done_data["from"], "ana");
  EXPECT_EQ(done_data["to"], "supervisor");
  EXPECT_EQ(done_data["type"], "done");
  EXPECT_EQ(done_data["subject"], "parser reviewed, two nits");
  EXPECT_EQ(done_data["task_id"], "t_review01");
  EXPECT_EQ(done_data["state"], "delivered");
  ana.forget();
  ASSERT_TRUE(ana.type("BOSUN_TASK=t_env00001 " + kBosun +
                       " mail status 'Starting task t_env00001'; echo \"rc=$?\""));
  auto status = events.wait("message.created", "");
  ASSERT_TRUE(status);
  ASSERT_TRUE(ana.until("rc=0")) << ana.seen();
  EXPECT_EQ((*status)["data"]["type"], "status");
  EXPECT_EQ((*status)["data"]["task_id"], "t_env00001");
  ana.forget();
  ASSERT_TRUE(ana.type(kBosun + " mail blocked \"$(printf 'need the API key\\nasked twice')\"; "
                                "echo \"rc=$?\""));
  auto blocked = events.wait("message.created", "");
  ASSERT_TRUE(blocked);
  ASSERT_TRUE(ana.until("rc=0")) << ana.seen();
  Json b = d.get("/api/v1/messages/" + (*blocked)["subject"].get<std::string>()).json();
  EXPECT_EQ(b["type"], "blocked");
  EXPECT_EQ(b["from"], "ana");
  EXPECT_EQ(b["subject"], "need the API key");  // the first line; the rest is in the body
  EXPECT_EQ(b["body"], "need the API key\nasked twice");
  EXPECT_TRUE(b["task_id"].is_null());

  EXPECT_EQ(messages(d, "?to=supervisor").size(), 3u);
  EXPECT_EQ(messages(d, "?from=ana").size(), 3u);

  // A refusal inside an agent: exit 3 (no such recipient) and "bosun: …".
  kai.forget();
  ASSERT_TRUE(kai.type(kBosun + " mail send nobody hi; echo \"rc=$?\""));
  ASSERT_TRUE(kai.until("rc=3")) << kai.seen();
  EXPECT_TRUE(contains(kai.seen(), "bosun: no recipient 'nobody'")) << kai.seen();
}

TEST(Messages, SurviveADaemonRestart) {
  TestDaemon d;
  d.start();
  std::string token = spawn_busy(d, "kai");
  auto queued =
      d.post("/api/v1/messages",
             Json{{"to", "kai"}, {"subject", "waiting"}, {"body", std::string(1000, 'w')}});
  auto to_supervisor = d.post(
      "/api/v1/messages", Json{{"to", "supervisor"}, {"subject", "status"}, {"type", "status"}});
  auto to_user = d.post("/api/v1/messages", Json{{"to", "user"}, {"subject", "note to self"}});
  ASSERT_EQ(queued.status, 201);
  ASSERT_EQ(to_supervisor.status, 201);
  ASSERT_EQ(to_user.status, 201);
  std::string user_id = to_user.json()["id"];
  ASSERT_EQ(d.post("/api/v1/messages/" + user_id + "/read", Json::object()).status, 200);
  Json before = messages(d);
  std::string first_address = d.address();

  ASSERT_EQ(d.stop(), 0);
  d.start();
  Json after = messages(d);
  ASSERT_EQ(after.size(), 3u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i]["id"], before[i]["id"]);
    EXPECT_EQ(after[i]["state"], before[i]["state"]);
    EXPECT_EQ(after[i]["read_at"], before[i]["read_at"]);
  }
  Json m = d.get("/api/v1/messages/" + queued.json()["id"].get<std::string>()).json();
  EXPECT_EQ(m["state"], "queued");
  EXPECT_EQ(m["body"], std::string(1000, 'w'));
  EXPECT_EQ(d.get("/api/v1/agents/kai/inbox").json()["unread"], 1);
  auto inbox = d.cli({"mail", "inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_TRUE(contains(inbox.out, "inbox of user: 0 unread")) << inbox.out;
  EXPECT_TRUE(contains(inbox.out, "note to self")) << inbox.out;
  // The agent's own token (its run goes on) still reads its inbox, on the same address: a
  // restarted daemon listens on its last port again, so BOSUN_URL inside the agent holds.
  EXPECT_EQ(d.address(), first_address);
  auto kai_inbox = as_agent(d, token, "GET", "/api/v1/inbox");
  ASSERT_EQ(kai_inbox.status, 200) << kai_inbox.body;
  EXPECT_EQ(kai_inbox.json()["owner"], "kai");
  EXPECT_EQ(kai_inbox.json()["messages"][0]["subject"], "waiting");
}

TEST(Messages, BadInputIs4xxAndStoresNothing) {
  TestDaemon d;
  d.start();
  spawn_busy(d, "kai");
  auto raw = [&](const std::string& body) {
    return http_request(d.address(), "POST", "/api/v1/messages", body, d.auth_header());
  };
  auto code = [](const HttpResult& r) { return r.json()["error"]["code"]; };
  auto r = raw("{\"to\": \"kai\", \"subject\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_json");
  EXPECT_EQ(raw("[1, 2]").status, 400);
  for (const Json& body :
       {Json{{"to", 5}, {"subject", "x"}}, Json{{"to", "kai"}, {"subject", Json::array()}},
        Json{{"to", "kai"}, {"subject", "x"}, {"body", 1}},
        Json{{"to", "kai"}, {"subject", "x"}, {"urgent", "yes"}},
        Json{{"to", "kai"}, {"subject", "x"}, {"task_id", 7}},
        Json{{"to", "kai"}, {"subject", "x"}, {"type", true}}}) {
    r = d.post("/api/v1/messages", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(code(r), "invalid_field") << r.body;
  }
  EXPECT_EQ(code(d.post("/api/v1/messages", Json{{"to", "kai"}})), "missing_field");
  EXPECT_EQ(code(d.post("/api/v1/messages", Json{{"subject", "x"}})), "missing_field");
  EXPECT_EQ(d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", "two\nlines"}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", "bell\x07"}}).status, 400);
  EXPECT_EQ(
      d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", std::string(201, 's')}}).status,
      400);
  EXPECT_EQ(d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", ""}}).status, 400);
  EXPECT_EQ(
      d.post("/api/v1/messages", Json{{"to", "kai"}, {"subject", "x"}, {"type", "gossip"}}).status,
      400);
  r = d.post("/api/v1/messages",
             Json{{"to", "kai"}, {"subject", "big"}, {"body", std::string(256 * 1024 + 1, 'b')}});
  EXPECT_EQ(r.status, 413) << r.body;
  r = d.post("/api/v1/messages", Json{{"to", "nobody"}, {"subject", "x"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code(r), "recipient_not_found");
  EXPECT_EQ(
      d.post("/api/v1/messages", Json{{"to", "user"}, {"subject", "x"}, {"from", "kai"}}).status,
      400);

  EXPECT_EQ(d.get("/api/v1/messages/m_nothere1").status, 404);
  EXPECT_EQ(code(d.get("/api/v1/messages/m_nothere1")), "message_not_found");
  EXPECT_EQ(d.post("/api/v1/messages/m_nothere1/read", Json::object()).status, 404);
  EXPECT_EQ(d.get("/api/v1/agents/nobody/inbox").status, 404);
  for (const char* q :
       {"?type=gossip", "?state=read", "?limit=0", "?limit=x", "?after=m_nothere1"}) {
    EXPECT_EQ(d.get(std::string("/api/v1/messages") + q).status, 400) << q;
  }
  EXPECT_EQ(d.get("/api/v1/inbox?unread=maybe").status, 400);
  EXPECT_EQ(d.get("/api/v1/messages/m_x/read").status, 405);

  EXPECT_TRUE(messages(d).empty());
  auto events = d.get("/api/v1/events?since=0&limit=1000").json()["events"];
  for (const auto& e : events) {
    EXPECT_FALSE(contains(e["type"].get<std::string>(), "message.")) << e;
  }
  // The limits themselves are accepted.
  r = d.post("/api/v1/messages", Json{{"to", "kai"},
                                      {"subject", std::string(200, 's')},
                                      {"body", std::string(256 * 1024, 'b')}});
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST(Messages, MailCommandsWorkForThePerson) {
  TestDaemon d;
  d.start();
  spawn_busy(d, "kai");
  auto sent =
      d.cli({"mail", "send", "kai", "from the user", "-", "--task", "t_cli00001"}, "piped body\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(contains(sent.out, "sent m_")) << sent.out;
  EXPECT_TRUE(contains(sent.out, "to kai (queued)")) << sent.out;
  Json list = messages(d, "?to=kai");
  ASSERT_EQ(list.size(), 1u);
  std::string id = list[0]["id"];
  EXPECT_EQ(list[0]["task_id"], "t_cli00001");

  auto listed = d.cli({"mail", "list", "--to", "kai"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, id)) << listed.out;
  EXPECT_TRUE(contains(listed.out, "from the user")) << listed.out;
  auto json = d.cli({"mail", "list", "--json", "--state", "queued"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(Json::parse(json.out).size(), 1u);

  // The user reading an agent's message sees it without marking it read for the agent.
  auto read = d.cli({"mail", "read", id});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(contains(read.out, "piped body")) << read.out;
  EXPECT_EQ(d.get("/api/v1/messages/" + id).json()["state"], "queued");

  // Mail to the user: the inbox, then read marks it.
  ASSERT_EQ(d.post("/api/v1/messages", Json{{"to", "user"}, {"subject", "hi user"}}).status, 201);
  auto inbox = d.cli({"mail", "inbox", "--json"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  Json box = Json::parse(inbox.out);
  EXPECT_EQ(box["owner"], "user");
  EXPECT_EQ(box["unread"], 1);
  std::string mine = box["messages"][0]["id"];
  auto read_mine = d.cli({"mail", "read", mine, "--json"});
  ASSERT_EQ(read_mine.exit_code, 0) << read_mine.err;
  EXPECT_EQ(Json::parse(read_mine.out)["read"], true);
  EXPECT_TRUE(contains(d.cli({"mail", "inbox", "--unread"}).out, "0 unread"));

  // A bounce exits 4 (conflict), an unknown message 3 (not found); usage errors exit 2.
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json{{"grace_ms", 500}}).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", ""));
  auto bounced = d.cli({"mail", "send", "kai", "too late"});
  EXPECT_EQ(bounced.exit_code, 4);
  EXPECT_TRUE(contains(bounced.err, "bounced")) << bounced.err;
  auto unknown = d.cli({"mail", "read", "m_nothere1"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_TRUE(contains(unknown.err, "bosun: no message m_nothere1")) << unknown.err;
  EXPECT_EQ(d.cli({"mail", "send", "kai"}).exit_code, 2);
  EXPECT_EQ(d.cli({"mail"}).exit_code, 2);
}

}  // namespace
}  // namespace bosun::e2e
