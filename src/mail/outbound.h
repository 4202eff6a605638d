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

struct OutboundScan {
  std::string subject, from, message_id;
  std::string classification;        // the highest marked level ("2", "3B"); "" when unmarked
  std::string classification_where;  // where that mark is: "subject", "X-Classification", "body", a file's name
  std::vector<OutboundFinding> identifiers;
  std::vector<std::string> attachments;
  std::string error;  // set when the message could not be read (the gateway fails closed)
};

// `levels` are the confidentiality levels of the policy's scheme ("1", "2", "3C", …).
OutboundScan scan_outbound(std::string_view raw, const std::vector<std::string>& levels);
// scan_outbound under `levels` as sandboxed work, for an executor (sandbox::start).
sandbox::Task outbound_scan_task(const std::vector<std::string>& levels);
// scan_outbound through `scanner`, an executor of outbound_scan_task; a scan that does not come
// back sets `error` (the gateway fails closed).
OutboundScan scan_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw);

std::string scan_to_json(const OutboundScan& scan);
Result<OutboundScan> scan_from_json(std::string_view json);

}  // namespace sanso::mail
