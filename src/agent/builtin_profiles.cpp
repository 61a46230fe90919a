// Generated from src/agent/profiles/*.yaml by src/agent/profiles/embed.cmake; do not edit.
#include "agent/profile.h"

namespace bosun {
namespace {

// clang-format off
const EmbeddedFile kFiles[] = {
    {"aider", "src/agent/profiles/aider.yaml", R"bosun_profile(# Aider, a Python CLI (prompt_toolkit). No structured stream: the screen and the exit code.
# Aider draws a `────` rule, the files in the chat, then its `> ` input line, which is often
# not drawn yet when the screen is captured; the rule stands in for the composer. Questions
# end the last line with "(Y)es/(N)o … [Yes]:".
name: aider
description: Aider — interactive, or one-shot with --message and --yes-always
takes_tasks: true
version: '0.81'
interactive: [aider, --no-pretty, --no-fancy-input]
headless: [aider, --yes-always, --no-pretty, --message, "{prompt}"]
instructions:
  how: flag
  args: [--read, "{role_file}"]
input:
  paste: plain
  pause_ms: 200
  submit: "\r"
commands:
  clear: /clear
  reset: /reset
  exit: /exit
home: [.aider/, .aider.conf.yml]   # its settings, sessions and login: read-write in its sandbox
dialogs:
  - name: open-docs
    keys: ["d", "\r"]
    avoid: 'pass --no-show-release-notes and --no-check-update'
    note: '"D" is "don''t ask again"'
screen:
  verified: ['0.81']
  quiet_ms: 1500
  composer:
    match: ['^(─){10,}$', '^(\w+)?>$']   # the rule above the input line, or the bare prompt
    within_bottom: 4
  above:
    rows: 12
  tail_rows: 12
  rules:
    - name: aider.open-docs
      state: waiting_input
      where: last_line
      match: 'Open documentation url for more info\?'
      dialog: open-docs
      versions: catalogued (claude-squad)
    - name: aider.confirm
      state: waiting_input
      confidence: 0.95
      where: last_line
      match: '\(Y\)es/\(N\)o.*\]:\s*$'
      versions: '0.81'
    - name: aider.rate-limit
      state: rate_limited
      where: tail
      match: ['RateLimitError', 'rate limit', 'Rate limit']
      reset: '[Rr]etrying in ([0-9.]+ seconds)'
      versions: catalogued
    - name: aider.ready
      state: idle
      confidence: 0.8
      where: composer
      match: '^((─){10,}|(\w+)?>)$'
      versions: '0.81'
)bosun_profile"},
    {"claude", "src/agent/profiles/claude.yaml", R"bosun_profile(# Claude Code (Anthropic), npm @anthropic-ai/claude-code. The TUI draws the transcript at the
# top and, at the bottom, the composer `❯` between two `─` rules with a footer below; dialogs
# (permission, trust) replace the composer. Headless: -p with stream-json events.
name: claude
description: Claude Code — TUI in a terminal, or headless -p --output-format stream-json
takes_tasks: true
version: 2.1.330
interactive: [claude]
permission:              # bosun's permission policies as Claude Code's modes
  ask: {args: [--permission-mode, default]}        # a fresh profile would start in auto mode
  edits: {args: [--permission-mode, acceptEdits]}
  unattended:                                      # its one-time warning is the policy's choice
    args: [--dangerously-skip-permissions]
    settings: {skipDangerousModePermissionPrompt: true}
headless: [claude, -p, --output-format, stream-json, --verbose, --permission-mode, default, "{prompt}"]
stream: claude-stream-json
instructions:
  how: flag
  args: [--append-system-prompt-file, "{role_file}"]
input:
  paste: bracketed
  pause_ms: 300          # Enter in the same write as the text is taken as a newline
  submit: "\r"
  clear: "\x15"          # Ctrl-U empties the composer
commands:
  clear: /clear
  compact: /compact
  reset: /clear
  exit: /exit
session:
  assign: [--session-id, "{session_id}"]   # bosun picks the id, so a restart can resume it
  resume: [--resume, "{session_id}"]
  capture:
    - {from: stream, field: session_id}
    - {from: screen, regex: 'claude .*--resume ([0-9a-f]{8}-[0-9a-f-]{27})'}
hooks:                   # a --settings overlay whose hooks run `bosun hook claude`
  kind: claude
  args: [--settings, "{hooks_file}"]
mcp:                     # bosun's endpoint: the server file, and its tools allowed without asking
  config: claude
  args: [--mcp-config, "{mcp_file}", --allowedTools, "mcp__bosun"]
context:                 # the transcript's usage comes with each hook (bosun hook claude)
  window: 200000
role_args:               # a role's model: and tools: (the built-in tools it may use)
  model: [--model, "{model}"]
  tools: [--tools, "{tools}"]
home: [.claude/, .claude.json]   # its settings, sessions and login: read-write in its sandbox
dialogs:
  - name: trust
    keys: ["1", "\r"]
    avoid: 'set projects["<dir>"].hasTrustDialogAccepted = true in ~/.claude.json'
    trusted_when: {file: .claude.json, pointer: '/projects/{project}/hasTrustDialogAccepted', equals: true}
    note: the default selection is "No, exit" (2.1.330); Enter alone quits
  - name: bypass
    avoid: 'permission: unattended, whose settings say skipDangerousModePermissionPrompt'
    note: the default selection is "No, exit" (2.1.330)
  - name: api-key
    keys: ["\x1b[A", "\r"]
    avoid: 'list the last 20 characters of the key in customApiKeyResponses.approved in ~/.claude.json'
    note: the default selection is "No (recommended)"
  - name: mcp-server
    avoid: 'pass --strict-mcp-config with an explicit --mcp-config'
    note: a project .mcp.json asks before starting its servers
screen:
  verified: [2.1.12, 2.1.280, 2.1.2xx]
  quiet_ms: 1500         # the spinner briefly disappears during redraws
  composer:
    match: '^❯(\s*$|\s+(?!\d+\.\s))'   # not "❯ 1. Yes", a dialog's selected option
    within_bottom: 6
  above:
    rows: 12
    stop_at: '^❯ '       # the echo of the prompt that started the latest turn
    chrome:              # rows 2.1.330 draws between the spinner and the composer
      - '^\s*⎿\s+Tip:'   # a tip
      - '^\s*\S+ \w+ · /effort$'   # the effort level ("◐ medium · /effort"), right-aligned
  tail_rows: 16
  rules:
    - name: claude.trust
      state: waiting_input
      when: no_composer
      where: tail
      match: ['Do you trust the files in this folder\?', 'Yes, I trust this folder', 'Quick safety check']
      dialog: trust
      versions: 2.1.12 (wording up to 2.1.17x); "Yes, I trust this folder" from 2.1.18x
    - name: claude.bypass
      state: waiting_input
      when: no_composer
      where: tail
      match: 'Claude Code running in Bypass Permissions mode'
      dialog: bypass
      versions: 2.1.330
    - name: claude.api-key
      state: waiting_input
      when: no_composer
      where: tail
      match: 'Do you want to use this API key\?'
      dialog: api-key
      versions: 2.1.330 (seen, not captured)
    - name: claude.mcp-server
      state: waiting_input
      when: no_composer
      where: tail
      match: ['New MCP server found in this project', '\d+ new MCP servers found in this project']
      dialog: mcp-server
      versions: catalogued (atrium)
    - name: claude.permission
      state: waiting_input
      confidence: 0.95
      when: no_composer
      where: tail
      match:
        - '^\s*Do you want to (proceed|make this edit to|create|overwrite|allow)\b'
        - '^\s*Do you want to allow Claude to fetch this content\?'
        - 'wants to .*\?$'
      all: '^\s*(❯\s*)?1\.\s+(Yes|Allow)'
      versions: 2.1.12 (Bash, Edit), 2.1.330 (Bash)
    - name: claude.question
      state: waiting_input
      when: no_composer
      where: tail
      match: ['Enter to select · ↑/↓ to navigate', '^\s*Would you like to proceed\?']
      versions: catalogued 2.1.2xx (AskUserQuestion, plan approval)
    - name: claude.rate-limit
      state: rate_limited
      where: above
      match: '^((⏺|●|⎿)\s+)?(You''ve hit your (session|usage|weekly|daily) limit|You''ve reached your usage limit|API Error: (429|Rate limit))'
      reset: 'resets (.+?)\s*(\(|·|$)'
      versions: catalogued 2.1.2xx
    - name: claude.api-error
      state: errored
      where: above
      match: '^((⏺|●|⎿)\s+)?(API Error: \d{3}|Please run /login|.*issue with the selected model \()'
      versions: 2.1.2xx capture, 2.1.330 (400)
    - name: claude.retrying
      state: working
      confidence: 0.8
      where: just_above
      match: 'retrying( in \d+s|…) · attempt \d+/\d+'
      versions: 2.1.330 (529, 503; "retrying…" while the request is out)
    - name: claude.spinner
      state: working
      where: just_above
      match: '^(✢|✳|✶|✻|✽|·|\*|✦|✧|✺|✹|✸|✷|✵|✴|✱|✲|✼|✾|✿|❀|❁|❂|❃|❇|❈|❉|❊|❋) \S+…'
      versions: 2.1.280, 2.1.330
    - name: claude.interrupt-hint
      state: working
      confidence: 0.8
      where: below
      match: ['to interrupt\b', 'to run in background']
      versions: 2.1.12, 2.1.330 (the key is rebindable, so only "to interrupt" is matched)
    - name: claude.composer
      state: idle
      confidence: 0.85
      where: composer
      match: '^❯'
      versions: 2.1.12, 2.1.280, 2.1.330
)bosun_profile"},
    {"codex", "src/agent/profiles/codex.yaml", R"bosun_profile(# Codex CLI (OpenAI), npm @openai/codex. A ratatui TUI: transcript above, the composer `›`
# with a footer below; the status row ("• Working (5s • esc to interrupt)") sits just above
# the composer; approval overlays replace it. Headless: exec --json.
name: codex
description: Codex CLI — TUI (with --no-daemon), or headless exec --json
takes_tasks: true
version: 0.169.0
interactive: [codex, --no-daemon, "{prompt}"]
permission:              # approvals, and Codex's own sandbox off where bosun's is the sandbox
  ask: {args: [--ask-for-approval, on-request]}
  edits: {args: [--ask-for-approval, untrusted, --sandbox, workspace-write]}
  unattended: {args: [--dangerously-bypass-approvals-and-sandbox]}
headless: [codex, exec, --json, --skip-git-repo-check, "{prompt}"]
stream: codex-exec-json
instructions:
  how: first_message
  message: 'Read {role_file}: it is your role. Follow it for the rest of this session.'
input:
  paste: bracketed
  pause_ms: 400          # text then Enter at once is taken as a paste and does not submit
  submit: "\r"
  clear: "\x15"
commands:
  clear: /new
  compact: /compact
  reset: /new
  exit: /quit
context:                 # its footer: "gpt-5.1-codex-max default · 100% left"
  window: 272000
  left: "% left"
mcp:                     # bosun's endpoint as a streamable HTTP server; the token from BOSUN_TOKEN
  config: none
  args: [-c, 'mcp_servers.bosun.url="{mcp_url}"', -c, 'mcp_servers.bosun.bearer_token_env_var="BOSUN_TOKEN"']
session:
  resume: [resume, "{session_id}"]
  capture:
    - {from: stream, field: thread_id}
    - {from: screen, regex: 'codex resume ([0-9a-f]{8}-[0-9a-f-]{27})'}
role_args: {model: [--model, "{model}"]}   # a role's model:
home: [.codex/]   # its settings, sessions and login: read-write in its sandbox
dialogs:
  - name: trust
    keys: ["1", "\r"]
    avoid: 'run in a git repository, or set projects."<dir>".trust_level = "trusted" in ~/.codex/config.toml'
    note: older versions ask whether to require approvals; newer ones whether to trust the folder
  - name: model-migration
    keys: ["2", "\r"]
    avoid: 'pre-acknowledge it under [notice.model_migrations] in ~/.codex/config.toml'
    note: '"Meet <model>": option 2 keeps the configured model'
  - name: update
    keys: ["\x1b"]
    avoid: 'check_for_update_on_startup = false in ~/.codex/config.toml'
screen:
  verified: [0.157.1, gpt-5.1-codex era]
  quiet_ms: 1000
  composer:
    match: '^›(\s*$|\s+(?!\d+\.\s))'   # not "› 1. Yes, proceed", a dialog's selected option
    within_bottom: 4
  above:
    rows: 10
    stop_at: '^› '       # the echo of the prompt that started the latest turn
  tail_rows: 16
  rules:
    - name: codex.trust
      state: waiting_input
      when: no_composer
      where: tail
      match: ['Do you trust the contents of this directory\?', 'You are running Codex in ', 'Allow Codex to work in this folder']
      dialog: trust
      versions: 2025 capture (older wording); 0.169.0 wording catalogued
    - name: codex.model-migration
      state: waiting_input
      when: no_composer
      where: tail
      match: ['^\s*Meet GPT-', 'Try new model']
      dialog: model-migration
      versions: 0.169.0 (seen, not captured)
    - name: codex.update
      state: waiting_input
      when: no_composer
      where: tail
      match: 'Update available!'
      dialog: update
      versions: catalogued
    - name: codex.approval
      state: waiting_input
      confidence: 0.95
      when: no_composer
      where: tail
      match:
        - 'Would you like to (run the following command|make the following edits|grant these permissions)\?'
        - 'Press enter to confirm or esc to cancel'
      versions: 0.147 (atrium), 0.169.0 (seen, not captured)
    - name: codex.usage-limit
      state: rate_limited
      where: above
      match: '^■ .*(You''ve hit your usage limit|exceeded your current quota)'
      reset: '[Tt]ry again (?:in|at) ([^.]+)'
      versions: catalogued
    - name: codex.interrupted
      state: idle
      where: above
      match: '^■ Conversation interrupted'
      versions: 0.169.0 (seen, not captured)
    - name: codex.error
      state: errored
      where: above
      match: '^■ '
      versions: 0.169.0 (seen, not captured)
    - name: codex.working
      state: working
      where: just_above
      match: '^((•|◦|▌)\s*)?(Working|Reconnecting\.\.\.[^(]*) \(\d+.*\b(esc|Esc|ctrl|Ctrl)\b.* to interrupt\)'
      versions: 0.157.1, 0.169.0
    - name: codex.composer
      state: idle
      confidence: 0.85
      where: composer
      match: '^›'
      versions: 0.157.1, gpt-5.1-codex era, 0.169.0
)bosun_profile"},
    {"gemini", "src/agent/profiles/gemini.yaml", R"bosun_profile(# Gemini CLI (Google), npm @google/gemini-cli. React-Ink TUI: the composer "> Type your
# message…" in a box (or between ▄▄▄/▀▀▀ bars), the loading row "⠧ Thinking... (esc to cancel,
# 2s)" just above it, a footer below. Headless: -p --output-format stream-json.
name: gemini
description: Gemini CLI — TUI, or headless -p --output-format stream-json
takes_tasks: true
version: 0.61.0
interactive: [gemini]
permission:              # Gemini CLI's approval modes
  ask: {args: [--approval-mode, default]}
  edits: {args: [--approval-mode, auto_edit]}
  unattended: {args: [--approval-mode, yolo]}
headless: [gemini, -p, "{prompt}", --output-format, stream-json]
stream: gemini-stream-json
instructions:
  how: first_message
  message: 'Read {role_file}: it is your role. Follow it for the rest of this session.'
input:
  paste: bracketed
  pause_ms: 300
  submit: "\r"
commands:
  clear: /clear
  compact: /compress
  reset: /clear
  exit: /quit
context:                 # its footer: "gemini-2.5-pro (100% context left)"
  window: 1048576
  left: "% context left"
mcp:                     # bosun's endpoint, in a system-defaults settings file (the user's own win)
  config: gemini
  file_env: GEMINI_CLI_SYSTEM_DEFAULTS_PATH
session:
  resume: [--resume, "{session_id}"]
  capture:
    - {from: stream, field: session_id}
role_args: {model: [--model, "{model}"]}   # a role's model:
home: [.gemini/]   # its settings, sessions and login: read-write in its sandbox
dialogs:
  - name: trust
    keys: ["1", "\r"]
    avoid: 'write {"<dir>": "TRUST_FOLDER"} to ~/.gemini/trustedFolders.json'
    trusted_when: {file: .gemini/trustedFolders.json, pointer: '/{project}', equals: TRUST_FOLDER}
    note: accepting restarts the CLI process
  - name: auth
    avoid: 'set GEMINI_API_KEY and security.auth.selectedType in ~/.gemini/settings.json'
screen:
  verified: [gemini-2.5-pro era]
  quiet_ms: 1000
  composer:
    # 0.61.0 indents it by one space, and in YOLO mode (--approval-mode yolo) draws `*`, not `>`
    match: '^\s*((│|┃)\s)?(>|\*)\s+(?!\d+\.\s)'
    within_bottom: 4
  above:
    rows: 10
    # Between its "Thinking... (esc to cancel, Ns)" row and the composer 0.61.0 draws a rule,
    # this hint and a blank row (captured: tests/fixtures/captured/gemini-0.61.0-*).
    # In YOLO mode the hint's row says so instead ("YOLO Ctrl+Y … 1 MCP server").
    chrome: ['^\s*Shift\+Tab to accept edits', '^\s*YOLO Ctrl\+Y', '^\s*\? for shortcuts$']
    # The latest turn starts at the person's prompt (" > …"): an error of an earlier turn is
    # history, not the state.
    stop_at: '^\s*> \S'
  tail_rows: 16
  rules:
    - name: gemini.trust
      state: waiting_input
      when: no_composer
      where: tail
      match: ['Do you trust the files in this folder\?', 'Trust folder \(']
      dialog: trust
      versions: 0.61.0 (seen, not captured)
    - name: gemini.auth
      state: waiting_input
      when: no_composer
      where: tail
      match: ['Waiting for auth', 'Enter Gemini API key']
      dialog: auth
      versions: catalogued
    - name: gemini.confirm
      state: waiting_input
      confidence: 0.9
      when: no_composer
      where: tail
      match: ['Allow execution of \[', 'Allow execution\?', 'Apply this change\?', 'Do you want to proceed\?', 'Waiting for user confirmation']
      versions: 0.55.1 (atrium), 0.61.0 (seen, not captured)
    - name: gemini.quota
      state: rate_limited
      where: above
      match: ['Quota exceeded', 'RESOURCE_EXHAUSTED', '"code":\s*429']
      reset: '[Pp]lease retry in ([0-9.]+s)'
      versions: catalogued
    # A live indicator wins over an error printed earlier: the CLI retries (a 503 for tens of
    # seconds) or has moved on to the next turn with the error still on screen.
    - name: gemini.working
      state: working
      where: just_above
      match: '\(esc to cancel'
      versions: 0.61.0
    - name: gemini.api-error
      state: errored
      where: above
      match: '^\s*(✕ )?\[API Error'
      versions: 0.61.0 (seen, not captured)
    - name: gemini.composer
      state: idle
      confidence: 0.85
      where: composer
      match: '>|\*'
      versions: gemini-2.5-pro era, 0.61.0 (`*` in YOLO mode)
)bosun_profile"},
    {"opencode", "src/agent/profiles/opencode.yaml", R"bosun_profile(# opencode, npm opencode-ai. A full-screen TUI: the input box `┃ …` (closed by `╹▀▀▀`) with a
# footer below; "esc interrupt" in the footer while busy; "△ Permission required" for
# permission. Headless: run --format json.
name: opencode
description: opencode — TUI, or headless run --format json
takes_tasks: true
version: 1.18.33
interactive: [opencode]
permission:              # opencode's permissions, merged over its config (its own default allows all)
  ask: {env: {OPENCODE_PERMISSION: '{"edit":"ask","bash":"ask","webfetch":"ask"}'}}
  edits: {env: {OPENCODE_PERMISSION: '{"edit":"allow","bash":"ask","webfetch":"ask"}'}}
  unattended: {env: {OPENCODE_PERMISSION: '{"edit":"allow","bash":"allow","webfetch":"allow","external_directory":"allow"}'}}
headless: [opencode, run, --format, json, "{prompt}"]
stream: opencode-run-json
instructions:
  how: first_message
  message: 'Read {role_file}: it is your role. Follow it for the rest of this session.'
input:
  paste: bracketed
  pause_ms: 300
  submit: "\r"
  # 1.18.33's first turn: the start page (prompt in its box, then the box emptied) and a blank
  # screen come before the session and its progress bar, for a second or two under load.
  submit_grace_ms: 3000
commands:
  clear: /new
  compact: /compact
  reset: /new
  exit: /exit
session:
  resume: [--session, "{session_id}"]
  capture:
    - {from: stream, field: sessionID}
    - {from: screen, regex: 'opencode -s (ses_[A-Za-z0-9]+)'}
mcp:                     # bosun's endpoint, in a config opencode merges with the user's own
  config: opencode
  env: OPENCODE_CONFIG_CONTENT
role_args: {model: [--model, "{model}"]}   # a role's model: (provider/model)
home: [.config/opencode/, .local/share/opencode/, .local/state/opencode/]   # its settings, sessions and login: read-write in its sandbox
screen:
  verified: []
  quiet_ms: 1000
  composer:
    match: '^\s*┃'
    within_bottom: 6
    # The box above its model row ("┃  Build · <model>") holds the draft: the composer too.
    box: '^\s*┃'
  above:
    rows: 10
  tail_rows: 14
  rules:
    - name: opencode.permission
      state: waiting_input
      confidence: 0.9
      where: tail
      match: ['△ Permission required', 'Allow once\s+Allow always\s+Reject']
      versions: 1.18.33 (seen, not captured)
    - name: opencode.working
      state: working
      where: below
      match: 'esc interrupt'
      versions: 1.18.33 (seen, not captured)
    # The first second of a turn, before its progress bar: the person's message ("┃  …", a
    # block like the composer's, a blank row above it) is the latest entry of the session, with
    # no "▣  Build · <model>" row under it yet. A turn that ended, answered or failed, always
    # has that row last (captured: tests/fixtures/captured/opencode-1.18.33-*).
    - name: opencode.sent
      state: working
      confidence: 0.7
      where: just_above
      match: '^\s*┃\s+\S'
      versions: 1.18.33
    - name: opencode.composer
      state: idle
      confidence: 0.75
      where: composer
      match: '┃'
      versions: 1.18.33 (seen, not captured)
)bosun_profile"},
    {"shell", "src/agent/profiles/shell.yaml", R"bosun_profile(# Any program: a shell by default. No screen rules: working while it prints, idle once quiet.
name: shell
description: any command (default $SHELL); idle is quiet output alone
interactive: ["{shell}"]
input:
  paste: plain
  pause_ms: 0
  submit: "\r"
screen:
  quiet_ms: 500
  quiet_idle: true
)bosun_profile"},
    {"sim", "src/agent/profiles/sim.yaml", R"bosun_profile(# bosun sim-agent: the scripted stand-in for an LLM agent (src/sim/). Its prompt `› ` is the
# last line while it waits; a spinner line "⠋ Working (3s • esc to interrupt) — …" while it
# works; "Allow edits to FILE? (y/n) " when it asks.
name: sim
description: bosun sim-agent, the scripted agent of the demo and the tests
takes_tasks: true
interactive: ["{bosun}", sim-agent]
# A pipeline step: the scripted agent plays $BOSUN_ROLE once (src/sim/sim_step.h).
headless: ["{bosun}", sim-agent, --headless, "{prompt}"]
stream: claude-stream-json
instructions:
  how: flag
  args: [--role-file, "{role_file}"]
input:
  paste: bracketed
  pause_ms: 0
  submit: "\r"
commands:
  reset: '[RESET]'
context:                 # --context-step prints "(N% context left)" after each task
  window: 200000
  left: "% context left"
dialogs:
  - name: allow-edits
    keys: ["y", "\r"]
    note: the scripted agent's permission question (--misbehave ask); a project override may set auto_answer
screen:
  verified: [bosun]
  quiet_ms: 250
  composer:
    match: '^›'
    within_bottom: 0
  rules:
    - name: sim.ask
      state: waiting_input
      where: last_line
      match: '\? \(y/n\)$'
      dialog: allow-edits
      versions: bosun
    - name: sim.working
      state: working
      where: last_line
      match: 'Working \(\d+s • esc to interrupt\)'
      versions: bosun
    - name: sim.prompt
      state: idle
      where: composer
      match: '^›'
      versions: bosun
)bosun_profile"},
};
// clang-format on

}  // namespace

std::span<const EmbeddedFile> builtin_profile_files() {
  return kFiles;
}

}  // namespace bosun
