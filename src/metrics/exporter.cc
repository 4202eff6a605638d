#include "metrics/exporter.h"

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/text.h"
#include "policy/network.h"

namespace sanso::metrics {

struct Exporter::State {
  httplib::Server server;
  std::thread thread;
  std::string address;
  std::vector<policy::Cidr> allowed;
};

Result<std::unique_ptr<Exporter>> Exporter::start(Registry& registry, ExporterOptions options) {
  auto hp = split_host_port(options.listen);
  if (!hp) return make_error("metrics.listen", options.listen, "not host:port (e.g. \"127.0.0.1:9851\", \"[::1]:9851\")");
  std::unique_ptr<Exporter> e(new Exporter());
  e->state_ = std::make_unique<State>();
  State& st = *e->state_;
  for (const auto& text : options.allowed) {
    auto c = policy::parse_cidr(text);
    if (!c) return make_error("metrics.from", text, "not an address or network (e.g. \"192.0.2.7\" or \"10.0.0.0/24\")");
    st.allowed.push_back(*c);
  }
  // A scrape is a small GET: two threads, no bodies, short timeouts, so that a slow or hostile
  // peer cannot tie up the service it measures.
  st.server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  st.server.set_payload_max_length(0);
  st.server.set_read_timeout(5, 0);
  st.server.set_write_timeout(5, 0);
  st.server.set_keep_alive_max_count(10);
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second process bind the same
  // port and take a share of the scrapes.
  st.server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  State* state = &st;
  st.server.Get("/metrics", [state, &registry, before = std::move(options.before_scrape)](const httplib::Request& req, httplib::Response& res) {
    auto peer = policy::parse_ip(req.remote_addr);
    const bool allowed = peer && (policy::is_loopback(*peer) || std::any_of(state->allowed.begin(), state->allowed.end(),
                                                                    [&](const policy::Cidr& c) { return c.contains(peer->value); }));
    if (!allowed) {
      res.status = 403;
      res.set_content("403 forbidden: this address is not in [metrics] from\n", "text/plain; charset=utf-8");
      return;
    }
    if (before) before();
    res.status = 200;
    res.set_content(registry.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  int port = hp->port;
  if (port == 0) {
    port = st.server.bind_to_any_port(hp->host);
    if (port <= 0) return make_error("metrics.listen", options.listen, "could not bind the metrics listener");
  } else if (!st.server.bind_to_port(hp->host, port)) {
    return make_error("metrics.listen", options.listen, "could not bind the metrics listener (address in use, or not this host's)");
  }
  st.address = (hp->host.find(':') != std::string::npos ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(port);
  st.thread = std::thread([state] { state->server.listen_after_bind(); });
  // httplib's stop() does nothing to a server not yet listening, which would then listen forever:
  // the exporter is returned only once its thread listens, so that it can always be stopped.
  for (int i = 0; i < 500 && !st.server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return e;
}

Exporter::~Exporter() {
  if (!state_) return;
  state_->server.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

std::string Exporter::address() const { return state_->address; }

}  // namespace sanso::metrics
