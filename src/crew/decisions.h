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
  // `project` (id or name); event decision.created. 400 bad fields, 404 unknown project.
  Result<Json> add(const std::string& project, const Json& body, const std::string& author);
  // {project_id, decisions: [...]}, only those for `role` (and for every role) when given.
  Result<Json> list(const std::string& project, const std::optional<std::string>& role);

 private:
  Store& store_;
  EventBus& bus_;
  const Clock& clock_;
};

}  // namespace bosun
