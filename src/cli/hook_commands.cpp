// `bosun hook claude`: stdin (the hook JSON) → POST /api/v1/hooks/claude as the agent.
// It prints nothing on stdout (Claude Code adds a hook's stdout to the conversation for some
// events) and exits 0 even when the daemon cannot be reached, so a hook never disturbs the
// agent; --strict makes failures exit 1 (for people trying it by hand).
#include "cli/hook_commands.h"

#include <cstdio>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace bosun::cli {

namespace {

constexpr size_t kMaxHookBytes = 1 << 20;

int forward(CommandContext& ctx, bool strict) {
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
  auto reply = client->request("POST", "/api/v1/hooks/claude", body);
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
  claude->add_flag("--strict", *strict, "exit 1 when the event could not be delivered");
  claude->callback([&ctx, strict] { ctx.exit_code = forward(ctx, *strict); });
}

}  // namespace

const Command kHookCommand{"hook", "forward an agent CLI's hook events to the daemon", setup_hook};

}  // namespace bosun::cli
