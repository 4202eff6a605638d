// Postfix's smtp-sink as a real SMTP server for tests: listens on a free 127.0.0.1 port and dumps
// every message it accepts (with X-Mail-Args / X-Rcpt-Args envelope lines) into a directory.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/free_port.h"

namespace sanso::testing {

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
