// Tmux (see tmux.h): every call is a tmux client command on the private socket.
#include "support/tmux.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>

#include "support/harness.h"

namespace bosun::e2e {

Tmux::Tmux(const std::filesystem::path& dir, int cols, int rows,
           const std::vector<std::string>& command, const std::map<std::string, std::string>& env)
    : socket_(dir / "tmux.sock"), output_(dir / "pane.out") {
  std::ofstream(output_).flush();
  std::vector<std::string> args = {
      "new-session", "-d", "-s", "main", "-x", std::to_string(cols), "-y", std::to_string(rows)};
  for (const auto& [k, v] : env) {
    args.push_back("-e");
    args.push_back(k + "=" + v);
  }
  args.insert(args.end(), command.begin(), command.end());
  ok_ = tmux(args) && tmux({"set-option", "-g", "window-size", "manual"}) &&
        tmux({"pipe-pane", "-t", "main", "-O", "cat >> '" + output_.string() + "'"});
}

Tmux::~Tmux() {
  tmux({"kill-server"});
}

bool Tmux::tmux(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), {"tmux", "-S", socket_.string(), "-f", "/dev/null"});
  auto r = run_program(args, {}, "", std::chrono::seconds(10));
  if (out) *out = r.out;
  return r.exit_code == 0;
}

bool Tmux::type_line(const std::string& text) {
  return tmux({"send-keys", "-t", "main", "-l", text}) && press("Enter");
}

bool Tmux::press(const std::string& key) {
  return tmux({"send-keys", "-t", "main", key});
}

bool Tmux::resize(int cols, int rows) {
  return tmux(
      {"resize-window", "-t", "main", "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

std::string Tmux::capture() {
  std::string out;
  tmux({"capture-pane", "-p", "-J", "-t", "main"}, &out);
  return out;
}

bool Tmux::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd >= 0) ::inotify_add_watch(fd, output_.c_str(), IN_MODIFY);
  bool found = false;
  while (!(found = capture().find(needle) != std::string::npos)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    // The pane printing something is the event; the cap covers output tmux has piped but
    // not yet drawn when we looked.
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) > 0) {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    }
  }
  if (fd >= 0) ::close(fd);
  return found;
}

}  // namespace bosun::e2e
