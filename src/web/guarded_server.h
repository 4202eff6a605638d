// The console's HTTP(S) server: cpp-httplib's routing and request parsing, but each connection
// served by code of our own, so that it is bounded where the library bounds nothing — the whole
// time a request's line, headers and body (or a TLS handshake) may take however steadily they
// trickle in, the connections one address may hold open, and the listen backlog. Without these,
// a few clients sending a header line every few seconds, or opening TLS connections and saying
// nothing, hold every thread and nobody else is served.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"

namespace sanso::web {

struct ConnectionLimits {
  std::chrono::milliseconds request{15000};    // line + headers + body; the TLS handshake and first request too
  std::chrono::milliseconds read{10000};       // silence within a request
  std::chrono::milliseconds write{30000};      // a client that reads nothing of the answer
  std::chrono::milliseconds keep_alive{5000};  // an idle kept-alive connection
  std::size_t keep_alive_requests = 100;
  std::size_t per_address = 12;
  std::size_t threads = 48;
  int backlog = 128;
  std::vector<std::string> exempt;  // canonical addresses without the per-address cap (trusted proxies)
};

// A TLS context for the server from PEM files (TLS 1.2 or later).
struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using TlsContext = std::unique_ptr<SSL_CTX, SslCtxFree>;
Result<TlsContext> load_tls_context(const std::string& cert_file, const std::string& key_file);

class GuardedServer final : public httplib::Server {
 public:
  // `tls` empty: plain HTTP.
  GuardedServer(ConnectionLimits limits, TlsContext tls);
  // After bind_to_port: the library listens with a backlog of 5, which a burst of browsers
  // (each opens several connections) overflows.
  bool widen_backlog();
  bool tls() const { return tls_ != nullptr; }
  // Sees each request once its headers are read, before routing and before its body; may change
  // its headers. Returning true closes the connection after the answer (a body the answer did
  // not read must never be taken for the next request).
  void set_request_preparer(std::function<bool(httplib::Request&)> prepare) { prepare_ = std::move(prepare); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool admit(const std::string& address);
  void release(const std::string& address);

  ConnectionLimits limits_;
  TlsContext tls_;
  std::function<bool(httplib::Request&)> prepare_;
  std::mutex open_mu_;
  std::map<std::string, std::size_t> open_;  // open connections per address
};

}  // namespace sanso::web
