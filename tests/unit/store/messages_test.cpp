// MessageStore: rows, filters, inbox order, the per-recipient queue and state changes.
#include "store/messages.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.h"
#include "common/test_store.h"
#include "util/ids.h"

namespace bosun {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("bosun-msg-");
    std::filesystem::create_directories(dir_);
    auto s = Store::open(testing::test_store_target(dir_));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  MessageStore& messages() { return store_->messages(); }

  // Inserts a message and returns its id; `at` is its created_at.
  std::string add(const std::string& from, const std::string& to, int64_t at,
                  const std::string& state = "queued", const std::string& type = "mail",
                  std::optional<std::string> task = std::nullopt) {
    Message m;
    m.id = new_id("m_");
    m.sender = from;
    m.recipient = to;
    m.type = type;
    m.subject = "subject " + std::to_string(at);
    m.body = "body of " + m.id;
    m.task_id = std::move(task);
    m.state = state;
    m.created_at_ms = at;
    EXPECT_TRUE(messages().insert(m));
    return m.id;
  }

  std::vector<std::string> ids(const Result<std::vector<Message>>& list) {
    std::vector<std::string> out;
    EXPECT_TRUE(list) << (list ? "" : list.error().message);
    if (list) {
      for (const auto& m : *list)
        out.push_back(m.id);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(MessagesTest, InsertThenGetRoundTripsEveryField) {
  Message m;
  m.id = "m_abcd1234";
  m.sender = "kai";
  m.recipient = "ana";
  m.type = "task";
  m.subject = "Please review — ünïcode";
  m.body = std::string("line one\nline two\0three", 23);
  m.task_id = "t_12345678";
  m.urgent = true;
  m.created_at_ms = 1'800'000'000'123;
  if (testing::test_store_is_postgres()) {
    // PostgreSQL's text holds every byte but NUL: such a body is refused, and nothing stored.
    auto refused = messages().insert(m);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "invalid_text");
    EXPECT_FALSE(messages().get(m.id));
    m.body[17] = '\x01';
  }
  ASSERT_TRUE(messages().insert(m));
  auto got = messages().get("m_abcd1234");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->sender, "kai");
  EXPECT_EQ(got->recipient, "ana");
  EXPECT_EQ(got->type, "task");
  EXPECT_EQ(got->subject, m.subject);
  EXPECT_EQ(got->body, m.body);
  EXPECT_EQ(got->task_id, "t_12345678");
  EXPECT_TRUE(got->urgent);
  EXPECT_EQ(got->state, "queued");
  EXPECT_EQ(got->attempts, 0);
  EXPECT_FALSE(got->error);
  EXPECT_EQ(got->created_at_ms, 1'800'000'000'123);
  EXPECT_FALSE(got->delivered_at_ms || got->acked_at_ms || got->read_at_ms);

  Json j = to_json(*got);
  EXPECT_EQ(j["from"], "kai");
  EXPECT_EQ(j["to"], "ana");
  EXPECT_EQ(j["body_bytes"], 23);
  EXPECT_EQ(j["read"], false);
  EXPECT_EQ(j["created_at"], "2027-01-15T08:00:00.123Z");
  EXPECT_TRUE(j["delivered_at"].is_null());
  EXPECT_FALSE(to_json(*got, false).contains("body"));
}

TEST_F(MessagesTest, MissingIdIsNotFound) {
  auto got = messages().get("m_nothere1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(got.error().code, "message_not_found");
  EXPECT_FALSE(*messages().exists("m_nothere1"));
}

TEST_F(MessagesTest, DuplicateIdIsRefused) {
  Message m;
  m.id = "m_dup00001";
  m.sender = "user";
  m.recipient = "kai";
  m.subject = "x";
  ASSERT_TRUE(messages().insert(m));
  EXPECT_FALSE(messages().insert(m));
  EXPECT_EQ(*messages().count(), 1);
}

TEST_F(MessagesTest, TypesAndStatesAreAClosedSet) {
  for (const char* t :
       {"mail", "task", "status", "done", "blocked", "heartbeat", "reset", "system"}) {
    EXPECT_TRUE(valid_message_type(t)) << t;
  }
  EXPECT_FALSE(valid_message_type("Mail"));
  EXPECT_FALSE(valid_message_type(""));
  for (const char* s : {"queued", "delivered", "acked", "bounced", "failed"}) {
    EXPECT_TRUE(valid_message_state(s)) << s;
  }
  EXPECT_FALSE(valid_message_state("read"));
}

TEST_F(MessagesTest, ListFiltersAndKeepsCreatedOrder) {
  auto a = add("user", "kai", 10, "queued", "mail", "t_1");
  auto b = add("kai", "supervisor", 10, "delivered", "done", "t_1");
  auto c = add("ana", "kai", 11, "bounced", "mail");
  auto d = add("kai", "ana", 12, "queued", "status");
  EXPECT_EQ(ids(messages().list({})), (std::vector<std::string>{a, b, c, d}));
  MessageQuery to_kai;
  to_kai.to = "kai";
  EXPECT_EQ(ids(messages().list(to_kai)), (std::vector<std::string>{a, c}));
  MessageQuery from_kai;
  from_kai.from = "kai";
  EXPECT_EQ(ids(messages().list(from_kai)), (std::vector<std::string>{b, d}));
  MessageQuery by_type;
  by_type.type = "done";
  EXPECT_EQ(ids(messages().list(by_type)), (std::vector<std::string>{b}));
  MessageQuery by_task;
  by_task.task_id = "t_1";
  EXPECT_EQ(ids(messages().list(by_task)), (std::vector<std::string>{a, b}));
  MessageQuery by_state;
  by_state.state = "queued";
  EXPECT_EQ(ids(messages().list(by_state)), (std::vector<std::string>{a, d}));
  MessageQuery party;
  party.party = "ana";
  EXPECT_EQ(ids(messages().list(party)), (std::vector<std::string>{c, d}));
  MessageQuery page;
  page.after = b;
  page.limit = 1;
  EXPECT_EQ(ids(messages().list(page)), (std::vector<std::string>{c}));
  MessageQuery combined;
  combined.to = "kai";
  combined.state = "bounced";
  EXPECT_EQ(ids(messages().list(combined)), (std::vector<std::string>{c}));
}

TEST_F(MessagesTest, InboxIsUnreadFirstThenNewestAndLeavesOutBounced) {
  auto old_read = add("user", "kai", 1);
  auto old_unread = add("ana", "kai", 2);
  auto bounced = add("ana", "kai", 3, "bounced");
  auto new_read = add("user", "kai", 4);
  auto new_unread = add("user", "kai", 5);
  add("user", "ana", 6);
  ASSERT_TRUE(*messages().mark_read(old_read, 7));
  ASSERT_TRUE(*messages().mark_read(new_read, 8));
  EXPECT_EQ(ids(messages().inbox("kai", false, 100)),
            (std::vector<std::string>{new_unread, old_unread, new_read, old_read}));
  EXPECT_EQ(ids(messages().inbox("kai", true, 100)),
            (std::vector<std::string>{new_unread, old_unread}));
  EXPECT_EQ(ids(messages().inbox("kai", false, 1)), (std::vector<std::string>{new_unread}));
  EXPECT_EQ(*messages().count_unread("kai"), 2);
  EXPECT_EQ(*messages().count_unread("nobody"), 0);
  (void)bounced;
}

TEST_F(MessagesTest, QueueIsPerRecipientInCreatedOrder) {
  auto first = add("user", "kai", 5);
  auto second = add("ana", "kai", 5);  // same millisecond: insertion order decides
  auto other = add("user", "ana", 4);
  add("user", "kai", 6, "delivered");
  auto next = messages().next_queued("kai");
  ASSERT_TRUE(next && *next);
  EXPECT_EQ((*next)->id, first);
  EXPECT_EQ(ids(messages().queued("kai")), (std::vector<std::string>{first, second}));
  auto recipients = messages().recipients_with_queued();
  ASSERT_TRUE(recipients);
  EXPECT_EQ(*recipients, (std::vector<std::string>{"kai", "ana"}));
  ASSERT_TRUE(*messages().mark_delivered(first, 9));
  EXPECT_EQ((*messages().next_queued("kai"))->id, second);
  ASSERT_TRUE(*messages().mark_bounced(second, "agent kai has exited"));
  EXPECT_FALSE(*messages().next_queued("kai"));
  EXPECT_EQ((*messages().next_queued("ana"))->id, other);
  EXPECT_FALSE(*messages().next_queued("nobody"));
}

TEST_F(MessagesTest, DeliveredThenAckedWithTimestamps) {
  auto id = add("user", "kai", 1);
  ASSERT_TRUE(*messages().record_attempt(id, std::string("no echo")));
  ASSERT_TRUE(*messages().record_attempt(id, std::nullopt));
  ASSERT_TRUE(*messages().mark_delivered(id, 20));
  EXPECT_FALSE(*messages().mark_delivered(id, 21));  // only from queued
  EXPECT_FALSE(*messages().record_attempt(id, std::nullopt));
  ASSERT_TRUE(*messages().mark_acked(id, 30));
  EXPECT_FALSE(*messages().mark_acked(id, 31));
  auto m = messages().get(id);
  EXPECT_EQ(m->state, "acked");
  EXPECT_EQ(m->attempts, 2);
  EXPECT_FALSE(m->error);  // the last attempt had no trouble
  EXPECT_EQ(m->delivered_at_ms, 20);
  EXPECT_EQ(m->acked_at_ms, 30);
  EXPECT_FALSE(m->read_at_ms);
}

TEST_F(MessagesTest, FailedAndBouncedKeepTheReasonAndStartOnlyFromQueued) {
  auto failing = add("user", "kai", 1);
  ASSERT_TRUE(*messages().mark_failed(failing, "no turn started after 3 attempts"));
  EXPECT_FALSE(*messages().mark_failed(failing, "again"));
  EXPECT_FALSE(*messages().mark_bounced(failing, "late"));
  EXPECT_FALSE(*messages().mark_delivered(failing, 2));
  auto m = messages().get(failing);
  EXPECT_EQ(m->state, "failed");
  EXPECT_EQ(m->error, "no turn started after 3 attempts");

  auto delivered = add("user", "kai", 3, "delivered");
  EXPECT_FALSE(*messages().mark_bounced(delivered, "gone"));
  EXPECT_FALSE(*messages().mark_failed(delivered, "gone"));
  EXPECT_FALSE(*messages().mark_failed("m_missing1", "gone"));
}

TEST_F(MessagesTest, ReadAcksQueuedOrDeliveredOnceAndKeepsFirstReadTime) {
  auto queued = add("user", "kai", 1);
  ASSERT_TRUE(*messages().mark_read(queued, 10));
  auto m = messages().get(queued);
  EXPECT_EQ(m->state, "acked");
  EXPECT_EQ(m->read_at_ms, 10);
  EXPECT_EQ(m->acked_at_ms, 10);
  EXPECT_FALSE(*messages().mark_read(queued, 11));  // nothing left to change
  EXPECT_EQ(messages().get(queued)->read_at_ms, 10);

  auto delivered = add("user", "kai", 2, "delivered");
  ASSERT_TRUE(*messages().mark_read(delivered, 12));
  EXPECT_EQ(messages().get(delivered)->state, "acked");

  auto acked = add("user", "kai", 3, "delivered");
  ASSERT_TRUE(*messages().mark_acked(acked, 13));
  ASSERT_TRUE(*messages().mark_read(acked, 14));
  m = messages().get(acked);
  EXPECT_EQ(m->acked_at_ms, 13);
  EXPECT_EQ(m->read_at_ms, 14);

  auto bounced = add("user", "kai", 4, "bounced");
  ASSERT_TRUE(*messages().mark_read(bounced, 15));
  m = messages().get(bounced);
  EXPECT_EQ(m->state, "bounced");
  EXPECT_FALSE(m->acked_at_ms);
  EXPECT_EQ(m->read_at_ms, 15);
  EXPECT_FALSE(*messages().mark_read("m_missing1", 16));
}

TEST_F(MessagesTest, MessagesSurviveReopeningTheDatabase) {
  auto id = add("user", "kai", 1);
  ASSERT_TRUE(*messages().mark_delivered(id, 2));
  store_.reset();
  auto s = Store::open(testing::test_store_target(dir_));
  ASSERT_TRUE(s) << s.error().message;
  store_ = std::move(*s);
  auto m = messages().get(id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, "delivered");
  EXPECT_EQ(m->delivered_at_ms, 2);
}

}  // namespace
}  // namespace bosun
