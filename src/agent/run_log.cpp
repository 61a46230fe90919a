// RunLog: pwrite at absolute offsets; the tail read back for a screen.
#include "agent/run_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace bosun {

std::string RunLog::timing_path(const std::string& log_path) {
  std::string_view base = log_path;
  if (base.size() > 4 && base.substr(base.size() - 4) == ".log") base.remove_suffix(4);
  return std::string(base) + ".timing";
}

Status RunLog::create(const std::string& path, int cols, int rows, int64_t now_ms) {
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd_) return internal("log_failed", errno_message("cannot create log " + path, errno));
  timing_fd_.reset(
      ::open(timing_path(path).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  last_ms_ = -1;
  note_resize(0, cols, rows, now_ms);
  return {};
}

void RunLog::write_timing(const std::string& line) {
  if (!timing_fd_) return;
  ssize_t n;
  do {
    n = ::write(timing_fd_.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
}

void RunLog::note_resize(uint64_t offset, int cols, int rows, int64_t now_ms) {
  write_timing(fmt::format("{} {} r {}x{}\n", offset, now_ms, cols, rows));
}

std::optional<uint64_t> RunLog::reopen(const std::string& path) {
  timing_fd_.reset(
      ::open(timing_path(path).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  last_ms_ = -1;
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  struct stat st {};
  if (!fd_ || ::fstat(fd_.get(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

Status RunLog::write_at(uint64_t offset, std::string_view bytes, int64_t now_ms, size_t* written) {
  if (now_ms != last_ms_) {
    last_ms_ = now_ms;
    write_timing(fmt::format("{} {}\n", offset, now_ms));
  }
  size_t done = 0;
  Status result;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_.get(), bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      result = internal("log_write_failed", std::strerror(errno));
      break;
    }
    if (n == 0) {
      result = internal("log_write_failed", "the disk took no more bytes");
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (written) *written = done;
  return result;
}

std::string RunLog::tail(const std::string& path, uint64_t end, uint64_t max) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  uint64_t from = end > max ? end - max : 0;
  std::string buf(end - from, '\0');
  ssize_t n = in ? ::pread(in.get(), buf.data(), buf.size(), static_cast<off_t>(from)) : -1;
  if (n <= 0) return {};
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace bosun
