// transfer: files handed from one zone to another (clause 6(3)②), on the one intake pipeline.
//
// A person sends files from the zone they act from ([[users]] zone) to a named recipient. The
// policy decides the route for the channel "file"; anything to or from the マイナンバー利用事務系 is
// refused (6(3)①) unless an exception in force lets it through. Files from the internet enter
// through intake::Intake::take_file (sandboxed CDR, original in quarantine with its audit record);
// the recipient gets the rebuilt files and sees why the others were blocked. Files leaving for the
// internet carry a reason, are scanned in the sandbox for 個人番号 / 法人番号 and classification
// marks like outgoing mail, and wait for the approver role the rule names when the rule or the
// scan says so — never approved by their sender; once approved they leave by a one-time link.
//
// What a recipient gets is kept sealed the way the quarantine keeps its originals (its key, its
// format); a transfer and all its files are written in one transaction, after every original is
// durable, so a failing store leaves no transfer half-written and loses no original.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "directory/directory.h"
#include "cdr/unlock.h"
#include "intake/intake.h"
#include "mime/notice_mail.h"
#include "mail/outbound.h"
#include "policy/decide.h"
#include "store/audit_sink.h"
#include "store/database.h"

namespace sanso::audit {
class AuditLog;
}
namespace sanso::quarantine {
class QuarantineStore;
}
namespace sanso::store {
class SharedDatabase;
}

namespace sanso::transfer {

enum class State : std::uint8_t {
  kPendingApproval,  // waits for the approver role its rule (or the scan) names
  kApproved,         // outgoing: approved, no download link issued yet
  kDenied,
  kReady,            // the recipient may fetch it (or the link holder download it)
  kDownloaded,
  kExpired,          // past its retention: nothing of it can be fetched any more
};
std::string_view to_string(State state);  // "pending-approval", "approved", …
std::optional<State> parse_state(std::string_view text);
std::string_view state_label(State state, std::string_view lang);  // 承認待ち / Pending approval …

// A person as the configuration knows them, with the zone they act from.
struct Person {
  std::string name;
  std::vector<std::string> roles;
  std::string zone;     // [[users]] zone; empty: takes no part in transfers
  std::string via;      // how they proved who they are (recorded with each action)
  std::string account;  // the operating-system account behind a CLI action ("uid 1000"); "" otherwise
};

// One file as its sender hands it in: its bytes, or (a spooled upload) its size and a way to read
// it when its turn comes, so that a transfer holds one file in memory at a time, not all of them.
struct Upload {
  std::string name;   // as the sender's system names it: normalised by safe_name()
  std::string bytes;
  std::int64_t size = 0;                        // with `read`: what it will return
  std::function<Result<std::string>()> read;    // set: `bytes` is unused
};

// A file name safe on every recipient's file system and in every listing: the last component of
// a path only, no NUL, control, bidirectional-override or zero-width characters, valid UTF-8, at
// most 255 bytes, not "." or "..", no characters Windows forbids, not a Windows device name.
// Hostile parts that can be dropped are (folders, leading dots, trailing dots and spaces,
// forbidden characters → "_"); a name that would hide what it is (bidi, control, NUL, invalid
// UTF-8) or is empty or too long is refused with what and why (code "transfer.name").
Result<std::string> safe_name(std::string_view raw);

struct TransferFile {
  int position = 0;
  std::string name;  // safe_name() of the upload
  std::int64_t size = 0;
  std::string sha256;         // of the original
  std::string quarantine_id;  // where the original is kept
  std::string verdict;        // the engine's ("clean", "sanitized", "blocked") or "held", "allowed"
  std::string reason;         // why, for a blocked file: the engine's reason and message
  std::string findings_json;  // the engine's findings (cdr::result_to_json's "findings")
  std::string output_name;    // what the recipient gets; empty when nothing (blocked)
  std::string output_sha256;
  std::int64_t unlock_attempts = 0;  // PPAP: passwords tried on it (right or wrong)
  std::int64_t unlocked_at = 0;      // PPAP: when the right password was given; 0 before

