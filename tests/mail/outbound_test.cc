// The outbound checks without Postfix: classification marks as Japanese offices write them,
// identification numbers in the body and in attachments, and the authentication verdicts that
// make inbound handling stricter.
#include "mail/outbound.h"

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <zip.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "mail/milter/gateway.h"
#include "sandbox/sandbox.h"
#include "support/files.h"
#include "support/japanese_pdf.h"
#include "support/zip_of.h"

namespace sanso::mail {
namespace {

const std::vector<std::string> kLevels = {"1", "2", "3C", "3B", "3A"};

std::string with_attachment(const std::string& subject, const std::string& name, const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: " + subject +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n"
                    "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name +
                    "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
  g_free(b64);
  return out;
}

TEST(Outbound, ClassificationMarksAsTheyAreWritten) {
  auto subject = [](const std::string& s) { return scan_outbound("Subject: " + s + "\r\n\r\nx\r\n", kLevels).classification; };
  EXPECT_EQ(subject("=?UTF-8?B?44CQ5qmf5a+G5oCnMuOAkeS6iOeul+ahiA==?="), "2");  // 【機密性2】予算案
  EXPECT_EQ(subject("=?UTF-8?B?W+apn+WvhuaAp++8k++8ol0g5ZCN57C/?="), "3B");      // [機密性３Ｂ] 名簿 (full-width)
  EXPECT_EQ(subject("no mark"), "");
  EXPECT_EQ(scan_outbound("Subject: x\r\nX-Classification: 3A\r\n\r\nx\r\n", kLevels).classification, "3A");
}

// A minimal Word document whose header part and body hold `header` and `body`.
std::string docx_with(const std::string& header, const std::string& body) {
  auto part = [](const std::string& root, const std::string& text) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:" + root +
           " xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:p><w:r><w:t>" + text + "</w:t></w:r></w:p></w:" + root + ">";
  };
  return sanso::testing::zip_of({{"[Content_Types].xml",
                                   "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                                   "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"},
                                  {"word/document.xml", part("document", body)},
                                  {"word/header1.xml", part("hdr", header)}});
}

TEST(Outbound, AFileCarriesItsOwnMarkInItsNameOrItsText) {
  // The highest mark of the message and its files decides, and the scan says where it was.
  auto in_text = scan_outbound(with_attachment("=?UTF-8?B?44CQ5qmf5a+G5oCnMeOAkQ==?=" /* 【機密性1】 */, "report.docx",
                                               docx_with("自治体機密性３Ａ", "本文")),
                               kLevels);
  EXPECT_EQ(in_text.classification, "3A");
  EXPECT_EQ(in_text.classification_where, "report.docx");
  auto in_name = scan_outbound(with_attachment("x", "【機密性3B】名簿.csv", "a,b\r\n"), kLevels);
  EXPECT_EQ(in_name.classification, "3B");
  EXPECT_EQ(in_name.classification_where, "【機密性3B】名簿.csv");
  // A bracketed mark inside a sentence is still a mark; the scheme described in prose is not.
  EXPECT_EQ(scan_outbound(with_attachment("x", "a.docx", docx_with("", "この文書は【機密性２】です")), kLevels).classification, "2");
  auto prose = scan_outbound(with_attachment("x", "a.docx", docx_with("", "機密性3Aの情報は外部へ送らない。情報の機密性2以上は暗号化する")), kLevels);
  EXPECT_EQ(prose.classification, "");
  EXPECT_EQ(prose.classification_where, "");
  // A lower mark in a file does not lower what the subject says.
  auto subject_wins = scan_outbound(with_attachment("=?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJE=?=" /* 【機密性3A】 */, "a.docx", docx_with("機密性1", "")), kLevels);
  EXPECT_EQ(subject_wins.classification, "3A");
  EXPECT_EQ(subject_wins.classification_where, "subject");
  // A mark standing on its own line of the body counts; the answer survives its JSON round trip.
  auto body = scan_outbound("Subject: x\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n機密性2\r\n本文\r\n", kLevels);
  EXPECT_EQ(body.classification, "2");
  auto round = scan_from_json(scan_to_json(in_text));
  ASSERT_TRUE(round.has_value());
  EXPECT_EQ(round->classification_where, "report.docx");
}

// A PDF attachment's text is read by pdftotext outside the scanner (which may not start programs)
// and goes back through the scanner: its marks and numbers count as the PDF's own.
TEST(Outbound, APdfAttachmentsTextIsReadForMarksAndNumbers) {
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  auto marked = scan_outbound_sandboxed(scanner, with_attachment("x", "minutes.pdf", sanso::testing::japanese_pdf(u"【機密性3A】議事録")));
  ASSERT_EQ(marked.error, "");
  EXPECT_EQ(marked.classification, "3A");
  EXPECT_EQ(marked.classification_where, "minutes.pdf");
  EXPECT_TRUE(marked.pdfs.empty()) << "the PDFs' bytes are not handed on once read";
  EXPECT_EQ(marked.attachments, std::vector<std::string>{"minutes.pdf"});
  auto numbered = scan_outbound_sandboxed(scanner, with_attachment("x", "list.pdf", sanso::testing::japanese_pdf(u"山田 123456789018")));
  ASSERT_EQ(numbered.error, "");
  ASSERT_EQ(numbered.identifiers.size(), 1u);
  EXPECT_EQ(numbered.identifiers[0].where, "list.pdf");
  EXPECT_EQ(numbered.identifiers[0].masked, "********9018");
  // The scheme described in prose marks nothing; a higher subject mark is not lowered by a PDF's.
  auto prose = scan_outbound_sandboxed(scanner, with_attachment("x", "rules.pdf", sanso::testing::japanese_pdf(u"機密性3Aの情報は外部へ送らない")));
  EXPECT_EQ(prose.error, "");
  EXPECT_EQ(prose.classification, "");
  auto subject = scan_outbound_sandboxed(
      scanner, with_attachment("=?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJE=?=" /* 【機密性3A】 */, "a.pdf", sanso::testing::japanese_pdf(u"【機密性2】")));
  EXPECT_EQ(subject.classification, "3A");
  EXPECT_EQ(subject.classification_where, "subject");
  // Text that begins like a mail or a PDF is still read as text (it is not typed again by its content).
  auto like_mail = scan_outbound_sandboxed(scanner, with_attachment("x", "memo.pdf", sanso::testing::japanese_pdf(u"From: a 【機密性3A】")));
  ASSERT_EQ(like_mail.error, "");
  EXPECT_EQ(like_mail.classification, "3A");
  EXPECT_EQ(like_mail.classification_where, "memo.pdf");
  auto like_pdf = scan_outbound_sandboxed(scanner, with_attachment("x", "memo.pdf", sanso::testing::japanese_pdf(u"%PDF-1.4 123456789018")));
  ASSERT_EQ(like_pdf.error, "");
  ASSERT_EQ(like_pdf.identifiers.size(), 1u);
  EXPECT_EQ(like_pdf.identifiers[0].where, "memo.pdf");
  // A file that is a PDF to pdftotext and rows to a spreadsheet is read both ways.
  auto both = scan_outbound_sandboxed(scanner, with_attachment("x", "list.csv", sanso::testing::japanese_pdf(u"表紙") + "山田,123456789018\r\n"));
  ASSERT_EQ(both.error, "");
  ASSERT_EQ(both.identifiers.size(), 1u) << "the rows after the PDF";
  EXPECT_EQ(both.identifiers[0].where, "list.csv");
  // A PDF whose text cannot be read is a file that could not be checked: the gateway holds the message.
  auto broken = scan_outbound_sandboxed(scanner, with_attachment("x", "broken.pdf", "%PDF-1.4\n1 0 obj <<\n"));
  EXPECT_EQ(broken.error, "");
  ASSERT_EQ(broken.unchecked.size(), 1u) << broken.unchecked[0].why << " / " << broken.unchecked.back().why;
  EXPECT_EQ(broken.unchecked[0].where, "broken.pdf");
}

// Zipping a file does not take its 個人番号 out: every member is read as the file's own, and a PDF
// inside goes through pdftotext like an attached one.
TEST(Outbound, AZipWithAPdfInsideIsReadAsTheFilesOwn) {
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  const std::string zip = sanso::testing::zip_of({{"b.pdf", sanso::testing::japanese_pdf(u"山田 123456789018")},
                                                  {"inner.zip", sanso::testing::zip_of({{"【機密性3A】名簿.csv", "a,b\r\n"}})}});
  auto scan = scan_outbound_sandboxed(scanner, with_attachment("x", "a.zip", zip));
  ASSERT_EQ(scan.error, "");
  EXPECT_TRUE(scan.unchecked.empty()) << scan.unchecked.front().where << ": " << scan.unchecked.front().why;
  ASSERT_EQ(scan.identifiers.size(), 1u);
  EXPECT_EQ(scan.identifiers[0].where, "a.zip/b.pdf");
  EXPECT_EQ(scan.classification, "3A") << "a member's name carries its mark";
  EXPECT_EQ(scan.classification_where, "a.zip/inner.zip/【機密性3A】名簿.csv");
}

// What the check cannot read is named with why, never taken for a file without marks or numbers;
// the reason the gateway gives names each file.
TEST(Outbound, WhatCannotBeReadIsNamedNeverPassedAsClean) {
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  auto image = scan_outbound_sandboxed(scanner, with_attachment("x", "photo.png", png));
  ASSERT_EQ(image.error, "");
  ASSERT_EQ(image.unchecked.size(), 1u);
  EXPECT_EQ(image.unchecked[0].where, "photo.png");
  const std::string why = unchecked_reason(image);
  EXPECT_EQ(why.rfind("本文を確認できない添付ファイル", 0), 0u) << why;
  EXPECT_NE(why.find("photo.png"), std::string::npos) << why;
  auto ppap = scan_outbound_sandboxed(scanner, with_attachment("x", "ppap.zip", sanso::testing::zip_of({{"list.csv", "123456789018"}}, ZIP_EM_AES_256, "pw")));
  ASSERT_EQ(ppap.unchecked.size(), 1u);
  EXPECT_EQ(ppap.unchecked[0].why.rfind("encrypted:", 0), 0u) << ppap.unchecked[0].why;
  auto round = scan_from_json(scan_to_json(ppap));
  ASSERT_TRUE(round.has_value());
  ASSERT_EQ(round->unchecked.size(), 1u);
  EXPECT_EQ(round->unchecked[0].where, "ppap.zip");
}

// The check ends within its budget (inside Postfix's milter timeout): a PDF whose text takes longer
// is a file that could not be checked — never a pass.
TEST(Outbound, APdfPastTheTimeBudgetCannotBeCheckedAndNeverPasses) {
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  // Thousands of pages of text: pdftotext needs far longer than the budget this test gives.
  std::string kids;
  const int count = 1500;
  std::vector<std::string> objs = {"<< /Type /Catalog /Pages 2 0 R >>", ""};
  for (int i = 0; i < count; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objs[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(count) + " >>";
  objs.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  std::string text;
  for (int line = 0; line < 40; ++line) text += "BT /F1 9 Tf 20 " + std::to_string(780 - 12 * line) + " Td (123456789018 " + std::to_string(line) + " yamada taro) Tj ET\n";
  for (int i = 0; i < count; ++i) {
    objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents " + std::to_string(5 + 2 * i) +
                   " 0 R >>");
    objs.push_back("<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "endstream");
  }
  const std::string pdf = sanso::testing::pdf_of(objs);
  const auto started = std::chrono::steady_clock::now();
  auto slow = scan_outbound_sandboxed(scanner, with_attachment("x", "huge.pdf", pdf), std::chrono::milliseconds(1500));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(slow.error, "");
  ASSERT_EQ(slow.unchecked.size(), 1u);
  EXPECT_EQ(slow.unchecked[0].where, "huge.pdf");
  EXPECT_NE(slow.unchecked[0].why.find("time"), std::string::npos) << slow.unchecked[0].why;
  EXPECT_TRUE(slow.identifiers.empty()) << "nothing of the PDF's text was read";
  EXPECT_LT(took, std::chrono::seconds(60)) << "the converter is stopped at the budget, not at its own limit";
}

TEST(Outbound, NumbersInTheBodyAndInAttachmentsAreFoundMasked) {
  auto body = scan_outbound("Subject: x\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n個人番号 1234-5678-9018\r\n", kLevels);
  ASSERT_EQ(body.identifiers.size(), 1u);
  EXPECT_EQ(body.identifiers[0].where, "body");
  EXPECT_EQ(body.identifiers[0].masked, "********9018");
  // A CP932 CSV, as Excel on Japanese Windows saves it.
  auto csv = scan_outbound(with_attachment("list", "名簿.csv", "\x8e\x81\x96\xbc,\x94\xd4\x8d\x86\r\n\x8eR\x93\x63,123456789018\r\n"), kLevels);
  ASSERT_EQ(csv.identifiers.size(), 1u);
  EXPECT_EQ(csv.identifiers[0].where, "名簿.csv");
  // The text of a Word document.
  std::string docx = sanso::testing::read_file(std::filesystem::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  auto word = scan_outbound(with_attachment("quote", "見積書.docm", docx), kLevels);
  EXPECT_TRUE(word.identifiers.empty()) << "an amount is not an identification number";
  EXPECT_EQ(word.attachments.size(), 1u);
  auto clean = scan_outbound("Subject: x\r\n\r\n注文 123456789017\r\n", kLevels);
  EXPECT_TRUE(clean.identifiers.empty());
  auto round = scan_from_json(scan_to_json(csv));
  ASSERT_TRUE(round.has_value());
  EXPECT_EQ(round->identifiers[0].masked, csv.identifiers[0].masked);
}

// The strict settings' trigger reads the MTA's verifier's own fields with the RFC 8601 parser:
// its fail, softfail or permerror counts; a forged field, a word in a comment or a quoted string,
// another host's field or the body count for nothing.
// A message the parse holds (readers disagree on its structure, a limit, nesting too deep) was
// not read whole: the check fails rather than pass what it could not see.
TEST(Outbound, AMessageWhoseStructureIsHeldIsNotCheckedOnItsSubjectAlone) {
  const std::string ambiguous =
      "Subject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee the file\r\n"
      "--b\r\nContent-Type: text/plain\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n\r\n"
      "name,number\r\nyamada,123456789018\r\n--b--\r\n";
  const OutboundScan scan = scan_outbound(ambiguous, kLevels);
  EXPECT_FALSE(scan.error.empty()) << "found " << scan.identifiers.size() << " numbers";
  std::string deep = "Subject: deep\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 60; ++i) deep += "Content-Type: multipart/mixed; boundary=\"n" + std::to_string(i) + "\"\r\n\r\n--n" + std::to_string(i) + "\r\n";
  deep += "Content-Type: text/plain\r\n\r\nyamada 123456789018\r\n";
  EXPECT_FALSE(scan_outbound(deep, kLevels).error.empty());
}

TEST(Outbound, AuthenticationFailuresAreSeenOnlyInTheVerifiersOwnFields) {
  const std::string v = "verify.city.minamata.lg.jp";
  const std::string received = "Received: from mail.a.example by mx.city.minamata.lg.jp with ESMTPS id Q1\r\n";
  const auto failed = [&](const std::string& header) { return authentication_failed(received + header + "Subject: s\r\n\r\nbody\r\n", v); };
  EXPECT_TRUE(failed("Authentication-Results: " + v + ";\r\n spf=pass smtp.mailfrom=a.example;\r\n dkim=fail header.d=a.example\r\n"));
  EXPECT_TRUE(failed("Authentication-Results: " + v + "; dmarc=fail header.from=a.example\r\n"));
  EXPECT_TRUE(failed("Authentication-Results: " + v + "; spf=softfail smtp.mailfrom=a.example\r\n"));
  EXPECT_TRUE(failed("Authentication-Results: " + v + "; dkim=permerror header.d=a.example\r\n"));
  EXPECT_TRUE(failed("Authentication-Results: " + v + "; dkim=pass header.d=a.example\r\nAuthentication-Results: " + v +
                     "; spf=fail smtp.mailfrom=a.example\r\n"))
      << "the second field of the verifier's run";
  // Hostile or foreign text that the old substring match took for a failure.
  EXPECT_FALSE(failed("Authentication-Results: " + v + "; spf=pass (was spf=fail before) smtp.mailfrom=a.example\r\n")) << "a comment";
  EXPECT_FALSE(failed("Authentication-Results: " + v + "; dkim=pass reason=\"dkim=fail elsewhere\" header.d=a.example\r\n")) << "a quoted string";
  EXPECT_FALSE(failed("Authentication-Results: " + v + "; spf=pass smtp.mailfrom=a.example\r\n")) << "the body says spf=fail, the field does not";
  EXPECT_FALSE(failed("Authentication-Results: mx.other.example; dmarc=fail header.from=a.example\r\n")) << "another host's field";
  EXPECT_FALSE(failed("X-Note: authentication-results: " + v + "; spf=fail\r\n")) << "not a field of that name";
  EXPECT_FALSE(failed("Authentication-Results: " + v + "; dkim=failed header.d=a.example\r\n")) << "no such result";
  // The verifier's id below the MTA's run: the sender wrote it, and the MTA does not strip such.
  EXPECT_FALSE(failed("Authentication-Results: " + v + "; spf=pass smtp.mailfrom=a.example\r\nFrom: a@a.example\r\nAuthentication-Results: " + v +
                      "; dmarc=fail header.from=a.example\r\n"));
  EXPECT_FALSE(authentication_failed(received + "Authentication-Results: " + v + "; dmarc=fail header.from=a.example\r\n\r\n", "")) << "no verifier set";
  EXPECT_FALSE(failed("")) << "no field at all";
  EXPECT_FALSE(authentication_failed("Authentication-Results: " + v + "; spf=pass\r\n\r\nAuthentication-Results: " + v + "; spf=fail\r\n", v))
      << "the body is no header";
}

}  // namespace
}  // namespace sanso::mail
