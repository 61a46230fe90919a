// Tmux: a private tmux server whose one pane stands in for a user's terminal.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace bosun::e2e {

class Tmux {
 public:
  // Starts a server on a socket in `dir` (no user config) with one cols×rows window running
  // `command` (argv) with `env` added to its environment.
  Tmux(const std::filesystem::path& dir, int cols, int rows,
       const std::vector<std::string>& command, const std::map<std::string, std::string>& env = {});
  ~Tmux();
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  bool ok() const { return ok_; }
  // Types `text` literally, then presses Enter.
  bool type_line(const std::string& text);
  // Presses keys by tmux name ("C-]", "Enter", "Escape").
  bool press(const std::string& key);
  bool resize(int cols, int rows);
  // The visible pane, one line per row (wrapped lines joined).
  std::string capture();
  // Waits until the visible pane contains `needle`; woken by the pane's output.
  bool wait_for(const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));

 private:
  bool tmux(std::vector<std::string> args, std::string* out = nullptr);
  std::filesystem::path socket_;
  std::filesystem::path output_;  // everything the pane printed (pipe-pane)
  bool ok_ = false;
};

}  // namespace bosun::e2e
