// `bosun detect --profile P FILE`: the state a profile reads off a capture, and why. Runs
// locally (no daemon): the same code the daemon runs on live agents.
#include "cli/detect_commands.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/detector.h"
#include "agent/profile.h"
#include "agent/stream_events.h"
#include "cli/client.h"
#include "cli/family.h"
#include "util/state_dir.h"

namespace bosun::cli {

namespace {

struct DetectFlags {
  std::string profile;
  std::string profile_file;
  std::string project;
  std::string file;
  std::string as = "auto";
  int cols = 200;
  int rows = 50;
  bool json = false;
  bool events = false;
};

Result<std::string> read_input(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found("file_not_found", "cannot read " + file);
  text << in.rdbuf();
  return text.str();
}

// A JSON event stream: its first line that is not blank or a `#` comment is an object.
bool looks_like_events(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t start = line.find_first_not_of(" \t\r");
    if (start != std::string_view::npos && line[start] != '#') return line[start] == '{';
    pos = end + 1;
  }
  return false;
}

// The detection of a screen as JSON, with what a person needs to check it.
Json screen_detection(const Profile& profile, const ScreenView& view, int64_t now_ms) {
  ScreenReading reading = read_screen(profile, view, now_ms);
  Json j;
  if (reading.signal) {
    j = to_json(*reading.signal);
    if (reading.rule && !reading.rule->versions.empty()) j["versions"] = reading.rule->versions;
    if (reading.rule) j["rule_line"] = fmt::format("{}:{}", profile.file, reading.rule->line);
  } else if (profile.screen.quiet_idle) {
    // A capture is finished output: for a program without screen rules, quiet means idle.
    Signal s;
    s.state = AgentState::kIdle;
    s.source = SignalSource::kQuiescence;
    s.confidence = 0.5;
    s.evidence = profile.name + ".quiet";
    j = to_json(s);
  } else {
    j = Json{{"state", "unknown"},
             {"source", "screen"},
             {"confidence", 0},
             {"evidence", ""},
             {"detail", "no rule of profile " + profile.name + " matched the live region"}};
  }
  if (!j.value("dialog", "").empty()) {
    if (const Dialog* d = profile.dialog(j["dialog"].get<std::string>())) {
      j["dialog_keys"] = d->keys;
      if (!d->avoid.empty()) j["dialog_avoid"] = d->avoid;
      if (!d->note.empty()) j["dialog_note"] = d->note;
    }
  }
  const LiveRegion& live = reading.region;
  j["composer_row"] = live.composer >= 0 ? Json(live.composer) : Json();
  if (live.composer >= 0) {
    j["live_rows"] = Json::array({live.above_from, live.last});
  } else if (live.last >= 0) {
    j["live_rows"] = Json::array({live.tail_from, live.last});
  }
  return j;
}

std::string quoted_keys(const Json& keys) {
  std::string out;
  for (const auto& k : keys) {
    std::string shown;
    for (unsigned char c : k.get<std::string>()) {
      shown += c == '\r'  ? std::string("\\r")
               : c < 0x20 ? fmt::format("\\x{:02x}", c)
               : c == '"' ? std::string("\\\"")
                          : std::string(1, static_cast<char>(c));
    }
    out += (out.empty() ? "\"" : " \"") + shown + "\"";
  }
  return out;
}

int run_detect(const DetectFlags& f) {
  Result<Profile> profile =
      f.profile_file.empty()
          ? load_profile(f.profile, f.project.empty() ? std::filesystem::current_path()
                                                      : std::filesystem::path(f.project))
          : load_profile_file(f.profile_file);
  if (!profile) return report_error(profile.error());
  auto text = read_input(f.file);
  if (!text) return report_error(text.error());
  std::string as = f.as;
  if (as == "auto") {
    as = !profile->stream.empty() && looks_like_events(*text) ? "events"
         : looks_like_raw_stream(*text)                       ? "stream"
                                                              : "screen";
  }
  int64_t now_ms = to_unix_ms(std::chrono::system_clock::now());
  Json j;
  if (as == "events") {
    auto format = parse_stream_format(profile->stream);
    if (!format) {
      return report_error(Error{ErrorKind::kInvalid, "no_stream",
                                "profile " + profile->name + " has no headless stream format"});
    }
    StreamParser parser(*format);
    auto events = parser.feed_all(*text, now_ms);
    if (f.events) {
      for (const auto& e : events)
        std::printf("%s\n", dump_json(Json{{"type", e.type}, {"data", e.data}}).c_str());
    }
    j = to_json(parser.state());
    j["outcome"] = to_json(parser.outcome());
    j["events"] = events.size();
    if (parser.bad_lines() > 0) j["bad_lines"] = parser.bad_lines();
  } else {
    ScreenView view = as == "stream" ? view_of_stream(*text, f.cols, f.rows) : view_of_text(*text);
    j = screen_detection(*profile, view, now_ms);
  }
  j["profile"] = profile->name;
  j["input"] = as;
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    print_detection(j);
  }
  return j.value("state", "unknown") == "unknown" ? 1 : 0;
}

