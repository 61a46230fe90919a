// PgServer: a PostgreSQL cluster of a test's own — Debian's initdb into a folder of the test's,
// and a postgres that listens only on a unix socket in that folder (no TCP port, no system
// service) — stopped with the object. initdb refuses to run as root, so under root the
// cluster belongs to `nobody`. Tests skip, saying why, only when the binaries are missing.
#pragma once

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/process.h"
#include "util/result.h"

namespace bosun::testing {

class PgServer {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  static constexpr int kPort = 5432;  // names the socket file; nothing listens on TCP

  // Where the binaries are, or nothing when this machine lacks them.
  static std::optional<std::filesystem::path> binaries() {
    std::filesystem::path bin(kBin);
    if (std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "postgres")) {
      return bin;
    }
    return std::nullopt;
  }

  // A new cluster in `dir` (made if missing), started; why not otherwise.
  static Result<std::unique_ptr<PgServer>> start(const std::filesystem::path& dir) {
    auto bin = binaries();
    if (!bin) return internal("no_postgres", std::string("no PostgreSQL binaries in ") + kBin);
    std::unique_ptr<PgServer> pg(new PgServer(dir, *bin));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (!nobody) return internal("no_user", "no user nobody to run PostgreSQL as");
      pg->as_ = {"runuser", "-u", "nobody", "--"};
      if (::chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
        return internal("chown_failed", errno_message("chown " + dir.string(), errno));
      }
    }
    TRY_OK(pg->run({(*bin / "initdb").string(), "-D", pg->data().string(), "-U", kUser,
                    "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"}));
    TRY_OK(pg->resume());
    return pg;
  }

  // Stops the server (fast: sessions are ended, their transactions rolled back), keeping the
  // cluster; resume() starts it again.
  Status stop() {
    TRY_OK(run({(bin_ / "pg_ctl").string(), "-D", data().string(), "-m", "fast", "-w", "stop"}));
    running_ = false;
    return {};
  }
  Status resume() {
    std::string options = "-k " + dir_.string() + " -c listen_addresses= -p " +
                          std::to_string(kPort) + " -c fsync=off";
    TRY_OK(run({(bin_ / "pg_ctl").string(), "-D", data().string(), "-l",
                (dir_ / "postgres.log").string(), "-w", "-t", "30", "-o", options, "start"}));
    running_ = true;
    return {};
  }

  ~PgServer() {
    if (running_) {
      (void)run(
          {(bin_ / "pg_ctl").string(), "-D", data().string(), "-m", "immediate", "-w", "stop"});
    }
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // A URL of database `dbname` on this cluster, as bosun's store takes it.
  std::string url(const std::string& dbname) const {
    return "postgresql:///" + dbname + "?host=" + dir_.string() + "&port=" + std::to_string(kPort) +
           "&user=" + kUser;
  }

  // What libpq connects with.
  std::string conninfo() const {
    return "host=" + dir_.string() + " port=" + std::to_string(kPort) +
           " dbname=postgres user=" + kUser;
  }

 private:
  static constexpr const char* kUser = "bosun";

  PgServer(std::filesystem::path dir, std::filesystem::path bin)
      : dir_(std::move(dir)), bin_(std::move(bin)) {}
  std::filesystem::path data() const { return dir_ / "data"; }

  // Runs `argv` (as the cluster's owner), 60 s at most; its stderr when it fails.
  Status run(std::vector<std::string> argv) const {
    ProcessSpec spec;
    spec.argv = as_;
    spec.argv.insert(spec.argv.end(), argv.begin(), argv.end());
    spec.cwd = dir_.string();
    ProcessResult r = run_process_blocking(spec);
    if (r.ok()) return {};
    return internal("postgres_failed", argv.front() + ": " + r.summary() + "\n" + r.err + r.out);
  }

  std::filesystem::path dir_;
  std::filesystem::path bin_;
  std::vector<std::string> as_;  // the prefix that runs a command as the cluster's owner
  bool running_ = false;
};

}  // namespace bosun::testing
