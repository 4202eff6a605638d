// Notices Sanso itself writes (a held mail, a transfer waiting for someone, monitor findings):
// one way to put them on the wire, so that none of them can be made to carry a header or a line
// that reads as Sanso's own. Only configured addresses and fixed words reach the header; whatever
// a person or a log supplied travels in the base64 body.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sanso::mime {

struct NoticeMail {
  std::string from_name;  // shown beside the From address ("Sanso ファイル受け渡し"), UTF-8
  std::string from;       // a plain address (is_plain_mail_address) or a bare local part ("postmaster")
  std::vector<std::string> to;  // plain addresses
  std::string subject;    // UTF-8; controls are made visible, never passed
  std::string body;       // UTF-8 text
  std::string auto_submitted = "auto-generated";  // or "auto-replied" (RFC 3834)
  // Extra headers, e.g. {"X-Sanso-Transfer", id}: names of letters, digits and '-', values of
  // printable ASCII.
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t date = 0;  // Unix seconds for the Date header
  std::string node;       // the Message-ID's right side (made safe)
};

struct ComposedNotice {
  std::string message_id;  // "<…@node>"
  std::string message;     // RFC 5322, CRLF line ends, UTF-8 text in base64
};

// Errors ("notice.address", "notice.header") name what would have broken the message.
Result<ComposedNotice> compose_notice(const NoticeMail& notice);

// An RFC 5322 date ("Sat, 05 Dec 2026 14:26:27 +0000").
std::string mail_date(std::int64_t unix_seconds);

}  // namespace sanso::mime
