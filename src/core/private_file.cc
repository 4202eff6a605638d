#include "core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sanso {

Result<void> create_private_directories(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return ok();
  fs::path p = fs::path(path).lexically_normal();
  fs::path built;
  for (const auto& part : p) {
    built /= part;
    if (part.empty() || part == "/") continue;
    if (::mkdir(built.c_str(), 0700) == 0 || errno == EEXIST) continue;
    return make_error("io.mkdir", built.string(), std::string("cannot create the directory: ") + std::strerror(errno));
  }
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return make_error("io.mkdir", path, "exists and is not a directory");
  return ok();
}

Result<void> write_private_file(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("io.write", path, std::string("cannot create the file: ") + std::strerror(errno));
  // Narrow first, truncate second: not one byte of the new content is ever readable by others.
  // A pipe or a terminal (-o /dev/stdout) is written as it is.
  struct stat st {};
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (regular && (::fchmod(fd, 0600) != 0 || ::ftruncate(fd, 0) != 0)) {
    int e = errno;
    ::close(fd);
    return make_error("io.write", path, std::string("cannot make the file private: ") + std::strerror(e));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return make_error("io.write", path, std::string("write failed: ") + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return make_error("io.write", path, std::string("write failed: ") + std::strerror(errno));
  return ok();
}

Result<void> replace_private_file(const std::string& path, std::string_view bytes) {
  // One writer per process at a time writes a given file here; the pid keeps processes apart.
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  SANSO_TRY(write_private_file(tmp, bytes));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return make_error("io.write", path, std::string("cannot replace the file: ") + std::strerror(e));
  }
  return ok();
}

Result<void> make_private(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ok();
  if ((st.st_mode & 077) == 0) return ok();
  if (::chmod(path.c_str(), st.st_mode & 0700) != 0) {
    return make_error("io.chmod", path, std::string("cannot make the file private (chmod 600): ") + std::strerror(errno));
  }
  return ok();
}

}  // namespace sanso
