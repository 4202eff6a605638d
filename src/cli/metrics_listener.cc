#include "cli/metrics_listener.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace sanso::cli {

void add_metrics_option(CLI::App& cmd, std::string& listen) {
  cmd.add_option("--metrics-listen", listen, "host:port of /metrics for Prometheus (default: [metrics] in sanso.toml; none when unset)");
}

Result<std::unique_ptr<metrics::Exporter>> start_metrics(const std::string& service, const std::string& option, const std::string& configured,
                                                         const config::ServiceConfig& config, std::function<void()> before_scrape) {
  const std::string listen = !option.empty() ? option : configured;
  if (listen.empty()) return std::unique_ptr<metrics::Exporter>();
  metrics::ExporterOptions options;
  options.listen = listen;
  options.allowed = config.metrics.from;
  options.before_scrape = std::move(before_scrape);
  auto exporter = metrics::Exporter::start(metrics::Registry::global(), std::move(options));
  if (!exporter) {
    Error e = exporter.error();
    e.message = "[metrics] " + service + ": " + e.message;
    return e;
  }
  std::fprintf(stderr, "sanso %s: metrics on http://%s/metrics\n", service.c_str(), (*exporter)->address().c_str());
  std::fflush(stderr);
  return exporter;
}

}  // namespace sanso::cli
