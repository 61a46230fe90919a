// TaskStore: transitions, readiness, cycles (named in the error), claims, deletes, history.
#include "store/tasks.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.h"
#include "common/test_store.h"
#include "util/ids.h"

namespace bosun {
namespace {

using S = TaskStatus;

class TaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("bosun-tasks-");
    std::filesystem::create_directories(dir_);
    auto s = Store::open(testing::test_store_target(dir_));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    AgentRecord kai;
    kai.id = "ag_kai00000";
    kai.name = "kai";
    kai.created_at_ms = 1;
    ASSERT_TRUE(store_->agents().insert(kai));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  TaskStore& tasks() { return store_->tasks(); }

  // Creates a task and returns its id (asserting success).
  std::string add(const std::string& title, std::vector<std::string> deps = {},
                  std::optional<std::string> parent = std::nullopt) {
    NewTask n;
    n.title = title;
    n.depends_on = std::move(deps);
    n.parent_id = std::move(parent);
    auto t = tasks().create(n, "user", now_++);
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? t->id : "";
  }

  Result<std::vector<FieldChange>> set_status(const std::string& id, S status, bool checked = false,
                                              const std::string& reason = "") {
    TaskChange c;
    c.status = status;
    c.checked = checked;
    c.reason = reason;
    return tasks().update(id, c, "user", now_++);
  }

  Status assign(const std::string& id, const std::string& agent = "ag_kai00000") {
    TaskChange c;
    c.assignee = std::optional<std::string>(agent);
    auto r = tasks().update(id, c, "user", now_++);
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  // Drives a task through assigned → in_progress → review → done.
  void finish(const std::string& id) {
    ASSERT_TRUE(assign(id));
    ASSERT_TRUE(set_status(id, S::kInProgress));
    ASSERT_TRUE(set_status(id, S::kReview));
    ASSERT_TRUE(set_status(id, S::kDone, true));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  int64_t now_ = 1'000'000;
};

TEST(TaskStatusNames, RoundTripAndPriorities) {
  for (auto s : {S::kBacklog, S::kPending, S::kAssigned, S::kInProgress, S::kReview, S::kDone,
                 S::kBlocked, S::kFailed, S::kCancelled}) {
    EXPECT_EQ(parse_task_status(to_string(s)), s);
  }
  EXPECT_FALSE(parse_task_status("finished"));
  EXPECT_EQ(parse_priority("urgent"), 0);
  EXPECT_EQ(parse_priority("high"), 1);
  EXPECT_EQ(parse_priority("normal"), 2);
  EXPECT_EQ(parse_priority("low"), 3);
  EXPECT_EQ(parse_priority("4"), 4);
  EXPECT_FALSE(parse_priority("5"));
  EXPECT_FALSE(parse_priority("whenever"));
}

TEST(TaskTransitions, TableMatchesTheDesign) {
  // The happy path.
  EXPECT_TRUE(task_transition_allowed(S::kBacklog, S::kPending));
  EXPECT_TRUE(task_transition_allowed(S::kPending, S::kAssigned));
  EXPECT_TRUE(task_transition_allowed(S::kAssigned, S::kInProgress));
  EXPECT_TRUE(task_transition_allowed(S::kInProgress, S::kReview));
  EXPECT_TRUE(task_transition_allowed(S::kReview, S::kDone));
  // Side tracks.
  EXPECT_TRUE(task_transition_allowed(S::kInProgress, S::kBlocked));
  EXPECT_TRUE(task_transition_allowed(S::kBlocked, S::kInProgress));
  EXPECT_TRUE(task_transition_allowed(S::kReview, S::kInProgress));
  EXPECT_TRUE(task_transition_allowed(S::kFailed, S::kPending));
  EXPECT_TRUE(task_transition_allowed(S::kCancelled, S::kBacklog));
  // Refused: skipping review, leaving done, staying put.
  EXPECT_FALSE(task_transition_allowed(S::kInProgress, S::kDone));
  EXPECT_FALSE(task_transition_allowed(S::kPending, S::kDone));
  EXPECT_FALSE(task_transition_allowed(S::kPending, S::kInProgress));
  EXPECT_FALSE(task_transition_allowed(S::kBacklog, S::kAssigned));
  for (auto to : {S::kBacklog, S::kPending, S::kAssigned, S::kInProgress, S::kReview, S::kBlocked,
                  S::kFailed, S::kCancelled}) {
    EXPECT_FALSE(task_transition_allowed(S::kDone, to)) << to_string(to);
  }
  EXPECT_FALSE(task_transition_allowed(S::kReview, S::kReview));
}

TEST_F(TaskStoreTest, CreateStoresFieldsAndFirstHistoryRow) {
  NewTask n;
  n.title = "Write the parser";
  n.description = "all of it";
  n.role = "backend";
  n.priority = 1;
  n.project_id = "pr_demo";
  auto t = tasks().create(n, "user", 42);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->id.rfind("t_", 0), 0u);
  EXPECT_EQ(t->id.size(), 10u);
  EXPECT_EQ(t->status, S::kPending);
  EXPECT_EQ(t->priority, 1);
  EXPECT_EQ(t->role, "backend");
  EXPECT_EQ(t->project_id, "pr_demo");
  EXPECT_TRUE(t->ready);
  EXPECT_EQ(t->created_at_ms, 42);
  auto h = tasks().history(t->id);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].field, "status");
  EXPECT_FALSE((*h)[0].from);
  EXPECT_EQ((*h)[0].to, "pending");
  EXPECT_EQ((*h)[0].actor, "user");
  EXPECT_EQ((*h)[0].reason, "created");
}

