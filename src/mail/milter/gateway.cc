#include "mail/milter/gateway.h"


#include <algorithm>
#include <exception>
#include <chrono>
#include <set>

#include "audit/log.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/log_events.h"
#include "core/text.h"
#include "intake/intake.h"
#include "mail/auth_results.h"
#include "mail/identifiers.h"
#include "mail/smtp_client.h"
#include "mime/notice_mail.h"
#include "metrics/metrics.h"
#include "mime/header.h"
#include "mime/transfer.h"
#include "mail/outbound.h"
#include "policy/decide.h"
#include "policy/policy.h"
#include "quarantine/quarantine.h"
#include "store/database.h"
#include "store/shared_database.h"
#include "transfer/transfer.h"

namespace sanso::mail {
namespace {


// SMTP replies must be ASCII and one line: the Japanese reason goes to the audit log and the
// quarantine record; the reply names the rule and the clause.
std::string reply_text(std::string_view code, std::string_view what, const GatewayVerdict& v) {
  std::string out = std::string(code) + " " + std::string(what);
  if (!v.rule.empty()) out += " (policy rule " + v.rule + ", clause " + v.clause + ")";
  if (!v.quarantine_id.empty()) out += "; quarantine id " + v.quarantine_id;
  // Circled numbers of clause references (6(3)①) become (1); anything else non-ASCII becomes '?'.
  std::string ascii;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c == 0xE2 && i + 2 < out.size() && static_cast<unsigned char>(out[i + 1]) == 0x91) {
      const unsigned char n = static_cast<unsigned char>(out[i + 2]);
      if (n >= 0xA0 && n <= 0xB3) {  // ① U+2460 … ⑳ U+2473
        ascii += "(" + std::to_string(n - 0xA0 + 1) + ")";
        i += 2;
        continue;
      }
    }
    if (c >= 0x80) {
      while (i + 1 < out.size() && (static_cast<unsigned char>(out[i + 1]) & 0xC0) == 0x80) ++i;
      ascii.push_back('?');
    } else {
      ascii.push_back(c == '\r' || c == '\n' ? ' ' : static_cast<char>(c));
    }
  }
  return ascii;
}

// A temporary failure: the sender retries later, nothing is lost; the error goes to the audit log.
GatewayVerdict tempfail(GatewayVerdict v, const std::string& what, const Error& e) {
  v.action = GatewayVerdict::Action::kTempfail;
  v.outcome = "tempfail";
  v.reply = reply_text("4.3.0", what + " (" + e.code + "); try again later", v);
  v.details.emplace_back("error", e.to_string());
  return v;
}

// What names one delivery however often the client retries it: the envelope, and the message
// without the trace headers each attempt gets anew (Postfix hands the milter its own Received:
// line, with a new queue id, first). A person who sends a mail again sends a new Message-ID and
// Date, so two different mails never share a key.
std::string retry_key(const Envelope& envelope, std::string_view raw) {
  std::size_t at = 0;
  while (raw.size() - at >= 9 && ascii_lower(raw.substr(at, 9)) == "received:") {
    std::size_t end = raw.find("\r\n", at);
    while (end != std::string_view::npos && end + 2 < raw.size() && (raw[end + 2] == ' ' || raw[end + 2] == '\t')) end = raw.find("\r\n", end + 2);
    if (end == std::string_view::npos) break;
    at = end + 2;
  }
  std::vector<std::string> recipients;
  for (const auto& r : envelope.recipients) recipients.push_back(ascii_lower(r));
  std::sort(recipients.begin(), recipients.end());
  std::string key = "sanso-retry-1\n" + ascii_lower(envelope.sender) + "\n";
  for (const auto& r : recipients) key += r + "\n";
  return sha256_hex(key + sha256_hex(raw.substr(at)));
}

}  // namespace

bool authentication_failed(std::string_view raw, std::string_view verifier_id) {
  return verified_sender(raw, verifier_id, "", "").failed;
}

bool sender_authenticated(std::string_view raw, std::string_view verifier_id, std::string_view from_address, std::string_view envelope_sender) {
  const VerifiedSender verified = verified_sender(raw, verifier_id, from_address, envelope_sender);
  return verified.dmarc_pass || verified.spf_pass;
}

Result<GatewayExecutors> GatewayExecutors::start(const policy::Policy& policy, const SanitizeOptions& options, const sandbox::Launch& launch) {
  std::vector<std::string> levels;
  for (const auto& l : policy.scheme.confidentiality.levels) levels.push_back(l.id);
  GatewayExecutors out;
  out.inbound = SANSO_TRY(MailExecutors::start(options, launch));
  out.outbound = SANSO_TRY(sandbox::start(outbound_scan_task(levels), launch));
  return out;
}

