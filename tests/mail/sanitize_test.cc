// The mail sanitizer end to end on real and hostile messages: every output is one text/plain
// part (re-parsed with GMime to prove it), nothing HTML, no original attachment.
#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/files.h"
#include "support/gmime_message.h"

#include "mime/charset.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;
const fs::path kCorpora = fs::path(SANSO_SHARED_DIR) / "corpora/mail";

using sanso::testing::read_file;

// Re-parses an output message and checks its shape; returns the decoded body text.
std::string check_output(const std::string& out, const std::string& charset = "utf-8") {
  GMimeMessage* m = sanso::testing::parse_message(out);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return {};
  GMimeObject* body = g_mime_message_get_mime_part(m);
  EXPECT_TRUE(GMIME_IS_PART(body)) << "the output must be one single part";
  std::string text;
  if (GMIME_IS_PART(body)) {
    GMimeContentType* ct = g_mime_object_get_content_type(body);
    EXPECT_STREQ(g_mime_content_type_get_media_type(ct), "text");
    EXPECT_STREQ(g_mime_content_type_get_media_subtype(ct), "plain");
    EXPECT_EQ(g_mime_part_get_filename(GMIME_PART(body)), nullptr);
    text = sanso::testing::part_text(body, charset);
  }
  EXPECT_NE(g_mime_object_get_header(GMIME_OBJECT(m), "X-Sanso-Sanitized"), nullptr);
  g_object_unref(m);
  return text;
}

TEST(MailSanitize, EveryCorpusMessageComesOutTextOnly) {
  if (!fs::exists(kCorpora)) GTEST_SKIP() << "no corpora at " << kCorpora << " (../shared/corpora absent)";
  int messages = 0, held = 0;
  for (const auto& e : fs::recursive_directory_iterator(kCorpora)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension();
    if (ext != ".eml" && !(ext == ".txt" && e.path().parent_path().filename() == "mimekit-messages")) continue;
    SCOPED_TRACE(e.path().string());
    SanitizeOptions o;
    SanitizePlan plan = sanitize_sandboxed(read_file(e.path()), o);
    EXPECT_TRUE(plan.verdict == "clean" || plan.verdict == "sanitized" || plan.verdict == "held") << plan.verdict;
    if (plan.verdict == "held") {
      ++held;
      ADD_FAILURE() << "held: " << plan.reason;
    }
    std::string text = check_output(render_message(plan, o, "Q20261125-TESTTEST"));
    EXPECT_EQ(text.find("<html"), std::string::npos);
    for (const auto& p : plan.parts) {
      EXPECT_TRUE(p.action == "body" || p.action == "converted" || p.action == "removed" || p.action == "skipped") << p.action;
    }
    ++messages;
  }
  EXPECT_GT(messages, 40);
  EXPECT_EQ(held, 0);
}

// tests/data/mail/<case>/input.eml → expected.txt (the body a recipient reads, notice included)
// and expected.json (verdict, decoded subject and sender). SANSO_UPDATE_GOLDEN=1 rewrites them
// for review.
TEST(MailSanitize, GoldenCases) {
  const fs::path dir = fs::path(SANSO_SOURCE_DIR) / "tests/data/mail";
  const bool update = std::getenv("SANSO_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().filename().string());
    SanitizeOptions o;
    SanitizePlan plan = sanitize_sandboxed(read_file(entry.path() / "input.eml"), o);
    std::string text = check_output(render_message(plan, o, "Q20261125-GOLDEN01"));
    std::string facts = "{\"verdict\": \"" + plan.verdict + "\", \"subject\": \"" + plan.subject + "\", \"from\": \"" + plan.from + "\"}\n";
    if (update) {
      std::ofstream(entry.path() / "expected.txt", std::ios::binary) << text;
      std::ofstream(entry.path() / "expected.json", std::ios::binary) << facts;
    } else {
      EXPECT_EQ(text, read_file(entry.path() / "expected.txt"));
      EXPECT_EQ(facts, read_file(entry.path() / "expected.json"));
    }
    ++cases;
  }
  EXPECT_GE(cases, 5);
}

