// Profile: the built-in profiles load, match their files, can be overridden per project, and
// every mistake in a profile file is reported with its file:line.
#include "agent/profile.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fixtures.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;

std::string error_of(std::string_view yaml) {
  auto p = parse_profile(yaml, "p.yaml");
  EXPECT_FALSE(p) << "expected an error for:\n" << yaml;
  return p ? std::string() : p.error().message;
}

class TempProject {
 public:
  TempProject() {
    path_ = fs::temp_directory_path() / ("bosun-profile-test-" + std::to_string(::getpid()));
    fs::create_directories(path_ / ".bosun" / "profiles");
  }
  ~TempProject() { fs::remove_all(path_); }
  TempProject(const TempProject&) = delete;
  TempProject& operator=(const TempProject&) = delete;
  const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / ".bosun" / "profiles" / name) << text;
  }

 private:
  fs::path path_;
};

TEST(Profiles, EveryBuiltinProfileLoads) {
  std::vector<std::string> names;
  for (const auto& f : builtin_profile_files()) {
    auto p = load_profile(std::string(f.name), {});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->name, f.name);
    EXPECT_FALSE(p->interactive.empty());
    names.emplace_back(f.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"aider", "claude", "codex", "gemini", "opencode",
                                             "shell", "sim"}));
}

// builtin_profiles.cpp is generated from the YAML files; this catches a forgotten regeneration.
TEST(Profiles, BuiltinCopiesMatchTheirFiles) {
  fs::path src = testing::fixture_dir().parent_path().parent_path().parent_path();
  for (const auto& f : builtin_profile_files()) {
    std::ifstream in(src / f.path, std::ios::binary);
    ASSERT_TRUE(in) << f.path;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, f.text) << f.path << " changed: run `cmake -P src/agent/profiles/embed.cmake`";
  }
}

TEST(Profiles, ProfilesWithAStreamNameAKnownFormatAndAHeadlessArgv) {
  for (const char* name : {"claude", "codex", "gemini", "opencode"}) {
    Profile p = testing::builtin(name);
    EXPECT_FALSE(p.stream.empty()) << name;
    EXPECT_FALSE(p.headless.empty()) << name;
    // opencode's TUI strings are catalogued but no capture of it is saved yet.
    if (p.name != "opencode") {
      EXPECT_FALSE(p.screen.verified.empty()) << name;
    }
    EXPECT_FALSE(p.session.resume.empty()) << name;
    for (const auto& rule : p.screen.rules)
      EXPECT_FALSE(rule.versions.empty()) << rule.name;
  }
}

TEST(Profiles, CodexPausesBeforeEnterAndClaudeDialogsSayHowToAvoidThem) {
  EXPECT_GE(testing::builtin("codex").input.pause_ms, 50);
  Profile claude = testing::builtin("claude");
  const Dialog* trust = claude.dialog("trust");
  ASSERT_NE(trust, nullptr);
  EXPECT_FALSE(trust->keys.empty());
  EXPECT_FALSE(trust->avoid.empty());
  EXPECT_FALSE(trust->auto_answer);  // never answered from the screen by default
  EXPECT_EQ(claude.input.clear, "\x15");
}

TEST(Profiles, ProjectOverrideWins) {
  TempProject project;
  project.write("claude.yaml", "name: claude\ninteractive: [my-claude]\n");
  project.write("mine.yaml", "name: mine\ninteractive: [mine]\n");
  auto p = load_profile("claude", project.path());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->interactive, std::vector<std::string>{"my-claude"});
  EXPECT_EQ(p->file, (project.path() / ".bosun/profiles/claude.yaml").string());
  auto names = profile_names(project.path());
  EXPECT_NE(std::find(names.begin(), names.end(), "mine"), names.end());
  EXPECT_TRUE(load_profile("codex", project.path()));  // not overridden: built in
}

TEST(Profiles, OverrideErrorsNameTheOverrideFile) {
  TempProject project;
  project.write("codex.yaml", "name: codex\ninteractive: [codex]\nscreen:\n  rules: 3\n");
  auto p = load_profile("codex", project.path());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, (project.path() / ".bosun/profiles/codex.yaml").string() +
                                   ":4:10: rules must be a list");
}

