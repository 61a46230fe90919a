// Profile: how to drive one kind of agent CLI, loaded from a YAML file (docs/agents.md).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/status.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

// A regular expression as written in the profile (ECMAScript syntax, matched against the UTF-8
// bytes of one screen row) and compiled.
struct Pattern {
  std::string text;
  std::regex re;
  bool search(std::string_view row) const;
  // The first capture group of the first match (or the whole match without groups).
  std::optional<std::string> capture(std::string_view row) const;
};

// The rows a screen rule looks at. All of them are the *live* part of the screen: the composer
// (the input box), the rows just above it back to the start of the latest turn, the rows below
// it (footer), or — when no composer is on screen — the last rows. Never the whole transcript.
enum class Region {
  kComposer,   // the composer row
  kAbove,      // up to `above.rows` rows above the composer, stopping at `above.stop_at`
  kJustAbove,  // the nearest row above the composer that is not blank, a border or chrome
  kBelow,      // the rows below the composer
  kLive,       // above + composer + below
  kTail,       // the last `tail_rows` non-blank rows of the screen
  kLastLine,   // the last non-blank row
};

// Whether a rule applies only with (or only without) a composer on screen: a CLI that
// replaces its input box with a dialog can only show that dialog while the box is gone.
enum class ComposerCondition { kAny, kPresent, kAbsent };

struct ScreenRule {
  std::string name;  // the evidence a match reports: "claude.permission"
  AgentState state = AgentState::kWorking;
  double confidence = 0.9;
  Region where = Region::kLive;
  ComposerCondition when = ComposerCondition::kAny;
  std::vector<Pattern> match;    // one row of the region matches one of these
  std::vector<Pattern> all;      // and each of these matches some row of the region
  std::optional<Pattern> reset;  // rate_limited: capture group 1 is the reset time as written
  std::string dialog;            // the first-run dialog (see Profile::dialogs) this rule finds
  std::string versions;          // the CLI versions the rule was checked against
  int line = 0;                  // where the rule is written (1-based)
};

struct ComposerSpec {
  std::vector<Pattern> match;  // the composer row; the lowest matching row wins
  int within_bottom = 4;       // at most this many rows above the last non-blank row
  // The composer's box: the rows right above the composer row that match this, with no blank
  // row between, are the composer too (opencode's box holds the draft above its model row), so
  // `above` and `just_above` start above the box.
  std::optional<Pattern> box;
};

struct ScreenSpec {
  std::vector<std::string> verified;  // CLI versions whose captures these rules are tested on
  Millis quiet{500};                  // idle needs this long without output (live only)
  std::optional<ComposerSpec> composer;
  int above_rows = 8;
  std::optional<Pattern> above_stop;  // the row that starts the latest turn (excluded)
  // Rows the CLI draws between its live indicator and its composer — hints ("Shift+Tab to
  // accept edits"), tips, a tool's progress — which are never the indicator: just_above passes
  // over them, as it does over blank rows and borders.
  std::vector<Pattern> above_chrome;
  int tail_rows = 12;
  // When no rule matches: idle once quiet with the composer on screen (source screen), or
  // with `quiet_idle` on quiet alone (source quiescence, for programs without a composer).
  bool quiet_idle = false;
  std::vector<ScreenRule> rules;  // tried in order; the first match decides
};

// A first-run dialog the CLI may show, and how to get past it safely.
struct Dialog {
  std::string name;               // "trust"
  std::vector<std::string> keys;  // what to type to accept it safely ("\r", "\x1b[A", …)
  std::string avoid;              // how to keep it from appearing (a config file, a flag)
  std::string note;               // what a person should know (e.g. the default is "No, exit")
  bool auto_answer = false;       // bosun may type `keys` itself
  // A trust dialog for a worktree bosun made: answered with `keys` when the person trusted
  // the worktree's project in the CLI's own config — the JSON file `file` under HOME holds
  // `equals` at `pointer`, where {project} is the project's path (escaped for the pointer).
  struct TrustedWhen {
    std::string file;
    std::string pointer;
    Json equals;
  };
  std::optional<TrustedWhen> trusted_when;
};

struct SessionCapture {
  std::string from;  // "stream" (a JSON field of the headless events) or "screen" (a regex)
  std::string field;
  std::optional<Pattern> regex;  // group 1 is the session id
};