TEST(MailSanitize, AttachmentsAreRemovedAndListed) {
  std::string raw = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/mail/invoice.eml");
  SanitizeOptions o;
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  EXPECT_EQ(plan.verdict, "sanitized");
  ASSERT_EQ(plan.parts.size(), 2u);
  EXPECT_EQ(plan.parts[1].action, "removed");
  EXPECT_EQ(plan.parts[1].name, "invoice.docm");
  EXPECT_EQ(plan.subject, "【至急】請求書の送付（㈱サンプル商事）");
  std::string text = check_output(render_message(plan, o, "Q20261125-ABCDEFGH"));
  EXPECT_NE(text.find("invoice.docm"), std::string::npos);
  EXPECT_NE(text.find("Q20261125-ABCDEFGH"), std::string::npos);
  EXPECT_NE(text.find("①金額 ②振込先"), std::string::npos);
  EXPECT_EQ(text.find("PK"), std::string::npos);  // nothing of the attachment's bytes
}

TEST(MailSanitize, Iso2022jpRoundTripsWithNecCharacters) {
  const std::string esc = "\x1B";
  std::string body = esc + "$B-!-j" + esc + "(B ABC " + esc + "$BF|K\\8l" + esc + "(B\r\n";  // ①㈱ ABC 日本語
  std::string raw = "From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: =?ISO-2022-JP?B?GyRCLSEtahsoQg==?=\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + body;
  SanitizeOptions o;
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  EXPECT_EQ(plan.verdict, "clean");
  EXPECT_EQ(plan.subject, "①㈱");
  EXPECT_NE(check_output(render_message(plan, o, "")).find("①㈱ ABC 日本語"), std::string::npos);
  o.output_charset = "iso-2022-jp";
  std::string jis = render_message(plan, o, "");
  EXPECT_NE(jis.find("charset=ISO-2022-JP"), std::string::npos);
  EXPECT_NE(check_output(jis, "iso-2022-jp").find("①㈱ ABC 日本語"), std::string::npos);
}

TEST(MailSanitize, HtmlOnlyMailIsConvertedAndLinksDefanged) {
  std::string raw = "From: a@example.com\r\nSubject: news\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Click <a href=\"https://phish.example/login\">here</a></p>"
                    "<script>steal()</script>\r\n--b--\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.verdict, "sanitized");
  std::string text = check_output(render_message(plan, {}, "Q1"));
  EXPECT_NE(text.find("Click here (hxxps://phish[.]example/login)"), std::string::npos) << text;
  EXPECT_EQ(text.find("steal"), std::string::npos);
  EXPECT_EQ(text.find("<"), std::string::npos);
}

TEST(MailSanitize, AttachedMessagesAreSanitizedRecursively) {
  std::string inner = "From: inner@example.jp\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
                      "--i\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>内側の<b>HTML</b><script>x()</script></p>\r\n"
                      "--i\r\nContent-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename=setup.exe\r\n\r\nMZ\r\n--i--\r\n";
  std::string raw = "From: outer@example.jp\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
                    "--o\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n転送します。\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n" + inner +
                    "\r\n--o--\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.verdict, "sanitized");
  std::vector<std::string> paths, actions;
  for (const auto& p : plan.parts) {
    paths.push_back(p.path);
    actions.push_back(p.action);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"1", "2", "2.1", "2.2"}));
  EXPECT_EQ(actions, (std::vector<std::string>{"body", "converted", "converted", "removed"}));
  std::string text = check_output(render_message(plan, {}, "Q1"));
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  EXPECT_NE(text.find("転送します。"), std::string::npos);
  EXPECT_NE(text.find("----- 添付されたメール -----\nFrom: inner@example.jp\nSubject: inner\n\n内側のHTML"), std::string::npos) << text;
  EXPECT_NE(text.find("setup.exe"), std::string::npos);  // listed as removed
  EXPECT_EQ(text.find("x()"), std::string::npos);
  EXPECT_EQ(text.find("MZ"), std::string::npos);
}

