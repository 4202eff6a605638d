// Ports for the servers tests start (Postfix, smtp-sink, slapd, rsyslogd, the milter…): see free_port.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>

namespace sanso::testing {

// A port for a test's server (`type`: SOCK_STREAM or SOCK_DGRAM), reserved for the life of this
// test process.
//
// Asking the kernel for port 0 and handing the number on let two tests running at once (ctest -j)
// pick the same port, and any client socket could take it from the ephemeral range before the
// server bound it: a milter that never listened and a Postfix answering 451. So ports come from
// below the kernel's ephemeral range, each claimed by a lock file every test process honours
// (flock, released when the process ends; tests/support/free-port.sh for the shell tests), and only
// if nothing listens on it now.
inline int free_port(int type) {
  static std::mutex mutex;
  std::lock_guard guard(mutex);
  int low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> low;
  const int first = 10000, last = std::max(first + 1000, low) - 1;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sanso-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // Sticky, as /tmp is: no other user can remove a held lock file (two processes would then lock
  // two inodes of one name) or plant a link for root to create a file through.
  std::filesystem::permissions(dir, std::filesystem::perms::all | std::filesystem::perms::sticky_bit, ec);
  static std::mt19937 pick(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  const int span = last - first + 1;
  const int start = static_cast<int>(pick() % static_cast<unsigned>(span));
  for (int n = 0; n < span; ++n) {
    const int port = first + (start + n) % span;
    const std::string lock_path = (dir / (std::to_string(port) + ".lock")).string();
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (lock < 0) continue;
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock);
      continue;
    }
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    const int one = 1;
    // As a TCP server binds: a connection of an earlier test lingering in TIME_WAIT is no owner.
    if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (!free) {
      ::close(lock);
      continue;
    }
    return port;  // the lock stays held (its descriptor open) until the process ends
  }
  std::fprintf(stderr, "free_port: no free port between %d and %d\n", first, last);
  std::abort();
}

inline int free_tcp_port() { return free_port(SOCK_STREAM); }

}  // namespace sanso::testing
