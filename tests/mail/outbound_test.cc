// The outbound checks without Postfix: classification marks as Japanese offices write them,
// identification numbers in the body and in attachments, and the authentication verdicts that
// make inbound handling stricter.
#include "mail/outbound.h"

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <tuple>

#include "mail/internal/signatures.h"
#include "mail/milter/gateway.h"
#include "mail/tnef_blob.h"
#include "mime/transfer.h"
#include "sandbox/sandbox.h"
#include "support/binhex.h"
#include "support/files.h"
#include "support/japanese_pdf.h"
#include "support/text_picture.h"
#include "support/wmf_file.h"
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

// review30 M3: marks as offices also write them — a lower-case or full-width lower-case letter, one
// space, hyphen or middle dot between the digit and the letter, a Roman numeral or a circled digit
// — and the X-Classification header read the same way. A word after the mark is no letter of it.
TEST(Outbound, MarksWithASeparatorLowerCaseOrRomanNumeralsAreRead) {
  auto subject = [](const std::string& s, const std::vector<std::string>& levels = kLevels) {
    gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(s.data()), s.size());
    const std::string header = std::string("Subject: =?UTF-8?B?") + b64 + "?=\r\n\r\nx\r\n";
    g_free(b64);
    return scan_outbound(header, levels).classification;
  };
  for (const std::string mark : {"【機密性３ａ】名簿", "【機密性3 A】名簿", "【機密性３-Ａ】名簿", "【機密性3・a】名簿", "【機密性３　Ａ】名簿", "【機密性3a】"}) {
    EXPECT_EQ(subject(mark), "3A") << mark;
  }
  const std::vector<std::string> jp2015 = {"1", "2", "3"};
  EXPECT_EQ(subject("【機密性Ⅲ】名簿", jp2015), "3");
  EXPECT_EQ(subject("【機密性ⅱ】名簿", jp2015), "2");
  EXPECT_EQ(subject("【機密性③】名簿", jp2015), "3");
  EXPECT_EQ(subject("【機密性2 A社宛】"), "2");
  for (const std::string value : {"3a", "=?UTF-8?B?77yT77yh?=" /* ３Ａ */, "機密性3-A", " 3 a "}) {
    EXPECT_EQ(scan_outbound("Subject: x\r\nX-Classification: " + value + "\r\n\r\nx\r\n", kLevels).classification, "3A") << value;
  }
  EXPECT_EQ(scan_outbound("Subject: x\r\nX-Classification: 3A or less\r\n\r\nx\r\n", kLevels).classification, "");
}

// review30 L1: all zeros pass both check digits; a form's placeholder is no one's number.
TEST(Outbound, AnAllZeroPlaceholderIsNoNumber) {
  const auto s = scan_outbound("Subject: x\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n個人番号欄（記入例: 0000-0000-0000）に記入してください。\r\n", kLevels);
  EXPECT_TRUE(s.identifiers.empty()) << s.identifiers.size();
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

// Issue #17: a file's name is the sender's text. Every name the scan hands back (a finding's place,
// a file it could not read, where the mark was, the subject, the attachments' names) has its
// numbers masked, so the hold reason, the audit record and the notice built from it cannot carry one.
// review23a M1: a right-to-left override (U+202E) shows the digits after it reversed — written
// "810987654321", shown 123456789018 — in a file's text, in a header field: found as shown.
TEST(Outbound, DigitsAfterARightToLeftOverrideAreReadAsShown) {
  const auto text = scan_outbound(with_attachment("x", "list.txt", "氏名 山田 \xE2\x80\xAE" "810987654321\xE2\x80\xAC 様\r\n"), kLevels);
  ASSERT_EQ(text.identifiers.size(), 1u) << scan_to_json(text);
  EXPECT_EQ(text.identifiers[0].masked, "********9018");
  EXPECT_EQ(text.identifiers[0].where, "list.txt");
  const auto subject = scan_outbound(with_attachment("番号 \xE2\x80\xAE" "8109 8765 4321", "a.txt", "なし"), kLevels);
  ASSERT_EQ(subject.identifiers.size(), 1u) << scan_to_json(subject);
  EXPECT_EQ(subject.identifiers[0].where, "subject");
  // Without the override the same digits are no number.
  EXPECT_TRUE(scan_outbound(with_attachment("x", "list.txt", "氏名 山田 810987654321 様\r\n"), kLevels).identifiers.empty());
}

// Hebrew or Arabic letters on a line make a reader show its digit groups in another order than
// they are stored (the Unicode bidi algorithm): "א 9018 5678 1234" shows "1234 5678 9018 א" in a
// right-to-left paragraph, and the letters around the groups reverse them in a left-to-right one.
// Each such line is read as shown too.
TEST(Outbound, DigitGroupsBesideRightToLeftLettersAreReadAsShown) {
  for (const std::string line : {"\xD7\x90 9018 5678 1234", "\xD8\xB1\xD9\x82\xD9\x85 9018 5678 1234", "No. \xD7\x90 9018 5678 1234 \xD7\x90",
                                 "\xE2\x80\x8F" "9018 5678 1234" /* an RLM: in a file; a body reaches the check without its bidi marks */}) {
    if (line.starts_with("\xE2\x80\x8F")) continue;
    const auto body = scan_outbound("From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                                    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xE4\xBA\x88\xE5\xAE\x9A\r\n" + line + "\r\n",
                                    kLevels);
    EXPECT_TRUE(std::any_of(body.identifiers.begin(), body.identifiers.end(), [](const OutboundFinding& f) { return f.masked == "********9018"; }))
        << line << ": " << scan_to_json(body);
    const auto file = scan_outbound(with_attachment("x", "list.txt", "\xE6\xB0\x8F\xE5\x90\x8D\r\n" + line + "\r\n"), kLevels);
    EXPECT_TRUE(std::any_of(file.identifiers.begin(), file.identifiers.end(), [](const OutboundFinding& f) { return f.masked == "********9018" && f.where == "list.txt"; }))
        << line << ": " << scan_to_json(file);
  }
  // The same groups without a letter written right to left are shown as stored: no number.
  EXPECT_TRUE(scan_outbound(with_attachment("x", "list.txt", "\xE7\x95\xAA\xE5\x8F\xB7 9018 5678 1234\r\n"), kLevels).identifiers.empty());
}

// `zip` (bytes) with `archive` as its comment and `member` as its first member's: what 7-Zip and
// WinRAR show beside the members.
std::string with_zip_comments(const std::string& zip, const std::string& archive, const std::string& member) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* source = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(source);
  zip_source_begin_write(source);
  zip_source_write(source, zip.data(), zip.size());
  zip_source_commit_write(source);
  zip_t* z = zip_open_from_source(source, 0, &err);
  EXPECT_NE(z, nullptr);
  if (z == nullptr) return {};
  if (!archive.empty()) {
    EXPECT_EQ(zip_set_archive_comment(z, archive.data(), static_cast<zip_uint16_t>(archive.size())), 0);
  }
  if (!member.empty()) {
    EXPECT_EQ(zip_file_set_comment(z, 0, member.data(), static_cast<zip_uint16_t>(member.size()), ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  zip_stat_t st;
  zip_stat_init(&st);
  zip_source_stat(source, &st);
  std::string out(st.size, '\0');
  zip_source_open(source);
  zip_source_read(source, out.data(), st.size);
  zip_source_close(source);
  zip_source_free(source);
  return out;
}

// A zip's comment and its members' comments are text its reader shows (review30 L3): read as the
// archive's, for numbers and marks — a plain zip's and an Office package's alike.
TEST(Outbound, ZipCommentsAreTheArchivesText) {
  const std::string zip = sanso::testing::zip_of({{"readme.txt", "\xE8\xA6\x8B\xE7\xA9\x8D"}});
  const auto archive = scan_outbound(with_attachment("x", "a.zip", with_zip_comments(zip, "\xE5\x80\x8B\xE4\xBA\xBA\xE7\x95\xAA\xE5\x8F\xB7 1234 5678 9018", "")), kLevels);
  ASSERT_EQ(archive.identifiers.size(), 1u) << scan_to_json(archive);
  EXPECT_EQ(archive.identifiers[0].masked, "********9018");
  EXPECT_EQ(archive.identifiers[0].where, "a.zip");
  const auto member = scan_outbound(with_attachment("x", "a.zip", with_zip_comments(zip, "", "123456789018")), kLevels);
  ASSERT_EQ(member.identifiers.size(), 1u) << scan_to_json(member);
  const auto marked = scan_outbound(with_attachment("x", "a.zip", with_zip_comments(zip, "\xE3\x80\x90\xE6\xA9\x9F\xE5\xAF\x86\xE6\x80\xA7\x33\x41\xE3\x80\x91", "")), kLevels);
  EXPECT_EQ(marked.classification, "3A") << scan_to_json(marked);
  const auto package = scan_outbound(with_attachment("x", "r.docx", with_zip_comments(docx_with("", "\xE5\xA0\xB1\xE5\x91\x8A"), "123456789018", "")), kLevels);
  ASSERT_EQ(package.identifiers.size(), 1u) << scan_to_json(package);
  EXPECT_EQ(package.identifiers[0].where, "r.docx");
  // No comment: nothing.
  EXPECT_TRUE(scan_outbound(with_attachment("x", "a.zip", zip), kLevels).identifiers.empty());
}

// review30 L2: a number a sender breaks over two lines of a plain-text body is read joined — only
// the digit groups that end one line and begin the next, and only where they make 12 or 13 digits.
TEST(Outbound, ANumberBrokenOverTwoLinesOfTheBodyIsReadJoined) {
  const auto body = [](const std::string& text) {
    return "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n";
  };
  for (const std::string text : {"\xE5\x80\x8B\xE4\xBA\xBA\xE7\x95\xAA\xE5\x8F\xB7: 1234-5678-\r\n9018", "\xE7\x95\xAA\xE5\x8F\xB7 1234 5678\r\n9018 \xE3\x81\xA7\xE3\x81\x99",
                                 "> 12345678\r\n> 9018", "\xE7\x95\xAA\xE5\x8F\xB7\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96\r\n789018"}) {
    const auto s = scan_outbound(body(text), kLevels);
    ASSERT_EQ(s.identifiers.size(), 1u) << text << ": " << scan_to_json(s);
    EXPECT_EQ(s.identifiers[0].masked, "********9018");
    EXPECT_EQ(s.identifiers[0].where, "body");
  }
  // Not joined: a date or a time after a telephone number, a version, more digits than a number,
  // and a file's lines (a CSV column).
  for (const std::string text : {"TEL 096-123-4567\r\n12\xE6\x9C\x88\xE3\x81\xAE\xE4\xBA\x88\xE5\xAE\x9A", "TEL 0961234567\r\n10:00", "v1.2345678\r\n9018",
                                 "1234 5678\r\n9018 1234"}) {
    const auto s = scan_outbound(body(text), kLevels);
    EXPECT_TRUE(s.identifiers.empty()) << text << ": " << scan_to_json(s);
  }
  EXPECT_TRUE(scan_outbound(with_attachment("x", "amounts.csv", "12345678\r\n9018\r\n"), kLevels).identifiers.empty());
}

TEST(Outbound, NumbersInNamesLeaveTheScanMasked) {
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  const std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  const std::string zip = sanso::testing::zip_of({{"123456789018.txt", "山田 1234 5678 9018\r\n"},
                                                  {"写真_123456789018.png", png},
                                                  {"名簿_123456789018.pdf", sanso::testing::japanese_pdf(u"山田 123456789018")}});
  const std::string raw = with_attachment("list 123456789018", "【機密性2】山田_123456789018.zip", zip);
  for (const OutboundScan& scan : {scan_outbound(raw, kLevels), scan_outbound_sandboxed(scanner, raw)}) {
    ASSERT_EQ(scan.error, "");
    EXPECT_EQ(scan.subject, "list ********9018");
    EXPECT_EQ(scan.classification_where, "【機密性2】山田_********9018.zip");
    EXPECT_EQ(scan.attachments, std::vector<std::string>{"【機密性2】山田_********9018.zip"});
    std::set<std::string> where;
    for (const auto& f : scan.identifiers) where.insert(f.where);
    EXPECT_TRUE(where.count("subject"));
    EXPECT_TRUE(where.count("【機密性2】山田_********9018.zip/********9018.txt")) << scan_to_json(scan);
    ASSERT_FALSE(scan.unchecked.empty());
    EXPECT_EQ(scan.unchecked[0].where, "【機密性2】山田_********9018.zip/写真_********9018.png");
    const std::string json = scan_to_json(scan);
    EXPECT_EQ(json.find("12345678"), std::string::npos) << json;
    EXPECT_EQ(unchecked_reason(scan).find("12345678"), std::string::npos) << unchecked_reason(scan);
  }
  // Read through pdftotext outside the scanner, the PDF's number is the PDF's, by its masked name.
  const OutboundScan read = scan_outbound_sandboxed(scanner, raw);
  std::set<std::string> where;
  for (const auto& f : read.identifiers) where.insert(f.where);
  EXPECT_TRUE(where.count("【機密性2】山田_********9018.zip/名簿_********9018.pdf")) << scan_to_json(read);
}

// A PDF page with a picture that can hold text (a scanned card with a typed page number, a pasted
// screenshot) is rendered by pdftoppm and read by OCR as the picture it is: its number is found
// under the page ("scan.pdf/page-1"); a page whose picture holds no text passes; with [mail]
// pictures = "hold" the page stays unchecked as before.
// A table pasted as a picture whose text a PDF-to-EMF converter turned into curves: no character in
// the file, the number only in the shapes. The metafile is rendered whole and read by OCR, and its
// number found under "chart.emf/drawing"; a chart of shapes and no text passes.
TEST(Outbound, MetafilesDrawnAsShapesAreRenderedAndReadByOcr) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  namespace emf = sanso::testing::emf;
  const auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const std::string chart = emf::file({emf::polygons(outlines)}, u"", true, 230, 100);
  const auto scan = scan_outbound_sandboxed(**started, with_attachment("x", "chart.emf", chart));
  ASSERT_EQ(scan.error, "");
  ASSERT_EQ(scan.identifiers.size(), 1u) << scan_to_json(scan);
  EXPECT_EQ(scan.identifiers[0].where, "chart.emf/drawing");
  EXPECT_EQ(scan.identifiers[0].masked, "********9018");
  EXPECT_TRUE(scan.pictures.empty()) << "rendered and read, not handed on";
  const std::vector<std::vector<std::pair<int, int>>> bars = {{{10, 90}, {30, 90}, {30, 40}, {10, 40}}, {{50, 90}, {70, 90}, {70, 20}, {50, 20}}};
  const auto plain = scan_outbound_sandboxed(**started, with_attachment("x", "bars.emf", emf::file({emf::polygons(bars)}, u"", true, 100, 100)));
  EXPECT_TRUE(plain.identifiers.empty()) << scan_to_json(plain);
  EXPECT_TRUE(plain.unchecked.empty()) << unchecked_reason(plain);
  // With pictures held unread ([mail] pictures = "hold"), so is the drawing: never passed unread.
  const auto held = scan_outbound_sandboxed(**started, with_attachment("x", "chart.emf", chart), std::chrono::seconds(120), PictureReading::kHold);
  EXPECT_TRUE(std::any_of(held.unchecked.begin(), held.unchecked.end(), [](const UncheckedFile& f) { return f.where == "chart.emf/drawing"; }))
      << unchecked_reason(held);
}

// review26: a metafile's further renderings are read as pictures of their own, each by its name —
// a dual EMF's EMF records alone ("chart.emf/drawing-gdi": an EMF+ square over the number a GDI
// viewer shows) and the parts of a drawing whose far dot left its number tiny
// ("far.emf/drawing/part-1"): the number is found, named where it was read.
TEST(Outbound, AMetafilesPartsAndItsEmfRecordsAloneAreReadByOcr) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  namespace emf = sanso::testing::emf;
  const auto outlines = sanso::testing::outlines_of("個人番号\n1234 5678 9018", 150, 10);
  ASSERT_GT(outlines.size(), 12u) << "the test could not lay out its glyphs";
  const auto s32 = [](std::int32_t v) { return emf::u32(static_cast<std::uint32_t>(v)); };
  const std::string header = emf::plus_record(0x4001, 1, emf::u32(0xDBC01002) + emf::u32(1) + emf::u32(96) + emf::u32(96));
  std::string square;  // EmfPlusFillRects: a solid colour, one RectF of 4 × 4
  for (const float f : {0.0F, 0.0F, 4.0F, 4.0F}) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    square += emf::u32(bits);
  }
  const std::string fill = emf::plus_record(0x400A, 0x8000, emf::u32(0xFF000000) + emf::u32(1) + square);
  const auto dual = scan_outbound_sandboxed(**started, with_attachment("x", "chart.emf", emf::file({emf::emf_plus({header, fill}), emf::polygons(outlines)}, u"", true, 230, 100)));
  ASSERT_EQ(dual.error, "");
  ASSERT_EQ(dual.identifiers.size(), 1u) << scan_to_json(dual);
  EXPECT_EQ(dual.identifiers[0].where, "chart.emf/drawing-gdi");
  EXPECT_EQ(dual.identifiers[0].masked, "********9018");
  const std::string far = emf::file({emf::polygons(outlines), emf::record(15, s32(9999) + s32(9999) + emf::u32(0))}, u"", true, 10000, 10000);
  const auto parts = scan_outbound_sandboxed(**started, with_attachment("x", "far.emf", far));
  ASSERT_EQ(parts.error, "");
  ASSERT_EQ(parts.identifiers.size(), 1u) << scan_to_json(parts);
  EXPECT_EQ(parts.identifiers[0].where, "far.emf/drawing/part-1");
  EXPECT_TRUE(parts.unchecked.empty()) << unchecked_reason(parts);
}

