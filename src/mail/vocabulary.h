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

std::string_view to_string(Verdict verdict);               // "clean", "sanitized", "held"
std::string_view to_string(PartAction action);             // "body", "converted", "removed", …
std::string_view to_string(AttachmentAction action);       // "remove", "sanitize", "reject"
std::string_view to_string(ParserCriticalAction action);   // "remove-attachments", "hold", "sanitize"
std::string_view label(Verdict verdict, std::string_view lang);  // lang "en": English, else Japanese
std::string_view label(PartAction action, std::string_view lang);
std::string_view label(AttachmentAction action, std::string_view lang);
std::string_view label(ParserCriticalAction action, std::string_view lang);

// Text to enum; the error (code "mail.value") quotes the bad value, lists the accepted ones and
// carries `where` (a config key's file:line:column, "plan JSON parts[3].action", …).
Result<Verdict> parse_verdict(std::string_view text, std::string_view where);
Result<PartAction> parse_part_action(std::string_view text, std::string_view where);
Result<AttachmentAction> parse_attachment_action(std::string_view text, std::string_view where);
Result<ParserCriticalAction> parse_parser_critical_action(std::string_view text, std::string_view where);

// The wire name, for logs and test failure messages.
std::ostream& operator<<(std::ostream& out, Verdict verdict);
std::ostream& operator<<(std::ostream& out, PartAction action);
std::ostream& operator<<(std::ostream& out, AttachmentAction action);
std::ostream& operator<<(std::ostream& out, ParserCriticalAction action);

// "remove, sanitize, reject": the accepted names, for a caller's own error messages.
std::string attachment_action_names();

}  // namespace sanso::mail