TEST_F(TaskStoreTest, CreateValidatesAndWritesNothingOnError) {
  NewTask n;
  n.title = std::string(kMaxTaskTitle + 1, 'x');
  auto r = tasks().create(n, "user", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(r.error().message.find("title"), std::string::npos);
  n.title = "   ";
  EXPECT_EQ(tasks().create(n, "user", 1).error().kind, ErrorKind::kInvalid);
  n.title = "ok";
  n.priority = 5;
  EXPECT_EQ(tasks().create(n, "user", 1).error().kind, ErrorKind::kInvalid);
  n.priority = 2;
  n.description = std::string(kMaxTaskDescription + 1, 'd');
  EXPECT_EQ(tasks().create(n, "user", 1).error().kind, ErrorKind::kInvalid);
  n.description.clear();
  n.role = "no spaces please";
  EXPECT_EQ(tasks().create(n, "user", 1).error().kind, ErrorKind::kInvalid);
  n.role.clear();
  n.depends_on = {"t_missing0"};
  auto missing = tasks().create(n, "user", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("t_missing0"), std::string::npos);
  n.depends_on.clear();
  n.parent_id = "t_nothere0";
  EXPECT_EQ(tasks().create(n, "user", 1).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(*tasks().count(), 0);
}

TEST_F(TaskStoreTest, AssigneeAtCreationMakesItAssignedAndStarted) {
  NewTask n;
  n.title = "given away";
  n.assignee = "ag_kai00000";
  auto t = tasks().create(n, "user", 7);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->status, S::kAssigned);
  EXPECT_EQ(t->assignee_name, "kai");
  EXPECT_EQ(t->started_at_ms, 7);
  EXPECT_FALSE(t->ready);
}

TEST_F(TaskStoreTest, RefusedTransitionNamesBothStatesAndChangesNothing) {
  auto id = add("a");
  auto r = set_status(id, S::kDone);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(r.error().code, "invalid_transition");
  EXPECT_NE(r.error().message.find("pending"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("done"), std::string::npos) << r.error().message;
  EXPECT_EQ(tasks().find(id)->status, S::kPending);
  EXPECT_EQ(tasks().history(id)->size(), 1u);
}

TEST_F(TaskStoreTest, DoneOnlyWhenChecked) {
  auto id = add("a");
  ASSERT_TRUE(assign(id));
  ASSERT_TRUE(set_status(id, S::kInProgress));
  ASSERT_TRUE(set_status(id, S::kReview));
  auto unchecked = set_status(id, S::kDone);
  ASSERT_FALSE(unchecked);
  EXPECT_EQ(unchecked.error().kind, ErrorKind::kConflict);
  EXPECT_NE(unchecked.error().message.find("from review to done"), std::string::npos);
  ASSERT_TRUE(set_status(id, S::kDone, true, "checked"));
  auto t = tasks().find(id);
  EXPECT_EQ(t->status, S::kDone);
  EXPECT_TRUE(t->done_at_ms);
}

TEST_F(TaskStoreTest, AssigningAndUnassigningMoveStatusAndStartedAt) {
  auto id = add("a");
  ASSERT_TRUE(assign(id));
  auto t = tasks().find(id);
  EXPECT_EQ(t->status, S::kAssigned);
  EXPECT_EQ(t->assignee, "ag_kai00000");
  ASSERT_TRUE(t->started_at_ms);
  int64_t started = *t->started_at_ms;
  // Back to pending drops the assignee; the first start time stays.
  ASSERT_TRUE(set_status(id, S::kPending, false, "not now"));
  t = tasks().find(id);
  EXPECT_EQ(t->status, S::kPending);
  EXPECT_FALSE(t->assignee);
  EXPECT_EQ(t->started_at_ms, started);
  // in_progress needs an assignee.
  ASSERT_TRUE(set_status(id, S::kBlocked));
  auto r = set_status(id, S::kInProgress);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "no_assignee");
}

TEST_F(TaskStoreTest, HistoryHasOneRowPerChangedFieldWithActorAndReason) {
  auto id = add("old title");
  TaskChange c;
  c.title = "new title";
  c.priority = 0;
  c.assignee = std::optional<std::string>("ag_kai00000");
  c.reason = "kai knows this code";
  auto changes = tasks().update(id, c, "ag_boss0000", 5);
  ASSERT_TRUE(changes) << changes.error().message;
  ASSERT_EQ(changes->size(), 4u);  // status, assignee, priority, title
  auto h = tasks().history(id);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 5u);
  std::map<std::string, TaskHistoryEntry> by_field;
  for (size_t i = 1; i < h->size(); ++i)
    by_field[(*h)[i].field] = (*h)[i];
  EXPECT_EQ(by_field["status"].from, "pending");
  EXPECT_EQ(by_field["status"].to, "assigned");
  EXPECT_EQ(by_field["assignee"].to, "ag_kai00000");
  EXPECT_EQ(by_field["priority"].from, "2");
  EXPECT_EQ(by_field["priority"].to, "0");
  EXPECT_EQ(by_field["title"].from, "old title");
  EXPECT_EQ(by_field["title"].to, "new title");
  for (const auto& [field, row] : by_field) {
    EXPECT_EQ(row.actor, "ag_boss0000") << field;
    EXPECT_EQ(row.reason, "kai knows this code") << field;
    EXPECT_EQ(row.at_ms, 5) << field;
  }
  // The same change again changes nothing and writes nothing.
  auto again = tasks().update(id, c, "user", 6);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(tasks().history(id)->size(), 5u);
}