TEST(Outbound, PdfPagesOfPicturesAreRenderedAndReadByOcr) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  sandbox::Executor& scanner = **started;
  auto scan_pdf = [](const std::string& rgb, int width, int height) {
    const std::string content = "q " + std::to_string(width / 2) + " 0 0 " + std::to_string(height / 2) + " 36 300 cm /Im1 Do Q BT /F1 10 Tf 36 36 Td (page 1) Tj ET";
    const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
    return sanso::testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
                                   stream("/Type /XObject /Subtype /Image /Width " + std::to_string(width) + " /Height " + std::to_string(height) +
                                              " /ColorSpace /DeviceRGB /BitsPerComponent 8",
                                          rgb),
                                   stream("", content), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  };
  int width = 0, height = 0;
  const std::string card = sanso::testing::rgb_of("個人番号 1234 5678 9018\n氏名 山田太郎", width, height);
  ASSERT_FALSE(card.empty()) << "the test could not render its picture";
  const auto scanned = scan_outbound_sandboxed(scanner, with_attachment("x", "scan.pdf", scan_pdf(card, width, height)));
  ASSERT_EQ(scanned.error, "");
  ASSERT_EQ(scanned.identifiers.size(), 1u) << scan_to_json(scanned);
  EXPECT_EQ(scanned.identifiers[0].where, "scan.pdf/page-1");
  EXPECT_TRUE(scanned.unchecked.empty()) << unchecked_reason(scanned);
  const std::string grey(static_cast<std::size_t>(200) * 120 * 3, '\xB4');
  const auto logo = scan_outbound_sandboxed(scanner, with_attachment("x", "logo.pdf", scan_pdf(grey, 200, 120)));
  EXPECT_TRUE(logo.identifiers.empty()) << scan_to_json(logo);
  EXPECT_TRUE(logo.unchecked.empty()) << unchecked_reason(logo);
  const auto held = scan_outbound_sandboxed(scanner, with_attachment("x", "scan.pdf", scan_pdf(card, width, height)), kOutgoingCheckBudget, PictureReading::kHold);
  ASSERT_EQ(held.unchecked.size(), 1u) << unchecked_reason(held);
  EXPECT_EQ(held.unchecked[0].where, "scan.pdf/pages");
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

// Pictures are read by OCR outside the scanner (cdr::picture_text, Tesseract in the converter
// sandbox): a photographed or scanned 個人番号 is found under the picture's name, a picture without
// text (a logo) is checked and passes, one OCR cannot read stays unchecked.
TEST(Outbound, PicturesAreReadByOcrAndTheirNumbersFound) {
  // The scanner's worker is forked before Pango and fontconfig (which render the test's pictures)
  // start: a child forked beside their threads can hang on a lock one of them held.
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));
  ASSERT_TRUE(started) << started.error().to_string();
  sandbox::Executor& scanner = **started;
  const std::string card = sanso::testing::picture_of("個人番号 1234 5678 9018\n氏名 山田太郎");
  ASSERT_FALSE(card.empty()) << "the test could not render its picture";
  auto scanned = scan_outbound_sandboxed(scanner, with_attachment("x", "card.png", card));
  ASSERT_EQ(scanned.error, "");
  ASSERT_EQ(scanned.identifiers.size(), 1u) << scan_to_json(scanned);
  EXPECT_EQ(scanned.identifiers[0].where, "card.png");
  EXPECT_EQ(scanned.identifiers[0].masked, "********9018");
  EXPECT_TRUE(scanned.unchecked.empty()) << unchecked_reason(scanned);
  EXPECT_TRUE(scanned.pictures.empty()) << "pictures are read, not handed on";

  const std::string marked = sanso::testing::picture_of("【機密性2】 予算案");
  auto classified = scan_outbound_sandboxed(scanner, with_attachment("x", "slide.png", marked));
  EXPECT_EQ(classified.classification, "2") << scan_to_json(classified);
  EXPECT_EQ(classified.classification_where, "slide.png");

  // A logo: read, nothing in it, nothing held. Inside a zip it is read the same way.
  auto logo = scan_outbound_sandboxed(scanner, with_attachment("x", "logo.png", sanso::testing::plain_picture()));
  EXPECT_TRUE(logo.unchecked.empty()) << unchecked_reason(logo);
  EXPECT_TRUE(logo.identifiers.empty());
  auto zipped = scan_outbound_sandboxed(scanner, with_attachment("x", "cards.zip", sanso::testing::zip_of({{"scan/card.png", card}})));
  ASSERT_EQ(zipped.identifiers.size(), 1u) << scan_to_json(zipped);
  EXPECT_EQ(zipped.identifiers[0].where, "cards.zip/scan/card.png");

  // A misread digit fails the check digit: a picture that names the number, or shows 12 digits that
  // are no valid number, is held for a person to look at.
  auto misread = scan_outbound_sandboxed(scanner, with_attachment("x", "misread.png", sanso::testing::picture_of("マイナンバー 1234 5678 9019")));
  ASSERT_EQ(misread.unchecked.size(), 1u) << scan_to_json(misread);
  EXPECT_EQ(misread.unchecked[0].why.rfind("ocr: ", 0), 0u) << misread.unchecked[0].why;
  auto digits = scan_outbound_sandboxed(scanner, with_attachment("x", "digits.png", sanso::testing::picture_of("1234 5678 9019")));
  ASSERT_EQ(digits.unchecked.size(), 1u) << scan_to_json(digits);

  // Review19b 1: OCR sees only the pixels, so a picture is handed to it only when its file holds
  // nothing else: bytes after IEND keep it unchecked; a text chunk is read as text.
  const std::string grey = sanso::testing::plain_picture();
  auto trailing = scan_outbound_sandboxed(scanner, with_attachment("x", "logo2.png", grey + "yamada,123456789018\n"));
  ASSERT_EQ(trailing.unchecked.size(), 1u) << scan_to_json(trailing);
  EXPECT_EQ(trailing.unchecked[0].why.rfind("image:", 0), 0u) << trailing.unchecked[0].why;
  const std::string payload = std::string("Comment") + '\0' + "yamada,123456789018";
  std::string chunk = {0, 0, 0, static_cast<char>(payload.size())};
  chunk += "tEXt" + payload;
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(chunk.data() + 4), static_cast<uInt>(chunk.size() - 4));
  for (int shift : {24, 16, 8, 0}) chunk.push_back(static_cast<char>((crc >> shift) & 0xFF));
  const std::string with_text = grey.substr(0, 33) + chunk + grey.substr(33);  // after IHDR
  auto commented = scan_outbound_sandboxed(scanner, with_attachment("x", "logo3.png", with_text));
  ASSERT_EQ(commented.identifiers.size(), 1u) << scan_to_json(commented);
  EXPECT_EQ(commented.identifiers[0].where, "logo3.png");

  // [mail] pictures = "hold": no picture is read, each is unchecked with the setting named — the
  // card's number is not found, and the mail is held for an approver all the same.
  auto held = scan_outbound_sandboxed(scanner, with_attachment("x", "card.png", card), kOutgoingCheckBudget, PictureReading::kHold);
  ASSERT_EQ(held.error, "");
  EXPECT_TRUE(held.identifiers.empty()) << scan_to_json(held);
  ASSERT_EQ(held.unchecked.size(), 1u) << scan_to_json(held);
  EXPECT_EQ(held.unchecked[0].where, "card.png");
  EXPECT_EQ(held.unchecked[0].why.rfind("image: pictures are held unread ([mail] pictures = \"hold\")", 0), 0u) << held.unchecked[0].why;
  auto held_logo = scan_outbound_sandboxed(scanner, with_attachment("x", "logo.png", sanso::testing::plain_picture()), kOutgoingCheckBudget,
                                           PictureReading::kHold);
  EXPECT_EQ(held_logo.unchecked.size(), 1u) << "a logo is held too: nothing is read under hold";

  // A picture OCR cannot read (a broken PNG) stays unchecked, with why.
  const std::string broken = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  auto unread = scan_outbound_sandboxed(scanner, with_attachment("x", "photo.png", broken));
  ASSERT_EQ(unread.unchecked.size(), 1u);
  EXPECT_EQ(unread.unchecked[0].where, "photo.png");
  EXPECT_EQ(unread.unchecked[0].why.rfind("image:", 0), 0u) << "not even a whole PNG: " << unread.unchecked[0].why;
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

// Issue #17 (2): the envelope leaves with the message and is in no header (a Bcc recipient): a
// number in an address's local part is a finding, masked, named for the envelope; an address
// without one adds nothing, and one number in the envelope and the body is a finding in each.
TEST(Outbound, NumbersInTheEnvelopeAreFindings) {
  OutboundScan scan = scan_outbound("Subject: x\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n123456789018\r\n", kLevels);
  ASSERT_EQ(scan.identifiers.size(), 1u);
  scan_envelope(scan, "7000012050002@city.minamata.lg.jp", {"p@example.com", "1234-5678-9018@example.com", "0966-63-1111@example.com"});
  ASSERT_EQ(scan.identifiers.size(), 3u);
  EXPECT_EQ(scan.identifiers[1].where, "エンベロープ送信者");
  EXPECT_EQ(scan.identifiers[1].masked, "*********0002");
  EXPECT_EQ(scan.identifiers[2].where, "エンベロープ宛先");
  EXPECT_EQ(scan.identifiers[2].masked, "********9018");
  OutboundScan plain = scan_outbound("Subject: x\r\n\r\nhello\r\n", kLevels);
  scan_envelope(plain, "tanaka@city.minamata.lg.jp", {"p@example.com", "order-20261206@example.com"});
  EXPECT_TRUE(plain.identifiers.empty());
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

// ── issue #17: every leaf part of outgoing mail is read, not only the body and the attachments ──

// A multipart/mixed message from the city of `parts` (each with its own headers and body).
std::string mixed(const std::vector<std::string>& parts, const std::string& subject = "x", const std::string& type = "multipart/mixed") {
  std::string out = "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: " + type +
                    "; boundary=b\r\n\r\n";
  for (const auto& p : parts) out += "--b\r\n" + p + "\r\n";
  return out + "--b--\r\n";
}

std::string base64_part(const std::string& headers, const std::string& bytes) {
  return headers + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(bytes);
}

std::vector<std::string> wheres(const OutboundScan& scan) {
  std::vector<std::string> out;
  for (const auto& f : scan.identifiers) out.push_back(f.where);
  return out;
}

std::string unchecked_list(const OutboundScan& scan) {
  std::string out;
  for (const auto& f : scan.unchecked) out += f.where + " (" + f.why + "); ";
  return out;
}

// (3a) Outlook's winmail.dat: its files and its body are read as files named after it, in a mail
// and in a transfer (message_carrying) alike; a blob that is no readable TNEF cannot be checked.
TEST(OutboundLeaves, TnefFilesAndBodyAreReadAndAnUnreadableBlobIsUnchecked) {
  const std::string tnef = sanso::testing::tnef_with({{"list.csv", "山田,123456789018\r\n"}, {"【機密性3A】名簿.txt", "a"}}, "個人番号 1234 5678 9018 の件");
  auto mail = scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です",
                                   base64_part("Content-Type: application/ms-tnef; name=winmail.dat\r\nContent-Disposition: attachment; filename=winmail.dat", tnef)}),
                            kLevels);
  ASSERT_EQ(mail.error, "");
  EXPECT_EQ(wheres(mail), (std::vector<std::string>{"winmail.dat/本文.txt", "winmail.dat/list.csv"}));
  EXPECT_EQ(mail.classification, "3A");
  EXPECT_EQ(mail.classification_where, "winmail.dat/【機密性3A】名簿.txt");
  EXPECT_TRUE(mail.unchecked.empty()) << unchecked_list(mail);
  // A transfer of a file named winmail.dat reaches the same reading.
  auto transfer = scan_outbound(message_carrying(tnef, "winmail.dat"), kLevels);
  ASSERT_EQ(transfer.error, "");
  EXPECT_EQ(wheres(transfer), (std::vector<std::string>{"winmail.dat/本文.txt", "winmail.dat/list.csv"}));
  // Not TNEF, or TNEF this reader cannot take apart: named, never passed.
  auto broken = scan_outbound(message_carrying("not tnef at all 123456789018", "winmail.dat"), kLevels);
  ASSERT_EQ(broken.error, "");
  ASSERT_EQ(broken.unchecked.size(), 1u) << unchecked_list(broken);
  EXPECT_EQ(broken.unchecked[0].where, "winmail.dat");
  EXPECT_EQ(broken.unchecked[0].why.rfind("tnef:", 0), 0u) << broken.unchecked[0].why;
}

