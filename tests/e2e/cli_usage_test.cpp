// The CLI's own words, before any daemon is asked: an unknown command is named with the nearest
// ones, a command that needs a command lists them, `bosun help [COMMAND]` and `--version`.
#include <gtest/gtest.h>

#include <regex>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CliUsage, AnUnknownCommandIsNamedWithTheNearestOnes) {
  auto r = run_bosun({"agnet", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "bosun: 'agnet' is not a bosun command; did you mean agent?"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "Run 'bosun --help' for the commands.")) << r.err;
  r = run_bosun({"agent", "lst"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "'lst' is not a bosun agent command; did you mean list?")) << r.err;
  r = run_bosun({"task", "ad", "foo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "'ad' is not a bosun task command; did you mean add?")) << r.err;
  // A global option before it changes nothing; a word near nothing gets no guess.
  r = run_bosun({"--state", "/nonexistent", "xyzzy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "'xyzzy' is not a bosun command\n")) << r.err;
  EXPECT_FALSE(contains(r.err, "did you mean")) << r.err;
  // A command that needs a command says which there are.
  r = run_bosun({"agent"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "bosun agent needs a command: spawn, list, show")) << r.err;
  r = run_bosun({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "bosun needs a command: version, serve, status, agent")) << r.err;
  // Other usage errors keep their own words.
  r = run_bosun({"task", "add"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "title is required")) << r.err;
}

TEST(CliUsage, HelpAndVersion) {
  auto r = run_bosun({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^bosun \d+\.\d+\.\d+)"))) << r.out;
  EXPECT_EQ(run_bosun({"version"}).out, r.out);
  r = run_bosun({"help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Usage: bosun")) << r.out;
  EXPECT_TRUE(contains(r.out, "pipeline")) << r.out;
  r = run_bosun({"help", "agent"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "spawn")) << r.out;
  EXPECT_TRUE(contains(r.out, "attach")) << r.out;
}

}  // namespace
}  // namespace bosun::e2e
