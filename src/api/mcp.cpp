// Mcp: JSON-RPC framing and the protocol's methods; the tools are in mcp_tools.
#include "api/mcp.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/mcp_tools.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "util/json_schema.h"

namespace bosun {

namespace {

constexpr std::array<const char*, 3> kSupportedVersions = {kMcpProtocolVersion, "2025-06-18",
                                                           "2025-03-26"};

// JSON-RPC error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kResourceNotFound = -32002;

constexpr const char* kInstructionsUri = "bosun://instructions";
constexpr const char* kDecisionsUri = "bosun://decisions";

bool supported(const std::string& version) {
  return std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) !=
         kSupportedVersions.end();
}

// A method's failure: a JSON-RPC error object.
struct RpcError {
  int code;
  std::string message;
};
using RpcResult = tl::expected<Json, RpcError>;

Json reply(const Json& id, RpcResult result) {
  Json out{{"jsonrpc", "2.0"}, {"id", id}};
  if (result) {
    out["result"] = std::move(*result);
  } else {
    out["error"] = Json{{"code", result.error().code}, {"message", result.error().message}};
  }
  return out;
}

RpcResult initialize(Services& s, const Json& params) {
  std::string asked = params.is_object() ? params.value("protocolVersion", "") : "";
  return Json{
      {"protocolVersion", supported(asked) ? asked : kMcpProtocolVersion},
      {"capabilities",
       {{"tools", {{"listChanged", false}}},
        {"resources", {{"listChanged", false}, {"subscribe", false}}}}},
      {"serverInfo", {{"name", "bosun"}, {"title", "bosun"}, {"version", s.info.version}}},
      {"instructions",
       "bosun runs this crew. Use these tools for your tasks (ready, show, claim, update, "
       "comment, report), your mail (inbox, read, send, done, status, blocked), your context "
       "(instructions, decisions, decision_add, handoff, journal_add) and the crew (agents)."}};
}

Json tool_list() {
  Json tools = Json::array();
  for (const auto& t : mcp_tools()) {
    tools.push_back(Json{{"name", t.name},
                         {"title", t.title},
                         {"description", t.description},
                         {"inputSchema", t.input_schema},
                         {"annotations",
                          {{"title", t.title},
                           {"readOnlyHint", t.read_only},
                           {"destructiveHint", false},
                           {"openWorldHint", false}}}});
  }
  return Json{{"tools", std::move(tools)}};
}

// A tool's outcome as MCP has it: the JSON as text (and structured), or a tool error whose
// text is the API's message — a model reads it and can correct its call.
Json tool_result(const Result<Json>& outcome) {
  if (!outcome) {
    return Json{
        {"content",
         {{{"type", "text"}, {"text", outcome.error().code + ": " + outcome.error().message}}}},
        {"isError", true}};
  }
  Json out{{"content", {{{"type", "text"}, {"text", outcome->dump(2)}}}}, {"isError", false}};
  if (outcome->is_object()) out["structuredContent"] = *outcome;
  return out;
}

Awaitable<RpcResult> call_tool(Services& s, const Principal& caller, const Json& params) {
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
    co_return tl::unexpected(RpcError{kInvalidParams, "tools/call needs params.name"});
  }
  const McpTool* tool = find_mcp_tool(params["name"].get<std::string>());
  if (!tool) {
    co_return tl::unexpected(RpcError{
        kInvalidParams, fmt::format("Unknown tool: {}", params["name"].get<std::string>())});
  }
  Json args = params.contains("arguments") && !params["arguments"].is_null() ? params["arguments"]
                                                                             : Json::object();
  if (auto st = check_schema(tool->input_schema, args); !st) {
    co_return tool_result(tl::unexpected(st.error()));
  }
  ToolCall call{s, caller, std::move(args)};
  auto outcome = co_await tool->run(call);
  co_return tool_result(outcome);
}

Json resource(const char* uri, const char* name, const char* description) {
  return Json{
      {"uri", uri}, {"name", name}, {"description", description}, {"mimeType", "text/markdown"}};
}

RpcResult list_resources(const Principal& caller) {
  Json list = Json::array();
  if (caller.kind == Principal::Kind::kAgent) {
    list.push_back(resource(kInstructionsUri, "instructions",
                            "Your instructions: role, workplace, the bosun protocol"));
    list.push_back(resource(kDecisionsUri, "decisions", "Your project's decisions for your role"));
  }
  return Json{{"resources", std::move(list)}};
}

std::string decisions_markdown(const Json& list) {
  std::string out = "# Decisions\n\n";
  for (const auto& d : list.value("decisions", Json::array())) {
    out += fmt::format("- [{}] {}{}\n", d.value("kind", ""), d.value("text", ""),
                       d.value("proposed", false) ? " (proposed)" : "");
  }
  return out;
}