void setup_detect(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<DetectFlags>();
  auto* profile = app.add_option("--profile", f->profile,
                                 "the profile to read it with (claude, "
                                 "codex, gemini, opencode, aider, shell, "
                                 "sim, or one of .bosun/profiles/)");
  app.add_option("--profile-file", f->profile_file, "a profile file to use instead")
      ->excludes(profile);
  app.add_option("--project", f->project,
                 "where .bosun/profiles/ overrides are looked up (default: here)");
  app.add_option("file", f->file,
                 "a saved screen (text), a raw terminal stream, or a headless "
                 "JSON event stream; - for stdin")
      ->required();
  app.add_option("--as", f->as, "what FILE holds")
      ->check(CLI::IsMember({"auto", "screen", "stream", "events"}))
      ->capture_default_str();
  app.add_option("--cols", f->cols, "terminal width for a raw stream")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--rows", f->rows, "terminal height for a raw stream")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  app.add_flag("--json", f->json, "print the detection as JSON");
  app.add_flag("--events", f->events, "also print the events of a JSON stream, one per line");
  app.callback([&ctx, f] {
    if (f->profile.empty() && f->profile_file.empty()) {
      std::fprintf(stderr, "bosun: detect needs --profile NAME or --profile-file PATH\n");
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = run_detect(*f);
  });
}

Status explain(Client& client, const CommandContext& ctx, const std::string& agent, bool json) {
  auto a = client.get(agent_path(agent));
  if (!a) return tl::unexpected(a.error());
  auto screen = client.get(agent_path(agent, "/screen"));
  if (!screen) return tl::unexpected(screen.error());
  // The daemon's profiles: built in, or overridden in the project that holds its state.
  auto project = resolve_state_dir(ctx.state).root.parent_path();
  auto profile = load_profile(text(*a, "profile", "shell"), project);
  if (!profile) return tl::unexpected(profile.error());
  ScreenView view;
  for (const auto& line : (*screen)["lines"])
    view.lines.push_back(line.get<std::string>());
  if ((*screen).contains("cursor")) {
    view.cursor =
        term::CursorPos{(*screen)["cursor"].value("row", 0), (*screen)["cursor"].value("col", 0)};
  }
  Json recorded{
      {"state", (*a)["state"]}, {"source", (*a)["state_source"]}, {"since", (*a)["state_since"]}};
  for (const char* key :
       {"confidence", "evidence", "detail", "row", "dialog", "reset_at_ms", "reset_text"}) {
    std::string field = std::string("state_") + key;
    if (a->contains(field) && !(*a)[field].is_null()) recorded[key] = (*a)[field];
  }
  Json now = screen_detection(*profile, view, to_unix_ms(std::chrono::system_clock::now()));
  now["profile"] = profile->name;
  Json out{{"agent", (*a)["name"]},
           {"recorded", recorded},
           {"screen_now", now},
           {"quiet_ms", profile->screen.quiet.count()},
           {"last_output_at", (*a)["last_output_at"]}};
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return {};
  }
  std::printf("%s (profile %s, idle after %lld ms of quiet)\n", text(*a, "name").c_str(),
              profile->name.c_str(), static_cast<long long>(profile->screen.quiet.count()));
  print_detection(recorded);
  std::printf("\nthe screen now, by the profile's rules:\n");
  print_detection(now);
  return {};
}

}  // namespace

