// PipelineTrace: requirement ids found by reading the run's branch with git (every line that
// holds one, streamed, so a large repository is not cut short), traced to tests, commits and
// gates.
#include "crew/pipeline_trace.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "git/git.h"
#include "git/merge.h"
#include "git/run_branch.h"
#include "util/process.h"

namespace bosun {
namespace {

constexpr std::string_view kPrefix = "REQ-";
constexpr size_t kMaxIdLength = 24;
constexpr char kCommitMark = '\x1e';
constexpr char kFieldMark = '\x1f';

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// REQ-12 before REQ-3 by text would read wrong: by number.
bool by_number(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// Streams `git args` in `repo` a line at a time into `on_line`; exit 1 is success too when
// `one_ok` (git grep's "nothing matched").
Status stream_git(const std::string& repo, std::vector<std::string> args,
                  const std::function<void(std::string_view)>& on_line, bool one_ok = false) {
  std::string what = args.front();
  ProcessSpec spec = git::command(repo, std::move(args));
  spec.on_stdout_line = on_line;
  ProcessResult r = run_process_blocking(spec);
  if (!r.ok() &&
      !(one_ok && r.started && !r.timed_out && !r.cancelled && r.signal == 0 && r.exit_code == 1)) {
    return internal("git_failed",
                    "git " + what + " failed (" + r.summary() + "): " + git::first_line(r.err));
  }
  return {};
}

// path → the ids its text mentions.
using Mentions = std::map<std::string, std::set<std::string>>;

struct Commit {
  std::string sha;
  std::string subject;
  bool merge = false;
  std::set<std::string> ids;  // mentioned in its message or in the lines it changed
  std::string step;           // the step whose attempt made it, "" when none says
};

// The run's own commits (first parent, newest first), with the ids each mentions.
Result<std::vector<Commit>> read_commits(const std::string& repo, const std::string& base,
                                         const std::string& head) {
  std::vector<Commit> commits;
  auto st =
      stream_git(repo,
                 {"log", "--first-parent", "--no-color", "--no-ext-diff", "-U0", "-p",
                  "--format=%x1e%H%x1f%P%x1f%s%n%b", base + ".." + head, "--"},
                 [&](std::string_view line) {
                   if (!line.empty() && line[0] == kCommitMark) {
                     line.remove_prefix(1);
                     Commit c;
                     size_t a = line.find(kFieldMark);
                     size_t b = a == std::string_view::npos ? a : line.find(kFieldMark, a + 1);
                     if (b == std::string_view::npos) return;
                     c.sha = std::string(line.substr(0, a));
                     c.merge = line.substr(a + 1, b - a - 1).find(' ') != std::string_view::npos;
                     c.subject = std::string(line.substr(b + 1));
                     for (auto& id : requirement_ids(c.subject))
                       c.ids.insert(id);
                     commits.push_back(std::move(c));
                     return;
                   }
                   if (commits.empty()) return;
                   for (std::string_view skip : {"diff --git ", "index ", "--- ", "+++ ", "@@ "}) {
                     if (line.starts_with(skip)) return;
                   }
                   for (auto& id : requirement_ids(line))
                     commits.back().ids.insert(id);
                 });
  if (!st) return tl::unexpected(st.error());
  return commits;
}

// The ids each file mentions at `head`.
Result<Mentions> read_mentions(const std::string& repo, const std::string& head) {
  Mentions mentions;
  std::string prefix = head + ":";
  auto st = stream_git(
      repo, {"grep", "-z", "-I", "-E", "REQ-[0-9]+", head, "--"},
      [&](std::string_view line) {
        size_t nul = line.find('\0');
        if (nul == std::string_view::npos || !line.starts_with(prefix)) return;
        std::string path(line.substr(prefix.size(), nul - prefix.size()));
        for (auto& id : requirement_ids(line.substr(nul + 1)))
          mentions[path].insert(id);
      },
      /*one_ok=*/true);
  if (!st) return tl::unexpected(st.error());
  return mentions;
}

bool intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& x) {
    return std::find(b.begin(), b.end(), x) != b.end();
  });
}

Json gate_json(const StepRun& step, const GateResult& g) {
  return Json{{"step", step.id}, {"gate", g.gate}, {"result", g.result}, {"evidence", g.evidence}};
}

// Which step made each commit: the commits its attempts recorded, and those of an attempt under
// way.
void name_steps(const TraceInput& in, std::vector<Commit>& commits) {
  std::map<std::string, std::string> step_of;
  for (const auto& s : in.run->steps) {
    for (const auto& sha : s.commits)
      step_of.emplace(sha, s.id);
    if ((s.state == "running" || s.state == "checking") && !s.start_commit.empty()) {
      auto made = git::commits_between(in.repo, s.start_commit, in.head);
      if (!made) continue;
      for (auto& sha : *made)
        step_of.emplace(sha, s.id);
    }
  }
  for (auto& c : commits) {
    if (auto it = step_of.find(c.sha); it != step_of.end()) c.step = it->second;
  }
}

