// `sanso monitor scan FILE... --config C [--format F] [--json]`: the network's own flow logs
// checked against the policy's zones (6(3)③). A summary table (flows, zone pairs, findings per
// rule) and the findings; with --json one object per finding per line. Exit 1 when any finding
// of a deny kind is present, or a log could not be read to its end: usable from cron.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <future>
#include <map>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "cli/metrics_listener.h"
#include "metrics/metrics.h"
#include "cli/service.h"
#include "store/shared_database.h"
#include "core/clock.h"
#include "core/text.h"
#include "monitor/collector.h"
#include "monitor/detector.h"
#include "mail/smtp_client.h"
#include "monitor/finding_store.h"
#include "monitor/heartbeat.h"
#include "monitor/notifier.h"
#include "monitor/scan.h"
#include "policy/check.h"

namespace sanso::cli {
namespace {

using monitor::Finding;

struct ScanArgs {
  std::vector<std::string> files;
  std::string policy_path;
  std::string format = "auto";
  bool json = false;
  std::string lang = "ja";
  std::vector<std::string> indicators;
  std::string csv_columns;
  std::int64_t window_seconds = 0;  // 0: [monitor] window_seconds
};


std::int64_t now_seconds() { return std::chrono::duration_cast<std::chrono::seconds>(system_clock().now().time_since_epoch()).count(); }

nlohmann::json finding_json(const Finding& f, const monitor::AddressPlan& plan, const std::string& file, std::string_view lang) {
  const monitor::RuleInfo& r = monitor::info(f.rule);
  char proto_buf[4];
  nlohmann::json j;
  j["kind"] = r.kind;
  j["rule"] = r.id;
  j["clause"] = r.clause;
  j["severity"] = r.deny ? "deny" : "warn";
  j["src"] = policy::format_ip(f.src);
  j["src_zone"] = plan.name(f.src_zone);
  j["dst"] = policy::format_ip(f.dst);
  j["dst_zone"] = plan.name(f.dst_zone);
  j["dport"] = f.dport;
  j["proto"] = monitor::protocol_name(f.proto, proto_buf);
  j["first_seen"] = iso_utc(f.first_seen);
  j["last_seen"] = iso_utc(f.last_seen);
  j["count"] = f.count;
  j["bytes"] = f.bytes;
  j["file"] = file;
  j["line"] = f.line;
  if (!f.detail.empty()) j["detail"] = f.detail;
  j["description"] = lang == "en" ? r.en : r.ja;
  return j;
}

monitor::DetectorSettings detector_settings(const config::MonitorSettings& m) {
  monitor::DetectorSettings s;
  s.window_seconds = m.window_seconds;
  s.volume_bucket_seconds = m.volume_bucket_seconds;
  s.volume_factor = static_cast<double>(m.volume_factor);
  s.volume_min_bytes = static_cast<std::uint64_t>(m.volume_min_mb) << 20;
  return s;
}

monitor::NotifySettings notify_settings(const config::ServiceConfig& c) {
  monitor::NotifySettings s;
  s.to = c.monitor.notify_to;
  s.from = !c.monitor.notify_from.empty() ? c.monitor.notify_from : !c.mail.notice_from.empty() ? c.mail.notice_from : "postmaster";
  s.node = c.node;
  s.interval_seconds = c.monitor.notify_interval_seconds;
  s.max_listed = static_cast<std::size_t>(c.monitor.notify_max_listed);
  return s;
}

// Through the relay the quarantine re-injects and the gateway's notices go through. The null
// sender, as for the gateway's notices: nobody answers or bounces a warning back to Sanso.
Result<std::string> send_notice(const config::ServiceConfig& c, const monitor::Notice& n) {
  mail::SmtpOptions smtp{c.quarantine.smtp_relay, c.quarantine.smtp_helo};
  smtp.timeout = std::chrono::seconds(10);
  return mail::send_mail(smtp, mail::SmtpEnvelope{"", n.to}, n.message);
}

Result<void> append_in_transaction(store::Database& db, audit::AuditLog& log, const store::AuditEvent& e) {
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  SANSO_TRY(log.append(db, e));
  return tx.commit();
}

// Audit records for findings, appended in batches (one transaction each) as they come.
class FindingRecorder {
 public:
  FindingRecorder(store::Database& db, audit::AuditLog& log) : db_(db), log_(log) {}
  Result<void> add(store::AuditEvent e) {
    pending_.push_back(std::move(e));
    if (pending_.size() >= 500) return flush();
    return ok();
  }
  Result<void> flush() {
    if (pending_.empty()) return ok();
    auto tx = SANSO_TRY(store::Transaction::begin(db_));
    SANSO_TRY(log_.append_batch(db_, pending_));
    SANSO_TRY(tx.commit());
    recorded_ += pending_.size();
    pending_.clear();
    return ok();
  }
  std::size_t recorded() const { return recorded_; }

