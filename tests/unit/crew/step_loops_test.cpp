// StepLoops: a file written too often, a command failing again and again — and the calls that
// are no loop.
#include "crew/step_loops.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(StepLoops, AFileWrittenMoreThanTheLimitIsALoop) {
  StepLoops loops(LoopLimits{3, 3});
  Json edit{{"file_path", "src/a.c"}, {"old_string", "x"}, {"new_string", "y"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(loops.call("e" + std::to_string(i), "Edit", edit)) << i;
  }
  // Other files and reads don't count toward it.
  EXPECT_FALSE(loops.call("w", "Write", Json{{"file_path", "src/b.c"}}));
  EXPECT_FALSE(loops.call("r", "Read", Json{{"file_path", "src/a.c"}}));
  auto loop = loops.call("e4", "MultiEdit", edit);
  ASSERT_TRUE(loop);
  EXPECT_EQ(*loop, "it wrote src/a.c 4 times in this attempt (more than 3) without a gate passing");
  // opencode names the field filePath.
  StepLoops opencode(LoopLimits{1, 3});
  EXPECT_FALSE(opencode.call("1", "edit", Json{{"filePath", "x.ts"}}));
  EXPECT_TRUE(opencode.call("2", "write", Json{{"filePath", "x.ts"}}));
}

TEST(StepLoops, ACommandFailingTheLimitTimesInARowIsALoop) {
  StepLoops loops(LoopLimits{12, 3});
  Json make{{"command", "make test"}};
  EXPECT_FALSE(loops.call("1", "Bash", make));
  EXPECT_FALSE(loops.result("1", true));
  EXPECT_FALSE(loops.call("2", "Bash", make));
  EXPECT_FALSE(loops.result("2", true));
  // It passed once: the count starts again.
  EXPECT_FALSE(loops.call("3", "Bash", make));
  EXPECT_FALSE(loops.result("3", false));
  for (int i = 4; i < 6; ++i) {
    EXPECT_FALSE(loops.call(std::to_string(i), "Bash", make));
    EXPECT_FALSE(loops.result(std::to_string(i), true)) << i;
  }
  // Another command failing in between is another count.
  EXPECT_FALSE(loops.call("x", "Bash", Json{{"command", "ls"}}));
  EXPECT_FALSE(loops.result("x", true));
  EXPECT_FALSE(loops.call("6", "Bash", make));
  auto loop = loops.result("6", true);
  ASSERT_TRUE(loop);
  EXPECT_EQ(*loop, "it ran `make test` 3 times in a row in this attempt and it failed each time");
  // Codex gives an argv; a result for a call never seen is nothing.
  StepLoops codex(LoopLimits{12, 1});
  EXPECT_FALSE(codex.result("nope", true));
  EXPECT_FALSE(codex.call("c", "exec", Json{{"command", {"bash", "-lc", "cargo test"}}}));
  auto argv = codex.result("c", true);
  ASSERT_TRUE(argv);
  EXPECT_NE(argv->find("`bash -lc cargo test`"), std::string::npos) << *argv;
}

TEST(StepLoops, AFinishedCallCountsAsBoth) {
  StepLoops loops(LoopLimits{1, 2});
  EXPECT_FALSE(loops.finished("Bash", Json{{"command", "npm test"}}, true));
  EXPECT_TRUE(loops.finished("Bash", Json{{"command", "npm test"}}, true));
  EXPECT_FALSE(loops.finished("Write", Json{{"file_path", "a"}}, false));
  EXPECT_TRUE(loops.finished("Write", Json{{"file_path", "a"}}, false));
  // Odd input is no call at all.
  EXPECT_FALSE(loops.finished("Write", Json("text"), false));
  EXPECT_FALSE(loops.finished("Bash", Json{{"command", 5}}, true));
}

}  // namespace
}  // namespace bosun
