// HeadlessRuns (store): one row per headless run of an agent CLI — what ran, how it ended,
// and what it cost — so usage adds up per agent and per task.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct HeadlessRunRecord {
  std::string id;     // "hr_…"
  std::string agent;  // the name usage is counted under; "" for none
  std::optional<std::string> task_id;
  std::string profile;
  std::vector<std::string> argv;
  std::string cwd;
  std::string state = "running";  // running → finished
  std::optional<bool> success;
  std::string reason;       // why not a success (stream_events.h RunOutcome::reason)
  std::string result_text;  // the final answer, or the error
  int64_t turns = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  std::optional<double> cost_usd;
  std::string session_id;
  std::optional<int64_t> exit_code;
  std::string events_path;  // the CLI's JSON lines as it printed them
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
};

Json to_json(const HeadlessRunRecord& run);

// Token and cost totals over finished runs.
struct UsageTotals {
  int64_t runs = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  double cost_usd = 0;
};

Json to_json(const UsageTotals& totals);

class HeadlessRunStore {
 public:
  explicit HeadlessRunStore(Database& db) : db_(db) {}
  Status insert(const HeadlessRunRecord& run);
  Status update(const HeadlessRunRecord& run);
  Result<std::optional<HeadlessRunRecord>> find(const std::string& id);
  // Newest first; filters are optional.
  Result<std::vector<HeadlessRunRecord>> list(const std::optional<std::string>& agent,
                                              const std::optional<std::string>& task_id,
                                              int limit = 100);
  // Totals grouped by `by` ("agent", "task_id" or "day": the UTC date a run started),
  // optionally for one agent or one task.
  Result<std::vector<std::pair<std::string, UsageTotals>>> usage(
      const std::string& by, const std::optional<std::string>& agent,
      const std::optional<std::string>& task_id);
  // Runs a daemon that stopped left `running`: finished, reason `daemon_stopped`.
  Status close_abandoned(int64_t now_ms);

 private:
  Database& db_;
};

}  // namespace bosun
