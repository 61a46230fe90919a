// PgDatabase: libpq, text parameters with their types, text results.
#include "store/pg_database.h"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "store/pg_dialect.h"

namespace bosun {
namespace {

// The write lock's key: any constant all daemons agree on ("bosun" in ASCII).
constexpr const char* kBegin = "BEGIN; SELECT pg_advisory_xact_lock(435711275630)";
// The daemon's lock, of the two-key form ("bosu", 1): pg_locks shows it as classid and objid.
// One lock per host name: a daemon holds its host's for as long as its connection lives.
constexpr const char* kTakeHostLock = "SELECT pg_try_advisory_lock(1651471221, hashtext(?1))";

// PostgreSQL's type ids for what bosun binds (pg_type.dat).
constexpr Oid kInt8 = 20;
constexpr Oid kText = 25;
constexpr Oid kFloat8 = 701;

Oid type_of(ValueType type) {
  switch (type) {
    case ValueType::kInt:
      return kInt8;
    case ValueType::kDouble:
      return kFloat8;
    case ValueType::kText:
      return kText;
    case ValueType::kUnknown:
      return 0;
  }
  return 0;
}

void quiet(void* /*arg*/, const char* /*message*/) {}

std::string first_line(std::string_view text) {
  auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

}  // namespace

class PgDatabase::Prepared final : public PreparedStatement {
 public:
  Prepared(PgDatabase* db, PgQuery query)
      : db_(db),
        query_(std::move(query)),
        values_(query_.parameters),
        nulls_(query_.parameters, true),
        types_(query_.parameters, 0) {}
  ~Prepared() override { PQclear(result_); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  void bind_int(int index, int64_t value) override { set(index, std::to_string(value), kInt8); }
  void bind_double(int index, double value) override {
    set(index, fmt::format("{:.17g}", value), kFloat8);
  }
  void bind_text(int index, std::string_view value) override {
    // Parameters travel as C strings: a NUL would cut the text short without a word.
    if (value.find('\0') != std::string_view::npos) has_nul_ = true;
    set(index, std::string(value), kText);
  }
  void bind_null(int index, ValueType type) override {
    int slot = slot_of(index);
    if (slot < 0) return;
    nulls_[slot] = true;
    types_[slot] = type_of(type);
  }

  Result<bool> step() override {
    if (!result_) {
      if (has_nul_) {
        return fail(ErrorKind::kInvalid, "invalid_text",
                    "text with a NUL byte can't be stored in PostgreSQL");
      }
      TRY_OK(execute());
      row_ = -1;
    }
    ++row_;
    return row_ < PQntuples(result_);
  }

  // A column of the current row; "" when there is none (libpq answers null).
  const char* value(int column) const {
    const char* v = result_ ? PQgetvalue(result_, row_, column) : nullptr;
    return v ? v : "";
  }
  bool is_null(int column) const override {
    return !result_ || PQgetisnull(result_, row_, column) != 0;
  }
  int64_t get_int(int column) const override {
    const char* v = value(column);
    if (v[0] == 't' && v[1] == '\0') return 1;  // a boolean, as SQLite would have counted it
    if (v[0] == 'f' && v[1] == '\0') return 0;
    return std::strtoll(v, nullptr, 10);
  }
  double get_double(int column) const override { return std::strtod(value(column), nullptr); }
  std::string get_text(int column) const override {
    const char* v = value(column);
    return std::string(v, *v ? static_cast<size_t>(PQgetlength(result_, row_, column)) : 0);
  }

  void reset() override {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    has_nul_ = false;
    std::fill(nulls_.begin(), nulls_.end(), true);
    std::fill(types_.begin(), types_.end(), 0);
  }

 private:
  // Where SQLite's parameter `index` goes; -1 when the text doesn't use it.
  int slot_of(int index) const {
    if (index < 1 || index > static_cast<int>(query_.slots.size())) return -1;
    return query_.slots[index - 1] - 1;
  }

  void set(int index, std::string value, Oid type) {
    int slot = slot_of(index);
    if (slot < 0) return;
    values_[slot] = std::move(value);
    nulls_[slot] = false;
    types_[slot] = type;
  }

  // A write outside a transaction is a transaction of its own, so that it too waits for the
  // write lock.
  // A read outside a transaction that found the connection gone is asked once more, on a new
  // one.
  Status execute() {
    if (query_.writes && !db_->in_transaction_) {
      Transaction tx(*db_);
      TRY_OK(tx.begin());
      TRY_OK(send());
      return tx.commit();
    }
    auto sent = send();
    if (!sent && sent.error().code == "storage_unreachable" && !db_->in_transaction_) {
      sent = send();
    }
    return sent;
  }

  // Parsed and planned once per connection and set of parameter types (a null's type may
  // differ from one run to the next), then only executed.
  Status send() {
    TRY_OK(db_->connected());
    std::string types(reinterpret_cast<const char*>(types_.data()), types_.size() * sizeof(Oid));
    auto& name = names_[types];
    if (name.empty() || name_connection_ != db_->connection_) {
      if (name_connection_ != db_->connection_) {
        for (auto& [signature, prepared] : names_)
          prepared.clear();
        name_connection_ = db_->connection_;
      }
      std::string wanted = "s" + std::to_string(++db_->statements_made_);
      PGresult* made = PQprepare(db_->conn_, wanted.c_str(), query_.sql.c_str(), query_.parameters,
                                 types_.data());
      auto checked = db_->check(made, query_.sql);
      PQclear(made);
      TRY_OK(checked);
      name = std::move(wanted);
    }
    std::vector<const char*> params(values_.size());
    for (size_t i = 0; i < values_.size(); ++i)
      params[i] = nulls_[i] ? nullptr : values_[i].c_str();
    result_ = PQexecPrepared(db_->conn_, name.c_str(), query_.parameters, params.data(), nullptr,
                             nullptr, 0);
    auto checked = db_->check(result_, query_.sql);
    if (!checked) {
      PQclear(result_);
      result_ = nullptr;
    }
    return checked;
  }

  PgDatabase* db_;
  PgQuery query_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<Oid> types_;
  bool has_nul_ = false;
  std::unordered_map<std::string, std::string> names_;  // parameter types → prepared name
  uint64_t name_connection_ = 0;                        // the connection they were made on
  pg_result* result_ = nullptr;
  int row_ = -1;
};

// Every session's settings. Times are UTC. The rest are backstops, so that nothing the daemon
// or anyone else does holds the crew's store forever:
// - a transaction of ours left idle for 3 s (its daemon stopped or frozen while it held the
//   write lock — ours take a few milliseconds) is ended by the server, its lock freed for the
//   other hosts, and rolled back: it was never acknowledged;
// - a lock waited for over 5 s (a row someone else's session holds, idle) fails the statement
//   (503 storage_busy) rather than stalling the crew's writes behind it;
// - a statement running over 2 minutes is cancelled.
constexpr const char* kSessionSettings =
    "SET TIME ZONE 'UTC'; SET idle_in_transaction_session_timeout = '3s';"
    " SET lock_timeout = '5s'; SET statement_timeout = '120s'";

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(const std::string& url) {
  // A server that doesn't answer fails the attempt after 5 s unless the URL says otherwise
  // (libpq waits forever by default), and TCP keepalives find a server that vanished within
  // half a minute; the URL's own keywords come after and win.
  const char* const keywords[] = {
      "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
      "dbname",          nullptr};
  const char* const values[] = {"5", "1", "10", "5", "3", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return internal("storage_open_failed", "out of memory connecting to PostgreSQL");
  std::unique_ptr<PgDatabase> db(new PgDatabase(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "cannot connect to PostgreSQL: " + first_line(PQerrorMessage(conn)));
  }
  PQsetNoticeProcessor(conn, quiet, nullptr);
  TRY_OK(db->run_simple(kSessionSettings));
  // The schema's version, in a row of its own; made once, under the write lock, by whichever
  // daemon comes first. Looked for without the lock, which a running daemon may hold.
  bool made = false;
  {
    TRY(found, db->prepare("SELECT to_regclass('bosun_schema') IS NOT NULL"));
    TRY(row, found->step());
    made = *row && found->get_int(0) == 1;
  }
  if (made) return db;
  Transaction tx(*db);
  TRY_OK(tx.begin());
  TRY_OK(db->run_simple(
      "CREATE TABLE IF NOT EXISTS bosun_schema (version BIGINT NOT NULL);"
      "INSERT INTO bosun_schema(version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM bosun_schema)"));
  TRY_OK(tx.commit());
  return db;
}

PgDatabase::PgDatabase(pg_conn* conn) : conn_(conn) {}

PgDatabase::~PgDatabase() {
  statements_.clear();
  PQfinish(conn_);
}

Status PgDatabase::connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return {};
  // A transaction whose connection went is rolled back by the server: the rest of it must
  // fail too, never run on a new connection as writes of their own.
  if (in_transaction_) {
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "the connection to PostgreSQL was lost in a transaction");
  }
  // While the server is away, one attempt a second: the statements between fail at once.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_attempt_ < std::chrono::seconds(1)) {
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "PostgreSQL can't be reached: " + first_line(PQerrorMessage(conn_)));
  }
  PQreset(conn_);
  ++connection_;  // its prepared statements are gone
  if (PQstatus(conn_) != CONNECTION_OK) {
    last_attempt_ = now;
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "PostgreSQL can't be reached: " + first_line(PQerrorMessage(conn_)));
  }
  PQsetNoticeProcessor(conn_, quiet, nullptr);
  TRY_OK(run_simple(kSessionSettings));
  if (!exclusive_for_.empty()) return take_exclusive();
  return {};
}

