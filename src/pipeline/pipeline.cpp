// Pipeline: the YAML loader (positions in every error), the checks across steps (needs, cycles,
// back_to, placeholders), lookup with project files first.
#include "pipeline/pipeline.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "util/duration.h"
#include "util/text.h"
#include "util/yaml_reader.h"

namespace bosun {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxSteps = 50;

struct GateName {
  GateKind kind;
  const char* name;
};
constexpr GateName kGates[] = {
    {GateKind::kReport, "report"},
    {GateKind::kTestsRed, "tests_red"},
    {GateKind::kTestsGreen, "tests_green"},
    {GateKind::kTestsUntouched, "tests_untouched"},
    {GateKind::kDomains, "domains"},
    {GateKind::kReview, "review"},
    {GateKind::kHuman, "human"},
};

std::string gate_names() {
  std::string out;
  for (const auto& g : kGates)
    out += (out.empty() ? "" : ", ") + std::string(g.name);
  return out;
}

// 1-32 characters of [a-z0-9_-], starting with a letter: step ids and pipeline names.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 32 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

class Reader : public YamlReader {
 public:
  explicit Reader(const std::string& file) : YamlReader(file, "invalid_pipeline") {}

  Result<Millis> duration(const YAML::Node& node, const std::string& what) const {
    TRY(text, str(node, what));
    auto d = parse_duration(*text);
    if (!d) return bad(node, what + ": " + d.error().message);
    return *d;
  }

