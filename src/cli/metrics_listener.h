// The /metrics listener of a service command (milter, icap, monitor listen): [metrics] in
// sanso.toml, or --metrics-listen, names where; nothing listens when neither does.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "metrics/exporter.h"

namespace CLI {
class App;
}

namespace sanso::cli {

// Adds --metrics-listen HOST:PORT to a service command.
void add_metrics_option(CLI::App& cmd, std::string& listen);

// Starts the listener at `option` (--metrics-listen) or else `configured` ([metrics] <service>),
// open to loopback and [metrics] from; null when neither is set. Prints where it listens, as
// "sanso <service>: metrics on http://ADDR/metrics". Call after the sandbox pools have forked.
Result<std::unique_ptr<metrics::Exporter>> start_metrics(const std::string& service, const std::string& option, const std::string& configured,
                                                         const config::ServiceConfig& config, std::function<void()> before_scrape = {});

}  // namespace sanso::cli
