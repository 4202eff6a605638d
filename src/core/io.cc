#include "core/io.h"

#include <sys/socket.h>

#include <cerrno>

namespace sanso {

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
