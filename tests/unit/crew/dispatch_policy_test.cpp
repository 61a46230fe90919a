// DispatchPolicy and the delivery line: who may take a task, who may be typed into, and that
// what is typed carries no control character from a title or subject.
#include "crew/dispatch_policy.h"

#include <gtest/gtest.h>

#include "crew/delivery.h"

namespace bosun {
namespace {

AgentView agent(bool takes_tasks, const std::string& role) {
  AgentView a;
  a.record.name = "kai";
  a.record.role = role;
  a.takes_tasks = takes_tasks;
  return a;
}

Task task(const std::string& role) {
  Task t;
  t.id = "t_1";
  t.role = role;
  return t;
}

TEST(DispatchPolicy, APlainShellTakesNothingAndIsNeverTypedInto) {
  AgentView shell = agent(false, "");
  EXPECT_FALSE(is_crew_member(shell));
  EXPECT_FALSE(may_take(shell, task("")));
  EXPECT_FALSE(may_take(shell, task("dev")));
  EXPECT_FALSE(may_type_into(shell));
}

TEST(DispatchPolicy, AShellWithARoleTakesItsRoleButIsStillNeverTypedInto) {
  AgentView ops = agent(false, "ops");
  EXPECT_TRUE(is_crew_member(ops));
  EXPECT_TRUE(may_take(ops, task("ops")));
  EXPECT_TRUE(may_take(ops, task("")));
  EXPECT_FALSE(may_take(ops, task("dev")));
  EXPECT_FALSE(may_type_into(ops));
}

TEST(DispatchPolicy, AnAgentCliTakesTasksByTheRoleRule) {
  AgentView any = agent(true, "");
  EXPECT_TRUE(may_take(any, task("")));
  EXPECT_TRUE(may_take(any, task("dev")));
  EXPECT_TRUE(may_type_into(any));
  AgentView dev = agent(true, "dev");
  EXPECT_TRUE(may_take(dev, task("dev")));
  EXPECT_FALSE(may_take(dev, task("qa")));
}

bool has_control(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      return true;  // a C1 control (U+0080–U+009F), e.g. U+009B, the one-byte CSI
    }
  }
  return false;
}

// A subject made to break out of a bracketed paste and submit a command reaches the line as
// plain spaces: the paste end marker loses its ESC, the newline and Enter are gone.
TEST(DeliveryLine, NoControlCharacterOfATitleOrSubjectIsTyped) {
  const std::string hostile =
      "fix\x1b[201~\nrm -rf ~\r\x03\x7f\xc2\x9b"
      "201~ done\t\x1b]0;title\x07";
  for (const char* type : {"task", "mail", "heartbeat", "reset", "system"}) {
    Message m;
    m.id = "m_1";
    m.sender = "user";
    m.type = type;
    m.subject = hostile;
    m.task_id = "t_1";
    std::string line = delivery_line(m);
    EXPECT_FALSE(has_control(line)) << type << ": " << line;
    EXPECT_EQ(line.find("\x1b[201~"), std::string::npos) << type;
    EXPECT_NE(line.find("rm -rf ~"), std::string::npos) << type;  // kept, as inert text
  }
}

}  // namespace
}  // namespace bosun
