// Journal: dated notes by people and agents (and, later, reset snapshots).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct JournalEntry {
  std::string id;  // "j_…"
  int64_t at_ms = 0;
  std::string kind;
  std::string text;
  std::string author;
};

Json to_json(const JournalEntry& entry);

struct JournalQuery {
  std::optional<int64_t> from_ms;   // inclusive
  std::optional<int64_t> to_ms;     // exclusive
  std::optional<std::string> text;  // substring
  int64_t limit = 100;
};

class JournalStore {
 public:
  explicit JournalStore(Database& db) : db_(db) {}
  Status insert(const JournalEntry& entry);
  Result<std::vector<JournalEntry>> list(const JournalQuery& query);
  Result<int64_t> count();

 private:
  Database& db_;
};

}  // namespace bosun
