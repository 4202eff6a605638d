// Postfix's smtp-sink as a real SMTP server for tests: listens on a free 127.0.0.1 port and dumps
// every message it accepts (with X-Mail-Args / X-Rcpt-Args envelope lines) into a directory.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sanso::testing {

// A loopback TCP port for a test's server, reserved for the life of this test process.
//
// Asking the kernel for port 0 and handing the number on let two tests running at once (ctest -j)
// pick the same port, and any client socket could take it from the ephemeral range before the
// server bound it: a milter that never listened and a Postfix answering 451. So ports come from
// below the kernel's ephemeral range, each claimed by a lock file every test process honours
// (flock, released when the process ends), and only if nothing listens on it now.
inline int free_tcp_port() {
  static std::mutex mutex;
  std::lock_guard guard(mutex);
  int low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> low;
  const int first = 10000, last = std::max(first + 1000, low) - 1;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sanso-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::all, ec);
  static std::mt19937 pick(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  const int span = last - first + 1;
  const int start = static_cast<int>(pick() % static_cast<unsigned>(span));
  for (int n = 0; n < span; ++n) {
    const int port = first + (start + n) % span;
    const std::string lock_path = (dir / (std::to_string(port) + ".lock")).string();
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0) continue;
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock);
      continue;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
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
  return 0;
}

class SmtpSink {
 public:
  explicit SmtpSink(std::filesystem::path dump_dir) : dir_(std::move(dump_dir)) {
    std::filesystem::create_directories(dir_);
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    port_ = free_tcp_port();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string pattern = (dir_ / "%M.").string();
    pid_ = fork();
    if (pid_ == 0) {
      if (geteuid() == 0) {
        execl("/usr/sbin/smtp-sink", "smtp-sink", "-u", "nobody", "-d", pattern.c_str(), listen.c_str(), "10", nullptr);
      } else {
        execl("/usr/sbin/smtp-sink", "smtp-sink", "-d", pattern.c_str(), listen.c_str(), "10", nullptr);
      }
      _exit(127);
    }
    for (int i = 0; i < 100 && !accepting(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool accepting() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  std::string relay() const { return "127.0.0.1:" + std::to_string(port_); }

  // Every dumped message, waiting briefly for the sink to finish writing.
  std::vector<std::string> messages(std::size_t expected) const {
    std::vector<std::string> out;
    for (int i = 0; i < 100; ++i) {
      out.clear();
      for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        out.push_back(s.str());
      }
      if (out.size() >= expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sanso::testing
