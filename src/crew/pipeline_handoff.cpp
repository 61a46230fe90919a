// PipelineHandoff: a handoff from the report and from what bosun saw; the ledger as text.
#include "crew/pipeline_handoff.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "util/text.h"

namespace bosun {
namespace {

constexpr size_t kMaxField = 2000;
constexpr size_t kMaxCommitsListed = 10;
constexpr size_t kMaxFilesListed = 30;

std::string field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string first_of(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    if (c.find_first_not_of(" \t\r\n") != std::string::npos) return shorten(c, kMaxField);
  }
  return {};
}

// The step's result as its gates left it.
std::string result_of(const StepRun& step) {
  for (const auto& g : step.gates) {
    if (g.result == "failed") return "failed";
  }
  for (const auto& g : step.gates) {
    if (g.result == "waiting") return "waiting";
  }
  return step.gates.empty() ? "ended" : "passed";
}

// A handoff's list of strings as "a, b, c and N more".
std::string listed(const Json& h, const char* key, size_t max) {
  std::vector<std::string> items;
  for (const auto& x : h.value(key, Json::array())) {
    if (x.is_string()) items.push_back(x.get<std::string>());
  }
  return list_text(items, max);
}

std::string entry_text(const Json& h) {
  std::string out = fmt::format("### {} (attempt {}): {}\n", field(h, "step"),
                                h.value("attempt", 0), field(h, "result"));
  for (const char* key : {"done", "state", "next", "questions"}) {
    std::string v = field(h, key);
    if (!v.empty()) out += fmt::format("- {}: {}\n", key, v);
  }
  std::string gates = listed(h, "gates", 20);
  std::string commits = listed(h, "commits", kMaxCommitsListed);
  std::string files = listed(h, "files", kMaxFilesListed);
  if (!gates.empty()) out += "- gates (checked by bosun): " + gates + "\n";
  if (!commits.empty()) out += "- commits: " + commits + "\n";
  if (!files.empty()) out += "- files changed: " + files + "\n";
  return out;
}

}  // namespace

Json make_handoff(const StepRun& step, int64_t at_ms) {
  const Json& report = step.report.is_object() ? step.report : Json::object();
  Json given = report.value("handoff", Json::object());
  if (!given.is_object()) given = Json::object();
  Json proof = report.value("proof", Json::object());
  if (!proof.is_object()) proof = Json::object();
  Json gates = Json::array();
  for (const auto& g : step.gates)
    gates.push_back(g.gate + " " + g.result);
  Json commits = Json::array();
  for (const auto& c : step.commits) {
    if (commits.size() == kMaxCommitsListed) break;
    commits.push_back(c.substr(0, 12));
  }
  Json files = Json::array();
  for (const auto& f : step.changed) {
    if (files.size() == kMaxFilesListed) break;
    files.push_back(f);
  }
  return Json{{"step", step.id},
              {"attempt", step.attempts},
              {"at", at_ms},
              {"result", result_of(step)},
              {"done", first_of({field(given, "done"), field(proof, "what_was_done"),
                                 field(report, "summary"), step.output})},
              {"state", first_of({field(given, "state"), field(proof, "verification_result")})},
              {"next", first_of({field(given, "next")})},
              {"questions", first_of({field(given, "questions"), field(report, "blocked_reason"),
                                      field(report, "notes")})},
              {"gates", gates},
              {"commits", commits},
              {"files", files}};
}

void keep_handoff(StepRun& step, Json handoff) {
  // A person's word on an attempt that waited (a human gate rejected) replaces its handoff.
  if (!step.handoffs.empty() && step.handoffs.back().value("attempt", -1) == step.attempts &&
      step.handoffs.back().value("result", "") == "waiting") {
    step.handoffs.back() = std::move(handoff);
    return;
  }
  step.handoffs.push_back(std::move(handoff));
  if (step.handoffs.size() > kMaxHandoffs) {
    step.handoffs.erase(step.handoffs.begin(),
                        step.handoffs.end() - static_cast<std::ptrdiff_t>(kMaxHandoffs));
  }
}

std::string handoff_text(const PipelineRun& run, size_t max_bytes) {
  std::vector<const Json*> entries;
  for (const auto& s : run.steps) {
    if (!s.handoffs.empty()) entries.push_back(&s.handoffs.back());
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Json* a, const Json* b) {
    return a->value("at", int64_t{0}) < b->value("at", int64_t{0});
  });
  // The newest matter most: drop from the oldest while the whole is too long.
  std::vector<std::string> texts;
  size_t total = 0;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    std::string t = entry_text(**it);
    if (total + t.size() > max_bytes && !texts.empty()) break;
    total += t.size();
    texts.push_back(std::move(t));
  }
  std::string out;
  for (auto it = texts.rbegin(); it != texts.rend(); ++it)
    out += *it;
  return out;
}

}  // namespace bosun
