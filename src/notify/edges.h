// Edges: what one event does to the conditions a person hears about — opens one ("kai waits
// for an answer"), closes one (it answered), or is news once (a run ended). A pure function
// of the event and a few facts the notifier looks up, so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "notify/notify_config.h"
#include "store/events.h"
#include "util/json.h"

namespace bosun {

// What the notifier knows beyond the event.
struct EdgeFacts {
  std::string agent_role;     // of the agent the event is about
  std::string agent_project;  // its project's id
  bool board_done = false;    // after a task ended: nothing is left to work on the board
  int64_t tasks_done = 0;     // then, how many tasks are done
};

struct EdgeMove {
  enum class Move { kOpen, kClose, kOnce };
  Move move = Move::kOnce;
  std::string key;  // "waiting:ag_…", "review:t_…"; unique per condition
  EdgeKind kind = EdgeKind::kExited;
  std::string title;
  std::string body;
  std::string link;     // a dashboard fragment
  std::string project;  // for the channels' filters; empty: any channel
  std::string role;
  // On a close: the message that the condition ended, sent where its opening was.
  std::string ended_title;
};

// The event types that can move an edge (the notifier looks facts up only for these).
bool may_move_edges(const std::string& type);

std::vector<EdgeMove> edge_moves(const Event& event, const Json& data, const EdgeFacts& facts);

}  // namespace bosun
