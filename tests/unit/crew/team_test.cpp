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

namespace bosun {
namespace {

TEST(Team, NotifySettingsAreReadWholeAndCheckedBeforeAnythingStarts) {
  auto team = parse_team(R"(agents: []
notify:
  channels:
    - {name: phone, type: ntfy, url: "https://ntfy.sh/crew", on: [waiting_input, stuck]}
    - name: page
      type: command
      run: [page-me, --level, 2]
  quiet_hours: "22:00-07:00"
  digest_after: 3
)",
                         "bosun.yaml");
  ASSERT_TRUE(team) << team.error().message;
  EXPECT_EQ(team->notify["channels"][0]["on"], Json::array({"waiting_input", "stuck"}));
  EXPECT_EQ(team->notify["channels"][1]["run"], Json::array({"page-me", "--level", 2}));
  EXPECT_EQ(team->notify["digest_after"], 3);
  EXPECT_TRUE(parse_team("agents: []\n", "bosun.yaml")->notify.is_null());

  auto bad = parse_team("notify:\n  channels:\n    - {name: x, type: pager}\n", "bosun.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bosun.yaml:2:3: notify: channel x: unknown type 'pager'"),
            std::string::npos)
      << bad.error().message;
  auto late = parse_team("supervisor: {stuck_after: soon}\n", "bosun.yaml");
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("bosun.yaml:1:13: supervisor.stuck_after"), std::string::npos)
      << late.error().message;
}

TEST(Team, ANotifyFileIsItsTopLevelOrATeamFilesSection) {
  auto top = parse_notify_file("channels: [{name: d, type: desktop}]\n", "n.yaml");
  ASSERT_TRUE(top) << top.error().message;
  EXPECT_EQ((*top)["channels"][0]["name"], "d");
  auto section = parse_notify_file("agents: []\nnotify: {debounce: 1m}\n", "bosun.yaml");
  ASSERT_TRUE(section) << section.error().message;
  EXPECT_EQ(*section, Json({{"debounce", "1m"}}));
  auto json = parse_notify_file(R"({"batch": "2s"})", "n.json");
  ASSERT_TRUE(json);
  EXPECT_FALSE(parse_notify_file("- a\n", "n.yaml"));
  EXPECT_FALSE(parse_notify_file("{debounce: never}", "n.yaml"));
}

}  // namespace
}  // namespace bosun