TEST_F(TaskStoreTest, ReadyWhenPendingAndEveryDependencyDone) {
  auto a = add("a");
  auto b = add("b");
  auto c = add("c", {a, b});
  EXPECT_FALSE(tasks().find(c)->ready);
  auto ready = tasks().ready({}, 100);
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->size(), 2u);
  finish(a);
  EXPECT_FALSE(tasks().find(c)->ready);
  finish(b);
  EXPECT_TRUE(tasks().find(c)->ready);
  ready = tasks().ready({}, 100);
  ASSERT_EQ(ready->size(), 1u);
  EXPECT_EQ((*ready)[0].id, c);
  EXPECT_EQ((*ready)[0].depends_on, (std::vector<std::string>{std::min(a, b), std::max(a, b)}));
  // Backlog is not ready.
  ASSERT_TRUE(set_status(c, S::kBacklog));
  EXPECT_FALSE(tasks().find(c)->ready);
  EXPECT_TRUE(tasks().ready({}, 100)->empty());
}

// Readiness is kept on the row: it follows a dependency added, removed, or finished.
TEST_F(TaskStoreTest, ReadinessFollowsEveryChangeOfTheDependencies) {
  auto a = add("a");
  auto b = add("b");
  auto c = add("c", {a});
  EXPECT_FALSE(tasks().find(c)->ready);
  TaskChange deps;
  deps.depends_on = std::vector<std::string>{};
  ASSERT_TRUE(tasks().update(c, deps, "user", now_++));
  EXPECT_TRUE(tasks().find(c)->ready);
  deps.depends_on = std::vector<std::string>{a, b};
  ASSERT_TRUE(tasks().update(c, deps, "user", now_++));
  EXPECT_FALSE(tasks().find(c)->ready);
  finish(b);
  EXPECT_FALSE(tasks().find(c)->ready);
  deps.depends_on = std::vector<std::string>{b};  // a removed: only the finished b is left
  ASSERT_TRUE(tasks().update(c, deps, "user", now_++));
  EXPECT_TRUE(tasks().find(c)->ready);
  auto claimed = tasks().claim(c, "ag_kai00000", "user", now_++, "");
  ASSERT_TRUE(claimed) << claimed.error().message;
  // A task added on a finished task is ready; on a pending one it waits, and is not claimed.
  auto d = add("d", {b});
  EXPECT_TRUE(tasks().find(d)->ready);
  auto e = add("e", {a});
  auto refused = tasks().claim(e, "ag_kai00000", "user", now_++, "");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "task_not_ready");
}

