// RunLog: pwrite at absolute offsets; the tail read back for a screen.
#include "agent/run_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bosun {

Status RunLog::create(const std::string& path) {
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd_) return internal("log_failed", errno_message("cannot create log " + path, errno));
  return {};
}

std::optional<uint64_t> RunLog::reopen(const std::string& path) {
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  struct stat st {};
  if (!fd_ || ::fstat(fd_.get(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

Status RunLog::write_at(uint64_t offset, std::string_view bytes, size_t* written) {
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
