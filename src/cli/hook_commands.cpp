// `bosun hook claude`: stdin (the hook JSON) → POST /api/v1/hooks/claude as the agent.
// It prints nothing on stdout (Claude Code adds a hook's stdout to the conversation for some
// events) and exits 0 even when the daemon cannot be reached, so a hook never disturbs the
// agent; --strict makes failures exit 1 (for people trying it by hand).
#include "cli/hook_commands.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/family.h"

namespace bosun::cli {

namespace {

constexpr size_t kMaxHookBytes = 1 << 20;

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
}

}  // namespace

const Command kHookCommand{"hook", "forward an agent CLI's hook events to the daemon", setup_hook};

}  // namespace bosun::cli
