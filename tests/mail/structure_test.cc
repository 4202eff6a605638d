// Issue #22, structure differentials: messages whose parts one reader finds and another does not.
// Each is generated here; with `exe = "reject"` in force none of them may come out `clean` or
// `sanitized` with the .exe quietly gone — they are held with the reason, as is any message
// where readers can take the structure apart differently. Ordinary structure still passes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mail/sanitize.h"
#include "mime/charset.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;

const std::string kHead = "From: a@example.com\r\nTo: b@city.minamata.lg.jp\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n";
const std::string kText = "Content-Type: text/plain; charset=utf-8\r\n\r\nPlease see the invoice.\r\n";
const std::string kExe = "Content-Type: application/octet-stream; name=\"invoice.exe\"\r\nContent-Disposition: attachment; filename=\"invoice.exe\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAA==\r\n";

SanitizeOptions exe_rejected() {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  o.attachment_rules["exe"] = AttachmentAction::kReject;
  return o;
}

// The (type, file name) of each entity Python's email package finds, compat32 then default
// policy, as tests/mail/output_entities.py prints them: the second reader.
std::string python_reading(const std::string& raw) {
  const fs::path file = fs::temp_directory_path() / ("sanso-structure-" + std::to_string(::getpid()) + ".eml");
  std::ofstream(file, std::ios::binary) << raw;
  const std::string command = "python3 '" + (fs::path(SANSO_SOURCE_DIR) / "tests/mail/output_entities.py").string() + "' '" + file.string() + "'";
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  fs::remove(file);
  return out;
}

struct Differential {
  std::string label, kind, raw;
};

std::vector<Differential> differentials() {
  const std::string mixed = "Content-Type: multipart/mixed; ";
  return {
      // GMime keeps the space and finds only the .exe part; Python trims it and finds both.
      {"quoted boundary with a trailing space", "ambiguous-boundary",
       kHead + mixed + "boundary=\"b \"\r\n\r\n--b\r\n" + kText + "--b \r\n" + kExe + "--b --\r\n"},
      {"unquoted boundary with white space after it", "ambiguous-boundary",
       kHead + mixed + "boundary=b \t\r\n\r\n--b\r\n" + kText + "--b\r\n" + kExe + "--b--\r\n"},
      // GMime and Python take the first; a reader that takes the last finds the .exe.
      {"two boundary parameters", "duplicate-boundary",
       kHead + mixed + "boundary=b; boundary=c\r\n\r\n--b\r\n" + kText + "--c\r\n" + kExe + "--c--\r\n--b--\r\n"},
      {"boundary parameters in two cases", "duplicate-boundary",
       kHead + mixed + "boundary=\"b\";\r\n BOUNDARY=\"c\"\r\n\r\n--b\r\n" + kText + "--c\r\n" + kExe + "--c--\r\n--b--\r\n"},
      {"a part after the closing boundary", "part-outside-boundaries",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText + "--b--\r\n--b\r\n" + kExe + "--b--\r\n"},
      {"a part of another boundary in the preamble", "part-outside-boundaries",
       kHead + mixed + "boundary=b\r\n\r\n--x\r\n" + kExe + "--x--\r\n--b\r\n" + kText + "--b--\r\n"},
      {"a part of another boundary in the epilogue", "part-outside-boundaries",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText + "--b--\r\nfooter\r\n--zz\r\n" + kExe},
      // "--b" begins "--bb": a reader that matches delimiters by prefix ends the outer part early.
      {"a nested boundary that begins with the outer one", "boundary-prefix",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText + "--b\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n--bb\r\n" + kText +
           "--bb\r\n" + kExe + "--bb--\r\n--b--\r\n"},
      // GMime reads the last Content-Type, Python the first.
      {"two Content-Type headers in a part", "ambiguous-part-header",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText +
           "--b\r\nContent-Type: text/plain\r\nContent-Type: application/octet-stream; name=\"invoice.exe\"\r\n\r\nMZ\r\n--b--\r\n"},
      {"two Content-Transfer-Encoding headers in a part", "ambiguous-part-header",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText +
           "--b\r\nContent-Type: application/octet-stream; name=\"invoice.exe\"\r\nContent-Transfer-Encoding: 7bit\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n"},
      {"a folded Content-Type naming the file twice", "ambiguous-part-header",
       kHead + mixed + "boundary=b\r\n\r\n--b\r\n" + kText +
           "--b\r\nContent-Type: application/octet-stream; name=\"invoice.txt\";\r\n name=\"invoice.exe\"\r\n\r\nMZ\r\n--b--\r\n"},
      {"two Content-Type headers on the message", "ambiguous-part-header",
       kHead + "Content-Type: text/plain\r\n" + mixed + "boundary=b\r\n\r\n--b\r\n" + kText + "--b\r\n" + kExe + "--b--\r\n"},
      // GMime finds no part; a lenient client takes "--b" for the boundary.
      {"a multipart without a boundary", "multipart-without-boundary",
       kHead + mixed + "charset=utf-8\r\n\r\n--b\r\n" + kText + "--b\r\n" + kExe + "--b--\r\n"},
      {"a differential inside an attached message", "part-outside-boundaries",
       kHead + mixed + "boundary=outer\r\n\r\n--outer\r\n" + kText + "--outer\r\nContent-Type: message/rfc822\r\n\r\n" + kHead + mixed +
           "boundary=b\r\n\r\n--b\r\n" + kText + "--b--\r\n--b\r\n" + kExe + "--b--\r\n--outer--\r\n"},
  };
}