MailGateway::MailGateway(const policy::Policy& policy, const policy::CompiledPolicy& compiled, quarantine::QuarantineStore& store, audit::AuditLog& log,
                         store::SharedDatabase& db, GatewaySettings settings, GatewayExecutors executors)
    : policy_(policy),
      compiled_(compiled),
      store_(store),
      log_(log),
      db_(db),
      settings_(std::move(settings)),
      senders_(db, settings_.clock != nullptr ? *settings_.clock : system_clock()),
      intake_(&compiled, &store, &log),
      executors_(std::move(executors)) {
  intake::protect_city_identity(policy_, settings_.sanitize);
}

namespace {

// The gateway's numbers for /metrics: messages per outcome as audited, how long each took, how
// many are in hand, and the audit writes that failed (each one a tempfail).
struct GatewayMetrics {
  metrics::Registry& registry = metrics::Registry::global();
  metrics::Histogram& seconds = registry.histogram("sanso_mail_message_duration_seconds", "Time the gateway took to decide a message");
  metrics::Gauge& in_flight = registry.gauge("sanso_mail_messages_in_flight", "Messages the gateway is deciding now");
  metrics::Counter& store_errors = registry.counter("sanso_store_errors_total", "Store operations that failed", {{"service", "milter"}});
  metrics::Counter& outcome(const std::string& outcome) {
    return registry.counter("sanso_mail_messages_total", "Messages the gateway decided, by outcome as audited", {{"outcome", outcome}});
  }
};
GatewayMetrics& gateway_metrics() {
  static GatewayMetrics* m = new GatewayMetrics();  // never destroyed: connection threads may outlive main
  return *m;
}

}  // namespace