  // Blocked only because it is password-protected (PPAP), and not unlocked yet: its sender may
  // give the password (TransferService::unlock).
  bool awaits_password() const { return verdict == "blocked" && reason.rfind("encrypted:", 0) == 0 && unlocked_at == 0; }
};

struct Transfer {
  std::string id;
  std::string from_zone, to_zone;
  std::string sender, sender_account, recipient, reason;
  State state = State::kPendingApproval;
  std::string action;  // the policy's: "allow", "sanitize", "approve"
  std::string rule_id, clause;
  std::string hold_reason;    // why it waits for approval (the rule, 個人番号 found, …)
  std::string approver_role;  // who may decide it
  std::string decided_by, decision_note;
  std::int64_t decided_at = 0;
  bool link_issued = false;
  std::int64_t link_expires_at = 0;
  bool link_has_password = false;
  std::int64_t created_at = 0, expires_at = 0, state_changed_at = 0;
  std::vector<TransferFile> files;
};

// A rebuilt (or approved) file handed to its recipient.
struct Delivered {
  std::string name;
  std::string bytes;
};

// A new one-time link: the token is shown once and kept only as its SHA-256.
struct Link {
  std::string token;
  std::int64_t expires_at = 0;
};

// One page of a person's transfers, newest first. `after` is the `next` of the page before.
struct ListQuery {
  std::int64_t limit = 100;  // 1 … 500
  std::string after;
  bool awaiting_decision = false;  // only what waits for a role the person holds (never their own)
};
struct Listing {
  std::vector<Transfer> transfers;
  std::string next;  // continues the listing; empty on its last page
};

// A person the city's directory knows, as a recipient: their name as the directory keeps it and
// the zone their groups put them on ("" for none).
struct DirectoryEntry {
  std::string name;
  std::string zone;
  std::string mail;  // where their notices go; "" for none
};
// Looks a name up in the directory: nullopt when it knows nobody of that name; an error when it
// cannot be asked (code "directory.unavailable") or will not say (disabled, ambiguous).
using DirectoryLookup = std::function<Result<std::optional<DirectoryEntry>>(const std::string& name)>;
// The people the directory gives any of `roles` (through the groups mapped to them) and where
// their notices go: approvers known only to the directory hear of a transfer waiting for them.
using DirectoryApprovers = std::function<Result<std::vector<DirectoryEntry>>(const std::vector<std::string>& roles)>;

// The two as the city's directory answers them (directory::look_up, directory::members_of, bound
// as [directory] lookup_bind): what `sanso transfer` and `sanso web` wire.
DirectoryLookup directory_lookup(const directory::Settings& settings);
DirectoryApprovers directory_approvers(const directory::Settings& settings);
// directory::look_up_by_mail as a DirectoryLookup of an address.
DirectoryLookup directory_by_mail(const directory::Settings& settings);

// How outgoing files are scanned: a file in, what outgoing mail's scan reports (run in the
// sandbox; a scan that fails sets `error`, and the transfer is held).
using OutgoingScanner = std::function<mail::OutboundScan(std::string_view bytes, std::string_view name)>;

// How an encrypted file is unlocked: decrypted with the password and rebuilt in one fresh
// sandboxed child (cdr::unlock_sandboxed under the service's CDR policy).
using Unlocker = std::function<cdr::UnlockOutcome(std::string_view bytes, std::string_view name, std::string_view password)>;

// The outgoing scan of mail (mail::outbound_scan_task) applied to one file, through `scanner`,
// an executor of that task: the file is carried as the attachment of a message whose subject is
// its name, so a 【機密性2】 in the name and a 個人番号 in its text are found as in a mail.
mail::OutboundScan scan_outgoing_file(sandbox::Executor& scanner, std::string_view bytes, std::string_view name);

// PPAP from mail: the password-protected attachments of one inbound mail, made a transfer from
// its (external) sender to the LGWAN person its recipient address belongs to. The sender is not a
// Sanso user, so the one-time link is the capability: it unlocks only this transfer's files, and
// what comes out is the rebuild for the LGWAN recipient, never the original or the password.
struct MailAttachment {
  std::string name;
  std::string message;  // why the engine blocked it ("the zip archive is password-protected")
  std::string bytes;
};
struct MailPpap {
  Transfer transfer;   // as write_mail_ppap stores it
  std::string token;   // the link's secret; empty: no link is sent (the sender is not authenticated)
  std::string sender;  // the envelope sender the link goes to
  std::vector<std::string> sealed;  // each file's bytes sealed, in order
  // What names the delivery however often it is retried (the gateway's key of the message, its
  // envelope and the recipient): a retry finds this transfer instead of making another.
  std::string delivery;
};

class TransferService {
 public:
  struct Engines {
    intake::FileSanitizer sanitize;  // the CDR engine in the sandbox (with clamd when configured)
    OutgoingScanner scan;
    Unlocker unlock;  // unset: files blocked as encrypted stay blocked (unlock is "transfer.config")
  };
  struct Options {
    config::TransferSettings limits;
    std::vector<std::string> approver_roles;  // who decides a hold whose rule names no role
    std::string unmarked_classification = "1";  // an outgoing file without a mark counts as this level
    std::string key_file;                       // the quarantine's sealing key
    std::string node = "sanso";
    const Clock* clock = nullptr;  // default: the system clock
    // The city's directory ([directory] lookup_bind): recipients not in [[users]] are looked up
    // there before being taken for outside parties. Empty: [[users]] only.
    DirectoryLookup directory;
    // With the lookup account: the approvers the directory knows, asked when a transfer waits
    // for a decision (beside the approvers of [[users]]); empty: [[users]] only.
    DirectoryApprovers directory_approvers;
    // With the lookup account: the person whose directory entry holds a mail address, for the LGWAN
    // recipients of a mail with a password-protected attachment who are not in [[users]] (most
    // staff, where people sign in through the directory); empty: [[users]] only.
    DirectoryLookup directory_by_mail;
    // Notices to the people a transfer concerns: the recipient when files wait for them, the
    // approvers ([[users]] and the directory's) when it waits for a decision, the sender once it is decided. Each
    // attempt is recorded (transfer.notify); a notice that cannot go never undoes the transfer.
    // `send_notice` hands one message to the relay and returns its reply; empty: no notices.
    std::function<Result<std::string>(const mime::ComposedNotice& notice, const std::vector<std::string>& to)> send_notice;
    std::string notice_from = "postmaster";
    std::string console_url;  // [web] public_origin, named in notices; empty: "the console"
    // [web] internet_origin (else public_origin): where the PPAP links mailed to internet senders
    // point; empty: console_url.
    std::string internet_url;
  };

