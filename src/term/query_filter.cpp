// QueryFilter: a small ECMA-48 scanner that drops the queries term::Screen answers.
#include "term/query_filter.h"

namespace bosun::term {

namespace {

constexpr char kEsc = '\x1b';

bool is_param(char c) {
  return c >= 0x30 && c <= 0x3f;
}
bool is_intermediate(char c) {
  return c >= 0x20 && c <= 0x2f;
}
bool is_final(char c) {
  return c >= 0x40 && c <= 0x7e;
}

// Decides whether CSI <params><intermediates><final> is a query the screen answers.
bool answered_csi(std::string_view params, std::string_view inter, char final) {
  if (inter.empty() && final == 'n') return params == "5" || params == "6" || params == "?6";
  if (inter.empty() && final == 'c') {
    return params.empty() || params == "0" || params == ">" || params == ">0";
  }
  if (inter == "$" && final == 'p') {  // DEC private modes only; libvterm ignores ANSI ones
    if (params.size() < 2 || params.front() != '?') return false;
    std::string_view digits = params.substr(1);
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }
  return false;
}

}  // namespace

QueryFilter::Verdict QueryFilter::classify(std::string_view s, size_t& length) {
  auto keep = [&length](size_t n) {
    length = n;
    return Verdict::kKeep;
  };
  auto strip = [&length](size_t n) {
    length = n;
    return Verdict::kStrip;
  };
  // Too long to be a query: let it through rather than hold output back.
  auto incomplete = [&] { return s.size() >= kMaxHeld ? keep(s.size()) : Verdict::kIncomplete; };
  if (s.size() < 2) return Verdict::kIncomplete;
  if (s[1] == '[') {  // CSI
    size_t i = 2;
    while (i < s.size() && is_param(s[i]))
      ++i;
    size_t params_end = i;
    while (i < s.size() && is_intermediate(s[i]))
      ++i;
    if (i >= s.size()) return incomplete();
    if (!is_final(s[i])) return keep(i);  // malformed: resume scanning at the odd byte
    bool query =
        answered_csi(s.substr(2, params_end - 2), s.substr(params_end, i - params_end), s[i]);
    return query ? strip(i + 1) : keep(i + 1);
  }
  if (s[1] == 'P') {  // DCS: only "$q" (DECRQSS) is a query
    if (s.size() >= 3 && s[2] != '$') return keep(2);
    if (s.size() >= 4 && s[3] != 'q') return keep(2);
    if (s.size() < 4) return Verdict::kIncomplete;
    for (size_t i = 4; i < s.size(); ++i) {
      if (s[i] == '\x07') return strip(i + 1);
      if (s[i] == kEsc && i + 1 < s.size() && s[i + 1] == '\\') return strip(i + 2);
    }
    return incomplete();
  }
  return keep(1);  // any other escape is not a query; scanning resumes after the ESC
}

std::string QueryFilter::feed(std::string_view bytes) {
  std::string input;
  std::string_view s = bytes;
  if (!held_.empty()) {
    input = std::move(held_);
    held_.clear();
    input.append(bytes);
    s = input;
  }
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t esc = s.find(kEsc, i);
    if (esc == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, esc - i));
    size_t length = 0;
    switch (classify(s.substr(esc), length)) {
      case Verdict::kIncomplete:
        held_.assign(s.substr(esc));
        return out;
      case Verdict::kStrip:
        break;
      case Verdict::kKeep:
        out.append(s.substr(esc, length));
        break;
    }
    i = esc + length;
  }
  return out;
}

std::string QueryFilter::flush() {
  std::string out = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace bosun::term
