// SimAgent: a prompt, a spinner, and the bosun protocol, played straight or wrong on purpose.
#include "sim/sim_agent.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/client.h"
#include "sim/sim_step.h"

namespace bosun::sim {

namespace {

constexpr std::string_view kPrompt = "\xe2\x80\xba ";  // "› "
constexpr const char* kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

void out(std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// Set by SIGINT while the agent loops: an interrupt stops the loop, as a CLI's stops its turn.
volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int /*signal*/) {
  g_interrupted = 1;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Runs argv in `cwd` with output discarded; returns the exit code (or -1).
int run_quiet(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);  // our own output says "\r\n" where it means a new line
      raw_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    out("\x1b[?2004h");  // bracketed paste, as the real CLIs do
  }
  ~RawTerminal() {
    out("\x1b[?2004l");
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool raw_ = false;
};

// Turns typed bytes into submitted lines: bracketed paste is taken whole, Enter submits,
// Backspace edits, Ctrl-C clears, Ctrl-D on an empty line ends.
class LineReader {
 public:
  enum class Event { kNone, kLine, kEof, kInterrupt };

  // Slow: a paste is drawn only when the next key comes, and an Enter that comes then is lost.
  explicit LineReader(bool slow = false) : slow_(slow) {}

  Event feed(char c, bool echo) {
    if (in_paste_) {
      pending_ += c;
      if (pending_.size() >= 6 && pending_.compare(pending_.size() - 6, 6, "\x1b[201~") == 0) {
        pending_.resize(pending_.size() - 6);
        for (char p : pending_)
          line_ += (p == '\n' || p == '\r') ? ' ' : p;
        if (echo && !slow_) out(pending_);
        if (slow_) undrawn_ = echo;
        if (!slow_ || !echo) pending_.clear();
        in_paste_ = false;
      }
      return Event::kNone;
    }
    if (undrawn_) {
      out(pending_);
      pending_.clear();
      undrawn_ = false;
      if (c == '\r' || c == '\n') return Event::kNone;  // lost while drawing
    }
    if (!escape_.empty() || c == '\x1b') {
      escape_ += c;
      if (escape_ == "\x1b[200~") {
        in_paste_ = true;
        escape_.clear();
      } else if ((escape_.size() > 1 &&
                  (std::isalpha(static_cast<unsigned char>(c)) || c == '~')) ||
                 escape_.size() > 8) {
        escape_.clear();  // some other key (arrows…), or too long to be one: ignored
      }
      return Event::kNone;
    }
    switch (c) {
      case '\r':
      case '\n':
        submitted_ = std::move(line_);
        line_.clear();
        return Event::kLine;
      case 0x03:
        line_.clear();
        return Event::kInterrupt;
      case 0x04:
        return line_.empty() ? Event::kEof : Event::kNone;
      case 0x7f:
      case 0x08:
        if (!line_.empty()) {
          line_.pop_back();
          if (echo) out("\b \b");
        }
        return Event::kNone;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') {
          line_ += c;
          if (echo) out(std::string_view(&c, 1));
        }
        return Event::kNone;
    }
  }
  std::string take() { return std::move(submitted_); }

 private:
  std::string line_;
  std::string submitted_;
  std::string escape_;
  std::string pending_;
  bool in_paste_ = false;
  bool slow_ = false;
  bool undrawn_ = false;  // a slow paste not drawn yet
};

std::string first_word_after(const std::string& line, const std::string& prefix) {
  std::istringstream in(line.substr(prefix.size()));
  std::string word;
  in >> word;
  return word;
}

class Agent {
 public:
  explicit Agent(SimOptions options) : opt_(std::move(options)) {}

