#include "web/guarded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "config/config.h"

namespace sanso::web {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events` or `deadline` passes; a hang-up or error counts as ready
// (the next read or write reports it).
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (rc != 0 || ::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                               NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    ip.clear();
    port = 0;
    return;
  }
  ip = config::canonical_ip(host).value_or(host);
  port = std::atoi(serv);
}

// One connection, plain or TLS, on a non-blocking socket: every read waits at most until the
// current request's deadline, so a request cannot be stretched by trickling bytes (with a
// blocking socket a TLS record read one byte at a time would wait inside OpenSSL, unbounded).
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int fd, SSL* ssl, const ConnectionLimits& limits) : fd_(fd), ssl_(ssl), limits_(limits) {
    address_of(fd, true, remote_ip_, remote_port_);
    address_of(fd, false, local_ip_, local_port_);
  }

  void set_request_deadline(Clock::time_point deadline) { request_deadline_ = deadline; }
  // A read ran out of time or failed: the library answers 400 and would wait for another request
  // on the same connection; a client that could not send one request in time gets no second.
  bool read_failed() const { return read_failed_; }
  bool has_buffered() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

  bool is_readable() const override { return has_buffered() || wait_for(fd_, POLLIN, read_deadline()); }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, Clock::now() + limits_.write); }

  ssize_t read(char* ptr, size_t size) override {
    ssize_t n = transfer(
        [&](int want) { return SSL_read(ssl_, ptr, want); }, [&] { return ::recv(fd_, ptr, size, 0); }, POLLIN, size,
        [this] { return read_deadline(); });
    if (n < 0) read_failed_ = true;
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    const auto deadline = Clock::now() + limits_.write;
    return transfer(
        [&](int want) { return SSL_write(ssl_, ptr, want); }, [&] { return ::send(fd_, ptr, size, MSG_NOSIGNAL); }, POLLOUT, size,
        [deadline] { return deadline; });
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return fd_; }
  const std::string& remote_ip() const { return remote_ip_; }

 private:
  Clock::time_point read_deadline() const { return std::min(request_deadline_, Clock::now() + limits_.read); }

  // One read or write over TLS or the bare socket, waiting (until `deadline()`) whenever the
  // non-blocking socket is not ready; bytes moved, 0 at the end of the stream, -1 on failure.
  template <class Tls, class Plain, class Deadline>
  ssize_t transfer(Tls tls, Plain plain, short plain_events, size_t size, Deadline deadline) {
    const int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
    for (;;) {
      short events = plain_events;
      if (ssl_ != nullptr) {
        int n = tls(want);
        if (n > 0) return n;
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      } else {
        ssize_t n = plain();
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      }
      if (events == 0 || !wait_for(fd_, events, deadline())) return -1;
    }
  }

  int fd_;
  SSL* ssl_;
  const ConnectionLimits& limits_;
  Clock::time_point request_deadline_ = Clock::now();
  bool read_failed_ = false;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

// The TLS handshake, within the deadline of the connection's first request.
bool handshake(int fd, SSL* ssl, Clock::time_point deadline) {
  for (;;) {
    int r = SSL_accept(ssl);
    if (r == 1) return true;
    int err = SSL_get_error(ssl, r);
    short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0 || !wait_for(fd, events, deadline)) return false;
  }
}

}  // namespace

Result<TlsContext> load_tls_context(const std::string& cert_file, const std::string& key_file) {
  TlsContext ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return make_error("web.tls", cert_file, "cannot create a TLS context (OpenSSL)");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1) {
    return make_error("web.tls", cert_file, "cannot load the TLS certificate and key ([web] tls_cert, tls_key): check both are PEM and match");
  }
  return ctx;
}

GuardedServer::GuardedServer(ConnectionLimits limits, TlsContext tls) : limits_(std::move(limits)), tls_(std::move(tls)) {
  const std::size_t threads = limits_.threads;
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

bool GuardedServer::widen_backlog() { return svr_sock_ != INVALID_SOCKET && ::listen(svr_sock_, limits_.backlog) == 0; }

bool GuardedServer::admit(const std::string& address) {
  if (std::find(limits_.exempt.begin(), limits_.exempt.end(), address) != limits_.exempt.end()) return true;
  std::lock_guard lock(open_mu_);
  std::size_t& n = open_[address];
  if (n >= limits_.per_address) return false;
  ++n;
  return true;
}

void GuardedServer::release(const std::string& address) {
  if (std::find(limits_.exempt.begin(), limits_.exempt.end(), address) != limits_.exempt.end()) return;
  std::lock_guard lock(open_mu_);
  if (auto it = open_.find(address); it != open_.end() && --it->second == 0) open_.erase(it);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  const auto accepted = Clock::now();
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  SSL* ssl = nullptr;
  bool ret = false;
  std::string address;
  int port = 0;
  address_of(sock, true, address, port);
  if (admit(address)) {
    bool ready = true;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_.get());
      ready = ssl != nullptr && SSL_set_fd(ssl, sock) == 1 && handshake(sock, ssl, accepted + limits_.request);
    }
    if (ready) {
      GuardedStream stream(sock, ssl, limits_);
      // The first request must arrive whole within the limit from the connection's start; each
      // later one may wait the keep-alive time to begin, then has the limit from its first byte.
      Clock::time_point deadline = accepted + limits_.request;
      for (std::size_t left = limits_.keep_alive_requests; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
        if (left != limits_.keep_alive_requests) {
          if (!stream.has_buffered() && !wait_for(sock, POLLIN, Clock::now() + limits_.keep_alive)) break;
          deadline = Clock::now() + limits_.request;
        }
        stream.set_request_deadline(deadline);
        bool closed = false;
        bool close_after = false;
        ret = process_request(stream, left == 1, closed, [&](httplib::Request& req) {
          if (prepare_) close_after = prepare_(req);
        });
        if (!ret || closed || close_after || stream.read_failed()) break;
      }
    }
    release(address);
  }
  if (ssl != nullptr) {
    SSL_shutdown(ssl);  // best effort: the socket is non-blocking, a peer that reads nothing is not waited for
    SSL_free(ssl);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace sanso::web
