// Family: what the command families (`bosun agent|task|mail …`) share — a verb table, running a
// body with a connected client, and reading a JSON field for display.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/command.h"
#include "util/text.h"

namespace bosun::cli {

struct Verb {
  const char* name;
  const char* summary;
  void (*setup)(CLI::App&, CommandContext&);
};

// Adds one subcommand per verb; exactly one must be given.
inline void add_verbs(CLI::App& app, CommandContext& ctx, std::span<const Verb> verbs) {
  app.require_subcommand(1);
  for (const auto& verb : verbs)
    verb.setup(*app.add_subcommand(verb.name, verb.summary), ctx);
}

// Runs `body` with a connected client; failures print "bosun: …" and set exit code 1.
template <typename Body>
void with_client(CommandContext& ctx, Body body) {
  auto client = Client::connect(ctx);
  if (!client) {
    ctx.exit_code = report_error(client.error());
    return;
  }
  Status st = body(*client);
  if (!st) ctx.exit_code = report_error(st.error());
}

// Prints a reply as the daemon gave it, indented (what --json prints).
inline void print_json(const Json& value) {
  std::printf("%s\n", value.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
}

// A field for display: strings as they are, other values as JSON, `fallback` when absent.
inline std::string text(const Json& j, const char* key, const char* fallback = "-") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// One path segment or query value, percent-encoded.
inline std::string path_segment(const std::string& s) {
  return percent_encode(s);
}

// /api/v1/agents/<id or name><rest>.
inline std::string agent_path(const std::string& agent, std::string_view rest = {}) {
  return "/api/v1/agents/" + path_segment(agent) + std::string(rest);
}

}  // namespace bosun::cli
