// Settings: one row per key, the value as JSON text.
#include "store/settings.h"

#include "store/rows.h"

namespace bosun {

Result<std::optional<Json>> SettingsStore::get(const std::string& key) {
  auto stmt = db_.prepare("SELECT value FROM settings WHERE key = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Json>();
  Json value = Json::parse(stmt->get_text(0), nullptr, false);
  if (value.is_discarded()) return internal("bad_setting", "setting " + key + " is not JSON");
  return std::optional<Json>(std::move(value));
}

Status SettingsStore::set(const std::string& key, const Json& value) {
  auto stmt = db_.prepare(
      "INSERT INTO settings(key, value) VALUES(?1, ?2)"
      " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key).bind(2, dump_json(value));
  return stmt->run();
}

Result<Json> SettingsStore::keep_first(const std::string& key, const Json& value) {
  auto put =
      db_.prepare("INSERT INTO settings(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO NOTHING");
  if (!put) return tl::unexpected(put.error());
  put->bind(1, key).bind(2, dump_json(value));
  TRY_OK(put->run());
  TRY(kept, get(key));
  if (!*kept) return internal("bad_setting", "setting " + key + " was not kept");
  return std::move(**kept);
}

Result<std::vector<std::pair<std::string, Json>>> SettingsStore::with_prefix(
    const std::string& prefix) {
  auto stmt = db_.prepare(
      "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, prefix);
  return collect<std::pair<std::string, Json>>(stmt, [&prefix](const Statement& s) {
    return std::pair{s.get_text(0).substr(prefix.size()),
                     Json::parse(s.get_text(1), nullptr, false)};
  });
}

}  // namespace bosun
