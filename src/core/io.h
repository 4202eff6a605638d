// Writing whole buffers to sockets: short writes and EINTR handled, and no SIGPIPE when the peer
// has gone (the caller gets false and decides, instead of the process dying).
#pragma once

#include <cstddef>

namespace sanso {

// Sends `n` bytes on a connected socket; false when the connection failed or closed.
bool send_all(int fd, const char* data, std::size_t n);

}  // namespace sanso