GatewayVerdict MailGateway::process(const Envelope& envelope, std::string_view raw) {
  GatewayMetrics& m = gateway_metrics();
  const auto started = std::chrono::steady_clock::now();
  m.in_flight.add(1);
  GatewayVerdict v = process_unmeasured(envelope, raw);
  m.in_flight.add(-1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  m.seconds.observe(seconds);
  m.outcome(v.outcome.empty() ? "unknown" : v.outcome).inc();
  // The log line beside the audit record (docs/logging.md): what a watcher follows per message.
  log::decision({envelope.queue_id, v.outcome.empty() ? "unknown" : v.outcome, v.rule, v.clause, seconds, v.audit_index});
  return v;
}

GatewayVerdict MailGateway::process_unmeasured(const Envelope& envelope, std::string_view raw) {
  try {
    GatewayVerdict v = decide(envelope, raw);
    // Every decision is in the audit log before Postfix hears it; a log that cannot be written
    // stops mail (temporarily) rather than letting it pass unrecorded.
    if (v.audited) return v;
    auto logged = audit(envelope, raw, v);
    if (!logged) {
      gateway_metrics().store_errors.inc();
      GatewayVerdict failed;
      failed.action = GatewayVerdict::Action::kTempfail;
      failed.outcome = "tempfail";
      failed.reply = reply_text("4.3.0", "the audit log could not be written (" + logged.error().code + "); try again later", failed);
      return failed;
    }
    v.audit_index = *logged;
    return v;
  } catch (const std::exception& e) {
    GatewayVerdict v;
    v.action = GatewayVerdict::Action::kTempfail;
    v.outcome = "tempfail";
    v.reply = reply_text("4.3.0", std::string("temporary failure in the mail gateway, try again later: ") + e.what(), v);
    return v;
  }
}

namespace {

bool is_loopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

// Why a recipient cannot be placed in a zone by its domain, or "" when it can. Postfix rewrites
// some addresses after the milter has decided — "x%evil.example@city…" (allow_percent_hack),
// "evil.example!x@city…" (swap_bangpath), an address literal delivered locally and forwarded —
// so the domain the gateway sees would not be where the mail goes.
std::string unroutable(std::string_view rcpt) {
  const auto at = rcpt.rfind('@');
  if (at == std::string_view::npos) return "no domain";
  const std::string_view local = rcpt.substr(0, at);
  const std::string_view domain = rcpt.substr(at + 1);
  if (local.find_first_of("%!@") != std::string_view::npos) return "routing characters (% ! @) in the local part";
  if (!domain.empty() && domain.front() == '[') return "an address literal";
  return "";
}

}  // namespace

MailGateway::Source MailGateway::source_of(const Envelope& envelope) const {
  Source src;
  const policy::Zone* by_address = envelope.client_address.empty() ? nullptr : policy_.zone_of_address(envelope.client_address);
  const std::string address = envelope.client_address.empty() ? "unknown" : envelope.client_address;
  // Listener names compare case-insensitively, as sanso.toml's keys are read.
  auto listener = envelope.daemon_name.empty() ? settings_.listener_zones.end() : settings_.listener_zones.find(ascii_lower(envelope.daemon_name));
  if (listener != settings_.listener_zones.end()) {
    // A mapped listener vouches only for clients the network already places in its zone, or for
    // this host itself (a local relay or content filter re-injecting): a listener bound to the
    // wrong interface, or mapped under Postfix's default name, must not lift internet clients.
    const bool agrees = (by_address != nullptr && by_address->id == listener->second) || (by_address == nullptr && is_loopback(envelope.client_address));
    if (!agrees) {
      src.refusal = "client address " + address + " is in " + (by_address != nullptr ? "zone " + by_address->id : std::string("no zone")) +
                    " but arrived on listener " + envelope.daemon_name + " of zone " + listener->second;
    }
    src.zone = listener->second;
    src.basis = "listener " + envelope.daemon_name + " of zone " + listener->second + " (client address " + address + ")";
    return src;
  }
  if (by_address != nullptr) {
    src.zone = by_address->id;
    src.basis = "client address " + address + " in zone " + by_address->id;
    return src;
  }
  // An address in no zone, or none at all, is the internet: never more trusted than that.
  src.zone = std::string(policy::kZoneInternet);
  src.basis = "client address " + address + " in no zone of the policy";
  return src;
}

GatewayVerdict MailGateway::decide(const Envelope& envelope, std::string_view raw) {
  GatewayVerdict v;
  const Source source = source_of(envelope);
  const std::string& from = source.zone;
  v.details = {{"source", source.basis}};
  auto refuse = [&](std::string rule, std::string clause, const std::string& what, std::string reason) {
    v.rule = std::move(rule);
    v.clause = std::move(clause);
    v.action = GatewayVerdict::Action::kReject;
    v.outcome = "refused";
    v.reply = reply_text("5.7.1", what, v);
    v.details.emplace_back("reason", std::move(reason));
    return v;
  };
  if (!source.refusal.empty()) {
    v.direction = from + "→?";
    return refuse("gateway.source-zone", "6(3)", "the client's network does not match the listener it used", source.refusal);
  }
  // The envelope sender is a claim. A client claiming the mail domain of a zone its network is not
  // in is forging it — from outside the city, or from one city zone posing as another.
  const policy::Zone* claimed = policy_.zone_of_mail_domain(mime::address_domain(envelope.sender));
  if (claimed != nullptr && claimed->id != from) {
    v.details.emplace_back("claimed_sender_zone", claimed->id);
    const bool outside = from == policy::kZoneInternet;
    if (!(outside && settings_.outside_city_sender == OutsideCitySender::kInternet)) {
      auto d = compiled_.decide(policy::RequestNames{from, claimed->id, "mail", "", "", ""});
      if (!d) return tempfail(v, "the mail policy could not decide", d.error());
      v.direction = from + "→" + claimed->id;
      return refuse("gateway.forged-city-sender", std::string(d->clause()),
                    outside ? "a city sender address from a client outside the city's networks is refused"
                            : "the sender address belongs to another zone than the client's network",
                    "送信者アドレスのドメイン（" + mime::address_domain(envelope.sender) + "、" + claimed->id + "）が送信元のネットワーク（" + source.basis + "）と一致しない");
    }
  }
  std::set<std::string> to;
  for (const auto& r : envelope.recipients) {
    if (const std::string why = unroutable(r); !why.empty()) {
      v.direction = from + "→?";
      return refuse("gateway.recipient-routing", "6(3)", "recipient addresses with " + why + " are refused",
                    "宛先 " + r + " は配送先を確定できない（" + why + "）");
    }
    const policy::Zone* z = policy_.zone_of_mail_domain(mime::address_domain(r));
    if (z != nullptr) {
      to.insert(z->id);
    } else if (from == policy::kZoneInternet) {
      // Postfix took this internet mail, so it delivers it somewhere of the city's: a domain the
      // policy forgot (an alias domain, `localhost` of mydestination whose postmaster and root are
      // aliased to an administrator). Taken as the internet it would pass internet → internet
      // untouched; it is the city's, and is made safe as mail for LGWAN is (review31 C1).
      to.insert(std::string(policy::kZoneLgwan));
      v.details.emplace_back("unzoned_recipient", r);
    } else {
      to.insert(std::string(policy::kZoneInternet));
    }
  }
  if (to.empty()) to.insert(std::string(policy::kZoneInternet));
  // Mail from a city zone to the internet is inspected first: its classification mark decides
  // which rule applies, and identification numbers hold it. Mail that cannot be read is taken at
  // the highest level (an unknown level decides as the highest).
  const bool leaves_city = from != policy::kZoneInternet && to.count(std::string(policy::kZoneInternet)) != 0;
  OutboundScan scan;
  std::string level;
  if (leaves_city) {
    scan = scan_outbound_sandboxed(*executors_.outbound, raw, kOutgoingCheckBudget, settings_.pictures);
    if (scan.error.empty()) scan_envelope(scan, envelope.sender, envelope.recipients);
    if (scan.error.empty()) level = scan.classification.empty() ? settings_.unmarked_level : scan.classification;
    v.details.emplace_back("classification", scan.error.empty() ? level : "unreadable");
    for (const auto& f : scan.unchecked) v.details.emplace_back("unchecked", f.where + ": " + f.why);
    if (!scan.classification_where.empty()) v.details.emplace_back("classification_in", scan.classification_where);
  }
  // The strictest decision over every recipient zone decides for the whole message (a milter
  // cannot answer per recipient); a deny anywhere — the mynumber zone talks to nobody — refuses it.
  policy::Decision strictest;
  bool first = true;
  bool needs_sanitizing = false;  // a sanitize rule on a pair other than city → internet (inspection)
  std::string strictest_to;
  std::string rule_approver;  // the senior of the approvers the recipients' zones' approve rules name
  for (const auto& z : to) {
    auto d = compiled_.decide(policy::RequestNames{from, z, "mail", level, "", ""});
    if (!d) return tempfail(v, "the mail policy could not decide", d.error());
    if (d->action == policy::Action::kSanitize && !(leaves_city && z == policy::kZoneInternet)) needs_sanitizing = true;
    if (first || static_cast<int>(d->action) > static_cast<int>(strictest.action)) {
      strictest = *d;
      strictest_to = z;
      first = false;
      rule_approver = std::string(d->approver());
    } else if (d->action == policy::Action::kApprove && strictest.action == policy::Action::kApprove && d->approver() != rule_approver) {
      // Two zones' rules ask for approval by different roles: one release sends the message to
      // both, so the senior of the two decides — a recipient added in a zone with a junior
      // approver must not bring the whole message to that junior.
      const std::string senior = policy_.senior_role(rule_approver, d->approver());
      if (senior.empty()) {
        return tempfail(v, "the mail policy could not name one approver",
                        Error{"policy.approvers-unordered", from + "→" + z,
                              "the approvers '" + rule_approver + "' and '" + std::string(d->approver()) +
                                  "' have no common superior ([[roles]] reports_to; sanso policy check)"});
      }
      if (senior == d->approver()) {
        strictest = *d;
        strictest_to = z;
      }
      rule_approver = senior;  // theirs, or their nearest common superior
    }
  }
  v.direction = from + "→" + strictest_to;
  v.rule = std::string(strictest.rule_id());
  v.clause = std::string(strictest.clause());
  v.details.emplace_back("policy_action", std::string(policy::to_string(strictest.action)));
  if (strictest.action == policy::Action::kDeny) {
    v.action = GatewayVerdict::Action::kReject;
    v.outcome = "rejected";
    v.reply = reply_text("5.7.1", leaves_city && strictest_to == policy::kZoneInternet ? "confidentiality " + (level.empty() ? std::string("(unreadable)") : level) + " may not leave by mail"
                                                                                         : "mail between these zones is not allowed",
                         v);
    v.details.emplace_back("reason", std::string(strictest.reason(settings_.lang)));
    return v;
  }
  // A held original is released as it is, to every recipient: it must not reach one whose zone
  // gets only sanitized mail. The sender splits such a message (a rare mix).
  const bool would_hold = strictest.action == policy::Action::kApprove || (leaves_city && (!scan.error.empty() || !scan.unchecked.empty() || !scan.identifiers.empty()));
  if (would_hold && needs_sanitizing) {
    return refuse(v.rule, v.clause, "recipients whose zones need approval and sanitizing cannot share one message; send them separately",
                  "承認を要する宛先と無害化を要する宛先が同じメールにある");
  }
  // Only the sender's own zone hears of a hold: a city client can name any envelope sender, and a
  // notice to an outside address would carry the subject and recipients out without approval.
  const bool notify_sender = from != policy::kZoneInternet && claimed != nullptr && claimed->id == from;
  // Whoever approves what was not fully read, or what carries a 個人番号, approves for the highest
  // level it might hold on its way out (to the internet, whatever other zones the mail also goes
  // to): the approve rule of the highest level from the mail's own upward — from the lowest when
  // the mail could not be read at all — and the rule that decided the message, whichever is senior.
  // Never an approver below the rule's own: with neither, the configured approver roles decide.
  auto approver_for_the_highest = [&](const std::string& from_level) -> Result<std::string> {
    const std::string_view own = strictest.action == policy::Action::kApprove ? std::string_view(rule_approver) : std::string_view();
    const intake::DecideAtLevel decide = [&](std::string_view at) {
      return compiled_.decide(policy::RequestNames{from, std::string(policy::kZoneInternet), "mail", at, "", ""});
    };
    std::string approver = SANSO_TRY(intake::approver_for_unchecked(policy_, from_level, decide, own));
    if (!approver.empty()) v.details.emplace_back("approver_role", approver);
    return approver;
  };
  if (leaves_city && !scan.error.empty()) {
    // Outgoing mail that cannot be read cannot be checked: hold it, never pass it unchecked.
    auto approver = approver_for_the_highest("");
    if (!approver) return tempfail(v, "the mail policy could not name the approver", approver.error());
    return hold(envelope, raw, v, "the message could not be checked: " + scan.error, "", "", "", notify_sender, *approver);
  }
  // Identification numbers are judged before files that could not be read: an unreadable file
  // beside a 個人番号 must not turn the refusal the settings ask for into an approvable hold.
  std::string found;
  for (const auto& f : scan.identifiers) {
    found += (found.empty() ? "" : ", ") + std::string(mail::label(f.kind, "ja")) + " " + f.masked + " (" + f.where + ")";
  }
  if (leaves_city && !found.empty() && settings_.identifier_action == IdentifierAction::kReject) {
    v.action = GatewayVerdict::Action::kReject;
    v.outcome = "rejected";
    v.reply = reply_text("5.7.1", "the message contains an identification number (My Number / corporate number)", v);
    v.details.emplace_back("identifiers", found);
    return v;
  }
  if (leaves_city && (!scan.unchecked.empty() || !found.empty())) {
    // Attachments that cannot be checked never pass unchecked, and numbers never pass: held, the
    // reason naming both (a rule that refuses the message refused it above).
    auto approver = approver_for_the_highest(level);
    if (!approver) return tempfail(v, "the mail policy could not name the approver", approver.error());
    if (!found.empty()) v.details.emplace_back("identifiers", found);
    const std::string numbers = found.empty() ? "" : "個人番号・法人番号を検出: " + found;
    const std::string why = scan.unchecked.empty() ? numbers : found.empty() ? unchecked_reason(scan) : numbers + " / " + unchecked_reason(scan);
    return hold(envelope, raw, v, why, level, scan.subject, scan.message_id, notify_sender, *approver);
  }
  if (strictest.action == policy::Action::kApprove) {
    v.details.emplace_back("approver_role", rule_approver);
    std::string why = "承認が必要 (" + std::string(strictest.reason(settings_.lang)) + ")";
    if (!rule_approver.empty()) why += " 承認者: " + rule_approver;
    return hold(envelope, raw, v, why, level, scan.subject, scan.message_id, notify_sender, rule_approver);
  }
  if (needs_sanitizing) return sanitize(envelope, raw, v, from, strictest_to, strictest);
  v.action = GatewayVerdict::Action::kAccept;
  v.outcome = "accepted";
  if (leaves_city) v.details.emplace_back("attachments", std::to_string(scan.attachments.size()));
  return v;
}

GatewayVerdict MailGateway::sanitize(const Envelope& envelope, std::string_view raw, GatewayVerdict v, const std::string& from, const std::string& to,
                                     const policy::Decision& ruling) {
  const bool from_internet = from == policy::kZoneInternet;
  SanitizeOptions options = settings_.sanitize;
  options.arrival = {source_of(envelope).zone, envelope.client_address, envelope.sender};
  const bool auth_failed = authentication_failed(raw, settings_.verifier_authserv_id);
  const std::string sender = ascii_lower(envelope.sender);
  // The sender history is about internet correspondents; a city zone's sender is not "new".
  auto known = from_internet ? senders_.seen_before(sender) : Result<bool>(true);
  if (!known) return tempfail(v, "the sender history could not be read", known.error());
  const bool first_time = !*known && !envelope.sender.empty();
  if ((auth_failed && settings_.strict_on_auth_failure) || (first_time && settings_.strict_for_first_time_senders)) options.attachment_action = AttachmentAction::kRemove;
  const std::string risk = auth_failed ? "authentication-failed" : first_time ? "first-time-sender" : "none";
  // The original is durable before anything is answered; without it, a temporary failure. Its
  // record, this decision's audit record and the sender's count commit together, in one
  // transaction grouped with other connections' (one disk sync for many messages).
  auto sanitized = [&](GatewayVerdict w, const intake::MailOutcome& out) {
    w.quarantine_id = out.quarantine_id;
    w.message = out.message;
    w.action = GatewayVerdict::Action::kReplace;
    w.outcome = std::string(mail::to_string(out.plan.verdict));
    w.details.insert(w.details.end(), {{"quarantine_id", out.quarantine_id}, {"sender_risk", risk}, {"attachments", std::to_string(out.plan.attachments.size())}});
    for (const auto& f : out.plan.sender_findings) w.details.emplace_back("sender_warning", std::string(mail::to_string(f.kind)) + ": " + f.display_name + " <" + f.address + "> (" + f.matched + ")");
    return w;
  };
  intake::MailItem item;
  item.raw = raw;
  item.route = intake::Route{from, to, "milter@" + settings_.node};
  item.options = std::move(options);
  item.envelope_from = envelope.sender;
  item.envelope_to = envelope.recipients;
  item.record = [&](const intake::MailOutcome& out, const std::string& input_sha256) { return audit_event(envelope, sanitized(v, out), input_sha256); };
  // PPAP: password-protected attachments of internet mail wait for their password as transfers
  // to the LGWAN recipients, written with the mail: every LGWAN person among the recipients gets
  // one of their own (a transfer's recipient is who may fetch it, as for any transfer), and their
  // sender one link that unlocks them all — only if we can tell the sender is who the mail says
  // (no link to a forged address: no backscatter).
  std::vector<transfer::MailPpap> ppaps;
  bool ppap_made = false;
  item.before_render = [&](const intake::MailOutcome& out, SanitizeOptions& opts) {
    ppaps.clear();
    if (settings_.ppap == nullptr || !from_internet || out.plan.encrypted.empty()) return;
    const bool ja = opts.lang != "en";
    std::vector<std::string> recipients;
    // Each person's transfer keeps its own sealed copy of the attachments: a mail to a hundred
    // guessed addresses must not make a hundred copies. The first few registered people get a
    // transfer; the others read in the notice to ask them (or the sender) for the file.
    constexpr std::size_t kMostPpapRecipients = 5;
    // Each recipient may be a directory lookup (a bind and a search) while Postfix waits: the
    // first twenty are asked, however many the envelope names.
    constexpr std::size_t kMostRecipientsAsked = 20;
    bool more = false;
    for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
      if (i == kMostRecipientsAsked) {
        more = true;
        break;
      }
      const std::string& rcpt = envelope.recipients[i];
      auto person = settings_.ppap->recipient_for_address(rcpt);
      if (!person || std::find(recipients.begin(), recipients.end(), *person) != recipients.end()) continue;
      if (recipients.size() == kMostPpapRecipients) {
        more = true;
        break;
      }
      recipients.push_back(*person);
    }
    if (recipients.empty()) {
      opts.ppap_notice = ja ? "・パスワード付きの添付ファイルは、受取人が LGWAN の利用者として登録されていないため、解除できません。\n"
                            : "- The password-protected attachment(s) cannot be unlocked: the recipient is not a registered LGWAN user.\n";
      return;
    }
    const std::string from_address = out.plan.from_mailboxes.empty() ? "" : out.plan.from_mailboxes.front().address;
    // A link goes only to a known correspondent whose mail our own verifier passed: either alone
    // can be written by whoever sends (an envelope, an Authentication-Results header), and a link
    // mailed to a forged sender is a city-signed lure in someone else's inbox.
    bool correspondent = false;
    for (const auto& [name, address] : opts.correspondents) {
      if (!sender.empty() && ascii_lower(address) == sender) correspondent = true;
    }
    const bool authenticated =
        correspondent && ascii_lower(from_address) == sender && sender_authenticated(raw, settings_.verifier_authserv_id, from_address, envelope.sender);
    const auto notice = [&](const std::vector<std::string>& ids) {
      std::string id;
      for (const auto& one : ids) id += (id.empty() ? "" : ", ") + one;
      opts.ppap_notice = authenticated
                             ? (ja ? "・パスワード付きの添付ファイルはパスワードの入力を待っています（受け渡し " + id +
                                         "）。送信者に入力用のリンクを送りました。入力されると無害化したファイルを「ファイル受け渡し」で受け取れます。\n"
                                   : "")
                             : (ja ? "・パスワード付きの添付ファイルは保留しました（受け渡し " + id +
                                         "）。送信者を確認できないため、入力用のリンクは送っていません。送信者にアップロード用のページから送り直すよう依頼してください。\n"
                                   : "");
      opts.ppap_notice += authenticated ? "- The password-protected attachment(s) wait for their password (transfer " + id +
                                              "); the sender has been sent a link to enter it. Once unlocked, the rebuilt file is in Transfers.\n"
                                        : "- The password-protected attachment(s) are held (transfer " + id +
                                              "); the sender could not be authenticated, so no link was sent. Ask the sender to use the upload page instead.\n";
      if (more) {
        opts.ppap_notice += ja ? "・受け渡しは最初の " + std::to_string(kMostPpapRecipients) + " 人の受取人にだけ作りました。ほかの受取人はこの人たちから受け取ってください。\n" : "";
        opts.ppap_notice += "- Transfers were made for the first " + std::to_string(kMostPpapRecipients) +
                            " registered recipients only; the others get the file from them.\n";
      }
    };
    // Postfix retries a delivery whose answer was lost: the retry gets the notice of the transfers
    // the first attempt made, and its sender no second link. The key leaves out the trace headers
    // each attempt gets anew (retry_key), and names the recipient each transfer is for.
    std::vector<std::string> deliveries, earlier_ids;
    for (const auto& recipient : recipients) {
      deliveries.push_back(sha256_hex("sanso-ppap-1\n" + retry_key(envelope, raw) + "\n" + recipient));
      auto earlier = settings_.ppap->mail_ppap_for_delivery(deliveries.back());
      if (!earlier) log::warn("PPAP transfer for " + out.quarantine_id + ": an earlier attempt could not be looked up: " + earlier.error().to_string());
      if (earlier && *earlier) earlier_ids.push_back(**earlier);
    }
    if (!earlier_ids.empty()) {
      notice(earlier_ids);
      return;
    }
    std::vector<transfer::MailAttachment> files;
    for (const auto& e : out.plan.encrypted) files.push_back({e.name, e.message, e.bytes});
    const std::string rule(ruling.rule_id()), clause(ruling.clause());
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      auto prepared = settings_.ppap->prepare_mail_ppap(envelope.sender, recipients[i], out.quarantine_id, rule, clause, files,
                                                        authenticated && !sender.empty(), deliveries[i]);
      if (!prepared) {
        log::warn("PPAP transfer for " + out.quarantine_id + " not prepared: " + prepared.error().to_string());
        ppaps.clear();
        return;
      }
      // One link for all of them: the sender gives each password once.
      if (!ppaps.empty()) prepared->token = ppaps.front().token;
      ids.push_back(prepared->transfer.id);
      ppaps.push_back(std::move(prepared).value());
    }
    notice(ids);
  };
  item.with_item = [&](store::Database& db) -> Result<void> {
    if (from_internet) SANSO_TRY(senders_.count(db, sender));
    // False: an attempt of the same delivery racing this one made the same transfers, and sends
    // the link. Set on every run of this work (a grouped transaction that failed runs it again).
    ppap_made = !ppaps.empty();
    for (const auto& one : ppaps) {
      if (!SANSO_TRY(settings_.ppap->write_mail_ppap(db, one))) ppap_made = false;
    }
    return ok();
  };
  // The rule was decided over every recipient zone: the strictest said sanitize.
  auto taken = intake_.take_mail(item, ruling, [&](std::string_view bytes, const SanitizeOptions& opts) {
    return sanitize_sandboxed(bytes, opts, executors_.inbound);
  });
  if (!taken) return tempfail(v, "the original could not be stored", taken.error());
  v = sanitized(std::move(v), *taken);
  v.audited = true;
  v.audit_index = taken->audit_index;
  if (ppap_made) settings_.ppap->send_mail_ppap_link(ppaps.front());  // after the commit: the transfers exist
  return v;
}