// Issue #17 (4): every string property of a TNEF blob is read, not only its subject and body — a
// sender's or a file's display name, a keyword list (multi-valued), Unicode ones — as the blob's
// file "プロパティ.txt".
TEST(OutboundLeaves, TnefStringPropertiesAreRead) {
  auto utf16 = [](const std::u16string& text) {
    std::string out;
    for (const char16_t c : text + u'\0') out += {static_cast<char>(c & 0xff), static_cast<char>(c >> 8)};
    return out;
  };
  const auto with_properties = [](const std::string& properties) {
    const std::string tnef = sanso::testing::tnef_with({{"a.txt", "なし"}}, "", properties);
    return scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です",
                                base64_part("Content-Type: application/ms-tnef; name=winmail.dat\r\nContent-Disposition: attachment; filename=winmail.dat", tnef)}),
                         kLevels);
  };
  using sanso::testing::mapi_properties;
  const std::string nul(1, '\0');
  const OutboundScan sender = with_properties(mapi_properties({{0x0C1A001E, {"山田 123456789018" + nul}}}));  // PR_SENDER_NAME
  EXPECT_EQ(wheres(sender), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(sender);
  // Multi-valued, followed by another property: libytnef 2.0 reads a multi-valued one that ends the
  // list as its first value only and refuses the blob (then unreadable: held, never passed).
  const OutboundScan keywords = with_properties(mapi_properties({{0x6001101E, {"予算" + nul, "7000012050002" + nul}}, {0x0C1A001E, {"山田" + nul}}}));
  EXPECT_EQ(wheres(keywords), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(keywords);
  const OutboundScan unicode = with_properties(mapi_properties({{0x3001001F, {utf16(u"【機密性3A】 1234-5678-9018")}}}));  // PR_DISPLAY_NAME
  EXPECT_EQ(wheres(unicode), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(unicode);
  EXPECT_EQ(unicode.classification, "3A");
  EXPECT_EQ(unicode.classification_where, "winmail.dat/プロパティ.txt");
  const OutboundScan plain = with_properties(mapi_properties({{0x0C1A001E, {"山田 太郎" + nul}}}));
  EXPECT_TRUE(plain.identifiers.empty());
  EXPECT_TRUE(plain.unchecked.empty()) << unchecked_list(plain);
}

// Issue #16: our TNEF reader reads a Unicode string past a NUL inside it (libytnef's UTF-8 ended
// there, and what followed was never checked); a blob cut short is held with the reason.
TEST(OutboundLeaves, TnefUnicodeStringsAreReadPastANulAndACutBlobSaysWhy) {
  std::string hidden;
  for (const char16_t c : std::u16string(u"山田") + u'\0' + u"個人番号 1234 5678 9018" + u'\0') hidden += {static_cast<char>(c & 0xff), static_cast<char>(c >> 8)};
  const std::string tnef = sanso::testing::tnef_with({{"a.txt", "なし"}}, "", sanso::testing::mapi_properties({{0x3001001F, {hidden}}}));
  auto scan = scan_outbound(message_carrying(tnef, "winmail.dat"), kLevels);
  EXPECT_EQ(wheres(scan), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(scan);
  auto cut = scan_outbound(message_carrying(tnef.substr(0, tnef.size() - 3), "winmail.dat"), kLevels);
  ASSERT_EQ(cut.unchecked.size(), 1u) << unchecked_list(cut);
  EXPECT_EQ(cut.unchecked[0].where, "winmail.dat");
  EXPECT_NE(cut.unchecked[0].why.find("the blob ends inside"), std::string::npos) << cut.unchecked[0].why;
}

// Issue #17 (tnef21): nothing a TNEF blob carries goes unread. A blob of one attachment (its
// title, its data when given, then its own attributes and properties), as winmail.dat.
namespace tnef21 {

using sanso::testing::mapi_properties;
using sanso::testing::tnef_attribute;
using sanso::testing::tnef_start;
using sanso::testing::tnef_u32;
using sanso::testing::tnef_with;

const std::string kNul(1, '\0');
const std::string kIidIMessage("\x07\x03\x02\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46", 16);

std::string utf16(const std::u16string& text) {
  std::string out;
  for (const char16_t c : text) out += {static_cast<char>(c & 0xff), static_cast<char>(c >> 8)};
  return out;
}

std::string one_attachment(const std::string& title, const std::string* data, const std::string& rest) {
  std::string out = tnef_start() + tnef_attribute('\x02', 0x00069002, std::string(14, '\0')) + tnef_attribute('\x02', 0x00018010, title + kNul);
  if (data != nullptr) out += tnef_attribute('\x02', 0x0006800F, *data);
  return out + rest;
}

std::string attachment_properties(const std::vector<std::pair<std::uint32_t, std::vector<std::string>>>& properties) {
  return tnef_attribute('\x02', 0x00069005, mapi_properties(properties));
}

bool has(const std::vector<std::string>& list, const std::string& item) { return std::find(list.begin(), list.end(), item) != list.end(); }

OutboundScan scan_blob(const std::string& tnef) { return scan_outbound(message_carrying(tnef, "winmail.dat"), kLevels); }

// (1) A standard property written twice is read twice: the reader kept the first only.
TEST(OutboundLeaves, TnefRepeatedPropertiesAreEachRead) {
  const auto bodies = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x1000001E, {"ご確認ください" + kNul}}, {0x1000001E, {"個人番号 1234 5678 9018" + kNul}}})));
  EXPECT_EQ(wheres(bodies), std::vector<std::string>{"winmail.dat/本文.txt"}) << unchecked_list(bodies);
  // An 8-bit body ends with its NUL, as Outlook writes it: still text, not "unknown content".
  EXPECT_TRUE(bodies.unchecked.empty()) << unchecked_list(bodies);
  const auto html = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x10130102, {"<p>a</p>"}}, {0x10130102, {"<p>1234-5678-9018</p>"}}})));
  EXPECT_EQ(wheres(html), std::vector<std::string>{"winmail.dat/本文.html"}) << unchecked_list(html);
  const std::string data = "なし";
  const auto names = scan_blob(one_attachment("A.TXT", &data, attachment_properties({{0x3707001E, {"a.txt" + kNul}}, {0x3707001E, {"山田_123456789018.txt" + kNul}}})));
  EXPECT_EQ(wheres(names), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(names);
  EXPECT_TRUE(names.unchecked.empty()) << unchecked_list(names);
  // (4) A second attAttachTitle: both names are read, the first names the file.
  const std::string titled = one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00018010, "山田_123456789018.txt" + kNul));
  const auto titles = scan_blob(titled);
  EXPECT_EQ(wheres(titles), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(titles);
  EXPECT_TRUE(has(titles.attachments, "winmail.dat/a.txt"));
}

// (2) An attachment's embedded message (PR_ATTACH_DATA_OBJ, PT_OBJECT, IID_IMessage: TNEF of its
// own) is read as the blob is, as deep as kMostTnefDepth; another object, and the file's bytes as
// PR_ATTACH_DATA_BIN, are read as files.
TEST(OutboundLeaves, TnefEmbeddedMessagesAndObjectsAreRead) {
  const std::string inner = tnef_with({{"list.csv", "山田,123456789018\r\n"}}, "法人番号 7000012050002");
  const auto embedded = scan_blob(one_attachment("", nullptr, attachment_properties({{0x3701000D, {kIidIMessage + inner}}})));
  EXPECT_EQ(wheres(embedded), (std::vector<std::string>{"winmail.dat/埋め込み(1)/本文.txt", "winmail.dat/埋め込み(1)/list.csv"})) << unchecked_list(embedded);
  EXPECT_TRUE(embedded.unchecked.empty()) << unchecked_list(embedded);
  // An embedded message that is no readable TNEF: named, never passed.
  const auto broken = scan_blob(one_attachment("転送", nullptr, attachment_properties({{0x3701000D, {kIidIMessage + inner.substr(0, inner.size() - 2)}}})));
  ASSERT_EQ(broken.unchecked.size(), 1u) << unchecked_list(broken);
  EXPECT_EQ(broken.unchecked[0].where, "winmail.dat/転送");
  EXPECT_EQ(broken.unchecked[0].why.rfind("tnef: the embedded message: the blob ends inside", 0), 0u) << broken.unchecked[0].why;
  // Embedded in embedded in …: read to a depth, then named.
  std::string nested = inner;
  for (int i = 0; i < 4; ++i) nested = one_attachment("m", nullptr, attachment_properties({{0x3701000D, {kIidIMessage + nested}}}));
  const auto deep = scan_blob(nested);
  ASSERT_EQ(deep.unchecked.size(), 1u) << unchecked_list(deep);
  EXPECT_EQ(deep.unchecked[0].where, "winmail.dat/m/m/m/m");
  EXPECT_EQ(deep.unchecked[0].why.rfind("limit: messages embedded", 0), 0u) << deep.unchecked[0].why;
  // An OLE object (another interface), and the file as PR_ATTACH_DATA_BIN without attAttachData.
  const std::string other_iid(16, '\x22');
  const auto ole = scan_blob(one_attachment("", nullptr, attachment_properties({{0x3701000D, {other_iid + "山田,123456789018\r\n"}}})));
  EXPECT_EQ(wheres(ole), std::vector<std::string>{"winmail.dat/埋め込み(1)"}) << unchecked_list(ole);
  const auto bin = scan_blob(one_attachment("list.csv", nullptr, attachment_properties({{0x37010102, {"山田,123456789018\r\n"}}})));
  EXPECT_EQ(wheres(bin), std::vector<std::string>{"winmail.dat/list.csv"}) << unchecked_list(bin);
  EXPECT_TRUE(bin.unchecked.empty()) << unchecked_list(bin);
}

// (2) Binary properties are read for their text (an address in a search key, a display name in
// UTF-16 at an odd offset of an entry id); one too large to be an identifier cannot be checked.
TEST(OutboundLeaves, TnefBinaryPropertiesAreReadForTheirText) {
  const auto key = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x0C1D0102, {"SMTP:123456789018@EXAMPLE.JP" + kNul}}})));
  EXPECT_EQ(wheres(key), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(key);
  const std::string entry_id = std::string(25, '\x01') + utf16(u"山田 1234-5678-9018") + std::string(3, '\0');
  const auto entry = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x0C190102, {entry_id}}})));
  EXPECT_EQ(wheres(entry), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(entry);
  EXPECT_TRUE(entry.unchecked.empty()) << unchecked_list(entry);
  const auto big = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x00710102, {std::string(5000, 'x')}}})));
  ASSERT_EQ(big.unchecked.size(), 1u) << unchecked_list(big);
  EXPECT_EQ(big.unchecked[0].where, "winmail.dat/プロパティ.txt");
  EXPECT_NE(big.unchecked[0].why.find("5000 bytes is not read"), std::string::npos) << big.unchecked[0].why;
}

// The subject as Outlook writes it (NUL-ended) is text; a fixed-size value (a CLSID's 16 bytes),
// a named property's GUID and an attachment's rendering data are read for the text in them; an
// object under any other id, named, is read as a file.
TEST(OutboundLeaves, TnefSubjectFixedSizeValuesAndOtherObjectsAreRead) {
  const auto subject = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00018004, "山田 123456789018" + kNul));
  EXPECT_EQ(wheres(subject), std::vector<std::string>{"winmail.dat/件名.txt"}) << unchecked_list(subject);
  EXPECT_TRUE(subject.unchecked.empty()) << unchecked_list(subject);
  const std::string clsid = sanso::testing::tnef_u32(1) + sanso::testing::tnef_u16(0x0048) + sanso::testing::tnef_u16(0x0E00) + "x123456789018xyz";
  const auto fixed = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00069003, clsid));
  EXPECT_EQ(wheres(fixed), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(fixed);
  // A named property's GUID, and an attachment's rendering data: bytes a writer chose, read too.
  const std::string guid = sanso::testing::tnef_u32(1) + sanso::testing::tnef_u16(0x0003) + sanso::testing::tnef_u16(0x8001) + "x123456789018xyz" + tnef_u32(0) +
                           tnef_u32(0x8100) + tnef_u32(7);
  const auto named_guid = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00069003, guid));
  EXPECT_EQ(wheres(named_guid), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(named_guid);
  const auto renddata = scan_blob(tnef_start() + tnef_attribute('\x02', 0x00069002, "x123456789018x") + tnef_attribute('\x02', 0x0006800F, "なし"));
  EXPECT_EQ(wheres(renddata), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(renddata);
  const std::string data = "なし";
  const std::string named_object = sanso::testing::tnef_u32(1) + sanso::testing::tnef_u16(0x000D) + sanso::testing::tnef_u16(0x8005) + std::string(16, '\x11') +
                                   tnef_u32(0) + tnef_u32(7) + tnef_u32(1) + tnef_u32(36) + std::string(16, '\x22') + "山田,123456789018" + std::string(1, '\n');
  const auto object = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00069005, named_object)));
  EXPECT_EQ(wheres(object), std::vector<std::string>{"winmail.dat/a.txt/オブジェクト"}) << unchecked_list(object);
}

// (3) The recipient table, the message id, the transport file name are read; an attachment's icon
// (attAttachMetaFile) that is no metafile cannot be.
TEST(OutboundLeaves, TnefRecipientsMessageIdTransportNameAreReadAndAnIconIsUnchecked) {
  const std::string table = tnef_u32(2) + mapi_properties({{0x3001001E, {"佐藤" + kNul}}}) + mapi_properties({{0x3003001E, {"123456789018@example.jp" + kNul}}});
  const auto recipients = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00069004, table));
  EXPECT_EQ(wheres(recipients), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(recipients);
  EXPECT_TRUE(recipients.unchecked.empty()) << unchecked_list(recipients);
  const auto id = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00018009, "AB123456789018CD" + kNul));
  EXPECT_EQ(wheres(id), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(id);
  // A 13-digit time stamp inside a message id is none (read as a Message-ID field is).
  EXPECT_TRUE(scan_blob(tnef_start() + tnef_attribute('\x01', 0x00018009, "1765000000000" + kNul)).identifiers.empty());
  const std::string data = "なし";
  const auto transport = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00069001, "123456789018.txt" + kNul)));
  EXPECT_EQ(wheres(transport), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(transport);
  // An icon that is no metafile (a placeable header over zeros) cannot be read: unchecked.
  const auto icon = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, std::string("\xD7\xCD\xC6\x9A", 4) + std::string(40, '\0'))));
  ASSERT_EQ(icon.unchecked.size(), 1u) << unchecked_list(icon);
  EXPECT_EQ(icon.unchecked[0].where, "winmail.dat/a.txt/アイコン.wmf");
  EXPECT_EQ(icon.unchecked[0].why.rfind("unsupported:", 0), 0u) << icon.unchecked[0].why;
  // Dates and the message class: small, read for what text they hold; no finding, nothing unchecked.
  const auto plain = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00038005, std::string("\xEA\x07\x0C\x00\x06\x00\x0A\x00\x00\x00\x00\x00\x00\x00", 14)) +
                               tnef_attribute('\x01', 0x00078008, "IPM.Microsoft Mail.Note" + kNul));
  EXPECT_TRUE(plain.identifiers.empty());
  EXPECT_TRUE(plain.unchecked.empty()) << unchecked_list(plain);
}

// An attachment's icon is a Windows metafile (attAttachMetaFile as Outlook writes it, or
// PR_ATTACH_RENDERING): Outlook draws the file's name under the picture. The name drawn is read
// as text, and an icon that draws only a name passes — every winmail.dat with a file was held
// while icons were not read.
TEST(OutboundLeaves, TnefIconsAreReadAsTheMetafilesTheyAre) {
  namespace wmf = sanso::testing::wmf;
  const std::string data = "なし";
  const std::string plain = wmf::file({wmf::font(128, "MS UI Gothic"), wmf::text_out(40, 0, "a.txt")});
  const auto named = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, plain)));
  // Read from its records, and left for OCR rendered whole (what a viewer shows of its text):
  // the only entry the scanner leaves is that one, "image:" until OCR reads it.
  ASSERT_EQ(named.unchecked.size(), 1u) << unchecked_list(named);
  EXPECT_EQ(named.unchecked[0].where, "winmail.dat/a.txt/アイコン.wmf/drawing");
  EXPECT_EQ(named.unchecked[0].why.rfind("image:", 0), 0u) << named.unchecked[0].why;
  EXPECT_EQ(named.pictures.size(), 1u);
  EXPECT_TRUE(named.identifiers.empty());
  const std::string drawn = wmf::file({wmf::text_out(40, 0, "1234 5678"), wmf::text_out(40, 90, " 9018")});
  const auto number = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, drawn)));
  ASSERT_EQ(number.identifiers.size(), 1u) << unchecked_list(number);
  EXPECT_EQ(number.identifiers[0].where, "winmail.dat/a.txt/アイコン.wmf");
  const auto rendering = scan_blob(one_attachment("a.txt", &data, attachment_properties({{0x37090102, {drawn}}})));
  ASSERT_EQ(rendering.identifiers.size(), 1u) << unchecked_list(rendering);
  EXPECT_EQ(rendering.identifiers[0].where, "winmail.dat/a.txt/アイコン.wmf");
}

