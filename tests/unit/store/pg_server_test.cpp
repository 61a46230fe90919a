// PgServer, the PostgreSQL the tests start themselves: a cluster in the test's folder answers
// over libpq on its socket there, listens on no TCP port, and is gone once the object is.
#include "common/pg_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>

#include "util/ids.h"

namespace bosun {
namespace {

// One value from `sql`, or why not.
std::string one_value(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                        ? PQgetvalue(r, 0, 0)
                        : std::string("error: ") + PQerrorMessage(conn);
  PQclear(r);
  return out;
}

TEST(PgServerTest, AClusterOfTheTestsOwnAnswersOnItsSocketAndStopsWithIt) {
  if (!testing::PgServer::binaries()) {
    GTEST_SKIP() << "PostgreSQL is not installed here (scripts/deps installs it)";
  }
  auto dir = std::filesystem::temp_directory_path() / new_id("bosun-pg-");
  std::string conninfo;
  {
    auto pg = testing::PgServer::start(dir);
    ASSERT_TRUE(pg) << pg.error().message;
    conninfo = (*pg)->conninfo();
    PGconn* conn = PQconnectdb(conninfo.c_str());
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    EXPECT_EQ(one_value(conn, "SELECT 40 + 2"), "42");
    EXPECT_EQ(one_value(conn, "SHOW listen_addresses"), "");
    EXPECT_EQ(one_value(conn, "SHOW unix_socket_directories"), dir.string());
    PQfinish(conn);
  }
  PGconn* after = PQconnectdb(conninfo.c_str());
  EXPECT_NE(PQstatus(after), CONNECTION_OK) << "the cluster still answers after it was stopped";
  PQfinish(after);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bosun