GatewayVerdict MailGateway::hold(const Envelope& envelope, std::string_view raw, GatewayVerdict v, const std::string& why, const std::string& classification,
                                 const std::string& subject, const std::string& message_id, bool notify_sender, const std::string& approver_role) {
  GatewayVerdict before = v;  // what a failed hold reports: no quarantine id that does not exist
  auto held = [&](GatewayVerdict w, const std::string& id) {
    w.quarantine_id = id;
    w.action = GatewayVerdict::Action::kHold;
    w.outcome = "held";
    w.reply = reply_text("5.7.1", "held for approval", w);
    w.details.insert(w.details.end(), {{"quarantine_id", id}, {"reason", why}});
    return w;
  };
  intake::HeldMail item;
  item.raw = raw;
  item.actor = "milter@" + settings_.node;
  item.envelope_from = envelope.sender;
  item.envelope_to = envelope.recipients;
  item.subject = subject;
  item.message_id = message_id;
  item.reason = why;
  item.classification = classification.empty() ? "" : "機密性" + classification;
  item.approver_role = approver_role;
  item.retry_key = retry_key(envelope, raw);
  item.record = [&](const std::string& id, const std::string& input_sha256) { return audit_event(envelope, held(v, id), input_sha256); };
  auto taken = intake_.hold_mail(item);
  if (!taken) return tempfail(before, "the message could not be held", taken.error());
  v = held(std::move(v), taken->quarantine_id);
  if (taken->repeated) {
    // The first attempt's answer was lost; its hold and its notice stand. This decision is
    // recorded by process() like any other.
    v.details.emplace_back("retry", "already held as " + taken->quarantine_id + "; not kept or announced again");
    return v;
  }
  v.audited = true;
  v.audit_index = taken->audit_index;
  // Internet senders are never told (no backscatter to forged addresses).
  if (notify_sender && !envelope.sender.empty() && !settings_.notice_relay.empty()) notify_held(envelope, v, why, subject);
  return v;
}

