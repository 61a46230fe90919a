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
using testing::captured_dir;
using testing::read_text;

constexpr int64_t kNow = 1'800'000'000'000;

ScreenReading read_capture(const std::string& profile, const fs::path& file) {
  return read_screen(builtin(profile), view_of_text(read_text(file)), kNow);
}

std::string state_of(const ScreenReading& r) {
  return r.signal ? std::string(to_string(r.signal->state)) : std::string("none");
}

// Screens the reader cannot get right from the screen alone, with why. Each must still read as
// written here, so a fix shows as well as a new misread does. The live agent reads these
// moments as working from the CLI's output, which the screen does not carry.
struct KnownMisread {
  const char* file;
  const char* reads_as;
  const char* why;
};

const KnownMisread kKnownMisreads[] = {
    {"opencode-1.18.33-long-turn-00.screen.txt", "idle",
     "the first prompt still in the start page's input box while opencode opens its session: "
     "the screen of a draft not yet sent"},
    {"opencode-1.18.33-long-turn-01.screen.txt", "idle",
     "the start page with its input box emptied, the session not yet drawn: the screen of a "
     "fresh opencode"},
    {"opencode-1.18.33-long-turn-02.screen.txt", "none",
     "a blank screen between the start page and the session"},
};

const KnownMisread* known_misread(const std::string& file) {
  for (const auto& m : kKnownMisreads) {
    if (file == m.file) return &m;
  }
  return nullptr;
}

TEST(CapturedScreens, EveryLabelledScreenReadsAsWhatTheCliWasDoing) {
  int sets = 0;
  int known = 0;
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
      std::string truth = entry["truth"];
      ScreenReading r = read_capture(profile, dir.path() / file);
      std::string state = state_of(r);
      right += state == truth ? 1 : 0;
      if (const KnownMisread* m = known_misread(file)) {
        ++known;
        EXPECT_EQ(state, m->reads_as) << file << " (" << m->why << ")";
        continue;
      }
      EXPECT_EQ(state, truth) << file << " (" << entry["moment"].get<std::string>() << ") read by "
                              << (r.signal ? r.signal->evidence : "no rule");
    }
    EXPECT_GT(labelled, 0) << name;
    std::printf("%s: %d of %d labelled screens read right\n", name.c_str(), right, labelled);
    ++sets;
  }
  EXPECT_EQ(sets, 4);  // one set per pinned CLI
  EXPECT_EQ(known, static_cast<int>(std::size(kKnownMisreads)));
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

void expect_reads(const char* profile, const char* set, const Misread& m) {
  ScreenReading r = read_capture(profile, captured_dir() / set / m.file);
  EXPECT_EQ(state_of(r), m.state) << m.file;
  EXPECT_EQ(r.signal ? r.signal->evidence : "", m.evidence) << m.file;
}

TEST(CapturedScreens, GeminiMisreadsAndTheirTwins) {
  for (const auto& m : kGemini)
    expect_reads("gemini", "gemini-0.61.0", m);
}

const Misread kClaude[] = {
    // A working indicator that is not adjacent to the composer: a "⎿ Tip: …" row and a rule lie
    // between the spinner and the composer, which holds what the person typed meanwhile.
    {"claude-2.1.330-typed-03.screen.txt", "working", "claude.spinner"},
    // Its twin: the turn answered, the draft still in the composer, no spinner: idle.
    {"claude-2.1.330-typed-07.screen.txt", "idle", "claude.composer"},
    // A retry of a 503 with its request out ("retrying… · attempt 3/10", no countdown) reads as
    // the retry it is, not only through the interrupt hint below the composer.
    {"claude-2.1.330-retry-03.screen.txt", "working", "claude.retrying"},
};

// Gemini CLI 0.61.0 in YOLO mode (`--approval-mode yolo`, bosun's `unattended`) draws its
// composer with `*`, not `>` (captured under bosun by quickstart_clis.test.mjs): idle, not an
// agent left working forever.
TEST(CapturedScreens, GeminiYoloComposerIsIdle) {
  const std::string yolo =
      " ▝▜▄     Gemini CLI v0.61.0\n"
      "   ▝▜▄\n"
      "  ▗▟▀    Authenticated with gemini-api-key /auth\n"
      " ▝▀\n"
      "\n"
      "Tips for getting started:\n"
      "1. Create GEMINI.md files to customize your interactions\n"
      "\n"
      "                                                                   ? for shortcuts\n"
      "──────────────────────────────────────────────────────────────────────────────────\n"
      " YOLO Ctrl+Y                                                          1 MCP server\n"
      "\n"
      " *   Type your message or @path/to/file\n"
      "\n"
      " workspace (/directory)                                 branch      sandbox   /model\n";
  ScreenReading r = read_screen(builtin("gemini"), view_of_text(yolo), kNow);
  EXPECT_EQ(state_of(r), "idle");
  EXPECT_EQ(r.signal ? r.signal->evidence : "", "gemini.composer");
  // Its twin: a turn under way, its indicator where the captured default-mode screens have it
  // (above the rule, with the mode's row between it and the composer): working.
  std::string busy = yolo;
  busy.insert(busy.find("                                                                   ? for"),
              " ⠼ Thinking... (esc to cancel, 2s)\n");
  r = read_screen(builtin("gemini"), view_of_text(busy), kNow);
  EXPECT_EQ(state_of(r), "working");
}

TEST(CapturedScreens, ClaudeMisreadsAndTheirTwins) {
  for (const auto& m : kClaude)
    expect_reads("claude", "claude-2.1.330", m);
}

const Misread kOpencode[] = {
    // The first second of a turn: the session drawn with the person's message as its latest
    // entry, before the progress bar and its "esc interrupt" hint.
    {"opencode-1.18.33-long-turn-03.screen.txt", "working", "opencode.sent"},
    // Its twin: the turn answered ("▣  Build · Fake model · 7.4s" under the message): idle.
    {"opencode-1.18.33-long-turn-15.screen.txt", "idle", "opencode.composer"},
    // A draft in the composer's box is not a message sent: idle once the turn is answered.
    {"opencode-1.18.33-typed-10.screen.txt", "idle", "opencode.composer"},
    // A turn that failed ends with its "▣" row too: not working.
    {"opencode-1.18.33-error-02.screen.txt", "idle", "opencode.composer"},
};

TEST(CapturedScreens, OpencodeMisreadsAndTheirTwins) {
  for (const auto& m : kOpencode)
    expect_reads("opencode", "opencode-1.18.33", m);
}

}  // namespace
}  // namespace bosun
