// Screen: a libvterm model of one terminal, fed with a program's output.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::term {

struct CursorPos {
  int row = 0;  // 0-based
  int col = 0;  // 0-based
  bool operator==(const CursorPos&) const = default;
};

class Screen {
 public:
  // cols and rows are clamped to [1, 10000].
  Screen(int cols, int rows);
  ~Screen();
  Screen(Screen&&) noexcept;
  Screen& operator=(Screen&&) noexcept;
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  // Interprets the program's output bytes (UTF-8 and escape sequences; may split anywhere).
  void feed(std::string_view bytes);
  // cols and rows are clamped to [1, 10000].
  void resize(int cols, int rows);

  int cols() const;
  int rows() const;
  // The visible rows as UTF-8, trailing blanks trimmed; a wide character appears once.
  std::vector<std::string> lines() const;
  CursorPos cursor() const;
  // True while the program uses the alternate screen (vim, less, full-screen TUIs).
  bool alt_screen() const;

  // Receives what the terminal sends back to the program: answers to queries such as
  // ESC[6n (cursor position) and ESC[c (device attributes). Called from inside feed().
  void set_reply_callback(std::function<void(std::string_view)> callback);

  // Receives each row that scrolls off the top of the main screen, as UTF-8 with trailing
  // blanks trimmed (what a terminal's scrollback keeps). While one is set, feed() skips
  // nothing (skippable_prefix is 0): every row is seen.
  void set_scrollback_callback(std::function<void(std::string)> callback);

  // How much of `bytes` cannot change what the screen shows: feed() skips it (see screen.cpp).
  size_t skippable_prefix(std::string_view bytes) const;

 private:
  struct Impl;  // owns the VTerm; its address is libvterm's callback cookie, so it stays put
  std::unique_ptr<Impl> impl_;
};

}  // namespace bosun::term