 private:
  store::Database& db_;
  audit::AuditLog& log_;
  std::vector<store::AuditEvent> pending_;
  std::size_t recorded_ = 0;
};

void print_summary(const ScanArgs& a, const std::vector<monitor::FileReport>& reports, const monitor::Detector& detector,
                   const std::vector<Finding>& shown, std::uint64_t not_shown, const std::vector<std::string>& files, std::FILE* out) {
  const bool ja = a.lang == "ja";
  const monitor::AddressPlan& plan = detector.plan();
  const monitor::DetectorStats& st = detector.stats();
  std::fprintf(out, "%s\n", ja ? "■ 通信ログの検査（6(3)③）" : "■ Flow-log scan (6(3)③)");
  for (const monitor::FileReport& r : reports) {
    std::fprintf(out, "  %s [%s]: %s %llu, %s %llu, %s %llu, %s %llu\n", r.name.c_str(), std::string(monitor::to_string(r.format)).c_str(),
                 ja ? "行" : "lines", static_cast<unsigned long long>(r.lines), ja ? "フロー" : "flows", static_cast<unsigned long long>(r.flows),
                 ja ? "対象外" : "other", static_cast<unsigned long long>(r.skipped), ja ? "不正な行" : "malformed",
                 static_cast<unsigned long long>(r.malformed));
    for (const auto& [line, why] : r.first_malformed) {
      std::fprintf(out, "    %s:%llu: %s\n", r.name.c_str(), static_cast<unsigned long long>(line), why.c_str());
    }
    if (r.malformed > r.first_malformed.size()) {
      std::fprintf(out, "    %s %llu\n", ja ? "…ほか" : "… and", static_cast<unsigned long long>(r.malformed - r.first_malformed.size()));
    }
    if (r.stopped) std::fprintf(out, "    %s %s\n", ja ? "読み取り中断:" : "stopped:", r.stopped->to_string().c_str());
  }
  std::fprintf(out, "\n%s %llu\n", ja ? "フロー総数" : "flows read", static_cast<unsigned long long>(st.flows));
  std::fprintf(out, "%s\n", ja ? "領域の組（送信元 → 宛先）" : "zone pairs (source → destination)");
  const std::size_t n = plan.place_count();
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t d = 0; d < n; ++d) {
      const std::uint64_t count = st.pairs[s * n + d];
      if (count == 0) continue;
      const std::string pair = std::string(plan.name(static_cast<monitor::ZoneIndex>(s))) + " → " + std::string(plan.name(static_cast<monitor::ZoneIndex>(d)));
      std::fprintf(out, "  %s %12llu\n", pad_to_width(pair, 36).c_str(), static_cast<unsigned long long>(count));
    }
  }
  std::fprintf(out, "%s\n", ja ? "検知（規則ごと：件数／該当フロー数）" : "findings per rule (findings / flows)");
  for (int i = 0; i < monitor::kRuleCount; ++i) {
    const monitor::RuleInfo& r = monitor::info(static_cast<monitor::Rule>(i));
    std::fprintf(out, "  %s %-7s %-5s %8llu / %-10llu %s\n", pad_to_width(r.id, 18).c_str(), std::string(r.clause).c_str(), r.deny ? "deny" : "warn",
                 static_cast<unsigned long long>(st.findings[i]), static_cast<unsigned long long>(st.occurrences[i]),
                 std::string(ja ? r.ja : r.en).c_str());
  }
  if (!shown.empty()) std::fprintf(out, "\n%s\n", ja ? "検知一覧" : "findings");
  for (const Finding& f : shown) {
    const monitor::RuleInfo& r = monitor::info(f.rule);
    char proto_buf[4];
    std::fprintf(out, "  %s %s %s %s(%s) → %s(%s):%u/%s ×%llu  %s:%llu%s%s\n", iso_utc(f.first_seen).c_str(), r.deny ? "deny" : "warn",
                 std::string(r.id).c_str(), policy::format_ip(f.src).c_str(), std::string(plan.name(f.src_zone)).c_str(),
                 policy::format_ip(f.dst).c_str(), std::string(plan.name(f.dst_zone)).c_str(), f.dport,
                 std::string(monitor::protocol_name(f.proto, proto_buf)).c_str(), static_cast<unsigned long long>(f.count),
                 files[f.file].c_str(), static_cast<unsigned long long>(f.line), f.detail.empty() ? "" : "  ", f.detail.c_str());
  }
  if (not_shown > 0) std::fprintf(out, "  %s %llu (--json)\n", ja ? "…ほか" : "… and", static_cast<unsigned long long>(not_shown));
  if (st.hosts_untracked > 0) {
    std::fprintf(out, "%s %llu\n", ja ? "通信量の基準を持てなかった端末のフロー" : "flows of hosts beyond the volume table", static_cast<unsigned long long>(st.hosts_untracked));
  }
}

