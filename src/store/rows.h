// Rows: what the table accessors share — reading every row of a statement, and the JSON forms
// of optional columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "util/clock.h"
#include "util/json.h"

namespace bosun {

// Every row `stmt` yields, each made by `from_row(statement)`.
template <typename T, typename F>
Result<std::vector<T>> collect(Result<Statement>& stmt, F from_row) {
  std::vector<T> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(from_row(*stmt));
  }
  return out;
}

// The id an `INSERT … RETURNING id` made, the statement run to its end (SQLite finishes an
// insert's statement only then).
inline Result<int64_t> inserted_id(Statement& stmt) {
  TRY(row, stmt.step());
  if (!*row) return internal("storage_error", "an insert returned no id");
  int64_t id = stmt.get_int(0);
  TRY(more, stmt.step());
  return id;
}

// "INSERT INTO `table`(`columns`) VALUES(?, …) ON CONFLICT(`key`) DO UPDATE SET c = excluded.c, …":
// a row written whole, new or not (`columns`: names separated by ", ").
inline std::string upsert_sql(std::string_view table, std::string_view columns,
                              std::string_view key) {
  std::string values;
  std::string sets;
  size_t from = 0;
  while (from <= columns.size()) {
    size_t end = columns.find(',', from);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view name = columns.substr(from, end - from);
    while (!name.empty() && name.front() == ' ')
      name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ')
      name.remove_suffix(1);
    values += values.empty() ? "?" : ", ?";
    if (name != key) {
      if (!sets.empty()) sets += ", ";
      sets.append(name).append(" = excluded.").append(name);
    }
    from = end + 1;
  }
  std::string sql = "INSERT INTO ";
  sql.append(table).append("(").append(columns).append(") VALUES(").append(values);
  sql.append(") ON CONFLICT(").append(key).append(") DO UPDATE SET ").append(sets);
  return sql;
}

// A Unix-ms column as an ISO time, or null.
inline Json time_or_null(const std::optional<int64_t>& ms) {
  return ms ? Json(format_time(from_unix_ms(*ms))) : Json();
}

inline Json text_or_null(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json();
}

}  // namespace bosun
