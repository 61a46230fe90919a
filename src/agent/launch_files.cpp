// LaunchFiles: the agent's environment, instructions file and profile-built command.
#include "agent/launch_files.h"

#include <cstdlib>
#include <set>

#include "agent/permission.h"
#include "util/files.h"

namespace bosun {

bool valid_env_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::filesystem::path LaunchFiles::instructions_file(const std::string& agent_name) const {
  return state_.root / "agents" / agent_name / "instructions.md";
}

namespace {

// The profile's server entry for bosun's endpoint at `url`, as text; "" for config none.
std::string mcp_config_text(const Profile& profile, const std::string& url) {
  if (profile.mcp.config == "claude") return dump_json(claude_mcp_config(url));
  if (profile.mcp.config == "opencode") return dump_json(opencode_mcp_config(url));
  if (profile.mcp.config == "gemini") return dump_json(gemini_mcp_config(url));
  return {};
}

// Every built-in CLI's files under HOME, read once.
const std::set<std::string>& every_cli_home_path() {
  static const std::set<std::string> paths = [] {
    std::set<std::string> out;
    for (const auto& file : builtin_profile_files()) {
      if (auto p = parse_profile(file.text, std::string(file.path)))
        out.insert(p->home.begin(), p->home.end());
    }
    return out;
  }();
  return paths;
}

}  // namespace

SandboxLayout LaunchFiles::sandbox_layout(const AgentRecord& agent, const Profile* profile,
                                          const std::map<std::string, std::string>& env) const {
  namespace fs = std::filesystem;
  SandboxLayout out;
  auto home = env.find("HOME");
  const char* inherited = std::getenv("HOME");
  out.home = home != env.end() ? home->second : (inherited ? inherited : "");
  out.state_root = state_.root.string();
  out.cwd = agent.cwd;
  if (auto common = linked_git_common_dir(agent.cwd)) out.git_dir = *common;
  std::set<std::string> own;
  if (profile) own.insert(profile->home.begin(), profile->home.end());
  if (!out.home.empty()) {
    for (const auto& rel : every_cli_home_path()) {
      bool folder = rel.ends_with('/');
      fs::path path = fs::path(out.home) / (folder ? rel.substr(0, rel.size() - 1) : rel);
      std::error_code made;
      if (own.count(rel) && folder && fs::create_directories(path, made)) {
        fs::permissions(path, fs::perms::owner_all, made);
      }
      (own.count(rel) ? out.writable : out.hidden).push_back(path.string());
    }
  }
  fs::path files = state_.root / "agents" / agent.name;
  out.readable.push_back(files.string());
  out.cache = (files / "cache").string();
  std::error_code ec;
  fs::create_directories(out.cache, ec);
  fs::permissions(out.cache, fs::perms::owner_all, ec);
  out.bosun_exe = bosun_exe_;
  out.relay_dir = (state_.run() / "relay").string();
  if (auto colon = daemon_url_.rfind(':'); colon != std::string::npos) {
    out.relay_port = std::atoi(daemon_url_.c_str() + colon + 1);
  }
  return out;
}

std::map<std::string, std::string> LaunchFiles::own_env(const AgentRecord& agent,
                                                        const Profile* profile) const {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : agent.env.items()) {
    if (v.is_string()) env[k] = v.get<std::string>();
  }
  env["BOSUN_URL"] = daemon_url_;
  env["BOSUN_TOKEN"] = agent.token;
  env["BOSUN_AGENT"] = agent.name;
  env["BOSUN_AGENT_ID"] = agent.id;
  // Which run of the agent this is: its hooks say so, and a late one from an earlier run is
  // told apart from the current run's.
  env["BOSUN_AGENT_RUN"] = std::to_string(agent.generation);
  // Not the state directory: it holds the person's token (a restarted daemon listens on
  // its last port again, so BOSUN_URL stays right).
  if (agent.project_id) env["BOSUN_PROJECT"] = *agent.project_id;
  if (profile) {
    // Without its file the CLI starts without bosun's tools; the agent still works by CLI.
    if (auto mcp = mcp_env(agent.name, *profile)) env.merge(*mcp);
  }
  std::error_code ec;
  if (auto file = instructions_file(agent.name); std::filesystem::exists(file, ec)) {
    env["BOSUN_INSTRUCTIONS"] = file.string();
  }
  return env;
}

