// BeadsTransfer: the task board as beads' JSONL issues (one JSON object per line) and back, so a
// team that tracks its work with beads can bring its board to bosun and take it home again.
//
// A task becomes a beads issue: id, title, description, status, priority, issue_type "task",
// labels (its role as "role:NAME"), created_at/updated_at/closed_at, dependencies ("blocks", and
// "parent-child" for its parent) and comments. What beads has no field for — bosun's exact
// status, the agent, the project, branches, history and reports — travels in a "bosun" object
// beads leaves alone, so an export imported into another state directory is the same board.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "store/tasks.h"

namespace bosun {

// One task as one line (no newline at the end).
std::string to_beads_line(const TaskSnapshot& snapshot);

// Every task on the board, oldest first, one line each.
Result<std::string> export_beads(Store& store);

// What a beads file says, fitted to the board: tasks to restore (in file order) and notes on
// what was changed to fit (a title cut to bosun's limit, a status beads has and bosun has not).
struct BeadsFile {
  std::vector<TaskSnapshot> tasks;
  std::vector<std::string> notes;
};

// Parses a whole file; blank lines are skipped. 400 `invalid_import` naming the line for one
// that is not an issue (not JSON, no id or title, an id bosun cannot use, an unknown status, a
// priority outside 0-4, a malformed time), and for an id given twice.
Result<BeadsFile> parse_beads(std::string_view jsonl);

}  // namespace bosun