  Result<std::string> id(const YAML::Node& node, const std::string& what) const {
    TRY(text, str(node, what));
    if (!valid_id(*text)) {
      return bad(node, fmt::format("{} '{}' must be 1-32 characters of [a-z0-9_-], starting with "
                                   "a letter",
                                   what, *text));
    }
    return *text;
  }
};

Result<OnFail> parse_on_fail(const Reader& r, const YAML::Node& node) {
  OnFail out;
  if (node.IsScalar()) {
    if (node.Scalar() == "retry") return out;
    if (node.Scalar() == "ask") {
      out.action = OnFail::Action::kAsk;
      return out;
    }
  } else if (node.IsMap() && node.size() == 1 && node["back_to"]) {
    TRY(step, r.id(node["back_to"], "back_to"));
    out.action = OnFail::Action::kBackTo;
    out.step = *step;
    return out;
  }
  return r.bad(node, "on_fail must be retry, ask, or {back_to: STEP}");
}

// A gate: its name, or {name: {on_fail, who}}.
Result<Gate> parse_gate(const Reader& r, const YAML::Node& node) {
  // (A YAML::Node is a handle: assigning to one writes into the tree, so each is made once.)
  const bool with_options = node.IsMap();
  if (with_options && node.size() != 1) {
    return r.bad(node, "a gate is its name, or {name: {options}}");
  }
  const YAML::Node name_node = with_options ? node.begin()->first : node;
  const YAML::Node options = with_options ? node.begin()->second : YAML::Node();
  TRY(name, r.str(name_node, "a gate"));
  auto kind = parse_gate_kind(*name);
  if (!kind) {
    return r.bad(name_node, fmt::format("unknown gate '{}' (known: {})", *name, gate_names()));
  }
  Gate gate;
  gate.kind = *kind;
  if (options && !options.IsNull()) {
    TRY_OK(r.keys(options, "gate " + *name, {"on_fail", "who"}));
    if (options["on_fail"]) {
      TRY(on_fail, parse_on_fail(r, options["on_fail"]));
      gate.on_fail = *on_fail;
    }
    if (options["who"]) {
      if (gate.kind != GateKind::kHuman) return r.bad(options["who"], "only a human gate has who");
      TRY(who, r.strings(options["who"], "who"));
      gate.who = std::move(*who);
    }
  }
  return gate;
}

Result<Step> parse_step(const Reader& r, const YAML::Node& node) {
  TRY_OK(r.keys(node, "a step",
                {"id", "role", "mode", "prompt", "needs", "gates", "max_attempts", "timeout"}));
  Step step;
  step.where = r.at(node);
  if (!node["id"]) return r.bad(node, "a step needs an id");
  TRY(id, r.id(node["id"], "step id"));
  step.id = *id;
  if (!node["role"]) return r.bad(node, "step " + step.id + " needs a role");
  TRY(role, r.str(node["role"], "role"));
  if (role->empty()) return r.bad(node["role"], "step " + step.id + " needs a role");
  step.role = *role;
  step.role_at = r.at(node["role"]);
  if (node["mode"]) {
    TRY(mode, r.str(node["mode"], "mode"));
    if (*mode == "headless") {
      step.mode = StepMode::kHeadless;
    } else if (*mode != "agent") {
      return r.bad(node["mode"], "mode must be headless or agent, not '" + *mode + "'");
    }
  }
  if (node["prompt"]) {
    TRY(prompt, r.str(node["prompt"], "prompt"));
    step.prompt = *prompt;
  }
  if (node["needs"]) {
    TRY(needs, r.strings(node["needs"], "needs"));
    step.needs = std::move(*needs);
  }
  if (node["gates"]) {
    const YAML::Node& gates = node["gates"];
    if (!gates.IsSequence()) return r.bad(gates, "gates must be a list");
    for (const auto& g : gates) {
      TRY(gate, parse_gate(r, g));
      step.gates.push_back(std::move(*gate));
    }
  }
  if (node["max_attempts"]) {
    TRY(n, r.integer(node["max_attempts"], "max_attempts", 1, 20));
    step.max_attempts = *n;
  }
  if (node["timeout"]) {
    TRY(d, r.duration(node["timeout"], "timeout"));
    step.timeout = *d;
  }
  return step;
}

Result<PipelineLimits> parse_limits(const Reader& r, const YAML::Node& node) {
  TRY_OK(r.keys(
      node, "limits",
      {"max_loops", "timeout", "budget_tokens", "budget_usd", "max_rewrites", "max_failures"}));
  PipelineLimits limits;
  if (node["max_loops"]) {
    TRY(n, r.integer(node["max_loops"], "max_loops", 0, 100));
    limits.max_loops = *n;
  }
  if (node["max_rewrites"]) {
    TRY(n, r.integer(node["max_rewrites"], "max_rewrites", 1, 1000));
    limits.max_rewrites = *n;
  }
  if (node["max_failures"]) {
    TRY(n, r.integer(node["max_failures"], "max_failures", 1, 100));
    limits.max_failures = *n;
  }
  if (node["timeout"]) {
    TRY(d, r.duration(node["timeout"], "timeout"));
    limits.timeout = *d;
  }
  if (node["budget_tokens"]) {
    TRY(n, r.number(node["budget_tokens"], "budget_tokens", 1, 1e12));
    if (*n != static_cast<double>(static_cast<int64_t>(*n))) {
      return r.bad(node["budget_tokens"], "budget_tokens must be a whole number");
    }
    limits.budget_tokens = static_cast<int64_t>(*n);
  }
  if (node["budget_usd"]) {
    TRY(n, r.number(node["budget_usd"], "budget_usd", 0.01, 1e6));
    limits.budget_usd = *n;
  }
  return limits;
}

// The placeholders of `prompt`: each {{…}} must be a known field, or an output of a step in
// `before` (what the step needs, directly or not).
Status check_prompt(const Reader& r, const YAML::Node& node, const Step& step,
                    const std::set<std::string>& before) {
  const std::string& p = step.prompt;
  for (size_t at = p.find("{{"); at != std::string::npos; at = p.find("{{", at + 2)) {
    size_t end = p.find("}}", at + 2);
    if (end == std::string::npos) {
      return r.bad(node, fmt::format("step {}: a {{{{ with no }}}} in its prompt", step.id));
    }
    std::string field = p.substr(at + 2, end - at - 2);
    field.erase(0, field.find_first_not_of(' '));
    field.erase(field.find_last_not_of(' ') + 1);
    if (std::find(std::begin(kPromptFields), std::end(kPromptFields), field) !=
        std::end(kPromptFields)) {
      continue;
    }
    if (field.starts_with("steps.")) {
      std::string rest = field.substr(6);
      size_t dot = rest.find('.');
      std::string id = rest.substr(0, dot);
      std::string what = dot == std::string::npos ? "" : rest.substr(dot + 1);
      if (what != "output" && what != "report") {
        return r.bad(node, fmt::format("step {}: {{{{{}}}}} must end in .output or .report",
                                       step.id, field));
      }
      if (!before.contains(id)) {
        return r.bad(node, fmt::format("step {}: {{{{{}}}}} names '{}', which is not a step it "
                                       "needs (add it to needs)",
                                       step.id, field, id));
      }
      continue;
    }
    std::string known;
    for (auto f : kPromptFields)
      known += (known.empty() ? "" : ", ") + std::string(f);
    return r.bad(node, fmt::format("step {}: unknown placeholder {{{{{}}}}} (known: {}, "
                                   "steps.ID.output, steps.ID.report)",
                                   step.id, shorten(field, 40), known));
  }
  return {};
}

}  // namespace

