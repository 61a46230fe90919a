// StateDir: paths, creation, token and the single-daemon lock.
#include "util/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "util/files.h"
#include "util/ids.h"

namespace bosun {

StateDir resolve_state_dir(const std::optional<std::string>& flag) {
  std::filesystem::path p;
  if (flag && !flag->empty()) {
    p = *flag;
  } else if (const char* env = std::getenv("BOSUN_STATE"); env && *env) {
    p = env;
  } else {
    p = ".bosun";
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return StateDir{ec ? p : abs.lexically_normal()};
}

Status create_state_dirs(const StateDir& dir) {
  for (const auto& p : {dir.root, dir.run(), dir.logs(), dir.worktrees(), dir.journal()}) {
    if (auto s = make_dirs(p, 0700); !s) return s;
  }
  ::chmod(dir.run().c_str(), 0700);
  return {};
}

Result<std::string> load_or_create_token(const StateDir& dir) {
  auto existing = read_file(dir.token());
  if (existing) {
    auto token = *existing;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
      token.pop_back();
    if (token.size() >= 16) {
      ::chmod(dir.token().c_str(), 0600);
      return token;
    }
  }
  auto token = random_hex(32);
  if (auto s = write_file_atomic(dir.token(), token + "\n", 0600); !s) {
    return tl::unexpected(s.error());
  }
  return token;
}

Result<StateLock> StateLock::acquire(const StateDir& dir) {
  UniqueFd fd(::open(dir.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return internal("lock_failed", errno_message("open " + dir.lock_file().string(), errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return internal("lock_failed", errno_message("flock " + dir.lock_file().string(), errno));
    }
    std::string holder = "another bosun daemon";
    if (auto pid = read_file(dir.pid_file()); pid && !pid->empty()) {
      auto text = *pid;
      while (!text.empty() && text.back() == '\n')
        text.pop_back();
      holder = "bosun daemon pid " + text;
      if (auto addr = read_file(dir.address_file()); addr && !addr->empty()) {
        auto a = *addr;
        while (!a.empty() && a.back() == '\n')
          a.pop_back();
        holder += " at " + a;
      }
    }
    return conflict("state_locked",
                    "state directory " + dir.root.string() + " is in use by " + holder);
  }
  return StateLock(std::move(fd));
}

}  // namespace bosun
