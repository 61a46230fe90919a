// Sandbox: the policy as the API and files spell it, and the bwrap command line.
#include "agent/sandbox.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "util/files.h"

namespace bosun {

namespace fs = std::filesystem;

const char* to_string(SandboxKind kind) {
  switch (kind) {
    case SandboxKind::kNone:
      return "none";
    case SandboxKind::kBwrap:
      return "bwrap";
  }
  return "none";
}

const char* to_string(SandboxNetwork network) {
  return network == SandboxNetwork::kOff ? "off" : "on";
}

Json SandboxPolicy::to_json() const {
  Json out{{"kind", to_string(kind)}};
  if (enabled()) out["network"] = to_string(network);
  return out;
}

namespace {

tl::unexpected<Error> invalid(const std::string& what) {
  return bad_request("invalid_sandbox", what);
}

Result<SandboxKind> parse_kind(const Json& value) {
  if (!value.is_string()) return invalid("sandbox must be \"none\" or \"bwrap\"");
  const auto& s = value.get_ref<const std::string&>();
  if (s == "none") return SandboxKind::kNone;
  if (s == "bwrap") return SandboxKind::kBwrap;
  return invalid("sandbox '" + s + "' is not a kind bosun runs (none or bwrap)");
}

}  // namespace

Result<SandboxPolicy> parse_sandbox(const Json& value) {
  SandboxPolicy policy;
  if (value.is_null()) return policy;
  if (value.is_string()) {
    TRY(kind, parse_kind(value));
    policy.kind = *kind;
    return policy;
  }
  if (!value.is_object()) {
    return invalid("sandbox must be \"none\", \"bwrap\" or {kind, network}");
  }
  for (const auto& [key, v] : value.items()) {
    if (key != "kind" && key != "network") {
      return invalid("sandbox has no field '" + key + "' (kind, network)");
    }
  }
  if (auto kind = value.find("kind"); kind != value.end()) {
    TRY(k, parse_kind(*kind));
    policy.kind = *k;
  } else {
    return invalid("sandbox needs a kind (none or bwrap)");
  }
  if (auto network = value.find("network"); network != value.end() && !network->is_null()) {
    if (*network == "on") {
      policy.network = SandboxNetwork::kOn;
    } else if (*network == "off") {
      policy.network = SandboxNetwork::kOff;
    } else {
      return invalid("sandbox network must be \"on\" or \"off\"");
    }
    if (!policy.enabled() && policy.network == SandboxNetwork::kOff) {
      return invalid("network: off needs a sandbox (kind: bwrap)");
    }
  }
  return policy;
}

std::vector<std::string> secret_home_paths() {
  return {".ssh",
          ".gnupg",
          ".aws",
          ".azure",
          ".config/gcloud",
          ".kube",
          ".docker",
          ".netrc",
          ".git-credentials",
          ".password-store",
          ".local/share/keyrings",
          ".pgpass",
          ".npmrc",
          ".pypirc",
          ".config/gh",
          ".config/hub",
          ".vault-token",
          ".terraform.d"};
}

namespace {

// A path inside the sandbox's hidden places is bound back only when it exists here.
bool exists(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::exists(fs::symlink_status(path, ec));
}

bool is_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(fs::symlink_status(path, ec));
}

void add(std::vector<std::string>& out, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    out.emplace_back(w);
}

// Hides `path`: an empty read-only folder over a folder, /dev/null over a file. Returns the
// folders to remount read-only once everything under them is bound.
void hide(std::vector<std::string>& out, std::vector<std::string>& read_only,
          const std::string& path) {
  if (!exists(path)) return;
  if (is_dir(path)) {
    add(out, {"--tmpfs", path});
    read_only.push_back(path);
  } else {
    add(out, {"--ro-bind", "/dev/null", path});
  }
}

// HOME: a private folder the CLI may write its own temporary files to (it saves its settings
// by writing a new file and renaming it), with each of the real HOME's entries read-only in
// it — but the secrets, which are not there at all (deeper ones: an empty folder).
void home_entries(std::vector<std::string>& out, std::vector<std::string>& read_only,
                  const std::string& home) {
  if (home.empty() || home == "/" || !is_dir(home)) return;  // HOME=/ keeps the read-only root
  add(out, {"--tmpfs", home});
  std::set<std::string> secret_tops;
  std::vector<std::string> nested;
  for (const auto& rel : secret_home_paths()) {
    (rel.find('/') == std::string::npos ? secret_tops.insert(rel), void() : nested.push_back(rel));
  }
  std::error_code ec;
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(home, ec)) {
    std::string name = entry.path().filename().string();
    if (!secret_tops.count(name)) entries.push_back(name);
  }
  std::sort(entries.begin(), entries.end());  // the same command line for the same HOME
  for (const auto& name : entries) {
    auto path = (fs::path(home) / name).string();
    add(out, {"--ro-bind-try", path, path});
  }
  for (const auto& rel : nested)
    hide(out, read_only, (fs::path(home) / rel).string());
}

}  // namespace

