// The mail side of 無害化 (clauses 2(13), 6(3)②): one internet mail in, one text-only mail out —
// the body as plain text (HTML converted as a reader would see it), headers kept from an
// allow-list and re-encoded correctly, each attachment rebuilt by the CDR engine or removed (per
// policy), listed in a notice at the top with the quarantine id to ask for the original. Never
// HTML, never an original attachment.
//
// sanitize_message() is pure (bytes in, a plan out) and runs in the sandbox; render_message()
// turns the plan into bytes once the original is safely in quarantine and its id is known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/cdr.h"
#include "core/result.h"
#include "mail/attachment_batches.h"
#include "mail/vocabulary.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

struct SanitizeOptions {
  std::string output_charset = "utf-8";  // or "iso-2022-jp" for old clients
  bool prefer_html = false;              // take the HTML alternative even when text exists
  bool defang_links = true;
  std::string lang = "ja";
  std::vector<std::string> keep_headers = {"From",       "To",         "Cc",       "Reply-To",    "Date",
                                           "Subject",    "Message-ID", "In-Reply-To", "References", "Received",
                                           "Return-Path"};  // Authentication-Results never: whoever sent the mail wrote it
  std::size_t max_message_bytes = std::size_t{50} << 20;
  int max_depth = 32;
  int max_parts = 1000;
  std::string contact;  // who to ask for an original ("情報政策係 (内線 1234)"); a default when empty
  // A Mustache template for the notice (text, not HTML); empty: the built-in one. Variables:
  // verdict, held, sanitized, reason, quarantine_id, contact, html_converted, hidden_text (text
  // hidden from the reader was removed), text_cut (the converted text was cut), attached_messages,
  // removed_count, removed (list of name, type, size, flags), sanitized_count,
  // sanitized_attachments (list of name, size, findings).
  std::string notice_template;
  // What happens to attachments: remove (original to quarantine, listed), sanitize (rebuilt
  // by the CDR engine and attached; blocked files removed), reject (the whole message held).
  AttachmentAction attachment_action = AttachmentAction::kRemove;
  // Exceptions by file extension or CDR content type ("zip" → remove, "exe" → reject).
  std::map<std::string, AttachmentAction, std::less<>> attachment_rules;
  cdr::CdrPolicy cdr;
  std::string clamd;  // when set, every attachment and its rebuilt form are scanned (cdr/clamd.h)
  // What a critical parser finding (structure other software may read differently, see
  // ParserFinding) does to the message: remove-attachments (no attachment passes, not even
  // rebuilt; the notice says why), hold (the whole message held) or sanitize (recorded and
  // flagged in the notice only).
  ParserCriticalAction on_parser_critical = ParserCriticalAction::kRemoveAttachments;

  // What the gateway knows of this message from the network, for the banner and Sanso's own
  // Authentication-Results; empty fields are unknown (a message sanitized from a file).
  struct Arrival {
    std::string source_zone;      // the policy zone the client's network is in ("internet", …)
    std::string client_address;   // the SMTP client's IP address
    std::string envelope_sender;  // MAIL FROM without <>; empty for a bounce
  };
  Arrival arrival;
  // The authserv-id of Sanso's Authentication-Results header (RFC 8601 2.5); empty: the host name.
  std::string authserv_id;
  // Names a display name must not borrow: the city's, its bodies', departments', units' and roles'
  // names (ja and en), and the city's mail domains. A display name that contains one (after
  // width, case and white space are normalised) is warned about in the banner.
  std::vector<std::string> protected_names;
  std::vector<std::string> protected_domains;  // lower-case; a domain covers its subdomains
  // Known correspondents: display name → the address they write from. The same name with
  // another address is warned about.
  std::vector<std::pair<std::string, std::string>> correspondents;
  // PPAP: what became of the password-protected attachments (the gateway's words: a link was sent
  // to their sender, or why not), appended to the notice; empty: nothing to say.
  std::string ppap_notice;
  // The outgoing check (outbound.h) reads every leaf part, not only the body and the attachments:
  // when set, the parse keeps each one in SanitizePlan::leaves.
  bool keep_leaves = false;
};

// Checks a notice template before it is used; the error names what is wrong.
Result<void> check_notice_template(const std::string& text);

// What happened to one MIME part.
struct PartReport {
  std::string path;        // "1", "1.2", …
  std::string type;        // "text/html"
  std::string charset;     // as labelled
  std::string decoded_as;  // what its text was decoded as
  std::size_t size = 0;    // decoded bytes
  std::string name;        // file name, decoded
  PartAction action = PartAction::kSkipped;
  std::vector<std::string> flags;  // "mislabelled-charset", "double-extension", "bidi-control", …
};

// An attachment as it goes out: rebuilt by the CDR engine.
struct SanitizedAttachment {
  std::size_t part = 0;  // index into SanitizePlan::parts
  std::string name;      // the output name (docm → docx)
  std::string content_type;
  std::string bytes;
  std::vector<cdr::Finding> findings;
};

