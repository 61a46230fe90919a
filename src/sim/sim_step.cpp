// SimStep: one headless pipeline step played by the scripted agent.
#include "sim/sim_step.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "util/json.h"
#include "util/process.h"

namespace bosun::sim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDesign = "docs/design.md";
constexpr const char* kTest = "tests/feature_test.sh";
constexpr const char* kFeature = "src/feature.sh";
constexpr const char* kReviewMark = "# reviewed: usage line added";

std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

// The acts the prompt asks for on this attempt, and `slow` with its milliseconds.
struct Acts {
  std::set<std::string> names;
  int slow_ms = 0;
  bool has(const char* name) const { return names.contains(name); }
};

Acts acts_of(const std::string& prompt, int attempt) {
  Acts acts;
  std::istringstream in(prompt);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find("sim: ");
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + 5));
    std::string act;
    words >> act;
    std::string arg;
    std::string word;
    int only = 0;
    while (words >> word) {
      if (word == "on") {
        std::string attempt_word;
        words >> attempt_word >> only;
      } else {
        arg = word;
      }
    }
    if (only != 0 && only != attempt) continue;
    if (act == "slow") {
      acts.slow_ms = std::atoi(arg.c_str());
    } else if (!act.empty()) {
      acts.names.insert(act);
    }
  }
  return acts;
}

void write_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool git(std::vector<std::string> args) {
  ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::seconds(30);
  return run_process_blocking(spec).ok();
}

void commit(const std::string& message) {
  git({"add", "-A"});
  git({"commit", "-q", "--no-verify", "-m", message});
}

struct Played {
  std::string said;  // what it tells the person
  Json report;
};

Json done(const std::string& summary, const std::string& what, const std::string& how,
          const std::string& result) {
  return Json{
      {"status", "done"},
      {"summary", summary},
      {"proof", {{"what_was_done", what}, {"how_verified", how}, {"verification_result", result}}}};
}

Played architect(const Acts&) {
  write_file(kDesign,
             "# Design\n\n- REQ-1: `sh src/feature.sh` prints `ok`.\n"
             "- REQ-2: it prints a usage line on request.\n");
  commit("design: REQ-1, REQ-2");
  return {"Wrote the design with REQ-1 and REQ-2.",
          done("design with REQ-1 and REQ-2", "wrote docs/design.md", "read it back",
               "two requirements")};
}

Played tester(const Acts& acts) {
  if (acts.has("no-tests")) {
    write_file("docs/test-plan.md", "Tests for REQ-1 to follow.\n");
    commit("test plan");
    return {"Wrote a test plan.", done("a test plan", "wrote docs/test-plan.md", "none", "n/a")};
  }
  if (acts.has("tests-pass")) {
    write_file(kTest, "# REQ-1\ntrue\n");
  } else {
    write_file(kTest,
               "# REQ-1: the feature prints ok\n"
               "out=$(sh src/feature.sh 2>/dev/null) || exit 1\n"
               "[ \"$out\" = ok ] || { echo \"REQ-1: expected ok, got $out\"; exit 1; }\n");
  }
  commit("tests for REQ-1");
  Played p{"Wrote tests/feature_test.sh for REQ-1.",
           done("a failing test for REQ-1", "wrote tests/feature_test.sh",
                "ran it: it fails until src/feature.sh exists", "1 failing test")};
  p.report["handoff"] = Json{{"next", "make src/feature.sh print ok; leave the test alone"},
                             {"questions", "should REQ-2's usage line go to stderr?"}};
  return p;
}

Played backend(const Acts& acts, const std::string& prompt) {
  std::string body = acts.has("wrong") ? "echo nope\n" : "echo ok\n";
  if (prompt.find("The reviewer's comments:") != std::string::npos) {
    body = std::string(kReviewMark) + "\n" + body;
  }
  write_file(kFeature, body);
  if (acts.has("edit-tests")) write_file(kTest, "# REQ-1\ntrue\n");
  commit("feature: REQ-1");
  return {"Wrote src/feature.sh.", done("the feature for REQ-1", "wrote src/feature.sh",
                                        "ran tests/feature_test.sh", "passes")};
}

Played reviewer(const Acts& acts) {
  bool marked = read_file(kFeature).find(kReviewMark) != std::string::npos;
  Played p;
  if (acts.has("request-changes-always") || (acts.has("request-changes") && !marked)) {
    p.said = "Changes requested.";
    p.report = done("review: changes requested", "read the branch", "read src/feature.sh",
                    "a usage line is missing");
    p.report["review"] = Json{{"verdict", "request_changes"},
                              {"comments", "add the usage line to src/feature.sh (REQ-2)"}};
    return p;
  }
  p.said = "Approved.";
  p.report = done("review: approved", "read the branch", "read src/feature.sh and its test",
                  "looks right");
  p.report["review"] = Json{{"verdict", "approve"}, {"comments", "good"}};
  return p;
}

