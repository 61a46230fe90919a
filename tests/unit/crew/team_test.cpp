// Team files: the documented example parses; every mistake names its file, line and column.
#include "crew/team.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(Team, TheDocumentedExampleParses) {
  auto team = parse_team(R"(project: .                 # the git repository
agents:
  - {name: kai, role: backend, profile: claude, permanent: true, worktree: true}
  - {name: ana, role: qa,      profile: codex,  permanent: true, worktree: true}
supervisor: {heartbeat: 10m, reset_after_tasks: 5, reset_after: 3h, stuck_after: 20m}
)",
                         "bosun.yaml");
  ASSERT_TRUE(team) << team.error().message;
  EXPECT_EQ(team->project, ".");
  ASSERT_EQ(team->agents.size(), 2u);
  EXPECT_EQ(team->agents[0].name, "kai");
  EXPECT_EQ(team->agents[0].profile, "claude");
  EXPECT_TRUE(team->agents[0].permanent);
  EXPECT_TRUE(team->agents[1].worktree);
  EXPECT_EQ(team->agents[1].line, 4);
  EXPECT_EQ(team->supervisor["heartbeat"], "10m");
  EXPECT_EQ(team->supervisor["reset_after_tasks"], 5);
}

TEST(Team, CommandsEnvironmentAndArgsAreRead) {
  auto team =
      parse_team("agents:\n  - name: sh\n    command: [bash, --norc]\n    env: {A: b}\n", "t.yaml");
  ASSERT_TRUE(team) << team.error().message;
  EXPECT_EQ(team->agents[0].command, (std::vector<std::string>{"bash", "--norc"}));
  EXPECT_EQ(team->agents[0].env.at("A"), "b");
  team = parse_team("agents:\n  - {name: kai, profile: claude, args: [--model, opus]}\n", "t.yaml");
  ASSERT_TRUE(team) << team.error().message;
  EXPECT_EQ(team->agents[0].args, (std::vector<std::string>{"--model", "opus"}));
  EXPECT_TRUE(team->agents[0].command.empty());
}

TEST(Team, MistakesNameTheirPlace) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"agents: [\n", "t.yaml:2:1:"},
      {"agents:\n  - {nme: x}\n", "t.yaml:2:6: unknown key 'nme' in agents[0]"},
      {"agents:\n  - {role: qa}\n", "t.yaml:2:5: agents[0]: name is required"},
      {"agents:\n  - {name: Kai}\n", "must be 1-32 characters"},
      {"agents:\n  - {name: a}\n  - {name: a}\n",
       "t.yaml:3:5: agents[1]: the name a is used twice"},
      {"agents:\n  - {name: a, permanent: maybe}\n",
       "t.yaml:2:26: agents[0].permanent must be true or false"},
      {"agents:\n  - {name: a, command: []}\n", "agents[0].command must be a list"},
      {"agents:\n  - {name: a, command: [x], args: [y]}\n", "agents[0]: args add to the"},
      {"agnets: []\n", "t.yaml:1:1: unknown key 'agnets'"},
      {"- a\n- b\n", "must be a mapping"},
      {"supervisor: {heartbeat: [1]}\n", "supervisor.heartbeat must be a number or a duration"},
  };
  for (const auto& c : cases) {
    auto team = parse_team(c.text, "t.yaml");
    ASSERT_FALSE(team) << c.text;
    EXPECT_NE(team.error().message.find(c.message), std::string::npos)
        << c.text << " → " << team.error().message;
  }
}

}  // namespace
}  // namespace bosun