void setup_agent_explain(CLI::App& app, CommandContext& ctx) {
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("agent", *agent, "agent name or id")->required();
  app.add_flag("--json", *json, "print it as JSON");
  app.callback([&ctx, agent, json] {
    with_client(ctx, [&](Client& client) { return explain(client, ctx, *agent, *json); });
  });
}

void print_detection(const Json& j) {
  auto line = [](const char* key, const std::string& value) {
    if (!value.empty()) std::printf("%-11s %s\n", key, value.c_str());
  };
  auto s = [&j](const char* key) {
    if (!j.contains(key) || j[key].is_null()) return std::string();
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
  };
  line("state", s("state"));
  line("source", s("source"));
  if (j.contains("confidence") && j["confidence"].is_number()) {
    line("confidence", fmt::format("{:.2f}", j["confidence"].get<double>()));
  }
  std::string rule = s("evidence");
  if (!s("versions").empty()) rule += " (verified: " + s("versions") + ")";
  line("evidence", rule);
  line("defined at", s("rule_line"));
  if (j.contains("row") && j["row"].is_number()) {
    line("matched", fmt::format("row {}: {}", j["row"].get<int>(), s("detail")));
  } else {
    line("detail", s("detail"));
  }
  if (!s("dialog").empty()) {
    line("dialog", s("dialog"));
    if (j.contains("dialog_keys")) line("answer", quoted_keys(j["dialog_keys"]));
    line("avoid", s("dialog_avoid"));
    line("note", s("dialog_note"));
  }
  if (!s("reset_text").empty() || j.contains("reset_at_ms")) {
    std::string reset = s("reset_text");
    if (j.contains("reset_at_ms") && j["reset_at_ms"].is_number()) {
      reset +=
          (reset.empty() ? "" : " → ") + format_time(from_unix_ms(j["reset_at_ms"].get<int64_t>()));
    }
    line("resets", reset);
  }
  line("since", s("since"));
  if (j.contains("composer_row")) {
    line("composer", j["composer_row"].is_null() ? "none on screen" : "row " + s("composer_row"));
  }
  if (j.contains("live_rows")) {
    line("live rows",
         fmt::format("{}-{}", j["live_rows"][0].get<int>(), j["live_rows"][1].get<int>()));
  }
  if (j.contains("outcome")) {
    const Json& o = j["outcome"];
    std::string verdict = o.value("finished", false)
                              ? (o.value("success", false) ? "success" : "failure")
                              : "unfinished";
    if (o.contains("reason")) verdict += " (" + o["reason"].get<std::string>() + ")";
    line("outcome", verdict);
    line("turns", std::to_string(o.value("turns", 0)));
    line("session", o.value("session_id", ""));
    const Json& u = o["usage"];
    line("tokens", fmt::format("{} in, {} out, {} cache read, {} cache write",
                               u.value("input_tokens", 0), u.value("output_tokens", 0),
                               u.value("cache_read_tokens", 0), u.value("cache_write_tokens", 0)));
    if (o.contains("cost_usd")) line("cost", fmt::format("${:.4f}", o["cost_usd"].get<double>()));
    if (o.value("permission_denials", 0) > 0) {
      line("denials", std::to_string(o["permission_denials"].get<int>()));
    }
    std::string text = o.value("text", "");
    if (text.size() > 200) {
      size_t n = 200;
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n;
      text = text.substr(0, n) + "…";
    }
    for (auto& c : text) {
      if (c == '\n') c = ' ';
    }
    line("result", text);
  }
}

const Command kDetectCommand{"detect",
                             "classify a saved screen, terminal stream or JSON event stream "
                             "with a profile",
                             setup_detect};

}  // namespace bosun::cli
