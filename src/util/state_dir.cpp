// StateDir: paths, creation, token and the single-daemon lock.
#include "util/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

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

// The state directory usually sits in the project's repository (`.bosun/`): git must never
// stage its database, token, logs or worktrees (nor list them: this file ignores itself too),
// while the files a person writes beside them (roles, pipelines, profiles) stay theirs to commit.
constexpr std::string_view kStateGitignore =
    "# bosun's state (database, token, logs, worktrees) stays out of git;\n"
    "# the roles, pipelines and profiles you write here are yours to commit.\n"
    "/*\n"
    "!/roles/\n"
    "!/pipelines/\n"
    "!/profiles/\n";

Status create_state_dirs(const StateDir& dir) {
  for (const auto& p : {dir.root, dir.run(), dir.logs(), dir.worktrees(), dir.journal()}) {
    if (auto s = make_dirs(p, 0700); !s) return s;
  }
  ::chmod(dir.run().c_str(), 0700);
  // Written once: a person's own edits to it are kept.
  std::error_code ec;
  if (!std::filesystem::exists(dir.root / ".gitignore", ec)) {
    TRY_OK(write_file_atomic(dir.root / ".gitignore", kStateGitignore, 0644));
  }
  return {};
}

namespace {

// Narrows `path` to `mode` when it grants more; records the change. Absent paths are fine.
Status narrow(const std::filesystem::path& path, mode_t mode, Tightened& out) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return internal("stat_failed", errno_message("stat " + path.string(), errno));
  }
  if (S_ISLNK(st.st_mode)) {
    return internal(
        "state_symlink",
        path.string() + " is a symbolic link; the state directory must hold its own files");
  }
  mode_t now = st.st_mode & 07777;
  if ((now & ~mode) == 0) return {};
  if (::chmod(path.c_str(), now & mode) != 0) {
    return internal("chmod_failed", errno_message("chmod " + path.string(), errno));
  }
  out.changes.push_back(fmt::format("{} was {:04o}, now {:04o}", path.string(), now, now & mode));
  return {};
}

}  // namespace

Result<Tightened> tighten_state_dir(const StateDir& dir) {
  Tightened out;
  for (const auto& d :
       {dir.root, dir.run(), dir.logs(), dir.worktrees(), dir.journal(), dir.root / "agents"}) {
    TRY_OK(narrow(d, 0700, out));
  }
  // Born 0600: SQLite gives the WAL and SHM files the database's own mode.
  UniqueFd db(::open(dir.db().c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!db) return internal("open_failed", errno_message("open " + dir.db().string(), errno));
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    TRY_OK(narrow(dir.db().string() + suffix, 0600, out));
  }
  TRY_OK(narrow(dir.token(), 0600, out));
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir.logs(), ec)) {
    if (e.is_regular_file(ec)) TRY_OK(narrow(e.path(), 0600, out));
  }
  return out;
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
