// Detector: finds the composer, bounds the live region around it and tries the screen rules.
#include "agent/detector.h"
#include "util/text.h"

#include <algorithm>
#include <array>
#include <regex>

namespace bosun {

namespace {

// Rows longer than this are cut before matching: std::regex recurses per character.
constexpr size_t kMaxRowBytes = 4096;
constexpr size_t kMaxDetailBytes = 160;

bool blank(std::string_view row) {
  return row.find_first_not_of(" \t") == std::string_view::npos;
}

// A row drawn only of box and rule characters (and spaces): a border, not content.
bool border(std::string_view row) {
  static constexpr std::array<std::string_view, 22> kParts{"─", "━", "═", "╌", "╍", "┄", "▄", "▀",
                                                           "╭", "╮", "╰", "╯", "│", "┃", "╹", "╻",
                                                           "┌", "┐", "└", "┘", "╴", "╶"};
  bool any = false;
  size_t i = 0;
  while (i < row.size()) {
    if (row[i] == ' ') {
      ++i;
      continue;
    }
    bool matched = false;
    for (auto part : kParts) {
      if (row.substr(i, part.size()) == part) {
        i += part.size();
        matched = any = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return any;
}

// The screen as the rules read it: a no-break space (U+00A0) is a space. Claude Code 2.1.330
// draws its composer ("❯" U+00A0), spinner and footer words with it, and \s does not match it.
ScreenView plain_spaces(const ScreenView& screen) {
  ScreenView view = screen;
  for (auto& row : view.lines) {
    for (size_t at = row.find("\xC2\xA0"); at != std::string::npos; at = row.find("\xC2\xA0", at)) {
      row.replace(at, 2, " ");
    }
  }
  return view;
}

std::string_view cut(std::string_view row) {
  return row.size() > kMaxRowBytes ? row.substr(0, kMaxRowBytes) : row;
}

// The row as evidence: leading blanks dropped, at most kMaxDetailBytes (on a UTF-8 boundary).
std::string detail_of(std::string_view row) {
  size_t start = row.find_first_not_of(' ');
  row = start == std::string_view::npos ? std::string_view() : row.substr(start);
  return shorten(row, kMaxDetailBytes);
}

bool matches_any(const std::vector<Pattern>& patterns, std::string_view row) {
  row = cut(row);
  return std::any_of(patterns.begin(), patterns.end(),
                     [row](const Pattern& p) { return p.search(row); });
}

// The rows of `where` as [from, to] (inclusive); empty (from > to) when absent.
std::pair<int, int> rows_of(Region where, const LiveRegion& live) {
  constexpr std::pair<int, int> kNone{0, -1};
  switch (where) {
    case Region::kComposer:
      return live.composer < 0 ? kNone : std::pair{live.composer, live.composer};
    case Region::kAbove:
      return live.composer < 0 ? kNone : std::pair{live.above_from, live.box_top - 1};
    case Region::kJustAbove:
      return live.just_above < 0 ? kNone : std::pair{live.just_above, live.just_above};
    case Region::kBelow:
      return live.composer < 0 ? kNone : std::pair{live.composer + 1, live.last};
    case Region::kLive:
      return live.composer < 0 ? kNone : std::pair{live.above_from, live.last};
    case Region::kTail:
      return live.last < 0 ? kNone : std::pair{live.tail_from, live.last};
    case Region::kLastLine:
      return live.last < 0 ? kNone : std::pair{live.last, live.last};
  }
  return kNone;
}

}  // namespace

ScreenView view_of(const term::Screen& screen) {
  return ScreenView{screen.lines(), screen.cursor()};
}

ScreenView view_of_text(std::string_view text) {
  ScreenView view;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view row =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    while (!row.empty() && (row.back() == ' ' || row.back() == '\r' || row.back() == '\t'))
      row.remove_suffix(1);
    view.lines.emplace_back(row);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return view;
}

bool looks_like_raw_stream(std::string_view bytes) {
  return bytes.find('\x1b') != std::string_view::npos ||
         bytes.find("\r\n") != std::string_view::npos;
}

ScreenView view_of_stream(std::string_view bytes, int cols, int rows) {
  term::Screen screen(cols, rows);
  screen.feed(bytes);
  return view_of(screen);
}

LiveRegion find_live_region(const ScreenSpec& spec, const ScreenView& view) {
  LiveRegion live;
  const auto& lines = view.lines;
  for (int i = static_cast<int>(lines.size()) - 1; i >= 0; --i) {
    if (!blank(lines[static_cast<size_t>(i)])) {
      live.last = i;
      break;
    }
  }
  if (live.last < 0) return live;
  // The tail: back to the tail_rows-th non-blank row from the bottom.
  live.tail_from = live.last;
  for (int i = live.last, seen = 0; i >= 0; --i) {
    if (blank(lines[static_cast<size_t>(i)])) continue;
    live.tail_from = i;
    if (++seen == spec.tail_rows) break;
  }
  if (!spec.composer) return live;
  // The composer: the lowest matching row, at most within_bottom non-blank rows above the last
  // one (a fresh opencode draws its input box mid-screen, far above its footer).
  for (int i = live.last, seen = 0; i >= 0 && seen <= spec.composer->within_bottom; --i) {
    if (blank(lines[static_cast<size_t>(i)])) continue;
    if (matches_any(spec.composer->match, lines[static_cast<size_t>(i)])) {
      live.composer = i;
      break;
    }
    ++seen;
  }
  if (live.composer < 0) return live;
  live.box_top = live.composer;
  if (spec.composer->box) {
    while (live.box_top > 0) {
      std::string_view row = lines[static_cast<size_t>(live.box_top - 1)];
      if (blank(row) || !spec.composer->box->search(cut(row))) break;
      --live.box_top;
    }
  }
  live.above_from = live.box_top;
  // Blank rows do not count: a short conversation leaves a gap between the transcript at the
  // top and the composer at the bottom (Claude Code 2.1.330).
  for (int i = live.box_top - 1, seen = 0; i >= 0 && seen < spec.above_rows; --i) {
    std::string_view row = lines[static_cast<size_t>(i)];
    if (spec.above_stop && spec.above_stop->search(cut(row))) break;
    live.above_from = i;
    if (!blank(row)) ++seen;
  }
  for (int i = live.box_top - 1; i >= live.above_from; --i) {
    std::string_view row = lines[static_cast<size_t>(i)];
    if (!blank(row) && !border(row) && !matches_any(spec.above_chrome, row)) {
      live.just_above = i;
      break;
    }
  }
  return live;
}

ScreenReading read_screen(const Profile& profile, const ScreenView& screen, int64_t now_ms) {
  const ScreenView view = plain_spaces(screen);
  ScreenReading reading;
  reading.region = find_live_region(profile.screen, view);
  const LiveRegion& live = reading.region;
  for (const auto& rule : profile.screen.rules) {
    if (rule.when == ComposerCondition::kPresent && live.composer < 0) continue;
    if (rule.when == ComposerCondition::kAbsent && live.composer >= 0) continue;
    const auto [from, to] = rows_of(rule.where, live);
    const int first = from;  // named copies: a lambda may not capture a structured binding
    const int last = to;
    int hit = -1;
    for (int i = to; i >= from; --i) {  // the lowest row is the latest
      if (matches_any(rule.match, view.lines[static_cast<size_t>(i)])) {
        hit = i;
        break;
      }
    }
    if (hit < 0) continue;
    bool all = std::all_of(rule.all.begin(), rule.all.end(), [&](const Pattern& p) {
      for (int i = first; i <= last; ++i) {
        if (p.search(cut(view.lines[static_cast<size_t>(i)]))) return true;
      }
      return false;
    });
    if (!all) continue;
    Signal s;
    s.state = rule.state;
    s.source = SignalSource::kScreen;
    s.confidence = rule.confidence;
    s.evidence = rule.name;
    s.row = hit;
    s.detail = detail_of(view.lines[static_cast<size_t>(hit)]);
    s.dialog = rule.dialog;
    s.at_ms = now_ms;
    if (rule.reset) {
      for (int i = to; i >= from && s.reset_text.empty(); --i) {
        if (auto text = rule.reset->capture(cut(view.lines[static_cast<size_t>(i)]))) {
          std::string t = *text;
          while (!t.empty() && (t.back() == ' ' || t.back() == '.'))
            t.pop_back();
          s.reset_text = t;
        }
      }
      if (auto ms = parse_duration_words(s.reset_text)) s.reset_at_ms = now_ms + *ms;
    }
    reading.signal = std::move(s);
    reading.rule = &rule;
    return reading;
  }
  return reading;
}

std::optional<int64_t> parse_duration_words(std::string_view text) {
  static const std::regex part(
      R"((\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b)",
      std::regex::ECMAScript | std::regex::icase);
  std::string rest(text);
  double total = 0;
  bool any = false;
  for (std::sregex_iterator it(rest.begin(), rest.end(), part), end; it != end; ++it) {
    double n = std::stod((*it)[1].str());
    char unit = static_cast<char>(std::tolower(static_cast<unsigned char>((*it)[2].str()[0])));
    double ms = unit == 'd'   ? 86'400'000.0
                : unit == 'h' ? 3'600'000.0
                : unit == 'm' ? 60'000.0
                              : 1'000.0;
    total += n * ms;
    any = true;
  }
  if (!any) return std::nullopt;
  // Nothing but the parts, "and" and separators may be left.
  std::string left = std::regex_replace(rest, part, "");
  left = std::regex_replace(left, std::regex(R"(\band\b|[\s,])"), "");
  if (!left.empty()) return std::nullopt;
  return static_cast<int64_t>(total);
}

}  // namespace bosun
