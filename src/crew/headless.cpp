// Headless: run a profile's headless command, follow its event stream, store what it cost.
#include "crew/headless.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "agent/launch_plan.h"
#include "agent/profile.h"
#include "crew/task_board.h"
#include "util/ids.h"
#include "util/text.h"
#include "util/unique_fd.h"

namespace bosun {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxEventText = 2000;  // per string, in headless.event data

// A copy of `j` with long strings cut, for events (the whole line stays in the events file).
Json trimmed(const Json& j) {
  if (j.is_string()) return shorten(j.get_ref<const std::string&>(), kMaxEventText);
  if (j.is_object() || j.is_array()) {
    Json out = j;
    for (auto& v : out)
      v = trimmed(v);
    return out;
  }
  return j;
}

std::string task_prompt(const Task& task) {
  std::string prompt = fmt::format("[TASK] {} {}", task.id, task.title);
  if (!task.description.empty()) prompt += "\n\n" + task.description;
  prompt += fmt::format(
      "\n\nWhen it is done, report with bosun's `report` tool, or `bosun report submit` (see "
      "`bosun task show {}`).",
      task.id);
  return prompt;
}

}  // namespace

HeadlessRunner::HeadlessRunner(asio::io_context& io, Store& store, StoreRunner& store_runner,
                               const Clock& clock, Log& log, AgentRegistry& agents, StateDir state)
    : io_(io),
      store_(store),
      store_runner_(store_runner),
      clock_(clock),
      log_(log),
      agents_(agents),
      state_(std::move(state)),
      runner_(io, 2) {}

void HeadlessRunner::close_abandoned() {
  if (auto st = store_.headless_runs().close_abandoned(to_unix_ms(clock_.now())); !st) {
    log_.warn("headless.close_failed", {{"error", st.error().message}});
  }
}

asio::awaitable<Result<Json>> HeadlessRunner::start(HeadlessRequest req) {
  auto agent = agents_.context(req.agent);
  if (!agent) co_return tl::unexpected(agent.error());
  std::string profile_name = req.profile.value_or(agent->profile);
  auto profile = agents_.profile(profile_name);
  if (!profile) co_return tl::unexpected(profile.error());
  auto format = parse_stream_format(profile->stream);
  if (profile->headless.empty() || !format) {
    co_return bad_request("no_headless_mode",
                          "profile " + profile_name +
                              " has no headless command with a JSON event stream (headless: and "
                              "stream:)");
  }
  std::string prompt = req.prompt;
  if (req.task_id) {
    auto task = store_.tasks().find(*req.task_id);
    if (!task) co_return tl::unexpected(task.error());
    if (prompt.empty()) prompt = task_prompt(*task);
  }
  if (prompt.empty()) co_return bad_request("missing_field", "a prompt or a task is required");
  auto argv = expand_argv(profile->headless, {{"prompt", prompt}, {"shell", default_shell()}});
  if (!argv) co_return tl::unexpected(argv.error());
  // bosun's MCP endpoint, as the agent (its BOSUN_TOKEN): after the prompt, before the caller's.
  auto mcp = agents_.mcp_args(agent->name, *profile);
  if (!mcp) co_return tl::unexpected(mcp.error());
  argv->insert(argv->end(), mcp->begin(), mcp->end());
  argv->insert(argv->end(), req.args.begin(), req.args.end());
  HeadlessLaunch launch;
  launch.profile = profile_name;
  launch.argv = std::move(*argv);
  launch.format = *format;
  launch.cwd = agent->cwd;
  launch.env = agent->env;
  auto mcp_env = agents_.mcp_env(agent->name, *profile);
  if (!mcp_env) co_return tl::unexpected(mcp_env.error());
  launch.env.merge(*mcp_env);
  launch.task_id = req.task_id;
  launch.agent = agent->name;
  launch.timeout = req.timeout;
  Finished nobody;
  CO_TRY(record, co_await this->launch(launch, nobody));
  co_return to_json(*record);
}

asio::awaitable<Result<HeadlessRunRecord>> HeadlessRunner::launch(const HeadlessLaunch& launch,
                                                                  const Finished& finished) {
  auto life = lifetime_.guard();
  HeadlessRunRecord record;
  record.id = new_id("hr_");
  record.agent = launch.agent;
  record.task_id = launch.task_id;
  record.profile = launch.profile;
  record.argv = launch.argv;
  record.cwd = launch.cwd;
  record.events_path = (state_.logs() / fmt::format("headless-{}.jsonl", record.id)).string();
  record.started_at_ms = to_unix_ms(clock_.now());
  auto insert = [&record](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.headless_runs().insert(record));
    TRY_OK(tx.publish("headless.started", record.id, Json{{"run", to_json(record)}}));
    return tx.commit();
  };
  CO_TRY_OK(co_await store_runner_.run(insert));
  if (!life.alive()) co_return internal("stopping", "the daemon is stopping");
  ProcessSpec spec;
  spec.argv = launch.argv;
  spec.cwd = launch.cwd;
  spec.env = launch.env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("BOSUN_", 0) == 0) spec.unset_env.emplace_back(kv.substr(0, kv.find('=')));
  }
  spec.timeout = launch.timeout;
  auto stop = std::make_shared<UniqueFd>(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (*stop) {
    spec.stop_fd = stop->get();
    stops_[record.id] = stop;
  }
  asio::co_spawn(io_, run(record, std::move(spec), launch.format, finished), asio::detached);
  co_return record;
}

