// The mail sanitizer's words as types: what happened to a message (Verdict), to each of its MIME
// parts (PartAction), what the configuration says happens to attachments (AttachmentAction) and to
// a message with critical parser findings (ParserCriticalAction). The wire names ("held",
// "removed", …) are those of the plan JSON, the report and the audit record (docs/audit-format.md);
// text becomes an enum once, where it enters (sanso.toml, the plan JSON from the sandbox).
//
// Its own small library (sanso_mail_vocabulary, on core only) so that the configuration can parse
// these words without linking the mail engine.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/vocabulary.h"

namespace sanso::mail {

// What became of a message: plain text already ("clean"), converted or stripped ("sanitized"), or
// not converted at all ("held", kept in quarantine and withheld).
enum class Verdict : std::uint8_t { kClean, kSanitized, kHeld };

// What became of one MIME part. kPending: an attachment waiting for the CDR engine between the
// parse and finish_attachments(); it never leaves the sanitizer as pending.
enum class PartAction : std::uint8_t { kBody, kConverted, kRemoved, kSanitized, kRejected, kSkipped, kPending };

// What the policy wants done with an attachment: "remove" (original to quarantine, listed),
// "sanitize" (rebuilt by the CDR engine), "reject" (the whole message held).
enum class AttachmentAction : std::uint8_t { kRemove, kSanitize, kReject };

// What a critical parser finding does to the message (SanitizeOptions::on_parser_critical).
enum class ParserCriticalAction : std::uint8_t { kRemoveAttachments, kHold, kSanitize };

// What the gateway does with outgoing mail in which it finds 個人番号/法人番号 ([mail]
// identifier_action): "hold" (kept for approval) or "reject" (refused, nothing kept).
enum class IdentifierAction : std::uint8_t { kHold, kReject };

// What the outgoing check does with a picture ([mail] pictures): "ocr" reads its text with
// Tesseract and checks it like any text; "hold" reads none, and every picture is unchecked, so the
// mail waits for an approver (for a city that will not run OCR, or not trust it).
enum class PictureReading : std::uint8_t { kOcr, kHold };

// What the gateway does with an internet client that claims a city mail domain ([mail]
// outside_city_sender): "reject" (refused) or "internet" (handled as the internet mail it is).
enum class OutsideCitySender : std::uint8_t { kReject, kInternet };

// An identification number found in outgoing text (mail/identifiers.h): 個人番号 or 法人番号.
enum class NumberKind : std::uint8_t { kIndividual, kCorporate };

// What the sender check found wrong with how a sender is shown (SenderFinding): another address
// in the display name, the city's name, a known correspondent's name, a domain that imitates a
// protected one, or a city address arriving from the internet.
enum class SenderFindingKind : std::uint8_t { kAddressInName, kCityName, kCorrespondentName, kLookalikeDomain, kCityAddressFromInternet };

// An anomaly the MIME parser met (GMime's GMIME_WARN_* / GMIME_CRIT_*, and Sanso's own checks of
// boundaries and structural headers). kUnknown: a code this table does not know (a newer GMime);
// it is critical, and a finding of it names its code ("unknown-4242", see ParserFinding).
enum class ParserFindingKind : std::uint8_t {
  kDuplicatedHeader,
  kDuplicatedParameter,
  kUnencoded8bitHeader,
  kInvalidContentType,
  kInvalidRfc2047Header,
  kMalformedMultipart,
  kTruncatedMessage,
  kMalformedMessage,
  kInvalidHeaderName,
  kConflictingHeader,
  kConflictingParameter,
  kMultipartWithoutBoundary,
  kInvalidParameter,
  kInvalidAddressList,
  kNestingOverflow,
  kPartWithoutContent,
  kPartWithoutHeadersOrContent,
  kAmbiguousBoundary,
  kDuplicateBoundary,
  kPartOutsideBoundaries,
  kBoundaryPrefix,
  kAmbiguousPartHeader,
  kUnknown,
};

std::string_view to_string(Verdict verdict);               // "clean", "sanitized", "held"
std::string_view to_string(PartAction action);             // "body", "converted", "removed", …
std::string_view to_string(AttachmentAction action);       // "remove", "sanitize", "reject"
std::string_view to_string(ParserCriticalAction action);   // "remove-attachments", "hold", "sanitize"
std::string_view label(Verdict verdict, std::string_view lang);  // lang "en": English, else Japanese
std::string_view label(PartAction action, std::string_view lang);
std::string_view label(AttachmentAction action, std::string_view lang);
std::string_view label(ParserCriticalAction action, std::string_view lang);
std::string_view to_string(IdentifierAction action);       // "hold", "reject"
std::string_view to_string(PictureReading reading);        // "ocr", "hold"
std::string_view to_string(OutsideCitySender handling);    // "reject", "internet"
std::string_view label(IdentifierAction action, std::string_view lang);
std::string_view label(PictureReading reading, std::string_view lang);
std::string_view label(OutsideCitySender handling, std::string_view lang);
std::string_view to_string(NumberKind kind);         // "individual_number", "corporate_number"
std::string_view to_string(SenderFindingKind kind);  // "address-in-name", "city-name", …
std::string_view label(NumberKind kind, std::string_view lang);  // 個人番号, 法人番号
std::string_view label(SenderFindingKind kind, std::string_view lang);
std::string_view to_string(ParserFindingKind kind);  // "duplicated-header", …, "unknown"
std::string_view label(ParserFindingKind kind, std::string_view lang);
// Warning or critical, as GMime grades its own codes; critical for kUnknown.
FindingSeverity severity_of(ParserFindingKind kind);

// Text to enum; the error (code "mail.value") quotes the bad value, lists the accepted ones and
// carries `where` (a config key's file:line:column, "plan JSON parts[3].action", …).
Result<Verdict> parse_verdict(std::string_view text, std::string_view where);
Result<PartAction> parse_part_action(std::string_view text, std::string_view where);
Result<AttachmentAction> parse_attachment_action(std::string_view text, std::string_view where);
Result<ParserCriticalAction> parse_parser_critical_action(std::string_view text, std::string_view where);
Result<IdentifierAction> parse_identifier_action(std::string_view text, std::string_view where);
Result<PictureReading> parse_picture_reading(std::string_view text, std::string_view where);
Result<OutsideCitySender> parse_outside_city_sender(std::string_view text, std::string_view where);
Result<NumberKind> parse_number_kind(std::string_view text, std::string_view where);
Result<SenderFindingKind> parse_sender_finding_kind(std::string_view text, std::string_view where);
Result<ParserFindingKind> parse_parser_finding_kind(std::string_view text, std::string_view where);

// The wire name, for logs and test failure messages.
std::ostream& operator<<(std::ostream& out, Verdict verdict);
std::ostream& operator<<(std::ostream& out, PartAction action);
std::ostream& operator<<(std::ostream& out, AttachmentAction action);
std::ostream& operator<<(std::ostream& out, ParserCriticalAction action);
std::ostream& operator<<(std::ostream& out, IdentifierAction action);
std::ostream& operator<<(std::ostream& out, PictureReading reading);
std::ostream& operator<<(std::ostream& out, OutsideCitySender handling);
std::ostream& operator<<(std::ostream& out, NumberKind kind);
std::ostream& operator<<(std::ostream& out, SenderFindingKind kind);
std::ostream& operator<<(std::ostream& out, ParserFindingKind kind);

// "remove, sanitize, reject": the accepted names, for a caller's own error messages.
std::string attachment_action_names();

}  // namespace sanso::mail
