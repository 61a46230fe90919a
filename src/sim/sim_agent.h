// SimAgent: a deterministic stand-in for an LLM coding agent (`bosun sim-agent`).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace bosun::sim {

// What the agent does wrong on purpose, so every supervisor path can be tested.
enum class Misbehaviour {
  kNone,
  kAsk,      // asks "Allow …? (y/n)" before editing and waits for an answer
  kHang,     // acknowledges, then stops producing output and ignores input and interrupts
  kLoop,     // prints the same error line over and over, until interrupted
  kCrash,    // exits with code 1 as soon as a task arrives
  kNoProof,  // reports done without proof
  kIgnore,   // ignores everything typed into it, without echo
  // draws a paste only when the next key comes, and loses that key if it is Enter (a CLI busy
  // drawing a long paste does): the line stays unsubmitted until Enter is pressed again
  kSlowPaste,
};

std::optional<Misbehaviour> parse_misbehaviour(const std::string& name);

struct SimOptions {
  std::string name;                              // default: $BOSUN_AGENT or "sim"
  std::string role_file;                         // read at start and on [RESET]
  int work_ms = 400;                             // how long "thinking" takes per step
  Misbehaviour misbehave = Misbehaviour::kNone;  // for every task…
  std::map<int, Misbehaviour> per_task;          // …or only the Nth task (1-based), from --script
  // Each finished task fills this many percent of its context, shown as "(N% context left)"
  // as Gemini CLI shows it; [RESET] and a new run start empty. 0: nothing shown.
  int context_step = 0;
};

// Reads a script: one "<task number> <misbehaviour>" per line, '#' comments.
// Fails with a message naming the line.
std::optional<std::string> load_script(const std::string& path, SimOptions& options);

// Runs the prompt loop on the controlling terminal until Ctrl-D or a crash; returns the exit code.
int run_sim_agent(const SimOptions& options);

}  // namespace bosun::sim
