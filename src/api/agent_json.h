// AgentJson: an agent as the API shows it (GET /api/v1/agents/{id}, docs/api.md).
#pragma once

#include "agent/agent_view.h"
#include "store/store.h"
#include "util/json.h"

namespace bosun {

// {id, name, role, profile, permanent, state, state_source, state_since, state_confidence,
//  state_evidence, state_detail?, …, argv, cwd, cols, rows, generation, created_at,
//  last_output_at, command_from_profile, args, session_id, project_id, worktree, run, pid,
//  end_offset?}; the worktree is looked up in `store`.
Json agent_json(const AgentView& agent, Store& store);

// An agent another host's daemon runs (a shared store), as its row and its host's say: the
// fields agent_json gives that a row holds, with "host" and "remote": true; an agent whose host
// was declared lost says so in its state_evidence. No run, terminal or worktree: those are its
// host's daemon's.
Json remote_agent_json(const AgentRecord& agent, const std::optional<HostRecord>& host);

}  // namespace bosun
