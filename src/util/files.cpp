// Files: whole-file reads and atomic writes.
#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/ids.h"
#include "util/unique_fd.h"

namespace bosun {

Result<std::string> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return not_found("file_not_found", "no file " + path.string());
    return internal("read_failed", errno_message("open " + path.string(), err));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return internal("read_failed", errno_message("read " + path.string(), errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  auto tmp = path;
  tmp += ".tmp-" + new_id("", 6);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return internal("write_failed", errno_message("create " + tmp.string(), errno));
  ::fchmod(fd.get(), mode);  // the umask may have narrowed it
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlink(tmp.c_str());
      return internal("write_failed", errno_message("write " + tmp.string(), err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return internal("write_failed", errno_message("write " + path.string(), err));
  }
  return {};
}

Status make_dirs(const std::filesystem::path& path, mode_t mode) {
  std::filesystem::path partial;
  for (const auto& part : path) {
    partial /= part;
    if (partial.empty() || partial == "/") continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return internal("mkdir_failed", errno_message("mkdir " + partial.string(), errno));
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return internal("mkdir_failed", path.string() + " is not a directory");
  }
  return {};
}

}  // namespace bosun
