// A syslog server of the test's own: a UDP socket on loopback that core/log is configured to send
// its RFC 5424 lines to (info and above, audit lines off), so that a test reads back the line a
// request or a decision left. Restores stderr-only logging when it goes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "core/log.h"

namespace sanso::testing {

class UdpLogSink {
 public:
  UdpLogSink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "no loopback UDP socket for the log";
      return;
    }
    log::Settings s;
    s.syslog = "udp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    s.audit = false;
    s.level = log::Level::kWarn;
    s.hostname = "gw-test";
    auto configured = log::configure(s);
    EXPECT_TRUE(configured) << configured.error().to_string();
  }
  ~UdpLogSink() {
    log::Settings back;
    back.level = log::Level::kWarn;
    (void)log::configure(back);
    if (fd_ >= 0) ::close(fd_);
  }
  UdpLogSink(const UdpLogSink&) = delete;
  UdpLogSink& operator=(const UdpLogSink&) = delete;

  // The next line of event `event` that contains `wanted` (others are passed over); "" when none
  // came within a few seconds.
  std::string line(const std::string& event, const std::string& wanted) {
    for (int i = 0; i < 200; ++i) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return "";
      char buf[9000];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return "";
      std::string got(buf, static_cast<std::size_t>(n));
      if (got.find(" " + event + " ") != std::string::npos && got.find(wanted) != std::string::npos) return got;
    }
    return "";
  }

 private:
  int fd_ = -1;
};

}  // namespace sanso::testing