// An anomaly the MIME parser (GMime) met in the message: duplicated or conflicting headers and
// parameters, a multipart without its boundary, a truncated message, … Critical ones are those
// where other software (a mail client, another filter) may see a different structure than we do.
struct ParserFinding {
  FindingSeverity severity = FindingSeverity::kCritical;  // warning or critical (GMIME_WARN_* / GMIME_CRIT_*)
  ParserFindingKind kind = ParserFindingKind::kUnknown;
  int unknown_code = 0;     // for kUnknown: the parser's code, named in the wire form "unknown-<code>"
  std::string item;         // the header or parameter concerned, printable ASCII, at most 80 characters
  std::int64_t offset = -1;  // byte offset of the first occurrence in the message; -1 when unknown
  std::size_t count = 1;    // occurrences of this kind and item
};

// The finding's kind as the plan JSON and the report name it: "conflicting-header", …, and
// "unknown-4242" for a code the table does not know.
std::string kind_name(const ParserFinding& finding);
// The kind (and unknown_code) of `finding` from such a name; a name Sanso does not write is an
// error ("mail.value") that quotes it and carries `where`.
Result<void> read_kind_name(ParserFinding& finding, std::string_view name, std::string_view where);
// The finding's kind in words (ja or en), for the notice.
std::string describe_parser_finding(const ParserFinding& finding, const std::string& lang);

// One mailbox of the From header as the parser read it.
struct Mailbox {
  std::string name;     // the display name, decoded, without controls; "" when none
  std::string address;  // the addr-spec
};

// Why a From display name may mislead: it carries another address ("address-in-name"), borrows a
// name or domain of the city ("city-name"), or a known correspondent's name with another address
// ("correspondent-name"); or the From address is the city's own although the mail came from the
// internet ("city-address-from-internet"), or its domain imitates the city's or a correspondent's
// ("lookalike-domain": city.rninamata.lg.jp, an IDN in Cyrillic, city.minamata.lg.jp.example.net).
struct SenderFinding {
  SenderFindingKind kind = SenderFindingKind::kAddressInName;
  std::string display_name;
  std::string address;  // the real one
  std::string matched;  // what the display name matched (the address, name or domain)
};

struct Header {
  std::string name;
  std::string value;  // ready to write: ASCII, folded, RFC 2047 where needed
};

// The sanitized message, before it is written out.
struct SanitizePlan {
  Verdict verdict = Verdict::kClean;  // clean: plain text, nothing removed; held: not converted
  std::string reason;   // for "held": why, in words
  std::vector<Header> headers;
  std::string body;     // UTF-8 text, without the notice
  std::vector<PartReport> parts;
  std::vector<std::string> warnings;
  std::vector<ParserFinding> parser_findings;  // distinct (kind, item), at most 100
  std::size_t replaced_characters = 0;
  // Decoded envelope-ish facts, for the quarantine record and the audit log.
  std::string subject, from, message_id;
  std::vector<std::string> to;
  std::vector<Mailbox> from_mailboxes;          // the From header's mailboxes (group members included)
  // Header fields holding a right-to-left override: their name and text as a viewer shows it (the
  // outgoing check reads it; `headers` and `subject` have the override taken out). Not in the
  // plan's JSON: the scanner reads it in the process that made the plan.
  std::vector<std::pair<std::string, std::string>> overridden_headers;
  std::vector<SenderFinding> sender_findings;   // filled by check_sender()
  std::size_t banner_lookalike_lines = 0;       // body lines that imitated the banner, now quoted
  std::vector<SanitizedAttachment> attachments;
  // Attachments waiting for the CDR engine: part index and original bytes. Filled by the parse,
  // emptied by finish_attachments().
  std::vector<std::pair<std::size_t, std::string>> pending;
  // PPAP: attachments the engine blocked only because they are password-protected, with their
  // bytes, so that the gateway can hold them for the password (transfer: unlock by link). Filled
  // by finish_attachments outside the sandbox; never written to the plan JSON or a report.
  struct Encrypted {
    std::size_t part = 0;  // index into parts
    std::string name;
    std::string message;  // the engine's words ("the zip archive is password-protected")
    std::string bytes;
  };
  std::vector<Encrypted> encrypted;
  // Every leaf part of the message, of attached messages and of TNEF blobs, for the outgoing check
  // (SanitizeOptions::keep_leaves; never written to the plan JSON or a report). Bounded by the
  // message's limits (size, parts) and, for TNEF, kMostTnefFiles.
  struct Leaf {
    enum class Kind {
      kText,        // an inline text/plain part: `bytes` is its decoded UTF-8 text
      kHtml,        // an inline text/html part: `bytes` is its decoded UTF-8 markup
      kFile,        // any other part (attachment or inline): `bytes` as transfer-decoded, `name` its file name or ""
      kHeader,      // an attached message's Subject (decoded), `bytes` the text
      kField,       // any other header field of the message or a part, decoded: `name` where ("部分2/ヘッダー(Content-Description)")
      kOutside,     // a multipart's preamble or epilogue (no reader shows it, but it leaves): `name` where, `bytes` its text
      kUnreadable,  // nothing could be read: `bytes` says why ("tnef: …"), `name` what
    };
    Kind kind = Kind::kFile;
    std::size_t part = 0;  // index into parts
    std::string prefix;    // the attached messages it is inside: "" or "転送メール(2)/", "転送メール(2)/転送メール(2.3)/"
    std::string name;      // a file's name: the part's, or a TNEF member's after its blob's ("winmail.dat/a.xls")
    std::string bytes;
  };
  std::vector<Leaf> leaves;
};