Status PgDatabase::hold_exclusive(const std::string& key, const std::string& who) {
  exclusive_key_ = key;
  exclusive_for_ = who;
  return take_exclusive();
}

Status PgDatabase::take_exclusive() {
  char* name = PQescapeLiteral(conn_, exclusive_for_.c_str(), exclusive_for_.size());
  if (!name) return internal("storage_error", "can't quote the daemon's name");
  std::string set = std::string("SET application_name = ") + name;
  PQfreemem(name);
  TRY_OK(run_simple(set));
  bool taken = false;
  {
    TRY(take, prepare(kTakeHostLock));
    take->bind(1, exclusive_key_);
    TRY(row, take->step());
    taken = *row && take->get_int(0) == 1;
  }
  if (taken) return {};
  std::string holder = "another daemon";
  {
    TRY(who, prepare("SELECT a.application_name, to_char(a.backend_start AT TIME ZONE 'UTC',"
                     " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pg_locks l JOIN pg_stat_activity a"
                     " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                     " AND l.classid = 1651471221 AND l.objsubid = 2"
                     " AND l.objid::bigint = (hashtext(?1)::bigint & 4294967295)"));
    who->bind(1, exclusive_key_);
    TRY(row, who->step());
    if (*row) holder = fmt::format("{} (connected since {})", who->get_text(0), who->get_text(1));
  }
  return conflict("host_in_use",
                  fmt::format("host {} is already served by {}: one daemon per host name (give "
                              "this one another with --host-name)",
                              exclusive_key_, holder));
}

