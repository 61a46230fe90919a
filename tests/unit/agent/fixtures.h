// Test helpers: the captured agent sessions in tests/fixtures/agent-sessions/, the captured
// screens in tests/fixtures/captured/, and profiles.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "agent/profile.h"

namespace bosun::testing {

inline std::filesystem::path fixture_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" /
         "agent-sessions";
}

inline std::string read_fixture(const std::string& name) {
  std::ifstream in(fixture_dir() / name, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << (fixture_dir() / name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The screens captured from the pinned CLIs (tests/fixtures/captured/), one folder per set.
inline std::filesystem::path captured_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" /
         "captured";
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << "missing " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline Profile builtin(const std::string& name) {
  auto p = load_profile(name, {});
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? *p : Profile{};
}

}  // namespace bosun::testing
