// intake: the one way an item from another zone enters — a mail or a file, where it comes from
// and where it goes, who hands it in. The policy decides; the sanitizer (an engine, run through
// whatever sandboxed executor the caller has ready) disarms it; and the original, its audit record
// and any writes the caller adds are committed in ONE transaction, before the caller may hand
// anything on. The milter, `sanso mail sanitize`, `sanso file sanitize`, and later the transfer and
// ICAP services, all take items through here: each only parses its own protocol and answers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdr/cdr.h"
#include "core/result.h"
#include "mail/sanitize.h"
#include "policy/decide.h"
#include "store/audit_sink.h"

namespace sanso::audit {
class AuditLog;
}
namespace sanso::quarantine {
class QuarantineStore;
}
namespace sanso::store {
class Database;
}

namespace sanso::intake {

// Where an item goes and who hands it in.
struct Route {
  std::string from_zone;  // a zone id of the policy ("internet")
  std::string to_zone;    // ("lgwan")
  std::string actor;      // as the audit log names them: a person, or "milter@node"
};

// The engines, as the caller runs them (a ready pool, or a sandbox per item).
using FileSanitizer = std::function<cdr::CdrResult(std::string_view bytes, std::string_view name)>;
using MailSanitizer = std::function<mail::SanitizePlan(std::string_view raw, const mail::SanitizeOptions& options)>;

struct FileItem {
  std::string_view bytes;  // the caller's, alive for the call: kept once, as the quarantine's copy
  std::string name;  // as its owner knows it ("報告/2026.xlsx"); the engine sees the file name
  Route route;
  // When `bytes` are not the bytes that arrived but what they decode to (a download's HTTP content
  // codings removed): the codings as applied ("gzip, br") and the SHA-256 of the bytes as they
  // came. The record carries both beside the decoded file's digest, so the file can be traced to
  // what the server sent. Empty: the bytes are as they came.
  std::string content_codings;
  std::string received_sha256;
};

// Why a caller refuses a file before any engine sees it (a part of a file, a coding that cannot be
// removed, a body that would expand past the limit): its own decision, recorded as such.
struct Refusal {
  std::string action;  // the caller's audit action ("icap.download")
  std::string reason;  // one line for a person, naming what the caller found
  // The policy rule and clause the refusal rests on; both empty when it rests on the service's own
  // limits rather than on a rule.
  std::string rule_id;
  std::string clause;
  // More for the record (the client's address, its zone), after the quarantine id and the reason.
  std::vector<std::pair<std::string, std::string>> details;
};

struct FileOutcome {
  cdr::CdrResult result;                   // blocked, with no output, when the policy denies or holds
  std::optional<policy::Decision> ruling;  // none without a policy
  std::string quarantine_id;               // empty when nothing is kept (no store)
};

struct MailOutcome {
  mail::SanitizePlan plan;  // held, with no attachment, when the policy denies or holds
  std::string message;      // the rebuilt mail, naming quarantine_id
  std::optional<policy::Decision> ruling;
  std::string quarantine_id;
  std::uint64_t audit_index = 0;  // the record's entry in the audit log (0: nothing recorded)
};

struct MailItem {
  std::string_view raw;  // the caller's, alive for the call
  Route route;
  mail::SanitizeOptions options;
  // The SMTP envelope when there is one (the gateway's; the CLI's --sender and --recipient). None:
  // the item has none, and a release goes to a file, never by mail to what the headers claim.
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  // The caller's own audit record for the outcome (the gateway's carries its network facts);
  // unset: a `mail.sanitize` record. `input_sha256` is the original's, as the store computed it;
  // called inside the transaction that keeps the original.
  std::function<store::AuditEvent(const MailOutcome& outcome, const std::string& input_sha256)> record;
  // More writes that must stand or fall with the item (the gateway's sender history, a PPAP
  // attachment's transfer).
  std::function<Result<void>(store::Database& db)> with_item;
  // Called once the mail is sanitized and its quarantine id reserved, before the rebuilt mail is
  // written: the gateway prepares what the mail's encrypted attachments become and says so in the
  // notice (`options.ppap_notice`). Unset: nothing.
  std::function<void(const MailOutcome& outcome, mail::SanitizeOptions& options)> before_render;
};

// A mail kept whole until a person approves it (the gateway's holds): nothing of it passes on.
struct HeldMail {
  std::string_view raw;  // the caller's, alive for the call
  std::string actor;     // who holds it, as the audit log names them ("milter@node")
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::string subject;
  std::string message_id;
  std::string reason;          // one line for a person
  std::string classification;  // "機密性2"; empty when unknown
  std::string approver_role;   // the role the rule names to decide its release; empty: any approver role
  // Names this delivery however often it is retried (quarantine::Submission::retry_key).
  std::string retry_key;
  // The caller's audit record for the hold (required: the decision is the caller's), given the
  // id the mail is kept under and the original's digest.
  std::function<store::AuditEvent(const std::string& quarantine_id, const std::string& input_sha256)> record;
  // More writes that must stand or fall with the item.
  std::function<Result<void>(store::Database& db)> with_item;
};

struct HeldOutcome {
  std::string quarantine_id;
  // A retry of a delivery already held: nothing new was kept, and nothing recorded (the caller
  // records its decision, and tells nobody a second time).
  bool repeated = false;
  std::uint64_t audit_index = 0;  // the record's entry in the audit log (0: repeated)
};

class Intake {
 public:
  // `policy` null: no rule decides (a dry run with the engine's own judgement). `store` and `log`
  // null: nothing is kept or recorded (no --config); both or neither.
  Intake(const policy::CompiledPolicy* policy, quarantine::QuarantineStore* store, audit::AuditLog* log);

