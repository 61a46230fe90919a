// `bosun agent attach A`: the agent's terminal in the user's own terminal.
#pragma once

#include <optional>
#include <string>

#include "cli/command.h"

namespace bosun::cli {

// The detach key as a byte: "^]" or "ctrl-]" style names for Ctrl+key, or one character.
// nullopt for a name that is not a key.
std::optional<unsigned char> parse_detach_key(const std::string& name);

struct AttachOptions {
  std::string agent;
  unsigned char detach_key = 0x1d;  // Ctrl-]
  bool resize = true;               // make the agent's terminal the size of ours, and follow it
};

// Runs until the user detaches, the agent exits or the daemon goes away; returns the exit
// code (0 after a detach or the agent's exit, 1 when the connection was lost or refused).
// The user's terminal is always restored.
int attach(const CommandContext& ctx, const AttachOptions& options);

}  // namespace bosun::cli
