// A private rsyslogd for tests (Debian's rsyslog): UDP and TCP inputs on loopback ports of its own,
// writing every line it receives, as RFC 5424, to a file the test reads. available() says whether it
// started (rsyslogd missing → false, with why()).
#pragma once

#include <arpa/inet.h>
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

#include "support/free_port.h"

namespace sanso::testing {

class RsyslogServer {
 public:
  explicit RsyslogServer(const std::filesystem::path& dir) : dir_(dir) {
    const char* daemon = "/usr/sbin/rsyslogd";
    if (::access(daemon, X_OK) != 0) {
      why_ = "rsyslogd is not installed (Debian's rsyslog; scripts/install-deps.sh installs it)";
      return;
    }
    std::filesystem::create_directories(dir_);
    udp_port_ = free_port(SOCK_DGRAM);
    tcp_port_ = free_port(SOCK_STREAM);
    std::ofstream(dir_ / "rsyslog.conf") << "global(workDirectory=\"" << dir_.string() << "\")\n"
                                         << "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n"
                                         << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udp_port_ << "\")\n"
                                         << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp_port_ << "\")\n"
                                         << "*.* action(type=\"omfile\" file=\"" << (dir_ / "received.log").string()
                                         << "\" template=\"RSYSLOG_SyslogProtocol23Format\")\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(daemon, daemon, "-n", "-f", (dir_ / "rsyslog.conf").c_str(), "-i", (dir_ / "rsyslogd.pid").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (accepts(tcp_port_)) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    why_ = "rsyslogd did not start listening within 10 s";
  }
  ~RsyslogServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  RsyslogServer(const RsyslogServer&) = delete;
  RsyslogServer& operator=(const RsyslogServer&) = delete;

  bool available() const { return ready_; }
  const std::string& why() const { return why_; }
  int udp_port() const { return udp_port_; }
  int tcp_port() const { return tcp_port_; }

  // What it has written so far.
  std::string received() const {
    std::ifstream in(dir_ / "received.log", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits (10 s at most) until what it has written contains `text`.
  std::string wait_for(const std::string& text) const {
    std::string got;
    for (int i = 0; i < 100; ++i) {
      got = received();
      if (got.find(text) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
  }

 private:
  static int free_port(int type) { return sanso::testing::free_port(type); }
  static bool accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  std::string why_;
  int udp_port_ = 0;
  int tcp_port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace sanso::testing
