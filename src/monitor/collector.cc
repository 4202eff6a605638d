#include "monitor/collector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include "monitor/line_reader.h"

namespace sanso::monitor {
namespace {

constexpr std::size_t kMaxTcpClients = 256;
// One sender's share of the connections: a firewall or relay opens one or two. Without it a host
// that opens kMaxTcpClients connections and says nothing held every place, and no firewall's log
// got in (the listener was no longer even polled).
constexpr std::size_t kMaxTcpClientsPerPeer = 8;
// A connection silent this long gives its place up; and when every place is taken a new sender
// gets the place of the one heard from least recently, so silent connections cannot keep out
// one that talks.
constexpr auto kTcpIdle = std::chrono::minutes(5);
constexpr std::size_t kDatagramBytes = 65536;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<Fd> bind_socket(const std::string& where, int type) {
  std::string host, port;
  if (!where.empty() && where[0] == '[') {
    const auto close = where.find("]:");
    if (close == std::string::npos) return make_error("monitor.listen", where, "expected [address]:port");
    host = where.substr(1, close - 1);
    port = where.substr(close + 2);
  } else {
    const auto colon = where.rfind(':');
    if (colon == std::string::npos) return make_error("monitor.listen", where, "expected host:port, e.g. 0.0.0.0:5514");
    host = where.substr(0, colon);
    port = where.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = type;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return make_error("monitor.listen", where, std::string("not a numeric address and port: ") + gai_strerror(rc));
  }
  Fd fd(::socket(res->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.fd < 0) {
    freeaddrinfo(res);
    return make_error("monitor.listen", where, std::string("socket: ") + std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (type == SOCK_DGRAM) {
    const int big = 8 << 20;  // bursts of exporters: a larger receive buffer loses fewer datagrams
    setsockopt(fd.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  const int rc = ::bind(fd.fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) return make_error("monitor.listen", where, std::string("cannot bind: ") + std::strerror(errno));
  if (type == SOCK_STREAM && ::listen(fd.fd, 64) != 0) return make_error("monitor.listen", where, std::string("listen: ") + std::strerror(errno));
  return fd;
}

std::uint16_t port_of(const Fd& fd) {
  if (fd.fd < 0) return 0;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd.fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

Address128 address_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return policy::ipv4_mapped(ntohl(reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr));
  Address128 a = 0;
  if (ss.ss_family == AF_INET6) {
    for (unsigned char b : reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr.s6_addr) a = a << 8 | b;
  }
  return a;
}

struct TcpClient {
  Fd fd;
  std::string buffer;
  bool skipping = false;  // inside a line longer than kMaxLineBytes
  Address128 peer = 0;
  std::chrono::steady_clock::time_point heard;  // when it last sent something (or connected)
};

}  // namespace

struct Collector::State {
  CollectorOptions options;
  Fd syslog_udp, syslog_tcp, ipfix_udp;
  std::vector<TcpClient> clients;
  std::unique_ptr<FlowParser> udp_parser, tcp_parser;
  NetflowDecoder netflow;
};

Collector::Collector(std::unique_ptr<State> state) : state_(std::move(state)) {}
Collector::~Collector() = default;

Result<std::unique_ptr<Collector>> Collector::open(const CollectorOptions& o) {
  auto s = std::make_unique<State>();
  s->options = o;
  if (!o.syslog_udp.empty()) s->syslog_udp = SANSO_TRY(bind_socket(o.syslog_udp, SOCK_DGRAM));
  if (!o.syslog_tcp.empty()) s->syslog_tcp = SANSO_TRY(bind_socket(o.syslog_tcp, SOCK_STREAM));
  if (!o.ipfix_udp.empty()) s->ipfix_udp = SANSO_TRY(bind_socket(o.ipfix_udp, SOCK_DGRAM));
  if (s->syslog_udp.fd < 0 && s->syslog_tcp.fd < 0 && s->ipfix_udp.fd < 0) {
    return make_error("monitor.listen", "[monitor]", "no listener configured: set syslog_udp, syslog_tcp or ipfix_udp");
  }
  s->udp_parser = FlowParser::make(o.syslog_format, o.context);
  s->tcp_parser = FlowParser::make(o.syslog_format, o.context);
  return std::unique_ptr<Collector>(new Collector(std::move(s)));
}

std::uint16_t Collector::syslog_udp_port() const { return port_of(state_->syslog_udp); }
std::uint16_t Collector::syslog_tcp_port() const { return port_of(state_->syslog_tcp); }
std::uint16_t Collector::ipfix_udp_port() const { return port_of(state_->ipfix_udp); }

Result<void> Collector::run(const std::atomic<bool>& stop, const OnFlow& on_flow, const OnProblem& on_problem, const std::function<void()>& tick) {
  State& s = *state_;
  std::vector<char> datagram(kDatagramBytes);
  std::vector<Flow> flows;
  const Clock& clock = s.options.clock != nullptr ? *s.options.clock : system_clock();
  std::int64_t now = 0;
  auto read_clock = [&] {
    now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    s.udp_parser->set_now(now);
    s.tcp_parser->set_now(now);
  };
  read_clock();
  // Whoever can reach a listener can claim any time: one that has not come yet is replaced by
  // the time the flow arrived (kMaxFutureSkewSeconds).
  auto deliver = [&](Flow f, FlowSource from) {
    if (f.time > now + kMaxFutureSkewSeconds) {
      ++stats_.future_dated;
      if (stats_.future_dated <= 10) {
        on_problem(std::string(Collector::listener_names()[from.listener]) + " message " + std::to_string(from.sequence) + ": a flow claiming to start at " +
                   iso_utc(f.time) + ", in the future; taken as received at " + iso_utc(now));
      }
      f.time = now;
    }
    ++stats_.flows;
    on_flow(f, from);
  };
  auto syslog_message = [&](std::string_view message, FlowParser& parser, std::uint32_t listener) {
    // One datagram may hold several lines (some relays batch them).
    while (!message.empty()) {
      const auto nl = message.find('\n');
      std::string_view line = message.substr(0, nl);
      message = nl == std::string_view::npos ? std::string_view() : message.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      ++stats_.syslog_messages;
      Flow f;
      const LineResult r = parser.parse(line, f);
      if (r.verdict == Verdict::kFlow) {
        deliver(f, {listener, stats_.syslog_messages});
      } else if (r.verdict == Verdict::kMalformed) {
        ++stats_.malformed;
        if (stats_.malformed <= 100) on_problem(std::string(Collector::listener_names()[listener]) + " message " + std::to_string(stats_.syslog_messages) + ": " + r.reason);
      }
    }
  };
  auto tcp_dropped = [&](const std::string& why) {
    ++stats_.tcp_dropped;
    if (stats_.tcp_dropped <= 10) on_problem(why);
  };
  // A connection's end: what it sent without a final newline is its last message.
  auto drop_client = [&](std::size_t index) {
    TcpClient& c = s.clients[index];
    if (!c.buffer.empty() && !c.skipping) syslog_message(c.buffer, *s.tcp_parser, 1);
    s.clients.erase(s.clients.begin() + static_cast<std::ptrdiff_t>(index));
  };
  auto last_tick = std::chrono::steady_clock::now();
  while (!stop.load()) {
    std::vector<pollfd> fds;
    if (s.syslog_udp.fd >= 0) fds.push_back({s.syslog_udp.fd, POLLIN, 0});
    if (s.syslog_tcp.fd >= 0) fds.push_back({s.syslog_tcp.fd, POLLIN, 0});
    if (s.ipfix_udp.fd >= 0) fds.push_back({s.ipfix_udp.fd, POLLIN, 0});
    for (const TcpClient& c : s.clients) fds.push_back({c.fd.fd, POLLIN, 0});
    const int n = ::poll(fds.data(), fds.size(), 250);
    if (n < 0 && errno != EINTR) return make_error("monitor.listen", "poll", std::strerror(errno));
    read_clock();
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = std::chrono::steady_clock::now();
      if (tick) tick();
    }
    if (n <= 0) continue;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == s.syslog_udp.fd) {
        for (int burst = 0; burst < 256; ++burst) {
          const ssize_t got = ::recv(p.fd, datagram.data(), datagram.size(), 0);
          if (got < 0) break;
          syslog_message(std::string_view(datagram.data(), static_cast<std::size_t>(got)), *s.udp_parser, 0);
        }
      } else if (p.fd == s.ipfix_udp.fd) {
        for (int burst = 0; burst < 256; ++burst) {
          sockaddr_storage from{};
          socklen_t len = sizeof from;
          const ssize_t got = ::recvfrom(p.fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
          if (got < 0) break;
          ++stats_.ipfix_datagrams;
          flows.clear();
          const DatagramResult r = s.netflow.decode(std::span(reinterpret_cast<const std::uint8_t*>(datagram.data()), static_cast<std::size_t>(got)),
                                                    address_of(from), flows);
          stats_.records_without_template += r.records_without_template;
          for (const std::string& problem : r.problems) {
            ++stats_.malformed;
            if (stats_.malformed <= 100) on_problem("netflow/udp datagram " + std::to_string(stats_.ipfix_datagrams) + " from " + policy::format_ip(address_of(from)) + ": " + problem);
          }
          for (const Flow& f : flows) deliver(f, {2, stats_.ipfix_datagrams});
        }
      } else if (p.fd == s.syslog_tcp.fd) {
        for (int burst = 0; burst < 64; ++burst) {
          sockaddr_storage from{};
          socklen_t len = sizeof from;
          Fd c(::accept4(p.fd, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC | SOCK_NONBLOCK));
          if (c.fd < 0) break;
          const Address128 peer = address_of(from);
          const auto held = std::count_if(s.clients.begin(), s.clients.end(), [&](const TcpClient& t) { return t.peer == peer; });
          if (static_cast<std::size_t>(held) >= kMaxTcpClientsPerPeer) {
            tcp_dropped("syslog/tcp: " + policy::format_ip(peer) + " already holds " + std::to_string(held) + " connections; another one refused");
            continue;  // closed as `c` goes
          }
          if (s.clients.size() >= kMaxTcpClients) {
            const auto quiet = std::min_element(s.clients.begin(), s.clients.end(), [](const TcpClient& a, const TcpClient& b) { return a.heard < b.heard; });
            tcp_dropped("syslog/tcp: all " + std::to_string(kMaxTcpClients) + " connections taken; the one from " + policy::format_ip(quiet->peer) +
                        " heard from least recently is closed for " + policy::format_ip(peer));
            drop_client(static_cast<std::size_t>(quiet - s.clients.begin()));
          }
          s.clients.push_back(TcpClient{std::move(c), {}, false, peer, std::chrono::steady_clock::now()});
        }
      }
    }
    // TCP clients: newline-framed messages, each capped like a log line.
    for (std::size_t i = 0; i < s.clients.size();) {
      TcpClient& c = s.clients[i];
      bool closed = false;
      for (int burst = 0; burst < 16; ++burst) {
        const ssize_t got = ::recv(c.fd.fd, datagram.data(), datagram.size(), 0);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          closed = true;
          break;
        }
        if (got < 0) break;
        c.heard = std::chrono::steady_clock::now();
        std::string_view chunk(datagram.data(), static_cast<std::size_t>(got));
        while (!chunk.empty()) {
          const auto nl = chunk.find('\n');
          if (nl == std::string_view::npos) {
            if (!c.skipping) c.buffer.append(chunk);
            if (c.buffer.size() > kMaxLineBytes) {
              c.buffer.clear();
              c.skipping = true;
              ++stats_.malformed;
            }
            break;
          }
          if (!c.skipping) {
            c.buffer.append(chunk.substr(0, nl));
            syslog_message(c.buffer, *s.tcp_parser, 1);
          }
          c.buffer.clear();
          c.skipping = false;
          chunk.remove_prefix(nl + 1);
        }
      }
      if (!closed && std::chrono::steady_clock::now() - c.heard > kTcpIdle) {
        tcp_dropped("syslog/tcp: the connection from " + policy::format_ip(c.peer) + " has sent nothing for 5 minutes; closed");
        closed = true;
      }
      if (closed) {
        drop_client(i);
      } else {
        ++i;
      }
    }
  }
  return ok();
}

}  // namespace sanso::monitor