const char* to_string(GateKind kind) {
  for (const auto& g : kGates) {
    if (g.kind == kind) return g.name;
  }
  return "?";
}

std::optional<GateKind> parse_gate_kind(std::string_view name) {
  for (const auto& g : kGates) {
    if (name == g.name) return g.kind;
  }
  return std::nullopt;
}

const Gate* Step::gate(GateKind kind) const {
  for (const auto& g : gates) {
    if (g.kind == kind) return &g;
  }
  return nullptr;
}

const Step* Pipeline::step(std::string_view id) const {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

// Checks each step's needs and puts the steps in p.steps in the order they need each other
// (file order among equals); a step left over is on a cycle.
Status order_steps(Reader& r, const std::vector<Step>& read, const std::vector<YAML::Node>& nodes,
                   std::map<std::string, size_t>& index, Pipeline& p) {
  for (size_t i = 0; i < read.size(); ++i) {
    for (const auto& need : read[i].needs) {
      YAML::Node at = nodes[i]["needs"];
      if (need == read[i].id) return r.bad(at, "step " + need + " needs itself");
      if (!index.contains(need)) {
        return r.bad(at, fmt::format("step {} needs '{}', which is not a step of this pipeline",
                                     read[i].id, need));
      }
    }
  }
  std::vector<int> state(read.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<size_t> path;
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    if (state[i] == 2) return {};
    if (state[i] == 1) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), i);
      for (auto it = from; it != path.end(); ++it)
        cycle += read[*it].id + " → ";
      return r.bad(nodes[i]["needs"], "needs make a cycle: " + cycle + read[i].id);
    }
    state[i] = 1;
    path.push_back(i);
    for (const auto& need : read[i].needs)
      TRY_OK(visit(index[need]));
    path.pop_back();
    state[i] = 2;
    p.steps.push_back(read[i]);
    return {};
  };
  for (size_t i = 0; i < read.size(); ++i)
    TRY_OK(visit(i));
  return {};
}

// A step goes back only to a step it needs (directly or not), and its prompt names only what
// those steps give.
Status check_references(Reader& r, const Pipeline& p, const std::vector<YAML::Node>& nodes,
                        std::map<std::string, size_t>& index) {
  // What each step needs, directly or not: the steps whose output it may use or go back to.
  std::map<std::string, std::set<std::string>> before;
  for (const auto& s : p.steps) {
    auto& mine = before[s.id];
    for (const auto& need : s.needs) {
      mine.insert(need);
      mine.insert(before[need].begin(), before[need].end());
    }
  }
  for (const auto& s : p.steps) {
    const YAML::Node& node = nodes[index[s.id]];
    for (size_t g = 0; g < s.gates.size(); ++g) {
      const Gate& gate = s.gates[g];
      if (gate.on_fail.action == OnFail::Action::kBackTo &&
          !before[s.id].contains(gate.on_fail.step)) {
        return r.bad(node["gates"][g], fmt::format("step {}: back_to '{}' is not a step it needs",
                                                   s.id, gate.on_fail.step));
      }
    }
    if (node["prompt"]) TRY_OK(check_prompt(r, node["prompt"], s, before[s.id]));
  }
  return {};
}

