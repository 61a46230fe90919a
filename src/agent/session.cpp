// Session: output into log, screen, viewers and status; the check and quiet timers.
#include "agent/session.h"

#include "agent/detector.h"

namespace bosun {

namespace {

// How soon after output the screen is read for dialogs, limits, errors and busy markers:
// output comes in bursts, and one reading per burst is enough.
constexpr Millis kScreenCheckDelay{50};

// Output reaches the screen in batches, at most this long after it arrived or once this much
// is waiting: a large batch lets the screen skip the lines that scroll out of sight
// (term::Screen::skippable_prefix) instead of scrolling libvterm's cell buffer for each. The
// log and the viewers get every byte at once.
constexpr Millis kScreenFeedDelay{5};
constexpr size_t kScreenFeedMax = size_t{1} << 20;

}  // namespace

Session::Session(SessionContext& context, AgentRecord record)
    : ctx_(context),
      record_(std::move(record)),
      machine_(record_, context.sinks),
      quiet_(context.io),
      check_(context.io),
      feed_(context.io) {}

const char* to_string(AfterRun after) {
  switch (after) {
    case AfterRun::kNone:
      return "none";
    case AfterRun::kStop:
      return "stop";
    case AfterRun::kRestart:
      return "restart";
    case AfterRun::kRemove:
      return "remove";
  }
  return "none";
}

AgentView Session::view() const {
  AgentView v;
  v.record = record_;
  v.state = machine_.state();
  v.reading = machine_.reading();
  v.run = run;
  v.takes_tasks = status && status->profile().takes_tasks;
  v.context = context_;
  return v;
}

void Session::begin_run(Result<Profile> profile) {
  screen = std::make_unique<term::Screen>(record_.cols, record_.rows);
  std::string().swap(pending_screen_);  // the last run's output is not this screen's
  if (!profile) {
    ctx_.log.warn("agent.profile_failed",
                  {{"agent", record_.id}, {"error", profile.error().message}});
    profile = load_profile("shell", {});
  }
  status = std::make_unique<LiveStatus>(profile ? std::move(*profile) : Profile{});
  context_.reset();  // a new run is a new conversation
  said_window_.reset();
}

bool Session::note_context(ContextGauge gauge) {
  bool news = !context_ || context_->percent != gauge.percent;
  if (gauge.source == "statusline" && gauge.window) said_window_ = gauge.window;
  context_ = std::move(gauge);
  if (!news) return false;
  Json data = to_json(*context_);
  data["name"] = record_.name;
  ctx_.sinks.runner.publish("agent.context", record_.id, std::move(data));
  return true;
}

void Session::read_context(const ScreenView& view) {
  if (!status || status->profile().context.left.empty()) return;
  auto used = screen_context_used(view.lines, status->profile().context.left);
  if (!used) return;
  ContextGauge g;
  g.percent = *used;
  if (status->profile().context.window > 0) g.window = status->profile().context.window;
  g.source = "screen";
  g.at_ms = to_unix_ms(ctx_.clock.now());
  note_context(std::move(g));
}

void Session::start_watching() {
  status->started(to_unix_ms(ctx_.clock.now()));
  last_output = ctx_.clock.steady_now();
  watch_quiet();
}

bool Session::offer(const std::optional<Signal>& signal) {
  if (!signal || !is_live(state()) || !detected_state(signal->state)) return false;
  return machine_.enter(*signal);
}

void Session::on_output(uint64_t offset, std::string_view bytes) {
  if (!run) return;
  uint64_t end = static_cast<uint64_t>(run->end_offset);
  if (offset + bytes.size() <= end) return;  // already recorded (a reattach overlaps)
  if (offset < end) {
    bytes.remove_prefix(end - offset);
    offset = end;
  }
  size_t written = 0;
  if (auto st = log.write_at(offset, bytes, to_unix_ms(ctx_.clock.now()), &written); !st) {
    lost_output(offset + written, offset + bytes.size(), st.error().message);
  } else if (writing_failed_) {
    writing_failed_ = false;
    gaps_changed_ = true;  // the gap is closed: its end is final
    ctx_.log.info("agent.log_write_recovered", {{"agent", record_.id}, {"at", offset}});
  }
  run->end_offset = static_cast<int64_t>(offset + bytes.size());
  record_.last_output_ms = to_unix_ms(ctx_.clock.now());
  if (screen) {
    pending_screen_.append(bytes);
    if (pending_screen_.size() >= kScreenFeedMax) {
      flush_screen();
    } else if (!feed_armed_) {
      feed_armed_ = true;
      feed_.expires_after(kScreenFeedDelay);
      feed_.async_wait([this, life = lifetime_.guard()](const boost::system::error_code& ec) {
        if (ec || !life.alive()) return;  // the session may be gone: touch nothing
        feed_armed_ = false;
        flush_screen();
      });
    }
  }
  if (ctx_.observer) ctx_.observer->on_output(record_.id, offset, bytes);
  if (!running()) return;
  last_output = ctx_.clock.steady_now();
  if (status) {
    offer(status->output(to_unix_ms(ctx_.clock.now())));
    arm_check();
  }
  watch_quiet();
}

void Session::lost_output(uint64_t from, uint64_t to, const std::string& why) {
  // One gap per failure spell: a full disk fails every write until it has room again.
  Json& gaps = run->gaps;
  if (writing_failed_ && !gaps.empty() && gaps.back().size() >= 2 &&
      gaps.back()[1].get<uint64_t>() == from) {
    gaps.back()[1] = to;
    return;
  }
  gaps.push_back(Json::array({from, to, "not written to the log: " + why}));
  writing_failed_ = true;
  gaps_changed_ = true;
  ctx_.log.error("agent.log_write_failed", {{"agent", record_.id}, {"from", from}, {"error", why}});
}

void Session::flush_screen() {
  if (pending_screen_.empty() || !screen) return;
  screen->feed(pending_screen_);
  pending_screen_.clear();
  if (pending_screen_.capacity() > size_t{64} * 1024) std::string().swap(pending_screen_);
}

void Session::arm_check() {
  // A dialog, a limit, an error or a busy marker shows soon after output: one look per burst.
  if (check_armed_) return;
  check_.expires_after(kScreenCheckDelay);
  check_armed_ = true;
  check_.async_wait([this, life = lifetime_.guard()](const boost::system::error_code& ec) {
    if (ec || !life.alive()) return;  // the session may be gone: touch nothing
    check_armed_ = false;
    if (!running() || !screen || !status) return;
    flush_screen();
    ScreenView view = view_of(*screen);
    offer(status->check(view, to_unix_ms(ctx_.clock.now())));
    read_context(view);
  });
}

void Session::watch_quiet() {
  if (quiet_armed_) return;  // the pending wait re-checks the last output time
  Millis quiet = status ? status->quiet() : Millis(500);
  arm_quiet(last_output + quiet - ctx_.clock.steady_now());
}

void Session::arm_quiet(std::chrono::steady_clock::duration due) {
  quiet_.expires_after(std::max<std::chrono::steady_clock::duration>(due, Millis(1)));
  quiet_armed_ = true;
  quiet_.async_wait([this, life = lifetime_.guard()](const boost::system::error_code& ec) {
    if (ec || !life.alive()) return;  // the session may be gone: touch nothing
    quiet_armed_ = false;
    on_quiet();
  });
}

void Session::on_quiet() {
  if (!running() || !screen || !status) return;
  if (ctx_.clock.steady_now() - last_output < status->quiet()) return watch_quiet();
  int64_t now = to_unix_ms(ctx_.clock.now());
  flush_screen();
  if (offer(status->settle(view_of(*screen), now))) return;
  // A hook's state holds against the screen for a while, and an idle screen is not believed
  // just after a submit; look again once neither is so.
  int64_t until = 0;
  if (auto held = status->arbiter().held_until_ms(); held && *held > now) until = *held;
  if (auto held = status->idle_held_until_ms(now)) until = std::max(until, *held);
  if (until > now) arm_quiet(Millis(until - now + 1));
}

}  // namespace bosun
