// `sanso web --config FILE [--listen HOST:PORT]`: the web console (docs/web.md), until SIGTERM.
// `sanso user list|passwd|unlock`: the console accounts of the people in [[users]].
#include <CLI/CLI.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <algorithm>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/transfer_engines.h"
#include "cli/terminal.h"
#include "core/clock.h"
#include "core/text.h"
#include "transfer/transfer.h"
#include "web/accounts.h"
#include "web/api_tokens.h"
#include "web/console.h"
#include "web/totp.h"

namespace sanso::cli {
namespace {

// The quarantine session and the console accounts, which must close first (they use its
// connection and its log).
struct ConsoleSession {
  QuarantineSession base;
  std::unique_ptr<web::ConsoleAccounts> accounts;
  TransferEngines transfers;  // for `sanso web` only: the transfer pages
  std::unique_ptr<web::ApiTokens> api_tokens;  // for `sanso web` only: the JSON API
};

Result<ConsoleSession> open_console_session(const ServiceOptions& o) {
  ConsoleSession s{SANSO_TRY(open_quarantine_session(o)), nullptr, {}, nullptr};
  s.accounts = SANSO_TRY(web::ConsoleAccounts::open(*s.base.db, s.base.service.config,
                                                    web::account_rules_from(s.base.service.config), *s.base.log));
  return s;
}

// What identifies a version of sanso.toml on disk: a save, or a new file moved into place.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  timespec mtime{};
  static FileStamp of(const std::string& path) {
    FileStamp f;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return f;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = st.st_size;
    f.mtime = st.st_mtim;
    return f;
  }
  bool operator==(const FileStamp& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

// A changed sanso.toml (or SIGHUP): who may sign in, with which roles, takes effect at once, and
// the sessions of people who lost their console role end. A file that does not load is reported
// and the running settings are kept.
void reload_people(const ServiceOptions& o, ConsoleSession& s) {
  auto fresh = load_service(o);
  if (!fresh) {
    std::fprintf(stderr, "sanso web: sanso.toml not reloaded, the running settings stay: %s\n", fresh.error().to_string().c_str());
    return;
  }
  auto recorded = record_setting_changes(*fresh, *s.base.db, *s.base.log, fresh->config.node);
  if (!recorded) std::fprintf(stderr, "sanso web: recording the change of sanso.toml: %s\n", recorded.error().to_string().c_str());
  if (s.api_tokens) s.api_tokens->reload(fresh->config);
  auto ended = s.accounts->reload(fresh->config, web::account_rules_from(fresh->config));
  if (!ended) {
    std::fprintf(stderr, "sanso web: applying the reloaded sanso.toml: %s\n", ended.error().to_string().c_str());
    return;
  }
  std::fprintf(stderr, "sanso web: reloaded sanso.toml (%lld session(s) of people who lost console access ended)\n",
               static_cast<long long>(*ended));
}

int run_web(const ServiceOptions& o, const std::string& listen_arg) {
  // SIGTERM/SIGINT (stop) and SIGHUP (reload) are taken by a waiting thread, so blocked before
  // any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto s = open_console_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  if (auto ready = s->accounts->prepare_sign_ins(); !ready) return print_error(ready.error()), kExitFailure;
  auto api_tokens = web::ApiTokens::open(*s->base.db, s->base.service.config, *s->base.log);
  if (!api_tokens) return print_error(api_tokens.error()), kExitFailure;
  s->api_tokens = std::move(*api_tokens);
  // The transfer pages run the CDR engine and the outgoing scan in the sandbox, as `sanso transfer`
  // does. Without them (a converter missing, clamd down) the console still serves the quarantine
  // and the audit log, and says plainly that it offers no transfers.
  // Pools, started here while the process has one thread (sandbox::WorkerPool), one worker per core.
  auto transfers = open_transfer_engines(s->base, sandbox::Launch::pool(std::max(1u, std::thread::hardware_concurrency())));
  if (transfers) {
    s->transfers = std::move(*transfers);
  } else {
    std::fprintf(stderr, "sanso web: the file transfer pages are off: %s\n", transfers.error().to_string().c_str());
  }
  const config::ServiceConfig& c = s->base.service.config;
  // One console for every page (--listen, [listeners] web), or one per zone ([listeners] web_zones).
  std::vector<std::pair<std::string, std::string>> listeners;  // zone ("" for every page), host:port
  if (!listen_arg.empty() || c.listeners.web_zones.empty()) {
    listeners.emplace_back("", !listen_arg.empty() ? listen_arg : c.listeners.web);
  } else {
    for (const auto& [zone, address] : c.listeners.web_zones) listeners.emplace_back(zone, address);
  }
  std::vector<web::ConsoleOptions> every_options;
  for (const auto& [zone, address] : listeners) {
    auto options = web::console_address(address);
    if (!options) return print_error(options.error()), kExitUsage;
    options->zone = zone;
    options->tls_cert = c.web.tls_cert;
    options->tls_key = c.web.tls_key;
    options->public_origin = c.web.public_origin;
    options->internet_origin = c.web.internet_origin;
    options->trusted_proxies = c.web.trusted_proxies;
    options->metrics_from = c.web.metrics_from;
    options->nat64_prefixes = c.web.nat64_prefixes;
    options->municipality = s->base.service.policy.municipality.name.ja;
    options->node = c.node;
    every_options.push_back(std::move(*options));
  }
  const Service& service = s->base.service;
  web::ConsoleServices services{*s->accounts, *s->base.store, *s->base.db, c,
                                [&service](const quarantine::Item& item, const std::string& original, const quarantine::Actor& actor) {
                                  return release_delivery(service, actor.name, "")(item, original);
                                },
                                s->transfers.service.get(), &service.policy, s->api_tokens.get()};
  services.audit_log = s->base.log.get();
  // The key the log signs with (make_audit_log made it): each evaluation is signed at once.
  auto signing_key = load_audit_key(service, false);
  if (!signing_key) return print_error(signing_key.error()), kExitFailure;
  services.proof = {s->base.log.get(), &service.policy, service.policy_sha256, &*signing_key};
  std::vector<std::unique_ptr<web::Console>> consoles;
  for (const auto& options : every_options) {
    auto console = web::Console::start(options, services);
    if (!console) return print_error(console.error()), kExitFailure;
    std::fprintf(stderr, "sanso web: console at %s://%s:%d/%s%s (node %s)\n", (*console)->tls() ? "https" : "http", options.host.c_str(),
                 (*console)->port(), options.zone.empty() ? "" : " for the zone ", options.zone.c_str(), c.node.c_str());
    consoles.push_back(std::move(*console));
  }
  auto stop_all = [&consoles] {
    for (auto& console : consoles) console->stop();
  };
  StoreWatch watch(c, stop_all);
  const std::string config_file = c.source;
  std::thread stopper([&stop_all, &s, &o, signals, config_file, node = c.node] {
    FileStamp seen = FileStamp::of(config_file);
    transfer::ExpirySchedule expiry(system_clock());
    for (;;) {
      // Transfers past their retention expire here, at start and then hourly: their kept files
      // are deleted and each is recorded (transfer.expire).
      std::optional<Result<std::int64_t>> expired;
      if (s->transfers.service) expired = expiry.run_if_due(*s->transfers.service, "sanso web (" + node + ")");
      if (expired && !*expired) {
        std::fprintf(stderr, "sanso web: expiring transfers (tried again in an hour): %s\n", expired->error().to_string().c_str());
      } else if (expired && **expired > 0) {
        std::fprintf(stderr, "sanso web: %lld transfer(s) past their retention expired\n", static_cast<long long>(**expired));
      }
      timespec every{2, 0};
      int sig = sigtimedwait(&signals, nullptr, &every);
      if (sig == SIGTERM || sig == SIGINT) break;
      FileStamp now = FileStamp::of(config_file);
      if (sig == SIGHUP || !(now == seen)) {
        seen = now;
        reload_people(o, *s);
      }
    }
    stop_all();
  });
  // A console that stopped by itself (it cannot, short of an error) stops the others too.
  consoles.front()->wait();
  stop_all();
  for (auto& console : consoles) console->wait();
  // Let the signal thread go.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  std::fprintf(stderr, "sanso web: stopped\n");
  return watch.lost() ? kExitFailure : kExitOk;
}

// An administrator's command on a console account: opens everything, finds who is acting, runs
// `act`, and turns its error into a message and an exit code.
int administer(const ServiceOptions& o, const std::function<Result<void>(ConsoleSession&, const quarantine::Actor& actor)>& act) {
  auto s = open_console_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto actor = resolve_actor(s->base.service, o);
  if (!actor) return print_error(actor.error()), kExitFailure;
  if (auto r = act(*s, *actor); !r) return print_error(r.error()), kExitFailure;
  return kExitOk;
}

int run_passwd(const ServiceOptions& o, const std::string& name) {
  return administer(o, [&](ConsoleSession& s, const quarantine::Actor& actor) -> Result<void> {
    std::string password = SANSO_TRY(read_password(("New console password for " + name + ": ").c_str()));
    if (::isatty(STDIN_FILENO) != 0) {
      std::string again = SANSO_TRY(read_password("Again: "));
      if (again != password) return make_error("cli.input", name, "the two passwords differ");
    }
    SANSO_TRY(s.accounts->set_password(name, password, actor));
    std::printf("%s: コンソールのパスワードを設定しました（ロック解除、既存のセッションは終了）。\n", name.c_str());
    return ok();
  });
}

int run_unlock(const ServiceOptions& o, const std::string& name) {
  return administer(o, [&](ConsoleSession& s, const quarantine::Actor& actor) -> Result<void> {
    SANSO_TRY(s.accounts->unlock(name, actor));
    std::printf("%s: ロックを解除しました。\n", name.c_str());
    return ok();
  });
}

int run_end_sessions(const ServiceOptions& o, const std::string& name) {
  return administer(o, [&](ConsoleSession& s, const quarantine::Actor& actor) -> Result<void> {
    std::int64_t n = SANSO_TRY(s.accounts->end_sessions(name, actor));
    std::printf("%s: セッションを %lld 件終了しました。\n", name.c_str(), static_cast<long long>(n));
    return ok();
  });
}

int run_second_factor(const ServiceOptions& o, const std::string& name, bool remove) {
  return administer(o, [&](ConsoleSession& s, const quarantine::Actor& actor) -> Result<void> {
    if (remove) {
      SANSO_TRY(s.accounts->remove_second_factor(name, actor));
      std::printf("%s: 二要素認証を解除しました。\n", name.c_str());
      return ok();
    }
    std::string secret = SANSO_TRY(s.accounts->enroll_second_factor(name, actor));
    std::string issuer = "Sanso " + s.base.service.policy.municipality.name.ja;
    std::printf("%s: 二要素認証を設定しました。認証アプリに次の鍵を登録してください（本人にだけ渡すこと）:\n", name.c_str());
    std::printf("  鍵 (base32): %s\n", web::base32_encode(secret).c_str());
    std::printf("  %s\n", web::totp_uri(issuer, name, secret).c_str());
    return ok();
  });
}

int run_list(const ServiceOptions& o) {
  auto s = open_console_session(o);
  if (!s) return print_error(s.error()), kExitFailure;
  auto accounts = s->accounts->list();
  if (!accounts) return print_error(accounts.error()), kExitFailure;
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(system_clock().now().time_since_epoch()).count();
  for (const auto& a : *accounts) {
    std::string roles;
    for (const auto& r : a.roles) roles += (roles.empty() ? "" : ",") + r;
    std::string state = !a.may_sign_in     ? "コンソール権限なし"
                        : !a.has_password  ? "パスワード未設定"
                        : a.locked_until > now ? "ロック中 (" + local_time(a.locked_until) + " まで)"
                                               : "利用可";
    std::printf("%s %s %s %s", pad_to_width(a.name, 10).c_str(), pad_to_width(a.display, 44).c_str(), pad_to_width(roles, 26).c_str(),
                state.c_str());
    if (a.has_second_factor) std::printf("  二要素");
    if (a.last_login != 0) std::printf("  前回サインイン %s", local_time(a.last_login).c_str());
    if (a.open_sessions != 0) std::printf("  セッション %lld", static_cast<long long>(a.open_sessions));
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

void register_web_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServiceOptions>();
  auto listen = std::make_shared<std::string>();
  CLI::App* w = app.add_subcommand("web", "the web console: quarantine review and release, audit log (docs/web.md)");
  add_service_options(*w, *o, false);
  w->add_option("--listen", *listen, "host:port (default: [listeners] web)");
  w->callback([&exit_code, o, listen] {
    o->service_daemon = true;
    exit_code = run_web(*o, *listen);
  });

  auto name = std::make_shared<std::string>();
  CLI::App* u = app.add_subcommand("user", "console accounts of the people in [[users]]: passwords, locks");
  u->require_subcommand(1);
  CLI::App* list = u->add_subcommand("list", "who may sign in, who has a password, who is locked");
  add_service_options(*list, *o, false);
  list->callback([&exit_code, o] { exit_code = run_list(*o); });
  CLI::App* passwd = u->add_subcommand("passwd", "set a console password (prompted, or one line on stdin)");
  add_service_options(*passwd, *o, true);
  passwd->add_option("NAME", *name, "a [[users]] name")->required();
  passwd->callback([&exit_code, o, name] { exit_code = run_passwd(*o, *name); });
  CLI::App* unlock = u->add_subcommand("unlock", "lift a lock after too many failed sign-ins");
  add_service_options(*unlock, *o, true);
  unlock->add_option("NAME", *name, "a [[users]] name")->required();
  unlock->callback([&exit_code, o, name] { exit_code = run_unlock(*o, *name); });
  auto remove = std::make_shared<bool>(false);
  CLI::App* totp = u->add_subcommand("second-factor", "give a person a one-time-code key (TOTP) for their authenticator app");
  add_service_options(*totp, *o, true);
  totp->add_option("NAME", *name, "a [[users]] name")->required();
  totp->add_flag("--remove", *remove, "take the second factor away again");
  totp->callback([&exit_code, o, name, remove] { exit_code = run_second_factor(*o, *name, *remove); });
  CLI::App* end = u->add_subcommand("sign-out", "end every open console session of a person (a lost or shared device)");
  add_service_options(*end, *o, true);
  end->add_option("NAME", *name, "a [[users]] name")->required();
  end->callback([&exit_code, o, name] { exit_code = run_end_sessions(*o, *name); });
}

}  // namespace sanso::cli
