// The listening side: one thread per proxy connection (Squid keeps a few open and reuses them),
// a bound on how many, and an idle timeout so that a silent peer does not hold a thread.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/io.h"
#include "core/log.h"
#include "icap/icap.h"
#include "metrics/metrics.h"
#include "policy/network.h"

namespace sanso::icap {
namespace {

using Clock = std::chrono::steady_clock;

// A proxy connection. Each read waits at most [icap] idle_seconds (SO_RCVTIMEO) and, while a
// request is arriving, no longer than the request's own deadline: a client that sends a byte
// now and then never looks idle, so only a limit on the whole request cuts it.
class SocketSource final : public ByteSource {
 public:
  SocketSource(int fd, std::chrono::seconds idle, std::chrono::seconds request_limit) : fd_(fd), idle_(idle), request_limit_(request_limit) {}
  long read_some(char* out, std::size_t n) override {
    for (;;) {
      if (deadline_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - Clock::now());
        if (left.count() <= 0) {
          out_of_time_ = true;
          return -1;
        }
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::chrono::milliseconds>(left, idle_).count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
          out_of_time_ = Clock::now() >= *deadline_;
          return -1;  // idle for idle_seconds, or the request's time is up
        }
      }
      const ssize_t got = ::recv(fd_, out, n, 0);
      if (got < 0 && errno == EINTR) continue;
      return static_cast<long>(got);
    }
  }
  void request_began() override {
    if (!deadline_) deadline_ = Clock::now() + request_limit_;
  }
  void request_done() override { deadline_.reset(); }
  bool out_of_time() const override { return out_of_time_; }

 private:
  int fd_;
  std::chrono::milliseconds idle_;
  std::chrono::seconds request_limit_;
  std::optional<Clock::time_point> deadline_;
  bool out_of_time_ = false;
};

std::string address_text(const sockaddr_storage& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, text, sizeof text);
  if (a.ss_family == AF_INET6) ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, text, sizeof text);
  return text;
}

int port_of(const sockaddr_storage& a) {
  return ntohs(a.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(a).sin_port : reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
}

Result<int> listen_on(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return make_error("icap.listen", listen, "not host:port (e.g. 127.0.0.1:1344)");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return make_error("icap.listen", listen, std::string("not an address and port: ") + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("icap.listen", listen, std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error("icap.listen", listen, std::string("cannot listen: ") + std::strerror(err));
  }
  return fd;
}

// Ends a connection without losing the answer just sent. A close() with unread bytes from the
// proxy (the rest of a body over the limit) makes the kernel send a reset, and a reset can reach
// the proxy before it has read the answer — it would then see an error, not the block page. So
// the answer is followed by our end of the stream, and what the proxy still sends is read and
// dropped for a short while, never more than `kLingerMs`, before the socket is closed.
void close_gracefully(int fd) {
  constexpr int kLingerMs = 2000;
  ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMs);
  char sink[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t got = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;  // the proxy closed too, or the connection failed
  }
  ::close(fd);
}

}  // namespace

Result<std::vector<policy::Cidr>> allowed_peers(const config::IcapSettings& settings, std::string_view listen) {
  std::vector<policy::Cidr> allowed;
  for (const auto& text : settings.from) {
    auto c = policy::parse_cidr(text);
    if (!c) return make_error("icap.from", text, "not an address or network in [icap] from (e.g. \"192.0.2.7\" or \"10.0.0.0/24\")");
    allowed.push_back(*c);
  }
  for (const auto& text : settings.trusted_proxies) {
    if (auto c = policy::parse_cidr(text)) allowed.push_back(*c);
  }
  std::string_view host = listen.substr(0, listen.rfind(':'));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto address = policy::parse_ip(host);
  if (allowed.empty() && !(address && policy::is_loopback(*address))) {
    // Fail closed: an ICAP port open to a network without a list would take files from anyone.
    return make_error("icap.from", std::string(listen),
                      "the ICAP service listens beyond loopback, so [icap] from must name the proxies that may connect (e.g. from = [\"192.0.2.7\"])");
  }
  return allowed;
}

bool peer_allowed(const std::vector<policy::Cidr>& allowed, std::string_view peer) {
  const auto address = policy::parse_ip(peer);
  if (!address) return false;
  return policy::is_loopback(*address) || std::any_of(allowed.begin(), allowed.end(), [&](const policy::Cidr& c) { return c.contains(address->value); });
}

Result<void> run_server(Service& service, const std::string& listen, const std::atomic<bool>& stop, const std::function<void(const std::string&)>& ready) {
  const std::vector<policy::Cidr> allowed = SANSO_TRY(allowed_peers(service.settings().icap, listen));
  const int listener = SANSO_TRY(listen_on(listen));
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  if (ready) {
    const std::string host = address_text(bound);
    ready((bound.ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port_of(bound)));
  }
  struct Open {
    std::mutex mu;
    std::set<int> fds;
  };
  auto active = std::make_shared<std::atomic<long>>(0);
  auto open = std::make_shared<Open>();
  const long max_connections = static_cast<long>(service.settings().icap.max_connections);
  const long idle_seconds = static_cast<long>(service.settings().icap.idle_seconds);
  // The proxy's open connections are the service's queue: at max_connections it answers 503.
  metrics::Registry& registry = metrics::Registry::global();
  metrics::Gauge& connections = registry.gauge("sanso_icap_connections", "Proxy connections open now");
  metrics::Counter& refused = registry.counter("sanso_icap_connections_refused_total", "Proxy connections answered 503 at [icap] max_connections");
  metrics::Counter& refused_peer = registry.counter("sanso_icap_connections_forbidden_total", "Connections closed unserved: the peer is not loopback and not in [icap] from");
  const auto request_limit = std::chrono::seconds(service.settings().icap.request_seconds);
  while (!stop.load()) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (!peer_allowed(allowed, address_text(peer))) {
      ::close(fd);
      refused_peer.inc();
      log::warn("icap: connection from " + address_text(peer) + " refused: not loopback and not in [icap] from");
      continue;
    }
    if (active->load() >= max_connections) {
      static constexpr std::string_view kBusy = "ICAP/1.0 503 Service Overloaded\r\nConnection: close\r\nEncapsulated: null-body=0\r\n\r\n";
      send_all(fd, kBusy.data(), kBusy.size());
      ::close(fd);
      refused.inc();
      log::warn("icap: connection from " + address_text(peer) + " refused: [icap] max_connections reached");
      continue;
    }
    timeval idle{idle_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
    ++*active;
    connections.add(1);
    {
      std::lock_guard lock(open->mu);
      open->fds.insert(fd);
    }
    std::thread([&service, fd, active, open, connections = &connections, who = address_text(peer), idle_seconds, request_limit] {
      SocketSource source(fd, std::chrono::seconds(idle_seconds), request_limit);
      service.serve(source, [fd](std::string_view bytes) { return send_all(fd, bytes.data(), bytes.size()); }, who);
      {
        std::lock_guard lock(open->mu);
        open->fds.erase(fd);
      }
      close_gracefully(fd);
      connections->add(-1);
      --*active;
    }).detach();
  }
  ::close(listener);
  // Idle persistent connections end now (their next read sees the end); a request being answered
  // is finished and its answer sent. The service outlives them.
  {
    std::lock_guard lock(open->mu);
    for (int fd : open->fds) ::shutdown(fd, SHUT_RD);
  }
  for (int i = 0; i < 600 && active->load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return ok();
}

}  // namespace sanso::icap