void emit(const Json& j) {
  std::string line = j.dump() + "\n";
  (void)std::fwrite(line.data(), 1, line.size(), stdout);
  (void)std::fflush(stdout);
}

// The same edit, or the same failing test run, again and again, as Claude Code streams tool
// calls; then nothing more for a minute (bosun stops it long before).
int go_round_in_circles(const Acts& acts, const std::string& session) {
  bool edit = acts.has("loop-edit");
  for (int i = 0; i < 30; ++i) {
    std::string id = fmt::format("toolu_sim_{}", i);
    Json input = edit ? Json{{"file_path", kFeature}, {"old_string", "ok"}, {"new_string", "ok"}}
                      : Json{{"command", "sh tests/feature_test.sh"}};
    Json use{{"type", "tool_use"}, {"id", id}, {"name", edit ? "Edit" : "Bash"}, {"input", input}};
    emit(Json{{"type", "assistant"},
              {"session_id", session},
              {"message", {{"content", Json::array({use})}}}});
    Json result{{"type", "tool_result"},
                {"tool_use_id", id},
                {"is_error", !edit},
                {"content", edit ? "edited" : "exit status 1"}};
    emit(Json{{"type", "user"},
              {"session_id", session},
              {"message", {{"content", Json::array({result})}}}});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int waited = 0; waited < 60'000; waited += 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    emit(Json{{"type", "system"}, {"subtype", "status"}, {"session_id", session}});
  }
  return 1;
}

Played play(const std::string& role, const Acts& acts, const std::string& prompt) {
  if (acts.has("blocked")) {
    return {"Blocked.", Json{{"status", "blocked"},
                             {"summary", "cannot go on"},
                             {"blocked_reason", "the design contradicts itself"}}};
  }
  if (role == "architect") return architect(acts);
  if (role == "qa" || role == "debugger") return tester(acts);
  if (role == "reviewer") return reviewer(acts);
  return backend(acts, prompt);
}

}  // namespace

bool has_act(const std::string& prompt, const std::string& act, int attempt) {
  return acts_of(prompt, attempt).names.contains(act);
}

StepPlay play_step(const std::string& role, const std::string& prompt, int attempt) {
  Acts acts = acts_of(prompt, attempt);
  if (acts.slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(acts.slow_ms));
  StepPlay result;
  if (acts.has("crash")) {
    result.crashed = true;
    return result;
  }
  Played played = play(role, acts, prompt);
  result.said = played.said;
  if (!acts.has("no-report")) result.report = played.report;
  return result;
}

int run_sim_step(const std::string& prompt) {
  std::string role = env("BOSUN_ROLE", "backend");
  int attempt = std::atoi(env("BOSUN_ATTEMPT", "1").c_str());
  Acts acts = acts_of(prompt, attempt);
  std::string session = fmt::format("sim-{}", ::getpid());
  emit(Json{{"type", "system"}, {"subtype", "init"}, {"session_id", session}, {"model", "sim"}});
  // Slow work still streams, as the real CLIs do: a line every 200 ms (so a reader that went
  // away ends it at the next line).
  for (int waited = 0; waited < acts.slow_ms; waited += 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    emit(Json{{"type", "system"}, {"subtype", "status"}, {"session_id", session}});
  }
  if (acts.has("crash")) {
    std::fputs("sim-agent: crashed on purpose\n", stderr);
    return 1;
  }
  if (acts.has("loop-edit") || acts.has("fail-loop")) return go_round_in_circles(acts, session);
  Played played = play(role, acts, prompt);
  emit(Json{
      {"type", "assistant"},
      {"session_id", session},
      {"message", {{"content", Json::array({Json{{"type", "text"}, {"text", played.said}}})}}}});
  std::string result = played.said;
  if (!acts.has("no-report")) result += "\n\n```json\n" + played.report.dump(2) + "\n```\n";
  emit(Json{{"type", "result"},
            {"subtype", "success"},
            {"is_error", false},
            {"result", result},
            {"num_turns", 1},
            {"session_id", session},
            {"usage", {{"input_tokens", 1000}, {"output_tokens", 500}}},
            {"total_cost_usd", 0.01}});
  return 0;
}

}  // namespace bosun::sim