// A minimal TNEF blob (MS-OXTNEF): signature, key, then for each file an attachment-level
// rendering attribute (which opens the attachment), its title and its data, each checksummed.
std::string tnef_with(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff); };
  auto u16 = [&](std::uint16_t v) { out += static_cast<char>(v & 0xff); out += static_cast<char>(v >> 8); };
  auto attribute = [&](std::uint32_t id, const std::string& data) {
    out += '\x02';  // attachment level
    u32(id);
    u32(static_cast<std::uint32_t>(data.size()));
    out += data;
    std::uint32_t sum = 0;
    for (unsigned char c : data) sum += c;
    u16(static_cast<std::uint16_t>(sum & 0xffff));
  };
  u32(0x223E9F78);
  u16(0x0001);
  for (const auto& [name, data] : files) {
    attribute(0x00069002, std::string(14, '\0'));  // attAttachRenddata
    attribute(0x00018010, name + std::string(1, '\0'));  // attAttachTitle
    attribute(0x0006800F, data);  // attAttachData
  }
  return out;
}

TEST(MailSanitize, TnefMembersAreListed) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(tnef_with({{"report.docx", "PK docx"}, {"\x8c\xa9\x90\xcf.xls", "xls!"}}).data()),
                               tnef_with({{"report.docx", "PK docx"}, {"\x8c\xa9\x90\xcf.xls", "xls!"}}).size());
  std::string raw = "Subject: outlook\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=t\r\n\r\n--t\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                    "--t\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Disposition: attachment; filename=winmail.dat\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" + std::string(b64) + "\r\n--t--\r\n";
  g_free(b64);
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_EQ(plan.parts.size(), 4u) << plan_to_json(plan);
  EXPECT_EQ(plan.parts[1].name, "winmail.dat");
  EXPECT_EQ(plan.parts[2].name, "report.docx");
  EXPECT_EQ(plan.parts[2].size, 7u);
  EXPECT_EQ(plan.parts[3].name, "見積.xls");  // an 8-bit CP932 title, decoded
  EXPECT_EQ(plan.parts[3].path, "2.tnef.2");
  std::string text = check_output(render_message(plan, {}, "Q1"));
  EXPECT_NE(text.find("report.docx"), std::string::npos);
  EXPECT_NE(text.find("見積.xls"), std::string::npos);
}

TEST(MailSanitize, TheNoticeFollowsTheCitysTemplate) {
  SanitizeOptions o;
  o.contact = "情報政策係（内線 2101）";
  o.notice_template = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/notice.ja.mustache");
  ASSERT_TRUE(check_notice_template(o.notice_template));
  SanitizePlan plan = sanitize_sandboxed(read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/mail/invoice.eml"), o);
  std::string text = check_output(render_message(plan, o, "Q20261125-TMPL0001"));
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  EXPECT_TRUE(text.starts_with("【水俣市 情報政策係より: メール無害化のお知らせ】\nインターネットから届いたメールのため")) << text;
  EXPECT_NE(text.find("・削除: invoice.docm（application/vnd.ms-word.document.macroenabled.12、2.3 KB）"), std::string::npos) << text;
  EXPECT_NE(text.find("隔離ID Q20261125-TMPL0001 を添えて情報政策係（内線 2101）までご連絡ください。"), std::string::npos) << text;
  EXPECT_NE(text.find("①金額 ②振込先"), std::string::npos);
  auto bad = check_notice_template("{{#removed}}never closed");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "config.template");
}

TEST(MailSanitize, MislabelledBodyIsFlagged) {
  std::string raw = "Subject: x\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x93\xfa\x96\x7b\x8c\xea\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_FALSE(plan.parts.empty());
  EXPECT_EQ(plan.parts[0].decoded_as, "cp932");
  EXPECT_NE(std::find(plan.parts[0].flags.begin(), plan.parts[0].flags.end(), "mislabelled-charset"), plan.parts[0].flags.end());
  EXPECT_NE(plan.body.find("日本語"), std::string::npos);
}