int run_scan(const ServiceOptions& o, const ScanArgs& a) {
  const bool stored = !o.config_path.empty() || (std::getenv("SANSO_CONFIG") != nullptr && a.policy_path.empty());
  if (stored && !a.policy_path.empty()) {
    print_error(make_error("cli.usage", "--policy", "give --policy or --config, not both: the configuration names its policy"));
    return kExitUsage;
  }
  if (!stored && a.policy_path.empty()) {
    print_error(make_error("cli.usage", "sanso monitor scan", "give --config (findings are audited) or --policy (a dry run without a store)"));
    return kExitUsage;
  }
  auto format = monitor::parse_format(a.format);
  if (!format) {
    print_error(make_error("cli.usage", "--format", "unknown format '" + a.format + "' (auto, zeek, zeek-json, syslog, fortigate, paloalto, csv)"));
    return kExitUsage;
  }
  std::optional<Service> service;
  std::optional<policy::Policy> own_policy;
  std::unique_ptr<audit::AuditLog> log;
  // The service's one connection; a scan is one thread and holds it throughout.
  std::unique_ptr<store::SharedDatabase> shared;
  std::optional<store::SharedDatabase::Use> db;
  config::MonitorSettings settings;
  if (stored) {
    if (sodium_init() < 0) return kExitFailure;
    auto s = load_service(o);
    if (!s) return print_error(s.error()), kExitFailure;
    service.emplace(std::move(*s));
    settings = service->config.monitor;
    auto opened = open_store(service->config);
    if (!opened) return print_error(opened.error()), kExitFailure;
    shared = std::make_unique<store::SharedDatabase>(std::move(*opened));
    auto l = make_audit_log(*service);
    if (!l) return print_error(l.error()), kExitFailure;
    log = std::move(*l);
    if (auto rec = record_setting_changes(*service, *shared, *log, "monitor@" + service->config.node); !rec) return print_error(rec.error()), kExitFailure;
    db.emplace(shared->use());
  } else {
    auto p = load_persons_policy(a.policy_path, system_clock().today());
    if (!p) return print_error(p.error()), kExitFailure;
    own_policy.emplace(std::move(*p));
  }
  const policy::Policy& policy = service ? service->policy : *own_policy;
  auto plan = monitor::AddressPlan::build(policy);
  if (!plan) return print_error(plan.error()), kExitFailure;

  std::vector<std::string> lists = settings.indicator_files;
  lists.insert(lists.end(), a.indicators.begin(), a.indicators.end());
  // --indicators are the person's files: ones they could not read are refused ([monitor]
  // indicator_files are the configuration's, read as sanso).
  for (const auto& list : a.indicators) {
    if (auto readable = open_named_file(list); !readable) return print_error(readable.error()), kExitFailure;
  }
  auto indicators = monitor::IndicatorSet::load(lists);
  if (!indicators) return print_error(indicators.error()), kExitFailure;
  for (const auto& p : indicators->problems()) std::fprintf(stderr, "sanso monitor: %s:%llu: warning: %s (line ignored)\n", p.file.c_str(), static_cast<unsigned long long>(p.line), p.message.c_str());

  monitor::ParserContext context;
  context.now = now_seconds();
  context.zoneless_offset = monitor::local_utc_offset(context.now);
  const std::string columns = !a.csv_columns.empty() ? a.csv_columns : settings.csv_columns;
  if (!columns.empty()) {
    auto c = monitor::parse_csv_columns(columns);
    if (!c) return print_error(c.error()), kExitUsage;
    context.csv = *c;
  }
  monitor::DetectorSettings ds = detector_settings(settings);
  if (a.window_seconds > 0) ds.window_seconds = a.window_seconds;

  std::vector<std::string> files;
  std::vector<Finding> shown;
  std::uint64_t not_shown = 0;
  bool deny = false;
  std::optional<FindingRecorder> recorder;
  if (db) recorder.emplace(db->db, *log);
  std::optional<Error> record_error;
  const std::string actor = service ? "monitor@" + service->config.node : "monitor";
  // A dry run (--policy) tells nobody.
  std::optional<monitor::Notifier> notifier;
  if (service) notifier.emplace(*plan, notify_settings(service->config));
  monitor::Detector detector(*plan, &*indicators, ds, [&](const Finding& f) {
    if (notifier) notifier->add(f, files[f.file] + ":" + std::to_string(f.line), now_seconds());
    deny = deny || monitor::info(f.rule).deny;
    if (a.json) {
      std::printf("%s\n", finding_json(f, *plan, files[f.file], a.lang).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (shown.size() < 1000) {
      shown.push_back(f);
    } else {
      ++not_shown;
    }
    if (recorder && !record_error) {
      if (auto r = recorder->add(monitor::finding_event(f, *plan, files[f.file] + ":" + std::to_string(f.line), actor, now_seconds())); !r) record_error = r.error();
    }
  });

  std::vector<monitor::FileReport> reports;
  bool unreadable = false;
  for (const std::string& path : a.files) {
    files.push_back(path == "-" ? "(stdin)" : path);
    auto reloaded = indicators->reload_if_changed();
    if (!reloaded) std::fprintf(stderr, "sanso monitor: %s (the previous lists stay in force)\n", reloaded.error().to_string().c_str());
    // The person's logs, not whatever sanso's account can read: opened (and checked) as them, then
    // read through that very descriptor (/proc/self/fd/N opens the same file again).
    std::optional<UniqueFd> theirs;
    auto reader = [&]() -> Result<std::unique_ptr<monitor::LineReader>> {
      if (path == "-") return monitor::LineReader::open_file(path);
      theirs.emplace(SANSO_TRY(open_named_file(path)));
      AsThePerson as_them;
      return monitor::LineReader::open_file("/proc/self/fd/" + std::to_string(theirs->get()), path);
    }();
    if (!reader) {
      print_error(reader.error());
      unreadable = true;
      continue;
    }
    auto report = monitor::scan_stream(**reader, *format, context, detector, static_cast<std::uint32_t>(files.size() - 1));
    if (!report) {
      print_error(report.error());
      unreadable = true;
      continue;
    }
    if (report->stopped) {
      print_error(*report->stopped);
      unreadable = true;
    }
    reports.push_back(std::move(*report));
  }
  detector.flush();
  bool notice_failed = false;
  if (notifier) {
    // One mail for the whole scan, whatever the interval: a scan from cron runs once.
    if (auto notice = notifier->due(now_seconds(), true)) {
      auto sent = send_notice(service->config, *notice);
      notifier->finished(sent.has_value(), now_seconds());
      if (!sent) {
        std::fprintf(stderr, "sanso monitor: the mail to the security manager could not be sent: %s\n", sent.error().to_string().c_str());
        notice_failed = true;
      }
      if (recorder && !record_error) {
        if (auto r = recorder->add(monitor::notice_event(*notice, sent, service->config.quarantine.smtp_relay, actor, now_seconds())); !r) record_error = r.error();
      }
    }
  }
  if (recorder && !record_error) {
    if (auto r = recorder->flush(); !r) record_error = r.error();
  }
  std::fflush(stdout);
  print_summary(a, reports, detector, shown, not_shown, files, a.json ? stderr : stdout);
  if (record_error) {
    // Findings that could not be recorded must not pass as recorded: fail.
    print_error(*record_error);
    return kExitFailure;
  }
  if (recorder) std::fprintf(a.json ? stderr : stdout, "%s %zu\n", a.lang == "ja" ? "監査ログに記録した検知" : "findings recorded in the audit log", recorder->recorded());
  return deny || unreadable || notice_failed ? kExitFailure : kExitOk;
}


std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

// `sanso monitor listen --config C`: the [monitor] collectors as a service. Every finding is
// stored (monitor_findings) and audited when it opens; a restart adopts open findings instead of
// raising them again. Findings are printed as JSON lines on stdout (the journal) as they close.
int run_listen(const ServiceOptions& o, const std::string& metrics_arg) {
  if (sodium_init() < 0) return kExitFailure;
  auto service = load_service(o);
  if (!service) return print_error(service.error()), kExitFailure;
  const config::MonitorSettings& m = service->config.monitor;
  auto opened = open_store(service->config);
  if (!opened) return print_error(opened.error()), kExitFailure;
  store::SharedDatabase shared(std::move(*opened));
  auto log = make_audit_log(*service);
  if (!log) return print_error(log.error()), kExitFailure;
  const std::string actor = "monitor@" + service->config.node;
  if (auto rec = record_setting_changes(*service, shared, **log, actor); !rec) return print_error(rec.error()), kExitFailure;
  // The collector's findings are written from this thread only: it holds the connection.
  auto db = shared.use();
  auto plan = monitor::AddressPlan::build(service->policy);
  if (!plan) return print_error(plan.error()), kExitFailure;
  auto indicators = monitor::IndicatorSet::load(m.indicator_files);
  if (!indicators) return print_error(indicators.error()), kExitFailure;

  monitor::CollectorOptions options;
  options.syslog_udp = m.syslog_udp;
  options.syslog_tcp = m.syslog_tcp;
  options.ipfix_udp = m.ipfix_udp;
  options.syslog_format = *monitor::parse_format(m.syslog_format);
  options.context.now = now_seconds();
  options.context.zoneless_offset = monitor::local_utc_offset(options.context.now);
  auto collector = monitor::Collector::open(options);
  if (!collector) return print_error(collector.error()), kExitFailure;

  // The collector's numbers for /metrics, counted as they happen on this thread (the collector's
  // own statistics are not safe to read from the scrape's thread).
  metrics::Registry& registry = metrics::Registry::global();
  metrics::Counter& flows_seen = registry.counter("sanso_monitor_flows_total", "Flows the collectors received and checked");
  metrics::Counter& problems = registry.counter("sanso_monitor_input_problems_total", "Malformed records and other input the collectors could not use");
  metrics::Counter& store_errors = registry.counter("sanso_store_errors_total", "Store operations that failed", {{"service", "monitor"}});
  auto finding_counter = [&registry](const Finding& f) -> metrics::Counter& {
    const monitor::RuleInfo& r = monitor::info(f.rule);
    return registry.counter("sanso_monitor_findings_total", "Findings opened, by rule and severity",
                            {{"rule", std::string(r.id)}, {"severity", r.deny ? "deny" : "warn"}});
  };
  auto exporter = start_metrics("monitor", metrics_arg, service->config.metrics.monitor, service->config);
  if (!exporter) return print_error(exporter.error()), kExitFailure;

  monitor::FindingStore findings(db.db, **log, *plan, service->config.node, actor, m.window_seconds);
  const std::vector<std::string> listeners = monitor::Collector::listener_names();
  std::vector<std::string> sources = listeners;
  bool store_failed = false;
  monitor::Detector detector(*plan, &*indicators, detector_settings(m), [&](const Finding& f) {
    Finding total = f;
    total.count += f.stored_count;
    std::printf("%s\n", finding_json(total, *plan, sources[f.file], "en").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
    if (auto r = findings.closed(f); !r) {
      print_error(r.error());
      store_errors.inc();
      store_failed = true;
    }
  });
  // The mail goes out on its own thread, so that a slow relay does not stall the listeners; its
  // audit record is written here, where the connection is held.
  monitor::Notifier notifier(*plan, notify_settings(service->config));
  std::optional<monitor::Notice> notice;
  std::future<Result<std::string>> sending;
  auto settle_notice = [&](bool wait) {
    if (!sending.valid()) return;
    if (!wait && sending.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    Result<std::string> sent = sending.get();
    notifier.finished(sent.has_value(), now_seconds());
    if (!sent) std::fprintf(stderr, "sanso monitor: the mail to the security manager could not be sent (tried again later): %s\n", sent.error().to_string().c_str());
    if (auto r = append_in_transaction(db.db, **log, monitor::notice_event(*notice, sent, service->config.quarantine.smtp_relay, actor, now_seconds())); !r) {
      print_error(r.error());
      store_errors.inc();
      store_failed = true;
    }
    notice.reset();
  };
  auto start_notice = [&](bool force) {
    if (sending.valid()) return;
    notice = notifier.due(now_seconds(), force);
    if (notice) sending = std::async(std::launch::async, send_notice, std::cref(service->config), *notice);
  };
  detector.set_on_open([&](Finding& f) {
    const std::string source = sources[f.file] + " #" + std::to_string(f.line);
    const std::uint64_t adopted_before = findings.adopted();
    finding_counter(f).inc();
    if (auto r = findings.opened(f, source, now_seconds()); !r) {
      store_errors.inc();
      // Not stored: it must not vanish. The journal keeps it, and the service stops so that
      // systemd restarts it against a store that answers.
      std::fprintf(stderr, "sanso monitor: could not store finding %s: %s\n", finding_json(f, *plan, source, "en").dump().c_str(), r.error().to_string().c_str());
      store_failed = true;
    }
    // A finding an earlier run stored was told about then.
    if (findings.adopted() == adopted_before) notifier.add(f, source, now_seconds());
  });

  // The heartbeat: a record now, every hour, and at the end (monitor/heartbeat.h).
  monitor::Heartbeat heartbeat(actor);
  auto beat = [&](const std::optional<store::AuditEvent>& e) {
    if (!e) return;
    if (auto r = append_in_transaction(db.db, **log, *e); !r) {
      print_error(r.error());
      store_errors.inc();
      store_failed = true;
    }
  };
  beat(heartbeat.due(now_seconds()));
  if (store_failed) return kExitFailure;

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::fprintf(stderr, "sanso monitor listen: syslog/udp %u, syslog/tcp %u, netflow/udp %u (node %s)\n", (*collector)->syslog_udp_port(),
               (*collector)->syslog_tcp_port(), (*collector)->ipfix_udp_port(), service->config.node.c_str());
  std::fflush(stderr);
  std::atomic<bool>& stop = g_stop;
  auto ran = (*collector)->run(
      stop, [&](const monitor::Flow& flow, monitor::FlowSource from) {
        flows_seen.inc();
        heartbeat.count_flow();
        detector.observe(flow, from.listener, from.sequence);
        if (store_failed) stop.store(true);
      },
      [&problems](const std::string& problem) {
        problems.inc();
        std::fprintf(stderr, "sanso monitor: %s\n", problem.c_str());
      },
      [&] {
        detector.expire();
        beat(heartbeat.due(now_seconds()));
        settle_notice(false);
        start_notice(false);
        if (auto reloaded = indicators->reload_if_changed(); !reloaded) {
          std::fprintf(stderr, "sanso monitor: %s (the previous lists stay in force)\n", reloaded.error().to_string().c_str());
        }
        if (store_failed) stop.store(true);
      });
  detector.flush();
  // What gathered since the last mail goes out before the service ends.
  settle_notice(true);
  start_notice(true);
  settle_notice(true);
  beat(heartbeat.stopped(now_seconds()));
  const monitor::CollectorStats& st = (*collector)->stats();
  std::fprintf(stderr, "sanso monitor listen: stopped; %llu flows, %llu malformed, %llu records before their template, %llu dated in the future (taken as received), %llu TCP connections refused or closed, %llu findings adopted from earlier runs\n",
               static_cast<unsigned long long>(st.flows), static_cast<unsigned long long>(st.malformed),
               static_cast<unsigned long long>(st.records_without_template), static_cast<unsigned long long>(st.future_dated),
               static_cast<unsigned long long>(st.tcp_dropped),
               static_cast<unsigned long long>(findings.adopted()));
  if (!ran) return print_error(ran.error()), kExitFailure;
  return store_failed ? kExitFailure : kExitOk;
}

}  // namespace

void register_monitor_command(CLI::App& app, int& exit_code) {
  CLI::App* m = app.add_subcommand("monitor", "check the network's flow logs against the zone separation (6(3)③, docs/monitor.md)");
  m->require_subcommand(1);

  auto o = std::make_shared<ServiceOptions>();
  auto a = std::make_shared<ScanArgs>();
  CLI::App* scan = m->add_subcommand("scan", "read flow logs (Zeek, syslog firewall logs, FortiGate, Palo Alto, CSV; gzip or not) and report findings");
  scan->add_option("files", a->files, "log files; - for standard input")->required();
  scan->add_option("--config", o->config_path, "sanso.toml: its policy, [monitor] settings, and the store findings are audited in");
  scan->add_option("--policy", a->policy_path, "a policy file instead of --config: nothing is recorded");
  scan->add_option("--format", a->format, "auto, zeek, zeek-json, syslog, fortigate, paloalto, csv (default: auto, per file)");
  scan->add_flag("--json", a->json, "one JSON object per finding per line on stdout (the summary goes to stderr)");
  scan->add_option("--lang", a->lang, "language of the summary (ja, en)")->check(CLI::IsMember({"ja", "en"}));
  scan->add_option("--indicators", a->indicators, "an IP/CIDR list, in addition to [monitor] indicator_files");
  scan->add_option("--csv-columns", a->csv_columns, "for --format csv: e.g. src=source,dst=dest,dport=port,proto=proto,time=ts,bytes=sent");
  scan->add_option("--window", a->window_seconds, "seconds within which a repeated finding is counted, not repeated");
  scan->callback([&exit_code, o, a] { exit_code = run_scan(*o, *a); });

  auto lo = std::make_shared<ServiceOptions>();
  auto metrics_listen = std::make_shared<std::string>();
  CLI::App* listen = m->add_subcommand("listen", "the [monitor] collectors as a service: syslog (UDP, TCP) and NetFlow v5/v9/IPFIX (UDP)");
  listen->add_option("--config", lo->config_path, "sanso.toml (default: $SANSO_CONFIG, then /etc/sanso/sanso.toml)");
  add_metrics_option(*listen, *metrics_listen);
  lo->service_daemon = true;
  listen->callback([&exit_code, lo, metrics_listen] { exit_code = run_listen(*lo, *metrics_listen); });
}

}  // namespace sanso::cli
