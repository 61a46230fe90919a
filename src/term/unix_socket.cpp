// Unix sockets: path checks, stale-socket replacement and a 0600 bind.
#include "term/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace bosun::term {
namespace {

Result<sockaddr_un> make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return bad_request("bad_socket_path", "socket path must be 1.." +
                                              std::to_string(sizeof addr.sun_path - 1) +
                                              " bytes: '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Result<UniqueFd> connect_unix(const std::string& path) {
  auto addr = make_address(path);
  if (!addr) return tl::unexpected(addr.error());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return internal("socket_failed", errno_message("socket", errno));
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    if (err == ECONNREFUSED || err == ENOENT) {
      return not_found("holder_not_found", errno_message("connect " + path, err));
    }
    return internal("connect_failed", errno_message("connect " + path, err));
  }
  return fd;
}

Result<UniqueFd> listen_unix(const std::string& path) {
  auto addr = make_address(path);
  if (!addr) return tl::unexpected(addr.error());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return conflict("socket_path_taken", path + " exists and is not a socket");
    }
    auto live = connect_unix(path);
    if (live) return conflict("socket_in_use", "a live holder is serving " + path);
    if (live.error().code != "holder_not_found") return tl::unexpected(live.error());
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return internal("unlink_failed", errno_message("unlink stale " + path, errno));
    }
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return internal("socket_failed", errno_message("socket", errno));
  // The file's mode comes from the umask at bind time; narrow it so the socket is born 0600.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  int err = errno;
  ::umask(old_mask);
  if (rc != 0) return internal("bind_failed", errno_message("bind " + path, err));
  if (::listen(fd.get(), 16) != 0) {
    err = errno;
    ::unlink(path.c_str());
    return internal("listen_failed", errno_message("listen " + path, err));
  }
  return fd;
}

}  // namespace bosun::term
