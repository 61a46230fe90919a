// AgentStateMachine: the moves an agent's recorded state may make, and the one function that
// makes them — checks the move, records it with what it rests on, logs it and publishes it.
#pragma once

#include <string>

#include "agent/status.h"
#include "store/agents.h"
#include "store/event_bus.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/log.h"

namespace bosun {

// The table of allowed moves (docs/agents.md "Agent states"):
//   starting → running | stopping | exited | lost
//   running and the detected states (working, idle, waiting_input, rate_limited, errored)
//     → any detected state | running (a restarted daemon reattached) | stopping | exited | lost
//   stopping → exited | lost | running (a restarted daemon reattached a stopping agent)
//   exited, lost → starting (a new run) | lost (a new run that could not begin)
// A move to the state the agent is in is no move (see AgentStateMachine::enter).
bool agent_transition_allowed(AgentState from, AgentState to);

// The agent's program runs: running, or a state a detector read off it.
bool is_live(AgentState state);
// A process is there or on its way: live, starting or stopping.
bool has_process(AgentState state);

// What a state change is recorded in, and told to.
struct AgentStateSinks {
  StoreRunner& runner;  // the record and its event, written in the order the moves were made
  Log& log;
  const Clock& clock;
};

// The recorded state of one agent (its record's state, state_source and state_since) and the
// reading it rests on. One per agent, owned with its record.
class AgentStateMachine {
 public:
  AgentStateMachine(AgentRecord& record, AgentStateSinks sinks);

  // The recorded state; a record holding a name this build does not know reads as lost.
  AgentState state() const { return state_; }
  SignalSource source() const { return reading_.source; }
  // What the state rests on: confidence, evidence, and what a detector saw.
  const Signal& reading() const { return reading_; }

  // The one transition. To the current state: fresher evidence, kept in memory (no write, no
  // event) and false. To another state: refused (logged as agent.refused_transition, false)
  // unless the table allows it; otherwise the move is logged, the record and an `agent.state`
  // event {name, state, from, source, since, confidence, evidence, …} handed to the runner to
  // write together, and true (the recorded state is the new one at once).
  bool enter(const Signal& reading);
  // A move the process decides (starting, running, stopping, exited, lost): confidence 1,
  // the state's name as evidence.
  bool enter(AgentState state);

 private:
  AgentRecord& record_;
  AgentStateSinks sinks_;
  AgentState state_;
  Signal reading_;
};

}  // namespace bosun
