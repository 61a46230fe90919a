// DispatchPolicy and the delivery line: who may take a task, who may be typed into, that what
// is typed carries no control character from a title or subject, and whether it was submitted.
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

// Where a typed line sits before and after Enter, on the screens of the real CLIs (rows as
// captured from Gemini CLI 0.61, Codex 0.169 and opencode 1.18, the cursor where they put it).
Json screen(std::vector<std::string> rows, int cursor_row) {
  return Json{{"lines", rows}, {"cursor", {{"row", cursor_row}, {"col", 4}}}};
}

const std::string kLine =
    "[MAIL] m_abcdefgh from user: please look at the release notes for the next version — run: "
    "bosun mail read m_abcdefgh";

TEST(ComposerHolds, ALineIsHeldWhileTheCursorIsAtItsEnd) {
  const std::string rule = "──────────";
  // Gemini CLI wraps it in its composer; the cursor is after the id on the last row.
  const std::string wrapped = " > " + kLine.substr(0, kLine.size() - 11);  // up to "… read"
  Json gemini = screen({rule, " Shift+Tab to accept edits", "", wrapped, "   m_abcdefgh", "",
                        " workspace (/directory)"},
                       4);
  EXPECT_TRUE(composer_holds(gemini, kLine));
  Json codex = screen({"", "› " + kLine, "", "  GPT-5.5 default"}, 1);
  EXPECT_TRUE(composer_holds(codex, kLine));
  Json opencode = screen({"   ┃", "   ┃  [MAIL] m_abcdefgh from user: please look at the",
                          "   ┃  release notes for the next version — run: bosun mail read "
                          "m_abcdefgh   ┃",
                          "   ┃  Build · Fake model"},
                         2);
  EXPECT_TRUE(composer_holds(opencode, kLine));
}

TEST(ComposerHolds, ASubmittedLineIsNotHeldThoughTheConversationShowsIt) {
  Json gemini =
      screen({" > " + kLine, "", " ⠋ Thinking... (esc to cancel, 0s)", "──────────",
              " Shift+Tab to accept edits", "", " >   Type your message or @path/to/file"},
             6);
  EXPECT_FALSE(composer_holds(gemini, kLine));
  Json codex = screen({"› " + kLine, "", "• Noted.", "", "› Ask Codex to do anything"}, 4);
  EXPECT_FALSE(composer_holds(codex, kLine));
  // A line-by-line prompt: the line is right above the new prompt.
  Json sim = screen({"sim> " + kLine, "mail from user: hello", "sim> "}, 2);
  EXPECT_FALSE(composer_holds(sim, kLine));
  // No cursor, no rows, a cursor off the screen: nothing is held.
  EXPECT_FALSE(composer_holds(Json{{"lines", Json::array({kLine})}}, kLine));
  EXPECT_FALSE(composer_holds(screen({}, 0), kLine));
  EXPECT_FALSE(composer_holds(screen({kLine}, 3), kLine));
}

}  // namespace
}  // namespace bosun
