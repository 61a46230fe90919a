// /proc readings for benchmarks: CPU time, RSS and PSS of a process, and a process scan.
#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bosun::bench {

struct ProcStat {
  bool ok = false;  // false: no such process (any more)
  char state = '?';
  pid_t ppid = 0;
  pid_t sid = 0;
  int64_t cpu_ticks = 0;  // utime + stime
};

// Fields of /proc/PID/stat (after the command name, which may contain spaces and parentheses).
inline ProcStat read_stat(pid_t pid) {
  ProcStat st;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return st;
  auto close = line.rfind(')');
  if (close == std::string::npos) return st;
  std::istringstream rest(line.substr(close + 2));
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  std::string field;
  int64_t skip = 0, utime = 0, stime = 0;
  pid_t pgrp = 0;
  rest >> st.state >> st.ppid >> pgrp >> st.sid;
  for (int i = 0; i < 7; ++i)
    rest >> skip;
  rest >> utime >> stime;
  if (!rest) return st;
  st.cpu_ticks = utime + stime;
  st.ok = true;
  return st;
}

// CPU time (utime + stime) of a process in seconds; 0 if it is gone.
inline double cpu_seconds(pid_t pid) {
  static const long kTicks = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(read_stat(pid).cpu_ticks) / static_cast<double>(kTicks);
}

// A "Key:   123 kB" line of /proc/PID/status or /proc/PID/smaps_rollup, in KiB; -1 if absent.
inline int64_t proc_kib(pid_t pid, const char* file, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::atoll(line.c_str() + key.size() + 1);
  }
  return -1;
}
inline int64_t rss_kib(pid_t pid) {
  return proc_kib(pid, "status", "VmRSS");
}
inline int64_t pss_kib(pid_t pid) {
  return proc_kib(pid, "smaps_rollup", "Pss");
}
// Voluntary context switches of the main thread: how often it went to sleep and woke again.
inline int64_t wakeups(pid_t pid) {
  return proc_kib(pid, "status", "voluntary_ctxt_switches");
}

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t sid = 0;
  std::vector<std::string> cmdline;
};

// Every process visible in /proc, with its argv.
inline std::vector<ProcessInfo> scan_processes() {
  std::vector<ProcessInfo> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    ProcStat st = read_stat(static_cast<pid_t>(pid));
    if (!st.ok || st.state == 'Z') continue;
    ProcessInfo p;
    p.pid = static_cast<pid_t>(pid);
    p.ppid = st.ppid;
    p.sid = st.sid;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string arg;
    while (std::getline(in, arg, '\0'))
      p.cmdline.push_back(arg);
    out.push_back(std::move(p));
  }
  ::closedir(dir);
  return out;
}

}  // namespace bosun::bench
