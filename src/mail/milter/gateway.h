// The mail gateway's decisions (issue #7), apart from the milter protocol so they can be tested and
// reused: one message with its envelope in, what Postfix must do with it out. The source zone comes
// from the network — the SMTP client's address against the policy's zone cidrs, or the Postfix
// listener it arrived on where the administrator maps one — never from the envelope sender, which
// is only a claim checked against it; the destination zones come from the recipients' domains.
// Every decision rests on a policy rule and clause, is enforced as it says (deny → refused,
// approve → held, sanitize → sanitized or inspected, allow → passed) and is appended to the audit
// log; an original is in quarantine before a sanitized copy or a hold is answered; any failure is a
// temporary failure, so the sender retries and nothing is lost.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "intake/intake.h"
#include "mail/milter/sender_history.h"
#include "mail/outbound.h"
#include "mail/sanitize.h"

namespace sanso::policy {
struct Policy;
struct Decision;
class CompiledPolicy;
}  // namespace sanso::policy
namespace sanso::quarantine {
class QuarantineStore;
}
namespace sanso::store {
class Database;
class SharedDatabase;
struct AuditEvent;
}
namespace sanso::audit {
class AuditLog;
}
namespace sanso::transfer {
class TransferService;
}

namespace sanso::mail {

struct Envelope {
  std::string client;          // the client's host name as the MTA resolved it ("mail.example.net"), for the record only
  std::string client_address;  // the SMTP client's IP address from the MTA's connection ("203.0.113.5"); empty: unknown
  std::string daemon_name;     // Postfix's {daemon_name} (milter_macro_daemon_name) of the listener; empty: none
  std::string sender;   // MAIL FROM address without <>; empty for bounces
  std::vector<std::string> recipients;
  std::string queue_id;
};

struct GatewaySettings {
  SanitizeOptions sanitize;                // mail the policy says to sanitize (internet → LGWAN)
  // Postfix listeners by {daemon_name} → the zone whose clients they serve ([mail] listener_zones),
  // for LGWAN mail that reaches the gateway through a relay whose address is in no zone.
  std::map<std::string, std::string> listener_zones;
  // A client outside the city's zones that claims a city mail domain as its envelope sender:
  // "reject" (550 5.7.1, recorded as refused) or "internet" (handled as the internet mail it is).
  OutsideCitySender outside_city_sender = OutsideCitySender::kReject;
  std::string unmarked_level = "1";        // the classification of outgoing mail nobody marked
  IdentifierAction identifier_action = IdentifierAction::kHold;  // 個人番号/法人番号 in outgoing mail
  PictureReading pictures = PictureReading::kOcr;  // pictures in outgoing mail: read by OCR, or held unread
  bool strict_on_auth_failure = true;      // SPF/DKIM/DMARC failure: attachments removed, not rebuilt
  bool strict_for_first_time_senders = true;  // a sender never delivered from before: the same
  std::string node = "sanso";
  std::string lang = "ja";
  const Clock* clock = nullptr;  // when senders were first and last seen; default: the system clock
  // Held outgoing mail: its sender is told (the message was accepted by SMTP and would otherwise
  // vanish from their view) through this milter-free re-injection listener, from `notice_from`.
  // Empty relay: no notice. Internet senders are never sent one (no backscatter).
  std::string notice_relay;
  std::string notice_helo = "localhost";
  std::string notice_from;   // "postmaster@city.example.lg.jp"
  std::string contact;       // who to ask, in the notice ([mail] contact)
  // PPAP from mail: a password-protected attachment of internet mail becomes a transfer to the
  // LGWAN person its recipient address belongs to, and its sender — when authenticated (our
  // verifier's DMARC or SPF pass for From, and a correspondent) — is mailed a one-time
  // unlock link. Null: such attachments are only removed, as any blocked one.
  transfer::TransferService* ppap = nullptr;
  // The authserv-id of the MTA's verifier whose Authentication-Results vouch for a PPAP sender
  // ([mail] verifier_authserv_id; never Sanso's own). Empty: no link is ever mailed.
  std::string verifier_authserv_id;
};

struct GatewayVerdict {
  enum class Action { kAccept, kReplace, kReject, kTempfail, kHold };
  Action action = Action::kTempfail;
  std::string reply;              // kReject / kTempfail: "5.7.1 …" or "4.3.0 …"
  std::string message;            // kReplace: the new message, headers and body
  std::string quarantine_id;
  std::string direction;          // "internet→lgwan"
  std::string rule, clause;
  std::string outcome;            // as audited: "sanitized", "rejected", "refused", "held", "accepted", "tempfail"
  bool audited = false;           // its record was committed with the quarantined original
  std::uint64_t audit_index = 0;  // that record's entry in the audit log (0: not yet recorded)
  std::vector<std::pair<std::string, std::string>> details;  // for the audit record
};

// The sandboxed executors the gateway runs its parsers through: the inbound 無害化 (made for
// GatewaySettings::sanitize) and the outbound checks (for the policy's confidentiality levels). The
// milter starts them as pools before libmilter starts a thread per connection.
struct GatewayExecutors {
  MailExecutors inbound;
  std::unique_ptr<sandbox::Executor> outbound;
  static Result<GatewayExecutors> start(const policy::Policy& policy, const SanitizeOptions& options, const sandbox::Launch& launch);
};

class MailGateway {
 public:
  // All on the service's connection `db`; each must outlive the gateway.
  MailGateway(const policy::Policy& policy, const policy::CompiledPolicy& compiled, quarantine::QuarantineStore& store, audit::AuditLog& log,
              store::SharedDatabase& db, GatewaySettings settings, GatewayExecutors executors);
  // Thread-safe: the milter calls it from one thread per connection.
  GatewayVerdict process(const Envelope& envelope, std::string_view raw);