// A picture an icon paints is read by OCR like an attached one: a number in it is found under the
// icon's path.
TEST(OutboundLeaves, TnefIconPicturesAreReadByOcr) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  const std::string dib = sanso::testing::dib_of("個人番号 1234 5678 9018");
  ASSERT_FALSE(dib.empty()) << "the test could not render its picture";
  const std::string data = "なし";
  const std::string icon = sanso::testing::wmf::file({sanso::testing::wmf::stretch_dib(dib)});
  const auto scan = scan_outbound_sandboxed(**started, message_carrying(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, icon)), "winmail.dat"));
  ASSERT_EQ(scan.error, "");
  ASSERT_EQ(scan.identifiers.size(), 1u) << scan_to_json(scan);
  EXPECT_EQ(scan.identifiers[0].where, "winmail.dat/a.txt/アイコン.wmf/picture-1.png");
  // Its StretchDIB has a destination of no size: LibreOffice renders the icon as an empty page, and
  // a blank rendering of records that paint is held, not read by OCR as nothing (out24; this scan
  // had no unchecked entry before). Since review25b H2 it is held before it is rendered: what it
  // paints is a few twips, under 120 page pixels enlarged as far as a copy is.
  ASSERT_EQ(scan.unchecked.size(), 1u) << unchecked_reason(scan);
  EXPECT_EQ(scan.unchecked[0].where, "winmail.dat/a.txt/アイコン.wmf/drawing");
  EXPECT_NE(scan.unchecked[0].why.find("描画の基準画素が粗く"), std::string::npos) << scan.unchecked[0].why;
  // An icon as Outlook draws it — its window set, a picture placed at a size and the name under it
  // in a font of a size — is checked and passes. (Without a window LibreOffice draws a created
  // font's text as nothing: that is held as blank too.)
  namespace wmf = sanso::testing::wmf;
  std::string picture = wmf::stretch_dib(wmf::white_dib(32, 32));
  picture.replace(12, 16, wmf::u16(32) + wmf::u16(32) + wmf::u16(0) + wmf::u16(0) + wmf::u16(720) + wmf::u16(720) + wmf::u16(0) + wmf::u16(0));
  std::string name_font = wmf::font(128, "MS UI Gothic");
  name_font.replace(6, 2, wmf::u16(static_cast<std::uint16_t>(-160)));  // lfHeight: 160 units, a ninth of an inch
  const std::string window = wmf::record(0x020B, wmf::u16(0) + wmf::u16(0)) + wmf::record(0x020C, wmf::u16(1440) + wmf::u16(1440));
  const std::string plain = wmf::file({window, picture, name_font, wmf::text_out(900, 0, "a.txt")});
  const auto outlook = scan_outbound_sandboxed(**started, message_carrying(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, plain)), "winmail.dat"));
  EXPECT_TRUE(outlook.identifiers.empty()) << scan_to_json(outlook);
  EXPECT_TRUE(outlook.unchecked.empty()) << unchecked_reason(outlook);
}

// Issue #17 (out25): an icon in the shape Outlook writes one (OleMetafilePictFromIconAndLabel: the
// icon's mask and colours stretched to 32 × 32, the file's name under it in a created font, a
// window of their size, no placeable header) renders with ink, is read by OCR and passes — not
// held as blank, as out24's StretchDIB of no destination size was. A number in its name is found.
TEST(OutboundLeaves, AnIconAsOutlookWritesItIsCheckedAndPasses) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));
  ASSERT_TRUE(started) << started.error().to_string();
  const std::string data = "なし";
  const std::string icon = sanso::testing::wmf::outlook_icon("\x96\xBC\x95\xEB 2026.xlsx");  // 名簿 in CP932
  const auto scan = scan_outbound_sandboxed(**started, message_carrying(one_attachment("meibo.xlsx", &data, tnef_attribute('\x02', 0x00068011, icon)), "winmail.dat"));
  ASSERT_EQ(scan.error, "");
  EXPECT_TRUE(scan.identifiers.empty()) << scan_to_json(scan);
  EXPECT_TRUE(scan.unchecked.empty()) << unchecked_reason(scan);
  const std::string numbered = sanso::testing::wmf::outlook_icon("1234 5678 9018.txt");
  const auto found = scan_outbound_sandboxed(**started, message_carrying(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00068011, numbered)), "winmail.dat"));
  ASSERT_EQ(found.error, "");
  EXPECT_FALSE(found.identifiers.empty()) << scan_to_json(found);
  EXPECT_TRUE(found.unchecked.empty()) << unchecked_reason(found);
}

// review21b (3, 6, 8): a title with a NUL inside is read past it; an object's interface id is read
// like its other bytes; a message id that is not Outlook's hexadecimal search key is read as text.
TEST(OutboundLeaves, TnefNamesPastANulInterfaceIdsAndTextualMessageIdsAreRead) {
  const std::string data = "なし";
  const auto nul = scan_blob(one_attachment(std::string("a.txt") + kNul + "123456789018", &data, ""));
  EXPECT_FALSE(nul.identifiers.empty()) << unchecked_list(nul);
  const auto iid = scan_blob(one_attachment("", nullptr, attachment_properties({{0x3701000D, {"123456789018abcd" + std::string("hello")}}})));
  EXPECT_FALSE(iid.identifiers.empty()) << unchecked_list(iid);
  for (const std::string id : {"個人番号 1234-5678-9018", "7000012050002"}) {
    const auto textual = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00018009, id + kNul));
    EXPECT_EQ(wheres(textual), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << id << ": " << unchecked_list(textual);
  }
}

// review21b (4): a lone UTF-16 surrogate no longer puts the rest of the text a byte out of step.
TEST(OutboundLeaves, ALoneSurrogateInUtf16TextLeavesTheNumberAfterItReadable) {
  std::string utf16 = "\xFF\xFE";  // a BOM'd UTF-16LE text file
  for (const char16_t c : std::u16string(u"\xDC00 123456789018 \xD800 2018 1234 5678")) {
    utf16 += static_cast<char>(c & 0xFF);
    utf16 += static_cast<char>(c >> 8);
  }
  const auto scanned = scan_outbound(with_attachment("x", "list.txt", utf16), kLevels);
  EXPECT_EQ(scanned.identifiers.size(), 2u) << unchecked_list(scanned);
}

// (5) BinHex: a .hqx file, or one of its type, is text only in its encoding — one in which no
// BinHex decodes is named and held, not read as text; an undecodable BinHex block inside an
// attached text file likewise (BinHexIsDecodedAndItsFileRead: what decodes is read). A uuencoded file inside
// an attached text file is decoded and read, as one in the body is.
TEST(OutboundLeaves, BinHexFilesAreHeldAndFilesInsideTextFilesAreRead) {
  const std::string binhex = "(This file must be converted with BinHex 4.0)\r\n\r\n:" + std::string(63, 'J') + "\r\n" + std::string(20, 'a') + ":\r\n";
  const auto hqx = scan_outbound(with_attachment("x", "data.hqx", binhex), kLevels);
  ASSERT_EQ(hqx.unchecked.size(), 1u) << unchecked_list(hqx);
  EXPECT_EQ(hqx.unchecked[0].where, "data.hqx");
  EXPECT_NE(hqx.unchecked[0].why.find("BinHex"), std::string::npos) << hqx.unchecked[0].why;
  // By its type, whatever its name, its lines short enough to pass for prose.
  const auto typed = scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です",
                                          base64_part("Content-Type: application/mac-binhex40\r\nContent-Disposition: attachment; filename=data.bin", ":abc\r\ndef:\r\n")}),
                                   kLevels);
  ASSERT_EQ(typed.unchecked.size(), 1u) << unchecked_list(typed);
  EXPECT_EQ(typed.unchecked[0].where, "data.bin");
  const auto in_text = scan_outbound(with_attachment("x", "notes.txt", "メモ\r\n" + binhex), kLevels);
  ASSERT_EQ(in_text.unchecked.size(), 1u) << unchecked_list(in_text);
  EXPECT_EQ(in_text.unchecked[0].where, "notes.txt/(binhex)");
  const auto uuencoded = scan_outbound(with_attachment("x", "notes.txt", "メモ\r\nbegin 644 numbers.csv\r\n5Y;&QYY2P+#$R,S0U-C<X.3 Q. T*\r\n`\r\nend\r\n"), kLevels);
  EXPECT_EQ(wheres(uuencoded), std::vector<std::string>{"notes.txt/numbers.csv"}) << unchecked_list(uuencoded);
}

// review21b (5): a value that is not a string counts as read only when what is read of it covers
// it. A number is read in decimal whatever its type — a 個人番号 kept as PT_I8, PT_DOUBLE,
// PT_CURRENCY or a date's number, or among a multi-valued one's values, is found.
std::string fixed_property(std::uint32_t tag, const std::vector<std::string>& values) {
  std::string out = tnef_u32(tag);
  if (tag & 0x1000) out += tnef_u32(static_cast<std::uint32_t>(values.size()));
  for (const auto& v : values) out += v + std::string((4 - v.size() % 4) % 4, '\0');
  return out;
}
// One property of a list mapi_properties writes, without the list's count.
std::string binary_property(std::uint32_t tag, const std::vector<std::string>& values) { return mapi_properties({{tag, values}}).substr(4); }
std::string le64(std::uint64_t v) { return tnef_u32(static_cast<std::uint32_t>(v)) + tnef_u32(static_cast<std::uint32_t>(v >> 32)); }
std::string message_with(const std::vector<std::string>& properties) {
  std::string list = tnef_u32(static_cast<std::uint32_t>(properties.size()));
  for (const auto& p : properties) list += p;
  return tnef_with({{"a.txt", "なし"}}, "", list);
}

