// Screen: wraps libvterm's VTerm + VTermScreen and reads rows back as UTF-8.
#include "term/screen.h"

#include <vterm.h>

#include <algorithm>

namespace bosun::term {
namespace {

constexpr int kMaxSide = 10000;

int clamp_side(int n) {
  return std::clamp(n, 1, kMaxSide);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends one cell to a row's text; `trimmed` follows the end of its last non-blank cell.
void append_cell(std::string& line, size_t& trimmed, const VTermScreenCell& cell) {
  if (cell.chars[0] == 0) {
    line += ' ';                                            // an empty cell
  } else if (cell.chars[0] != static_cast<uint32_t>(-1)) {  // -1: the right half of a wide char
    for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i] != 0; ++i) {
      append_utf8(line, cell.chars[i]);
    }
    if (cell.chars[0] != ' ') trimmed = line.size();
  }
}

// The longest switch to the alternate screen: "\x1b[?1049h".
constexpr size_t kAltSwitchMax = 8;

// Whether `bytes` switch to the alternate screen: DECSET 1049, 1047 or 47 (also in a list of
// modes, "\x1b[?1;1049h").
bool asks_alt_screen(std::string_view bytes) {
  for (size_t at = bytes.find("\x1b[?"); at != std::string_view::npos;
       at = bytes.find("\x1b[?", at + 1)) {
    size_t i = at + 3;
    while (i < bytes.size()) {
      size_t start = i;
      while (i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9')
        ++i;
      std::string_view mode = bytes.substr(start, i - start);
      bool alt = mode == "1049" || mode == "1047" || mode == "47";
      if (i >= bytes.size()) return alt;  // cut off: allocating early is harmless
      if (bytes[i] == ';') {
        if (alt) {
          // a list: the final byte decides, look for it
          size_t end = bytes.find_first_not_of("0123456789;", i);
          return end == std::string_view::npos || bytes[end] == 'h';
        }
        ++i;
        continue;
      }
      if (alt && bytes[i] == 'h') return true;
      break;
    }
  }
  return false;
}

}  // namespace

struct Screen::Impl {
  VTerm* vt = nullptr;
  VTermScreen* screen = nullptr;
  VTermScreenCallbacks callbacks{};
  bool alt_screen = false;
  bool alt_allowed = false;  // the alternate screen's buffer exists
  std::string alt_tail;      // the end of the last feed, for a switch split between two
  std::function<void(std::string_view)> reply;
  std::function<void(std::string)> scrollback;
  std::string held;  // the start of a setting request split between feeds

  Impl(int cols, int rows) {
    vt = vterm_new(rows, cols);
    vterm_set_utf8(vt, 1);
    vterm_output_set_callback(vt, &Impl::on_output, this);
    screen = vterm_obtain_screen(vt);
    callbacks.settermprop = &Impl::on_settermprop;
    callbacks.sb_pushline = &Impl::on_pushline;
    vterm_screen_set_callbacks(screen, &callbacks, this);
    vterm_screen_reset(screen, 1);
  }