TEST(MailSanitize, DangerousFileNamesAreFlagged) {
  std::string raw = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                    "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf.exe\r\n\r\nMZ\r\n"
                    "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report\xE2\x80\xAE" "fdp.exe\"\r\n\r\nMZ\r\n--b--\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_EQ(plan.parts.size(), 3u);
  EXPECT_EQ(plan.parts[1].name, "請求書.pdf.exe");
  EXPECT_NE(std::find(plan.parts[1].flags.begin(), plan.parts[1].flags.end(), "double-extension"), plan.parts[1].flags.end());
  EXPECT_EQ(plan.parts[2].name, "reportfdp.exe");
  EXPECT_NE(std::find(plan.parts[2].flags.begin(), plan.parts[2].flags.end(), "bidi-control"), plan.parts[2].flags.end());
}

TEST(MailSanitize, HostileMessagesAreHeldOrSanitizedNeverPassed) {
  std::string deep = "Subject: deep\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 10000; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  deep += "Content-Type: text/plain\r\n\r\nbottom\r\n";
  SanitizePlan a = sanitize_sandboxed(deep, {});
  EXPECT_EQ(a.verdict, "held") << a.reason;
  std::string many = "Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 2000; ++i) many += "--b\r\nContent-Type: text/plain\r\n\r\n" + std::to_string(i) + "\r\n";
  many += "--b--\r\n";
  SanitizePlan b = sanitize_sandboxed(many, {});
  EXPECT_EQ(b.verdict, "held");
  EXPECT_NE(b.reason.find("too many"), std::string::npos);
  for (const std::string& junk : {std::string("\0\0\0From: x\r\n\r\n\0body", 20), std::string("Content-Type: multipart/mixed\r\n\r\n--\r\n"),
                                  std::string("Content-Transfer-Encoding: base64\r\n\r\n!!!!@@@@====\r\n"), std::string()}) {
    SanitizePlan p = sanitize_sandboxed(junk, {});
    std::string out = render_message(p, {}, "Q");
    EXPECT_NE(out.find("X-Sanso-Sanitized:"), std::string::npos);
  }
  // A 50 MB header: over the size limit, held before any parsing.
  std::string huge = "Subject: " + std::string(50u << 20, 'a') + "\r\n\r\nbody\r\n";
  SanitizePlan h = sanitize_sandboxed(huge, {});
  EXPECT_EQ(h.verdict, "held");
  EXPECT_NE(h.reason.find("larger than 50 MB"), std::string::npos) << h.reason;
  // A 10 MB header under the limit: parsed in the sandbox, the message still comes out as text.
  std::string long_header = "X-Long: " + std::string(10u << 20, 'b') + "\r\nSubject: ok\r\n\r\nbody\r\n";
  SanitizePlan l = sanitize_sandboxed(long_header, {});
  EXPECT_NE(l.verdict, "");
  EXPECT_EQ(render_message(l, {}, "Q").find(std::string(1000, 'b')), std::string::npos);  // not an allow-listed header
  // 100,000 parts: held at the part limit.
  std::string parts = "Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n";
  for (int i = 0; i < 100000; ++i) parts += "--p\r\n\r\nx\r\n";
  parts += "--p--\r\n";
  SanitizePlan many_parts = sanitize_sandboxed(parts, {});
  EXPECT_EQ(many_parts.verdict, "held");
  SanitizeOptions small;
  small.max_message_bytes = 10;
  EXPECT_EQ(sanitize_sandboxed("Subject: more than ten bytes\r\n\r\nx", small).verdict, "held");
}

}  // namespace
}  // namespace sanso::mail