TEST_F(TaskStoreTest, ReadyOrdersByPriorityAndFiltersByRole) {
  NewTask n;
  n.title = "low";
  n.priority = 3;
  n.role = "qa";
  ASSERT_TRUE(tasks().create(n, "user", 1));
  n.title = "urgent";
  n.priority = 0;
  n.role = "backend";
  ASSERT_TRUE(tasks().create(n, "user", 2));
  n.title = "anyone";
  n.priority = 2;
  n.role = "";
  ASSERT_TRUE(tasks().create(n, "user", 3));
  auto all = tasks().ready({}, 100);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].title, "urgent");
  EXPECT_EQ((*all)[1].title, "anyone");
  EXPECT_EQ((*all)[2].title, "low");
  std::vector<std::string> roles{"qa"};
  auto qa = tasks().ready(roles, 100);
  ASSERT_EQ(qa->size(), 2u);
  EXPECT_EQ((*qa)[0].title, "anyone");
  EXPECT_EQ((*qa)[1].title, "low");
  roles = {"qa", "backend"};
  auto both = tasks().ready(roles, 100);
  ASSERT_EQ(both->size(), 3u);
  EXPECT_EQ((*both)[0].title, "urgent");
  roles = {"docs"};
  auto docs = tasks().ready(roles, 100);
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].title, "anyone");
}

TEST_F(TaskStoreTest, CyclesAreRefusedWithTheCycleInTheMessage) {
  auto a = add("a");
  auto b = add("b", {a});
  auto c = add("c", {b});
  TaskChange self;
  self.depends_on = std::vector<std::string>{a};
  auto r = tasks().update(a, self, "user", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kUnprocessable);
  EXPECT_EQ(r.error().code, "dependency_cycle");
  EXPECT_NE(r.error().message.find(a + " → " + a), std::string::npos) << r.error().message;

  TaskChange two;
  two.depends_on = std::vector<std::string>{b};
  r = tasks().update(a, two, "user", 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(a + " → " + b + " → " + a), std::string::npos)
      << r.error().message;

  TaskChange three;
  three.depends_on = std::vector<std::string>{c};
  r = tasks().update(a, three, "user", 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(a + " → " + c + " → " + b + " → " + a), std::string::npos)
      << r.error().message;
  // Nothing changed.
  EXPECT_TRUE(tasks().find(a)->depends_on.empty());
  auto cycle = tasks().find_cycle(c, {a});
  ASSERT_TRUE(cycle);
  EXPECT_FALSE(*cycle);  // c → a is fine: a depends on nothing
}

TEST_F(TaskStoreTest, DependenciesCanBeReplacedAndRecorded) {
  auto a = add("a");
  auto b = add("b");
  auto c = add("c", {a});
  TaskChange change;
  change.depends_on = std::vector<std::string>{b, b};
  auto r = tasks().update(c, change, "user", 9);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].field, "depends_on");
  EXPECT_EQ((*r)[0].from, a);
  EXPECT_EQ((*r)[0].to, b);
  EXPECT_EQ(tasks().find(c)->depends_on, std::vector<std::string>{b});
}

TEST_F(TaskStoreTest, ClaimWinsOnceAndNamesTheWinner) {
  AgentRecord ana;
  ana.id = "ag_ana00000";
  ana.name = "ana";
  ana.created_at_ms = 1;
  ASSERT_TRUE(store_->agents().insert(ana));
  auto id = add("contested");
  auto first = tasks().claim(id, "ag_kai00000", "ag_kai00000", 10);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->status, S::kAssigned);
  EXPECT_EQ(first->assignee, "ag_kai00000");
  EXPECT_EQ(first->started_at_ms, 10);
  auto second = tasks().claim(id, "ag_ana00000", "ag_ana00000", 11);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(second.error().code, "task_claimed");
  EXPECT_NE(second.error().message.find("kai (ag_kai00000)"), std::string::npos)
      << second.error().message;
  auto h = tasks().history(id);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[1].reason, "claimed");
  EXPECT_EQ((*h)[1].actor, "ag_kai00000");
}

