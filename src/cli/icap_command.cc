// `sanso icap --config C [--listen HOST:PORT]`: the ICAP service for the city's web proxy
// (src/icap, docs/icap.md), until SIGTERM. This file assembles the service — the store, the
// policy, the sandboxed engines — and prints; every decision is the service's.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <sodium.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "cdr/cdr.h"
#include "cdr/clamd.h"
#include "cli/commands.h"
#include "cli/metrics_listener.h"
#include "cli/service.h"
#include "core/clock.h"
#include "icap/icap.h"
#include "mail/outbound.h"
#include "sandbox/sandbox.h"
#include "transfer/transfer.h"

namespace sanso::cli {
namespace {

int run(const ServiceOptions& o, const std::string& listen_arg, const std::string& metrics_arg) {
  if (sodium_init() < 0) return kExitFailure;
  // SIGTERM/SIGINT are taken by a waiting thread, so blocked before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto session = open_quarantine_session(o);
  if (!session) return print_error(session.error()), kExitFailure;
  const Service& service = session->service;
  const config::ServiceConfig& c = service.config;
  auto compiled = policy::CompiledPolicy::compile(service.policy, system_clock().today());
  if (!compiled) return print_error(compiled.error()), kExitFailure;
  if (service.policy.find_zone("internet") == nullptr) {
    return print_error(make_error("config.value", c.policy_file, "the policy has no zone 'internet', where downloads through the proxy come from")), kExitFailure;
  }
  const cdr::CdrPolicy cdr_policy = cdr_policy_from(c.cdr);
  if (auto ready = cdr::check_converters(cdr_policy); !ready) return print_error(ready.error()), kExitFailure;
  if (!c.cdr.clamd.empty()) {
    if (auto pong = cdr::clamd_ping(c.cdr.clamd); !pong) return print_error(pong.error()), kExitFailure;
  }
  // Workers first, while this process has one thread.
  auto engine = sandbox::start(cdr::engine_task(cdr_policy), sandbox::Launch::pool(kBatchWorkers));
  if (!engine) return print_error(engine.error()), kExitFailure;
  std::vector<std::string> levels;
  for (const auto& l : service.policy.scheme.confidentiality.levels) levels.push_back(l.id);
  auto scanner = sandbox::start(mail::outbound_scan_task(levels), sandbox::Launch::pool(1));
  if (!scanner) return print_error(scanner.error()), kExitFailure;
  // As many decoders as engine workers: compressed pages are decoded (their first bytes) too.
  auto decoder = sandbox::start(icap::decoding_task(static_cast<std::uint64_t>(c.icap.max_body_mb) << 20), sandbox::Launch::pool(kBatchWorkers));
  if (!decoder) return print_error(decoder.error()), kExitFailure;

  icap::Settings settings;
  settings.icap = c.icap;
  settings.node = c.node;
  settings.spool_dir = c.data_dir + "/icap-spool";
  settings.istag = icap::istag_of(service.policy_sha256, "sanso " SANSO_VERSION_TEXT);
  settings.contact = !c.icap.contact.empty() ? c.icap.contact : c.mail.contact;
  settings.unmarked_classification = c.mail.unmarked_classification;
  icap::Engines engines;
  const std::string clamd = c.cdr.clamd;
  engines.sanitize = [e = engine->get(), cdr_policy, clamd](std::string_view bytes, std::string_view name) {
    return cdr::with_antivirus(clamd, bytes, name, [&] { return cdr::sanitize_sandboxed(*e, bytes, name, cdr_policy); });
  };
  engines.scan_outgoing = [s = scanner->get()](std::string_view bytes, std::string_view name) { return transfer::scan_outgoing_file(*s, bytes, name); };
  engines.decode = [d = decoder->get()](std::string_view body, const std::vector<icap::ContentCoding>& applied, std::size_t prefix) {
    return d->run(icap::decoding_request(applied, body, prefix));
  };
  icap::Service icap_service(*compiled, session->store.get(), session->log.get(), session->db.get(), settings, std::move(engines));

  // After the workers forked: the listener runs threads.
  auto exporter = start_metrics("icap", metrics_arg, c.metrics.icap, c);
  if (!exporter) return print_error(exporter.error()), kExitFailure;
  const std::string listen = !listen_arg.empty() ? listen_arg : c.icap.listen;
  std::atomic<bool> stop{false};
  StoreWatch watch(c, [&stop] { stop = true; });
  std::thread stopper([&stop, signals] {
    while (!stop.load()) {
      timespec every{1, 0};
      const int sig = sigtimedwait(&signals, nullptr, &every);
      if (sig == SIGTERM || sig == SIGINT) stop = true;
    }
  });
  auto served = icap::run_server(icap_service, listen, stop, [&](const std::string& bound) {
    std::fprintf(stderr, "sanso icap: listening on icap://%s/respmod and icap://%s/reqmod (node %s, ISTag %s)\n", bound.c_str(), bound.c_str(), c.node.c_str(),
                 settings.istag.c_str());
  });
  stop = true;
  stopper.join();
  if (!served) return print_error(served.error()), kExitFailure;
  std::fprintf(stderr, "sanso icap: stopped\n");
  return watch.lost() ? kExitFailure : kExitOk;
}

}  // namespace

void register_icap_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServiceOptions>();
  auto listen = std::make_shared<std::string>();
  auto metrics_listen = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("icap", "the ICAP service for the web proxy: downloads 無害化, uploads checked (docs/icap.md)");
  cmd->add_option("--config", o->config_path, "sanso.toml (default: $SANSO_CONFIG, then /etc/sanso/sanso.toml)");
  cmd->add_option("--listen", *listen, "host:port (default: [icap] listen, 127.0.0.1:1344)");
  add_metrics_option(*cmd, *metrics_listen);
  o->service_daemon = true;
  cmd->callback([&exit_code, o, listen, metrics_listen] { exit_code = run(*o, *listen, *metrics_listen); });
}

}  // namespace sanso::cli
