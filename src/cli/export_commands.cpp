// `bosun task export [-o FILE]`, `bosun task import FILE|- [--dry-run]` and
// `bosun agent export A [--run N] [--format text|asciicast|jsonl] [-o FILE]`.
#include "cli/export_commands.h"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "cli/family.h"
#include "util/files.h"

namespace bosun::cli {

namespace {

struct ExportFlags {
  std::string out;
};

struct AgentExportFlags {
  std::string agent;
  std::string run;
  std::string format;
  std::string out;
};

struct ImportFlags {
  std::string file;
  bool dry_run = false;
  bool json = false;
};

Result<std::string> read_input(const std::string& file) {
  if (file != "-") {
    auto text = read_file(file);
    if (!text) return not_found("file_not_found", text.error().message);
    return text;
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return text;
}

size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text)
    n += c == '\n' ? 1 : 0;
  return n;
}

void print_summary(const Json& r) {
  bool dry = r.value("dry_run", false);
  const Json& created = r["created"];
  const Json& skipped = r["skipped"];
  std::printf("%s %s", dry ? "would import" : "imported",
              plural(created.size(), "task", "tasks").c_str());
  if (!skipped.empty()) {
    std::printf(", %zu skipped (already on the board)", skipped.size());
  }
  std::printf("%s\n", dry ? " (dry run: nothing written)" : "");
  for (const auto& s : skipped)
    std::printf("  skipped %s: %s\n", text(s, "id").c_str(), text(s, "reason").c_str());
  for (const auto& n : r["notes"])
    std::printf("  note: %s\n", n.get<std::string>().c_str());
}

// The body of a GET the daemon answered; its error otherwise.
Result<std::string> fetch(Client& client, const std::string& target) {
  TRY(reply, client.request("GET", target));
  if (reply->status >= 400) return tl::unexpected(reply_error(*reply));
  return std::move(reply->body);
}

// `body` on stdout when `out` is empty, else into the file `out`; true when it went to a file.
Result<bool> put_out(const std::string& body, const std::string& out, mode_t mode) {
  if (out.empty()) {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return false;
  }
  TRY_OK(write_file_atomic(out, body, mode));
  return true;
}

}  // namespace

void setup_task_export(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ExportFlags>();
  app.add_option("-o,--output", f->out, "write to this file instead of stdout");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      TRY(board, fetch(client, "/api/v1/tasks/export"));
      TRY(to_file, put_out(*board, f->out, 0644));
      if (*to_file) {
        std::fprintf(stderr, "exported %s to %s\n",
                     plural(count_lines(*board), "task", "tasks").c_str(), f->out.c_str());
      }
      return {};
    });
  });
}

// The format a file name asks for: .cast is asciicast, .jsonl JSON lines, else text.
std::string format_for(const std::string& out) {
  if (out.ends_with(".cast")) return "asciicast";
  if (out.ends_with(".jsonl") || out.ends_with(".ndjson")) return "jsonl";
  return "text";
}

void setup_agent_export(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<AgentExportFlags>();
  app.add_option("agent", f->agent, "name or id")->required();
  app.add_option("--run", f->run,
                 "a terminal run's number (agent show: run), or a headless run's id (hr_…); "
                 "default: the latest");
  app.add_option("--format", f->format,
                 "text (what scrolled by, then the last screen), asciicast (an asciinema v2 "
                 "recording), jsonl (a headless run's stream); default: from -o's extension, "
                 "else text")
      ->check(CLI::IsMember({"text", "asciicast", "jsonl"}));
  app.add_option("-o,--output", f->out, "write to this file instead of stdout");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string format = f->format.empty() ? format_for(f->out) : f->format;
      std::string target = agent_path(f->agent, "/export?format=" + format);
      if (!f->run.empty()) target += "&run=" + path_segment(f->run);
      TRY(run, fetch(client, target));
      TRY(to_file, put_out(*run, f->out, 0600));
      if (*to_file) {
        std::fprintf(stderr, "wrote %s (%s, %zu bytes)\n", f->out.c_str(), format.c_str(),
                     run->size());
      }
      return {};
    });
  });
}

void setup_task_import(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ImportFlags>();
  app.add_option("file", f->file, "a beads issues.jsonl (or a bosun task export); - for stdin")
      ->required();
  app.add_flag("--dry-run", f->dry_run, "check the file and say what would change; write nothing");
  app.add_flag("--json", f->json, "print the daemon's reply as JSON");
  app.callback([&ctx, f] {
    auto text = read_input(f->file);
    if (!text) {
      ctx.exit_code = report_error(text.error());
      return;
    }
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = "/api/v1/tasks/import";
      if (f->dry_run) target += "?dry_run=true";
      auto reply = client.request("POST", target, *text);
      if (!reply) return tl::unexpected(reply.error());
      if (reply->status >= 400) return tl::unexpected(reply_error(*reply));
      Json r = Json::parse(reply->body, nullptr, false);
      if (r.is_discarded() || !r.is_object()) {
        return internal("bad_reply", "the daemon's reply is not JSON");
      }
      if (f->json) {
        print_json(r);
      } else {
        print_summary(r);
      }
      return {};
    });
  });
}

}  // namespace bosun::cli
