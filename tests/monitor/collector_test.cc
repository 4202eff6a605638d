// The collector as a hostile network meets it: a service that runs for months (its clock moves
// on), senders that claim any time they like, and peers that open connections and say nothing.
// Real sockets on loopback, the collector's own thread, a clock the test moves.
#include "monitor/collector.h"

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sanso::monitor {
namespace {

std::int64_t utc(std::int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0) { return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60; }

class MovableClock final : public Clock {
 public:
  explicit MovableClock(std::int64_t seconds) : seconds_(seconds) {}
  void set(std::int64_t seconds) { seconds_.store(seconds); }
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::time_point(std::chrono::seconds(seconds_.load())); }
  Date today() const override { return Date{}; }

 private:
  std::atomic<std::int64_t> seconds_;
};

// A collector on loopback in a thread of its own; the flows it hands over.
class RunningCollector {
 public:
  explicit RunningCollector(CollectorOptions options) {
    auto opened = Collector::open(options);
    if (!opened) {
      error_ = opened.error().to_string();
      return;
    }
    collector_ = std::move(*opened);
    thread_ = std::thread([this] {
      (void)collector_->run(
          stop_,
          [this](const Flow& f, FlowSource) {
            std::lock_guard lock(mutex_);
            flows_.push_back(f);
          },
          [](const std::string&) {}, nullptr);
    });
  }
  ~RunningCollector() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  const std::string& error() const { return error_; }
  Collector& collector() { return *collector_; }
  // Waits (up to 10 s) until `count` flows have come.
  std::vector<Flow> flows(std::size_t count) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard lock(mutex_);
        if (flows_.size() >= count) return flows_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(mutex_);
    return flows_;
  }

 private:
  std::unique_ptr<Collector> collector_;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Flow> flows_;
};

sockaddr_in loopback(std::uint16_t port, const char* address = "127.0.0.1") {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, address, &a.sin_addr);
  return a;
}

void send_udp(std::uint16_t port, const std::string& message) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in to = loopback(port);
  ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  ::close(fd);
}

// A syslog/UDP listener on loopback as `sanso monitor listen` opens it: the parsers' now is the
// time it started; the clock is the test's.
CollectorOptions syslog_udp_on(const MovableClock& clock, std::int64_t started) {
  CollectorOptions o;
  o.syslog_udp = "127.0.0.1:0";
  o.context.now = started;
  o.clock = &clock;
  return o;
}

const std::string kPacketFields = "IN=eth0 OUT=eth1 SRC=10.0.0.1 DST=192.0.2.9 LEN=60 PROTO=TCP SPT=40000 DPT=443";
const std::string kPacketLog = " fw kernel: [FW DROP] " + kPacketFields;

TEST(MonitorCollector, Rfc3164TimesTakeTheYearOfTheCollectorsClockNotOfItsStart) {
  const std::int64_t started = utc(2026, 12, 5, 12);
  MovableClock clock(started);
  RunningCollector c(syslog_udp_on(clock, started));
  ASSERT_EQ(c.error(), "");
  // Two days later a firewall logs "Dec  7": this December, not last year's.
  clock.set(utc(2026, 12, 7, 12));
  send_udp(c.collector().syslog_udp_port(), "<4>Dec  7 11:00:00" + kPacketLog);
  auto flows = c.flows(1);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].time, utc(2026, 12, 7, 11));
  // Into the new year: "Jan 10" is the January that has just come.
  clock.set(utc(2027, 1, 10, 12));
  send_udp(c.collector().syslog_udp_port(), "<4>Jan 10 11:00:00" + kPacketLog);
  flows = c.flows(2);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[1].time, utc(2027, 1, 10, 11));
}

TEST(MonitorCollector, AKernelLogRecordIsDatedWhenItArrivesNotWhenTheCollectorStarted) {
  const std::int64_t started = utc(2026, 12, 5, 12);
  MovableClock clock(started);
  RunningCollector c(syslog_udp_on(clock, started));
  ASSERT_EQ(c.error(), "");
  clock.set(started + 7200);
  send_udp(c.collector().syslog_udp_port(), "4,1234,5678,-;" + kPacketFields);
  const auto flows = c.flows(1);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].time, started + 7200);
}

