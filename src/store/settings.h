// Settings: small JSON values by key (the supervisor's configuration, …).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

// The key of a setting each daemon on a shared store keeps for itself (where it listened, how
// far its notifier read): `key` on a store one daemon owns (`host` empty), "key@host" otherwise.
inline std::string host_setting(const std::string& key, const std::string& host) {
  return host.empty() ? key : key + "@" + host;
}

class SettingsStore {
 public:
  explicit SettingsStore(Database& db) : db_(db) {}
  Result<std::optional<Json>> get(const std::string& key);
  Status set(const std::string& key, const Json& value);
  // The value `key` has, else `value`, kept from now on: of daemons sharing a store, the first
  // to ask sets it and the others read it.
  Result<Json> keep_first(const std::string& key, const Json& value);
  // Every setting whose key starts with `prefix`, as (the rest of the key, value), by key.
  Result<std::vector<std::pair<std::string, Json>>> with_prefix(const std::string& prefix);

 private:
  Database& db_;
};

}  // namespace bosun
