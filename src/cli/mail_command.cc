// `sanso mail sanitize IN.eml -o OUT.eml`: one internet mail made text-only, as the gateway will
// do it — parsed in the sandbox, the original kept in quarantine (with --config) before any output
// is written, the decision and its clause in the audit log.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "mail/sanitize.h"
#include "policy/decide.h"

namespace sanso::cli {
namespace {

struct SanitizeArgs {
  std::string input;
  std::string output;
  std::string report;
  // Unset: from [mail] in sanso.toml, else the defaults.
  std::optional<std::string> charset;
  std::optional<std::string> lang;
  std::optional<std::string> prefer;
  bool no_defang = false;
};

mail::SanitizeOptions options_from(const config::MailSettings* m, const SanitizeArgs& a) {
  mail::SanitizeOptions o;
  if (m != nullptr) {
    o.output_charset = m->output_charset;
    o.prefer_html = m->prefer == "html";
    o.defang_links = m->defang_links;
    o.lang = m->lang;
    if (!m->keep_headers.empty()) o.keep_headers = m->keep_headers;
    o.max_message_bytes = static_cast<std::size_t>(m->max_message_mb) << 20;
    o.max_depth = static_cast<int>(m->max_depth);
    o.max_parts = static_cast<int>(m->max_parts);
    o.contact = m->contact;
  }
  if (a.charset) o.output_charset = *a.charset;
  if (a.lang) o.lang = *a.lang;
  if (a.prefer) o.prefer_html = *a.prefer == "html";
  if (a.no_defang) o.defang_links = false;
  return o;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// "名前 <a@b.jp>" → "a@b.jp"; the bare address otherwise.
std::string address_of(const std::string& s) {
  auto lt = s.rfind('<');
  auto gt = s.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return s.substr(lt + 1, gt - lt - 1);
  return s;
}

int run_sanitize(const ServiceOptions& o, const SanitizeArgs& a) {
  if (sodium_init() < 0) return kExitFailure;
  std::ifstream in(a.input, std::ios::binary);
  if (!in) return print_error(make_error("cli.unreadable", a.input, "cannot read the message")), kExitFailure;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string raw = bytes.str();

  std::string quarantine_id;
  const bool stored = !o.config_path.empty() || std::getenv("SANSO_CONFIG") != nullptr;
  std::optional<Service> service;
  if (stored) {
    auto loaded = load_service(o);
    if (!loaded) return print_error(loaded.error()), kExitFailure;
    service = std::move(*loaded);
  }
  const mail::SanitizeOptions options = options_from(service ? &service->config.mail : nullptr, a);
  mail::SanitizePlan plan = mail::sanitize_sandboxed(raw, options);

  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<quarantine::QuarantineStore> store;
  policy::Decision decision;
  std::optional<policy::CompiledPolicy> compiled;
  std::string node;
  if (stored) {
    // Fail closed: without a durable original there is no output.
    auto made = make_audit_log(*service);
    if (!made) return print_error(made.error()), kExitFailure;
    log = std::move(*made);
    node = service->config.node;
    auto opened = open_quarantine(*service, *log);
    if (!opened) return print_error(opened.error()), kExitFailure;
    store = std::move(*opened);
    auto changes = record_setting_changes(*service, store->database(), *log, node);
    if (!changes) return print_error(changes.error()), kExitFailure;
    auto c = policy::CompiledPolicy::compile(service->policy, system_clock().today());
    if (!c) return print_error(c.error()), kExitFailure;
    compiled.emplace(std::move(*c));
    auto d = compiled->decide(policy::RequestNames{"internet", "lgwan", "mail", "", "", ""});
    if (!d) return print_error(d.error()), kExitFailure;
    decision = *d;
    quarantine::Submission s;
    s.original = raw;
    s.origin.kind = quarantine::Origin::Kind::kMail;
    s.origin.message_id = plan.message_id;
    s.origin.envelope_from = address_of(plan.from);
    for (const auto& to : plan.to) s.origin.envelope_to.push_back(address_of(to));
    s.origin.subject = plan.subject;
    s.verdict = plan.verdict;
    s.reason = plan.verdict == "held" ? plan.reason : "無害化 (" + std::to_string(plan.parts.size()) + " parts)";
    s.report_json = mail::plan_to_json(plan);
    auto item = store->put(std::move(s));
    if (!item) return print_error(item.error()), kExitFailure;
    quarantine_id = item->id;
  }
  std::string out = mail::render_message(plan, options, quarantine_id);
  if (store) {
    store::AuditEvent e;
    e.actor = "mail@" + node;
    e.action = "mail.sanitize";
    e.subject = plan.message_id.empty() ? quarantine_id : plan.message_id;
    e.outcome = plan.verdict;
    e.rule_id = decision.rule != nullptr ? decision.rule->id : "";
    e.clause = decision.rule != nullptr ? decision.rule->clause : "";
    e.input_sha256 = sha256_hex(raw);
    e.output_sha256 = sha256_hex(out);
    e.details = {{"quarantine_id", quarantine_id}};
    auto recorded = log->append_now(store->database(), e);
    if (!recorded) return print_error(recorded.error()), kExitFailure;
  }
  std::ofstream file(a.output, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file) return print_error(make_error("cli.unwritable", a.output, "cannot write the sanitized message")), kExitFailure;
  if (!a.report.empty()) {
    auto j = nlohmann::json::parse(mail::plan_to_json(plan));
    j.erase("body");
    j["quarantine_id"] = quarantine_id;
    std::ofstream(a.report) << j.dump(2) << "\n";
  }
  std::size_t removed = 0;
  for (const auto& p : plan.parts) removed += p.action == "removed" ? 1 : 0;
  std::fprintf(stderr, "%s: %s (parts %zu, removed %zu%s)%s%s\n", a.input.c_str(), plan.verdict.c_str(), plan.parts.size(), removed,
               plan.reason.empty() ? "" : (", " + plan.reason).c_str(), quarantine_id.empty() ? "" : " quarantine id ",
               quarantine_id.c_str());
  return kExitOk;
}

}  // namespace

void register_mail_command(CLI::App& app, int& exit_code) {
  CLI::App* mail = app.add_subcommand("mail", "無害化 of internet mail");
  mail->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto a = std::make_shared<SanitizeArgs>();
  CLI::App* s = mail->add_subcommand("sanitize", "make one message text-only: HTML to text, attachments removed, a notice on top");
  s->add_option("IN", a->input, "the message (RFC 5322)")->required()->check(CLI::ExistingFile);
  s->add_option("-o,--output", a->output, "the sanitized message")->required();
  s->add_option("--report", a->report, "write a JSON report of every part and what was done");
  s->add_option("--charset", a->charset, "output charset (default: [mail] output_charset, else utf-8)")
      ->check(CLI::IsMember({"utf-8", "iso-2022-jp"}));
  s->add_option("--lang", a->lang, "language of the notice (default: [mail] lang, else ja)")->check(CLI::IsMember({"ja", "en"}));
  s->add_option("--prefer", a->prefer, "which alternative becomes the body (default: [mail] prefer, else text)")
      ->check(CLI::IsMember({"text", "html"}));
  s->add_flag("--no-defang", a->no_defang, "show link targets as they are (not hxxps://example[.]com)");
  s->add_option("--config", o->config_path, "keep the original in quarantine and audit the decision (sanso.toml)");
  s->callback([&exit_code, o, a] { exit_code = run_sanitize(*o, *a); });
}

}  // namespace sanso::cli