TEST(OutboundLeaves, TnefNumbersOfEveryTypeAreReadInDecimal) {
  double as_double = 123456789018.0;
  std::uint64_t double_bits = 0;
  std::memcpy(&double_bits, &as_double, sizeof double_bits);
  const std::vector<std::pair<const char*, std::string>> hidden = {
      {"PT_I8", fixed_property(0x00990014, {le64(123456789018)})},
      {"PT_MV_I8", fixed_property(0x00991014, {le64(1), le64(123456789018)})},
      {"PT_DOUBLE", fixed_property(0x00990005, {le64(double_bits)})},
      {"PT_CURRENCY", fixed_property(0x00990006, {le64(1234567890180000)})},
      {"PT_SYSTIME", fixed_property(0x00990040, {le64(123456789018)})},
      {"PT_MV_SYSTIME", fixed_property(0x00991040, {le64(0), le64(123456789018)})},
      {"PT_BINARY of 5 bytes", binary_property(0x00990102, {le64(123456789018).substr(0, 5)})},
  };
  for (const auto& [what, property] : hidden) {
    const auto scan = scan_blob(message_with({property}));
    EXPECT_EQ(wheres(scan), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << what << ": " << unchecked_list(scan);
    EXPECT_TRUE(scan.unchecked.empty()) << what << ": " << unchecked_list(scan);
  }
  // What Outlook writes: a code page, a size, a flag, a date, a CRC — no number, nothing unread.
  const auto ordinary = scan_blob(message_with({fixed_property(0x3FDE0003, {tnef_u32(932)}), fixed_property(0x0E080003, {tnef_u32(41235)}),
                                                fixed_property(0x0E1F000B, {std::string("\x01\x00", 2)}), fixed_property(0x00390040, {le64(134093472000000000)}),
                                                fixed_property(0x10060003, {tnef_u32(0xDEADBEEF)}), fixed_property(0x00170003, {tnef_u32(1)})}));
  EXPECT_TRUE(ordinary.identifiers.empty()) << scan_to_json(ordinary);
  EXPECT_TRUE(ordinary.unchecked.empty()) << unchecked_list(ordinary);
}

// review21b (5): a binary value whose text does not account for it and whose structure is not
// known (compressed, encrypted) is unreadable, named; the identifiers Outlook writes — a one-off
// entry id, an address book one, a message's search key, conversation index, change key,
// predecessor change list, record key, the attachment encoding's OID — are read, and a number in
// a one-off entry id's address is found.
TEST(OutboundLeaves, TnefBinaryValuesAreReadOnlyWhenTheirTextOrStructureCoversThem) {
  std::string compressed;
  for (int i = 0; i < 64; ++i) compressed += static_cast<char>((i * 37 + 11) % 256);
  const auto hidden = scan_blob(message_with({binary_property(0x00990102, {compressed})}));
  ASSERT_EQ(hidden.unchecked.size(), 1u) << unchecked_list(hidden);
  EXPECT_EQ(hidden.unchecked[0].where, "winmail.dat/プロパティ.txt");
  EXPECT_EQ(hidden.unchecked[0].why.rfind("tnef: a binary property (0x0099) of 64 bytes is not read (neither text nor", 0), 0u) << hidden.unchecked[0].why;
  // Under a tag whose structure is known, bytes that do not fit it are unreadable all the same.
  const auto not_an_entry_id = scan_blob(message_with({binary_property(0x0C190102, {compressed + compressed})}));
  ASSERT_EQ(not_an_entry_id.unchecked.size(), 1u) << unchecked_list(not_an_entry_id);
  const std::string guid("\x5A\x01\xC3\x00\x9E\x1F\x4D\x11\x80\x7F\x00\x10\xFE\x02\x03\x04", 16);
  const std::string one_off_provider("\x81\x2B\x1F\xA4\xBE\xA3\x10\x19\x9D\x6E\x00\xDD\x01\x0F\x54\x02", 16);
  const std::string book_provider("\xDC\xA7\x40\xC8\xC0\x42\x10\x1A\xB4\xB9\x08\x00\x2B\x2F\xE1\x82", 16);
  auto one_off = [&](const std::string& address) {
    return tnef_u32(0) + one_off_provider + std::string("\x00\x00\x00\x90", 4) + utf16(u"山田 太郎") + std::string(2, '\0') + utf16(u"SMTP") + std::string(2, '\0') +
           utf16(std::u16string(address.begin(), address.end())) + std::string(2, '\0');
  };
  const std::string book = tnef_u32(0) + book_provider + tnef_u32(1) + tnef_u32(0) + "/O=EXAMPLE/OU=EXCHANGE/CN=RECIPIENTS/CN=YAMADA" + kNul;
  const std::string xid = guid + std::string("\x00\x00\x00\x01\x2C\x3B", 6);
  const auto outlook = scan_blob(tnef_with({{"a.txt", "なし"}}, "", mapi_properties({{0x0C190102, {one_off("yamada@example.jp")}},
                                                               {0x00410102, {book}},
                                                               {0x300B0102, {guid}},
                                                               {0x00710102, {std::string("\x01\xD6\x7A\x3B\x1C\x20", 6) + guid + std::string("\x00\x00\x1A\x2B\x10", 5)}},
                                                               {0x65E20102, {xid}},
                                                               {0x65E30102, {std::string(1, '\x16') + xid}},
                                                               {0x0FF90102, {guid}},
                                                               {0x0FFF0102, {tnef_u32(0) + guid + tnef_u32(0x00208064)}},
                                                               {0x37020102, {std::string("\x2A\x86\x48\x86\xF7\x14\x03\x0B\x01", 9)}}})));
  EXPECT_TRUE(outlook.identifiers.empty()) << scan_to_json(outlook);
  EXPECT_TRUE(outlook.unchecked.empty()) << unchecked_list(outlook);
  const auto address = scan_blob(message_with({binary_property(0x0C190102, {one_off("123456789018@example.jp")})}));
  EXPECT_EQ(wheres(address), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(address);
  EXPECT_TRUE(address.unchecked.empty()) << unchecked_list(address);
}

// review21b (5): a zip kept as a multi-valued PR_ATTACH_DATA_BIN is a file, opened and read —
// as property text its compressed bytes found nothing; so is a named property's value no text
// reading covers (an add-in's file).
TEST(OutboundLeaves, TnefFilesInMultiValuedAndNamedPropertiesAreReadAsFiles) {
  std::string csv = "山田,123456789018\r\n";
  for (int i = 0; i < 40; ++i) csv += "佐藤,なし\r\n";
  const std::string zip = sanso::testing::zip_of({{"list.csv", csv}});
  const auto multi = scan_blob(one_attachment("list.zip", nullptr, attachment_properties({{0x37011102, {"", zip}}})));
  ASSERT_EQ(multi.identifiers.size(), 1u) << scan_to_json(multi);
  EXPECT_EQ(multi.identifiers[0].where, "winmail.dat/list.zip/list.csv");
  const std::string data = "なし";
  const std::string named = tnef_u32(1) + sanso::testing::tnef_u16(0x0102) + sanso::testing::tnef_u16(0x8005) + std::string(16, '\x11') + tnef_u32(0) + tnef_u32(7) +
                            tnef_u32(1) + tnef_u32(static_cast<std::uint32_t>(zip.size())) + zip + std::string((4 - zip.size() % 4) % 4, '\0');
  const auto add_in = scan_blob(one_attachment("a.txt", &data, tnef_attribute('\x02', 0x00069005, named)));
  ASSERT_EQ(add_in.identifiers.size(), 1u) << scan_to_json(add_in);
  EXPECT_EQ(add_in.identifiers[0].where, "winmail.dat/プロパティ(0x8005)/list.csv");
}

// review21b (18): a blob's files, texts and unread values, and their bytes, count against one
// limit, and a mail's blobs against another: a million tiny properties are one unreadable blob,
// named with the limit, not a million entries in the check's answer.
TEST(OutboundLeaves, TnefEntriesAreCountedAgainstOneLimitPerBlobAndPerMail) {
  auto unreadable_values = [](std::size_t count) {
    std::vector<std::string> properties;
    for (std::size_t i = 0; i < count; ++i) properties.push_back(binary_property(0x00990102, {std::string("\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x00", 12)}));
    return message_with(properties);
  };
  const auto many = scan_blob(unreadable_values(2100));
  ASSERT_EQ(many.unchecked.size(), 1u) << many.unchecked.size();
  EXPECT_EQ(many.unchecked[0].where, "winmail.dat");
  EXPECT_NE(many.unchecked[0].why.find("limit: more files, texts and unread values in one TNEF blob than are read (2000)"), std::string::npos) << many.unchecked[0].why;
  // Within the limit: each value named.
  EXPECT_EQ(scan_blob(unreadable_values(10)).unchecked.size(), 10u);
  // Six blobs of 1,900 each: the sixth brings the mail over its 10,000.
  const std::string blob = unreadable_values(1900);
  std::vector<std::string> parts{"Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です"};
  for (int i = 0; i < 6; ++i) {
    parts.push_back(base64_part("Content-Type: application/ms-tnef; name=winmail" + std::to_string(i) + ".dat\r\nContent-Disposition: attachment; filename=winmail" +
                                    std::to_string(i) + ".dat",
                                blob));
  }
  const auto mail = scan_outbound(mixed(parts), kLevels);
  ASSERT_EQ(mail.error, "");
  ASSERT_EQ(mail.unchecked.size(), 5u * 1900u + 1u);
  EXPECT_EQ(mail.unchecked.back().where, "winmail5.dat");
  EXPECT_NE(mail.unchecked.back().why.find("in the TNEF blobs of one mail"), std::string::npos) << mail.unchecked.back().why;
}

// review21b (15): an 8-bit string is read by the code page the blob declares (PR_INTERNET_CPID,
// PR_MESSAGE_CODEPAGE, attOemCodepage) as well as by the guess from its bytes — Big5's full-width
// digits guessed as Shift_JIS are half-width katakana, and the number in them went unseen.
TEST(OutboundLeaves, TnefEightBitStringsAreReadByTheDeclaredCodePage) {
  const std::string big5("\xA2\xB0\xA2\xB1\xA2\xB2\xA2\xB3\xA2\xB4\xA2\xB5\xA2\xB6\xA2\xB7\xA2\xB8\xA2\xAF\xA2\xB0\xA2\xB7", 24);  // １２３４５６７８９０１８
  const std::string sender = binary_property(0x0C1A001E, {big5 + kNul});  // PR_SENDER_NAME
  const auto internet = scan_blob(message_with({fixed_property(0x3FDE0003, {tnef_u32(950)}), sender}));
  EXPECT_EQ(wheres(internet), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(internet);
  const auto message = scan_blob(message_with({fixed_property(0x3FFD0003, {tnef_u32(950)}), sender}));
  EXPECT_EQ(wheres(message), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(message);
  // The subject and an 8-bit body, by the OEM code page attribute.
  const std::string oem = tnef_attribute('\x01', 0x00069007, tnef_u32(950) + tnef_u32(0));
  const auto subject = scan_blob(tnef_start() + oem + tnef_attribute('\x01', 0x00018004, big5 + kNul));
  EXPECT_EQ(wheres(subject), std::vector<std::string>{"winmail.dat/件名.txt"}) << unchecked_list(subject);
  EXPECT_TRUE(subject.unchecked.empty()) << unchecked_list(subject);
  // Declared otherwise than its strings are: the guess still reads them.
  const auto wrong = scan_blob(message_with({fixed_property(0x3FDE0003, {tnef_u32(1251)}), binary_property(0x0C1A001E, {"山田 123456789018" + kNul})}));
  EXPECT_EQ(wheres(wrong), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(wrong);
}

// review21b (5): the sender (attFrom, a TRP: a header of small numbers, the name, the address)
// is read when its text accounts for it; other bytes in its place are named unread.
TEST(OutboundLeaves, TnefSenderIsReadWhenItsTextAccountsForIt) {
  const std::string names = "山田 123456789018" + kNul + "SMTP:yamada@example.jp" + kNul;
  const std::string trp = sanso::testing::tnef_u16(4) + sanso::testing::tnef_u16(static_cast<std::uint16_t>(names.size() + 8)) +
                          sanso::testing::tnef_u16(static_cast<std::uint16_t>(names.find('\0') + 1)) + sanso::testing::tnef_u16(23) + names + std::string(8, '\0');
  const auto sender = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00008000, trp));
  EXPECT_EQ(wheres(sender), std::vector<std::string>{"winmail.dat/プロパティ.txt"}) << unchecked_list(sender);
  EXPECT_TRUE(sender.unchecked.empty()) << unchecked_list(sender);
  std::string scrambled;
  for (int i = 0; i < 64; ++i) scrambled += static_cast<char>((i * 73 + 29) % 256);
  const auto other = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00008000, scrambled));
  ASSERT_EQ(other.unchecked.size(), 1u) << unchecked_list(other);
  EXPECT_EQ(other.unchecked[0].why.rfind("tnef: the sender (attFrom) of 64 bytes is not read", 0), 0u) << other.unchecked[0].why;
  // A sender written in UTF-16 (review22b M2), with and without the TRP's header: its number found.
  std::string wide;
  for (const char c : std::string("Yamada 123456789018")) wide += std::string(1, c) + kNul;
  for (const std::string& from : {wide + kNul + kNul, std::string(8, '\x01') + wide + kNul + kNul}) {
    const auto utf16 = scan_blob(tnef_start() + tnef_attribute('\x01', 0x00008000, from));
    EXPECT_TRUE(utf16.unchecked.empty()) << unchecked_list(utf16);
    ASSERT_EQ(utf16.identifiers.size(), 1u) << "attFrom of " << from.size() << " bytes";
    EXPECT_EQ(utf16.identifiers[0].masked, "********9018");
  }
}

// The fuzz seed of typed values and identifiers (fuzz/mail/tnef_corpus) is a blob the reader
// takes apart: its PT_I8 number is found, its value of no structure named, never the blob refused.
TEST(OutboundLeaves, TnefTypedValuesSeedIsReadWhole) {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/fuzz/mail/tnef_corpus/typed-values-and-identifiers.tnef", std::ios::binary);
  const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(seed.empty());
  const auto scan = scan_blob(seed);
  EXPECT_TRUE(has(wheres(scan), "winmail.dat/プロパティ.txt")) << unchecked_list(scan);
  for (const auto& f : scan.unchecked) EXPECT_NE(f.where, "winmail.dat") << f.why;
  EXPECT_NE(unchecked_list(scan).find("tnef: a binary property (0x0099) of 64 bytes is not read"), std::string::npos) << unchecked_list(scan);
}

}  // namespace tnef21

// (3b) Parts that are neither the body nor an attachment with a name: an inline document, a part
// without a disposition, text parts beside the body, a forwarded message's subject, body and files.
TEST(OutboundLeaves, InlinePartsOtherTextPartsAndForwardedMessagesAreRead) {
  const std::string text = "Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です";
  auto inline_docx = scan_outbound(mixed({text, base64_part("Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n"
                                                            "Content-Disposition: inline",
                                                            docx_with("", "山田 123456789018"))}),
                                   kLevels);
  EXPECT_EQ(wheres(inline_docx), std::vector<std::string>{"部分2(application/vnd.openxmlformats-officedocument.wordprocessingml.document)"});
  auto no_disposition = scan_outbound(mixed({text, base64_part("Content-Type: application/octet-stream", "山田,123456789018\r\n")}), kLevels);
  EXPECT_EQ(wheres(no_disposition), std::vector<std::string>{"部分2(application/octet-stream)"});
  // text/csv, text/calendar, text/x-vcard without a name, and a second text/plain.
  for (const std::string type : {"text/csv", "text/calendar", "text/x-vcard"}) {
    auto other = scan_outbound(mixed({text, "Content-Type: " + type + "; charset=UTF-8\r\n\r\nNOTE:個人番号 123456789018"}), kLevels);
    EXPECT_EQ(wheres(other), std::vector<std::string>{"部分2(" + type + ")"}) << type;
  }
  auto second_plain = scan_outbound(mixed({text, "Content-Type: text/plain; charset=UTF-8\r\nContent-Disposition: inline\r\n\r\n123456789018"}), kLevels);
  EXPECT_EQ(wheres(second_plain), std::vector<std::string>{"body"});
  auto marked_inline = scan_outbound(mixed({text, "Content-Type: text/csv; charset=UTF-8\r\n\r\n【機密性3B】\r\na,b"}), kLevels);
  EXPECT_EQ(marked_inline.classification, "3B");
  // A forwarded message: its subject, its body, its HTML alternative and its attachment.
  const std::string forwarded = "From: a@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJE=?= 123456789018\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: multipart/alternative; boundary=g\r\n\r\n"
                                "--g\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文 1234-5678-9018\r\n"
                                "--g\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>HTML 1234 5678 9018</p>\r\n--g--\r\n"
                                "--f\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=list.csv\r\n\r\n山田,123456789018\r\n--f--\r\n";
  auto fwd = scan_outbound(mixed({text, "Content-Type: message/rfc822\r\n\r\n" + forwarded}), kLevels);
  ASSERT_EQ(fwd.error, "");
  EXPECT_EQ(wheres(fwd), (std::vector<std::string>{"転送メール(2)/subject", "転送メール(2)/body", "転送メール(2)/本文(HTML)", "転送メール(2)/list.csv"}));
  EXPECT_EQ(fwd.classification, "3A");
  EXPECT_EQ(fwd.classification_where, "転送メール(2)/subject");
  // A picture inline (an HTML mail's logo) cannot be read: named by its place and type.
  const std::string png = std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0');
  auto picture = scan_outbound(mixed({text, base64_part("Content-Type: image/png\r\nContent-ID: <logo>", png)}, "x", "multipart/related"), kLevels);
  ASSERT_EQ(picture.unchecked.size(), 1u) << unchecked_list(picture);
  EXPECT_EQ(picture.unchecked[0].where, "部分2(image/png)");
}

// Issue #17 (out24): an attached message's header fields are read as a mail reader shows them, as
// the top-level message's are — its Subject '番号 <U+202E>8109 8765 4321' shows 1234 5678 9018, in
// raw UTF-8 and encoded alike, and so do its From's display name, an X- field and its part's
// Content-Description. (Their leaves keep the override; only the top-level fields, whose plan
// text has it taken out, need SanitizePlan::overridden_headers. This pins that.)
TEST(Outbound, AnAttachedMessagesFieldsWithARightToLeftOverrideAreReadAsShown) {
  const std::string shown_reversed = "番号 \xE2\x80\xAE" "8109 8765 4321";
  std::string encoded = mime::encode_base64_lines(shown_reversed);
  std::erase_if(encoded, [](char c) { return c == '\r' || c == '\n'; });
  for (const std::string& subject : {shown_reversed, "=?UTF-8?B?" + encoded + "?="}) {
    const std::string forwarded = "From: \"\xE2\x80\xAE" "8109 8765 4321\" <a@city.minamata.lg.jp>\r\nSubject: " + subject + "\r\nX-Note: \xE2\x80\xAE" "8109 8765 4321\r\nMIME-Version: 1.0\r\n"
                                  "Content-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Description: \xE2\x80\xAE" "8109 8765 4321\r\n\r\nなし\r\n--f--\r\n";
    const auto scan = scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\nfyi", "Content-Type: message/rfc822\r\n\r\n" + forwarded}), kLevels);
    ASSERT_EQ(scan.error, "");
    std::set<std::string> wheres;
    for (const auto& f : scan.identifiers) {
      EXPECT_EQ(f.masked, "********9018") << f.where;
      wheres.insert(f.where);
    }
    EXPECT_TRUE(wheres.count("転送メール(2)/subject")) << subject << ": " << scan_to_json(scan);
    EXPECT_TRUE(wheres.count("転送メール(2)/ヘッダー(X-Note)")) << subject << ": " << scan_to_json(scan);
  }
}

// review30 H3: deep quotes repeat "> " on every line, so the text a reader sees grows past what the
// renderer reads; the rest — here a number written over three lines, one line in every browser and
// in none of the markup's readings — went out unread. Past the limit the body is unchecked.
TEST(OutboundLeaves, AnHtmlBodyPastItsTextLimitIsNotPassedUnread) {
  const std::string number = "<p>個人番号\n1234\n5678\n9018\n</p>";
  auto body = [](const std::string& html) {
    return scan_outbound("Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n" + html + "\r\n", kLevels);
  };
  ASSERT_FALSE(body(number).identifiers.empty()) << "rendered alone, the number is one line";
  std::string padded;
  for (int i = 0; i < 150; ++i) padded += "<blockquote>";
  for (int i = 0; i < 30000; ++i) padded += "x<br>";
  for (int i = 0; i < 150; ++i) padded += "</blockquote>";
  const auto cut = body(padded + number);
  ASSERT_FALSE(cut.unchecked.empty()) << "the rest of its text is not read: not passed as read";
  EXPECT_EQ(cut.unchecked[0].where, "body");
  EXPECT_NE(cut.unchecked[0].why.find("limit"), std::string::npos) << cut.unchecked[0].why;
}

// review30 M2: format=flowed (RFC 3676) shows a line that ends in a space joined to the next —
// "1234 5678 ⏎9018" is one line in Thunderbird — and with DelSp=yes the space goes too.
TEST(OutboundLeaves, AFlowedSoftBreakInsideANumberIsReadJoined) {
  auto plain = [](const std::string& type, const std::string& body) {
    return scan_outbound("Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: " + type + "\r\n\r\n" + body + "\r\n", kLevels);
  };
  EXPECT_EQ(plain("text/plain; charset=UTF-8; format=flowed", "個人番号 1234 5678 \r\n9018 です").identifiers.size(), 1u);
  EXPECT_EQ(plain("text/plain; charset=UTF-8; format=flowed; delsp=yes", "個人番号 123456 \r\n789018 です").identifiers.size(), 1u);
  EXPECT_EQ(plain("text/plain; charset=UTF-8; format=flowed", "番号\r\n 1234 5678 \r\n 9018\r\n").identifiers.size(), 1u) << "space-stuffed lines";
}