  // What the policy says of `channel` on this route; nullopt without a policy.
  Result<std::optional<policy::Decision>> rule(const Route& route, std::string_view channel) const;

  // Asks the policy for the route, then takes the item under that ruling.
  Result<FileOutcome> take_file(const FileItem& item, const FileSanitizer& sanitize);
  Result<MailOutcome> take_mail(const MailItem& item, const MailSanitizer& sanitize);
  // Under a ruling the caller made (the gateway decides once over all recipients' zones).
  Result<MailOutcome> take_mail(const MailItem& item, const std::optional<policy::Decision>& ruling, const MailSanitizer& sanitize);

  // Keeps a file the caller refused, as it came, with the caller's record of the refusal in one
  // transaction (the file blocked: nothing of it passes, and it is not lost); returns its quarantine
  // id once both are durable. Needs a store.
  Result<std::string> keep_refused(const FileItem& item, const Refusal& refusal);

  // Keeps the mail, its audit record and the caller's writes in one transaction; returns once
  // they are durable, and only then may the caller answer or tell anyone. Needs a store.
  Result<HeldOutcome> hold_mail(const HeldMail& item);

  bool keeps_originals() const { return store_ != nullptr; }

 private:
  const policy::CompiledPolicy* policy_;
  quarantine::QuarantineStore* store_;
  audit::AuditLog* log_;
};

// What a mail's display name must not borrow (the banner warns): the municipality's, bodies' and
// roles' names in both languages, the systems' sections, and every zone's mail domains.
void protect_city_identity(const policy::Policy& policy, mail::SanitizeOptions& options);

// `e` as the audit log keeps it: every 個人番号 / 法人番号 in the values of its details written
// masked (mail::mask_identification_numbers) — a reason naming "a.zip/山田_123456789018.csv", an
// engine's message, an envelope address, a Message-ID, an error's place. Records are kept for
// years and read by auditors, SIEMs and anyone with a proof; the number stays only in the kept
// original. What the program made itself keeps its value, since masking a run of digits in it
// would break the link it is: digests (keys ending in "sha256") and the ids of items in the store
// ("quarantine_id", "transfer", "transfer_id"). The subject is the builder's to mask: a name or
// an address it masks, an id (a quarantine id, Postfix's queue id "Q123456789018") it keeps.
// Every record the intake, the gateway and the transfer service write goes through here.
store::AuditEvent masked_record(store::AuditEvent e);

// "名前 <a@b.jp>" → "a@b.jp"; the bare address otherwise.
std::string address_of(std::string_view mailbox);

// The policy's decision for one flow at confidentiality `level` (the caller's flow and person).
using DecideAtLevel = std::function<Result<policy::Decision>(std::string_view level)>;

// Who approves a flow that carries a file the outgoing check could not read (an image, an encrypted
// or unknown file, a timeout) or a 個人番号: it might hold any level at or above `level` ("" when
// nothing could be read: from the lowest), so the most senior (by the roles' reports_to lines,
// Policy::senior_role) of `own` — the approver the flow's own decision names, "" when it asks for
// none — and the roles the approve decisions of those levels name (`decide`: the same decisions the
// caller makes, exceptions for the person's roles included). The nearest common superior when two
// are side by side (a role that may hold no approve rule itself: the organisation's line decides).
// "" when none is named (then the configured approver roles decide). An error when a level cannot
// be decided, or when two approvers have no common superior (`sanso policy check` refuses a policy
// where that can happen on one flow: `approvers-unordered`).
Result<std::string> approver_for_unchecked(const policy::Policy& policy, std::string_view level, const DecideAtLevel& decide, std::string_view own = "");

}  // namespace sanso::intake
