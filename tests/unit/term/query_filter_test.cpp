// QueryFilter: strips exactly the queries term::Screen answers, passes everything else, and
// gives the same result however the output is split.
#include "term/query_filter.h"

#include <gtest/gtest.h>

#include "term/screen.h"

namespace bosun::term {
namespace {

bool screen_answers(const std::string& query) {
  Screen screen(80, 24);
  std::string reply;
  screen.set_reply_callback([&reply](std::string_view r) { reply.append(r); });
  screen.feed(query);
  return !reply.empty();
}

std::string filter_all(const std::string& in) {
  QueryFilter f;
  std::string out = f.feed(in);
  return out + f.flush();
}

// Every candidate query: the filter strips it if and only if the screen answers it.
TEST(QueryFilter, StripsExactlyWhatTheScreenAnswers) {
  const char* candidates[] = {
      "\x1b[5n",       "\x1b[6n",         "\x1b[?6n",       "\x1b[c",           "\x1b[0c",
      "\x1b[>c",       "\x1b[>0c",        "\x1b[=c",        "\x1b[?25$p",       "\x1b[4$p",
      "\x1b[?1049$p",  "\x1b[18t",        "\x1b[14t",       "\x1b[>q",          "\x1b[?u",
      "\x1b]11;?\x07", "\x1b]10;?\x1b\\", "\x1bP$qm\x1b\\", "\x1bP$q\"p\x1b\\", "\x1bP+q544e\x1b\\",
  };
  int stripped = 0;
  for (const char* q : candidates) {
    std::string query(q);
    bool answered = screen_answers(query);
    std::string out = filter_all("a" + query + "b");
    if (answered) {
      EXPECT_EQ(out, "ab") << "answered by the screen but not stripped: " << query.substr(1);
      ++stripped;
    } else {
      EXPECT_EQ(out, "a" + query + "b")
          << "not answered by the screen but stripped: " << query.substr(1);
    }
  }
  EXPECT_GE(stripped, 7);  // CPR, DSR and DA at least
}

TEST(QueryFilter, PassesOrdinaryOutputUnchanged) {
  std::string out =
      "\x1b[1;31mred\x1b[0m \x1b[2J\x1b[H\x1b[?1049h\x1b[10;20H\x1b]0;title\x07"
      "\x1b(B\x1b"
      "7x\x1b"
      "8 \xe2\x82\xac \x1bP1$r0m\x1b\\ done\r\n";
  EXPECT_EQ(filter_all(out), out);
}

TEST(QueryFilter, SameResultForEverySplit) {
  std::string in = "ls\r\n\x1b[6nabc\x1b[1mB\x1b[>0cq\x1bP$qm\x1b\\z\x1b[?6n\x1b[?2004h$ ";
  std::string whole = filter_all(in);
  EXPECT_EQ(whole, "ls\r\nabc\x1b[1mBqz\x1b[?2004h$ ");
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    QueryFilter f;
    std::string out = f.feed(in.substr(0, cut));
    out += f.feed(in.substr(cut));
    out += f.flush();
    EXPECT_EQ(out, whole) << "split at " << cut;
  }
}

TEST(QueryFilter, HoldsAnIncompleteSequenceUntilItCompletes) {
  QueryFilter f;
  EXPECT_EQ(f.feed("prompt \x1b["), "prompt ");
  EXPECT_TRUE(f.pending());
  EXPECT_EQ(f.feed("6"), "");
  EXPECT_EQ(f.feed("n$ "), "$ ");
  EXPECT_FALSE(f.pending());
  EXPECT_EQ(f.feed("\x1b"), "");
  EXPECT_EQ(f.flush(), "\x1b");
  EXPECT_FALSE(f.pending());
}

TEST(QueryFilter, AnEndlessSequenceIsNotHeldForever) {
  QueryFilter f;
  std::string params(QueryFilter::kMaxHeld + 10, '1');
  std::string out = f.feed("\x1b[" + params);
  EXPECT_FALSE(f.pending());
  EXPECT_EQ(out, "\x1b[" + params);
  EXPECT_EQ(f.feed("mX"), "mX");
}

}  // namespace
}  // namespace bosun::term
