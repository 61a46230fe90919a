// Settings: small JSON values by key (the supervisor's configuration, …).
#pragma once

#include <optional>
#include <string>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

class SettingsStore {
 public:
  explicit SettingsStore(Database& db) : db_(db) {}
  Result<std::optional<Json>> get(const std::string& key);
  Status set(const std::string& key, const Json& value);

 private:
  Database& db_;
};

}  // namespace bosun
