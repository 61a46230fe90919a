// CrewPlan: the team file against the running crew — what starts, what is kept, what restarts
// with new settings, and what an earlier `up` started that the file dropped.
#include "cli/crew_plan.h"

#include <gtest/gtest.h>

namespace bosun::cli {
namespace {

Json agent(const std::string& name, const std::string& state, const std::string& role = "") {
  return Json{{"name", name}, {"state", state}, {"role", role}, {"profile", "shell"},
              {"permanent", false}};
}

TEST(CrewPlan, StartsKeepsRestartsAndReplaces) {
  std::vector<Json> wanted = {
      Json{{"name", "new"}, {"role", "backend"}, {"profile", "shell"}, {"permanent", false}},
      Json{{"name", "same"}, {"role", "backend"}, {"profile", "shell"}, {"permanent", false}},
      Json{{"name", "down"}, {"role", "backend"}, {"profile", "shell"}, {"permanent", false}},
      Json{{"name", "moved"}, {"role", "frontend"}, {"profile", "shell"}, {"permanent", false},
           {"env", {{"TOKEN", "b"}}}},
  };
  Json agents = Json::array({agent("same", "idle", "backend"), agent("down", "exited", "backend"),
                             agent("moved", "working", "backend"), agent("mine", "idle")});
  Json applied{{"same", wanted[1]},
               {"down", wanted[2]},
               {"moved", Json{{"name", "moved"}, {"role", "backend"}, {"profile", "shell"},
                              {"permanent", false}, {"env", {{"TOKEN", "a"}}}}}};
  auto plan = plan_crew(wanted, agents, applied, false);
  ASSERT_EQ(plan.size(), 4u);  // "mine" was spawned by hand: not the team file's to touch
  EXPECT_EQ(plan[0].action, CrewAction::kStart);
  EXPECT_EQ(plan[1].action, CrewAction::kKeep);
  EXPECT_EQ(plan[1].state, "idle");
  EXPECT_EQ(plan[2].action, CrewAction::kRestart);
  EXPECT_EQ(plan[3].action, CrewAction::kReplace);
  // An env value may be a secret: its key is named, never its values.
  EXPECT_EQ(plan[3].changes,
            (std::vector<std::string>{"role: backend → frontend", "env: TOKEN"}));
}

TEST(CrewPlan, AnAgentTheFileDroppedIsLeftUnlessPruned) {
  Json spec{{"name", "old"}, {"role", "qa"}, {"profile", "shell"}, {"permanent", false}};
  Json agents = Json::array({agent("old", "idle", "qa"), agent("gone", "exited")});
  Json applied{{"old", spec}, {"gone", spec}, {"forgotten", spec}};
  auto kept = plan_crew({}, agents, applied, false);
  ASSERT_EQ(kept.size(), 2u);  // "forgotten" no longer exists: nothing to do
  EXPECT_EQ(kept[1].name, "old");
  EXPECT_EQ(kept[1].action, CrewAction::kLeave);
  auto pruned = plan_crew({}, agents, applied, true);
  ASSERT_EQ(pruned.size(), 2u);
  EXPECT_EQ(pruned[0].name, "gone");
  EXPECT_EQ(pruned[0].action, CrewAction::kStop);
  EXPECT_EQ(pruned[1].action, CrewAction::kStop);
}

TEST(CrewPlan, WithoutARecordTheDaemonsOwnRoleAndProfileAreCompared) {
  std::vector<Json> wanted = {Json{{"name", "kai"}, {"role", "frontend"}, {"profile", "shell"},
                                   {"permanent", false}, {"args", {"--x"}}}};
  auto plan = plan_crew(wanted, Json::array({agent("kai", "idle", "backend")}), Json::object(),
                        false);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].action, CrewAction::kReplace);
  EXPECT_EQ(plan[0].changes, (std::vector<std::string>{"role: backend → frontend"}));
  wanted[0]["role"] = "backend";
  plan = plan_crew(wanted, Json::array({agent("kai", "idle", "backend")}), Json::object(), false);
  EXPECT_EQ(plan[0].action, CrewAction::kKeep);
}

}  // namespace
}  // namespace bosun::cli
