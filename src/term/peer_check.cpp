// PeerCheck: SO_PEERCRED and /proc/locks.
#include "term/peer_check.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cinttypes>
#include <cstdio>
#include <sstream>

#include "util/files.h"

namespace bosun::term {

std::optional<pid_t> peer_pid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) {
    return std::nullopt;
  }
  return cred.pid;
}

bool holds_flock(pid_t pid, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  auto locks = read_file("/proc/locks");
  if (!locks) return false;
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's line has "->" after the id.
  std::istringstream lines(*locks);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("->") != std::string::npos) continue;
    char kind[16] = {};
    long holder = 0;
    unsigned maj = 0, min = 0;
    uintmax_t inode = 0;
    if (std::sscanf(line.c_str(), "%*d: %15s %*s %*s %ld %x:%x:%ju", kind, &holder, &maj, &min,
                    &inode) != 5) {
      continue;
    }
    if (std::string(kind) == "FLOCK" && holder == pid && maj == major(st.st_dev) &&
        min == minor(st.st_dev) && inode == st.st_ino) {
      return true;
    }
  }
  return false;
}

}  // namespace bosun::term
