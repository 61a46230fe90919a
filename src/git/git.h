// Git: runs the git CLI non-interactively (no editor, pager, prompt or askpass) and blocking —
// callers are worker threads (the git worker of crew/), never the loop.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/process.h"
#include "util/result.h"

namespace bosun::git {

inline constexpr std::chrono::milliseconds kGitTimeout{60'000};

// `git -C dir <args>` with the environment that keeps git from ever waiting for a person.
ProcessSpec command(const std::string& dir, std::vector<std::string> args,
                    std::chrono::milliseconds timeout = kGitTimeout);

// Runs git; its stdout on exit 0, else a 500 `git_failed` naming the command and git's words.
Result<std::string> run(const std::string& dir, std::vector<std::string> args, int cancel_fd = -1);
// Runs git and hands back the whole result (for commands whose exit code means something).
ProcessResult call(const std::string& dir, std::vector<std::string> args, int cancel_fd = -1);

// The first line of `text`, without its newline.
std::string first_line(const std::string& text);
// Splits NUL-separated output (`-z`), dropping empty fields.
std::vector<std::string> split_nul(const std::string& text);
// Splits lines, dropping empty ones.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace bosun::git