TEST(Profiles, UnknownOrUnsafeNamesAndBadYamlAreRefused) {
  auto p = load_profile("nope", {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "profile_not_found");
  EXPECT_NE(p.error().message.find("claude"), std::string::npos);  // lists the known ones
  EXPECT_EQ(load_profile("../etc", {}).error().code, "invalid_profile_name");
}

TEST(ProfileErrors, YamlSyntaxErrorHasItsLine) {
  EXPECT_EQ(error_of("name: x\ninteractive: [a\n"), "p.yaml:3:1: end of sequence flow not found");
}

TEST(ProfileErrors, UnknownKeyNamesItsLineAndTheKnownKeys) {
  std::string e = error_of("name: x\ninteractive: [a]\nscren: {}\n");
  EXPECT_EQ(e.rfind("p.yaml:3:1: unknown key 'scren' in the profile (known: ", 0), 0u) << e;
}

TEST(ProfileErrors, BadRegexNamesItsLine) {
  std::string e = error_of(
      "name: x\ninteractive: [a]\nscreen:\n  rules:\n    - name: r\n      state: idle\n"
      "      where: tail\n      match: '(unclosed'\n");
  EXPECT_EQ(e.rfind("p.yaml:8:14: match: not a valid regular expression", 0), 0u) << e;
}

TEST(ProfileErrors, NonAsciiInABracketClassOrUnderAQuantifier) {
  std::string e = error_of(
      "name: x\ninteractive: [a]\nscreen:\n  rules:\n    - {name: r, state: idle, where: tail, "
      "match: '[✢✳]'}\n");
  EXPECT_NE(e.find("p.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("write a choice (a|b)"), std::string::npos) << e;
  e = error_of(
      "name: x\ninteractive: [a]\nscreen:\n  rules:\n    - {name: r, state: idle, where: tail, "
      "match: '^─{10,}'}\n");
  EXPECT_NE(e.find("wrap the character in a group"), std::string::npos) << e;
}

TEST(ProfileErrors, ScreenRuleMistakesNameTheirLine) {
  const std::string head = "name: x\ninteractive: [a]\nscreen:\n  rules:\n";
  EXPECT_EQ(error_of(head + "    - {name: r, state: exited, where: tail, match: a}\n"),
            "p.yaml:5:24: state must be working, idle, waiting_input, rate_limited or errored "
            "(the process decides starting and exited)");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, where: screen, match: a}\n"),
            "p.yaml:5:37: where must be composer, above, just_above, below, live, tail or "
            "last_line (a rule never looks at the whole transcript)");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, where: composer, match: a}\n"),
            "p.yaml:5:7: rule r looks around the composer, but screen has no composer:");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, where: tail}\n"),
            "p.yaml:5:7: rule r needs match: (regexes)");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, where: tail, match: a}\n"
                            "    - {name: r, state: idle, where: tail, match: b}\n"),
            "p.yaml:6:7: the rule name r is used twice");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, where: tail, match: a, dialog: d}\n"),
            "p.yaml:5:61: rule r names dialog 'd', which dialogs: does not define");
  EXPECT_EQ(error_of(head + "    - {name: r, state: idle, confidence: 2, where: tail, match: a}\n"),
            "p.yaml:5:42: confidence must be a number from 0 to 1");
}

TEST(ProfileErrors, MistakesOutsideTheScreenRulesNameTheirLine) {
  EXPECT_EQ(error_of("name: x\n"), "p.yaml:1:1: a profile needs interactive: (an argv template)");
  EXPECT_EQ(error_of("name: X\ninteractive: [a]\n"),
            "p.yaml:1:7: name must be 1-32 characters of [a-z0-9_-], starting with a letter");
  EXPECT_EQ(error_of("name: x\ninteractive: [a]\nstream: json\n"),
            "p.yaml:3:9: stream must be claude-stream-json, codex-exec-json, opencode-run-json "
            "or gemini-stream-json");
  EXPECT_EQ(error_of("name: x\ninteractive: [a]\ninput: {pause_ms: -1}\n"),
            "p.yaml:3:19: input.pause_ms must be a whole number from 0 to 10000");
  EXPECT_EQ(error_of("name: x\ninteractive: [a]\ninstructions: {how: flag}\n"),
            "p.yaml:3:15: instructions.how is flag but args: is missing");
  EXPECT_EQ(error_of("name: x\ninteractive: [a]\ndialogs:\n  - {name: t, auto_answer: true}\n"),
            "p.yaml:4:5: dialog t answers itself (auto_answer) but has no keys:");
  EXPECT_EQ(error_of("name: x\ninteractive: [a]\nsession: {capture: [{from: disk}]}\n"),
            "p.yaml:3:28: from must be stream or screen");
}

TEST(ArgvTemplates, PlaceholdersAreFilledAndOptionalArgumentsLeftOutWhenEmpty) {
  auto argv = expand_argv({"claude", "-p", "{prompt}", "--x={model}", "{missing}"},
                          {{"prompt", "do it"}, {"model", "m1"}});
  ASSERT_TRUE(argv);
  EXPECT_EQ(*argv, (std::vector<std::string>{"claude", "-p", "do it", "--x=m1"}));
  auto bad = expand_argv({"--x={model}"}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "missing_value");
  EXPECT_EQ(*expand_argv({"a{b"}, {}), std::vector<std::string>{"a{b"});
}

}  // namespace
}  // namespace bosun
