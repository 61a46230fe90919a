// Decisions: what a project has learned (gotchas, workarounds, conventions, decisions), each for
// some roles or all, handed to the agents of those roles with their tasks and instructions.
#pragma once

#include <optional>
#include <string>

#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"

namespace bosun {

// Stateless: construct one where it is needed.
class Decisions {
 public:
  Decisions(Store& store, EventBus& bus, const Clock& clock)
      : store_(store), bus_(bus), clock_(clock) {}

  // {kind: gotcha|workaround|convention|decision, text (1-4096 bytes), roles?: [...]} for
  // `project` (id or name); event decision.created. 400 bad fields, 404 unknown project. A
  // `proposal` (an agent's) reaches no agent until a person accepts it.
  Result<Json> add(const std::string& project, const Json& body, const std::string& author,
                   bool proposal = false);
  // {project_id, decisions: [...]}, only those for `role` (and for every role) when given;
  // proposals too (marked `proposed`) with `with_proposals`.
  Result<Json> list(const std::string& project, const std::optional<std::string>& role,
                    bool with_proposals = true);
  // A person accepts proposal `id`; event decision.accepted. 404 unknown, 409 not a proposal.
  Result<Json> accept(const std::string& project, int64_t id, const std::string& by);

 private:
  Store& store_;
  EventBus& bus_;
  const Clock& clock_;
};

}  // namespace bosun
