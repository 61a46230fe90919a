// Mcp: the Model Context Protocol endpoint (`POST /mcp`, Streamable HTTP, revision 2025-11-25;
// clients of 2025-06-18 and 2025-03-26 are answered in theirs). JSON-RPC in, one JSON reply
// out; no server-sent stream and no session, so an agent's client keeps working across a
// daemon restart. The caller is whoever the token says (an agent, or a person).
#pragma once

namespace bosun {

// The revision bosun implements (the routes are mcp_routes() in api/routes/routes.h).
inline constexpr const char* kMcpProtocolVersion = "2025-11-25";

}  // namespace bosun
