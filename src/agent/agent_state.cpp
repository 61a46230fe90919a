// AgentStateMachine: the table of moves and the transition that records, logs and publishes.
#include "agent/agent_state.h"

namespace bosun {

bool is_live(AgentState state) {
  return state == AgentState::kRunning || detected_state(state);
}

bool has_process(AgentState state) {
  return is_live(state) || state == AgentState::kStarting || state == AgentState::kStopping;
}

bool agent_transition_allowed(AgentState from, AgentState to) {
  switch (from) {
    case AgentState::kStarting:
      return to == AgentState::kRunning || to == AgentState::kStopping ||
             to == AgentState::kExited || to == AgentState::kLost;
    case AgentState::kRunning:
    case AgentState::kWorking:
    case AgentState::kIdle:
    case AgentState::kWaitingInput:
    case AgentState::kRateLimited:
    case AgentState::kErrored:
      return is_live(to) || to == AgentState::kStopping || to == AgentState::kExited ||
             to == AgentState::kLost;
    case AgentState::kStopping:
      return to == AgentState::kExited || to == AgentState::kLost || to == AgentState::kRunning;
    case AgentState::kExited:
    case AgentState::kLost:
      return to == AgentState::kStarting || to == AgentState::kLost;
  }
  return false;
}

namespace {

Signal process_reading(AgentState state) {
  Signal s;
  s.state = state;
  s.source = SignalSource::kProcess;
  s.confidence = 1.0;
  s.evidence = std::string(to_string(state));
  return s;
}

}  // namespace

AgentStateMachine::AgentStateMachine(AgentRecord& record, AgentStateSinks sinks)
    : record_(record), sinks_(sinks) {
  state_ = parse_agent_state(record.state).value_or(AgentState::kLost);
  reading_ = process_reading(state_);
  reading_.source = parse_signal_source(record.state_source).value_or(SignalSource::kProcess);
}

bool AgentStateMachine::enter(AgentState state) {
  return enter(process_reading(state));
}

bool AgentStateMachine::enter(const Signal& reading) {
  if (reading.state == state_) {
    // The same state, newer evidence: what a person sees of it does not change.
    reading_ = reading;
    record_.state_source = std::string(to_string(reading.source));
    return false;
  }
  const AgentState from = state_;
  if (!agent_transition_allowed(from, reading.state)) {
    sinks_.log.error("agent.refused_transition", {{"agent", record_.id},
                                                  {"from", to_string(from)},
                                                  {"to", to_string(reading.state)},
                                                  {"source", to_string(reading.source)}});
    return false;
  }
  state_ = reading.state;
  reading_ = reading;
  record_.state = std::string(to_string(state_));
  record_.state_source = std::string(to_string(reading.source));
  record_.state_since_ms = to_unix_ms(sinks_.clock.now());
  sinks_.log.info("agent.state", {{"agent", record_.id},
                                  {"name", record_.name},
                                  {"from", to_string(from)},
                                  {"to", record_.state},
                                  {"source", record_.state_source}});
  Json data{{"name", record_.name},
            {"state", record_.state},
            {"from", to_string(from)},
            {"source", record_.state_source},
            {"since", format_time(from_unix_ms(record_.state_since_ms))}};
  Json rests_on = to_json(reading);
  rests_on.erase("state");
  rests_on.erase("source");
  data.update(rests_on);
  auto write = [written = record_, data = std::move(data)](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.agents().update(written));
    TRY_OK(tx.publish("agent.state", written.id, data));
    return tx.commit();
  };
  sinks_.runner.submit(std::move(write), [&log = sinks_.log, id = record_.id](const Status& st) {
    if (!st) log.error("agent.persist_failed", {{"agent", id}, {"error", st.error().message}});
  });
  return true;
}

}  // namespace bosun
