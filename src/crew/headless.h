// Headless: one task step run by an agent CLI's headless mode (the profile's `headless` argv,
// `{prompt}` filled in) in the agent's folder with the agent's environment. Its JSON event
// stream is read as it comes (stream_events.h) into `headless.event` events; at the end the
// outcome is judged, the run's usage and cost are stored against the agent and the task,
// and `headless.finished` says how it went.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "agent/registry.h"
#include "agent/stream_events.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun {

struct HeadlessRequest {
  std::string agent;                   // whose folder, environment and profile
  std::string prompt;                  // "" with a task: the task, as bosun words it
  std::optional<std::string> task_id;  // the usage counts against it; its comments get the end
  std::optional<std::string> profile;  // instead of the agent's
  std::vector<std::string> args;       // added to the profile's headless command
  std::chrono::milliseconds timeout{30 * 60 * 1000};
};

// A run not tied to an agent (a pipeline step): the argv, folder and environment are the
// caller's; BOSUN_* variables of the daemon's own environment are never passed on.
struct HeadlessLaunch {
  std::string profile;  // for the record
  std::vector<std::string> argv;
  StreamFormat format = StreamFormat::kClaudeStreamJson;
  std::string cwd;
  std::map<std::string, std::string> env;
  std::optional<std::string> task_id;
  std::string agent;  // the name usage is counted under; "" for none
  std::chrono::milliseconds timeout{30 * 60 * 1000};
};

class HeadlessRunner {
 public:
  // Told how a launched run ended, on the loop, after its record was stored.
  using Finished = std::function<void(const HeadlessRunRecord& record)>;

  HeadlessRunner(boost::asio::io_context& io, Store& store, StoreRunner& store_runner,
                 const Clock& clock, Log& log, AgentRegistry& agents, StateDir state);

  // Checks the request, writes the run's record and starts the CLI; the record (state
  // running). 400 for a profile without a headless mode or stream, 404 for an unknown agent
  // or task.
  boost::asio::awaitable<Result<Json>> start(HeadlessRequest request);
  // Writes the record (through the store's runner) and starts `launch`; `finished` (when set)
  // hears how it ended. Both live in the awaiting frame.
  boost::asio::awaitable<Result<HeadlessRunRecord>> launch(const HeadlessLaunch& launch,
                                                           const Finished& finished);
  // Runs that a stopped daemon left running end as failures (reason daemon_stopped); at start,
  // before anything is served.
  void close_abandoned();
  // Kills the CLI of a run under way (its whole process group); the run then ends as a
  // failure with reason `cancelled`. 404 unknown run, 409 one that has ended.
  Status cancel(const std::string& id);

 private:
  boost::asio::awaitable<void> run(HeadlessRunRecord record, ProcessSpec spec, StreamFormat format,
                                   Finished finished);
  // Writes how the run ended (and the task's comment) through the store's runner, then tells
  // `finished`.
  void finish(HeadlessRunRecord& record, StreamParser& parser, const ProcessResult& result,
              Finished finished);

  boost::asio::io_context& io_;
  Store& store_;  // read on the loop
  StoreRunner& store_runner_;
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  StateDir state_;
  // Run id → its stop eventfd. Declared before the runner, so it outlives the runner's jobs,
  // which poll the descriptors.
  std::map<std::string, std::shared_ptr<UniqueFd>> stops_;
  ProcessRunner runner_;
  Lifetime lifetime_;  // checked by callbacks that may outlive this object
};

}  // namespace bosun
