// RunExport: one terminal run as a person takes it away — the text it left (what scrolled by,
// then the last screen) or an asciicast v2 recording that plays back at the pace it ran,
// made from the run's log and its timing (agent/run_log.h).
#pragma once

#include <cstdint>
#include <string>

#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct RunRecording {
  std::string log_path;
  uint64_t end_offset = 0;    // bytes recorded
  Json gaps = Json::array();  // [[from, to, why], …] output never recorded
  int cols = 120;             // the size when the timing says none
  int rows = 40;
  int64_t started_at_ms = 0;
  std::string title;    // "bosun agent kai, run 3"
  std::string command;  // the program and its arguments, for the header
};

// The run as plain UTF-8 text: each row as it scrolled off the top, then the last screen
// (trailing blank rows dropped), replayed through the same terminal model the daemon uses,
// resizes included. A program on the alternate screen (a full-screen TUI) leaves only the
// screens it drew there: such programs redraw in place and never scroll.
Result<std::string> run_text(const RunRecording& run);

// The run as an asciicast v2 file: a header {version 2, width, height, timestamp, title,
// command, env.TERM} and one ["seconds", "o", text] event per burst of output, "r" events for
// resizes and "m" markers where output was lost. Text is valid UTF-8 (a sequence split
// between bursts is kept whole). A run recorded without timing plays all at once.
Result<std::string> run_asciicast(const RunRecording& run);

}  // namespace bosun