struct Profile {
  std::string name;
  std::string description;
  std::string file;            // where it was loaded from (for messages)
  std::string pinned_version;  // the version the tests install
  // The program is an agent CLI whose composer takes prose, not commands: bosun may hand it
  // tasks and type [TASK]/[MAIL] lines into it. Off (a shell, any other program): nothing is
  // ever typed into it by bosun; it takes tasks only when it has a role, and then reads them
  // from its inbox (`bosun mail inbox`).
  bool takes_tasks = false;
  // argv templates: "{name}" placeholders (see expand_argv).
  std::vector<std::string> interactive;
  std::vector<std::string> headless;
  std::string stream;  // the headless output format (stream_events.h), "" for none
  struct Instructions {
    std::string how = "none";       // flag | first_message | none
    std::vector<std::string> args;  // how == flag: appended to the argv
    std::string message;            // how == first_message: typed after start
  } instructions;
  struct Input {
    bool bracketed_paste = true;
    int pause_ms = 100;  // between the text and the submit key
    std::string submit = "\r";
    std::string clear;  // keys that empty the composer before typing
    // How long after a submit key an idle screen is not believed: the CLI may take this long
    // to draw the turn it started (opencode shows its start page, then a blank screen).
    int submit_grace_ms = 0;
  } input;
  std::map<std::string, std::string> commands;  // clear, compact, reset, exit, …
  struct Session {
    std::vector<std::string> assign;  // argv that starts a session with an id bosun chose
    std::vector<std::string> resume;  // argv added to resume a native session
    std::vector<SessionCapture> capture;
  } session;
  // Hooks: the CLI reports its own state. `kind` "claude": bosun writes a settings file whose
  // hooks run `bosun hook claude` and passes it with `args` ({hooks_file}).
  struct Hooks {
    std::string kind;
    std::vector<std::string> args;
  } hooks;
  // MCP: how the CLI is handed bosun's endpoint (docs/mcp.md). `config` is the shape of the
  // server entry bosun writes — "claude" (an --mcp-config file), "opencode" (a config to merge),
  // "gemini" (settings with mcpServers), "none" — naming {mcp_url} with the agent's own token
  // taken from its BOSUN_TOKEN (never written down). `env` names the variable the config goes
  // in; without one it is written to {mcp_file}, whose path `file_env` names a variable for.
  // `args` go on the interactive and the headless command.
  struct Mcp {
    std::string config;
    std::vector<std::string> args;
    std::string env;
    std::string file_env;
  } mcp;
  // The context window: its size in tokens (for a token count from hooks or a stream), and
  // the words after the percent the CLI shows as left ("% context left"), read off its screen.
  struct Context {
    int64_t window = 0;
    std::string left;
  } context;
  // Each permission policy (ask, edits, unattended) as the CLI takes it: arguments added to
  // its interactive command, variables added to its environment, and keys merged into the
  // settings overlay bosun hands it (hooks kind claude). A policy not listed is refused for the
  // profile, except `ask`, which is then the CLI as it starts.
  struct PermissionMode {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    Json settings = Json::object();
  };
  std::map<std::string, PermissionMode> permission;
  // How a role's `model:` and `tools:` reach the CLI: argv templates with {model} and {tools}
  // (the tools comma-separated); empty: the CLI has no such flag and the role's value is not
  // passed on.
  struct RoleArgs {
    std::vector<std::string> model;
    std::vector<std::string> tools;
  } role_args;
  // Where under HOME the CLI keeps its settings, sessions and login: read-write for its own
  // agents in a sandbox, hidden from every other CLI's. A folder ends in "/" and is made
  // (0700) when missing, since the CLI cannot make it in a read-only HOME.
  std::vector<std::string> home;
  std::vector<Dialog> dialogs;
  ScreenSpec screen;

  const Dialog* dialog(std::string_view name) const;
};

// The profiles shipped inside the binary (src/agent/profiles/*.yaml).
struct EmbeddedFile {
  std::string_view name;  // "claude"
  std::string_view path;  // "src/agent/profiles/claude.yaml"
  std::string_view text;
};
std::span<const EmbeddedFile> builtin_profile_files();

// Parses one profile; every error names `file:line:col` and what is wrong (400
// `invalid_profile`).
Result<Profile> parse_profile(std::string_view text, const std::string& file);

// The profile `name`: `<project>/.bosun/profiles/<name>.yaml` when that exists, else the
// built-in one. 404 `profile_not_found` names the places looked in.
Result<Profile> load_profile(const std::string& name, const std::filesystem::path& project);
// A profile file given by path.
Result<Profile> load_profile_file(const std::filesystem::path& path);
// The names of every profile available in `project` (built-in and overrides), sorted.
std::vector<std::string> profile_names(const std::filesystem::path& project);

// Fills "{name}" placeholders from `vars`. An element that is only a placeholder whose value
// is missing or empty is dropped (an optional argument); a placeholder inside a longer
// element must have a value (400 `missing_value`).
Result<std::vector<std::string>> expand_argv(const std::vector<std::string>& templ,
                                             const std::map<std::string, std::string>& vars);

}  // namespace bosun
