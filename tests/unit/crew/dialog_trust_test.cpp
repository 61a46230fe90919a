// A trust dialog is answered for a project the person trusted in the CLI's own config, read as
// the profile says (Claude Code's ~/.claude.json, Gemini CLI's trustedFolders.json), and only
// then.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/profile.h"
#include "crew/dialog_answers.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;

class DialogTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() /
            ("bosun-trust-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(home_ / ".gemini");
  }
  void TearDown() override { fs::remove_all(home_); }
  void write(const std::string& rel, const Json& json) {
    std::ofstream(home_ / rel) << json.dump();
  }
  static Dialog::TrustedWhen when_of(const char* profile) {
    auto p = load_profile(profile, {});
    EXPECT_TRUE(p);
    const Dialog* trust = p->dialog("trust");
    EXPECT_TRUE(trust && trust->trusted_when);
    return *trust->trusted_when;
  }
  fs::path home_;
};

TEST_F(DialogTrust, ClaudeCodeTrustsWhatItsConfigSaysWasAccepted) {
  auto when = when_of("claude");
  write(".claude.json", Json{{"projects",
                              {{"/src/app", {{"hasTrustDialogAccepted", true}}},
                               {"/src/other", {{"hasTrustDialogAccepted", false}}}}}});
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/app"),
            "/src/app is trusted in ~/.claude.json");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/other"), "");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/unknown"), "");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src"), "");  // a parent is not it
}

TEST_F(DialogTrust, GeminiCliTrustsAFolderMarkedTrustFolder) {
  auto when = when_of("gemini");
  write(".gemini/trustedFolders.json",
        Json{{"/src/app", "TRUST_FOLDER"}, {"/src/no", "DO_NOT_TRUST"}});
  EXPECT_NE(trusted_in_cli_config(when, home_.string(), "/src/app"), "");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/no"), "");
}

TEST_F(DialogTrust, NoConfigOrABrokenOneTrustsNothing) {
  auto when = when_of("claude");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/app"), "");
  std::ofstream(home_ / ".claude.json") << "{not json";
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), "/src/app"), "");
  // A path with the pointer's own characters is escaped, not read as more parts.
  write(".claude.json", Json{{"projects", {{"/a~b/c", {{"hasTrustDialogAccepted", true}}}}}});
  EXPECT_NE(trusted_in_cli_config(when, home_.string(), "/a~b/c"), "");
  EXPECT_EQ(trusted_in_cli_config(when, home_.string(), ""), "");
}

}  // namespace
}  // namespace bosun
