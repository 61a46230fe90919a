// PgDialect: SQLite's spelling of bosun's SQL in PostgreSQL's — placeholders (`?`, `?3`) as
// `$n`, the few functions named otherwise, and in the schema the types (INTEGER holds
// milliseconds: BIGINT) and the row number every SQLite table has without asking (`rowid`, which
// the tables that keep creation order sort by). Quoted text and names are left as written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bosun {

struct PgQuery {
  std::string sql;
  int parameters = 0;      // $1 … $parameters
  std::vector<int> slots;  // SQLite's parameter n is $slots[n-1]; 0 when the text never uses it
  bool writes = false;     // an INSERT, UPDATE or DELETE
};

PgQuery pg_query(std::string_view sqlite_sql);

// A migration's DDL, types and row numbers included.
std::string pg_schema(std::string_view sqlite_ddl);

}  // namespace bosun