std::vector<std::string> bwrap_argv(const SandboxPolicy& policy, const SandboxLayout& layout,
                                    const std::vector<std::string>& argv) {
  std::vector<std::string> out{"bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc"};
  const bool offline = policy.network == SandboxNetwork::kOff;
  if (offline) out.emplace_back("--unshare-net");
  add(out, {"--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc",
            "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run"});
  std::vector<std::string> read_only;
  // A resolver configuration kept under /run (systemd-resolved) stays readable.
  std::error_code ec;
  fs::path resolv = fs::canonical("/etc/resolv.conf", ec);
  if (!ec && resolv.string().rfind("/run/", 0) == 0)
    add(out, {"--ro-bind", resolv.string(), resolv.string()});
  home_entries(out, read_only, layout.home);
  for (const auto& path : layout.hidden)
    hide(out, read_only, path);
  if (exists(layout.state_root)) {
    add(out, {"--tmpfs", layout.state_root});
    read_only.push_back(layout.state_root);
  }
  for (const auto& path : layout.readable) {
    if (exists(path)) add(out, {"--ro-bind", path, path});
  }
  for (const auto& path : layout.writable) {
    if (exists(path)) add(out, {"--bind", path, path});
  }
  if (!layout.cache.empty()) {
    add(out, {"--bind", layout.cache, layout.cache, "--setenv", "XDG_CACHE_HOME", layout.cache,
              "--setenv", "npm_config_cache", (fs::path(layout.cache) / "npm").string()});
  }
  add(out, {"--bind", layout.cwd, layout.cwd});
  if (layout.git_dir) {
    add(out, {"--bind", *layout.git_dir, *layout.git_dir});
    // What git runs on the person's side stays theirs: the repository's config (core.hooksPath,
    // core.fsmonitor, filters) and its hooks are read-only inside.
    for (const char* part : {"config", "hooks"}) {
      auto path = (fs::path(*layout.git_dir) / part).string();
      if (exists(path)) add(out, {"--ro-bind", path, path});
    }
  }
  if (!layout.bosun_exe.empty()) add(out, {"--ro-bind", layout.bosun_exe, layout.bosun_exe});
  if (offline) add(out, {"--bind", layout.relay_dir, std::string(kSandboxRelayDir)});
  // Empty folders that hide something stay empty: nothing inside may write to them.
  for (const auto& path : read_only)
    add(out, {"--remount-ro", path});
  // The programs inside may know they are sandboxed (Claude Code, run as root, allows its
  // skip-permissions mode only then).
  add(out, {"--setenv", "IS_SANDBOX", "1", "--chdir", layout.cwd, "--"});
  if (offline) {
    add(out, {layout.bosun_exe, "sandboxed", "--relay-port", std::to_string(layout.relay_port),
              "--relay-socket", std::string(kSandboxRelaySocket), "--"});
  }
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::optional<std::string> linked_git_common_dir(const std::string& cwd) {
  fs::path dot_git = fs::path(cwd) / ".git";
  std::error_code ec;
  if (!fs::is_regular_file(dot_git, ec)) return std::nullopt;
  auto text = read_file(dot_git);
  if (!text || text->rfind("gitdir: ", 0) != 0) return std::nullopt;
  std::string gitdir = text->substr(8);
  while (!gitdir.empty() && (gitdir.back() == '\n' || gitdir.back() == '\r'))
    gitdir.pop_back();
  fs::path dir = fs::path(gitdir).is_absolute() ? fs::path(gitdir) : fs::path(cwd) / gitdir;
  // `<common>/.git/worktrees/<name>`, with a `commondir` file naming `<common>/.git`.
  auto common = read_file(dir / "commondir");
  if (!common) return std::nullopt;
  std::string rel = *common;
  while (!rel.empty() && (rel.back() == '\n' || rel.back() == '\r'))
    rel.pop_back();
  fs::path resolved = fs::path(rel).is_absolute() ? fs::path(rel) : dir / rel;
  fs::path canonical = fs::weakly_canonical(resolved, ec);
  if (ec) return std::nullopt;
  return canonical.string();
}

}  // namespace bosun
