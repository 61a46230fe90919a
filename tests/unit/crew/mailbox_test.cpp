// Mailbox: validation, recipients, bounces, notices and the events of every change.
#include "crew/mailbox.h"

#include <gtest/gtest.h>

#include <map>

#include "support/store_fixture.h"

namespace bosun {
namespace {

class FakeAgents : public AgentDirectory {
 public:
  void add(const std::string& id, const std::string& name, bool alive) {
    agents_[id] = AgentPresence{id, name, alive, alive ? "" : "agent " + name + " has exited"};
  }
  Result<AgentPresence> find(const std::string& id_or_name) override {
    for (const auto& [id, a] : agents_) {
      if (id == id_or_name || a.name == id_or_name) return a;
    }
    return not_found("agent_not_found", "no agent " + id_or_name);
  }

 private:
  std::map<std::string, AgentPresence> agents_;
};

class MailboxTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    mailbox_ = std::make_unique<Mailbox>(*store_, *bus_, clock_, agents_);
    agents_.add("ag_kai00001", "kai", true);
    agents_.add("ag_ana00001", "ana", true);
    agents_.add("ag_old00001", "old", false);
  }
  void TearDown() override {
    mailbox_.reset();
    StoreFixture::TearDown();
  }

  MessageDraft draft(const std::string& from, const std::string& to,
                     const std::string& subject = "hello") {
    MessageDraft d;
    d.from = from;
    d.to = to;
    d.subject = subject;
    d.body = "the body";
    return d;
  }
  int64_t stored() { return *store_->messages().count(); }

  FakeAgents agents_;
  std::unique_ptr<Mailbox> mailbox_;
};

TEST_F(MailboxTest, ToALiveAgentByIdIsQueuedUnderItsName) {
  auto m = mailbox_->send(draft("user", "ag_kai00001"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->id.starts_with("m_"));
  EXPECT_EQ(m->id.size(), 10u);
  EXPECT_EQ(m->sender, "user");
  EXPECT_EQ(m->recipient, "kai");
  EXPECT_EQ(m->state, "queued");
  EXPECT_EQ(m->created_at_ms, to_unix_ms(clock_.now()));
  ASSERT_EQ(events_.types(), (std::vector<std::string>{"message.created"}));
  EXPECT_EQ(events_.seen[0].subject, m->id);
  Json data = event_data(events_.seen[0]);
  EXPECT_EQ(data["to"], "kai");
  EXPECT_FALSE(data.contains("body"));  // events stay small
  EXPECT_EQ(store_->messages().get(m->id)->body, "the body");
}

TEST_F(MailboxTest, ToUserOrSupervisorIsDeliveredToTheInbox) {
  for (const char* to : {"user", "supervisor"}) {
    auto m = mailbox_->send(draft("kai", to));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->recipient, to);
    EXPECT_EQ(m->state, "delivered");
    EXPECT_EQ(m->delivered_at_ms, m->created_at_ms);
    EXPECT_EQ(*store_->messages().count_unread(to), 1);
  }
}