// (3c) The HTML of a multipart/alternative is read, not only its text/plain: what a reader sees,
// and what the markup carries past the reader (comments, attribute values, hidden text, character
// references); an HTML-only mail alike.
TEST(OutboundLeaves, TheHtmlAlternativeIsReadMarkupIncluded) {
  auto alternative = [](const std::string& html) {
    return scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\nご確認ください", "Content-Type: text/html; charset=UTF-8\r\n\r\n" + html}, "x",
                               "multipart/alternative"),
                         kLevels);
  };
  const std::vector<std::string> html = {"本文(HTML)"};
  EXPECT_EQ(wheres(alternative("<p>山田 123456789018</p>")), html) << "visible";
  EXPECT_EQ(wheres(alternative("<p>ok</p><!-- 123456789018 -->")), html) << "a comment";
  EXPECT_EQ(wheres(alternative("<p title=\"123456789018\">ok</p>")), html) << "an attribute";
  EXPECT_EQ(wheres(alternative("<p>ok<span style=\"display:none\">1234 5678 9018</span></p>")), html) << "hidden";
  EXPECT_EQ(wheres(alternative("<p>&#49;23456789018</p>")), html) << "a character reference";
  EXPECT_EQ(wheres(alternative("<p>ok<span style=\"display:none\">1234<b>5678</b>9018</span></p>")), html) << "hidden and split by a tag";
  EXPECT_EQ(alternative("<p>【機密性3A】</p>").classification, "3A");
  EXPECT_EQ(alternative("<p>【機密性3A】</p>").classification_where, "本文(HTML)");
  EXPECT_TRUE(wheres(alternative("<p>注文 123456789017</p>")).empty()) << "no valid number";
  auto only = scan_outbound("Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>a<!-- 123456789018 --></p>\r\n", kLevels);
  EXPECT_EQ(wheres(only), std::vector<std::string>{"body"});
  // review21b 2: what the body's data: URIs hold is read as the files it is (a text behind a link;
  // a picture goes to OCR, unchecked until read), as an HTML attachment's are.
  auto linked = alternative("<p><a href=\"data:text/plain;base64,MTIzNDU2Nzg5MDE4\">list</a></p>");
  EXPECT_EQ(wheres(linked), std::vector<std::string>{"本文(HTML)/data-uri-1"}) << unchecked_list(linked);
  auto undecodable = alternative("<p><a href=\"data:text/plain;base64,%%%\">list</a></p>");
  ASSERT_EQ(undecodable.unchecked.size(), 1u) << unchecked_list(undecodable);
  EXPECT_EQ(undecodable.unchecked[0].where, "本文(HTML)/data-uri-1");
}

std::string uuencode(const std::string& name, const std::string& bytes) {
  std::string out = "begin 644 " + name + "\n";
  auto c = [](unsigned v) { return static_cast<char>(v == 0 ? '`' : v + 0x20); };
  for (std::size_t at = 0; at < bytes.size(); at += 45) {
    const std::string line = bytes.substr(at, 45);
    out += c(static_cast<unsigned>(line.size()));
    for (std::size_t k = 0; k < line.size(); k += 3) {
      unsigned char b[3] = {0, 0, 0};
      for (std::size_t j = 0; j < 3 && k + j < line.size(); ++j) b[j] = static_cast<unsigned char>(line[k + j]);
      out += c(b[0] >> 2);
      out += c(((b[0] << 4) | (b[1] >> 4)) & 0x3f);
      out += c(((b[1] << 2) | (b[2] >> 6)) & 0x3f);
      out += c(b[2] & 0x3f);
    }
    out += "\n";
  }
  return out + "`\nend\n";
}

std::string yenc(const std::string& name, const std::string& bytes) {
  std::string out = "=ybegin line=128 size=" + std::to_string(bytes.size()) + " name=" + name + "\n";
  for (unsigned char b : bytes) {
    const auto e = static_cast<unsigned char>(b + 42);
    if (e == 0 || e == '\n' || e == '\r' || e == '=') out += '=', out += static_cast<char>(e + 64);
    else out += static_cast<char>(e);
  }
  return out + "\n=yend size=" + std::to_string(bytes.size()) + "\n";
}

// (3d) A file written into the text (uuencode, yEnc, BinHex) is decoded and read as a file named
// after the text; BinHex that does not decode (no header, a CRC that does not match) cannot be checked.
TEST(OutboundLeaves, FilesWrittenIntoTheTextAreDecodedAndRead) {
  const std::string csv = "山田,123456789018\r\n";
  auto body = [](const std::string& text) {
    return scan_outbound("From: a@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n送ります\n" + text, kLevels);
  };
  EXPECT_EQ(wheres(body(uuencode("numbers.csv", csv))), std::vector<std::string>{"body/numbers.csv"});
  EXPECT_EQ(wheres(body(yenc("numbers.csv", csv))), std::vector<std::string>{"body/numbers.csv"});
  const std::string zip = sanso::testing::zip_of({{"【機密性3A】a.csv", csv}});
  auto zipped = body(uuencode("a.zip", zip));
  EXPECT_EQ(wheres(zipped), std::vector<std::string>{"body/a.zip/【機密性3A】a.csv"});
  EXPECT_EQ(zipped.classification, "3A");
  // (All '!' would be a valid empty file: zeros, and a CRC of zeros is zero. 'J' breaks it.)
  auto binhex = body("(This file must be converted with BinHex 4.0)\n:J!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!!!!!!!!!!:\n");
  ASSERT_EQ(binhex.unchecked.size(), 1u) << unchecked_list(binhex);
  EXPECT_EQ(binhex.unchecked[0].where.rfind("body/", 0), 0u) << binhex.unchecked[0].where;
}

// Issue #17 (review21b 9, 10): BinHex is decoded in the sandbox and its data fork read as the file
// its header names, in a body and in a .hqx attachment; a resource fork is a file beside it. A CRC
// that does not match, data cut short: held, the reason saying which. Files written into text with
// CR-only line ends, or after a begin line decoders accept, are read as well.
TEST(OutboundLeaves, BinHexIsDecodedAndItsFileRead) {
  using sanso::testing::binhex;
  const std::string csv = "山田,123456789018\r\n";
  auto body = [](const std::string& text) {
    return scan_outbound("From: a@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n送ります\n" + text, kLevels);
  };
  const std::string banner = "(This file must be converted with BinHex 4.0)\n\n";
  auto in_body = body(banner + binhex("numbers.csv", csv) + "\n");
  EXPECT_EQ(wheres(in_body), std::vector<std::string>{"body/numbers.csv"}) << unchecked_list(in_body);
  EXPECT_TRUE(in_body.unchecked.empty()) << unchecked_list(in_body);
  // One short line, no banner.
  EXPECT_EQ(wheres(body("こちら " + binhex("n.csv", csv, "", true, 0) + "\n")), std::vector<std::string>{"body/n.csv"});
  // CR-only lines (an old Mac's text): BinHex and uuencode alike.
  std::string mac = banner + binhex("mac.csv", csv) + "\nbegin 7 uu.csv\n" + uuencode("x", csv).substr(uuencode("x", csv).find('\n') + 1);
  std::replace(mac.begin(), mac.end(), '\n', '\r');
  EXPECT_EQ(wheres(body(mac)), (std::vector<std::string>{"body/mac.csv", "body/uu.csv"})) << unchecked_list(body(mac));

  const auto hqx = scan_outbound(with_attachment("x", "data.hqx", banner + binhex("【機密性3A】名簿.csv", csv, "resource: 123456789018")), kLevels);
  EXPECT_EQ(wheres(hqx), (std::vector<std::string>{"data.hqx/【機密性3A】名簿.csv", "data.hqx/【機密性3A】名簿.csv.rsrc"})) << unchecked_list(hqx);
  EXPECT_EQ(hqx.classification, "3A");
  EXPECT_TRUE(hqx.unchecked.empty()) << unchecked_list(hqx);
  const auto crc = scan_outbound(with_attachment("x", "data.hqx", banner + binhex("a.csv", csv, "", true, 64, true)), kLevels);
  ASSERT_EQ(crc.unchecked.size(), 1u) << unchecked_list(crc);
  EXPECT_EQ(crc.unchecked[0].where, "data.hqx");
  EXPECT_NE(crc.unchecked[0].why.find("data fork's CRC does not match"), std::string::npos) << crc.unchecked[0].why;
  const std::string whole = banner + binhex("a.csv", csv + std::string(200, 'x'), "", false);  // no runs: 200 bytes, 270 characters
  const auto cut = scan_outbound(with_attachment("x", "data.hqx", whole.substr(0, whole.size() - 100)), kLevels);
  ASSERT_EQ(cut.unchecked.size(), 1u) << unchecked_list(cut);
  EXPECT_NE(cut.unchecked[0].why.find("ends after"), std::string::npos) << cut.unchecked[0].why;
  // BinHex inside BinHex inside …: read this deep, then held.
  std::string nested = csv;
  for (int i = 0; i < 10; ++i) nested = banner + binhex("level" + std::to_string(i) + ".txt", nested) + "\n";
  const auto deep = body(nested);
  ASSERT_EQ(deep.unchecked.size(), 1u) << unchecked_list(deep);
  EXPECT_NE(deep.unchecked[0].why.find("limit: files written into text nested"), std::string::npos) << deep.unchecked[0].why;
  EXPECT_TRUE(deep.identifiers.empty());
}

// Issue #17 (review21b 14): the .hqx rule is the file's name, wherever the file is read by it — a
// zip's member named .hqx is decoded too, not passed as the text of its encoding (a short one
// looked like nothing to the block finder and went out unread).
TEST(OutboundLeaves, HqxMembersOfArchivesAreDecoded) {
  using sanso::testing::binhex;
  const std::string csv = "山田,123456789018\r\n";
  const auto good = scan_outbound(with_attachment("x", "a.zip", sanso::testing::zip_of({{"x.hqx", binhex("n.csv", csv, "", true, 0)}})), kLevels);
  EXPECT_EQ(wheres(good), std::vector<std::string>{"a.zip/x.hqx/n.csv"}) << unchecked_list(good);
  EXPECT_TRUE(good.unchecked.empty()) << unchecked_list(good);
  const auto bad = scan_outbound(with_attachment("x", "a.zip", sanso::testing::zip_of({{"x.hqx", ":abc\r\ndef:\r\n"}})), kLevels);
  ASSERT_EQ(bad.unchecked.size(), 1u) << unchecked_list(bad);
  EXPECT_EQ(bad.unchecked[0].where, "a.zip/x.hqx");
  EXPECT_NE(bad.unchecked[0].why.find("BinHex"), std::string::npos) << bad.unchecked[0].why;
}

// (3e) What a leaf cannot be read as is named, never a silent pass: a charset no converter knows,
// a type no reader opens; a message the parse holds fails as before (scan.error).
TEST(OutboundLeaves, WhatALeafCannotBeReadAsIsNamed) {
  auto charset = scan_outbound(mixed({"Content-Type: text/plain; charset=x-sanso-unknown\r\n\r\nhello"}), kLevels);
  ASSERT_EQ(charset.unchecked.size(), 1u) << unchecked_list(charset);
  EXPECT_EQ(charset.unchecked[0].where, "body");
  EXPECT_EQ(charset.unchecked[0].why.rfind("charset:", 0), 0u) << charset.unchecked[0].why;
  auto unknown = scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\nhi", base64_part("Content-Type: application/x-sanso-unknown", std::string("\x01\x02\x03\xff", 4))}),
                               kLevels);
  ASSERT_EQ(unknown.unchecked.size(), 1u) << unchecked_list(unknown);
  EXPECT_EQ(unknown.unchecked[0].where, "部分2(application/x-sanso-unknown)");
  auto clean = scan_outbound(mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\nhi", "Content-Type: text/html; charset=UTF-8\r\n\r\n<p>hi</p>"}, "x",
                                   "multipart/alternative"),
                             kLevels);
  EXPECT_TRUE(clean.unchecked.empty()) << unchecked_list(clean);
  EXPECT_TRUE(clean.identifiers.empty());
}

// Review 18b: a number in a file's name or a member's path; a comment in an Office document's XML;
// an unnamed text/html part read as HTML (its character references); a message sent in pieces
// (message/partial) is not a file read as one.
TEST(OutboundLeaves, NamesCommentsUnnamedHtmlAndFragmentsAreNotPassedUnread) {
  const OutboundScan named = scan_outbound(with_attachment("x", "山田_123456789018.csv", "氏名\r\n"), kLevels);
  const std::vector<std::string> in_name = wheres(named);
  EXPECT_NE(std::find(in_name.begin(), in_name.end(), "山田_********9018.csv"), in_name.end()) << "a number in a file's name (named masked)";
  const OutboundScan member = scan_outbound(with_attachment("x", "a.zip", sanso::testing::zip_of({{"123456789018.txt", "なし"}})), kLevels);
  const std::vector<std::string> in_path = wheres(member);
  EXPECT_NE(std::find(in_path.begin(), in_path.end(), "a.zip/********9018.txt"), in_path.end()) << "a number in a member's path (named masked)";
  const OutboundScan commented = scan_outbound(with_attachment("x", "a.docx", docx_with("見出し", "本文<!-- 123456789018 -->")), kLevels);
  EXPECT_FALSE(commented.identifiers.empty()) << "a number in an XML comment of the document";
  const OutboundScan html = scan_outbound(
      mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\nご確認ください", "Content-Type: text/html; charset=UTF-8\r\n\r\n<p>&#49;&#50;&#51;&#52;&#53;&#54;&#55;&#56;&#57;&#48;&#49;&#56;</p>"}),
      kLevels);
  EXPECT_FALSE(html.identifiers.empty()) << "an unnamed text/html part is read as HTML: " << unchecked_list(html);
  const OutboundScan partial = scan_outbound(
      mixed({"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文", "Content-Type: message/partial; id=\"abc@example\"; number=1; total=2\r\n\r\nTUlNRS1WZXJzaW9u"}), kLevels);
  EXPECT_NE(unchecked_list(partial).find("message/partial"), std::string::npos) << unchecked_list(partial);
}

