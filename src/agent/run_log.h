// RunLog: one run's output file (`<state>/logs/<agent>-<generation>.log`), written at the
// absolute offsets the holder gives, so a reattach that overlaps writes nothing twice; and
// beside it the run's timing (`….timing`): when output arrived and the terminal's size, so
// the run can be played back as it happened (agent/run_export.h).
//
// Timing lines are text, one per millisecond in which output arrived and one per resize:
//   "<offset> <unix_ms>\n"                 output from <offset> on arrived at <unix_ms>
//   "<offset> <unix_ms> r <cols>x<rows>\n"  the terminal was resized there
// The first line of a run is its size at the start. Timing is best effort: a line that cannot
// be written costs the playback its pace, never the output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"
#include "util/unique_fd.h"

namespace bosun {

class RunLog {
 public:
  // Creates the file and its timing anew (mode 0600), the timing starting with the size.
  Status create(const std::string& path, int cols, int rows, int64_t now_ms);
  // Opens an existing file (and its timing) to go on writing; returns its size (what was
  // recorded), nullopt when it could not be opened.
  std::optional<uint64_t> reopen(const std::string& path);
  bool is_open() const { return static_cast<bool>(fd_); }
  // Writes `bytes` at `offset`, arrived at `now_ms`; `written` says how many made it, also
  // when it fails (a full disk: ENOSPC, a file size limit: EFBIG).
  Status write_at(uint64_t offset, std::string_view bytes, int64_t now_ms,
                  size_t* written = nullptr);
  // The terminal became cols×rows when the output had reached `offset`.
  void note_resize(uint64_t offset, int cols, int rows, int64_t now_ms);

  // Where the timing of the log at `log_path` is kept.
  static std::string timing_path(const std::string& log_path);

  // Up to `max` bytes that end at `end` in the file at `path` (to redraw a screen after a
  // restart); empty when it cannot be read.
  static std::string tail(const std::string& path, uint64_t end, uint64_t max);

 private:
  void write_timing(const std::string& line);

  UniqueFd fd_;
  UniqueFd timing_fd_;
  int64_t last_ms_ = -1;  // the time of the last output line in the timing
};

}  // namespace bosun
