// Profile: the YAML loader (positions in every error), lookup with project overrides, argv
// templates.
#include "agent/profile.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/yaml_json.h"
#include "util/yaml_reader.h"

namespace bosun {

namespace fs = std::filesystem;

bool Pattern::search(std::string_view row) const {
  return std::regex_search(row.begin(), row.end(), re);
}

std::optional<std::string> Pattern::capture(std::string_view row) const {
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(row.begin(), row.end(), m, re)) return std::nullopt;
  if (m.size() > 1 && m[1].matched) return m[1].str();
  return m[0].str();
}

const Dialog* Profile::dialog(std::string_view wanted) const {
  for (const auto& d : dialogs) {
    if (d.name == wanted) return &d;
  }
  return nullptr;
}

namespace {

// Reads one profile file, turning every problem into "file:line:col: what"; adds the screen
// rules' patterns to what every YAML loader reads.
class Reader : public YamlReader {
 public:
  explicit Reader(const std::string& file) : YamlReader(file, "invalid_profile") {}

  Result<Pattern> pattern(const YAML::Node& node, const std::string& what) const {
    auto text = str(node, what);
    if (!text) return tl::unexpected(text.error());
    // Rows are matched as UTF-8 bytes: a bracket class would split a non-ASCII character.
    bool in_class = false;
    for (size_t i = 0; i < text->size(); ++i) {
      char c = (*text)[i];
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c == '[') in_class = true;
      if (c == ']') in_class = false;
      bool quantified = i + 1 < text->size() && std::strchr("*+?{", (*text)[i + 1]) != nullptr;
      if (!in_class && static_cast<unsigned char>(c) >= 0x80 && quantified) {
        return bad(node, what + ": a quantifier after a non-ASCII character repeats only its " +
                             "last byte; wrap the character in a group: (─){10,}");
      }
      if (in_class && static_cast<unsigned char>(c) >= 0x80) {
        return bad(node, what + ": a [...] class cannot hold a non-ASCII character (rows are " +
                             "matched as UTF-8 bytes); write a choice (a|b) instead");
      }
    }
    try {
      return Pattern{*text, std::regex(*text, std::regex::ECMAScript | std::regex::optimize)};
    } catch (const std::regex_error& e) {
      return bad(node, fmt::format("{}: not a valid regular expression ({})", what, e.what()));
    }
  }

  Result<std::vector<Pattern>> patterns(const YAML::Node& node, const std::string& what) const {
    std::vector<Pattern> out;
    if (node.IsScalar()) {
      auto p = pattern(node, what);
      if (!p) return tl::unexpected(p.error());
      out.push_back(std::move(*p));
      return out;
    }
    if (!node.IsSequence() || node.size() == 0) {
      return bad(node, what + " must be a regular expression or a list of them");
    }
    for (const auto& item : node) {
      auto p = pattern(item, what);
      if (!p) return tl::unexpected(p.error());
      out.push_back(std::move(*p));
    }
    return out;
  }
};

Result<Region> parse_region(const Reader& r, const YAML::Node& node) {
  TRY(s, r.str(node, "where"));
  if (*s == "composer") return Region::kComposer;
  if (*s == "above") return Region::kAbove;
  if (*s == "just_above") return Region::kJustAbove;
  if (*s == "below") return Region::kBelow;
  if (*s == "live") return Region::kLive;
  if (*s == "tail") return Region::kTail;
  if (*s == "last_line") return Region::kLastLine;
  return r.bad(node,
               "where must be composer, above, just_above, below, live, tail or last_line (a rule "
               "never looks at the whole transcript)");
}

Result<ComposerCondition> parse_when(const Reader& r, const YAML::Node& node) {
  TRY(s, r.str(node, "when"));
  if (*s == "any") return ComposerCondition::kAny;
  if (*s == "composer") return ComposerCondition::kPresent;
  if (*s == "no_composer") return ComposerCondition::kAbsent;
  return r.bad(node, "when must be any, composer or no_composer");
}

