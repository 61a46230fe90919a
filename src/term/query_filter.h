// QueryFilter: removes from a program's output the terminal queries that the daemon's
// terminal model already answers, so a second terminal showing the same output (the user's,
// under `bosun agent attach`) does not answer them again.
#pragma once

#include <string>
#include <string_view>

namespace bosun::term {

// The queries removed are exactly those term::Screen answers (a unit test holds the two
// together): device status (CSI 5 n, CSI 6 n, CSI ? 6 n), primary and secondary device
// attributes (CSI c, CSI 0 c, CSI > c, CSI > 0 c), DEC private mode requests (CSI ? Pn $ p) and
// setting requests (DCS $ q … ST). Every other byte passes through unchanged and in order. An
// escape sequence split between two feeds is held back (at most kMaxHeld bytes) until it is
// complete; pending() says whether bytes are held, flush() hands them over unfiltered.
class QueryFilter {
 public:
  static constexpr size_t kMaxHeld = 256;

  std::string feed(std::string_view bytes);
  std::string flush();
  bool pending() const { return !held_.empty(); }

 private:
  enum class Verdict { kIncomplete, kStrip, kKeep };
  // Classifies the escape sequence at the start of `s` (s[0] == ESC); sets `length`.
  static Verdict classify(std::string_view s, size_t& length);

  std::string held_;
};

}  // namespace bosun::term
