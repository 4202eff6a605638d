// `sanso milter --config sanso.toml [--listen unix:PATH|inet:PORT@HOST]`: the mail gateway as a
// Postfix milter (docs/postfix.md). Runs until SIGTERM; every decision is audited.
#include <CLI/CLI.hpp>
#include <libmilter/mfapi.h>
#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cdr/clamd.h"
#include "cli/transfer_engines.h"
#include "cli/commands.h"
#include "cli/metrics_listener.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/log.h"
#include "mail/milter/gateway.h"
#include "mail/milter/milter.h"
#include "policy/decide.h"

namespace sanso::cli {
namespace {

int run(const ServiceOptions& o, const std::string& listen_arg, const std::string& metrics_arg) {
  if (sodium_init() < 0) return kExitFailure;
  auto session = open_quarantine_session(o);
  if (!session) return print_error(session.error()), kExitFailure;
  const Service* service = &session->service;
  auto compiled = policy::CompiledPolicy::compile(service->policy, system_clock().today());
  if (!compiled) return print_error(compiled.error()), kExitFailure;

  const config::ServiceConfig& c = service->config;
  for (const auto& w : c.gateway_warnings) log::warn("config: " + w);
  mail::GatewaySettings settings;
  settings.node = c.node;
  settings.lang = c.mail.lang;
  settings.unmarked_level = c.mail.unmarked_classification;
  settings.identifier_action = c.mail.identifier_action;
  settings.pictures = c.mail.pictures;
  settings.strict_on_auth_failure = c.mail.strict_on_auth_failure;
  settings.verifier_authserv_id = c.mail.verifier_authserv_id;
  settings.strict_for_first_time_senders = c.mail.strict_for_first_time_senders;
  settings.outside_city_sender = c.mail.outside_city_sender;
  for (const auto& [listener, zone] : c.mail.listener_zones) {
    if (service->policy.find_zone(zone) == nullptr) {
      return print_error(make_error("config.value", c.source, "[mail] listener_zones." + listener + " names zone '" + zone + "', which the policy does not have")),
             kExitFailure;
    }
  }
  settings.listener_zones = c.mail.listener_zones;
  settings.notice_relay = c.quarantine.smtp_relay;  // the milter-free listener releases go through too
  settings.notice_helo = c.quarantine.smtp_helo;
  settings.contact = c.mail.contact;
  settings.notice_from = c.mail.notice_from;
  if (settings.notice_from.empty()) {
    for (const auto& z : service->policy.zones) {
      if (z.id == "lgwan" && !z.mail_domains.empty()) settings.notice_from = "postmaster@" + z.mail_domains.front();
    }
  }
  auto sanitize_options = sanitize_options_from(&c);
  if (!sanitize_options) return print_error(sanitize_options.error()), kExitFailure;
  settings.sanitize = std::move(sanitize_options).value();
  // The antivirus and the converters must answer before the first message, not on it.
  const mail::SanitizeOptions& s = settings.sanitize;
  if (!s.clamd.empty()) {
    if (auto pong = cdr::clamd_ping(s.clamd); !pong) return print_error(pong.error()), kExitFailure;
  }
  if (auto ready = cdr::check_converters(s.cdr); !ready) return print_error(ready.error()), kExitFailure;

  // Workers first, while this process has one thread: libmilter starts one per connection.
  auto executors = mail::GatewayExecutors::start(service->policy, settings.sanitize, sandbox::Launch::pool(2));
  if (!executors) return print_error(executors.error()), kExitFailure;
  // PPAP from mail: the transfer service that keeps a password-protected attachment for its
  // sender's link (docs/mail.md). The milter never runs the service's engines (it only writes the
  // transfer and mails the link; the web pages unlock), so they start nothing ahead: no pools, no
  // processes (pools here slowed the milter's start past its tests' wait).
  auto transfers = open_transfer_engines(*session, sandbox::Launch::fork_per_job());
  if (!transfers) return print_error(transfers.error()), kExitFailure;
  settings.ppap = transfers->service.get();
  mail::MailGateway gateway(service->policy, *compiled, *session->store, *session->log, *session->db, settings, std::move(executors).value());
  mail::MilterOptions options;
  options.listen = !listen_arg.empty() ? listen_arg : c.listeners.milter;
  if (options.listen.empty()) {
    print_error(make_error("cli.usage", "sanso milter", "no socket: give --listen or set [listeners] milter in sanso.toml"));
    return kExitUsage;
  }
  // After the workers forked: the listener runs threads.
  auto exporter = start_metrics("milter", metrics_arg, c.metrics.milter, c);
  if (!exporter) return print_error(exporter.error()), kExitFailure;
  std::fprintf(stderr, "sanso milter: listening on %s (node %s, policy %s)\n", options.listen.c_str(), c.node.c_str(), c.policy_file.c_str());
  StoreWatch watch(c, [] { smfi_stop(); });
  if (auto r = mail::run_milter(gateway, options); !r) return print_error(r.error()), kExitFailure;
  return watch.lost() ? kExitFailure : kExitOk;
}

}  // namespace

void register_milter_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServiceOptions>();
  auto listen = std::make_shared<std::string>();
  auto metrics_listen = std::make_shared<std::string>();
  CLI::App* m = app.add_subcommand("milter", "the mail gateway for Postfix: 無害化 inbound, checks outbound (docs/postfix.md)");
  m->add_option("--config", o->config_path, "sanso.toml (default: $SANSO_CONFIG, then /etc/sanso/sanso.toml)");
  m->add_option("--listen", *listen, "unix:/path or inet:port@host (default: [listeners] milter)");
  add_metrics_option(*m, *metrics_listen);
  o->service_daemon = true;
  m->callback([&exit_code, o, listen, metrics_listen] { exit_code = run(*o, *listen, *metrics_listen); });
}

}  // namespace sanso::cli