TEST_F(MailboxTest, ToAStoppedAgentBouncesAndAnAgentSenderIsTold) {
  auto m = mailbox_->send(draft("kai", "old", "please look"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->state, "bounced");
  EXPECT_EQ(m->error, "agent old has exited");
  EXPECT_EQ(events_.types(),
            (std::vector<std::string>{"message.created", "message.bounced", "message.created"}));
  auto inbox = store_->messages().inbox("kai", false, 10);
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  const Message& notice = inbox->front();
  EXPECT_EQ(notice.sender, "system");
  EXPECT_EQ(notice.type, "system");
  EXPECT_EQ(notice.state, "queued");
  EXPECT_EQ(notice.subject, "bounced: please look (to old: agent old has exited)");
  EXPECT_NE(notice.body.find(m->id), std::string::npos);
  // The recipient's inbox does not hold what bounced.
  EXPECT_TRUE(store_->messages().inbox("old", false, 10)->empty());
}

TEST_F(MailboxTest, AgentsLookedUpBeforehandServeAsTheDirectoryAndNoOthers) {
  // As the messages route does for a mailbox that runs on a store worker: sender and recipient
  // looked up first; the bounce and the notice to the sender come out as with the registry.
  KnownAgents known(agents_, {"kai", "ag_old00001"});
  Mailbox mailbox(*store_, *bus_, clock_, known);
  auto m = mailbox.send(draft("kai", "old", "please look"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->recipient, "old");  // asked for by id, found by name too
  EXPECT_EQ(m->state, "bounced");
  EXPECT_EQ(m->error, "agent old has exited");
  auto inbox = store_->messages().inbox("kai", false, 10);
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->front().state, "queued");  // kai is alive: the notice waits for delivery
  // ana is an agent, but was not looked up: as unknown as an agent that does not exist.
  auto to_ana = mailbox.send(draft("user", "ana"));
  ASSERT_FALSE(to_ana);
  EXPECT_EQ(to_ana.error().code, "recipient_not_found");
  EXPECT_EQ(known.find("ag_kai00001")->name, "kai");
  EXPECT_EQ(known.find("nobody").error().code, "agent_not_found");
}

TEST_F(MailboxTest, AUserSendersBounceIsOnlyStateAndEvent) {
  auto m = mailbox_->send(draft("user", "old"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, "bounced");
  EXPECT_EQ(stored(), 1);
  EXPECT_EQ(events_.types(), (std::vector<std::string>{"message.created", "message.bounced"}));
}

TEST_F(MailboxTest, UnknownRecipientIs404AndStoresNothing) {
  auto m = mailbox_->send(draft("user", "nobody"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(m.error().code, "recipient_not_found");
  EXPECT_EQ(stored(), 0);
  EXPECT_TRUE(events_.seen.empty());
  EXPECT_EQ(*mailbox_->resolve_recipient("ag_ana00001"), "ana");
  EXPECT_EQ(*mailbox_->resolve_recipient("supervisor"), "supervisor");
  EXPECT_FALSE(mailbox_->resolve_recipient("system"));
}

TEST_F(MailboxTest, BadDraftsAreRefusedAndStoreNothing) {
  struct Case {
    const char* what;
    MessageDraft d;
    ErrorKind kind;
  };
  std::vector<Case> cases;
  auto add = [&](const char* what, auto change, ErrorKind kind = ErrorKind::kInvalid) {
    MessageDraft d = draft("user", "kai");
    change(d);
    cases.push_back({what, d, kind});
  };
  add("type", [](MessageDraft& d) { d.type = "gossip"; });
  add("empty subject", [](MessageDraft& d) { d.subject = ""; });
  add("long subject", [](MessageDraft& d) { d.subject = std::string(201, 'x'); });
  add("newline", [](MessageDraft& d) { d.subject = "one\ntwo"; });
  add("carriage return", [](MessageDraft& d) { d.subject = "one\rtwo"; });
  add("escape", [](MessageDraft& d) { d.subject = "red \x1b[31m"; });
  add("C1 CSI", [](MessageDraft& d) {
    d.subject =
        "csi \xc2\x9b"
        "2J";
  });
  add("task id", [](MessageDraft& d) { d.task_id = "t_1; rm -rf"; });
  add(
      "body", [](MessageDraft& d) { d.body = std::string(kMaxBodyBytes + 1, 'b'); },
      ErrorKind::kTooLarge);
  for (auto& c : cases) {
    auto m = mailbox_->send(c.d);
    ASSERT_FALSE(m) << c.what;
    EXPECT_EQ(m.error().kind, c.kind) << c.what;
  }
  EXPECT_EQ(stored(), 0);
  EXPECT_TRUE(events_.seen.empty());
  // The limits themselves are fine.
  MessageDraft ok = draft("user", "kai", std::string(200, 's'));
  ok.body = std::string(kMaxBodyBytes, 'b');
  EXPECT_TRUE(mailbox_->send(ok));
  EXPECT_TRUE(mailbox_->send(draft("user", "kai", "ünïcode is fine — " + std::string(150, 's'))));
}

TEST_F(MailboxTest, DeliveryEngineStateChangesPublishEvents) {
  auto m = mailbox_->send(draft("user", "kai"));
  ASSERT_TRUE(m);
  clock_.advance(Millis(50));
  auto tried = mailbox_->record_attempt(m->id, std::string("composer busy"));
  ASSERT_TRUE(tried);
  EXPECT_EQ(tried->attempts, 1);
  EXPECT_EQ(tried->error, "composer busy");
  auto delivered = mailbox_->mark_delivered(m->id);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->state, "delivered");
  EXPECT_EQ(delivered->delivered_at_ms, m->created_at_ms + 50);
  auto again = mailbox_->mark_delivered(m->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(again.error().code, "message_state");
  auto acked = mailbox_->mark_acked(m->id);
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->state, "acked");
  EXPECT_EQ(events_.types(), (std::vector<std::string>{"message.created", "message.attempt",
                                                       "message.delivered", "message.acked"}));
  auto missing = mailbox_->mark_acked("m_missing1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(MailboxTest, FailedTellsTheSenderButNeverAboutANotice) {
  auto from_agent = mailbox_->send(draft("ana", "kai", "review this"));
  auto from_user = mailbox_->send(draft("user", "kai", "and this"));
  ASSERT_TRUE(from_agent && from_user);
  ASSERT_TRUE(mailbox_->mark_failed(from_agent->id, "no turn started after 3 attempts"));
  ASSERT_TRUE(mailbox_->mark_failed(from_user->id, "no turn started after 3 attempts"));
  auto ana = store_->messages().inbox("ana", false, 10);
  ASSERT_EQ(ana->size(), 1u);
  EXPECT_EQ(ana->front().subject, "failed: review this (to kai: no turn started after 3 attempts)");
  EXPECT_EQ(ana->front().state, "queued");
  auto user = store_->messages().inbox("user", false, 10);
  ASSERT_EQ(user->size(), 1u);
  EXPECT_EQ(user->front().state, "delivered");
  EXPECT_EQ(user->front().sender, "system");
  // A notice that fails is not reported again.
  ASSERT_TRUE(mailbox_->mark_failed(ana->front().id, "still no turn"));
  EXPECT_EQ(*store_->messages().count(), 4);
}

TEST_F(MailboxTest, ReadAcksOnceAndPublishesOnlyChanges) {
  auto m = mailbox_->send(draft("user", "kai"));
  ASSERT_TRUE(m);
  auto read = mailbox_->mark_read(m->id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->state, "acked");
  EXPECT_TRUE(read->read_at_ms);
  auto twice = mailbox_->mark_read(m->id);
  ASSERT_TRUE(twice);
  EXPECT_EQ(events_.types(), (std::vector<std::string>{"message.created", "message.read"}));
  EXPECT_EQ(mailbox_->mark_read("m_missing1").error().kind, ErrorKind::kNotFound);
}

TEST_F(MailboxTest, BounceQueuedReturnsEverythingWaitingForAnAgent) {
  auto one = mailbox_->send(draft("ana", "kai", "one"));
  auto two = mailbox_->send(draft("user", "kai", "two"));
  ASSERT_TRUE(one && two);
  ASSERT_TRUE(mailbox_->mark_delivered(one->id));
  auto three = mailbox_->send(draft("ana", "kai", "three"));
  ASSERT_TRUE(three);
  auto n = mailbox_->bounce_queued("kai", "agent kai was removed");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(store_->messages().get(one->id)->state, "delivered");
  EXPECT_EQ(store_->messages().get(two->id)->state, "bounced");
  EXPECT_EQ(store_->messages().get(three->id)->error, "agent kai was removed");
  EXPECT_EQ(store_->messages().inbox("ana", false, 10)->size(), 1u);  // only ana's is told
  auto single = mailbox_->send(draft("ana", "kai", "four"));
  ASSERT_TRUE(mailbox_->bounce(single->id, "agent kai is stopping"));
  EXPECT_EQ(mailbox_->bounce(single->id, "again").error().kind, ErrorKind::kConflict);
}

TEST(OneLine, ReplacesControlsAndCutsOnACharacterBoundary) {
  EXPECT_EQ(one_line("a\nb\tc\x1b"), "a b c ");
  EXPECT_EQ(one_line("x\xc2\x9by"), "x y");
  EXPECT_EQ(one_line("ééé", 5), "é…");  // 6 bytes into 5: one é and the ellipsis
  EXPECT_EQ(one_line("abcdef", 6), "abcdef");
  EXPECT_EQ(one_line("abcdefg", 6), "abc…");
}

}  // namespace
}  // namespace bosun
