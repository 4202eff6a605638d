#include "core/io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sanso {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

long long pread_full(int fd, void* data, std::size_t n, long long offset) {
  char* p = static_cast<char*>(data);
  std::size_t have = 0;
  while (have < n) {
    const ssize_t got = ::pread(fd, p + have, n - have, static_cast<off_t>(offset + static_cast<long long>(have)));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) break;
    have += static_cast<std::size_t>(got);
  }
  return static_cast<long long>(have);
}

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t written = ::write(fd, p, n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    p += written;
    n -= static_cast<std::size_t>(written);
  }
  return true;
}

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t sent = ::send(fd, p, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    p += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

}  // namespace sanso
