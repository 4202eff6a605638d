// The checks on mail leaving LGWAN for the internet (clause 6(2), 6(3)②): the classification the
// sender marked (a subject tag such as 【機密性2】, an X-Classification header, a mark standing on its
// own in the body, an attachment's name or its text; the highest counts), and 個人番号 /
// 法人番号 in the body, the subject or the text of any attachment. Parsing runs in the sandbox.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mail/vocabulary.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

struct OutboundFinding {
  NumberKind kind = NumberKind::kIndividual;
  std::string masked;  // last four digits only
  std::string where;   // "subject", "body", or the attachment's name
};

// A file whose text the sandboxed scan cannot read itself: a PDF's text comes from pdftotext, another
// program, which a sandboxed child may not start.
struct UnreadFile {
  std::string name;
  std::string bytes;
};

struct OutboundScan {
  std::string subject, from, message_id;
  std::string classification;        // the highest marked level ("2", "3B"); "" when unmarked
  std::size_t classification_rank = 0;  // its place in the scheme (1 = lowest; 0 unmarked): scans merge without the levels
  std::string classification_where;  // where that mark is: "subject", "X-Classification", "body", a file's name
  std::vector<OutboundFinding> identifiers;
  std::vector<std::string> attachments;
  std::vector<UnreadFile> pdfs;  // left for scan_outbound_sandboxed to read outside the scanner
  std::string error;  // set when the message could not be read (the gateway fails closed)
};

// `levels` are the confidentiality levels of the policy's scheme ("1", "2", "3C", …).
OutboundScan scan_outbound(std::string_view raw, const std::vector<std::string>& levels);
// scan_outbound under `levels` as sandboxed work, for an executor (sandbox::start).
sandbox::Task outbound_scan_task(const std::vector<std::string>& levels);
// scan_outbound through `scanner`, an executor of outbound_scan_task, then the text of each PDF
// attachment (cdr::pdf_text in the converter sandbox) through `scanner` again: a PDF's marks and
// numbers count as the file's own. A scan that does not come back, or a PDF whose text cannot be
// read, sets `error` (the gateway fails closed).
OutboundScan scan_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw);

// The message the scan reads for one file on its own (a transfer, an upload through the proxy): the
// file as its attachment, its name also as the subject (a 【機密性2】 in a name marks it there too).
std::string message_carrying(std::string_view bytes, std::string_view name);

std::string scan_to_json(const OutboundScan& scan);
Result<OutboundScan> scan_from_json(std::string_view json);

}  // namespace sanso::mail