  // Everything on the service's connection; all of it must outlive the service.
  static Result<std::unique_ptr<TransferService>> open(const config::ServiceConfig& config, const policy::CompiledPolicy& policy,
                                                       quarantine::QuarantineStore& quarantine, audit::AuditLog& log,
                                                       store::SharedDatabase& db, Options options, Engines engines);
  ~TransferService();

  // Sends `files` from the sender's zone to `recipient`: a [[users]] name or a person the
  // directory knows (their zone is the destination), or for files leaving for the internet any
  // other name the sender gives (the link holder). With a directory configured, a name it cannot
  // be asked about is refused (transfer.directory), never taken for an outside party. Returns the transfer as stored; a refusal (policy, limits, names, the sender's
  // [transfer] user_quota_mb) is an error that says why and is recorded (transfer.refuse).
  Result<Transfer> send(const Person& sender, const std::string& recipient, const std::string& reason, std::span<const Upload> files);

  // The transfers `person` sent or receives, and those waiting for a role they hold; newest first,
  // a page at a time (every one of them is reached by following `next`). A `after` that is not a
  // `next` this service gave is "transfer.cursor".
  Result<Listing> list(const Person& person, const ListQuery& query = {});
  // One transfer, if `person` may see it (its sender, recipient or an approver of it).
  Result<Transfer> get(const std::string& id, const Person& person);

  // The recipient fetches what they may have (the rebuilt files); blocked files are in get().
  Result<std::vector<Delivered>> fetch(const std::string& id, const Person& recipient);

  // An approver decides a transfer pending approval; never its sender (by name or account).
  Result<Transfer> approve(const std::string& id, const Person& approver, const std::string& note);
  Result<Transfer> deny(const std::string& id, const Person& approver, const std::string& note);
  // Whether approve() and deny() would let `approver` decide `t` (pending, not their own, a role
  // they hold): what a console offers, by the rule those two enforce.
  bool may_decide(const Transfer& t, const Person& approver) const;

  // The sender of an approved outgoing transfer issues its one-time link (a new one replaces any
  // earlier), with an optional password; it lives [transfer] link_hours, within the retention.
  Result<Link> issue_link(const std::string& id, const Person& sender, const std::string& password);
  // Whoever holds the link downloads the files, once; wrong passwords are counted and the link is
  // revoked after [transfer] max_password_failures. `source` names where it came from (recorded).
  Result<std::vector<Delivered>> download(const std::string& token, const std::string& password, const std::string& source);

