// File descriptors and whole-buffer writes: short writes and EINTR handled; on sockets no SIGPIPE
// when the peer has gone (the caller gets false and decides, instead of the process dying).
#pragma once

#include <cstddef>
#include <utility>

namespace sanso {

// Owns one descriptor and closes it on every way out.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Writes `n` bytes to a file or pipe; false (errno set) when it could not.
bool write_all(int fd, const void* data, std::size_t n);

// Reads up to `n` bytes of a file from `offset`, through short reads and EINTR: how many were read
// (fewer than `n` only where the file ends), or -1 (errno set).
long long pread_full(int fd, void* data, std::size_t n, long long offset);

// Sends `n` bytes on a connected socket; false when the connection failed or closed.
bool send_all(int fd, const char* data, std::size_t n);

}  // namespace sanso
