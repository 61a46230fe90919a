// EdgeWriter: one event's moves on the edges, their deliveries and the cursor, in one
// transaction.
#include "notify/edge_writer.h"

#include <algorithm>

#include "util/text.h"

namespace bosun {

namespace {

const std::vector<TaskStatus> kOpenWork = {TaskStatus::kPending, TaskStatus::kAssigned,
                                           TaskStatus::kInProgress, TaskStatus::kReview,
                                           TaskStatus::kBlocked};

}  // namespace

Result<bool> EdgeWriter::take(const Event& event, const std::string& cursor_key) {
  if (!may_move_edges(event.type)) return false;
  Json data = event_data(event);
  auto moves = edge_moves(event, data, facts_for(event, data));
  // Most moves find their edge as they would leave it (an agent idle again, already known
  // idle): those take no write transaction. apply() looks again inside the transaction.
  bool any = false;
  for (const auto& m : moves) {
    TRY(w, would_write(m));
    any = any || *w;
  }
  if (!any) return false;
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  bool wrote = false;
  for (const auto& m : moves) {
    TRY(applied, apply(m, event, tx));
    wrote = wrote || *applied;
  }
  if (!wrote) return false;  // rolled back: nothing to keep
  TRY_OK(store_.settings().set(cursor_key, event.seq));
  TRY_OK(tx.commit());
  return true;
}

EdgeFacts EdgeWriter::facts_for(const Event& event, const Json& data) {
  EdgeFacts f;
  if (event.type.starts_with("agent.")) {
    if (auto a = store_.agents().find(event.subject)) {
      f.agent_role = a->role;
      f.agent_project = a->project_id.value_or("");
    }
  } else if (event.type == "task.updated") {
    std::string to = string_field(data, "to");
    if (to == "done" || to == "cancelled" || to == "failed") {
      auto open = store_.tasks().count_in(kOpenWork);
      auto done = store_.tasks().count_in({TaskStatus::kDone});
      f.board_done = open && *open == 0 && done && *done > 0;
      f.tasks_done = done ? *done : 0;
    }
  }
  return f;
}

Result<bool> EdgeWriter::would_write(const EdgeMove& move) {
  if (move.move == EdgeMove::Move::kOnce) return true;
  TRY(found, store_.notifications().find_edge(move.key));
  const bool open = *found && (*found)->open;
  return move.move == EdgeMove::Move::kOpen ? !open : open;
}

Result<bool> EdgeWriter::apply(const EdgeMove& move, const Event& event,
                               EventBus::Transaction& tx) {
  auto& table = store_.notifications();
  TRY(found, table.find_edge(move.key));
  std::optional<NotifyEdge> row = std::move(*found);
  const int64_t at = event.at_ms;
  switch (move.move) {
    case EdgeMove::Move::kOpen: {
      if (row && row->open) return false;  // told already; it still holds
      // Back this soon after it ended, and it was told: a flapping state, not news.
      bool flap = row && row->notified && row->closed_at_ms &&
                  at - *row->closed_at_ms < config_.debounce.count();
      NotifyEdge e{move.key, to_string(move.kind), true, at, std::nullopt, true};
      TRY_OK(table.put_edge(e));
      if (!flap) TRY_OK(announce(move, move.key, move.title, event, tx));
      return true;
    }
    case EdgeMove::Move::kClose: {
      if (!row || !row->open) return false;
      row->open = false;
      row->closed_at_ms = at;
      TRY_OK(table.put_edge(*row));
      if (!move.ended_title.empty() && row->notified) {
        TRY_OK(announce(move, move.key + ":ended", move.ended_title, event, tx));
      }
      return true;
    }
    case EdgeMove::Move::kOnce:
      TRY_OK(announce(move, move.key, move.title, event, tx));
      return true;
  }
  return false;
}

Status EdgeWriter::announce(const EdgeMove& move, const std::string& edge, const std::string& title,
                            const Event& event, EventBus::Transaction& tx) {
  Delivery d;
  d.edge = edge;
  d.kind = to_string(move.kind);
  d.event_seq = event.seq;
  d.created_at_ms = event.at_ms;
  d.title = title;
  d.body = shorten(move.body, 4000);
  d.link = move.link;
  d.next_at_ms = event.at_ms + config_.batch.count();
  for (const auto& channel : config_.channels) {
    if (!takes(channel, move)) continue;
    d.channel = channel.name;
    TRY_OK(store_.notifications().enqueue(d));
  }
  // The dashboard's own channel: the browser shows it when the person allowed notifications.
  TRY_OK(tx.publish("notify.edge", edge,
                    Json{{"kind", d.kind}, {"title", title}, {"body", d.body}, {"link", d.link}}));
  return {};
}

bool EdgeWriter::takes(const NotifyChannel& c, const EdgeMove& move) {
  if (!c.on.empty() && !c.on.contains(move.kind)) return false;
  if (!c.roles.empty() && !move.role.empty() &&
      std::find(c.roles.begin(), c.roles.end(), move.role) == c.roles.end()) {
    return false;
  }
  if (c.projects.empty() || move.project.empty()) return true;
  for (const auto& p : c.projects) {
    if (p == move.project) return true;
    if (auto project = store_.projects().find(p); project && project->id == move.project)
      return true;
  }
  return false;
}

}  // namespace bosun