namespace sanso::mail {
namespace {

// The parts of a multipart output: (content type, decoded file name, decoded bytes).
struct OutPart {
  std::string type, name, bytes;
};
std::vector<OutPart> output_parts(const std::string& out) {
  std::vector<OutPart> parts;
  GMimeMessage* m = sanso::testing::parse_message(out);
  if (m == nullptr) return parts;
  GMimeObject* body = g_mime_message_get_mime_part(m);
  if (GMIME_IS_MULTIPART(body)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(body)); ++i) {
      GMimeObject* p = g_mime_multipart_get_part(GMIME_MULTIPART(body), i);
      if (!GMIME_IS_PART(p)) continue;
      OutPart o;
      GMimeContentType* ct = g_mime_object_get_content_type(p);
      o.type = std::string(g_mime_content_type_get_media_type(ct)) + "/" + g_mime_content_type_get_media_subtype(ct);
      const char* fn = g_mime_part_get_filename(GMIME_PART(p));
      o.name = fn != nullptr ? fn : "";
      GMimeStream* s = g_mime_stream_mem_new();
      g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(p)), s);
      GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
      o.bytes.assign(reinterpret_cast<char*>(a->data), a->len);
      g_object_unref(s);
      parts.push_back(std::move(o));
    }
  }
  g_object_unref(m);
  return parts;
}

std::string with_attachment(const std::string& encoded_name_param, const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = "From: a@example.com\r\nTo: b@city.minamata.lg.jp\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文です\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Disposition: attachment; " + encoded_name_param + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b--\r\n";
  g_free(b64);
  return out;
}

