// Instructions: a Markdown document, role first, protocol last.
#include "crew/instructions.h"

#include <fmt/format.h>

namespace bosun {

std::string decisions_text(const std::vector<Decision>& decisions) {
  std::string out;
  for (const auto& d : decisions)
    out += fmt::format("- [{}] {}\n", d.kind, d.text);
  return out;
}

std::string agent_instructions(const InstructionsInput& in) {
  std::string out;
  if (in.role && !in.role->body.empty()) {
    out += in.role->body;
    if (out.back() != '\n') out += '\n';
    out += "\n";
  }
  out += "## Working with bosun\n\n";
  out += fmt::format("You are {}{}, one agent in a crew that bosun runs.", in.agent,
                     in.role_name.empty() ? "" : " (role " + in.role_name + ")");
  if (in.worktree) {
    out += fmt::format(
        " You work in your own git worktree {} on branch {}; commit your work there. bosun "
        "merges it into {}.",
        in.worktree->path, in.worktree->branch, in.worktree->base_branch);
  } else if (in.project) {
    out += fmt::format(" You work in {}.", in.project->path);
  }
  out += "\n\n";
  if (in.role && !in.role->domains.empty()) {
    out += "You may change only these paths; a change anywhere else is refused at merge:\n";
    for (const auto& d : in.role->domains)
      out += "- " + d + "\n";
    out += "\n";
  }
  out +=
      "- Work arrives as one line: `[TASK] <id> <title> — run: bosun task show <id>`. Run that "
      "command, then acknowledge with `bosun task update <id> --status in_progress`.\n"
      "- When the task is finished, commit, then submit a report with proof: `bosun report "
      "submit FILE` (JSON: status done|partial|blocked, summary, changes, proof "
      "{what_was_done, how_verified, verification_result}), and say so: `bosun mail done "
      "\"<summary>\"`. A done without proof is not accepted.\n"
      "- If you cannot go on: `bosun mail blocked \"<reason>\"`. Progress: `bosun mail status "
      "\"<text>\"`.\n"
      "- `[MAIL] <id> from <sender>: <subject> — run: bosun mail read <id>`: read it and act "
      "on it.\n"
      "- `[HEARTBEAT] …`: when you have nothing to do, answer `bosun mail status \"[SYS] Idle — "
      "awaiting task.\"`.\n"
      "- `[RESET] …`: your context was reset; read these instructions again and carry on with "
      "your task (the `handoff` tool or `bosun task show` has where it stands).\n"
      "- When your tool list has bosun's MCP tools (server `bosun`: show, claim, update, "
      "comment, report, inbox, read, send, done, status, blocked, decisions, handoff, step, "
      "agents, "
      "…), use them instead of these commands: they do the same, as you.\n";
  if (!in.decisions.empty()) {
    out += "\n## Decisions recorded for this project\n\n" + decisions_text(in.decisions);
  }
  return out;
}

}  // namespace bosun