Awaitable<RpcResult> read_resource(Services& s, const Principal& caller, const Json& params) {
  std::string uri = params.is_object() ? params.value("uri", "") : "";
  Result<std::string> text = std::string();
  if (uri == kInstructionsUri) {
    text = co_await instructions_text(s, caller);
  } else if (uri == kDecisionsUri) {
    auto list = co_await decisions_for(s, caller, "", "");
    if (list) {
      text = decisions_markdown(*list);
    } else {
      text = tl::unexpected(list.error());
    }
  } else {
    co_return tl::unexpected(RpcError{kResourceNotFound, "Resource not found: " + uri});
  }
  if (!text) co_return tl::unexpected(RpcError{kResourceNotFound, text.error().message});
  co_return Json{
      {"contents", {{{"uri", uri}, {"mimeType", "text/markdown"}, {"text", std::move(*text)}}}}};
}

Awaitable<RpcResult> run_method(Services& s, const Principal& caller, const std::string& method,
                                const Json& params) {
  if (method == "initialize") co_return initialize(s, params);
  if (method == "ping") co_return Json::object();
  if (method == "tools/list") co_return tool_list();
  if (method == "tools/call") {
    co_return co_await call_tool(s, caller, params);
  }
  if (method == "resources/list") co_return list_resources(caller);
  if (method == "resources/templates/list") co_return Json{{"resourceTemplates", Json::array()}};
  if (method == "resources/read") {
    co_return co_await read_resource(s, caller, params);
  }
  co_return tl::unexpected(RpcError{kMethodNotFound, "Method not found: " + method});
}

// One JSON-RPC message: the reply to a request, nothing for a notification or a response.
Awaitable<std::optional<Json>> handle_message(Services& s, const Principal& caller,
                                              const Json& message) {
  if (!message.is_object() || message.value("jsonrpc", Json()) != "2.0") {
    co_return reply(nullptr,
                    tl::unexpected(RpcError{kInvalidRequest, "not a JSON-RPC 2.0 message"}));
  }
  bool has_id = message.contains("id") && !message["id"].is_null();
  if (!message.contains("method")) co_return std::nullopt;  // a response to us: none expected
  if (!message["method"].is_string()) {
    co_return reply(has_id ? message["id"] : Json(),
                    tl::unexpected(RpcError{kInvalidRequest, "'method' must be a string"}));
  }
  if (!has_id) co_return std::nullopt;  // notifications/initialized, cancelled, …
  const Json& id = message["id"];
  if (!id.is_string() && !id.is_number_integer()) {
    co_return reply(
        nullptr, tl::unexpected(RpcError{kInvalidRequest, "'id' must be a string or an integer"}));
  }
  Json params = message.contains("params") ? message["params"] : Json::object();
  auto result = co_await run_method(s, caller, message["method"].get<std::string>(), params);
  co_return reply(id, std::move(result));
}

Awaitable<Result<Response>> post_mcp(Services& s, Request& request) {
  if (!is_json_content(request.header("content-type"))) {
    co_return fail(ErrorKind::kUnsupportedMedia, "json_required",
                   "POST /mcp needs Content-Type: application/json");
  }
  if (const std::string* v = request.header("mcp-protocol-version"); v && !supported(*v)) {
    co_return bad_request("unsupported_protocol_version",
                          fmt::format("MCP-Protocol-Version '{}' is not one bosun speaks ({})", *v,
                                      fmt::join(kSupportedVersions, ", ")));
  }
  auto body = parse_json(request.body);
  if (!body) {
    co_return Response::json(
        reply(nullptr, tl::unexpected(RpcError{kParseError, body.error().message})), 400);
  }
  const Principal caller = request.principal;
  if (!body->is_array()) {
    auto answer = co_await handle_message(s, caller, *body);
    if (!answer) co_return Response{202, "application/json", "", {}};
    co_return Response::json(*answer);
  }
  // A batch (2025-03-26): the replies in one array.
  if (body->empty()) {
    co_return Response::json(
        reply(nullptr, tl::unexpected(RpcError{kInvalidRequest, "an empty batch"})), 400);
  }
  Json answers = Json::array();
  for (const auto& message : *body) {
    auto answer = co_await handle_message(s, caller, message);
    if (answer) answers.push_back(std::move(*answer));
  }
  if (answers.empty()) co_return Response{202, "application/json", "", {}};
  co_return Response::json(answers);
}

}  // namespace

std::vector<Route> mcp_routes() {
  return {{"POST", "/mcp", Access::kAny, nullptr, post_mcp}};
}

}  // namespace bosun
