#include "icap/spool.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/private_file.h"

namespace sanso::icap {

Result<Spool> Spool::open(const std::string& dir) {
  SANSO_TRY(create_private_directories(dir));
  Spool s;
  s.fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (s.fd_ < 0) return make_error("icap.spool", dir, std::string("cannot create a private temporary file for a body: ") + std::strerror(errno));
  return s;
}

Spool::Spool(Spool&& other) noexcept { *this = std::move(other); }

Spool& Spool::operator=(Spool&& other) noexcept {
  if (this != &other) {
    unmap();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
    map_ = std::exchange(other.map_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

Spool::~Spool() {
  unmap();
  if (fd_ >= 0) ::close(fd_);
}

void Spool::unmap() {
  if (map_ != nullptr) ::munmap(map_, mapped_);
  map_ = nullptr;
  mapped_ = 0;
}

Result<void> Spool::append(std::string_view bytes) {
  unmap();
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("icap.spool", "spool", std::string("cannot write a body to its temporary file: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return ok();
}

Result<std::string_view> Spool::view() {
  if (size_ == 0) return std::string_view();
  if (map_ == nullptr) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) return make_error("icap.spool", "spool", std::string("cannot map a spooled body: ") + std::strerror(errno));
    map_ = p;
    mapped_ = size_;
  }
  return std::string_view(static_cast<const char*>(map_), size_);
}

}  // namespace sanso::icap
