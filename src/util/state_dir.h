// StateDir: the layout of a state directory, its lock and its token.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace bosun {

struct StateDir {
  std::filesystem::path root;

  std::filesystem::path db() const { return root / "bosun.db"; }
  std::filesystem::path token() const { return root / "token"; }
  std::filesystem::path run() const { return root / "run"; }
  std::filesystem::path logs() const { return root / "logs"; }
  std::filesystem::path worktrees() const { return root / "worktrees"; }
  std::filesystem::path journal() const { return root / "journal"; }
  std::filesystem::path address_file() const { return run() / "address"; }
  std::filesystem::path pid_file() const { return run() / "pid"; }
  std::filesystem::path lock_file() const { return run() / "lock"; }
};

// --state, else $BOSUN_STATE, else ./.bosun; made absolute.
StateDir resolve_state_dir(const std::optional<std::string>& flag);

// Creates the directory tree (mode 0700).
Status create_state_dirs(const StateDir& dir);

// What tighten_state_dir changed: "PATH was 0755, now 0700" per file or folder.
struct Tightened {
  std::vector<std::string> changes;
};

// Makes the state private whatever it was before (a `.bosun/` a repository committed, made
// under a loose umask): the folder and its run, logs, worktrees, journal and agents folders
// 0700; the database with its WAL and SHM, the token and the daemon's logs 0600. The database
// is created 0600 when absent, so that SQLite gives its WAL and SHM the same mode. Worktrees'
// contents are the agents' work and keep their modes.
Result<Tightened> tighten_state_dir(const StateDir& dir);

// Reads the token, creating it (mode 0600, 32 random bytes as hex) when absent.
Result<std::string> load_or_create_token(const StateDir& dir);

// The exclusive lock that makes one daemon per state directory. Held until destroyed.
class StateLock {
 public:
  // Fails with 409 `state_locked` naming the holder's pid when another daemon has it.
  static Result<StateLock> acquire(const StateDir& dir);

 private:
  explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace bosun