Status PgDatabase::check(pg_result* result, std::string_view what) {
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    std::string_view command = PQcmdStatus(result);
    if (command.starts_with("INSERT") || command.starts_with("UPDATE") ||
        command.starts_with("DELETE")) {
      changes_ = std::strtoll(PQcmdTuples(result), nullptr, 10);
    }
    return {};
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  std::string message =
      fmt::format("database error: {} ({})",
                  first_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_)),
                  what.substr(0, 120));
  if (code.empty() || code.starts_with("08") || code.starts_with("57P")) {
    // The connection, or the server, went away (a transaction with it).
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "PostgreSQL can't be reached: " + message);
  }
  if (code.starts_with("23")) return conflict("constraint_violation", message);
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014") {
    return fail(ErrorKind::kUnavailable, "storage_busy", message);
  }
  if (code == "53100") return fail(ErrorKind::kNoSpace, "storage_full", message);
  if (code.starts_with("22")) return fail(ErrorKind::kInvalid, "invalid_value", message);
  return internal("storage_error", message);
}

Status PgDatabase::run_simple(std::string_view sql) {
  TRY_OK(connected());
  std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  auto checked = check(result, text);
  PQclear(result);
  return checked;
}

Result<Statement> PgDatabase::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return Statement(it->second.get());
  auto& slot = statements_[key];
  slot = std::make_unique<Prepared>(this, pg_query(sql));
  return Statement(slot.get());
}

Status PgDatabase::exec(std::string_view sql) {
  return run_simple(pg_query(sql).sql);
}

Result<int> PgDatabase::user_version() {
  TRY(stmt, prepare("SELECT version FROM bosun_schema"));
  TRY(row, stmt->step());
  return *row ? static_cast<int>(stmt->get_int(0)) : 0;
}

Status PgDatabase::set_user_version(int version) {
  return run_simple(fmt::format("UPDATE bosun_schema SET version = {}", version));
}

std::string PgDatabase::migration_sql(const Migration& m) const {
  return pg_schema(m.postgres ? m.postgres : m.sql);
}

Status PgDatabase::begin() {
  TRY_OK(run_simple(kBegin));
  in_transaction_ = true;
  return {};
}

Status PgDatabase::commit() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    in_transaction_ = false;
    return fail(ErrorKind::kUnavailable, "storage_unreachable",
                "the connection to PostgreSQL was lost in a transaction; nothing of it was kept");
  }
  PGresult* result = PQexec(conn_, "COMMIT");
  auto checked = check(result, "COMMIT");
  // COMMIT of a transaction a statement failed in answers ROLLBACK, without an error.
  bool committed = checked && std::string_view(PQcmdStatus(result)) == "COMMIT";
  PQclear(result);
  in_transaction_ = false;
  TRY_OK(checked);
  if (!committed) return internal("storage_rolled_back", "the transaction was rolled back");
  return {};
}

void PgDatabase::rollback() {
  in_transaction_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace bosun