Result<ScreenRule> parse_rule(const Reader& r, const YAML::Node& node) {
  if (auto st = r.keys(node, "a screen rule",
                       {"name", "state", "confidence", "where", "when", "match", "all", "reset",
                        "dialog", "versions"});
      !st) {
    return tl::unexpected(st.error());
  }
  ScreenRule rule;
  rule.line = node.Mark().line + 1;
  if (!node["name"]) return r.bad(node, "a screen rule needs a name");
  TRY(name, r.str(node["name"], "name"));
  rule.name = *name;
  if (!node["state"]) return r.bad(node, "rule " + rule.name + " needs a state");
  TRY(state_text, r.str(node["state"], "state"));
  auto state = parse_agent_state(*state_text);
  if (!state || !detected_state(*state)) {
    return r.bad(node["state"],
                 "state must be working, idle, waiting_input, rate_limited or "
                 "errored (the process decides starting and exited)");
  }
  rule.state = *state;
  if (!node["match"]) return r.bad(node, "rule " + rule.name + " needs match: (regexes)");
  TRY(match, r.patterns(node["match"], "match"));
  rule.match = std::move(*match);
  if (node["all"]) {
    TRY(all, r.patterns(node["all"], "all"));
    rule.all = std::move(*all);
  }
  if (node["confidence"]) {
    TRY(c, r.number(node["confidence"], "confidence", 0.0, 1.0));
    rule.confidence = *c;
  }
  if (node["where"]) {
    TRY(w, parse_region(r, node["where"]));
    rule.where = *w;
  }
  if (node["when"]) {
    TRY(w, parse_when(r, node["when"]));
    rule.when = *w;
  }
  if ((rule.where == Region::kComposer || rule.where == Region::kAbove ||
       rule.where == Region::kJustAbove || rule.where == Region::kBelow) &&
      rule.when == ComposerCondition::kAbsent) {
    return r.bad(node["when"], "a rule that looks around the composer cannot require it absent");
  }
  if (node["reset"]) {
    if (rule.state != AgentState::kRateLimited) {
      return r.bad(node["reset"], "reset: belongs only to rate_limited rules");
    }
    TRY(p, r.pattern(node["reset"], "reset"));
    rule.reset = std::move(*p);
  }
  if (node["dialog"]) {
    TRY(d, r.str(node["dialog"], "dialog"));
    rule.dialog = *d;
  }
  if (node["versions"]) {
    TRY(v, r.str(node["versions"], "versions"));
    rule.versions = *v;
  }
  return rule;
}