// At most this many files of one TNEF blob are read by the outgoing check; the rest cannot be checked.
constexpr std::size_t kMostTnefFiles = 500;

// Parses and sanitizes in-process; attachments go through cdr::sanitize in this process too (for
// tests and fuzzing — the service uses sanitize_sandboxed).
SanitizePlan sanitize_message(std::string_view raw, const SanitizeOptions& options);

// The parse alone: attachments to rebuild are left in `pending`.
SanitizePlan plan_message(std::string_view raw, const SanitizeOptions& options);

// Runs the pending attachments through `cdr` (a sandboxed or in-process engine), all of them in
// one call so that the engine can batch them (attachment_batches.h): rebuilt ones are attached,
// blocked ones removed with the reason; a rule may instead hold the whole message. The engine
// answers one result per input, in order.
using AttachmentSanitizer = std::function<std::vector<cdr::CdrResult>(const std::vector<AttachmentInput>& inputs)>;
void finish_attachments(SanitizePlan& plan, const SanitizeOptions& options, const AttachmentSanitizer& cdr);

// Compares the From display names with the real addresses, the city's names and domains and the
// known correspondents (options), and records what misleads in plan.sender_findings. Runs outside
// the sandbox on the decoded plan, since the lists are per message; sanitize_message and
// sanitize_sandboxed call it.
void check_sender(SanitizePlan& plan, const SanitizeOptions& options);

// The output message: Sanso's Authentication-Results, kept headers, X-Sanso-Sanitized / X-Sanso-Report, one text/plain part with
// the banner above the body whatever the verdict: the real sender (From addr-spec, envelope sender),
// warnings about the display name, what was removed and the quarantine id.
std::string render_message(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id);

// One MIME entity of a message as a reader's parser finds it, in depth-first order, multiparts
// and attached messages included: how tests and the fuzz target prove that an output holds
// exactly what its plan reports and nothing else.
struct OutputEntity {
  std::string type;    // "multipart/mixed", "text/plain", … (lower-case, without parameters)
  std::string name;    // the file name, decoded; "" when it has none
  std::string sha256;  // of the transfer-decoded content of a named entity; "" otherwise
  bool operator==(const OutputEntity&) const = default;
};

// The entities GMime finds in `message`; empty when it does not parse as a message.
std::vector<OutputEntity> output_entities(std::string_view message);

// The entities render_message writes for `plan`: the text part, and each rebuilt attachment
// under one multipart/mixed when there are any.
std::vector<OutputEntity> expected_entities(const SanitizePlan& plan);

// The plan as JSON (the report) and back; attachment bytes only when asked for (the wire form's
// content, for tests and the fuzz target), never in reports.
std::string plan_to_json(const SanitizePlan& plan, bool with_bytes = false);
Result<SanitizePlan> plan_from_json(std::string_view json);
// The plan as the parse worker hands it to the parent (plan_wire.cc): what plan_to_json(plan, true)
// carries, as lengths and bytes read in one pass. The reader takes hostile bytes: a length past
// the end, a count larger than the answer, an unknown word, a text that is not UTF-8, a part that
// does not exist or bytes after the plan make it an error ("mail.plan"), and the message is held.
std::string plan_to_wire(const SanitizePlan& plan);
Result<SanitizePlan> plan_from_wire(std::string_view wire);

// The sandboxed work of the mail engine, one executor each (sandbox::start), made for the options
// of a service or a command: the message parse (plan_message in a child), the attachments'
// rebuilds in batches (attachment_batches.h), and one file alone (a failed batch's files,
// conversions). A service makes them as pools before it starts its threads.
struct MailExecutors {
  std::unique_ptr<sandbox::Executor> parse;
  std::unique_ptr<sandbox::Executor> batches;
  std::unique_ptr<sandbox::Executor> files;
  static Result<MailExecutors> start(const SanitizeOptions& options, const sandbox::Launch& launch);
};

// sanitize_message with every parser in the sandbox, through `executors` (made for these options;
// a message may differ in what happens to its attachments — attachment_action, attachment_rules,
// e.g. stricter for a risky sender — and in what the parent checks: arrival, the sender lists).
// The message is parsed in one sandbox, its attachments rebuilt in others, so a hostile file
// cannot reach the message's text. A crash, hang or excess there becomes a "held" plan.
SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options, MailExecutors& executors);
// One message with a fresh child per job: MailExecutors::start(options, fork_per_job).
SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options);

}  // namespace sanso::mail
