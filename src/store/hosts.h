// Hosts: one row per daemon sharing the store, each with its lease on its agents. A lease is
// kept in the database's clock, so hosts whose own clocks disagree still agree on who expired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct HostRecord {
  std::string name;
  int64_t epoch = 0;           // bumped by every join: a lease renewed under an older one is lost
  std::string state = "up";    // up | lost
  std::string address;         // where its daemon listens
  int64_t pid = 0;             // its daemon's process
  std::string state_dir;       // its daemon's state directory
  std::string version;         // its bosun's version
  int64_t schema_version = 0;  // the newest migration its bosun knows
  int64_t joined_at_ms = 0;
  int64_t renewed_at_ms = 0;   // its last renewal: when it was last known to be there
  int64_t lease_until_ms = 0;  // in the database's clock
  std::optional<int64_t> lost_at_ms;
  double load = 0;  // its machine's load average over a minute, at its last renewal
};

// {"name", "state", "epoch", "address", "pid", "state_dir", "version", "schema_version",
//  "joined_at", "renewed_at", "lease_until", "lost_at", "load"}
Json to_json(const HostRecord& host);

class HostStore {
 public:
  explicit HostStore(Database& db) : db_(db) {}

  // The database's clock, in Unix milliseconds.
  Result<int64_t> now_ms();
  // `host` joins, or joins again: a new epoch, its lease from now for `lease_ms`, state up.
  // Returns the row as it was (none for a host new to the store). Inside a write transaction.
  // Agents, notifications and pipeline runs from before there were hosts become the joining
  // host's.
  Result<std::optional<HostRecord>> join(const HostRecord& host, int64_t lease_ms);
  // Renews the lease of `name` at `epoch`; false when the row moved on (the host was declared
  // lost, or joined again elsewhere): the lease is gone and nothing was written.
  Result<bool> renew(const std::string& name, int64_t epoch, int64_t lease_ms, double load);
  Status set_address(const std::string& name, const std::string& address);
  // Hosts other than `self` that are up with their lease run out.
  Result<std::vector<std::string>> expired(const std::string& self);
  // Declares `name` lost if it is still up with its lease run out; none when it renewed or
  // another host declared it first. Inside a write transaction: exactly one reaper wins.
  Result<std::optional<HostRecord>> declare_lost(const std::string& name);
  Result<HostRecord> find(const std::string& name);
  Result<std::vector<HostRecord>> list();

 private:
  // The expression for the database's clock in Unix ms, in this backend's words.
  const char* now_sql() const;
  Database& db_;
};

}  // namespace bosun