// The run's requirements, by number: the brief's, and those of the files its steps changed that
// are not tests (the spec).
std::vector<std::string> defined_ids(const TraceInput& in, const Mentions& mentions) {
  std::vector<std::string> defined = requirement_ids(in.brief);
  std::set<std::string> changed;
  for (const auto& s : in.run->steps)
    changed.insert(s.changed.begin(), s.changed.end());
  for (const auto& path : changed) {
    auto it = mentions.find(path);
    if (it == mentions.end() || git::path_in_domains(path, in.test_globs)) continue;
    for (const auto& id : it->second) {
      if (std::find(defined.begin(), defined.end(), id) == defined.end()) defined.push_back(id);
    }
  }
  std::sort(defined.begin(), defined.end(), by_number);
  return defined;
}

// The gates that checked a requirement with these tests; the steps whose tests_green passed,
// and the last tests_green (null when none ran).
struct Checked {
  Json gates = Json::array();
  std::set<std::string> green_steps;
  const GateResult* last_green = nullptr;
};

Checked checked_by(const PipelineRun& run, const std::vector<std::string>& tests) {
  Checked c;
  for (const auto& s : run.steps) {
    for (const auto& g : s.gates) {
      bool covers = false;
      if (g.gate == "tests_red") covers = intersects(s.test_files, tests);
      if (g.gate == "tests_green" || g.gate == "tests_untouched") covers = !tests.empty();
      if (g.gate == "review" || g.gate == "human") covers = true;
      if (!covers) continue;
      c.gates.push_back(gate_json(s, g));
      if (g.gate == "tests_green") {
        if (!c.last_green || g.at_ms >= c.last_green->at_ms) c.last_green = &g;
        if (g.result == "passed") c.green_steps.insert(s.id);
      }
    }
  }
  return c;
}

Json requirement_row(const std::string& id, bool in_brief, const TraceInput& in,
                     const Mentions& mentions, const std::vector<Commit>& commits) {
  std::vector<std::string> files;
  std::vector<std::string> tests;
  for (const auto& [path, ids] : mentions) {
    if (ids.count(id) == 0) continue;
    (git::path_in_domains(path, in.test_globs) ? tests : files).push_back(path);
  }
  Checked checked = checked_by(*in.run, tests);
  Json made = Json::array();
  for (const auto& c : commits) {
    const char* why = nullptr;
    if (c.ids.count(id) != 0) {
      why = "mentions";
    } else if (!c.merge && !tests.empty() && checked.green_steps.count(c.step) != 0) {
      why = "made its tests pass";
    }
    if (!why) continue;
    made.push_back(Json{{"commit", c.sha}, {"subject", c.subject}, {"step", c.step}, {"why", why}});
  }
  std::string status = "untested";
  if (!tests.empty()) {
    const GateResult* last = checked.last_green;
    status = !last ? "tested" : last->result == "passed" ? "verified" : "failing";
  }
  return Json{{"id", id},       {"in_brief", in_brief}, {"status", status},      {"files", files},
              {"tests", tests}, {"commits", made},      {"gates", checked.gates}};
}

// Ids that only tests name: no requirement of the run.
Json unknown_ids(const TraceInput& in, const Mentions& mentions,
                 const std::vector<std::string>& defined) {
  std::map<std::string, std::vector<std::string>, decltype(&by_number)> stray(by_number);
  for (const auto& [path, ids] : mentions) {
    if (!git::path_in_domains(path, in.test_globs)) continue;
    for (const auto& id : ids) {
      if (std::find(defined.begin(), defined.end(), id) == defined.end()) {
        stray[id].push_back(path);
      }
    }
  }
  Json unknown = Json::array();
  for (const auto& [id, tests] : stray)
    unknown.push_back(Json{{"id", id}, {"tests", tests}});
  return unknown;
}

}  // namespace

std::vector<std::string> requirement_ids(std::string_view text) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while ((pos = text.find(kPrefix, pos)) != std::string_view::npos) {
    size_t end = pos + kPrefix.size();
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])) != 0)
      ++end;
    bool digits = end > pos + kPrefix.size();
    bool alone =
        (pos == 0 || !word_char(text[pos - 1])) && (end == text.size() || !word_char(text[end]));
    if (digits && alone && end - pos <= kMaxIdLength) {
      std::string id(text.substr(pos, end - pos));
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    pos = digits ? end : pos + kPrefix.size();
  }
  return ids;
}

Result<Json> trace_requirements(const TraceInput& in) {
  auto commits = read_commits(in.repo, in.run->base_commit, in.head);
  if (!commits) return tl::unexpected(commits.error());
  auto mentions = read_mentions(in.repo, in.head);
  if (!mentions) return tl::unexpected(mentions.error());
  name_steps(in, *commits);
  std::vector<std::string> defined = defined_ids(in, *mentions);
  std::vector<std::string> brief = requirement_ids(in.brief);
  Json requirements = Json::array();
  for (const auto& id : defined) {
    bool in_brief = std::find(brief.begin(), brief.end(), id) != brief.end();
    requirements.push_back(requirement_row(id, in_brief, in, *mentions, *commits));
  }
  return Json{{"run", in.run->id},
              {"head", in.head},
              {"requirements", requirements},
              {"unknown", unknown_ids(in, *mentions, defined)}};
}

}  // namespace bosun