  // PPAP: the sender of an incoming transfer, acting from the internet side, gives the password of
  // file `position`, blocked as encrypted. It is decrypted and rebuilt in the sandbox; the rebuild
  // (or why it is blocked) replaces the file's verdict and its recipient is told. Each attempt is
  // counted before it is tried and recorded (transfer.unlock: ok, wrong, locked, refused); after
  // [transfer] unlock_attempts the file stays locked. The password is handed to the sandbox only:
  // never stored, logged or part of any error. `source` names where the attempt came from.
  Result<TransferFile> unlock(const std::string& id, int position, const Person& sender, std::string_view password, const std::string& source);

  // PPAP from mail (the gateway). The LGWAN person whose [[users]] `mail` is `address` (case
  // aside), else the one the directory finds by it (Options::directory_by_mail) when their groups
  // put them in LGWAN; nullopt for nobody, and when the directory cannot say (logged): the
  // attachment then stays removed, as before.
  std::optional<std::string> recipient_for_address(const std::string& address) const;
  // Prepares the transfer for `files` from `sender` (the envelope sender) to `recipient`, under
  // the mail's ruling, pointing at the mail kept as `mail_quarantine_id`; a link token when
  // `send_link`. With a `delivery` (MailPpap::delivery) the transfer's id follows from it, so
  // that attempts of one delivery racing each other name the same transfer. Writes nothing:
  // write_mail_ppap does, in the mail's own transaction.
  Result<MailPpap> prepare_mail_ppap(const std::string& sender, const std::string& recipient, const std::string& mail_quarantine_id,
                                     const std::string& rule_id, const std::string& clause, std::span<const MailAttachment> files, bool send_link,
                                     const std::string& delivery = "");
  // Writes it, claiming its delivery's key in the same statement: true when this attempt made the
  // transfer; false when an attempt of the same delivery racing it made that very transfer (then
  // nothing is written and no link may be sent); an error ("transfer.conflict") when that attempt
  // made one of another id.
  Result<bool> write_mail_ppap(store::Database& d, const MailPpap& ppap);
  // The transfer an earlier attempt of the same delivery made (MailPpap::delivery) while its
  // attachments still wait for their password; nullopt when there is none.
  Result<std::optional<std::string>> mail_ppap_for_delivery(const std::string& delivery);
  // After the commit: mails the link to the sender through the relay (recorded as transfer.notify).
  void send_mail_ppap_link(const MailPpap& ppap);
  // The transfer a PPAP link unlocks, while the link is usable; unknown, used and expired links
  // get one answer ("transfer.link").
  Result<Transfer> ppap_transfer(const std::string& token);
  // The link holder gives the password of file `position` of that transfer: the same unlock as
  // unlock() (attempts per file, per source, recorded, password to the sandbox only). The link is
  // spent once no file of it waits for a password any more (unlocked or locked).
  Result<TransferFile> unlock_with_link(const std::string& token, int position, std::string_view password, const std::string& source);

  // Transfers past their expiry become expired and their sealed files are deleted; returns how many.
  Result<std::int64_t> expire(const std::string& actor);

 private:
  struct Impl;
  explicit TransferService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The quarantine's purge hook (QuarantineStore::on_purge): the PPAP attachments sealed from the
// mail kept as `quarantine_id` are discarded and their links end, audited (`transfer.original`,
// discarded, "its mail was purged from the quarantine"), in the purge's transaction on `d`.
// TransferService::open registers it on its quarantine; `sanso quarantine purge` too.
Result<void> discard_with_purged_mail(store::Database& d, store::AuditSink& log, const std::string& quarantine_id, const std::string& actor);

// When a long-running service (`sanso web`) sweeps expired transfers: at its first look, then
// once per `period` of the injected clock, however often it looks, so that no timer has to be
// remembered across restarts. A sweep that failed is tried again a period later.
class ExpirySchedule {
 public:
  explicit ExpirySchedule(const Clock& clock, std::chrono::seconds period = std::chrono::hours(1)) : clock_(clock), period_(period) {}
  // Runs `service.expire(actor)` when due: its answer, or nullopt when it was not due.
  std::optional<Result<std::int64_t>> run_if_due(TransferService& service, const std::string& actor);

 private:
  const Clock& clock_;
  std::chrono::seconds period_;
  std::optional<std::chrono::system_clock::time_point> next_;
};

}  // namespace sanso::transfer
