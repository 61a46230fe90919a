// `bosun hook claude`: stdin (the hook JSON) → POST /api/v1/hooks/claude as the agent.
// It prints nothing on stdout (Claude Code adds a hook's stdout to the conversation for some
// events) and exits 0 even when the daemon cannot be reached, so a hook never disturbs the
// agent; --strict makes failures exit 1 (for people trying it by hand).
#include "cli/hook_commands.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "agent/context_gauge.h"
#include "cli/client.h"
#include "cli/family.h"

namespace bosun::cli {

namespace {

constexpr size_t kMaxHookBytes = 1 << 20;

constexpr std::streamoff kTranscriptTail = std::streamoff{256} * 1024;

// Claude Code's transcript (the hook's transcript_path, a file this agent may read anyway):
// the tokens its last assistant message's usage says the context holds, added to the hook as
// bosun_context. Only the count leaves this process.
void add_context(std::string& body) {
  Json hook = Json::parse(body, nullptr, false);
  if (!hook.is_object()) return;
  std::string path = string_field(hook, "transcript_path");
  if (path.empty() || !path.ends_with(".jsonl")) return;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return;
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - kTranscriptTail);
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  if (!in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) return;
  auto tokens = transcript_context_tokens(tail);
  if (!tokens) return;
  hook["bosun_context"] = Json{{"tokens", *tokens}};
  body = dump_json(hook);
}

int forward(CommandContext& ctx, bool strict, const std::string& agent) {
  std::string body;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (body.size() + n > kMaxHookBytes) {
      std::fprintf(stderr, "bosun hook: the hook input is larger than 1 MiB; not forwarded\n");
      return strict ? 1 : 0;
    }
    body.append(buf, n);
  }
  add_context(body);
  auto client = Client::connect(ctx);
  if (!client) {
    std::fprintf(stderr, "bosun hook: %s\n", client.error().message.c_str());
    return strict ? 1 : 0;
  }
  std::string target = "/api/v1/hooks/claude";
  std::string sep = "?";
  if (!agent.empty()) {
    target += sep + "agent=" + path_segment(agent);
    sep = "&";
  }
  // The run the hook comes from (set by bosun in the agent's environment).
  if (const char* run = std::getenv("BOSUN_AGENT_RUN"); run && *run) {
    target += sep + "run=" + path_segment(run);
  }
  auto reply = client->request("POST", target, body);
  if (!reply || reply->status >= 400) {
    Error e = reply ? reply_error(*reply) : reply.error();
    std::fprintf(stderr, "bosun hook: %s\n", e.message.c_str());
    return strict ? 1 : 0;
  }
  return 0;
}

// Claude Code's status line: its JSON's context_window → the gauge (only those numbers are
// sent, as a StatusLine event that says nothing about the state); prints the line it shows.
int status_line(CommandContext& ctx) {
  std::string body;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && body.size() < kMaxHookBytes) {
    body.append(buf, n);
  }
  Json status = Json::parse(body, nullptr, false);
  const Json* window = status.is_object() && status.contains("context_window") &&
                               status["context_window"].is_object()
                           ? &status["context_window"]
                           : nullptr;
  Json context = Json::object();
  if (window) {
    for (const auto& [from, to] :
         {std::pair{"total_input_tokens", "tokens"}, std::pair{"context_window_size", "window"},
          std::pair{"used_percentage", "percent"}}) {
      const Json& v = (*window).contains(from) ? (*window)[from] : Json();
      if (v.is_number()) context[to] = static_cast<int64_t>(v.get<double>());
    }
  }
  std::string model = status.is_object() && status.contains("model") && status["model"].is_object()
                          ? string_field(status["model"], "display_name")
                          : "";
  std::string line = model.empty() ? "bosun" : model;
  if (context.contains("percent"))
    line += fmt::format(" · context {}%", context["percent"].get<int64_t>());
  std::printf("%s\n", line.c_str());
  if (!context.contains("tokens") && !context.contains("percent")) return 0;
  auto client = Client::connect(ctx);
  if (!client) return 0;
  std::string target = "/api/v1/hooks/claude";
  if (const char* run = std::getenv("BOSUN_AGENT_RUN"); run && *run) {
    target += "?run=" + path_segment(run);
  }
  (void)client->request(
      "POST", target,
      dump_json(Json{{"hook_event_name", "StatusLine"}, {"bosun_context", context}}));
  return 0;
}

void setup_hook(CLI::App& app, CommandContext& ctx) {
  app.require_subcommand(1);
  auto* claude = app.add_subcommand("claude", "forward one Claude Code hook event (JSON on stdin)");
  auto strict = std::make_shared<bool>(false);
  auto agent = std::make_shared<std::string>();
  claude->add_flag("--strict", *strict, "exit 1 when the event could not be delivered");
  claude->add_option("--agent", *agent,
                     "the agent it is about, when run with a person's token (inside an agent, "
                     "its own token says)");
  claude->callback([&ctx, strict, agent] { ctx.exit_code = forward(ctx, *strict, *agent); });
  auto* status = app.add_subcommand(
      "claude-status",
      "Claude Code's status line: its context window to the daemon (JSON on stdin)");
  status->callback([&ctx] { ctx.exit_code = status_line(ctx); });
}

}  // namespace

const Command kHookCommand{"hook", "forward an agent CLI's hook events to the daemon", setup_hook};

}  // namespace bosun::cli