TEST(MailStructure, WhereReadersCanDisagreeTheMessageIsHeldWithTheReason) {
  for (const auto& d : differentials()) {
    SCOPED_TRACE(d.label);
    const SanitizePlan plan = sanitize_sandboxed(d.raw, exe_rejected());
    EXPECT_EQ(plan.verdict, Verdict::kHeld) << plan_to_json(plan);
    EXPECT_TRUE(plan.attachments.empty());
    EXPECT_NE(plan.reason.find("読み手によって異なって解釈されうる"), std::string::npos) << plan.reason;
    const auto found = std::find_if(plan.parser_findings.begin(), plan.parser_findings.end(), [&](const ParserFinding& f) { return kind_name(f) == d.kind; });
    ASSERT_NE(found, plan.parser_findings.end()) << plan_to_json(plan);
    EXPECT_EQ(to_string(found->severity), "critical");
    EXPECT_NE(plan.reason.find(describe_parser_finding(*found, "ja")), std::string::npos) << plan.reason;
    // The notice says why, and carries nothing of the message's text.
    const std::string out = render_message(plan, exe_rejected(), "Q1");
    EXPECT_NE(out.find("X-Sanso-Sanitized: held"), std::string::npos);
    EXPECT_EQ(out.find("Please see the invoice"), std::string::npos);
    // Whatever on_parser_critical says: flagging would still pick one reading.
    SanitizeOptions flag_only = exe_rejected();
    flag_only.on_parser_critical = ParserCriticalAction::kSanitize;
    flag_only.lang = "en";
    const SanitizePlan english = sanitize_message(d.raw, flag_only);
    EXPECT_EQ(english.verdict, Verdict::kHeld);
    EXPECT_NE(english.reason.find("can be read differently by different readers"), std::string::npos) << english.reason;
  }
}

// The readers really do disagree on these: the second reader finds the .exe where GMime's
// reading (the one Sanso sanitizes) has none, or another type for it.
TEST(MailStructure, TheSecondReaderSeesAnotherMessage) {
  const auto cases = differentials();
  const std::string trailing_space = python_reading(cases[0].raw);
  if (trailing_space.empty()) GTEST_SKIP() << "python3 not available";
  // GMime: the text part is only preamble; Python: text and .exe.
  EXPECT_NE(trailing_space.find("[\"text/plain\", \"\", \"\"], [\"application/octet-stream\", \"invoice.exe\""), std::string::npos) << trailing_space;
  const auto gmime = output_entities(cases[0].raw);
  EXPECT_EQ(std::count_if(gmime.begin(), gmime.end(), [](const OutputEntity& e) { return e.type == "text/plain"; }), 0);
  // Two Content-Type headers: GMime the last (an application named invoice.exe), Python the
  // first (text without a name).
  const std::string two_types = python_reading(cases[8].raw);
  EXPECT_NE(two_types.find("[\"text/plain\", \"\", \"\"], [\"text/plain\", \"\", \"\"]]"), std::string::npos) << two_types;
  const auto gmime_two = output_entities(cases[8].raw);
  EXPECT_TRUE(std::any_of(gmime_two.begin(), gmime_two.end(), [](const OutputEntity& e) { return e.type == "application/octet-stream" && e.name == "invoice.exe"; }));
}

