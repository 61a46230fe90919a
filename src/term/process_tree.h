// Process tree: finds an agent's processes in /proc so they can be signalled together.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace bosun::term {

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t sid = 0;
  char state = '?';  // 'R', 'S', 'Z', ... from /proc/PID/stat
};

// Parses one /proc/PID/stat line; false if it is malformed.
bool parse_proc_stat(const std::string& text, ProcInfo& out);

// Every process visible in /proc (processes that vanish while scanning are skipped).
std::vector<ProcInfo> scan_processes();

// The live (non-zombie) members of a tree: every process whose session id is `sid`, plus every
// descendant (by parent pid, transitively) of `root`. `root` itself is excluded (the holder
// passes its own pid, so its agent and any orphans re-parented to it count).
std::vector<pid_t> tree_members(const std::vector<ProcInfo>& procs, pid_t sid, pid_t root);

// Whether process `pid`'s environment holds the entry `key=value` exactly (false when it cannot
// be read: gone, or not ours).
bool environ_has(pid_t pid, const std::string& entry);

// Sends `sig` to each pid; returns how many were signalled.
int signal_all(const std::vector<pid_t>& pids, int sig);

}  // namespace bosun::term
