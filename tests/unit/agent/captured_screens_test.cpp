// The screen reader against every screen captured from the pinned CLIs (tests/fixtures/captured):
// each labelled screen reads as what the CLI was doing when it was taken, and the misreads it
// was built to avoid are named here with their negative twins.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/detector.h"
#include "agent/fixtures.h"
#include "util/json.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;
using testing::builtin;

constexpr int64_t kNow = 1'800'000'000'000;

fs::path captured_dir() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" / "captured";
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << "missing " << file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ScreenReading read_capture(const std::string& profile, const fs::path& file) {
  return read_screen(builtin(profile), view_of_text(read_text(file)), kNow);
}

std::string state_of(const ScreenReading& r) {
  return r.signal ? std::string(to_string(r.signal->state)) : std::string("none");
}

TEST(CapturedScreens, EveryLabelledScreenReadsAsWhatTheCliWasDoing) {
  int sets = 0;
  for (const auto& dir : fs::directory_iterator(captured_dir())) {
    if (!dir.is_directory()) continue;
    std::string name = dir.path().filename().string();  // "gemini-0.61.0"
    std::string profile = name.substr(0, name.find('-'));
    auto index = Json::parse(read_text(dir.path() / "index.json"));
    int right = 0;
    int labelled = 0;
    for (const auto& entry : index) {
      if (!entry["truth"].is_string()) continue;
      ++labelled;
      std::string file = entry["file"];
      ScreenReading r = read_capture(profile, dir.path() / file);
      std::string state = state_of(r);
      EXPECT_EQ(state, entry["truth"].get<std::string>())
          << file << " (" << entry["moment"].get<std::string>() << ") read by "
          << (r.signal ? r.signal->evidence : "no rule");
      right += state == entry["truth"].get<std::string>() ? 1 : 0;
    }
    EXPECT_GT(labelled, 0) << name;
    std::printf("%s: %d of %d labelled screens read right\n", name.c_str(), right, labelled);
    ++sets;
  }
  EXPECT_GT(sets, 0);
}

struct Misread {
  const char* file;
  const char* state;
  const char* evidence;
};

// Each kind of misread the issue names, from the captures, with its negative twin.
const Misread kGemini[] = {
    // A working indicator that is not adjacent to the composer: a rule, a hint and a blank row
    // lie between "Thinking... (esc to cancel, 3s)" and the composer.
    {"gemini-0.61.0-long-turn-10.screen.txt", "working", "gemini.working"},
    // Its twin: the answer drawn, the indicator gone, the same hint row: idle.
    {"gemini-0.61.0-long-turn-20.screen.txt", "idle", "gemini.composer"},
    // A silent retry of a 503: the same indicator, no error shown.
    {"gemini-0.61.0-retry-40.screen.txt", "working", "gemini.working"},
    // The API error of the turn that failed, on its own: errored.
    {"gemini-0.61.0-error-42.screen.txt", "errored", "gemini.api-error"},
    // A stale error above a live indicator: the next turn runs.
    {"gemini-0.61.0-after-error-05.screen.txt", "working", "gemini.working"},
    // A stale error above an idle composer once that turn is answered: the error is history.
    {"gemini-0.61.0-after-error-16.screen.txt", "idle", "gemini.composer"},
};

TEST(CapturedScreens, GeminiMisreadsAndTheirTwins) {
  for (const auto& m : kGemini) {
    ScreenReading r = read_capture("gemini", captured_dir() / "gemini-0.61.0" / m.file);
    EXPECT_EQ(state_of(r), m.state) << m.file;
    EXPECT_EQ(r.signal ? r.signal->evidence : "", m.evidence) << m.file;
  }
}

}  // namespace
}  // namespace bosun