TEST_F(TaskStoreTest, ClaimRefusesTasksThatAreNotReady) {
  auto a = add("a");
  auto b = add("b", {a});
  auto r = tasks().claim(b, "ag_kai00000", "user", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "task_not_ready");
  EXPECT_NE(r.error().message.find(a + " (pending)"), std::string::npos) << r.error().message;
  ASSERT_TRUE(set_status(a, S::kBacklog));
  r = tasks().claim(a, "ag_kai00000", "user", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_transition");
  EXPECT_NE(r.error().message.find("backlog"), std::string::npos);
  EXPECT_EQ(tasks().claim("t_nothing0", "ag_kai00000", "user", 1).error().kind,
            ErrorKind::kNotFound);
}

TEST_F(TaskStoreTest, DeleteOnlyWhatNeverStarted) {
  auto fresh = add("fresh");
  ASSERT_TRUE(tasks().remove(fresh));
  EXPECT_EQ(tasks().find(fresh).error().kind, ErrorKind::kNotFound);

  auto started = add("started");
  ASSERT_TRUE(assign(started));
  auto r = tasks().remove(started);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  // Even back in pending, a task that was once assigned stays.
  ASSERT_TRUE(set_status(started, S::kPending));
  r = tasks().remove(started);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "task_started");

  auto base = add("base");
  auto dependent = add("dependent", {base});
  r = tasks().remove(base);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "task_has_dependents");
  EXPECT_NE(r.error().message.find(dependent), std::string::npos);
  auto parent = add("parent");
  add("child", {}, parent);
  EXPECT_EQ(tasks().remove(parent).error().code, "task_has_subtasks");
}

TEST_F(TaskStoreTest, ListFiltersAndPages) {
  auto a = add("a");
  auto b = add("b", {}, a);
  auto c = add("c", {}, a);
  ASSERT_TRUE(assign(c));
  TaskQuery q;
  q.statuses = {S::kPending};
  EXPECT_EQ(tasks().list(q)->size(), 2u);
  q = {};
  q.assignee = "ag_kai00000";
  ASSERT_EQ(tasks().list(q)->size(), 1u);
  EXPECT_EQ(tasks().list(q)->front().id, c);
  q = {};
  q.parent_id = a;
  EXPECT_EQ(tasks().list(q)->size(), 2u);
  q = {};
  q.limit = 2;
  auto page = tasks().list(q);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, a);
  EXPECT_EQ((*page)[1].id, b);
  q.after = b;
  page = tasks().list(q);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].id, c);
  q.after = "t_unknown0";
  EXPECT_EQ(tasks().list(q).error().kind, ErrorKind::kInvalid);
  // Filters together, each statement shape built from the filters given: the supervisor's
  // "this agent's task in hand" (statuses and assignee), and a page of one parent's children.
  q = {};
  q.statuses = {S::kAssigned, S::kInProgress};
  q.assignee = "ag_kai00000";
  ASSERT_EQ(tasks().list(q)->size(), 1u);
  EXPECT_EQ(tasks().list(q)->front().id, c);
  q.statuses = {S::kPending, S::kDone};
  EXPECT_TRUE(tasks().list(q)->empty());
  q = {};
  q.parent_id = a;
  q.after = b;
  ASSERT_EQ(tasks().list(q)->size(), 1u);
  EXPECT_EQ(tasks().list(q)->front().id, c);
  q.statuses = {S::kPending};
  EXPECT_TRUE(tasks().list(q)->empty());  // c is assigned
  q = {};
  q.role = "nobody";
  EXPECT_TRUE(tasks().list(q)->empty());
}

TEST_F(TaskStoreTest, CommentsReportsAndChecksAreStoredAndValidated) {
  auto id = add("a");
  auto comment = tasks().add_comment(id, "ag_kai00000", "looking", 3);
  ASSERT_TRUE(comment);
  EXPECT_EQ(tasks().add_comment(id, "user", " ", 3).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(tasks().add_comment("t_nothing0", "user", "x", 3).error().kind, ErrorKind::kNotFound);
  ASSERT_EQ(tasks().comments(id)->size(), 1u);
  EXPECT_EQ(tasks().comments(id)->front().author, "ag_kai00000");

  TaskReport r;
  r.task_id = id;
  r.agent_id = "ag_kai00000";
  r.author = "ag_kai00000";
  r.status = "done";
  r.body = Json{{"status", "done"}, {"summary", "did it"}};
  r.created_at_ms = 4;
  auto stored = tasks().add_report(r);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->verified, "pending");
  EXPECT_EQ(stored->body["summary"], "did it");
  EXPECT_EQ(tasks().unchecked_reports()->size(), 1u);
  ASSERT_TRUE(tasks().record_check(stored->id, "passed", "proof: present", 5));
  auto checked = tasks().find_report(stored->id);
  EXPECT_EQ(checked->verified, "passed");
  EXPECT_EQ(checked->check_log, "proof: present");
  EXPECT_EQ(checked->checked_at_ms, 5);
  EXPECT_TRUE(tasks().unchecked_reports()->empty());
  EXPECT_EQ(tasks().record_check(9999, "passed", "", 5).error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace bosun
