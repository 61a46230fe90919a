// Process tree: /proc/PID/stat parsing and a breadth-first walk over parent links.
#include "term/process_tree.h"

#include <dirent.h>
#include <signal.h>

#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "util/files.h"

namespace bosun::term {

bool parse_proc_stat(const std::string& text, ProcInfo& out) {
  // "pid (comm) state ppid pgrp session ..."; comm may hold spaces and parentheses.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  std::istringstream head(text.substr(0, open));
  std::istringstream rest(text.substr(close + 1));
  long pid = 0;
  long ppid = 0;
  long pgrp = 0;
  long sid = 0;
  char state = '?';
  if (!(head >> pid) || !(rest >> state >> ppid >> pgrp >> sid)) return false;
  out = ProcInfo{static_cast<pid_t>(pid), static_cast<pid_t>(ppid), static_cast<pid_t>(pgrp),
                 static_cast<pid_t>(sid), state};
  return true;
}

std::vector<ProcInfo> scan_processes() {
  std::vector<ProcInfo> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), &::closedir);
  if (!dir) return out;
  while (dirent* entry = ::readdir(dir.get())) {
    const char* name = entry->d_name;
    if (name[0] < '1' || name[0] > '9') continue;
    auto text = read_file(std::string("/proc/") + name + "/stat");
    if (!text) continue;  // it exited meanwhile
    ProcInfo info;
    if (parse_proc_stat(*text, info)) out.push_back(info);
  }
  return out;
}

std::vector<pid_t> tree_members(const std::vector<ProcInfo>& procs, pid_t sid, pid_t root) {
  std::unordered_multimap<pid_t, pid_t> children;
  for (const auto& p : procs)
    children.emplace(p.ppid, p.pid);
  std::unordered_set<pid_t> members;
  for (const auto& p : procs) {
    if (sid > 0 && p.sid == sid) members.insert(p.pid);
  }
  std::vector<pid_t> queue{root};
  std::unordered_set<pid_t> seen{root};
  while (!queue.empty()) {
    pid_t parent = queue.back();
    queue.pop_back();
    auto [first, last] = children.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      if (!seen.insert(it->second).second) continue;
      members.insert(it->second);
      queue.push_back(it->second);
    }
  }
  members.erase(root);
  std::vector<pid_t> out;
  for (const auto& p : procs) {
    if (p.state != 'Z' && p.state != 'X' && members.count(p.pid) != 0) out.push_back(p.pid);
  }
  return out;
}

bool environ_has(pid_t pid, const std::string& entry) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/environ");
  if (!text) return false;
  size_t at = 0;
  while (at < text->size()) {
    size_t end = text->find('\0', at);
    if (end == std::string::npos) end = text->size();
    if (text->compare(at, end - at, entry) == 0) return true;
    at = end + 1;
  }
  return false;
}

int signal_all(const std::vector<pid_t>& pids, int sig) {
  int sent = 0;
  for (pid_t pid : pids) {
    if (pid > 1 && ::kill(pid, sig) == 0) ++sent;
  }
  return sent;
}

}  // namespace bosun::term