// Issue #17 (2): what a client does not show leaves too. Every header field of the message and of
// its parts and attached messages, decoded, and the text outside a multipart's parts are read for
// numbers and marks. Not the fields that name messages (a mailer's time in milliseconds there is
// 13 digits, a valid 法人番号 one time in nine), a boundary, nor a relay's queue id.
TEST(OutboundLeaves, HeaderFieldsPreamblesAndEpiloguesAreRead) {
  const auto head = [](const std::string& fields) {
    return scan_outbound("From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\n" + fields + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n", kLevels);
  };
  using Wheres = std::vector<std::string>;
  EXPECT_EQ(wheres(head("X-Note: 123456789018\r\n")), Wheres{"ヘッダー(X-Note)"});
  EXPECT_EQ(wheres(head("X-Memo: =?UTF-8?B?5bGx55SwIOWAi+S6uueVquWPtyAxMjM0LTU2NzgtOTAxOA==?=\r\n")), Wheres{"ヘッダー(X-Memo)"}) << "decoded (RFC 2047)";
  EXPECT_EQ(wheres(head("Reply-To: =?UTF-8?B?5bGx55SwIDEyMzQ1Njc4OTAxOA==?= <tanaka@city.minamata.lg.jp>\r\n")), Wheres{"ヘッダー(Reply-To)"}) << "a display name";
  EXPECT_EQ(wheres(head("Subject: 123456789018\r\n")), Wheres{"ヘッダー(Subject)"}) << "a second Subject, which a client may show";
  EXPECT_EQ(wheres(head("Received: from 123456789018 (pc [10.20.3.4]) by relay\r\n")), Wheres{"ヘッダー(Received)"}) << "what a client writes there";
  EXPECT_TRUE(wheres(head("Received: from pc (pc [10.20.3.4]) by relay.city.minamata.lg.jp (Postfix) with ESMTP id 123456789018\r\n"
                          "\tfor <p@example.com>; Sun, 6 Dec 2026 10:00:00 +0900\r\n")).empty())
      << "a relay's queue id";
  EXPECT_EQ(wheres(head("Received: from pc by relay with ESMTP id Q1 id 123456789018\r\n")), Wheres{"ヘッダー(Received)"})
      << "one queue id a field (review19b): a second is what a client wrote";
  EXPECT_EQ(wheres(head("Received: from pc by relay with ESMTP id 山田,123456789018\r\n")), Wheres{"ヘッダー(Received)"})
      << "an id of no relay's shape";
  EXPECT_TRUE(wheres(head("Message-ID: <7000012050002.1@pc.example>\r\nIn-Reply-To: <7000012050002.2@pc.example>\r\n"
                          "References: <7000012050002.2@pc.example>\r\n")).empty())
      << "fields that name messages";
  const OutboundScan labelled = head("X-Label: =?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJE=?=\r\n");  // 【機密性3A】
  EXPECT_EQ(labelled.classification, "3A");
  EXPECT_EQ(labelled.classification_where, "ヘッダー(X-Label)");
  EXPECT_EQ(head("X-Note: =?UTF-8?B?5qmf5a+G5oCnMuS7peS4iuOBr+aal+WPt+WMluOBmeOCiw==?=\r\n").classification, "")  // 機密性2以上は暗号化する
      << "the scheme described marks nothing";

  const std::string text = "Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です";
  EXPECT_EQ(wheres(scan_outbound(mixed({text, "Content-Type: text/csv; charset=UTF-8\r\nContent-Description: 123456789018\r\n\r\na,b"}), kLevels)),
            Wheres{"部分2/ヘッダー(Content-Description)"});
  // A name parameter the walk does not take as the part's file name: the multipart's own, RFC 2231.
  const std::string named_multipart = "From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                                      "Content-Type: multipart/mixed; boundary=\"=_7000012050002\"; name*=UTF-8''%31%32%33%34%35%36%37%38%39%30%31%38\r\n\r\n"
                                      "--=_7000012050002\r\n" + text + "\r\n--=_7000012050002--\r\n";
  EXPECT_EQ(wheres(scan_outbound(named_multipart, kLevels)), Wheres{"ヘッダー(Content-Type)"}) << "the name, not the boundary";
  // An attachment's name is reported once, under the file's name, not again as its field.
  const OutboundScan attached = scan_outbound(with_attachment("x", "山田_123456789018.csv", "氏名\r\n"), kLevels);
  EXPECT_EQ(wheres(attached), Wheres{"山田_********9018.csv"});
  // The preamble and the epilogue.
  const std::string outside = "From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                              "個人番号 1234 5678 9018\r\n--b\r\n" + text + "\r\n--b--\r\n【機密性3B】 7000012050002\r\n";
  const OutboundScan around = scan_outbound(outside, kLevels);
  EXPECT_EQ(wheres(around), (Wheres{"プリアンブル", "エピローグ"}));
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  EXPECT_EQ(wheres(scan_outbound_sandboxed(scanner, outside)), (Wheres{"プリアンブル", "エピローグ"})) << "in the sandbox alike";
  EXPECT_EQ(around.classification, "3B");
  EXPECT_EQ(around.classification_where, "エピローグ");
  // An attached message's fields and its multipart's preamble, under its place.
  const std::string forwarded = "From: a@city.minamata.lg.jp\r\nSubject: fw\r\nX-Note: 123456789018\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=f\r\n\r\n7000012050002\r\n--f\r\n" + text + "\r\n--f--\r\n";
  EXPECT_EQ(wheres(scan_outbound(mixed({text, "Content-Type: message/rfc822\r\n\r\n" + forwarded}), kLevels)),
            (Wheres{"転送メール(2)/ヘッダー(X-Note)", "転送メール(2)/プリアンブル"}));
}

// Issue #17 (3): the fields that name messages are read. Outside the brackets (a comment, free
// text) as any header; inside a msg-id a run of exactly 12 digits that is a valid 個人番号; a
// 13-digit run there is a mailer's millisecond time stamp and is not read, nor is a longer run or
// a 12-digit run that is no valid number.
TEST(OutboundLeaves, FieldsThatNameMessagesAreReadForA12DigitNumber) {
  const auto head = [](const std::string& fields) {
    return wheres(scan_outbound("From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\n" + fields + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n", kLevels));
  };
  using Wheres = std::vector<std::string>;
  EXPECT_EQ(head("Message-ID: <123456789018.x@pc.example>\r\n"), Wheres{"ヘッダー(Message-ID)"});
  EXPECT_EQ(head("In-Reply-To: <a.123456789018@pc.example>\r\n"), Wheres{"ヘッダー(In-Reply-To)"});
  EXPECT_EQ(head("References: <1@a> <b-123456789018-c@pc.example>\r\n"), Wheres{"ヘッダー(References)"});
  EXPECT_EQ(head("Content-ID: <123456789018@pc>\r\n"), Wheres{"ヘッダー(Content-ID)"});
  EXPECT_EQ(head("Message-ID: <1@pc.example> (山田 1234-5678-9018)\r\n"), Wheres{"ヘッダー(Message-ID)"}) << "a comment";
  EXPECT_EQ(head("In-Reply-To: 山田様 7000012050002 のメール <2@pc.example>\r\n"), Wheres{"ヘッダー(In-Reply-To)"}) << "free text before it";
  EXPECT_TRUE(head("Message-ID: <1765000000000.17@pc.example>\r\nReferences: <7000012050002@pc>\r\n").empty()) << "a time stamp";
  EXPECT_TRUE(head("Message-ID: <91234567890181@pc.example>\r\n").empty()) << "a longer run";
  EXPECT_TRUE(head("Message-ID: <123456789017@pc.example>\r\n").empty()) << "no valid number";
  // sendmail's Message-IDs begin with the minute (YYYYMMDDhhmm): 202612061809 is a valid check
  // digit, as one such id in eleven is, and is not read.
  EXPECT_TRUE(head("Message-ID: <202612061809.2B6I9xYZ012345@mail.example>\r\nReferences: <202612061809.2B6I9x@mx.example>\r\n").empty()) << "a minute";
  EXPECT_TRUE(head("Message-ID: <1234-5678-9018@pc>\r\nReferences: <1234.5678.9018@pc>\r\n").empty()) << "runs split by separators inside a msg-id are machine text";
}

// Issue #17 (5): RFC 2231's other spellings of a file's name are read: continuations written
// without percent-encoding, encoded and plain sections mixed, and a plain filename= beside the
// filename*= that gives the name (a client may show either: the number is found in the one the
// file is not named by too).
TEST(OutboundLeaves, EveryRfc2231SpellingOfANameIsRead) {
  const auto attached = [](const std::string& disposition) {
    return scan_outbound("From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                         "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Disposition: attachment; " + disposition + "\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJj\r\n--b--\r\n",
                         kLevels);
  };
  using Wheres = std::vector<std::string>;
  EXPECT_EQ(wheres(attached("filename*0=\"1234\"; filename*1=\"56789018.txt\"")), Wheres{"********9018.txt"}) << "unencoded continuations";
  EXPECT_EQ(wheres(attached("filename*0*=UTF-8''%31%32%33%34; filename*1=\"56789018.txt\"")), Wheres{"********9018.txt"}) << "mixed";
  EXPECT_EQ(wheres(attached("filename=\"123456789018.txt\"; filename*=UTF-8''report.txt")), Wheres{"部分2/ヘッダー(Content-Disposition)"})
      << "the plain name beside the one the file is read under";
  EXPECT_EQ(wheres(attached("filename=\"report.txt\"; filename*=UTF-8''123456789018.txt")), Wheres{"********9018.txt"});
  EXPECT_TRUE(wheres(attached("filename=\"report.txt\"; filename*=UTF-8''report.txt")).empty());
}

// Issue #17 (3): a signed mail is not held for its signature. A detached S/MIME signature (made
// here with OpenSSL, by a self-signed certificate) or OpenPGP signature is read for the text it
// carries — a number in a certificate's name or an armour header is found —; a part of such a type
// with content signed inside it, or that is no signature, cannot be checked.
TEST(OutboundLeaves, DetachedSignaturesAreReadAndAnythingElseInThemCannotBeChecked) {
  using Wheres = std::vector<std::string>;
  const std::string body = "Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n";
  const auto signed_by = [&](const std::string& type, const std::string& part_headers, const std::string& signature) {
    return "From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"" + type +
           "\"; micalg=sha-256; boundary=s\r\n\r\n--s\r\n" + body + "--s\r\n" + base64_part("Content-Type: " + type + part_headers, signature) + "--s--\r\n";
  };
  const auto smime = [&](const std::string& signature) {
    return scan_outbound(signed_by("application/pkcs7-signature", "; name=smime.p7s\r\nContent-Disposition: attachment; filename=smime.p7s", signature), kLevels);
  };
  const std::string signature = internal::sign_pkcs7(body, "山田 太郎", true);
  ASSERT_FALSE(signature.empty());
  const OutboundScan plain = smime(signature);
  EXPECT_EQ(plain.error, "");
  EXPECT_TRUE(plain.unchecked.empty()) << unchecked_list(plain);
  EXPECT_TRUE(plain.identifiers.empty()) << "its times (a UTCTime is 12 digits), keys and signature values are not text";
  const OutboundScan older = scan_outbound(signed_by("application/x-pkcs7-signature", "", signature), kLevels);
  EXPECT_TRUE(older.unchecked.empty()) << unchecked_list(older);
  EXPECT_EQ(wheres(smime(internal::sign_pkcs7(body, "山田 123456789018", true))), Wheres{"smime.p7s"}) << "a number in the certificate's name";
  // Issue #17 (8): an INTEGER is read as its bytes — a serial number crafted to spell a 個人番号
  // is found; an ordinary serial (above: 1) is not.
  const std::string crafted = internal::sign_pkcs7(body, "山田 太郎", true, "123456789018");
  ASSERT_FALSE(crafted.empty());
  EXPECT_EQ(wheres(smime(crafted)), Wheres{"smime.p7s"}) << "a number in the certificate's serial";
  // review20b 14: the serial's value is the number (123456789018 = 0x1CBE991A1A): only its decimal
  // form shows it.
  const std::string valued = internal::sign_pkcs7(body, "山田 太郎", true, std::string("\x1c\xbe\x99\x1a\x1a", 5));
  ASSERT_FALSE(valued.empty());
  EXPECT_EQ(wheres(smime(valued)), Wheres{"smime.p7s"}) << "a serial whose value is a number";
  // review21a: viewers show a serial in hexadecimal; one whose every hex digit is a decimal one
  // (12 34 56 78 90 18) reads as the number there.
  const std::string bcd = internal::sign_pkcs7(body, "山田 太郎", true, std::string("\x12\x34\x56\x78\x90\x18", 6));
  ASSERT_FALSE(bcd.empty());
  EXPECT_EQ(wheres(smime(bcd)), Wheres{"smime.p7s"}) << "a serial shown as the number in hexadecimal";
  const OutboundScan inside = smime(internal::sign_pkcs7("山田,123456789018\r\n", "山田 太郎", false));
  ASSERT_EQ(inside.unchecked.size(), 1u) << unchecked_list(inside);
  EXPECT_EQ(inside.unchecked[0].where, "smime.p7s");
  EXPECT_NE(inside.unchecked[0].why.find("content of its own"), std::string::npos) << inside.unchecked[0].why;
  EXPECT_EQ(smime("山田,123456789018\r\n").unchecked.size(), 1u) << "not a signature at all";
  EXPECT_EQ(smime(signature + "123456789018").unchecked.size(), 1u) << "bytes after the signature";
  // In the sandbox: OpenSSL was set up before the system-call filter.
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  const OutboundScan sandboxed = scan_outbound_sandboxed(scanner, signed_by("application/pkcs7-signature", "", signature));
  EXPECT_EQ(sandboxed.error, "");
  EXPECT_TRUE(sandboxed.unchecked.empty()) << unchecked_list(sandboxed);

  // OpenPGP: a v4 signature packet (creation time hashed, issuer unhashed, one small MPI), armoured.
  const std::string packet_body("\x04\x00\x01\x08\x00\x06\x05\x02\x5f\x00\x00\x00\x00\x0a\x09\x10\x01\x02\x03\x04\x05\x06\x07\x08\xab\xcd\x00\x08\x80", 29);
  const std::string packet = std::string(1, '\xc2') + static_cast<char>(packet_body.size()) + packet_body;
  const auto armour = [](const std::string& headers, const std::string& packets, const std::string& after = "") {
    return "-----BEGIN PGP SIGNATURE-----\r\n" + headers + "\r\n" + mime::encode_base64_lines(packets) + "=abcd\r\n-----END PGP SIGNATURE-----\r\n" + after;
  };
  const auto pgp = [&](const std::string& armoured) { return scan_outbound(signed_by("application/pgp-signature", "", armoured), kLevels); };
  const OutboundScan pgp_plain = pgp(armour("", packet));
  EXPECT_TRUE(pgp_plain.unchecked.empty()) << unchecked_list(pgp_plain);
  EXPECT_TRUE(pgp_plain.identifiers.empty());
  EXPECT_EQ(wheres(pgp(armour("Comment: 123456789018\r\n", packet))), Wheres{"部分2(application/pgp-signature)"}) << "an armour header";
  const std::string literal_body = std::string("b\x00\x00\x00\x00\x00", 6) + "123456789018";
  const std::string literal = std::string(1, '\xcb') + static_cast<char>(literal_body.size()) + literal_body;
  const OutboundScan with_data = pgp(armour("", packet + literal));
  ASSERT_EQ(with_data.unchecked.size(), 1u) << "a literal data packet is a message of its own";
  EXPECT_NE(with_data.unchecked[0].why.find("not a signature"), std::string::npos) << with_data.unchecked[0].why;
  EXPECT_EQ(pgp(armour("", packet, "山田 123456789018\r\n")).unchecked.size(), 1u) << "text after the armour";
  EXPECT_EQ(pgp("山田 123456789018\r\n").unchecked.size(), 1u) << "no armour";
  // Issue #17 (6): only the one "=xxxx" line directly before the END line is the checksum; "=1234"
  // lines anywhere else are not passed over unread.
  const std::string body_lines = mime::encode_base64_lines(packet);
  const std::string hidden = "-----BEGIN PGP SIGNATURE-----\r\n\r\n=1234\r\n=5678\r\n" + body_lines + "=9018\r\n=abcd\r\n-----END PGP SIGNATURE-----\r\n";
  const OutboundScan in_checksums = pgp(hidden);
  EXPECT_EQ(in_checksums.unchecked.size(), 1u) << "what is no checksum is data, and data with \"=\" inside it cannot be read";
  EXPECT_TRUE(pgp(armour("", packet)).unchecked.empty()) << "the one real checksum still passes";
  const std::string without_checksum = "-----BEGIN PGP SIGNATURE-----\r\n\r\n" + body_lines + "-----END PGP SIGNATURE-----\r\n";
  EXPECT_TRUE(pgp(without_checksum).unchecked.empty()) << "the checksum is optional";
}

// Issue #17 (7): opaque S/MIME (application/pkcs7-mime; smime-type=signed-data) and a signed file
// (.p7m) are read: the content signed inside as the message or the file it is, the certificates'
// text as a detached signature's. What is not signed-data (enveloped: encrypted) cannot be checked.
TEST(OutboundLeaves, OpaqueSignedContentIsReadAsWhatItSigns) {
  using Wheres = std::vector<std::string>;
  const auto opaque = [](const std::string& signed_data) {
    return scan_outbound("From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
                             base64_part("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Disposition: attachment; filename=smime.p7m",
                                         signed_data),
                         kLevels);
  };
  const std::string entity = "Content-Type: text/plain; charset=UTF-8\r\n\r\n山田 1234-5678-9018\r\n";
  const OutboundScan numbered = opaque(internal::sign_pkcs7(entity, "山田 太郎", false));
  EXPECT_TRUE(numbered.unchecked.empty()) << unchecked_list(numbered);
  EXPECT_EQ(wheres(numbered), Wheres{"smime.p7m/body"});
  const OutboundScan clean = opaque(internal::sign_pkcs7("Content-Type: text/plain; charset=UTF-8\r\n\r\n資料です\r\n", "山田 太郎", false));
  EXPECT_TRUE(clean.unchecked.empty()) << unchecked_list(clean);
  EXPECT_TRUE(clean.identifiers.empty()) << "a signed mail without a number passes";
  EXPECT_EQ(wheres(opaque(internal::sign_pkcs7("Content-Type: text/plain\r\n\r\nx\r\n", "山田 123456789018", false))), Wheres{"smime.p7m"})
      << "the certificate's text";
  const OutboundScan broken = opaque("\x30\x03\x02\x01\x01");
  ASSERT_EQ(broken.unchecked.size(), 1u);
  EXPECT_EQ(broken.unchecked[0].where, "smime.p7m");
  // A signed file sent by transfer or upload: the file it signs, under its own name.
  const OutboundScan file = scan_outbound(message_carrying(internal::sign_pkcs7("氏名,番号\r\n山田,123456789018\r\n", "山田 太郎", false), "名簿.csv.p7m"), kLevels);
  EXPECT_TRUE(file.unchecked.empty()) << unchecked_list(file);
  EXPECT_EQ(wheres(file), Wheres{"名簿.csv.p7m/名簿.csv"});
  sandbox::ForkPerJob scanner(outbound_scan_task(kLevels));
  EXPECT_EQ(wheres(scan_outbound_sandboxed(scanner, message_carrying(internal::sign_pkcs7("山田,123456789018\r\n", "山田 太郎", false), "a.csv.p7m"))),
            Wheres{"a.csv.p7m/a.csv"})
      << "in the sandbox alike";
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


// The outgoing check's scanner (a pool of one, started before Pango's threads, which rendering the
// card starts) and a card's picture ("個人番号 1234 5678 9018", a name) as a PDF image object of
// `width` × `height` pixels; null and "" when the test could not start or render them.
struct CardScan {
  std::unique_ptr<sandbox::Executor> scanner;
  std::string image;
  int width = 0, height = 0;
  // Its picture drawn at half its pixels a unit: the size of a scan at 144 dpi (a `cm` without its offset).
  std::string own_size() const { return std::to_string(width / 2) + " 0 0 " + std::to_string(height / 2); }
};
CardScan card_scan() {
  CardScan out;
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));
  if (!started) return out;
  out.scanner = std::move(started).value();
  const std::string card = sanso::testing::rgb_of("個人番号 1234 5678 9018\n氏名 山田太郎", out.width, out.height);
  if (card.empty()) return out;
  out.image = "<< /Type /XObject /Subtype /Image /Width " + std::to_string(out.width) + " /Height " + std::to_string(out.height) +
              " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length " + std::to_string(card.size()) + " >>\nstream\n" + card + "\nendstream";
  return out;
}

// Review22a: a PDF page OCR cannot read rendered is held, never passed on a blank OCR. A card's
// picture filling a page 200 inches wide, the same picture drawn into a box of 4 × 4 pt, and a
// page whose drawing could not be counted (a cm of five numbers) each stay unchecked as
// "scan.pdf/pages"; the page as the existing test draws it is still read and its number found, and
// so is the card at its own size on the page 200 inches wide, in its region (pdf25: that page was
// held whatever its picture).
TEST(Outbound, PdfPagesOcrCannotReadRenderedStayUnchecked) {
  const CardScan card = card_scan();
  ASSERT_TRUE(card.scanner && !card.image.empty()) << "the test could not start its scanner or render its picture";
  sandbox::Executor& scanner = *card.scanner;
  const std::string& image = card.image;
  const auto scan = [&](int media, const std::string& draw) {
    const std::string contents = "q " + draw + " cm /Im1 Do Q";
    return scan_outbound_sandboxed(scanner, with_attachment("x", "scan.pdf", sanso::testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(media) + " " + std::to_string(media) + "] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        image, "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"})));
  };
  const std::string own_size = card.own_size();
  const auto read = scan(792, own_size + " 36 300");
  ASSERT_EQ(read.identifiers.size(), 1u) << scan_to_json(read);
  EXPECT_EQ(read.identifiers[0].where, "scan.pdf/page-1");
  const auto wide = scan(14400, own_size + " 36 300");
  ASSERT_EQ(wide.identifiers.size(), 1u) << scan_to_json(wide);
  EXPECT_EQ(wide.identifiers[0].where, "scan.pdf/page-1/part-1");
  EXPECT_TRUE(wide.unchecked.empty()) << unchecked_reason(wide);
  for (const auto& [what, media, draw] : std::vector<std::tuple<std::string, int, std::string>>{
           {"a page 200 inches wide that it fills", 14400, "14400 0 0 14400 0 0"}, {"a box of 4 × 4 pt", 792, "4 0 0 4 36 300"}, {"a cm of five numbers", 792, own_size + " 36"}}) {
    const auto held = scan(media, draw);
    ASSERT_EQ(held.unchecked.size(), 1u) << what << ": " << scan_to_json(held);
    EXPECT_EQ(held.unchecked[0].where, "scan.pdf/pages") << what;
    EXPECT_NE(held.unchecked[0].why.find("not read by OCR: page 1"), std::string::npos) << what << ": " << held.unchecked[0].why;
  }
}

// Issue #17: a scanner's PDF of an A4 page at 600 dpi — one grey picture of 4960 × 7016 pixels, the
// number in 9 pt print — came out at 33 % of its pixels at 200 dpi and was held; it is rendered at
// the 300 dpi its picture needs and OCR finds the number. A page of 14000 × 19800 pixels at 600 dpi
// (some A1) would need 69 million pixels at 300 dpi: held, and the reason says the page is too large.
TEST(Outbound, PdfPagesOfFineScansAreRenderedAtTheDpiTheyNeed) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  int width = 0, height = 0;
  const std::string line = sanso::testing::rgb_of("個人番号 1234 5678 9018", width, height, 386);  // 14 pt at 386 dpi: 9 pt at 600
  ASSERT_FALSE(line.empty()) << "the test could not render its picture";
  const auto scan_pdf = [](int pixels_across, int pixels_down, const std::string& filter, const std::string& samples) {
    const std::string across = std::to_string(pixels_across * 0.12), down = std::to_string(pixels_down * 0.12);  // 0.12 pt a pixel: 600 dpi
    const std::string contents = "q " + across + " 0 0 " + down + " 0 0 cm /Im1 Do Q";
    return sanso::testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + across + " " + down + "] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
                                   "<< /Type /XObject /Subtype /Image /Width " + std::to_string(pixels_across) + " /Height " + std::to_string(pixels_down) +
                                       " /ColorSpace /DeviceGray /BitsPerComponent 8 " + filter + " /Length " + std::to_string(samples.size()) + " >>\nstream\n" + samples + "\nendstream",
                                   "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream"});
  };
  // The page white, the line an inch in from the top left.
  const int across = 4960, down = 7016;
  std::string grey(static_cast<std::size_t>(across) * down, '\xFF');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width && 600 + x < across; ++x) grey[static_cast<std::size_t>(600 + y) * across + 600 + x] = line[(static_cast<std::size_t>(y) * width + x) * 3 + 1];
  }
  std::string deflated(compressBound(grey.size()), '\0');
  uLongf size = deflated.size();
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(grey.data()), grey.size(), 6), Z_OK);
  deflated.resize(size);
  const auto a4 = scan_outbound_sandboxed(**started, with_attachment("x", "scan.pdf", scan_pdf(across, down, "/Filter /FlateDecode", deflated)));
  ASSERT_EQ(a4.error, "");
  ASSERT_EQ(a4.identifiers.size(), 1u) << scan_to_json(a4);
  EXPECT_EQ(a4.identifiers[0].where, "scan.pdf/page-1");
  EXPECT_EQ(a4.identifiers[0].masked, "********9018");
  EXPECT_TRUE(a4.unchecked.empty()) << unchecked_reason(a4);
  // Judged before any rendering, so its samples need not be there.
  const auto a3 = scan_outbound_sandboxed(**started, with_attachment("x", "scan.pdf", scan_pdf(14000, 19800, "", "\xFF")));
  ASSERT_EQ(a3.error, "");
  ASSERT_EQ(a3.unchecked.size(), 1u) << scan_to_json(a3);
  EXPECT_EQ(a3.unchecked[0].where, "scan.pdf/pages");
  EXPECT_NE(a3.unchecked[0].why.find("not read by OCR: page 1: a picture is drawn at "), std::string::npos) << a3.unchecked[0].why;
  EXPECT_NE(a3.unchecked[0].why.find("dpi than the 18000000 pixels a page is rendered in for OCR"), std::string::npos) << a3.unchecked[0].why;
}