TEST(MailAttachments, AMacroDocumentIsRebuiltAndAttachedWithItsJapaneseName) {
  SanitizeOptions o;
  o.attachment_action = "sanitize";
  std::string docm = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  // RFC 2231, as modern clients send it.
  std::string raw = with_attachment("filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.docm", docm);
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  ASSERT_EQ(plan.verdict, "sanitized") << plan.reason;
  ASSERT_EQ(plan.attachments.size(), 1u);
  EXPECT_EQ(plan.attachments[0].name, "見積書.docx");
  std::string out = render_message(plan, o, "Q20261126-ATTACH01");
  auto parts = output_parts(out);
  ASSERT_EQ(parts.size(), 2u) << out.substr(0, 2000);
  EXPECT_EQ(parts[0].type, "text/plain");
  EXPECT_EQ(parts[1].name, "見積書.docx");
  EXPECT_EQ(parts[1].type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(parts[1].bytes, plan.attachments[0].bytes);
  EXPECT_EQ(parts[1].bytes.find("vbaProject"), std::string::npos);
  std::string notice = mime::decode_text(parts[0].bytes, "utf-8").utf8;
  EXPECT_NE(notice.find("無害化して添付しました"), std::string::npos) << notice;
  EXPECT_NE(notice.find("見積書.docx"), std::string::npos);
  EXPECT_NE(notice.find("VBA マクロ"), std::string::npos);
  EXPECT_NE(out.find("X-Sanso-Report: parts=2; removed=0; sanitized-attachments=1"), std::string::npos);
  // The same with an RFC 2047 name in ISO-2022-JP, as older Japanese clients send it; the
  // output's own name encoding follows the output charset.
  SanitizeOptions jis = o;
  jis.output_charset = "iso-2022-jp";
  SanitizePlan old = sanitize_sandboxed(with_attachment("filename=\"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhC?=.docm\"", docm), jis);
  ASSERT_EQ(old.attachments.size(), 1u) << old.reason;
  auto old_parts = output_parts(render_message(old, jis, "Q1"));
  ASSERT_EQ(old_parts.size(), 2u);
  EXPECT_EQ(old_parts[1].name, "見積書.docx");
}

TEST(MailAttachments, BlockedFilesAreRemovedWithTheReasonAndRulesApply) {
  SanitizeOptions o;
  o.attachment_action = "sanitize";
  SanitizePlan exe = sanitize_sandboxed(with_attachment("filename=\"invoice.pdf\"", "MZ\x90\x00 program"), o);
  ASSERT_EQ(exe.verdict, "sanitized");
  EXPECT_TRUE(exe.attachments.empty());
  ASSERT_EQ(exe.parts.size(), 2u);
  EXPECT_EQ(exe.parts[1].action, "removed");
  EXPECT_NE(std::find(exe.parts[1].flags.begin(), exe.parts[1].flags.end(), "blocked:executable"), exe.parts[1].flags.end());
  std::string text = check_output(render_message(exe, o, "Q1"));  // nothing attached: one text part
  EXPECT_NE(text.find("理由: 実行ファイル・スクリプト"), std::string::npos) << text;

  SanitizeOptions strict = o;
  strict.attachment_rules["zip"] = "reject";
  SanitizePlan held = sanitize_sandboxed(with_attachment("filename=\"a.zip\"", "PK\x05\x06" + std::string(18, '\0')), strict);
  EXPECT_EQ(held.verdict, "held");
  EXPECT_NE(held.reason.find("a.zip"), std::string::npos);
  EXPECT_TRUE(held.attachments.empty());

  SanitizeOptions by_type = o;
  by_type.attachment_rules["csv"] = "remove";
  SanitizePlan removed = sanitize_sandboxed(with_attachment("filename=\"data.txt\"", "a,b\n"), by_type);
  EXPECT_EQ(removed.attachments.size(), 1u) << "the rule is for csv content, this is text";
  by_type.attachment_rules["text"] = "remove";
  SanitizePlan by_content = sanitize_sandboxed(with_attachment("filename=\"data.txt\"", "a,b\n"), by_type);
  EXPECT_TRUE(by_content.attachments.empty()) << "a rule by content type applies after detection";
  EXPECT_EQ(by_content.parts[1].action, "removed");
}

TEST(MailAttachments, ReadyWorkersGiveTheSamePlansAsAForkEach) {
  SanitizeOptions o;
  o.attachment_action = "sanitize";
  auto workers = MailWorkers::create(o, 1);
  ASSERT_TRUE(workers.has_value()) << workers.error().to_string();
  std::string docm = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  std::string raw = with_attachment("filename=\"q.docm\"", docm);
  SanitizePlan forked = sanitize_sandboxed(raw, o);
  SanitizePlan pooled = (*workers)->sanitize(raw, o);
  EXPECT_EQ(pooled.verdict, forked.verdict);
  ASSERT_EQ(pooled.attachments.size(), 1u);
  EXPECT_EQ(pooled.attachments[0].name, "q.docx");
  EXPECT_EQ(pooled.attachments[0].bytes, forked.attachments.at(0).bytes);
  EXPECT_EQ(pooled.body, forked.body);
  // A stricter choice per message (a risky sender), and a rule that holds the message.
  SanitizeOptions strict = o;
  strict.attachment_action = "remove";
  SanitizePlan removed = (*workers)->sanitize(raw, strict);
  EXPECT_TRUE(removed.attachments.empty());
  EXPECT_EQ(removed.parts.at(1).action, "removed");
  SanitizeOptions rule = o;
  rule.attachment_rules["docm"] = "reject";
  EXPECT_EQ((*workers)->sanitize(raw, rule).verdict, "held");
  const std::string garbage = "not a message at all\x01";
  EXPECT_EQ((*workers)->sanitize(garbage, o).verdict, sanitize_sandboxed(garbage, o).verdict);
}

TEST(MailAttachments, TheDefaultRemovesAndThePlanCrossesTheSandboxWithItsBytes) {
  std::string raw = with_attachment("filename=\"a.csv\"", "=1+2\n");
  SanitizePlan removed = sanitize_sandboxed(raw, {});
  EXPECT_TRUE(removed.attachments.empty());
  EXPECT_EQ(removed.parts[1].action, "removed");
  SanitizeOptions o;
  o.attachment_action = "sanitize";
  SanitizePlan parsed = plan_message(raw, o);
  ASSERT_EQ(parsed.pending.size(), 1u);
  auto back = plan_from_json(plan_to_json(parsed, true));
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->pending.size(), 1u);
  EXPECT_EQ(back->pending[0].second, "=1+2\n");
  EXPECT_EQ(plan_to_json(parsed).find("PTErMgo"), std::string::npos) << "reports carry no attachment bytes";
  SanitizePlan done = sanitize_message(raw, o);
  ASSERT_EQ(done.attachments.size(), 1u);
  EXPECT_EQ(done.attachments[0].bytes, "'=1+2\n");
}

}  // namespace
}  // namespace sanso::mail