  // The alternate screen's cells (as many as the main screen's) are made the first time the
  // program asks for it: most agent CLIs never do, and each buffer is ≈36 bytes a cell.
  // libvterm ignores the switch when the buffer is missing, so feed() calls this before the
  // bytes that hold it reach libvterm.
  void want_alt_screen(std::string_view bytes) {
    if (alt_allowed) return;
    std::string_view tail = alt_tail;
    std::string joined;
    if (!tail.empty()) {
      joined.assign(tail);
      joined.append(bytes.substr(0, kAltSwitchMax));
    }
    std::string_view head = joined.empty() ? std::string_view() : std::string_view(joined);
    if (asks_alt_screen(head) || asks_alt_screen(bytes)) {
      vterm_screen_enable_altscreen(screen, 1);
      alt_allowed = true;
      alt_tail.clear();
      return;
    }
    // A request split between feeds: keep the end of this one.
    size_t keep = std::min(bytes.size(), kAltSwitchMax - 1);
    alt_tail.assign(bytes.substr(bytes.size() - keep));
  }
  ~Impl() { vterm_free(vt); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  static void on_output(const char* s, size_t len, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (self->reply) self->reply(std::string_view(s, len));
  }

  static int on_pushline(int cols, const VTermScreenCell* cells, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (!self->scrollback) return 0;
    std::string line;
    size_t trimmed = 0;
    for (int c = 0; c<cols; c += cells[c].width> 0 ? cells[c].width : 1)
      append_cell(line, trimmed, cells[c]);
    line.resize(trimmed);
    self->scrollback(std::move(line));
    return 1;
  }

  static int on_settermprop(VTermProp prop, VTermValue* val, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (prop == VTERM_PROP_ALTSCREEN) self->alt_screen = val->boolean != 0;
    return 1;
  }
};

Screen::Screen(int cols, int rows)
    : impl_(std::make_unique<Impl>(clamp_side(cols), clamp_side(rows))) {}
Screen::~Screen() = default;
Screen::Screen(Screen&&) noexcept = default;
Screen& Screen::operator=(Screen&&) noexcept = default;

// A flood of plain lines only matters for its last screenfuls: libvterm moves the whole cell
// buffer for every line that scrolls, which costs more than the PTY delivers. When the tail
// holds at least 2×rows+1 "\r\n" line ends, every visible row and the cursor come from the
// tail alone (all rows scroll in fresh, the tail starts at column 0), so a prefix of plain text
// — no escape, no control but CR, LF, TAB, BS, BEL, no C1 — can be skipped unseen. Not on the
// alternate screen, where programs use scroll regions.
size_t Screen::skippable_prefix(std::string_view bytes) const {
  constexpr size_t kWorthIt = size_t{16} * 1024;
  if (bytes.size() < kWorthIt || impl_->alt_screen || impl_->scrollback) return 0;
  const size_t need = 2 * static_cast<size_t>(rows()) + 1;
  size_t line_ends = 0;
  size_t cut = 0;
  for (size_t i = bytes.size(); i-- > 1;) {
    if (bytes[i] == '\n' && bytes[i - 1] == '\r' && ++line_ends == need) {
      cut = i + 1;
      break;
    }
  }
  if (cut == 0) return 0;
  // Where the cut lands, "\r\n" ends the line: the prefix must end there too (cut - 1 is '\n').
  for (size_t i = 0; i + 1 < cut; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c != 0x7f) {
      if (c == 0xc2) {
        auto next = static_cast<unsigned char>(bytes[i + 1]);
        if (next >= 0x80 && next <= 0x9f) return 0;  // a C1 control in UTF-8
      }
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\t' || c == '\b' || c == 0x07) continue;
    return 0;
  }
  return cut;
}

// libvterm 0.1.4 reads a bad pointer when it answers some setting requests (DECRQSS for
// `"p`, ` r`, `t`): program output must never reach that code. Requests it handles soundly go
// through; the others are cut out of the stream and answered here as "not recognised".
void Screen::feed(std::string_view bytes) {
  std::string joined;
  if (!impl_->held.empty()) {
    joined = std::move(impl_->held);
    impl_->held.clear();
    joined.append(bytes);
    bytes = joined;
  } else {
    bytes.remove_prefix(skippable_prefix(bytes));
  }
  impl_->want_alt_screen(bytes);
  auto write = [this](std::string_view part) {
    if (!part.empty()) vterm_input_write(impl_->vt, part.data(), part.size());
  };
  constexpr std::string_view kRequest = "\x1bP$q";
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t at = bytes.find(kRequest, pos);
    if (at == std::string_view::npos) {
      // Keep a tail that could be the start of a request ("\x1b", "\x1bP", "\x1bP$").
      size_t keep = 0;
      for (size_t n = std::min(kRequest.size() - 1, bytes.size() - pos); n > 0; --n) {
        if (kRequest.substr(0, n) == bytes.substr(bytes.size() - n)) {
          keep = n;
          break;
        }
      }
      write(bytes.substr(pos, bytes.size() - pos - keep));
      impl_->held.assign(bytes.substr(bytes.size() - keep));
      break;
    }
    write(bytes.substr(pos, at - pos));
    size_t body = at + kRequest.size();
    size_t end = std::string_view::npos;
    size_t term_len = 0;
    for (size_t i = body; i < bytes.size(); ++i) {
      if (bytes[i] == '\x07') {
        end = i;
        term_len = 1;
        break;
      }
      if (bytes[i] == '\x1b' && i + 1 < bytes.size() && bytes[i + 1] == '\\') {
        end = i;
        term_len = 2;
        break;
      }
    }
    if (end == std::string_view::npos) {
      if (bytes.size() - at < 256) {
        impl_->held.assign(bytes.substr(at));  // wait for the terminator
      } else {
        pos = body;  // not a request after all: drop its introducer, keep the rest
        continue;
      }
      break;
    }
    std::string_view setting = bytes.substr(body, end - body);
    bool sound =
        setting == "m" || setting == "r" || setting == "s" || setting == "\"q" || setting == " q";
    if (sound) {
      write(bytes.substr(at, end + term_len - at));
    } else if (impl_->reply) {
      impl_->reply("\x1bP0$r\x1b\\");
    }
    pos = end + term_len;
  }
  vterm_screen_flush_damage(impl_->screen);
}

void Screen::resize(int cols, int rows) {
  vterm_set_size(impl_->vt, clamp_side(rows), clamp_side(cols));
  vterm_screen_flush_damage(impl_->screen);
}

int Screen::cols() const {
  int rows = 0;
  int cols = 0;
  vterm_get_size(impl_->vt, &rows, &cols);
  return cols;
}

int Screen::rows() const {
  int rows = 0;
  int cols = 0;
  vterm_get_size(impl_->vt, &rows, &cols);
  return rows;
}

std::vector<std::string> Screen::lines() const {
  int rows = 0;
  int cols = 0;
  vterm_get_size(impl_->vt, &rows, &cols);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(rows));
  // libvterm's own text reader walks its cells in place: an empty cell before text is a space,
  // the right half of a wide character nothing, trailing empty cells nothing. (A cell at a time
  // through vterm_screen_get_cell copied each cell's pen and colours too: that was the most of
  // a status check's cost.) Trailing spaces that were written are trimmed here.
  std::string buf(static_cast<size_t>(cols) * 4 * VTERM_MAX_CHARS_PER_CELL, '\0');
  for (int r = 0; r < rows; ++r) {
    VTermRect rect{r, r + 1, 0, cols};
    size_t n = vterm_screen_get_text(impl_->screen, buf.data(), buf.size(), rect);
    std::string line(buf.data(), std::min(n, buf.size()));
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out.push_back(std::move(line));
  }
  return out;
}

CursorPos Screen::cursor() const {
  VTermPos pos{};
  vterm_state_get_cursorpos(vterm_obtain_state(impl_->vt), &pos);
  return {pos.row, pos.col};
}

bool Screen::alt_screen() const {
  return impl_->alt_screen;
}

void Screen::set_scrollback_callback(std::function<void(std::string)> callback) {
  impl_->scrollback = std::move(callback);
}

void Screen::set_reply_callback(std::function<void(std::string_view)> callback) {
  impl_->reply = std::move(callback);
}

}  // namespace bosun::term