Result<std::map<std::string, std::string>> LaunchFiles::mcp_env(const std::string& name,
                                                                const Profile& profile) const {
  using Env = std::map<std::string, std::string>;
  if (daemon_url_.empty()) return Env{};
  if (!profile.mcp.env.empty()) {
    return Env{{profile.mcp.env, mcp_config_text(profile, daemon_url_ + "/mcp")}};
  }
  if (profile.mcp.file_env.empty()) return Env{};
  TRY(file, mcp_file(name, profile));
  if (file->empty()) return Env{};
  return Env{{profile.mcp.file_env, *file}};
}

Result<std::string> LaunchFiles::mcp_file(const std::string& name, const Profile& profile) const {
  std::string text = mcp_config_text(profile, daemon_url_ + "/mcp");
  if (!profile.mcp.env.empty() || text.empty()) return std::string();
  auto path = state_.root / "agents" / name / "mcp.json";
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  TRY_OK(write_file_atomic(path, text, 0600));
  return path.string();
}

LaunchInputs LaunchFiles::inputs(const std::string& name, const Json& launch, bool resume) const {
  LaunchInputs in;
  in.bosun_exe = bosun_exe_;
  in.shell = default_shell();
  std::error_code ec;
  if (auto file = instructions_file(name); std::filesystem::exists(file, ec)) {
    in.role_file = file.string();
  }
  in.session_id = launch.value("session_id", "");
  in.resume = resume && !in.session_id.empty();
  in.permission = launch.value("permission", "");
  in.model = launch.value("model", "");
  in.tools = launch.value("tools", "");
  if (launch.contains("args") && launch["args"].is_array()) {
    for (const auto& arg : launch["args"]) {
      if (arg.is_string()) in.args.push_back(arg.get<std::string>());
    }
  }
  return in;
}

Result<std::vector<std::string>> LaunchFiles::mcp_args(const std::string& name,
                                                       const Profile& profile) const {
  if (profile.mcp.args.empty() || daemon_url_.empty()) return std::vector<std::string>{};
  TRY(file, mcp_file(name, profile));
  return expand_argv(profile.mcp.args, {{"mcp_url", daemon_url_ + "/mcp"}, {"mcp_file", *file}});
}

Status LaunchFiles::prepare_command(AgentRecord& a, const Result<Profile>& profile) const {
  if (!a.launch.value("profile_argv", false)) return {};
  if (!profile) return tl::unexpected(profile.error());
  // A session the CLI has written (a prompt went in) is resumed; one that never began is
  // started again under the same id.
  bool resume = a.launch.value("session_started", false) && !profile->session.resume.empty();
  LaunchInputs in = inputs(a.name, a.launch, resume);
  if (profile->hooks.kind == "claude") {
    auto file = state_.root / "agents" / a.name / "claude-settings.json";
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    Json settings = claude_hook_settings(bosun_exe_);
    if (const auto* mode = permission_mode(*profile, in.permission))
      settings.update(mode->settings);
    if (auto st = write_file_atomic(file, dump_json(settings), 0600); !st) {
      return st;
    }
    in.hooks_file = file.string();
  }
  TRY(mcp, mcp_args(a.name, *profile));
  in.mcp = std::move(*mcp);
  auto argv = interactive_argv(*profile, in);
  if (!argv) return tl::unexpected(argv.error());
  a.argv = std::move(*argv);
  return {};
}

}  // namespace bosun