  int run() {
    RawTerminal terminal;
    greet();
    LineReader reader(opt_.misbehave == Misbehaviour::kSlowPaste);
    for (;;) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      int ready = ::poll(&p, 1, -1);
      if (ready < 0 && errno == EINTR) continue;
      char buf[4096];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) return 0;
      for (ssize_t i = 0; i < n; ++i) {
        bool ignoring = opt_.misbehave == Misbehaviour::kIgnore;
        switch (reader.feed(buf[i], !ignoring)) {
          case LineReader::Event::kNone:
            break;
          case LineReader::Event::kEof:
            out("\r\nbye\r\n");
            return 0;
          case LineReader::Event::kInterrupt:
            if (!ignoring) prompt("\r\n");
            break;
          case LineReader::Event::kLine: {
            std::string line = reader.take();
            if (ignoring) break;
            out("\r\n");
            if (auto code = handle(line)) return *code;
            prompt();
            break;
          }
        }
      }
    }
  }

 private:
  void greet() {
    out(fmt::format("\x1b[1msim-agent\x1b[0m {} — a scripted coding agent for bosun\r\n",
                    opt_.name));
    read_role();
    prompt();
  }

  void prompt(std::string_view before = "") {
    out(before);
    out(kPrompt);
  }

  // The role file given, else the instructions bosun wrote for this agent.
  void read_role() {
    std::string file = opt_.role_file;
    if (file.empty()) {
      const char* env = std::getenv("BOSUN_INSTRUCTIONS");
      if (env) file = env;
    }
    if (file.empty()) return;
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    while (first == "---" || first.empty()) {
      if (!std::getline(in, first)) break;
    }
    out(fmt::format("role: {} ({})\r\n", file, first));
  }

  std::optional<cli::Client> client() {
    auto c = cli::Client::connect(cli::CommandContext{});
    if (!c) {
      out(fmt::format("\x1b[31merror:\x1b[0m {}\r\n", c.error().message));
      return std::nullopt;
    }
    return std::move(*c);
  }

  void say(const std::string& type, const std::string& subject, const std::string& task = "") {
    auto c = client();
    if (!c) return;
    Json body{{"to", "supervisor"}, {"type", type}, {"subject", subject}};
    if (!task.empty()) body["task_id"] = task;
    if (auto r = c->post("/api/v1/messages", body); !r) {
      out(fmt::format("\x1b[31merror:\x1b[0m {}\r\n", r.error().message));
    }
  }

  // A spinner line for `ms`, rewritten in place.
  void work(const std::string& what, int ms) {
    auto start = std::chrono::steady_clock::now();
    for (int frame = 0;; ++frame) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
      out(fmt::format("\r\x1b[K{} Working ({}s • esc to interrupt) — {}", kSpinner[frame % 10],
                      elapsed / 1000, what));
      if (elapsed >= ms) break;
      sleep_ms(std::min<int>(80, ms - static_cast<int>(elapsed)));
    }
    out("\r\x1b[K");
  }

  std::optional<int> handle(const std::string& line) {
    if (line.rfind("[TASK]", 0) == 0) return take_task(first_word_after(line, "[TASK]"));
    if (line.rfind("[HEARTBEAT]", 0) == 0) {
      say("status", "[SYS] Idle — awaiting task.");
      out("idle — awaiting task\r\n");
      return std::nullopt;
    }
    if (line.rfind("[RESET]", 0) == 0) {
      out("context reset: starting fresh\r\n");
      context_used_ = 0;
      read_role();
      return std::nullopt;
    }
    if (line.rfind("[MAIL]", 0) == 0) {
      read_mail(first_word_after(line, "[MAIL]"));
      return std::nullopt;
    }
    if (!line.empty()) out("I take [TASK], [MAIL], [HEARTBEAT] and [RESET] lines.\r\n");
    return std::nullopt;
  }

  void read_mail(const std::string& id) {
    auto c = client();
    if (!c) return;
    auto m = c->get("/api/v1/messages/" + id);
    if (!m) {
      out(fmt::format("\x1b[31merror:\x1b[0m {}\r\n", m.error().message));
      return;
    }
    out(fmt::format("mail from {}: {}\r\n", m->value("from", "?"), m->value("subject", "")));
    (void)c->post("/api/v1/messages/" + id + "/read", Json::object());
  }

  Misbehaviour misbehaviour_for(int task_number) const {
    auto it = opt_.per_task.find(task_number);
    return it != opt_.per_task.end() ? it->second : opt_.misbehave;
  }

  // Reads one line for a question (raw mode: byte by byte, echoed).
  std::string ask(const std::string& question) {
    out(question);
    LineReader reader;
    for (;;) {
      char c = 0;
      if (::read(STDIN_FILENO, &c, 1) <= 0) return "";
      if (reader.feed(c, true) == LineReader::Event::kLine) {
        out("\r\n");
        return reader.take();
      }
    }
  }

  std::optional<int> take_task(const std::string& id) {
    ++tasks_;
    Misbehaviour how = misbehaviour_for(tasks_);
    if (how == Misbehaviour::kCrash) {
      out("panic: the scripted agent crashed on purpose\r\n");
      return 1;
    }
    auto c = client();
    if (!c) return std::nullopt;
    out(fmt::format("$ bosun task show {}\r\n", id));
    auto task = c->get("/api/v1/tasks/" + id);
    if (!task) {
      out(fmt::format("\x1b[31merror:\x1b[0m {}\r\n", task.error().message));
      return std::nullopt;
    }
    std::string title = task->value("title", id);
    out(fmt::format("task {}: {}\r\n", id, title));
    if (auto r = c->patch("/api/v1/tasks/" + id, Json{{"status", "in_progress"}}); !r) {
      out(fmt::format("\x1b[31merror:\x1b[0m {}\r\n", r.error().message));
      return std::nullopt;
    }
    say("status", "[STATUS] Starting task " + id, id);
    work("reading the code", opt_.work_ms);

    if (how == Misbehaviour::kHang) {
      out("Working (0s • esc to interrupt) — thinking\r\n");
      ::signal(SIGINT, SIG_IGN);  // wedged: an interrupt does not reach it either
      for (;;)
        ::pause();  // never answers again
    }
    if (how == Misbehaviour::kLoop) {
      g_interrupted = 0;
      struct sigaction action {};
      action.sa_handler = on_interrupt;
      ::sigaction(SIGINT, &action, nullptr);
      while (!g_interrupted) {
        out("error: tests failed: expected 2, got 3 — retrying the same fix\r\n");
        sleep_ms(100);
      }
      ::signal(SIGINT, SIG_DFL);
      out("^C interrupted\r\n");
      return std::nullopt;  // back at its prompt, the task still its own
    }
    if (!task->value("step", Json()).is_null()) return play_step_task(*c, id, *task);
    auto edits = planned_edits(*task);
    if (how == Misbehaviour::kAsk) {
      std::string answer = ask(fmt::format("Allow edits to {}? (y/n) ", edits.front().first));
      if (answer != "y" && answer != "yes") {
        out("not allowed — stopping\r\n");
        say("blocked", "permission to edit was refused", id);
        return std::nullopt;
      }
    }
    Json changes = Json::array();
    for (const auto& [path, text] : edits) {
      work("editing " + path, opt_.work_ms);
      std::filesystem::path p(path);
      std::error_code ec;
      if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
      std::ofstream(p, std::ios::app) << text << "\n";
      out(fmt::format("edited {}\r\n", path));
      changes.push_back(Json{{"file", path}, {"description", "appended: " + text}});
    }
    bool committed = commit(id, title);
    work("running the checks", opt_.work_ms);
    Json report{
        {"status", "done"}, {"summary", fmt::format("{}: {}", id, title)}, {"changes", changes}};
    if (how != Misbehaviour::kNoProof) {
      report["proof"] =
          Json{{"what_was_done", fmt::format("appended {} line(s)", edits.size())},
               {"how_verified", "read the files back"},
               {"verification_result",
                committed ? "files contain the lines; committed" : "files contain the lines"}};
    }
    out(fmt::format("$ bosun report submit ({} change(s))\r\n", changes.size()));
    if (auto r = c->post("/api/v1/tasks/" + id + "/reports", report); !r) {
      out(fmt::format("\x1b[31mreport refused:\x1b[0m {}\r\n", r.error().message));
    }
    say("done", fmt::format("Finished {}: {}", id, title), id);
    out(fmt::format("\x1b[32m✓\x1b[0m done {}\r\n", id));
    if (opt_.context_step > 0) {
      context_used_ = std::min(100, context_used_ + opt_.context_step);
      out(fmt::format("({}% context left)\r\n", 100 - context_used_));
    }
    return std::nullopt;
  }

  // A pipeline step's task: the role played as a headless step plays it (sim/sim_step.h), on
  // the task's description and this agent's instructions, then its report submitted.
  std::optional<int> play_step_task(cli::Client& c, const std::string& id, const Json& task) {
    std::string prompt = task.value("description", "");
    if (const char* file = std::getenv("BOSUN_INSTRUCTIONS")) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      prompt += "\n" + text.str();
    }
    int attempt = 1;
    std::string run = task.value("pipeline_run", "");
    if (auto r = c.get("/api/v1/pipeline-runs/" + run)) {
      for (const auto& s : r->value("steps", Json::array())) {
        if (s.value("id", "") == task.value("step", "")) attempt = s.value("attempts", 1);
      }
    }
    // Its commits carry its name, as commit() gives them.
    ::setenv("GIT_AUTHOR_NAME", opt_.name.c_str(), 1);
    ::setenv("GIT_COMMITTER_NAME", opt_.name.c_str(), 1);
    std::string mail = opt_.name + "@bosun.invalid";
    ::setenv("GIT_AUTHOR_EMAIL", mail.c_str(), 1);
    ::setenv("GIT_COMMITTER_EMAIL", mail.c_str(), 1);
    work("playing step " + task.value("step", ""), opt_.work_ms);
    if (sim::has_act(prompt, "fail-loop", attempt)) return fail_in_a_loop(c, id);
    sim::StepPlay played = sim::play_step(task.value("role", ""), prompt, attempt);
    if (played.crashed) {
      out("panic: the scripted agent crashed on purpose\r\n");
      return 1;
    }
    out(played.said + "\r\n");
    if (played.report) {
      out("$ bosun report submit (step " + task.value("step", "") + ")\r\n");
      if (auto r = c.post("/api/v1/tasks/" + id + "/reports", *played.report); !r) {
        out(fmt::format("\x1b[31mreport refused:\x1b[0m {}\r\n", r.error().message));
      }
    }
    say("done", fmt::format("Finished {}: {}", id, task.value("title", "")), id);
    return std::nullopt;
  }

  // The same failing test run again and again, told to bosun as Claude Code's hooks tell it,
  // until its task is taken from it (bosun stops a step that goes round in circles).
  std::optional<int> fail_in_a_loop(cli::Client& c, const std::string& id) {
    Json hook{{"hook_event_name", "PostToolUseFailure"},
              {"tool_name", "Bash"},
              {"tool_input", {{"command", "sh tests/feature_test.sh"}}},
              {"error", "exit status 1"}};
    for (int i = 0; i < 30; ++i) {
      out("$ sh tests/feature_test.sh\r\nexit status 1 — trying the same again\r\n");
      (void)c.post("/api/v1/hooks/claude", hook);
      auto task = c.get("/api/v1/tasks/" + id);
      if (task && task->value("status", "") == "cancelled") {
        out("my task was taken from me — stopping\r\n");
        return std::nullopt;
      }
      sleep_ms(50);
    }
    return std::nullopt;
  }

  // "write PATH: TEXT" lines of the description; else a note named after the task.
  static std::vector<std::pair<std::string, std::string>> planned_edits(const Json& task) {
    std::vector<std::pair<std::string, std::string>> edits;
    std::istringstream in(task.value("description", ""));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("write ", 0) != 0) continue;
      auto colon = line.find(": ");
      if (colon == std::string::npos) continue;
      std::string path = line.substr(6, colon - 6);
      if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos) continue;
      edits.emplace_back(path, line.substr(colon + 2));
    }
    if (edits.empty()) {
      edits.emplace_back("notes/" + task.value("id", "task") + ".md",
                         "# " + task.value("title", ""));
    }
    return edits;
  }

  bool commit(const std::string& id, const std::string& title) {
    if (run_quiet({"git", "rev-parse", "--is-inside-work-tree"}) != 0) return false;
    std::string who = "user.name=" + opt_.name;
    std::string mail = "user.email=" + opt_.name + "@bosun.invalid";
    if (run_quiet({"git", "add", "-A"}) != 0) return false;
    bool ok = run_quiet({"git", "-c", who, "-c", mail, "-c", "core.hooksPath=/dev/null", "commit",
                         "-q", "-m", id + ": " + title}) == 0;
    out(ok ? fmt::format("committed {}\r\n", id) : std::string("nothing to commit\r\n"));
    return ok;
  }

  SimOptions opt_;
  int tasks_ = 0;
  int context_used_ = 0;  // percent, with --context-step
};

}  // namespace

