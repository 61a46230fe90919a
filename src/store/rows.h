// Rows: what the table accessors share — reading every row of a statement, and the JSON forms
// of optional columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// A Unix-ms column as an ISO time, or null.
inline Json time_or_null(const std::optional<int64_t>& ms) {
  return ms ? Json(format_time(from_unix_ms(*ms))) : Json();
}

inline Json text_or_null(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json();
}

}  // namespace bosun
