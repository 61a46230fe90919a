// Hosts: rows ↔ records, leases in the database's clock.
#include "store/hosts.h"

#include <fmt/format.h>

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {
namespace {

constexpr const char* kHostColumns =
    "name, epoch, state, address, pid, state_dir, version, schema_version, joined_at,"
    " renewed_at, lease_until, lost_at, load";

HostRecord host_from_row(const Statement& s) {
  HostRecord h;
  h.name = s.get_text(0);
  h.epoch = s.get_int(1);
  h.state = s.get_text(2);
  h.address = s.get_text(3);
  h.pid = s.get_int(4);
  h.state_dir = s.get_text(5);
  h.version = s.get_text(6);
  h.schema_version = s.get_int(7);
  h.joined_at_ms = s.get_int(8);
  h.renewed_at_ms = s.get_int(9);
  h.lease_until_ms = s.get_int(10);
  h.lost_at_ms = s.get_optional_int(11);
  h.load = s.get_optional_double(12).value_or(0);
  return h;
}

}  // namespace

Json to_json(const HostRecord& h) {
  return Json{{"name", h.name},
              {"state", h.state},
              {"epoch", h.epoch},
              {"address", h.address},
              {"pid", h.pid},
              {"state_dir", h.state_dir},
              {"version", h.version},
              {"schema_version", h.schema_version},
              {"joined_at", format_time(from_unix_ms(h.joined_at_ms))},
              {"renewed_at", format_time(from_unix_ms(h.renewed_at_ms))},
              {"lease_until", format_time(from_unix_ms(h.lease_until_ms))},
              {"lost_at", time_or_null(h.lost_at_ms)},
              {"load", h.load}};
}

const char* HostStore::now_sql() const {
  return db_.kind() == Database::Kind::kPostgres
             ? "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
             : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

Result<int64_t> HostStore::now_ms() {
  auto stmt = db_.prepare(fmt::format("SELECT {}", now_sql()));
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<std::optional<HostRecord>> HostStore::join(const HostRecord& h, int64_t lease_ms) {
  std::optional<HostRecord> before;
  if (auto found = find(h.name)) {
    before = std::move(*found);
  } else if (found.error().kind != ErrorKind::kNotFound) {
    return tl::unexpected(found.error());
  }
  TRY(now, now_ms());
  auto stmt =
      db_.prepare(upsert_sql("hosts",
                             "name, epoch, state, address, pid, state_dir, version, schema_version,"
                             " joined_at, renewed_at, lease_until, lost_at",
                             "name"));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, h.name).bind(2, before ? before->epoch + 1 : 1).bind(3, std::string("up"));
  stmt->bind(4, h.address).bind(5, h.pid).bind(6, h.state_dir).bind(7, h.version);
  stmt->bind(8, h.schema_version).bind(9, *now).bind(10, *now).bind(11, *now + lease_ms);
  stmt->bind(12, std::optional<int64_t>());
  TRY_OK(stmt->run());
  // What a daemon wrote before there were hosts is the first host's to carry on.
  for (const char* adopt_sql : {"UPDATE agents SET host = ?1 WHERE host = ''",
                                "UPDATE notifications SET host = ?1 WHERE host = ''",
                                "UPDATE pipeline_runs SET host = ?1 WHERE host = ''"}) {
    auto adopt = db_.prepare(adopt_sql);
    if (!adopt) return tl::unexpected(adopt.error());
    adopt->bind(1, h.name);
    TRY_OK(adopt->run());
  }
  return before;
}

Result<bool> HostStore::renew(const std::string& name, int64_t epoch, int64_t lease_ms,
                              double load) {
  auto stmt =
      db_.prepare(fmt::format("UPDATE hosts SET renewed_at = {0}, lease_until = {0} + ?3, load = ?4"
                              " WHERE name = ?1 AND epoch = ?2 AND state = 'up'",
                              now_sql()));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, name).bind(2, epoch).bind(3, lease_ms).bind(4, load);
  TRY_OK(stmt->run());
  return db_.changes() == 1;
}

Status HostStore::set_address(const std::string& name, const std::string& address) {
  auto stmt = db_.prepare("UPDATE hosts SET address = ?2 WHERE name = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, name).bind(2, address);
  return stmt->run();
}

Result<std::vector<std::string>> HostStore::expired(const std::string& self) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT name FROM hosts WHERE state = 'up' AND lease_until < {} AND name <> ?1 ORDER BY name",
      now_sql()));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, self);
  return collect<std::string>(stmt, [](const Statement& s) { return s.get_text(0); });
}

Result<std::optional<HostRecord>> HostStore::declare_lost(const std::string& name) {
  auto stmt =
      db_.prepare(fmt::format("UPDATE hosts SET state = 'lost', lost_at = {0}"
                              " WHERE name = ?1 AND state = 'up' AND lease_until < {0}",
                              now_sql()));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, name);
  TRY_OK(stmt->run());
  if (db_.changes() != 1) return std::optional<HostRecord>();
  TRY(host, find(name));
  return std::optional<HostRecord>(std::move(*host));
}

Result<HostRecord> HostStore::find(const std::string& name) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM hosts WHERE name = ?1", kHostColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("host_not_found", "no host " + name);
  return host_from_row(*stmt);
}

Result<std::vector<HostRecord>> HostStore::list() {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM hosts ORDER BY name", kHostColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<HostRecord>(stmt, host_from_row);
}

}  // namespace bosun