Result<Pipeline> parse_pipeline(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return tl::unexpected(Error{ErrorKind::kInvalid, "invalid_pipeline",
                                fmt::format("{}:{}:{}: not valid YAML: {}", file, e.mark.line + 1,
                                            e.mark.column + 1, e.msg)});
  }
  Reader r(file);
  if (!root.IsMap()) return r.bad(root, "a pipeline file must be a mapping");
  TRY_OK(r.keys(root, "a pipeline", {"name", "description", "limits", "tests", "steps"}));
  Pipeline p;
  p.file = file;
  if (!root["name"]) return r.bad(root, "a pipeline needs a name");
  TRY(name, r.id(root["name"], "pipeline name"));
  p.name = *name;
  if (root["description"]) {
    TRY(d, r.str(root["description"], "description"));
    p.description = *d;
  }
  if (root["limits"]) {
    TRY(limits, parse_limits(r, root["limits"]));
    p.limits = *limits;
  }
  if (root["tests"]) {
    TRY(globs, r.strings(root["tests"], "tests"));
    if (globs->empty()) return r.bad(root["tests"], "tests: at least one path or glob");
    p.test_globs = *globs;
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) {
    return r.bad(steps ? steps : root, "a pipeline needs steps: a list of at least one step");
  }
  if (steps.size() > kMaxSteps) {
    return r.bad(steps, fmt::format("{} steps; at most {} are allowed", steps.size(), kMaxSteps));
  }
  std::vector<Step> read;
  std::vector<YAML::Node> nodes;
  std::map<std::string, size_t> index;
  for (const auto& node : steps) {
    TRY(step, parse_step(r, node));
    if (auto it = index.find(step->id); it != index.end()) {
      return r.bad(node["id"], fmt::format("step id '{}' is used twice (first at {})", step->id,
                                           read[it->second].where));
    }
    index[step->id] = read.size();
    read.push_back(std::move(*step));
    nodes.push_back(node);
  }
  TRY_OK(order_steps(r, read, nodes, index, p));
  TRY_OK(check_references(r, p, nodes, index));
  return p;
}

Status check_roles(const Pipeline& pipeline, std::span<const std::string> roles) {
  for (const auto& s : pipeline.steps) {
    if (std::find(roles.begin(), roles.end(), s.role) != roles.end()) continue;
    std::string known;
    for (const auto& role : roles)
      known += (known.empty() ? "" : ", ") + role;
    return tl::unexpected(
        Error{ErrorKind::kUnprocessable, "unknown_role",
              fmt::format("{}: step {} has role '{}', which the project has no role file for "
                          "(roles: {})",
                          s.role_at, s.id, s.role, known.empty() ? "none" : known)});
  }
  return {};
}

namespace {

Result<Pipeline> read_pipeline_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("pipeline_not_found", "cannot read pipeline file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_pipeline(text.str(), path.string());
}

// A pipeline read from where `name` says it is; its own name must be that name.
Result<Pipeline> named(Result<Pipeline> p, const std::string& name) {
  if (p && p->name != name) {
    return tl::unexpected(
        Error{ErrorKind::kInvalid, "invalid_pipeline",
              fmt::format("{}: the file names pipeline '{}', not '{}'", p->file, p->name, name)});
  }
  return p;
}

// The pipeline read for entry `e`, or what is wrong with it.
void keep(PipelineEntry& e, Result<Pipeline> p) {
  if (p) {
    e.pipeline = std::move(*p);
  } else {
    e.error = p.error();
  }
}

fs::path project_file(const fs::path& project, const std::string& name) {
  return project / ".bosun" / "pipelines" / (name + ".yaml");
}

}  // namespace

