// The /metrics listener of a service that has no web server of its own (the milter, `sanso icap`,
// `sanso monitor listen`): the process's registry in the Prometheus text format over plain HTTP,
// to loopback and to the addresses the configuration lists ([metrics] from), nobody else.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "metrics/metrics.h"

namespace sanso::metrics {

struct ExporterOptions {
  std::string listen;                 // "host:port", "[v6]:port"; port 0 picks one
  std::vector<std::string> allowed;   // addresses and networks besides loopback (checked by the config)
  std::function<void()> before_scrape;  // refreshes gauges read at the scrape (queue depths); may be empty
};

class Exporter {
 public:
  // Binds before returning, so that a taken port or a bad address fails the service's start.
  // Starts threads: call it after the sandbox pools have forked.
  static Result<std::unique_ptr<Exporter>> start(Registry& registry, ExporterOptions options);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  // "host:port" as bound (the port the system chose for port 0).
  std::string address() const;

 private:
  Exporter() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sanso::metrics