// What real mail looks like stays readable: a preamble and an epilogue of words, nested
// multiparts with unrelated boundaries (Outlook's, Thunderbird's, Gmail's), RFC 2231 names, the
// same header parameter repeated with the same value.
TEST(MailStructure, OrdinaryStructureIsNotHeld) {
  const std::string nested =
      kHead + "Content-Type: multipart/mixed;\r\n\tboundary=\"----=_NextPart_000_0001_01DB1234.56789ABC\"\r\n\r\n"
              "This is a multi-part message in MIME format.\r\n\r\n------=_NextPart_000_0001_01DB1234.56789ABC\r\n"
              "Content-Type: multipart/alternative;\r\n\tboundary=\"----=_NextPart_001_0002_01DB1234.56789ABC\"\r\n\r\n\r\n"
              "------=_NextPart_001_0002_01DB1234.56789ABC\r\n" + kText +
      "\r\n------=_NextPart_001_0002_01DB1234.56789ABC\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please see the invoice.</p>\r\n"
      "------=_NextPart_001_0002_01DB1234.56789ABC--\r\n\r\n------=_NextPart_000_0001_01DB1234.56789ABC\r\n"
      "Content-Type: text/csv; charset=utf-8; charset=utf-8\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''%E8%AB%8B%E6%B1%82.csv\r\n\r\na,b\r\n"
      "------=_NextPart_000_0001_01DB1234.56789ABC--\r\n\r\n-- \r\nThe list footer: unsubscribe at https://lists.example.org/\r\n";
  const SanitizePlan plan = sanitize_sandboxed(nested, exe_rejected());
  EXPECT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
  ASSERT_EQ(plan.attachments.size(), 1u);
  EXPECT_EQ(plan.attachments[0].name, "請求.csv");
  EXPECT_NE(plan.body.find("Please see the invoice."), std::string::npos);
}

// Issue #22: "a second inline text/plain part is dropped silently". Further text is more of the
// body; another rendering of the body (its multipart/alternative sibling) is listed as removed.
TEST(MailStructure, NoTextPartIsDroppedWithoutALine) {
  const std::string two_texts = kHead + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + kText +
                                "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\n\x89PNG\r\n--b\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n\r\nPay to account 1234 today.\r\n--b--\r\n";
  const SanitizePlan plan = sanitize_message(two_texts, {});
  ASSERT_EQ(plan.parts.size(), 3u);
  EXPECT_EQ(plan.parts[2].action, PartAction::kBody);
  const auto first = plan.body.find("Please see the invoice.");
  const auto second = plan.body.find("Pay to account 1234 today.");
  ASSERT_NE(first, std::string::npos) << plan.body;
  ASSERT_NE(second, std::string::npos) << plan.body;
  EXPECT_LT(first, second);
  EXPECT_NE(plan.body.find("----- 本文の続き (3) -----"), std::string::npos) << plan.body;

  // The HTML preferred: the text alternative goes, and the notice says so.
  const std::string alternative = kHead + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n" + kText +
                                  "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please see the invoice (HTML).</p>\r\n--b--\r\n";
  SanitizeOptions html;
  html.prefer_html = true;
  const SanitizePlan converted = sanitize_message(alternative, html);
  ASSERT_EQ(converted.parts.size(), 2u);
  EXPECT_EQ(converted.parts[0].action, PartAction::kRemoved);
  EXPECT_EQ(converted.parts[1].action, PartAction::kConverted);
  const std::string out = render_message(converted, html, "Q1");
  EXPECT_NE(out.find("X-Sanso-Report: parts=2; removed=1"), std::string::npos) << out.substr(0, 600);
  // Every part of either message has an action that is reported: body, converted or removed.
  for (const auto* p : {&plan, &converted}) {
    for (const auto& part : p->parts) EXPECT_NE(part.action, PartAction::kSkipped) << part.path << " " << part.type;
  }
}

}  // namespace
}  // namespace sanso::mail
