// AgentView: an agent as the rest of the daemon reads it — a typed copy of its record, its
// recorded state with what that rests on, and its current run. Never JSON (that is api/'s).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_state.h"
#include "agent/context_gauge.h"
#include "agent/status.h"
#include "store/agents.h"

namespace bosun {

struct AgentView {
  AgentRecord record;  // id, name, role, profile, project, argv, cwd, size, generation, …
  AgentState state = AgentState::kStarting;
  Signal reading;  // what the state rests on: source, confidence, evidence, detail, …
  std::optional<RunRecord> run;
  // Its run's profile declares an agent CLI (Profile::takes_tasks): bosun may type into it.
  bool takes_tasks = false;
  // How full its context window is, from the latest reading of this run (none yet: unknown).
  std::optional<ContextGauge> context;

  const std::string& id() const { return record.id; }
  const std::string& name() const { return record.name; }
  const std::string& role() const { return record.role; }
  const std::string& profile() const { return record.profile; }
  SignalSource source() const { return reading.source; }
  // The program runs (running, or a state read off it).
  bool live() const { return is_live(state); }
  // Its run's holder has said ready and the run has not ended.
  bool running() const { return run && run->state == "running"; }
  // Bytes of output its current run has printed.
  int64_t end_offset() const { return run ? run->end_offset : 0; }
};

// Why the agent cannot take a message or input: "has exited (code 3)", "was lost: …", "is
// stopping", "has no run"; empty when its program is up (starting or running) and it is not
// stopping or gone.
std::string why_not_running(const AgentView& agent);

}  // namespace bosun
