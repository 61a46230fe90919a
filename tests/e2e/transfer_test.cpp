// Bringing data in and taking it away, end to end: the board as beads JSONL out of one daemon
// and into a fresh one, a beads file as beads writes it, and an agent's run as text and as an
// asciicast recording that asciinema itself plays.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An export line as it would be after an import: the import adds one history row ("imported")
// and the agent is known by name only where it exists.
Json comparable(Json line, bool drop_import_row) {
  line.erase("assignee");
  // A comment's number is the board's own: PostgreSQL's numbers, unlike SQLite's, are not
  // handed out again after the dry run's rolled-back writes.
  if (line.contains("comments")) {
    for (auto& comment : line["comments"])
      comment.erase("id");
  }
  if (drop_import_row) {
    Json& history = line["bosun"]["history"];
    EXPECT_FALSE(history.empty());
    if (!history.empty()) {
      EXPECT_EQ(history.back()["reason"], "imported") << history.back();
      history.erase(history.size() - 1);
    }
  }
  return line;
}

TEST(Transfer, ABoardExportedAndImportedIntoAFreshStateDirectoryIsTheSameBoard) {
  TestDaemon a;
  a.start();
  TempDir dir;
  // A board with what boards have: roles, priorities, a parent, dependencies, comments, a task
  // done through an agent's report and its check, one in the backlog, one cancelled.
  std::string design = create_task(a, Json{{"title", "Design the parser"},
                                           {"description", "Grammar first.\nThen the AST."},
                                           {"role", "architect"},
                                           {"priority", 1}})["id"];
  std::string tokens = create_task(
      a,
      Json{
          {"title", "Tokenizer ✓"}, {"parent_id", design}, {"priority", 0}, {"role", "dev"}})["id"];
  std::string ast = create_task(a, Json{{"title", "AST nodes"},
                                        {"depends_on", Json::array({design, tokens})},
                                        {"role", "dev"}})["id"];
  // (Every task has a role no agent here has: the supervisor leaves them to the test.)
  std::string later =
      create_task(a, Json{{"title", "Someday: incremental parsing"}, {"role", "dev"}})["id"];
  std::string dropped = create_task(a, Json{{"title", "Dropped idea"}, {"role", "dev"}})["id"];
  ASSERT_EQ(a.cli({"task", "comment", design, "Keep it LL(1)."}).exit_code, 0);
  ASSERT_EQ(a.cli({"task", "update", later, "--status", "backlog"}).exit_code, 0);
  ASSERT_EQ(a.cli({"task", "update", dropped, "--status", "cancelled"}).exit_code, 0);
  auto kai = spawn_with_token(a, "kai", dir.path().string());
  std::string done = create_task(
      a, Json{{"title", "Lexer tables"}, {"role", kTaskRole}, {"assignee", "kai"}})["id"];
  EventWaiter events(a);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(
      as_agent(a, kai, "PATCH", "/api/v1/tasks/" + done, Json{{"status", "in_progress"}}).status,
      200);
  ASSERT_EQ(as_agent(a, kai, "POST", "/api/v1/tasks/" + done + "/reports", done_report()).status,
            201);
  auto checked = events.wait("report.checked", done, std::chrono::seconds(30));
  ASSERT_TRUE(checked);
  ASSERT_EQ(a.get("/api/v1/tasks/" + done).json()["status"], "done");

  fs::path file = dir.path() / "board.jsonl";
  auto exported = a.cli({"task", "export", "-o", file.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(contains(exported.err, "exported 6 tasks")) << exported.err;
  std::vector<Json> before = json_lines(read(file));
  ASSERT_EQ(before.size(), 6u);
  // Beads reads what it knows: its statuses, the role as a label, dependency records.
  EXPECT_EQ(before[0]["status"], "open");
  EXPECT_EQ(before[0]["labels"], Json::array({"role:architect"}));
  EXPECT_EQ(before[0]["comments"][0]["text"], "Keep it LL(1).");
  EXPECT_EQ(before[1]["dependencies"][0]["type"], "parent-child");
  EXPECT_EQ(before[3]["status"], "deferred");
  EXPECT_EQ(before[4]["status"], "closed");
  EXPECT_EQ(before[4]["close_reason"], "cancelled");
  EXPECT_EQ(before[5]["status"], "closed");
  EXPECT_EQ(before[5]["assignee"], "kai");

  // Into a fresh state directory: a dry run writes nothing, the import writes all of it.
  TestDaemon b;
  b.start();
  auto dry = b.cli({"task", "import", file.string(), "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(Json::parse(dry.out)["created"].size(), 6u) << dry.out;
  EXPECT_EQ(b.get("/api/v1/tasks").json()["tasks"].size(), 0u);
  auto imported = b.cli({"task", "import", file.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_TRUE(contains(imported.out, "imported 6 tasks")) << imported.out;

  auto again = b.cli({"task", "export"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::vector<Json> after = json_lines(again.out);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(comparable(after[i], true), comparable(before[i], false))
        << "line " << i + 1 << "\nbefore: " << before[i].dump() << "\nafter:  " << after[i].dump();
  }
  // The board works as boards do: readiness follows the dependencies, the report is there.
  Json ready = b.get("/api/v1/tasks/ready").json();
  std::string ready_text = ready.dump();
  EXPECT_TRUE(contains(ready_text, tokens)) << ready_text;
  EXPECT_FALSE(contains(ready_text, ast)) << ready_text;
  Json reports = b.get("/api/v1/tasks/" + done + "/reports").json()["reports"];
  ASSERT_EQ(reports.size(), 1u) << reports;
  EXPECT_EQ(reports[0]["verified"], "passed");

  // Importing the same file again changes nothing: every id is already there.
  auto twice = b.cli({"task", "import", file.string(), "--json"});
  ASSERT_EQ(twice.exit_code, 0) << twice.err;
  Json summary = Json::parse(twice.out);
  EXPECT_EQ(summary["created"].size(), 0u);
  EXPECT_EQ(summary["skipped"].size(), 6u);
}

TEST(Transfer, ABeadsFileComesInWithWhatBosunCanKeepAndSaysWhatItChanged) {
  TestDaemon d;
  d.start();
  TempDir dir;
  fs::path file = dir.path() / "issues.jsonl";
  std::ofstream(file)
      << R"({"id":"bd-a1","title":"Set up auth","description":"OAuth2","design":"PKCE","status":"open","priority":1,"issue_type":"feature","labels":["backend","role:dev"],"created_at":"2025-01-09T12:00:00Z","updated_at":"2025-01-10T08:30:00.5+02:00"})"
         "\n\n"
      << R"({"id":"bd-a1.1","title":"Login form","status":"in_progress","assignee":"alice","created_at":"2025-01-09T12:05:00Z","updated_at":"2025-01-09T12:05:00Z","dependencies":[{"issue_id":"bd-a1.1","depends_on_id":"bd-a1","type":"parent-child"},{"issue_id":"bd-a1.1","depends_on_id":"bd-b2","type":"blocks"},{"issue_id":"bd-a1.1","depends_on_id":"bd-a1","type":"related"}],"comments":[{"id":1,"issue_id":"bd-a1.1","author":"alice","text":"started","created_at":"2025-01-09T13:00:00Z"}]})"
         "\n"
      << R"({"id":"bd-b2","title":"Old idea","status":"closed","closed_at":"2025-01-08T00:00:00Z","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-08T00:00:00Z"})"
         "\n"
      << R"({"id":"bd-c3","title":"gone","status":"tombstone","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"})"
         "\n"
      << R"({"id":"bd-d4","title":"waits for one that is not here","status":"open","dependencies":[{"depends_on_id":"bd-nope","type":"blocks"}],"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"})"
         "\n";
  auto r = d.cli({"task", "import", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = Json::parse(r.out);
  EXPECT_EQ(summary["created"], Json::array({"bd-a1", "bd-a1.1", "bd-b2", "bd-d4"})) << summary;
  std::string notes = summary["notes"].dump();
  EXPECT_TRUE(contains(notes, "line 3 (bd-a1.1): in_progress with alice")) << notes;
  EXPECT_TRUE(contains(notes, "bd-c3): deleted in the file (tombstone)")) << notes;
  EXPECT_TRUE(contains(notes, "bd-d4: it waited for bd-nope")) << notes;
  EXPECT_TRUE(contains(notes, "1 link that never holds a task back")) << notes;

  Json auth = d.get("/api/v1/tasks/bd-a1").json();
  EXPECT_EQ(auth["role"], "dev");
  EXPECT_EQ(auth["priority"], 1);
  EXPECT_EQ(auth["description"], "OAuth2\n\n## Design\nPKCE");
  EXPECT_EQ(auth["created_at"], "2025-01-09T12:00:00.000Z");
  EXPECT_EQ(auth["updated_at"], "2025-01-10T06:30:00.500Z");
  Json login = d.get("/api/v1/tasks/bd-a1.1").json();
  EXPECT_EQ(login["status"], "pending");
  EXPECT_EQ(login["parent_id"], "bd-a1");
  EXPECT_EQ(login["depends_on"], Json::array({"bd-b2"}));
  EXPECT_EQ(login["ready"], true);  // bd-b2 is closed: done here
  EXPECT_EQ(d.get("/api/v1/tasks/bd-b2").json()["status"], "done");
  EXPECT_EQ(d.get("/api/v1/tasks/bd-c3").status, 404);
  Json comments = d.get("/api/v1/tasks/bd-a1.1/comments").json()["comments"];
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0]["author"], "alice");
  EXPECT_EQ(comments[0]["created_at"], "2025-01-09T13:00:00.000Z");
  // It shows up on the board like any task.
  auto list = d.cli({"task", "list"});
  EXPECT_TRUE(contains(list.out, "bd-a1.1")) << list.out;
}

TEST(Transfer, AFileThatIsNotABoardIsRefusedWholeAndWritesNothing) {
  TestDaemon d;
  d.start();
  create_task(d, Json{{"title", "Already here"}});
  auto import_text = [&](const std::string& text) { return d.cli({"task", "import", "-"}, text); };
  auto count = [&] { return d.get("/api/v1/tasks").json()["tasks"].size(); };

  // A bad line anywhere refuses the whole file, naming the line.
  auto bad_status = import_text(
      "{\"id\":\"ok-1\",\"title\":\"fine\"}\n{\"id\":\"x-2\",\"title\":\"t\",\"status\":\"weird\"}"
      "\n");
  EXPECT_EQ(bad_status.exit_code, 2);
  EXPECT_TRUE(contains(bad_status.err, "line 2 (x-2): status 'weird' is not a beads status"))
      << bad_status.err;
  auto not_json =
      d.cli({"task", "import", "-", "--json"}, "{\"id\":\"ok-1\",\"title\":\"a\"}\nnope\n");
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_EQ(Json::parse(not_json.out)["error"]["code"], "invalid_import") << not_json.out;
  EXPECT_TRUE(contains(import_text("{\"id\":\"a b\",\"title\":\"t\"}\n").err, "id 'a b' is not"));
  EXPECT_TRUE(contains(import_text("{\"id\":\"p\",\"title\":\"t\",\"priority\":9}\n").err,
                       "priority must be a whole number from 0 to 4"));
  EXPECT_TRUE(
      contains(import_text("{\"id\":\"p\",\"title\":\"t\",\"created_at\":\"yesterday\"}\n").err,
               "created_at must be an RFC 3339 time"));
  EXPECT_TRUE(
      contains(import_text("{\"id\":\"p\",\"title\":\"a\"}\n{\"id\":\"p\",\"title\":\"b\"}\n").err,
               "line 2: p is given twice"));
  EXPECT_TRUE(contains(import_text("{\"id\":\"p\",\"title\":\"a\",\"title\":\"\\ud800\"}\n").err,
                       "line 1"));
  // Dependencies that go round are refused, whole.
  auto cycle = import_text(
      "{\"id\":\"c1\",\"title\":\"a\",\"dependencies\":[{\"depends_on_id\":\"c2\"}]}\n"
      "{\"id\":\"c2\",\"title\":\"b\",\"dependencies\":[{\"depends_on_id\":\"c1\"}]}\n");
  EXPECT_EQ(cycle.exit_code, 4);
  EXPECT_TRUE(contains(cycle.err, "cycle")) << cycle.err;
  auto parents = import_text(
      "{\"id\":\"c1\",\"title\":\"a\",\"dependencies\":[{\"depends_on_id\":\"c2\",\"type\":"
      "\"parent-child\"}]}\n"
      "{\"id\":\"c2\",\"title\":\"b\",\"dependencies\":[{\"depends_on_id\":\"c1\",\"type\":"
      "\"parent-child\"}]}\n");
  EXPECT_EQ(parents.exit_code, 4);
  EXPECT_TRUE(contains(parents.err, "each other's parents")) << parents.err;
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(d.cli({"task", "import", "/nonexistent/issues.jsonl"}).exit_code, 3);

  // A long title is cut to bosun's limit and kept whole in the description.
  std::string long_title(300, 'x');
  auto cut = import_text("{\"id\":\"long\",\"title\":\"" + long_title + "\"}\n");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_TRUE(contains(cut.out, "the title cut from 300 to 200 bytes")) << cut.out;
  Json task = d.get("/api/v1/tasks/long").json();
  EXPECT_LE(task["title"].get<std::string>().size(), 200u);
  EXPECT_EQ(task["description"].get<std::string>().substr(0, 300), long_title);
  // An agent may not import or export: the board is a person's to move.
  TempDir dir;
  auto kai = spawn_with_token(d, "kai", dir.path().string());
  EXPECT_EQ(as_agent(d, kai, "GET", "/api/v1/tasks/export").status, 403);
  EXPECT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/import", Json::object()).status, 403);
}

TEST(Transfer, ABoardLargerThanAnyOtherRequestComesInWhole) {
  TestDaemon d;
  d.start({"--max-body", "65536"});
  // 3,000 issues of about 500 bytes, far past the 64 KiB every other route takes here.
  std::string file;
  std::string words(400, 'w');
  for (int i = 0; i < 3000; ++i) {
    file += Json{{"id", "big-" + std::to_string(i)},
                 {"title", "issue " + std::to_string(i)},
                 {"description", words},
                 {"dependencies",
                  i > 0 ? Json::array({"big-" + std::to_string(i - 1)}) : Json::array()}}
                .dump() +
            "\n";
  }
  ASSERT_GT(file.size(), size_t{1} << 20);
  auto r = d.cli({"task", "import", "-", "--json"}, file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["created"].size(), 3000u);
  Json last = d.get("/api/v1/tasks/big-2999").json();
  EXPECT_EQ(last["depends_on"], Json::array({"big-2998"}));
  EXPECT_EQ(last["ready"], false);
  // Every other route still stops at its limit.
  Json big_task{{"title", "t"}, {"description", std::string(100000, 'x')}};
  EXPECT_EQ(d.post("/api/v1/tasks", big_task).status, 413);
}

// A run that prints, waits while the test resizes its terminal, then prints enough to scroll.
constexpr const char* kScript =
    "printf 'start \\342\\234\\223\\n'; : > \"$READY\"; "
    "while [ ! -e \"$GO\" ]; do sleep 0.02; done; "
    "for i in $(seq 1 60); do echo \"line $i\"; done; printf '\\033[31mred\\033[0m end\\n'";

TEST(Transfer, ARunExportsAsTextAndAsAnAsciicastThatAsciinemaPlays) {
  TestDaemon d;
  d.start();
  TempDir dir;
  fs::path ready = dir.path() / "ready";
  fs::path go = dir.path() / "go";
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r =
      d.post("/api/v1/agents", Json{{"name", "rec"},
                                    {"argv", Json::array({"bash", "-c", kScript})},
                                    {"cols", 80},
                                    {"rows", 24},
                                    {"env", {{"READY", ready.string()}, {"GO", go.string()}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.json()["id"];
  ASSERT_TRUE(wait_for_file(ready, std::chrono::seconds(20)));
  ASSERT_EQ(d.cli({"agent", "resize", "rec", "100", "30"}).exit_code, 0);
  std::ofstream(go) << "";
  auto exited =
      events.wait_for("agent.state", id, [](const Json& e) { return e["state"] == "exited"; });
  ASSERT_TRUE(exited);

  // Text: every line once, in order, as a terminal shows it (no escapes).
  auto text = d.cli({"agent", "export", "rec"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.substr(0, text.out.find('\n')), "start ✓");
  size_t at = 0;
  for (int i = 1; i <= 60; ++i) {
    std::string line = "\nline " + std::to_string(i) + "\n";
    size_t found = text.out.find(line, at);
    ASSERT_NE(found, std::string::npos) << "line " << i << " in\n" << text.out;
    EXPECT_EQ(text.out.find(line, found + 1), std::string::npos) << "line " << i << " twice";
    at = found;
  }
  EXPECT_TRUE(contains(text.out, "\nred end\n")) << text.out;
  EXPECT_FALSE(contains(text.out, "\x1b")) << text.out;

  // Asciicast: a v2 header with the size at the start, events in time order, the resize where
  // it happened, and the output exactly as the run's log holds it.
  fs::path cast = dir.path() / "rec.cast";
  auto recorded = d.cli({"agent", "export", "rec", "--run", "1", "-o", cast.string()});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_TRUE(contains(recorded.err, "(asciicast,")) << recorded.err;
  std::vector<Json> lines = json_lines(read(cast));
  ASSERT_GE(lines.size(), 3u);
  const Json& header = lines[0];
  EXPECT_EQ(header["version"], 2);
  EXPECT_EQ(header["width"], 80);
  EXPECT_EQ(header["height"], 24);
  EXPECT_EQ(header["title"], "bosun agent rec, run 1");
  EXPECT_GT(header["timestamp"].get<int64_t>(), 1700000000);
  std::string output;
  double last = 0;
  double resized_at = -1;
  double line1_at = -1;
  for (size_t i = 1; i < lines.size(); ++i) {
    const Json& e = lines[i];
    ASSERT_TRUE(e.is_array() && e.size() == 3) << e;
    double t = e[0].get<double>();
    EXPECT_GE(t, last) << e;
    last = t;
    if (e[1] == "r") {
      EXPECT_EQ(e[2], "100x30");
      resized_at = t;
    } else {
      ASSERT_EQ(e[1], "o") << e;
      output += e[2].get<std::string>();
      if (line1_at < 0 && contains(output, "line 1")) line1_at = t;
    }
  }
  EXPECT_GE(resized_at, 0) << "no resize event";
  EXPECT_GE(line1_at, resized_at);
  auto log = d.get("/api/v1/agents/rec/log");
  ASSERT_EQ(log.status, 200);
  EXPECT_EQ(output, log.body);

  // asciinema's own player reads it and plays the same bytes (`asciinema cat` wants a
  // terminal: `script` gives it one, and its output goes to a file).
  fs::path out = dir.path() / "played";
  auto played =
      run_program({"script", "-qec",
                   "asciinema cat '" + cast.string() + "' > '" + out.string() + "'", "/dev/null"});
  ASSERT_EQ(played.exit_code, 0) << played.out << played.err;
  EXPECT_EQ(read(out), log.body);

  // Wrong asks get a clear answer.
  EXPECT_EQ(d.cli({"agent", "export", "rec", "--run", "7"}).exit_code, 3);
  EXPECT_EQ(d.cli({"agent", "export", "rec", "--run", "x"}).exit_code, 2);
  EXPECT_EQ(d.cli({"agent", "export", "rec", "--format", "gif"}).exit_code, 2);
  auto no_stream = d.cli({"agent", "export", "rec", "--format", "jsonl"});
  EXPECT_EQ(no_stream.exit_code, 3);
  EXPECT_TRUE(contains(no_stream.err, "rec has no headless run")) << no_stream.err;
  EXPECT_EQ(d.cli({"agent", "export", "nobody"}).exit_code, 3);
}

}  // namespace
}  // namespace bosun::e2e
