// A body on its way through the service, kept in an unnamed private file (O_TMPFILE, mode 0600)
// rather than in memory: a download of hundreds of megabytes costs the service disk, not RAM,
// and nothing is left behind when the process dies. The sanitizer reads it mapped (view()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::icap {

class Spool {
 public:
  // An empty spool in `dir` (created 0700 when missing).
  static Result<Spool> open(const std::string& dir);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&& other) noexcept;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  Result<void> append(std::string_view bytes);
  std::uint64_t size() const { return size_; }
  // The whole body, mapped read-only; valid until the spool is appended to or destroyed.
  Result<std::string_view> view();

 private:
  Spool() = default;
  void unmap();
  int fd_ = -1;
  std::uint64_t size_ = 0;
  void* map_ = nullptr;
  std::uint64_t mapped_ = 0;
};

}  // namespace sanso::icap