void MailGateway::notify_held(const Envelope& envelope, const GatewayVerdict& v, const std::string& reason, const std::string& subject) {
  std::string to;
  for (const auto& r : envelope.recipients) to += (to.empty() ? "" : ", ") + mask_identification_numbers(r);
  // A subject that carries a 個人番号 is not repeated: notices are not where numbers travel.
  const std::string shown_subject = find_identification_numbers(subject).empty() ? subject : "（番号を含むため省略 / withheld: it contains an identification number）";
  std::string body =
      "送信されたメールは、確認のため保留され、まだ相手に届いていません。\n"
      "承認者が内容を確認し、許可した場合にのみ送信されます（情報セキュリティポリシー " + v.clause + "）。\n\n"
      "  件名: " + shown_subject + "\n"
      "  宛先: " + to + "\n"
      "  理由: " + reason + "\n"
      "  規則: " + v.rule + "（" + v.clause + "）\n"
      "  保留番号: " + v.quarantine_id + "\n";
  if (!settings_.contact.empty()) body += "\n問い合わせ先: " + settings_.contact + "\n";
  body +=
      "\n-- \nYour message was held by the mail gateway and has not been delivered.\n"
      "It is sent only if an approver allows it. Reason: " + reason + "; policy rule " + v.rule + ", clause " + v.clause +
      "; quarantine id " + v.quarantine_id + ".\n";
  mime::NoticeMail notice;
  notice.from_name = "Sanso メールゲートウェイ";
  notice.from = settings_.notice_from.empty() ? "postmaster" : settings_.notice_from;
  notice.to = {envelope.sender};
  notice.subject = "【保留】送信メールを承認待ちにしました: " + shown_subject;
  notice.body = std::move(body);
  notice.auto_submitted = "auto-replied";
  notice.headers = {{"X-Sanso-Held", v.quarantine_id}};
  const Clock& clock = settings_.clock != nullptr ? *settings_.clock : system_clock();  // the one the sender history uses
  notice.date = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  notice.node = settings_.node;
  auto composed = mime::compose_notice(notice);
  SmtpOptions smtp{settings_.notice_relay, settings_.notice_helo};
  smtp.timeout = std::chrono::seconds(10);
  // The null sender, as for a delivery report: a notice is never answered or bounced back.
  // A sender address a header cannot carry as it is gets no notice (the refusal is recorded).
  auto sent = composed ? send_mail(smtp, SmtpEnvelope{"", {envelope.sender}}, composed->message) : Result<std::string>(composed.error());
  // The message is safe in quarantine whatever happens to the notice; the attempt is recorded.
  store::AuditEvent e;
  e.actor = "milter@" + settings_.node;
  e.action = "mail.notice";
  e.subject = v.quarantine_id;
  e.outcome = sent ? "sent" : "failed";
  e.rule_id = v.rule;
  e.clause = v.clause;
  e.details = {{"to", envelope.sender}, {"quarantine_id", v.quarantine_id}};
  if (!sent) e.details.emplace_back("error", sent.error().to_string());
  auto logged = append(e);
  if (!logged) log::error("mail gateway: the notice for " + v.quarantine_id + " could not be recorded in the audit log: " + logged.error().to_string());
}

