// Services: what route handlers reach: the store, the event bus, the clock, the log, the hubs.
#pragma once

#include <string>

#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bosun {

class AgentRegistry;
class Auth;
class HostRelay;
class EventStream;
class HeadlessRunner;
class TerminalStream;
class Supervisor;
class Verifier;
class Merges;
class Projects;
class Worktrees;
class TaskBranches;
class PipelineRuns;
class Notifier;
class StoreRunner;

struct DaemonInfo {
  std::string version;
  TimePoint started_at;
  int pid = 0;
  std::string state_dir;
  std::string address;  // "127.0.0.1:7777"
};

struct Services {
  Store& store;
  EventBus& bus;
  StoreRunner& runner;  // where store work that writes runs: inline, or on a worker (store/)
  const Clock& clock;
  Log& log;
  Auth& auth;
  DaemonInfo& info;
  EventStream& event_stream;
  AgentRegistry& agents;
  TerminalStream& terminals;
  Verifier& verifier;           // checks task reports (crew/verifier.h)
  Supervisor& supervisor;       // dispatch, heartbeats, resets, stuck watch (crew/supervisor.h)
  Projects& projects;           // projects and where their roles are (crew/projects.h)
  Worktrees& worktrees;         // each agent's worktree (crew/worktrees.h)
  Merges& merges;               // diff, merge, rebase of agents' work (crew/merges.h)
  HeadlessRunner& headless;     // headless task steps and their usage (crew/headless.h)
  TaskBranches& task_branches;  // each task's own branch: diff, approve-and-merge, rebase
  PipelineRuns& pipelines;  // pipeline runs: steps, gates, a person's word (crew/pipeline_runs.h)
  Notifier& notifier;       // edges, channels, deliveries (notify/notifier.h)
  HostRelay& relay;         // another host's agents' routes, sent on to it (api/host_relay.h)
};

}  // namespace bosun