Status HeadlessRunner::cancel(const std::string& id) {
  auto it = stops_.find(id);
  if (it == stops_.end()) {
    auto found = store_.headless_runs().find(id);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return not_found("run_not_found", "no headless run " + id);
    return conflict("run_ended", "headless run " + id + " has ended");
  }
  uint64_t one = 1;
  if (::write(it->second->get(), &one, sizeof one) != sizeof one) {
    return internal("cancel_failed", "could not signal headless run " + id);
  }
  log_.info("headless.cancel", {{"run", id}});
  return {};
}

asio::awaitable<void> HeadlessRunner::run(HeadlessRunRecord record, ProcessSpec spec,
                                          StreamFormat format, Finished finished) {
  auto parser = std::make_shared<StreamParser>(format);
  int64_t window = 0;  // the profile's context window, for the stream's context readings
  if (auto profile = agents_.profile(record.profile)) window = profile->context.window;
  auto events = std::make_shared<UniqueFd>(
      ::open(record.events_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  // Lines come on the runner's thread, which also keeps them in the events file; each is
  // parsed and published on the loop, in order, before the result (posted after the last).
  spec.on_stdout_line = [this, parser, events, window, id = record.id, agent = record.agent,
                         task = record.task_id](std::string_view line) {
    if (*events) {
      std::string with_nl = std::string(line) + "\n";
      ssize_t n = ::write(events->get(), with_nl.data(), with_nl.size());
      (void)n;
    }
    asio::post(io_, [this, life = lifetime_.guard(), parser, window, id, agent, task,
                     line = std::string(line)] {
      if (!life.alive()) return;
      for (auto& ev : parser->feed_line(line, to_unix_ms(clock_.now()))) {
        if (ev.type == "context" && window > 0) {
          int64_t tokens = ev.data.value("tokens", int64_t{0});
          ContextGauge g = gauge_of_tokens(tokens, window, "stream", to_unix_ms(clock_.now()));
          ev.data["window"] = window;
          ev.data["percent"] = g.percent;
          // The agent whose run it is: its gauge, when it is one of the crew.
          if (!agent.empty()) (void)agents_.note_context_tokens(agent, tokens, "stream");
        }
        store_runner_.publish("headless.event", id,
                              Json{{"run_id", id},
                                   {"agent", agent},
                                   {"task_id", task ? Json(*task) : Json()},
                                   {"type", ev.type},
                                   {"data", trimmed(ev.data)}});
      }
    });
  };
  auto life = lifetime_.guard();
  ProcessResult result = co_await runner_.run(std::move(spec));
  if (!life.alive()) co_return;
  stops_.erase(record.id);
  finish(record, *parser, result, std::move(finished));
}

void HeadlessRunner::finish(HeadlessRunRecord& record, StreamParser& parser,
                            const ProcessResult& result, Finished finished) {
  int64_t now = to_unix_ms(clock_.now());
  std::optional<int> exit_code;
  if (result.started && !result.timed_out && !result.cancelled && result.signal == 0) {
    exit_code = result.exit_code;
  }
  parser.finish(exit_code, now);
  const RunOutcome& o = parser.outcome();
  record.state = "finished";
  record.success = o.success;
  record.reason = o.reason;
  record.result_text = o.text;
  if (!result.started) {
    record.reason = "not_started";
    record.result_text = result.error;
  } else if (result.timed_out) {
    record.reason = "timed_out";
  } else if (result.cancelled) {
    record.reason = "cancelled";
  }
  if (!o.success && record.result_text.empty()) record.result_text = result.err.substr(0, 4000);
  record.turns = o.turns;
  record.input_tokens = o.usage.input_tokens;
  record.output_tokens = o.usage.output_tokens;
  record.cache_read_tokens = o.usage.cache_read_tokens;
  record.cache_write_tokens = o.usage.cache_write_tokens;
  record.cost_usd = o.cost_usd;
  record.session_id = o.session_id;
  record.exit_code = result.started ? std::optional<int64_t>(result.exit_code) : std::nullopt;
  record.ended_at_ms = now;
  Json data{{"run", to_json(record)}, {"outcome", to_json(o)}};
  std::optional<std::string> comment;
  if (record.task_id) {
    std::string body =
        o.success ? fmt::format("Headless {} run {} succeeded: {}", record.profile, record.id,
                                record.result_text)
                  : fmt::format("Headless {} run {} did not succeed ({}): {}", record.profile,
                                record.id, record.reason, record.result_text);
    comment = shorten(body, 8000);
  }
  auto write = [&clock = clock_, record, data = std::move(data), comment = std::move(comment)](
                   Store& store, EventBus& bus) -> Status {
    {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(store.headless_runs().update(record));
      TRY_OK(tx.publish("headless.finished", record.id, data));
      TRY_OK(tx.commit());
    }
    // A task removed meanwhile gets no comment.
    if (comment)
      (void)TaskBoard(store, bus, clock).comment(*record.task_id, record.agent, *comment);
    return {};
  };
  auto then = [this, life = lifetime_.guard(), record, success = o.success,
               finished = std::move(finished)](const Status& st) {
    if (!life.alive()) return;
    if (!st) {
      log_.error("headless.persist_failed", {{"run", record.id}, {"error", st.error().message}});
    } else {
      log_.info("headless.finished", {{"run", record.id},
                                      {"agent", record.agent},
                                      {"success", success},
                                      {"reason", record.reason}});
    }
    if (finished) finished(record);
  };
  store_runner_.submit(std::move(write), std::move(then));
}

}  // namespace bosun
