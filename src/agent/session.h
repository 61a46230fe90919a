// Session: one agent as the registry keeps it — its record and state machine, its current run
// with the holder connection, the run's log and screen, and its live status with the timers
// that read the screen after output and once output has been quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_state.h"
#include "agent/agent_view.h"
#include "agent/context_gauge.h"
#include "agent/live_status.h"
#include "agent/run_log.h"
#include "term/holder_client.h"
#include "term/screen.h"
#include "util/lifetime.h"

namespace bosun {

// Receives terminal traffic for the terminal WebSocket hub (api/), which agent/ cannot see.
class TerminalObserver {
 public:
  virtual ~TerminalObserver() = default;
  virtual void on_output(const std::string& agent_id, uint64_t offset, std::string_view bytes) = 0;
  // The run started, exited or was lost: `status` is the terminal socket's status frame.
  virtual void on_run_status(const std::string& agent_id, const Json& status) = 0;
};

// What every session shares: the loop, the clock, the log and where state changes go.
struct SessionContext {
  boost::asio::io_context& io;
  const Clock& clock;
  Log& log;
  AgentStateSinks sinks;
  TerminalObserver* observer = nullptr;
};

// What the registry does once a launch under way has ended or the run has exited; a later
// request of higher rank replaces an earlier one (remove > restart > stop).
enum class AfterRun { kNone, kStop, kRestart, kRemove };
// "none" (it exited by itself), "stop", "restart", "remove": what an agent.exited leads to.
const char* to_string(AfterRun after);

class Session {
 public:
  Session(SessionContext& context, AgentRecord record);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  AgentRecord& record() { return record_; }
  const AgentRecord& record() const { return record_; }
  AgentStateMachine& machine() { return machine_; }
  AgentState state() const { return machine_.state(); }
  AgentView view() const;

  // The run's holder has said ready and the run has not ended.
  bool running() const { return run && run->state == "running"; }

  // A new run's screen and status (the profile's rules; an unknown profile reads as a shell).
  void begin_run(Result<Profile> profile);
  // The program started or was reattached: its status starts and the quiet watch begins.
  void start_watching();

  // Output from the holder at its absolute offset: into the log, the screen, the viewers and
  // the status; the screen is read 50 ms later, and again once output has been quiet.
  void on_output(uint64_t offset, std::string_view bytes);
  // True once when the run's gaps changed (output the log could not hold, or writing came
  // back): the caller persists the run.
  bool take_gaps_changed() { return std::exchange(gaps_changed_, false); }

  // A reading from a detector (the screen, the quiet, output, a hook, a stream, a report):
  // applied through the state machine when the agent's state is the detector's to change
  // (live) and the reading is a detected state. True when the state changed.
  bool offer(const std::optional<Signal>& signal);

  // How full the run's context window is, from the latest reading (none until one came).
  const std::optional<ContextGauge>& context() const { return context_; }
  // Records a reading; `agent.context` is published when the whole percent changed (the
  // screen redraws the same footer again and again; two sources agree). True then.
  bool note_context(ContextGauge gauge);
  // The window the CLI itself said this run (Claude Code's status line knows the model's).
  std::optional<int64_t> said_window() const { return said_window_; }

  // Feeds the screen the output waiting for it, so that it shows everything received.
  void flush_screen();

  // Asks for what follows the launch under way or the run (see AfterRun).
  void ask(AfterRun after) { after_ = std::max(after_, after); }
  AfterRun take_after() { return std::exchange(after_, AfterRun::kNone); }
  AfterRun after() const { return after_; }

  std::optional<RunRecord> run;
  std::shared_ptr<term::HolderClient> client;
  // Output reaches it in batches (a few ms late): flush_screen() before reading it.
  std::unique_ptr<term::Screen> screen;
  RunLog log;
  std::unique_ptr<LiveStatus> status;  // the profile's rules and the signal arbiter
  std::chrono::steady_clock::time_point last_output{};
  bool launching = false;  // between writing a run's records and the holder's answer

 private:
  void watch_quiet();
  // The CLI's own "N% context left" on its screen, when its profile says where to read it.
  void read_context(const ScreenView& view);
  void arm_quiet(std::chrono::steady_clock::duration due);
  // Quiet for the profile's interval: the screen (or, for rule-less profiles, the quiet
  // itself) may now say idle.
  void on_quiet();
  void arm_check();
  // Bytes [from, to) reached viewers but not the log: a gap of the run, with the reason.
  void lost_output(uint64_t from, uint64_t to, const std::string& why);

  SessionContext& ctx_;
  AgentRecord record_;
  AgentStateMachine machine_;
  AfterRun after_ = AfterRun::kNone;
  boost::asio::steady_timer quiet_;  // fires when output has been quiet long enough
  bool quiet_armed_ = false;
  boost::asio::steady_timer check_;  // a look at the screen soon after output
  bool check_armed_ = false;
  boost::asio::steady_timer feed_;  // feeds the screen what output is waiting for it
  bool feed_armed_ = false;
  std::string pending_screen_;   // output not yet fed to the screen
  bool writing_failed_ = false;  // the last log write failed: the open gap grows
  bool gaps_changed_ = false;
  std::optional<ContextGauge> context_;
  std::optional<int64_t> said_window_;
  Lifetime lifetime_;  // the timers' handlers check it before they touch the session
};

}  // namespace bosun
