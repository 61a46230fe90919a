// Role files: the real ones other orchestrators use, Claude Code's format, bosun's keys, and
// broken front matter named by file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/role.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;

fs::path roles_fixtures() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" / "roles";
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Role, ClaudeSubagentFrontMatterWithACommaList) {
  auto file = roles_fixtures() / "backend-specialist-claude-subagent.md";
  auto role = parse_role(read(file), file.string());
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(role->name, "backend-specialist");
  EXPECT_EQ(role->model, "opus");
  EXPECT_EQ(role->tools,
            (std::vector<std::string>{"Read", "Grep", "Glob", "Edit", "Write", "Bash"}));
  EXPECT_NE(role->description.find("Implement backend features"), std::string::npos);
  EXPECT_EQ(role->body.rfind("\nYou are a backend specialist.", 0), 0u) << role->body.substr(0, 40);
  EXPECT_EQ(role->body_line, 8);  // six keys between the fences
}

TEST(Role, ClaudeSubagentWithInheritedModel) {
  auto file = roles_fixtures() / "backend-tdd-subagent.md";
  auto role = parse_role(read(file), file.string());
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(role->name, "backend");
  EXPECT_EQ(role->model, "inherit");
  EXPECT_EQ(role->tools.size(), 5u);
}

TEST(Role, FilesWithoutFrontMatterAreAllBody) {
  for (const char* name : {"kai-backend-cmux.md", "tdd-backend-agent.md", "kin-backend-dev.txt"}) {
    auto file = roles_fixtures() / name;
    std::string text = read(file);
    auto role = parse_role(text, file.string());
    ASSERT_TRUE(role) << name << ": " << role.error().message;
    EXPECT_EQ(role->name, file.stem().string());
    EXPECT_EQ(role->body, text);
    EXPECT_TRUE(role->domains.empty());
  }
}

TEST(Role, BosunKeysAreReadFromTheFrontMatter) {
  auto role = parse_role(
      "---\nname: qa\ndomains:\n  - tests/\n  - docs/*.md\npermanent: true\nprofile: codex\n"
      "reset_after_tasks: 5\nreset_after: 3h\nheartbeat: 10m\nrecover_step: 5m\n"
      "recover_reassigns: 1\ncolor: blue\n---\n"
      "Test it.\n",
      "qa.md");
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(role->domains, (std::vector<std::string>{"tests/", "docs/*.md"}));
  EXPECT_EQ(role->permanent, true);
  EXPECT_EQ(role->profile, "codex");
  EXPECT_EQ(role->supervisor, (Json{{"reset_after_tasks", 5},
                                    {"reset_after", "3h"},
                                    {"heartbeat", "10m"},
                                    {"recover_step", "5m"},
                                    {"recover_reassigns", 1}}));
  EXPECT_EQ(role->body, "Test it.\n");
}

TEST(Role, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* where;
  };
  for (const auto& c : std::vector<Case>{
           {"---\nname: x\ndomains: [src/\n---\nbody\n",
            "r.md:4:1: front matter is not valid YAML"},
           {"---\nname: x\npermanent: maybe\n---\n", "r.md:3:12: permanent must be true or false"},
           {"---\nname: x\n\nheartbeat: soon\n---\n", "r.md:4:12: heartbeat:"},
           {"---\nname: x\ndomains: {a: b}\n---\n", "r.md:3:10: domains must be a list"},
           {"---\nreset_after_tasks: -1\n---\n", "r.md:2:20: reset_after_tasks must be a whole"},
           {"---\nrecover_reassigns: two\n---\n", "r.md:2:20: recover_reassigns must be a whole"},
           {"---\nname: x\nbody without a closing fence\n", "r.md:1: front matter opened"},
           {"---\n- a list\n---\n", "r.md:2:1: front matter must be a mapping"},
       }) {
    auto role = parse_role(c.text, "r.md");
    ASSERT_FALSE(role) << c.text;
    EXPECT_EQ(role.error().kind, ErrorKind::kUnprocessable);
    EXPECT_EQ(role.error().message.rfind(c.where, 0), 0u) << role.error().message;
  }
}

TEST(Role, LookupOrderAndBrokenFilesListed) {
  auto dir = fs::temp_directory_path() / ("bosun-role-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / ".bosun" / "roles");
  fs::create_directories(dir / ".claude" / "agents");
  std::ofstream(dir / ".bosun" / "roles" / "backend.md") << "---\nname: backend\n---\nbosun's\n";
  std::ofstream(dir / ".claude" / "agents" / "be.md") << "---\nname: backend\n---\nclaude's\n";
  std::ofstream(dir / ".claude" / "agents" / "broken.md") << "---\nname: [\n---\n";
  auto entries = list_roles(dir);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_FALSE(entries[0].shadowed);
  EXPECT_TRUE(entries[1].shadowed || entries[2].shadowed);
  auto backend = find_role(dir, "backend");
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->body, "bosun's\n");  // .bosun/roles first
  auto broken = find_role(dir, "broken");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("broken.md:"), std::string::npos);
  EXPECT_EQ(find_role(dir, "nobody").error().code, "role_not_found");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bosun
