// The mail side of 無害化 (clauses 2(13), 6(3)②): one internet mail in, one text-only mail out —
// the body as plain text (HTML converted as a reader would see it), headers kept from an
// allow-list and re-encoded correctly, every attachment removed and listed in a notice at the top
// with the quarantine id to ask for the original. Never HTML, never an original attachment.
//
// sanitize_message() is pure (bytes in, a plan out) and runs in the sandbox; render_message()
// turns the plan into bytes once the original is safely in quarantine and its id is known.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::mail {

struct SanitizeOptions {
  std::string output_charset = "utf-8";  // or "iso-2022-jp" for old clients
  bool prefer_html = false;              // take the HTML alternative even when text exists
  bool defang_links = true;
  std::string lang = "ja";
  std::vector<std::string> keep_headers = {"From",       "To",         "Cc",       "Reply-To",    "Date",
                                           "Subject",    "Message-ID", "In-Reply-To", "References", "Received",
                                           "Return-Path", "Authentication-Results"};
  std::size_t max_message_bytes = std::size_t{50} << 20;
  int max_depth = 32;
  int max_parts = 1000;
  std::string contact;  // who to ask for an original ("情報政策係 (内線 1234)"); a default when empty
  // A Mustache template for the notice (text, not HTML); empty: the built-in one. Variables:
  // verdict, held, sanitized, reason, quarantine_id, contact, html_converted, attached_messages,
  // removed_count, removed (list of name, type, size, flags).
  std::string notice_template;
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
  std::string action;      // "body", "converted", "removed", "skipped"
  std::vector<std::string> flags;  // "mislabelled-charset", "double-extension", "bidi-control", …
};

struct Header {
  std::string name;
  std::string value;  // ready to write: ASCII, folded, RFC 2047 where needed
};

// The sanitized message, before it is written out.
struct SanitizePlan {
  std::string verdict;  // "clean" (plain text, nothing removed), "sanitized", "held" (not converted)
  std::string reason;   // for "held": why, in words
  std::vector<Header> headers;
  std::string body;     // UTF-8 text, without the notice
  std::vector<PartReport> parts;
  std::vector<std::string> warnings;
  std::size_t replaced_characters = 0;
  // Decoded envelope-ish facts, for the quarantine record and the audit log.
  std::string subject, from, message_id;
  std::vector<std::string> to;
};

SanitizePlan sanitize_message(std::string_view raw, const SanitizeOptions& options);

// The output message: kept headers, X-Sanso-Sanitized / X-Sanso-Report, one text/plain part with
// the notice (listing what was removed and the quarantine id) above the body.
std::string render_message(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id);

// The plan as JSON (the report, and how it crosses the sandbox boundary) and back.
std::string plan_to_json(const SanitizePlan& plan);
Result<SanitizePlan> plan_from_json(std::string_view json);

// Runs sanitize_message in the sandbox; a crash, hang or excess there becomes a "held" plan.
SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options);

}  // namespace sanso::mail
