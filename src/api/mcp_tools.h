// McpTools: the tools bosun's MCP endpoint offers — the board, the mail, the agent's context
// and the crew — each a thin call into the REST route that does the same (api/route_call.h),
// so a tool has the route's checks, messages and authorization, as its caller.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/http.h"

namespace bosun {

struct Services;

struct ToolCall {
  Services& services;
  Principal caller;
  Json args;  // checked against the tool's input schema
};

struct McpTool {
  const char* name;
  const char* title;
  const char* description;  // written for a model
  Json input_schema;
  bool read_only;
  Awaitable<Result<Json>> (*run)(ToolCall& call);
};

std::span<const McpTool> mcp_tools();
const McpTool* find_mcp_tool(std::string_view name);

// The text of the caller's own instructions (what it was started with) and the decisions of
// its project for its role, for the `instructions` and `decisions` tools and the resources.
Awaitable<Result<std::string>> instructions_text(Services& services, const Principal& caller);
Awaitable<Result<Json>> decisions_for(Services& services, const Principal& caller,
                                      std::string project, std::string role);

}  // namespace bosun