Result<Pipeline> load_pipeline(const std::string& name, const fs::path& project) {
  if (!valid_id(name)) {
    return bad_request(
        "invalid_pipeline_name",
        "a pipeline name is 1-32 characters of [a-z0-9_-]: '" + shorten(name, 40) + "'");
  }
  std::error_code ec;
  if (!project.empty() && fs::is_regular_file(project_file(project, name), ec)) {
    return named(read_pipeline_file(project_file(project, name)), name);
  }
  for (const auto& b : builtin_pipelines()) {
    if (b.name == name) return named(parse_pipeline(b.text, std::string(b.path)), name);
  }
  std::string names;
  for (const auto& e : list_pipelines(project))
    names += (names.empty() ? "" : ", ") + e.name;
  return not_found("pipeline_not_found",
                   fmt::format("no pipeline '{}' (built in, or {}); known: {}", name,
                               project_file(project, name).string(), names));
}

std::vector<PipelineEntry> list_pipelines(const fs::path& project) {
  std::map<std::string, PipelineEntry> by_name;
  for (const auto& b : builtin_pipelines()) {
    PipelineEntry e{std::string(b.name), std::string(b.path), std::nullopt, std::nullopt, true};
    keep(e, named(parse_pipeline(b.text, e.file), e.name));
    by_name[e.name] = std::move(e);
  }
  std::error_code ec;
  fs::path dir = project / ".bosun" / "pipelines";
  if (!project.empty() && fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().stem().string();
      if (entry.path().extension() != ".yaml" || !valid_id(name)) continue;
      PipelineEntry e{name,  entry.path().string(), std::nullopt, std::nullopt,
                      false, by_name.contains(name)};
      keep(e, named(read_pipeline_file(entry.path()), name));
      by_name[name] = std::move(e);
    }
  }
  std::vector<PipelineEntry> out;
  out.reserve(by_name.size());
  for (auto& [name, e] : by_name)
    out.push_back(std::move(e));
  return out;
}

Json to_json(const Pipeline& p) {
  Json steps = Json::array();
  for (const auto& s : p.steps) {
    Json gates = Json::array();
    for (const auto& g : s.gates) {
      Json on_fail = g.on_fail.action == OnFail::Action::kRetry ? Json("retry")
                     : g.on_fail.action == OnFail::Action::kAsk ? Json("ask")
                                                                : Json{{"back_to", g.on_fail.step}};
      Json gate{{"gate", to_string(g.kind)}, {"on_fail", on_fail}};
      if (g.kind == GateKind::kHuman) gate["who"] = g.who;
      gates.push_back(std::move(gate));
    }
    steps.push_back(Json{{"id", s.id},
                         {"role", s.role},
                         {"mode", s.mode == StepMode::kHeadless ? "headless" : "agent"},
                         {"needs", s.needs},
                         {"gates", gates},
                         {"max_attempts", s.max_attempts},
                         {"timeout", s.timeout ? Json(format_duration(*s.timeout)) : Json()},
                         {"prompt", s.prompt}});
  }
  const PipelineLimits& l = p.limits;
  return Json{{"name", p.name},
              {"description", p.description},
              {"file", p.file},
              {"limits",
               {{"max_loops", l.max_loops},
                {"max_rewrites", l.max_rewrites},
                {"max_failures", l.max_failures},
                {"timeout", l.timeout ? Json(format_duration(*l.timeout)) : Json()},
                {"budget_tokens", l.budget_tokens ? Json(*l.budget_tokens) : Json()},
                {"budget_usd", l.budget_usd ? Json(*l.budget_usd) : Json()}}},
              {"tests", p.test_globs},
              {"steps", steps}};
}

}  // namespace bosun