// Issue #17: a scan strip of 9 × 5 inches at 1200 dpi on an A1 drawing needs 600 dpi, where the
// page is 279 million pixels: it was held. Its region (10 × 6 inches at 600 dpi, 21.6 million
// pixels) is read in two tiles that overlap by an inch, and the number printed where they meet —
// across the seam, cut in half by either edge alone — is whole in one of them: OCR finds it.
TEST(Outbound, PdfFinePicturesOnLargePagesAreReadInTilesAndANumberOnTheSeamIsFound) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  int width = 0, height = 0;
  const std::string line = sanso::testing::rgb_of("個人番号 1234 5678 9018", width, height, 386);  // 4.5 pt print at 1200 dpi
  ASSERT_FALSE(line.empty()) << "the test could not render its picture";
  // One bit a pixel, white; the line's dark pixels black, centred on the strip's middle row, where
  // the two tiles of its region overlap.
  const int across = 10800, down = 6000, row_bytes = across / 8;
  std::string bits(static_cast<std::size_t>(row_bytes) * down, '\xFF');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width && 600 + x < across; ++x) {
      if (static_cast<unsigned char>(line[(static_cast<std::size_t>(y) * width + x) * 3 + 1]) >= 128) continue;
      const std::size_t at = static_cast<std::size_t>(down / 2 - height / 2 + y) * row_bytes + static_cast<std::size_t>((600 + x) / 8);
      bits[at] = static_cast<char>(static_cast<unsigned char>(bits[at]) & ~(0x80u >> ((600 + x) % 8)));
    }
  }
  std::string deflated(compressBound(bits.size()), '\0');
  uLongf size = deflated.size();
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(bits.data()), bits.size(), 6), Z_OK);
  deflated.resize(size);
  const std::string contents = "q 648 0 0 360 400 1000 cm /Im1 Do Q BT /F1 12 Tf 100 100 Td (drawing 7) Tj ET";
  const std::string pdf = sanso::testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1684 2384] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
       "<< /Type /XObject /Subtype /Image /Width " + std::to_string(across) + " /Height " + std::to_string(down) +
           " /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode /Length " + std::to_string(deflated.size()) + " >>\nstream\n" + deflated + "\nendstream",
       "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  const auto scan = scan_outbound_sandboxed(**started, with_attachment("x", "drawing.pdf", pdf));
  ASSERT_EQ(scan.error, "");
  ASSERT_FALSE(scan.identifiers.empty()) << scan_to_json(scan);
  for (const auto& found : scan.identifiers) {
    EXPECT_TRUE(found.where == "drawing.pdf/page-1/part-1" || found.where == "drawing.pdf/page-1/part-2") << found.where;
    EXPECT_EQ(found.masked, "********9018");
  }
  EXPECT_TRUE(scan.unchecked.empty()) << unchecked_reason(scan);
}

// Issue #17: a white picture whose text is in its own soft mask (opaque where the letters are) shows
// nothing on a white page — the rendered page reads as blank — yet a viewer on a dark page, or
// anyone taking the mask out, reads it. The mask is read on its own ("scan.pdf/mask 5.pdf", drawn
// dark where it is opaque) and the number is found.
TEST(Outbound, PdfTextInAnImagesOwnMaskIsRead) {
  auto started = sandbox::start(outbound_scan_task(kLevels), sandbox::Launch::pool(1));  // before Pango's threads
  ASSERT_TRUE(started) << started.error().to_string();
  int width = 0, height = 0;
  const std::string card = sanso::testing::rgb_of("個人番号 1234 5678 9018\n氏名 山田太郎", width, height);
  ASSERT_FALSE(card.empty()) << "the test could not render its picture";
  std::string opacity;  // dark letters on white become opaque letters on transparency
  for (std::size_t i = 1; i < card.size(); i += 3) opacity += static_cast<char>(255 - static_cast<unsigned char>(card[i]));
  const auto stream = [](const std::string& dict, const std::string& data) { return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream"; };
  const std::string size = "/Width " + std::to_string(width) + " /Height " + std::to_string(height);
  const std::string contents = "q " + std::to_string(width / 2) + " 0 0 " + std::to_string(height / 2) + " 36 300 cm /Im1 Do Q BT /F1 10 Tf 36 36 Td (page 1) Tj ET";
  const std::string pdf = sanso::testing::pdf_of(
      {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 7 0 R >> >> /Contents 6 0 R >>",
       stream("/Type /XObject /Subtype /Image " + size + " /ColorSpace /DeviceGray /BitsPerComponent 8 /SMask 5 0 R", std::string(static_cast<std::size_t>(width) * height, '\xFF')),
       stream("/Type /XObject /Subtype /Image " + size + " /ColorSpace /DeviceGray /BitsPerComponent 8", opacity), stream("", contents),
       "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
  const auto scan = scan_outbound_sandboxed(**started, with_attachment("x", "scan.pdf", pdf));
  ASSERT_EQ(scan.error, "");
  ASSERT_EQ(scan.identifiers.size(), 1u) << scan_to_json(scan);
  EXPECT_EQ(scan.identifiers[0].where, "scan.pdf/mask 5.pdf/page-1");
  EXPECT_TRUE(scan.unchecked.empty()) << unchecked_reason(scan);
}

// A PDF's pages go to the PDF they are of (its name and its digest), not to the last PDF read: two
// attachments named scan.pdf, the first held (its card drawn into a box of 4 × 4 pt) and the
// second read, keep the first's reason ("not read by OCR") — the second's pages took it away
// before; and a PDF written into the PDF's own text (uuencoded in its information dictionary) is
// read between the PDF and its pages, which are still rendered and read (they stayed held).
TEST(Outbound, PdfPagesGoToTheirOwnPdf) {
  const CardScan card = card_scan();
  ASSERT_TRUE(card.scanner && !card.image.empty()) << "the test could not start its scanner or render its picture";
  sandbox::Executor& scanner = *card.scanner;
  const std::string& image = card.image;
  const auto pdf = [&](const std::string& draw, const std::string& info) {
    const std::string contents = "q " + draw + " cm /Im1 Do Q";
    return sanso::testing::pdf_of({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 792 792] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>", image,
                                   "<< /Length " + std::to_string(contents.size()) + " >>\nstream\n" + contents + "\nendstream", "<< /Subject (" + info + ") >>"},
                                  "/Info 6 0 R");
  };
  const std::string own_size = card.own_size() + " 36 300";
  const auto mail = [](const std::vector<std::pair<std::string, std::string>>& files) {
    std::string out = "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (const auto& [name, bytes] : files) {
      gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
      out += "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n";
      g_free(b64);
    }
    return out + "--b--\r\n";
  };
  const auto twins = scan_outbound_sandboxed(scanner, mail({{"scan.pdf", pdf("4 0 0 4 36 300", "")}, {"scan.pdf", pdf(own_size, "")}}));
  ASSERT_EQ(twins.error, "");
  EXPECT_EQ(twins.identifiers.size(), 1u) << "the second is read: " << scan_to_json(twins);
  ASSERT_EQ(twins.unchecked.size(), 1u) << unchecked_reason(twins);
  EXPECT_EQ(twins.unchecked[0].where, "scan.pdf/pages");
  EXPECT_NE(twins.unchecked[0].why.find("not read by OCR: page 1"), std::string::npos) << "the first's own reason: " << twins.unchecked[0].why;

  std::string written;  // as a PDF literal string
  for (char ch : uuencode("inner.pdf", sanso::testing::japanese_pdf(u"添付の件"))) {
    if (ch == '(' || ch == ')' || ch == '\\') written += '\\';
    written += ch;
  }
  const auto nested = scan_outbound_sandboxed(scanner, with_attachment("x", "scan.pdf", pdf(own_size, written)));
  ASSERT_EQ(nested.error, "");
  EXPECT_TRUE(std::any_of(nested.attachments.begin(), nested.attachments.end(), [](const std::string& a) { return a == "scan.pdf/inner.pdf"; })) << scan_to_json(nested);
  ASSERT_EQ(nested.identifiers.size(), 1u) << scan_to_json(nested);
  EXPECT_EQ(nested.identifiers[0].where, "scan.pdf/page-1");
  EXPECT_TRUE(nested.unchecked.empty()) << unchecked_reason(nested);
}

}  // namespace
}  // namespace sanso::mail