store::AuditEvent MailGateway::audit_event(const Envelope& envelope, const GatewayVerdict& v, std::string input_sha256) const {
  store::AuditEvent e;
  e.actor = "milter@" + settings_.node;
  e.action = "mail.gateway";
  // Postfix's queue id is its own ("Q123456789018" stays whole); an envelope sender is anyone's text.
  e.subject = envelope.queue_id.empty() ? mask_identification_numbers(envelope.sender) : envelope.queue_id;
  e.outcome = v.outcome;
  e.rule_id = v.rule;
  e.clause = v.clause;
  e.input_sha256 = std::move(input_sha256);
  e.output_sha256 = v.message.empty() ? "" : sha256_hex(v.message);
  e.details = v.details;
  e.details.insert(e.details.begin(), {"direction", v.direction});
  e.details.insert(e.details.begin() + 1, {"sender", envelope.sender});
  std::string rcpts;
  for (const auto& r : envelope.recipients) rcpts += (rcpts.empty() ? "" : ",") + r;
  e.details.insert(e.details.begin() + 2, {"recipients", rcpts});
  if (!envelope.client.empty()) e.details.emplace_back("client", envelope.client);
  return e;
}

Result<std::uint64_t> MailGateway::audit(const Envelope& envelope, std::string_view raw, const GatewayVerdict& v) {
  return append(audit_event(envelope, v, sha256_hex(raw)));
}

Result<std::uint64_t> MailGateway::append(const store::AuditEvent& e) {
  // In the service's group commit, with the puts of other connections' messages. The envelope's
  // addresses, a reason's names and an error's place go in masked (intake::masked_record).
  return log_.record(db_, intake::masked_record(e));
}

}  // namespace sanso::mail