TEST(MonitorCollector, AFlowClaimingAFutureTimeIsDatedWhenItArrived) {
  const std::int64_t now = utc(2026, 12, 5, 12);
  MovableClock clock(now);
  RunningCollector c(syslog_udp_on(clock, now));
  ASSERT_EQ(c.error(), "");
  // Forged: ten years ahead (it would carry 10.0.0.1's volume bucket past all its real flows).
  send_udp(c.collector().syslog_udp_port(), "<4>1 2036-12-05T12:00:00Z fw kernel - - - " + kPacketFields);
  // Within the allowed drift: kept as claimed.
  send_udp(c.collector().syslog_udp_port(), "<4>1 2026-12-05T12:04:00Z fw kernel - - - " + kPacketFields);
  const auto flows = c.flows(2);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].time, now);
  EXPECT_EQ(flows[1].time, now + 240);
  c.stop();
  EXPECT_EQ(c.collector().stats().future_dated, 1u);
}

// A TCP connection to the collector from a loopback address of the test's choice (127.0.0.0/8 is
// all loopback): so many senders, one machine.
int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in from = loopback(0, source);
  const sockaddr_in to = loopback(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

CollectorOptions syslog_tcp_on_loopback() {
  CollectorOptions o;
  o.syslog_tcp = "127.0.0.1:0";
  return o;
}

// `count` connections, the i-th from source(i); fewer when one could not connect.
std::vector<int> connections(std::uint16_t port, int count, const std::function<std::string(int)>& source) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = connect_from(source(i).c_str(), port);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  return fds;
}

// How many of `fds` the other side has closed: waits up to `wait` for `expected` of them, then
// 300 ms more for any beyond.
std::size_t closed_by_peer(const std::vector<int>& fds, std::size_t expected, std::chrono::milliseconds wait) {
  std::vector<bool> closed(fds.size(), false);
  std::size_t count = 0;
  auto deadline = std::chrono::steady_clock::now() + wait;
  bool settling = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> p;
    for (int fd : fds) p.push_back({fd, POLLIN, 0});
    ::poll(p.data(), p.size(), 50);
    for (std::size_t i = 0; i < p.size(); ++i) {
      char b;
      if (!closed[i] && (p[i].revents & (POLLIN | POLLHUP)) != 0 && ::recv(fds[i], &b, 1, MSG_DONTWAIT) == 0) {
        closed[i] = true;
        ++count;
      }
    }
    if (count >= expected && !settling) {
      settling = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    }
  }
  return count;
}

TEST(MonitorCollector, OneSenderGetsOnlyItsShareOfTheTcpConnections) {
  RunningCollector c(syslog_tcp_on_loopback());
  ASSERT_EQ(c.error(), "");
  const std::vector<int> fds = connections(c.collector().syslog_tcp_port(), 12, [](int) { return std::string("127.0.0.2"); });
  ASSERT_EQ(fds.size(), 12u);
  // Eight stay open; the other four are closed by the collector.
  EXPECT_EQ(closed_by_peer(fds, 4, std::chrono::milliseconds(3000)), 4u);
  for (int fd : fds) ::close(fd);
  c.stop();
  EXPECT_GE(c.collector().stats().tcp_dropped, 4u);
}

TEST(MonitorCollector, SilentConnectionsFromManySendersDoNotKeepAFirewallOut) {
  RunningCollector c(syslog_tcp_on_loopback());
  ASSERT_EQ(c.error(), "");
  // 300 connections that say nothing, from 40 addresses (within each one's share).
  const std::vector<int> silent = connections(c.collector().syslog_tcp_port(), 300, [](int i) { return "127.0.1." + std::to_string(10 + i % 40); });
  ASSERT_EQ(silent.size(), 300u);
  // The firewall connects after them all, and its log is read.
  const int firewall = connect_from("127.0.0.1", c.collector().syslog_tcp_port());
  ASSERT_GE(firewall, 0);
  const std::string line = "<4>1 2026-12-05T12:00:00Z fw kernel - - - " + kPacketFields + "\n";
  ASSERT_EQ(::send(firewall, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  const auto flows = c.flows(1);
  EXPECT_EQ(flows.size(), 1u) << "the firewall's message was never read";
  ::close(firewall);
  for (int fd : silent) ::close(fd);
}

}  // namespace
}  // namespace sanso::monitor
