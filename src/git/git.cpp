// Git: the non-interactive command line and small output helpers.
#include "git/git.h"

#include <fmt/format.h>

namespace bosun::git {

ProcessSpec command(const std::string& dir, std::vector<std::string> args,
                    std::chrono::milliseconds timeout) {
  ProcessSpec spec;
  spec.argv = {
      "git", "-c", "color.ui=false", "-c", "core.quotepath=off", "-c", "advice.detachedHead=false"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = dir;
  spec.env = {{"GIT_TERMINAL_PROMPT", "0"},
              {"GIT_EDITOR", "true"},
              {"GIT_SEQUENCE_EDITOR", "true"},
              {"GIT_MERGE_AUTOEDIT", "no"},
              {"GIT_PAGER", "cat"},
              {"PAGER", "cat"},
              {"GIT_ASKPASS", "true"},
              {"SSH_ASKPASS", "true"},
              {"GIT_SSH_COMMAND", "ssh -o BatchMode=yes"},
              {"LC_ALL", "C"}};
  // A daemon started from inside a git hook must not act on that hook's repository.
  spec.unset_env = {"GIT_DIR",        "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                    "GIT_COMMON_DIR", "GIT_PREFIX"};
  spec.timeout = timeout;
  spec.max_output = 16 << 20;
  return spec;
}

ProcessResult call(const std::string& dir, std::vector<std::string> args, int cancel_fd) {
  return run_process_blocking(command(dir, std::move(args)), cancel_fd);
}

Result<std::string> run(const std::string& dir, std::vector<std::string> args, int cancel_fd) {
  std::string what = args.empty() ? "" : args.front();
  for (size_t i = 1; i < args.size() && i < 3; ++i)
    what += " " + args[i];
  ProcessResult r = call(dir, std::move(args), cancel_fd);
  if (!r.ok()) {
    std::string words = r.err.empty() ? r.out : r.err;
    while (!words.empty() && (words.back() == '\n' || words.back() == ' '))
      words.pop_back();
    return internal("git_failed", fmt::format("git {} in {} failed ({}){}{}", what, dir,
                                              r.summary(), words.empty() ? "" : ": ", words));
  }
  return std::move(r.out);
}

std::string first_line(const std::string& text) {
  auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace bosun::git