Status parse_screen(const Reader& r, const YAML::Node& node, ScreenSpec& out) {
  if (auto st =
          r.keys(node, "screen",
                 {"verified", "quiet_ms", "composer", "above", "tail_rows", "quiet_idle", "rules"});
      !st) {
    return st;
  }
  if (node["verified"]) {
    TRY(v, r.strings(node["verified"], "verified"));
    out.verified = std::move(*v);
  }
  if (node["quiet_ms"]) {
    TRY(q, r.integer(node["quiet_ms"], "quiet_ms", 50, 60'000));
    out.quiet = Millis(*q);
  }
  if (const auto& c = node["composer"]) {
    if (auto st = r.keys(c, "composer", {"match", "within_bottom", "box"}); !st) return st;
    if (!c["match"]) return r.bad(c, "composer needs match: (regexes for the composer row)");
    ComposerSpec spec;
    TRY(m, r.patterns(c["match"], "composer.match"));
    spec.match = std::move(*m);
    if (c["within_bottom"]) {
      TRY(w, r.integer(c["within_bottom"], "composer.within_bottom", 0, 50));
      spec.within_bottom = *w;
    }
    if (c["box"]) {
      TRY(b, r.pattern(c["box"], "composer.box"));
      spec.box = std::move(*b);
    }
    out.composer = std::move(spec);
  }
  if (const auto& a = node["above"]) {
    if (auto st = r.keys(a, "above", {"rows", "stop_at", "chrome"}); !st) return st;
    if (a["rows"]) {
      TRY(n, r.integer(a["rows"], "above.rows", 0, 100));
      out.above_rows = *n;
    }
    if (a["stop_at"]) {
      TRY(p, r.pattern(a["stop_at"], "above.stop_at"));
      out.above_stop = std::move(*p);
    }
    if (a["chrome"]) {
      TRY(p, r.patterns(a["chrome"], "above.chrome"));
      out.above_chrome = std::move(*p);
    }
  }
  if (node["tail_rows"]) {
    TRY(n, r.integer(node["tail_rows"], "tail_rows", 1, 200));
    out.tail_rows = *n;
  }
  if (node["quiet_idle"]) {
    TRY(b, r.boolean(node["quiet_idle"], "quiet_idle"));
    out.quiet_idle = *b;
  }
  if (const auto& rules = node["rules"]) {
    if (!rules.IsSequence()) return r.bad(rules, "rules must be a list");
    std::set<std::string> names;
    for (const auto& item : rules) {
      TRY(rule, parse_rule(r, item));
      if (!names.insert(rule->name).second) {
        return r.bad(item, "the rule name " + rule->name + " is used twice");
      }
      bool needs_composer = rule->where != Region::kTail && rule->where != Region::kLastLine;
      if (needs_composer && !out.composer) {
        return r.bad(
            item, "rule " + rule->name + " looks around the composer, but screen has no composer:");
      }
      out.rules.push_back(std::move(*rule));
    }
  }
  return {};
}

Status parse_dialogs(const Reader& r, const YAML::Node& node, std::vector<Dialog>& out) {
  if (!node.IsSequence()) return r.bad(node, "dialogs must be a list");
  for (const auto& item : node) {
    if (auto st = r.keys(item, "a dialog",
                         {"name", "keys", "avoid", "note", "auto_answer", "trusted_when"});
        !st) {
      return st;
    }
    Dialog d;
    if (!item["name"]) return r.bad(item, "a dialog needs a name");
    TRY(name, r.str(item["name"], "name"));
    d.name = *name;
    if (item["keys"]) {
      TRY(k, r.strings(item["keys"], "keys"));
      d.keys = std::move(*k);
    }
    if (item["avoid"]) {
      TRY(a, r.str(item["avoid"], "avoid"));
      d.avoid = *a;
    }
    if (item["note"]) {
      TRY(n, r.str(item["note"], "note"));
      d.note = *n;
    }
    if (item["auto_answer"]) {
      TRY(b, r.boolean(item["auto_answer"], "auto_answer"));
      d.auto_answer = *b;
    }
    if (const auto& when = item["trusted_when"]) {
      if (auto st = r.keys(when, "trusted_when", {"file", "pointer", "equals"}); !st) return st;
      if (!when["file"] || !when["pointer"] || !when["equals"]) {
        return r.bad(when, "trusted_when needs file:, pointer: and equals:");
      }
      TRY(file, r.str(when["file"], "trusted_when.file"));
      TRY(pointer, r.str(when["pointer"], "trusted_when.pointer"));
      if (pointer->empty() || pointer->front() != '/' ||
          pointer->find("{project}") == std::string::npos) {
        return r.bad(when["pointer"],
                     "trusted_when.pointer must be a JSON pointer naming {project}");
      }
      d.trusted_when = Dialog::TrustedWhen{*file, *pointer, node_json(when["equals"])};
      if (d.keys.empty()) return r.bad(item, "dialog " + d.name + " has trusted_when but no keys:");
    }
    if (d.auto_answer && d.keys.empty()) {
      return r.bad(item, "dialog " + d.name + " answers itself (auto_answer) but has no keys:");
    }
    out.push_back(std::move(d));
  }
  return {};
}

Status parse_session(const Reader& r, const YAML::Node& node, Profile::Session& out) {
  if (auto st = r.keys(node, "session", {"assign", "resume", "capture"}); !st) return st;
  if (node["assign"]) {
    TRY(v, r.strings(node["assign"], "session.assign"));
    out.assign = std::move(*v);
  }
  if (node["resume"]) {
    TRY(v, r.strings(node["resume"], "session.resume"));
    out.resume = std::move(*v);
  }
  if (const auto& c = node["capture"]) {
    if (!c.IsSequence()) return r.bad(c, "session.capture must be a list");
    for (const auto& item : c) {
      if (auto st = r.keys(item, "a session capture", {"from", "field", "regex"}); !st) return st;
      SessionCapture cap;
      if (!item["from"]) return r.bad(item, "a session capture needs from: (stream or screen)");
      TRY(from, r.str(item["from"], "from"));
      cap.from = *from;
      if (cap.from == "stream") {
        if (!item["field"]) return r.bad(item, "a stream capture needs field:");
        TRY(f, r.str(item["field"], "field"));
        cap.field = *f;
      } else if (cap.from == "screen") {
        if (!item["regex"]) return r.bad(item, "a screen capture needs regex: (group 1 = the id)");
        TRY(p, r.pattern(item["regex"], "regex"));
        cap.regex = std::move(*p);
      } else {
        return r.bad(item["from"], "from must be stream or screen");
      }
      out.capture.push_back(std::move(cap));
    }
  }
  return {};
}

bool valid_profile_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

const std::set<std::string>& known_streams() {
  static const std::set<std::string> streams{"claude-stream-json", "codex-exec-json",
                                             "opencode-run-json", "gemini-stream-json"};
  return streams;
}

}  // namespace

// name, description, version, the interactive and headless templates and the stream format.
Status parse_head(const Reader& r, const YAML::Node& root, Profile& p) {
  if (!root["name"]) return r.bad(root, "a profile needs a name");
  TRY(name, r.str(root["name"], "name"));
  if (!valid_profile_name(*name)) {
    return r.bad(root["name"],
                 "name must be 1-32 characters of [a-z0-9_-], starting with a letter");
  }
  p.name = *name;
  if (root["description"]) {
    TRY(d, r.str(root["description"], "description"));
    p.description = *d;
  }
  if (root["version"]) {
    TRY(v, r.str(root["version"], "version"));
    p.pinned_version = *v;
  }
  if (root["takes_tasks"]) {
    TRY(t, r.boolean(root["takes_tasks"], "takes_tasks"));
    p.takes_tasks = *t;
  }
  if (!root["interactive"]) return r.bad(root, "a profile needs interactive: (an argv template)");
  TRY(inter, r.strings(root["interactive"], "interactive"));
  if (inter->empty()) return r.bad(root["interactive"], "interactive must not be empty");
  p.interactive = std::move(*inter);
  if (root["headless"]) {
    TRY(h, r.strings(root["headless"], "headless"));
    p.headless = std::move(*h);
  }
  if (root["stream"]) {
    TRY(s, r.str(root["stream"], "stream"));
    if (!known_streams().contains(*s)) {
      return r.bad(root["stream"],
                   "stream must be claude-stream-json, codex-exec-json, "
                   "opencode-run-json or gemini-stream-json");
    }
    p.stream = *s;
  }
  return {};
}

// instructions: {how: flag|first_message|none, args, message}.
Status parse_instructions(const Reader& r, const YAML::Node& ins, Profile& p) {
  if (auto st = r.keys(ins, "instructions", {"how", "args", "message"}); !st) {
    return tl::unexpected(st.error());
  }
  if (ins["how"]) {
    TRY(how, r.str(ins["how"], "instructions.how"));
    if (*how != "flag" && *how != "first_message" && *how != "none") {
      return r.bad(ins["how"], "instructions.how must be flag, first_message or none");
    }
    p.instructions.how = *how;
  }
  if (ins["args"]) {
    TRY(a, r.strings(ins["args"], "instructions.args"));
    p.instructions.args = std::move(*a);
  }
  if (ins["message"]) {
    TRY(m, r.str(ins["message"], "instructions.message"));
    p.instructions.message = *m;
  }
  if (p.instructions.how == "flag" && p.instructions.args.empty()) {
    return r.bad(ins, "instructions.how is flag but args: is missing");
  }
  if (p.instructions.how == "first_message" && p.instructions.message.empty()) {
    return r.bad(ins, "instructions.how is first_message but message: is missing");
  }
  return {};
}

// input: {paste: bracketed|plain, pause_ms, submit, clear, submit_grace_ms}.
Status parse_input(const Reader& r, const YAML::Node& in, Profile& p) {
  if (auto st = r.keys(in, "input", {"paste", "pause_ms", "submit", "clear", "submit_grace_ms"});
      !st) {
    return tl::unexpected(st.error());
  }
  if (in["paste"]) {
    TRY(paste, r.str(in["paste"], "input.paste"));
    if (*paste != "bracketed" && *paste != "plain") {
      return r.bad(in["paste"], "input.paste must be bracketed or plain");
    }
    p.input.bracketed_paste = *paste == "bracketed";
  }
  if (in["pause_ms"]) {
    TRY(ms, r.integer(in["pause_ms"], "input.pause_ms", 0, 10'000));
    p.input.pause_ms = *ms;
  }
  if (in["submit"]) {
    TRY(s, r.str(in["submit"], "input.submit"));
    p.input.submit = *s;
  }
  if (in["clear"]) {
    TRY(c, r.str(in["clear"], "input.clear"));
    p.input.clear = *c;
  }
  if (in["submit_grace_ms"]) {
    TRY(ms, r.integer(in["submit_grace_ms"], "input.submit_grace_ms", 0, 30'000));
    p.input.submit_grace_ms = *ms;
  }
  return {};
}

// commands: the CLI's own slash commands (clear, compact, reset, exit, interrupt).
Status parse_commands(const Reader& r, const YAML::Node& cmds, Profile& p) {
  if (auto st = r.keys(cmds, "commands", {"clear", "compact", "reset", "exit", "interrupt"}); !st) {
    return tl::unexpected(st.error());
  }
  for (const auto& kv : cmds) {
    TRY(v, r.str(kv.second, "commands." + kv.first.Scalar()));
    p.commands[kv.first.Scalar()] = *v;
  }
  return {};
}

// hooks: {kind: claude, args} — how the CLI is handed bosun's hooks.
Status parse_hooks(const Reader& r, const YAML::Node& hooks, Profile& p) {
  if (auto st = r.keys(hooks, "hooks", {"kind", "args"}); !st) return tl::unexpected(st.error());
  if (!hooks["kind"] || !hooks["args"]) return r.bad(hooks, "hooks needs kind: and args:");
  TRY(kind, r.str(hooks["kind"], "hooks.kind"));
  if (*kind != "claude") return r.bad(hooks["kind"], "hooks.kind must be claude");
  TRY(args, r.strings(hooks["args"], "hooks.args"));
  p.hooks.kind = *kind;
  p.hooks.args = std::move(*args);
  return {};
}

// home: [".claude", ".claude.json"] — paths relative to HOME, inside it.
Status parse_home(const Reader& r, const YAML::Node& node, Profile& p) {
  TRY(paths, r.strings(node, "home"));
  for (const auto& path : *paths) {
    std::filesystem::path rel(path);
    bool inside =
        !path.empty() && rel.is_relative() &&
        std::none_of(rel.begin(), rel.end(), [](const auto& part) { return part == ".."; });
    if (!inside) return r.bad(node, "home: '" + path + "' is not a path inside HOME");
  }
  p.home = std::move(*paths);
  return {};
}

// permission: {ask|edits|unattended: {args?, env?}}.
Status parse_permission(const Reader& r, const YAML::Node& node, Profile& p) {
  if (auto st = r.keys(node, "permission", {"ask", "edits", "unattended"}); !st) return st;
  for (const auto& kv : node) {
    const std::string policy = kv.first.Scalar();
    const YAML::Node& mode = kv.second;
    if (auto st = r.keys(mode, "permission." + policy, {"args", "env", "settings"}); !st) return st;
    Profile::PermissionMode out;
    if (mode["args"]) {
      TRY(args, r.strings(mode["args"], "permission." + policy + ".args"));
      out.args = std::move(*args);
    }
    if (const auto& env = mode["env"]) {
      if (!env.IsMap()) return r.bad(env, "permission." + policy + ".env must be a mapping");
      for (const auto& e : env) {
        TRY(value, r.str(e.second, "permission." + policy + ".env"));
        out.env[e.first.Scalar()] = *value;
      }
    }
    if (const auto& settings = mode["settings"]) {
      if (!settings.IsMap())
        return r.bad(settings, "permission." + policy + ".settings must be a mapping");
      out.settings = node_json(settings);
    }
    p.permission[policy] = std::move(out);
  }
  return {};
}

// A variable name: [A-Za-z_][A-Za-z0-9_]*.
bool env_name(const std::string& s) {
  return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) == 0 &&
         std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// mcp: {config: claude|opencode|gemini|none, args?, env?, file_env?} — how the CLI is handed
// bosun's MCP endpoint.
Status parse_mcp(const Reader& r, const YAML::Node& mcp, Profile& p) {
  if (auto st = r.keys(mcp, "mcp", {"config", "args", "env", "file_env"}); !st) {
    return tl::unexpected(st.error());
  }
  if (!mcp["config"]) return r.bad(mcp, "mcp needs config:");
  TRY(config, r.str(mcp["config"], "mcp.config"));
  if (*config != "claude" && *config != "opencode" && *config != "gemini" && *config != "none") {
    return r.bad(mcp["config"], "mcp.config must be claude, opencode, gemini or none");
  }
  p.mcp.config = *config;
  if (mcp["args"]) {
    TRY(args, r.strings(mcp["args"], "mcp.args"));
    p.mcp.args = std::move(*args);
  }
  if (mcp["env"]) {
    TRY(env, r.str(mcp["env"], "mcp.env"));
    if (!env_name(*env)) {
      return r.bad(mcp["env"], "mcp.env must be a variable name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    p.mcp.env = *env;
  }
  if (mcp["file_env"]) {
    TRY(env, r.str(mcp["file_env"], "mcp.file_env"));
    if (!env_name(*env)) {
      return r.bad(mcp["file_env"],
                   "mcp.file_env must be a variable name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (!p.mcp.env.empty()) {
      return r.bad(mcp["file_env"], "mcp takes env (the config) or file_env (its file), not both");
    }
    p.mcp.file_env = *env;
  }
  return {};
}

// context: {window?, left?} — the context window's size in tokens, and the screen's marker.
Status parse_context(const Reader& r, const YAML::Node& node, Profile& p) {
  if (auto st = r.keys(node, "context", {"window", "left"}); !st) return tl::unexpected(st.error());
  if (node["window"]) {
    TRY(k, r.integer(node["window"], "context.window", 1000, 100'000'000));
    p.context.window = *k;
  }
  if (node["left"]) {
    TRY(left, r.str(node["left"], "context.left"));
    if (!left->starts_with("%") || left->size() > 40) {
      return r.bad(node["left"],
                   "context.left must be the words after the percent, like \"% context left\"");
    }
    p.context.left = *left;
  }
  return {};
}

Result<Profile> parse_profile(std::string_view text, const std::string& file) {
  Reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return tl::unexpected(
        Error{ErrorKind::kInvalid, "invalid_profile",
              fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)});
  }
  if (!root.IsMap()) {
    return tl::unexpected(
        Error{ErrorKind::kInvalid, "invalid_profile", file + ": a profile must be a mapping"});
  }
  if (auto st = r.keys(root, "the profile",
                       {"name", "description", "version", "takes_tasks", "interactive", "headless",
                        "stream", "instructions", "input", "commands", "session", "hooks", "mcp",
                        "context", "home", "permission", "role_args", "dialogs", "screen"});
      !st) {
    return tl::unexpected(st.error());
  }
  Profile p;
  p.file = file;
  TRY_OK(parse_head(r, root, p));
  if (const auto& ins = root["instructions"]) {
    TRY_OK(parse_instructions(r, ins, p));
  }
  if (const auto& in = root["input"]) {
    TRY_OK(parse_input(r, in, p));
  }
  if (const auto& cmds = root["commands"]) {
    TRY_OK(parse_commands(r, cmds, p));
  }
  if (root["session"]) {
    if (auto st = parse_session(r, root["session"], p.session); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (const auto& hooks = root["hooks"]) {
    TRY_OK(parse_hooks(r, hooks, p));
  }
  if (const auto& mcp = root["mcp"]) {
    TRY_OK(parse_mcp(r, mcp, p));
  }
  if (const auto& context = root["context"]) {
    TRY_OK(parse_context(r, context, p));
  }
  if (const auto& home = root["home"]) {
    TRY_OK(parse_home(r, home, p));
  }
  if (const auto& permission = root["permission"]) {
    TRY_OK(parse_permission(r, permission, p));
  }
  if (const auto& role_args = root["role_args"]) {
    if (auto st = r.keys(role_args, "role_args", {"model", "tools"}); !st)
      return tl::unexpected(st.error());
    if (role_args["model"]) {
      TRY(model, r.strings(role_args["model"], "role_args.model"));
      p.role_args.model = std::move(*model);
    }
    if (role_args["tools"]) {
      TRY(tools, r.strings(role_args["tools"], "role_args.tools"));
      p.role_args.tools = std::move(*tools);
    }
  }
  if (root["dialogs"]) {
    if (auto st = parse_dialogs(r, root["dialogs"], p.dialogs); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (root["screen"]) {
    if (auto st = parse_screen(r, root["screen"], p.screen); !st) {
      return tl::unexpected(st.error());
    }
    const auto& rules = root["screen"]["rules"];
    for (size_t i = 0; i < p.screen.rules.size(); ++i) {
      const auto& rule = p.screen.rules[i];
      if (!rule.dialog.empty() && !p.dialog(rule.dialog)) {
        return r.bad(rules[i]["dialog"], "rule " + rule.name + " names dialog '" + rule.dialog +
                                             "', which dialogs: does not define");
      }
    }
  }
  return p;
}

Result<Profile> load_profile_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("profile_not_found", "cannot read profile file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_profile(text.str(), path.string());
}

Result<Profile> load_profile(const std::string& name, const fs::path& project) {
  if (!valid_profile_name(name)) {
    return bad_request("invalid_profile_name",
                       "a profile name is 1-32 characters of [a-z0-9_-]: '" + name + "'");
  }
  fs::path override_path = project / ".bosun" / "profiles" / (name + ".yaml");
  std::error_code ec;
  if (!project.empty() && fs::is_regular_file(override_path, ec)) {
    return load_profile_file(override_path);
  }
  for (const auto& f : builtin_profile_files()) {
    if (f.name == name) {
      auto p = parse_profile(f.text, std::string(f.path));
      if (p && p->name != name) {
        return tl::unexpected(Error{ErrorKind::kInternal, "invalid_profile",
                                    std::string(f.path) + ": the file names profile " + p->name});
      }
      return p;
    }
  }
  std::string names;
  for (const auto& n : profile_names(project))
    names += (names.empty() ? "" : ", ") + n;
  return not_found("profile_not_found", fmt::format("no profile '{}' (built in, or {}); known: {}",
                                                    name, override_path.string(), names));
}

std::vector<std::string> profile_names(const fs::path& project) {
  std::set<std::string> names;
  for (const auto& f : builtin_profile_files())
    names.insert(std::string(f.name));
  std::error_code ec;
  fs::path dir = project / ".bosun" / "profiles";
  if (!project.empty() && fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".yaml" && valid_profile_name(entry.path().stem().string())) {
        names.insert(entry.path().stem().string());
      }
    }
  }
  return {names.begin(), names.end()};
}

Result<std::vector<std::string>> expand_argv(const std::vector<std::string>& templ,
                                             const std::map<std::string, std::string>& vars) {
  std::vector<std::string> out;
  for (const auto& element : templ) {
    // An element that is one placeholder: optional.
    if (element.size() > 2 && element.front() == '{' && element.back() == '}' &&
        element.find('{', 1) == std::string::npos) {
      auto it = vars.find(element.substr(1, element.size() - 2));
      if (it == vars.end() || it->second.empty()) continue;
      out.push_back(it->second);
      continue;
    }
    std::string expanded;
    size_t pos = 0;
    while (pos < element.size()) {
      size_t open = element.find('{', pos);
      size_t close = open == std::string::npos ? open : element.find('}', open);
      if (close == std::string::npos) {
        expanded += element.substr(pos);
        break;
      }
      expanded += element.substr(pos, open - pos);
      std::string key = element.substr(open + 1, close - open - 1);
      auto it = vars.find(key);
      if (it == vars.end() || it->second.empty()) {
        return bad_request("missing_value",
                           fmt::format("the argument '{}' needs a value for {{{}}}", element, key));
      }
      expanded += it->second;
      pos = close + 1;
    }
    out.push_back(std::move(expanded));
  }
  return out;
}

}  // namespace bosun
