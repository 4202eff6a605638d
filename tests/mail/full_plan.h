// A plan with something in every field: for the tests of the forms a plan is carried and kept in.
#pragma once

#include <string>

#include "mail/sanitize.h"

namespace sanso::mail {

// A plan with something in every field the wire carries, binary bytes and a text that is not
// UTF-8 (the JSON replaced its bad sequences; the wire must arrive at the same plan).
inline SanitizePlan full_plan() {
  SanitizePlan plan;
  plan.verdict = Verdict::kSanitized;
  plan.reason = "理由 reason";
  plan.headers = {{"From", "=?UTF-8?B?5biC?= <a@example.net>"}, {"Subject", "件名"}};
  plan.body = std::string("本文①ｶﾅ\n2行目 \xFF\xFE bad bytes\n") + std::string(1, '\0') + "nul";
  PartReport text;
  text.path = "1";
  text.type = "text/plain";
  text.charset = "iso-2022-jp";
  text.decoded_as = "iso-2022-jp";
  text.size = 1234;
  text.action = PartAction::kConverted;
  text.flags = {"mislabelled-charset", "bidi-control"};
  PartReport file = text;
  file.path = "2";
  file.type = "application/pdf";
  file.name = "説明会.pdf";
  file.action = PartAction::kPending;
  file.flags = {};
  plan.parts = {text, file};
  plan.warnings = {"警告1", "warning 2"};
  ParserFinding known;
  known.severity = FindingSeverity::kWarning;
  known.kind = ParserFindingKind::kUnknown;
  known.unknown_code = 4242;
  known.item = "Content-Type";
  known.offset = -1;
  known.count = 3;
  plan.parser_findings = {known};
  plan.replaced_characters = 2;
  plan.subject = "件名";
  plan.from = "市 <a@example.net>";
  plan.message_id = "<id@example.net>";
  plan.to = {"b@city.example.lg.jp", "c@city.example.lg.jp"};
  plan.from_mailboxes = {{"水俣市", "a@example.net"}};
  plan.sender_findings = {{SenderFindingKind::kCityName, "水俣市", "a@example.net", "水俣市"}};
  plan.banner_lookalike_lines = 1;
  SanitizedAttachment rebuilt;
  rebuilt.part = 1;
  rebuilt.name = "説明会.pdf";
  rebuilt.content_type = "application/pdf";
  rebuilt.bytes = std::string("%PDF-1.7\0\xFF\x80", 11);
  rebuilt.findings = {{cdr::FindingKind::kVbaMacro, "word/vbaProject.bin", cdr::FindingAction::kRemoved}};
  plan.attachments = {rebuilt};
  plan.pending = {{1, std::string("\0\x01\x02\xFF", 4)}};
  return plan;
}

}  // namespace sanso::mail
