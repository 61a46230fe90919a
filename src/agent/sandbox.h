// Sandbox: what an agent may see and touch, and the bubblewrap command line that enforces it.
// The holder and its PTY stay outside; only the agent's program runs inside (docs/sandbox.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun {

enum class SandboxKind { kNone, kBwrap };
// `off`: a network namespace of its own with only loopback; the daemon is reached through a
// relay (its unix socket bound in, forwarded to BOSUN_URL's port inside).
enum class SandboxNetwork { kOn, kOff };

struct SandboxPolicy {
  SandboxKind kind = SandboxKind::kNone;
  SandboxNetwork network = SandboxNetwork::kOn;

  bool enabled() const { return kind != SandboxKind::kNone; }
  Json to_json() const;  // {"kind": "bwrap", "network": "off"}
};

const char* to_string(SandboxKind kind);
const char* to_string(SandboxNetwork network);

// "none" | "bwrap" | {kind, network?}; null is none. 400 `invalid_sandbox` naming the choices.
Result<SandboxPolicy> parse_sandbox(const Json& value);

// Files under the agent's HOME that hold secrets: hidden in every sandbox.
std::vector<std::string> secret_home_paths();

// Everything the sandbox is made of, as paths on this machine.
struct SandboxLayout {
  std::string home;        // the agent's HOME: read-only, its secrets hidden
  std::string state_root;  // the state directory: hidden (tokens, database, logs, worktrees)
  std::string cwd;         // the agent's folder (its worktree): read-write
  std::optional<std::string> git_dir;  // the repository's git data when outside cwd: read-write
  std::vector<std::string> readable;   // read-only inside the hidden places (the agent's files)
  std::vector<std::string> writable;   // more read-write paths (the CLI's config under home)
  std::vector<std::string> hidden;     // more hidden paths (other CLIs' config, secrets)
  std::string cache;                   // the agent's own folder bound at HOME/.cache
  std::string bosun_exe;               // read-only: hooks and reports run it
  std::string relay_dir;               // network off: the folder of the daemon's relay socket
  int relay_port = 0;  // network off: BOSUN_URL's port, served inside by `bosun sandboxed`
};

// Where the relay socket appears inside the sandbox.
inline constexpr std::string_view kSandboxRelayDir = "/run/bosun";
inline constexpr std::string_view kSandboxRelaySocket = "/run/bosun/api.sock";

// The bwrap argv that runs `argv` in `layout` under `policy`. Later mounts win, so the order
// is: the read-only root, private /tmp and /run, the read-only home, the hidden paths, the
// hidden state directory, then what is writable.
std::vector<std::string> bwrap_argv(const SandboxPolicy& policy, const SandboxLayout& layout,
                                    const std::vector<std::string>& argv);

// The git common directory of the checkout at `cwd` when it is a linked worktree (its `.git`
// file points into another repository's `.git/worktrees/`); nullopt for anything else.
std::optional<std::string> linked_git_common_dir(const std::string& cwd);

}  // namespace bosun