 private:
  GatewayVerdict process_unmeasured(const Envelope& envelope, std::string_view raw);
  // Where the message comes from, by the network: a zone id, and how it was found.
  struct Source {
    std::string zone;
    std::string basis;    // "address 10.20.1.5 in zone lgwan (10.20.0.0/16)", for the record
    std::string refusal;  // non-empty: the network facts contradict each other; refuse
  };
  Source source_of(const Envelope& envelope) const;
  GatewayVerdict decide(const Envelope& envelope, std::string_view raw);
  // 無害化: text-only mail with rebuilt attachments, the original kept.
  GatewayVerdict sanitize(const Envelope& envelope, std::string_view raw, GatewayVerdict v, const std::string& from, const std::string& to,
                          const policy::Decision& ruling);
  // Stores the original through the intake and answers with a hold (discarded here, released after
  // approval, by `approver_role` when the rule names one). The item and its audit record commit
  // together; the sender is told only after that commit; a retry of a delivery already held (the
  // first answer was lost) is answered with the same item and told nobody again.
  GatewayVerdict hold(const Envelope& envelope, std::string_view raw, GatewayVerdict v, const std::string& why, const std::string& classification,
                      const std::string& subject, const std::string& message_id, bool notify_sender, const std::string& approver_role = "");
  Result<std::uint64_t> audit(const Envelope& envelope, std::string_view raw, const GatewayVerdict& v);
  Result<std::uint64_t> append(const store::AuditEvent& event);
  store::AuditEvent audit_event(const Envelope& envelope, const GatewayVerdict& v, std::string input_sha256) const;
  // Tells the sender of held city mail what happened, why, and its quarantine id; the attempt is
  // recorded (mail.notice) after the fact.
  void notify_held(const Envelope& envelope, const GatewayVerdict& v, const std::string& reason, const std::string& subject);

  const policy::Policy& policy_;
  const policy::CompiledPolicy& compiled_;
  quarantine::QuarantineStore& store_;
  audit::AuditLog& log_;
  store::SharedDatabase& db_;
  GatewaySettings settings_;
  SenderHistory senders_;
  intake::Intake intake_;
  GatewayExecutors executors_;
};

// Whether the From address of `raw` is vouched for by the MTA's verifier (`verifier_id`, [mail]
// verifier_authserv_id) in the Authentication-Results fields the MTA added at the top of the
// header (mail/auth_results.h): dmarc=pass with header.from the From domain, or spf=pass with
// smtp.mailfrom the envelope sender in the From domain. No verifier: never.
bool sender_authenticated(std::string_view raw, std::string_view verifier_id, std::string_view from_address, std::string_view envelope_sender);

// "Sender Risk": the MTA's verifier (`verifier_id`, [mail] verifier_authserv_id) failed SPF, DKIM
// or DMARC (fail, softfail, permerror) in the Authentication-Results fields it added — read with
// the RFC 8601 parser, from the same fields sender_authenticated trusts. A field anyone else
// wrote, or a word in a comment, a quoted string or the body, counts for nothing; no verifier
// configured: never.
bool authentication_failed(std::string_view raw, std::string_view verifier_id);

}  // namespace sanso::mail