std::optional<Misbehaviour> parse_misbehaviour(const std::string& name) {
  static const std::map<std::string, Misbehaviour> names = {
      {"none", Misbehaviour::kNone},     {"ask", Misbehaviour::kAsk},
      {"hang", Misbehaviour::kHang},     {"loop", Misbehaviour::kLoop},
      {"crash", Misbehaviour::kCrash},   {"no-proof", Misbehaviour::kNoProof},
      {"ignore", Misbehaviour::kIgnore}, {"slow-paste", Misbehaviour::kSlowPaste}};
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> load_script(const std::string& path, SimOptions& options) {
  std::ifstream in(path);
  if (!in) return fmt::format("cannot read script {}", path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    int task = 0;
    std::string what;
    if (!(words >> task)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      return fmt::format("{}:{}: expected '<task number> <misbehaviour>'", path, number);
    }
    auto how = words >> what ? parse_misbehaviour(what) : std::nullopt;
    if (task < 1 || !how) {
      return fmt::format(
          "{}:{}: expected '<task number> <misbehaviour>' with a misbehaviour of "
          "none|ask|hang|loop|crash|no-proof|ignore|slow-paste",
          path, number);
    }
    options.per_task[task] = *how;
  }
  return std::nullopt;
}

int run_sim_agent(const SimOptions& options) {
  SimOptions opt = options;
  if (opt.name.empty()) {
    const char* env = std::getenv("BOSUN_AGENT");
    opt.name = env && *env ? env : "sim";
  }
  return Agent(std::move(opt)).run();
}

}  // namespace bosun::sim
