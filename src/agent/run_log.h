// RunLog: one run's output file (`<state>/logs/<agent>-<generation>.log`), written at the
// absolute offsets the holder gives, so a reattach that overlaps writes nothing twice.
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
  // Creates the file anew (mode 0600).
  Status create(const std::string& path);
  // Opens an existing file to go on writing; returns its size (what was recorded), nullopt
  // when it could not be opened.
  std::optional<uint64_t> reopen(const std::string& path);
  bool is_open() const { return static_cast<bool>(fd_); }
  // Writes `bytes` at `offset`; `written` says how many made it, also when it fails (a full
  // disk: ENOSPC, a file size limit: EFBIG).
  Status write_at(uint64_t offset, std::string_view bytes, size_t* written = nullptr);

  // Up to `max` bytes that end at `end` in the file at `path` (to redraw a screen after a
  // restart); empty when it cannot be read.
  static std::string tail(const std::string& path, uint64_t end, uint64_t max);

 private:
  UniqueFd fd_;
};

}  // namespace bosun
