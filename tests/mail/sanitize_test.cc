// The mail sanitizer end to end on real and hostile messages: every output is one text/plain
// part (re-parsed with GMime to prove it), nothing HTML, no original attachment.
#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "mail/identifiers.h"
#include "mail/internal/message_text.h"
#include "mail/plan_report.h"
#include "mail/tnef_blob.h"
#include "support/binhex.h"
#include "support/files.h"
#include "support/gmime_message.h"

#include "mime/charset.h"
#include "mime/html_text.h"
#include "mime/transfer.h"

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
    EXPECT_TRUE(plan.verdict == Verdict::kClean || plan.verdict == Verdict::kSanitized || plan.verdict == Verdict::kHeld) << plan.verdict;
    if (plan.verdict == Verdict::kHeld) {
      ++held;
      ADD_FAILURE() << "held: " << plan.reason;
    }
    std::string text = check_output(render_message(plan, o, "Q20261125-TESTTEST"));
    EXPECT_EQ(text.find("<html"), std::string::npos);
    for (const auto& p : plan.parts) {
      EXPECT_TRUE(p.action == PartAction::kBody || p.action == PartAction::kConverted || p.action == PartAction::kRemoved || p.action == PartAction::kSkipped) << p.action;
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
    std::string facts = "{\"verdict\": \"" + std::string(to_string(plan.verdict)) + "\", \"subject\": \"" + plan.subject + "\", \"from\": \"" + plan.from + "\"}\n";
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
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
  ASSERT_EQ(plan.parts.size(), 2u);
  EXPECT_EQ(plan.parts[1].action, PartAction::kRemoved);
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
  EXPECT_EQ(plan.verdict, Verdict::kClean);
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
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
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
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
  std::vector<std::string> paths, actions;
  for (const auto& p : plan.parts) {
    paths.push_back(p.path);
    actions.push_back(std::string(to_string(p.action)));
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

using sanso::testing::tnef_with;

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
  // The city's wording inside Sanso's frame, after the real sender: a template cannot leave those out.
  EXPECT_TRUE(text.starts_with("┏━━【Sanso 無害化のお知らせ】")) << text;
  EXPECT_NE(text.find("┃ 差出人アドレス (From): "), std::string::npos) << text;
  EXPECT_NE(text.find("┃ 【水俣市 情報政策係より: メール無害化のお知らせ】\n┃ インターネットから届いたメールのため"), std::string::npos) << text;
  EXPECT_NE(text.find("・削除: invoice.docm（application/vnd.ms-word.document.macroenabled.12、2.3 KB）"), std::string::npos) << text;
  EXPECT_NE(text.find("隔離ID Q20261125-TMPL0001 を添えて情報政策係（内線 2101）までご連絡ください。"), std::string::npos) << text;
  EXPECT_NE(text.find("①金額 ②振込先"), std::string::npos);
  auto bad = check_notice_template("{{#removed}}never closed");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "config.template");
}

// A city's own notice wording still tells the recipient what became of a password-protected
// attachment (PPAP): a template may place `ppap_notice` itself; one that does not — the example's,
// written before PPAP — gets the paragraph appended, never dropped.
TEST(MailSanitize, ACustomNoticeTemplateNeverDropsThePpapInstruction) {
  SanitizeOptions o;
  o.contact = "情報政策係（内線 2101）";
  o.ppap_notice = "・パスワード付きの添付ファイルは保留しました（受け渡し t0123）。送信者にアップロード用のページから送り直すよう依頼してください。\n";
  const std::string raw = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/mail/invoice.eml");
  auto text_of = [&](const std::string& tmpl) {
    o.notice_template = tmpl;
    EXPECT_TRUE(check_notice_template(o.notice_template));
    std::string text = check_output(render_message(sanitize_sandboxed(raw, o), o, "Q1"));
    text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
    return text;
  };
  auto times = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const std::string instruction = "送信者にアップロード用のページから送り直すよう依頼してください";
  const std::string example = text_of(read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/notice.ja.mustache"));
  EXPECT_EQ(times(example, instruction), 1u) << "appended to a template without it: " << example;
  const std::string placed = text_of("【お知らせ】\n{{#ppap}}PPAP: {{ppap_notice}}{{/ppap}}隔離ID {{quarantine_id}}\n");
  EXPECT_EQ(times(placed, instruction), 1u) << placed;
  EXPECT_NE(placed.find("PPAP: ・パスワード付き"), std::string::npos) << "where the template puts it: " << placed;
  const std::string hidden = text_of("【お知らせ】\n{{^ppap}}{{ppap_notice}}{{/ppap}}隔離ID {{quarantine_id}}\n");
  EXPECT_EQ(times(hidden, instruction), 1u) << "a template that hides it still carries it: " << hidden;
  o.ppap_notice.clear();
  EXPECT_EQ(times(text_of("{{#ppap}}never{{/ppap}}隔離ID {{quarantine_id}}\n"), "never"), 0u) << "no PPAP, no section";
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

// review31 H2: a held message says 「本文を表示せず保留しました」, yet its body (and its rebuilt
// attachments) went out under that banner — for an attachment the policy rejects, for
// on_parser_critical = hold, for a policy's deny or approval. Now only the banner goes.
TEST(MailSanitize, AHeldMessageCarriesNothingButItsBanner) {
  const auto only_text = [](const std::string& out) {
    GMimeMessage* m = sanso::testing::parse_message(out);
    if (m == nullptr) return std::string("(unparsable)");
    GMimeObject* body = g_mime_message_get_mime_part(m);
    std::string text = GMIME_IS_PART(body) ? sanso::testing::part_text(body, "utf-8") : std::string("(not one text part)");
    g_object_unref(m);
    return text;
  };
  const std::string rejected = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                               "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBODY-OF-A-HELD-MAIL\r\n"
                               "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.exe\r\n\r\nMZ\r\n--b--\r\n";
  SanitizeOptions reject;
  reject.attachment_action = AttachmentAction::kReject;
  const SanitizePlan plan = sanitize_message(rejected, reject);
  ASSERT_EQ(plan.verdict, Verdict::kHeld);
  const std::string text = only_text(render_message(plan, reject, "Q1"));
  EXPECT_EQ(text.find("BODY-OF-A-HELD-MAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("保留しました"), std::string::npos) << text;
  EXPECT_NE(text.find("Q1"), std::string::npos) << "the quarantine id to ask for it";

  const std::string ambiguous = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "X\x01Y: x\r\n\r\nBODY-OF-A-HELD-MAIL\r\n";
  SanitizeOptions hold;
  hold.on_parser_critical = ParserCriticalAction::kHold;
  SanitizePlan held = sanitize_message(ambiguous, hold);
  ASSERT_EQ(held.verdict, Verdict::kHeld);
  EXPECT_EQ(only_text(render_message(held, hold, "Q1")).find("BODY-OF-A-HELD-MAIL"), std::string::npos);
  // Rebuilt attachments of a plan that is held go nowhere either.
  held.attachments.push_back({});
  held.attachments.back().name = "rebuilt.txt";
  held.attachments.back().content_type = "text/plain";
  held.attachments.back().bytes = "ATTACHED-TO-A-HELD-MAIL";
  const std::string out = render_message(held, hold, "Q1");
  EXPECT_EQ(out.find("rebuilt.txt"), std::string::npos);
  EXPECT_EQ(expected_entities(held).size(), 1u);
}

// review31 H1: Thunderbird links at any ':' and needs no "//" after a special scheme (WHATWG reads
// "https:evil.example" and "http:/\\evil.example" as https://evil.example/), nor a word break
// before a '/' or '\\'; links such as these were left clickable. And ftp.host as www.host.
TEST(MailSanitize, LinksAClientWouldStillOpenAreDefanged) {
  for (const std::string& text : {std::string("go to https:evil.example/login now"), std::string("go https:/evil.example/login"),
                                  std::string("go http:/\\evil.example/login"), std::string("HTTPS:evil.example"),
                                  std::string("/https://evil.example/login"), std::string("see abc/https://evil.example/login"),
                                  std::string("\\www.evil.example/login"), std::string("x\\https://evil.example/"),
                                  std::string("ftp.evil.example/file"), std::string("msteams:evil.example/l/meetup-join"),
                                  std::string("line://evil.example/ti/p")}) {
    const std::string out = mime::defang_links(text);
    EXPECT_EQ(out.find("evil.example"), std::string::npos) << text << " → " << out;
  }
  EXPECT_EQ(mime::defang_links("path/to/file and 3/4"), "path/to/file and 3/4") << "no link, nothing changed";
}

// review31 H3: the banner speaks for Sanso; a critical parser finding's item (the sender's own
// header line) and a removed part's media type ("www.evil.example/login") came into it live.
TEST(MailSanitize, TheSendersTextInTheBannerIsNotClickable) {
  const auto banner_of = [](const std::string& raw) {
    const SanitizePlan plan = sanitize_message(raw, {});
    const std::string out = render_message(plan, {}, "Q1");
    GMimeMessage* m = sanso::testing::parse_message(out);
    if (m == nullptr) return std::string("(unparsable)");
    GMimeObject* body = g_mime_message_get_mime_part(m);
    std::string text = GMIME_IS_PART(body) ? sanso::testing::part_text(body, "utf-8") : std::string();
    g_object_unref(m);
    return text.substr(0, text.find("Sanso の表示はここまで"));
  };
  const std::string header_line = banner_of("From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                            "Sanso verified x: open https://evil.example/release to get the original\r\n\r\nhello\r\n");
  EXPECT_EQ(header_line.find("https://evil.example"), std::string::npos) << header_line;
  const std::string media_type = banner_of("From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                                           "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
                                           "--b\r\nContent-Type: www.evil.example/login\r\n\r\nAAAA\r\n--b--\r\n");
  EXPECT_EQ(media_type.find("www.evil.example"), std::string::npos) << media_type;
}

// review31 H4: a file name of 60 ideographic spaces and "┃ ・確認済み" wrapped into what looked like
// one of the banner's own lines, inside its frame. Sender text in the banner keeps one space in a
// row and no frame characters.
TEST(MailSanitize, AFileNameDoesNotForgeABannerLine) {
  std::string name = "%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf";  // 請求書.pdf
  for (int i = 0; i < 60; ++i) name += "%E3%80%80";     // U+3000
  name += "%E2%80%8B%E2%94%83%20%E3%83%BB%E7%A2%BA%E8%AA%8D%E6%B8%88%E3%81%BF";  // ZWSP "┃ ・確認済み"
  const std::string raw = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                          "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
                          "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''" + name +
                          "\r\n\r\nAAAA\r\n--b--\r\n";
  const SanitizePlan plan = sanitize_message(raw, {});
  GMimeMessage* m = sanso::testing::parse_message(render_message(plan, {}, "Q1"));
  ASSERT_NE(m, nullptr);
  GMimeObject* body = g_mime_message_get_mime_part(m);
  const std::string text = GMIME_IS_PART(body) ? sanso::testing::part_text(body, "utf-8") : std::string();
  g_object_unref(m);
  EXPECT_EQ(text.find("\u3000\u3000"), std::string::npos) << text;
  const std::size_t at = text.find("請求書.pdf");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.substr(at, text.find('\n', at) - at).find("┃"), std::string::npos) << text;
}

// review31 M4: a blank-looking letter (a Hangul filler, the Braille blank) before a frame character
// kept a body line that imitates the banner from being quoted.
TEST(MailSanitize, ABlankLetterBeforeAFrameIsStillAnImitation) {
  const std::string raw = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                          "hello\r\n\u3164\u2503 \u30fb添付は市で安全確認済みです\r\n\u2800\u2517\u2501\u2501 表示はここまで\r\n";
  const SanitizePlan plan = sanitize_message(raw, {});
  EXPECT_EQ(plan.banner_lookalike_lines, 2u) << plan.body;
  EXPECT_EQ(plan.body.find("\n\u3164\u2503"), std::string::npos) << plan.body;
}

TEST(MailSanitize, HostileMessagesAreHeldOrSanitizedNeverPassed) {
  std::string deep = "Subject: deep\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 10000; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  deep += "Content-Type: text/plain\r\n\r\nbottom\r\n";
  SanitizePlan a = sanitize_sandboxed(deep, {});
  EXPECT_EQ(a.verdict, Verdict::kHeld) << a.reason;
  std::string many = "Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 2000; ++i) many += "--b\r\nContent-Type: text/plain\r\n\r\n" + std::to_string(i) + "\r\n";
  many += "--b--\r\n";
  SanitizePlan b = sanitize_sandboxed(many, {});
  EXPECT_EQ(b.verdict, Verdict::kHeld);
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
  EXPECT_EQ(h.verdict, Verdict::kHeld);
  EXPECT_NE(h.reason.find("larger than 50 MB"), std::string::npos) << h.reason;
  // A 10 MB header under the limit: parsed in the sandbox, the message still comes out as text.
  std::string long_header = "X-Long: " + std::string(10u << 20, 'b') + "\r\nSubject: ok\r\n\r\nbody\r\n";
  SanitizePlan l = sanitize_sandboxed(long_header, {});
  EXPECT_FALSE(to_string(l.verdict).empty()) << l.reason;  // a plan came back (under load the sandbox may hold it: timeout)
  EXPECT_EQ(render_message(l, {}, "Q").find(std::string(1000, 'b')), std::string::npos);  // not an allow-listed header
  // 100,000 parts: held at the part limit.
  std::string parts = "Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n";
  for (int i = 0; i < 100000; ++i) parts += "--p\r\n\r\nx\r\n";
  parts += "--p--\r\n";
  SanitizePlan many_parts = sanitize_sandboxed(parts, {});
  EXPECT_EQ(many_parts.verdict, Verdict::kHeld);
  SanitizeOptions small;
  small.max_message_bytes = 10;
  EXPECT_EQ(sanitize_sandboxed("Subject: more than ten bytes\r\n\r\nx", small).verdict, Verdict::kHeld);
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
  o.attachment_action = AttachmentAction::kSanitize;
  std::string docm = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  // RFC 2231, as modern clients send it.
  std::string raw = with_attachment("filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.docm", docm);
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  ASSERT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
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

// A long Japanese name (丸数字, 半角カナ) goes out in RFC 2231 pieces (mime::extended_parameter_pieces,
// the one encoder): every header line under 78 columns, each piece whole characters, and the name
// reads back whole in both output charsets.
TEST(MailAttachments, ALongJapaneseNameGoesOutInPiecesAndReadsBack) {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  SanitizePlan plan = sanitize_sandboxed(
      with_attachment("filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.docm", read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm")), o);
  ASSERT_EQ(plan.attachments.size(), 1u) << plan.reason;
  std::string name;
  for (int i = 0; i < 12; ++i) name += "①見積書ｶﾅ㈱ ";
  name += "最終版.docx";
  plan.attachments[0].name = name;
  for (const char* charset : {"utf-8", "iso-2022-jp"}) {
    SanitizeOptions out_options = o;
    out_options.output_charset = charset;
    const std::string out = render_message(plan, out_options, "Q1");
    const std::size_t at = out.find("Content-Disposition: attachment");
    ASSERT_NE(at, std::string::npos) << out.substr(0, 3000);
    const std::string header = out.substr(at, out.find("\r\nContent-Transfer-Encoding", at) - at);
    EXPECT_NE(header.find("filename*0*=UTF-8''"), std::string::npos) << header;
    EXPECT_NE(header.find("filename*5*="), std::string::npos) << "a long name needs many pieces: " << header;
    for (std::size_t line = 0, next; line < header.size(); line = next + 2) {
      next = header.find("\r\n", line);
      if (next == std::string::npos) next = header.size();
      EXPECT_LT(next - line, 78u) << header.substr(line, next - line);
      const std::size_t value = header.find("*=", line);
      if (value == std::string::npos || value > next) continue;
      std::string piece = header.substr(value + 2, next - value - 2);
      if (!piece.empty() && piece.back() == ';') piece.pop_back();
      if (piece.rfind("UTF-8''", 0) == 0) piece.erase(0, 7);
      std::string bytes;
      for (std::size_t i = 0; i < piece.size(); ++i) {
        if (piece[i] == '%' && i + 2 < piece.size()) {
          bytes += static_cast<char>(std::stoi(piece.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          bytes += piece[i];
        }
      }
      EXPECT_TRUE(g_utf8_validate(bytes.data(), static_cast<gssize>(bytes.size()), nullptr)) << "a piece cut inside a character: " << piece;
    }
    auto parts = output_parts(out);
    ASSERT_EQ(parts.size(), 2u) << charset;
    EXPECT_EQ(parts[1].name, name) << charset;
    EXPECT_EQ(parts[1].bytes, plan.attachments[0].bytes);
  }
}

TEST(MailAttachments, BlockedFilesAreRemovedWithTheReasonAndRulesApply) {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  SanitizePlan exe = sanitize_sandboxed(with_attachment("filename=\"invoice.pdf\"", "MZ\x90\x00 program"), o);
  ASSERT_EQ(exe.verdict, Verdict::kSanitized);
  EXPECT_TRUE(exe.attachments.empty());
  ASSERT_EQ(exe.parts.size(), 2u);
  EXPECT_EQ(exe.parts[1].action, PartAction::kRemoved);
  EXPECT_NE(std::find(exe.parts[1].flags.begin(), exe.parts[1].flags.end(), "blocked:executable"), exe.parts[1].flags.end());
  std::string text = check_output(render_message(exe, o, "Q1"));  // nothing attached: one text part
  EXPECT_NE(text.find("理由: 実行ファイル・スクリプト"), std::string::npos) << text;

  SanitizeOptions strict = o;
  strict.attachment_rules["zip"] = AttachmentAction::kReject;
  SanitizePlan held = sanitize_sandboxed(with_attachment("filename=\"a.zip\"", "PK\x05\x06" + std::string(18, '\0')), strict);
  EXPECT_EQ(held.verdict, Verdict::kHeld);
  EXPECT_NE(held.reason.find("a.zip"), std::string::npos);
  EXPECT_TRUE(held.attachments.empty());
  // A name Windows saves as a.zip is a.zip to the rule too.
  for (const char* name : {"a.zip.", "a.zip ", "a.zip::$DATA"}) {
    SanitizePlan spelled = sanitize_sandboxed(with_attachment("filename=\"" + std::string(name) + "\"", "PK\x05\x06" + std::string(18, '\0')), strict);
    EXPECT_EQ(spelled.verdict, Verdict::kHeld) << name;
  }

  SanitizeOptions by_type = o;
  by_type.attachment_rules["csv"] = AttachmentAction::kRemove;
  SanitizePlan removed = sanitize_sandboxed(with_attachment("filename=\"data.txt\"", "a,b\n"), by_type);
  EXPECT_EQ(removed.attachments.size(), 1u) << "the rule is for csv content, this is text";
  by_type.attachment_rules["text"] = AttachmentAction::kRemove;
  SanitizePlan by_content = sanitize_sandboxed(with_attachment("filename=\"data.txt\"", "a,b\n"), by_type);
  EXPECT_TRUE(by_content.attachments.empty()) << "a rule by content type applies after detection";
  EXPECT_EQ(by_content.parts[1].action, PartAction::kRemoved);
}

TEST(MailAttachments, ReadyWorkersGiveTheSamePlansAsAForkEach) {
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  auto workers = MailExecutors::start(o, sandbox::Launch::pool(1));
  ASSERT_TRUE(workers.has_value()) << workers.error().to_string();
  std::string docm = read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  std::string raw = with_attachment("filename=\"q.docm\"", docm);
  SanitizePlan forked = sanitize_sandboxed(raw, o);
  SanitizePlan pooled = sanitize_sandboxed(raw, o, *workers);
  EXPECT_EQ(pooled.verdict, forked.verdict);
  ASSERT_EQ(pooled.attachments.size(), 1u);
  EXPECT_EQ(pooled.attachments[0].name, "q.docx");
  EXPECT_EQ(pooled.attachments[0].bytes, forked.attachments.at(0).bytes);
  EXPECT_EQ(pooled.body, forked.body);
  // A stricter choice per message (a risky sender), and a rule that holds the message.
  SanitizeOptions strict = o;
  strict.attachment_action = AttachmentAction::kRemove;
  SanitizePlan removed = sanitize_sandboxed(raw, strict, *workers);
  EXPECT_TRUE(removed.attachments.empty());
  EXPECT_EQ(removed.parts.at(1).action, PartAction::kRemoved);
  SanitizeOptions rule = o;
  rule.attachment_rules["docm"] = AttachmentAction::kReject;
  EXPECT_EQ(sanitize_sandboxed(raw, rule, *workers).verdict, Verdict::kHeld);
  const std::string garbage = "not a message at all\x01";
  EXPECT_EQ(sanitize_sandboxed(garbage, o, *workers).verdict, sanitize_sandboxed(garbage, o).verdict);
}

TEST(MailAttachments, OptionsThatRebuildNothingStartNoEngineAndALooserMessageFailsClosed) {
  SanitizeOptions removing;
  removing.attachment_action = AttachmentAction::kRemove;
  removing.attachment_rules["pdf"] = AttachmentAction::kReject;
  auto workers = MailExecutors::start(removing, sandbox::Launch::pool(1));
  ASSERT_TRUE(workers.has_value()) << workers.error().to_string();
  EXPECT_NE(workers->parse, nullptr);
  EXPECT_EQ(workers->batches, nullptr) << "nothing is ever rebuilt: no CDR pools";
  EXPECT_EQ(workers->files, nullptr);
  const std::string raw = with_attachment("filename=\"q.docm\"", read_file(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm"));
  EXPECT_EQ(sanitize_sandboxed(raw, removing, *workers).parts.at(1).action, PartAction::kRemoved);
  // A message whose own choice would rebuild finds no engine: the attachment is removed, flagged.
  SanitizeOptions looser = removing;
  looser.attachment_action = AttachmentAction::kSanitize;
  SanitizePlan plan = sanitize_sandboxed(raw, looser, *workers);
  EXPECT_TRUE(plan.attachments.empty());
  ASSERT_GE(plan.parts.size(), 2u);
  EXPECT_EQ(plan.parts[1].action, PartAction::kRemoved);
  EXPECT_NE(std::find(plan.parts[1].flags.begin(), plan.parts[1].flags.end(), "blocked:internal"), plan.parts[1].flags.end());
  // A rule that rebuilds one kind of file is enough to start the engine.
  SanitizeOptions one_rule = removing;
  one_rule.attachment_rules["docm"] = AttachmentAction::kSanitize;
  auto with_engine = MailExecutors::start(one_rule, sandbox::Launch::pool(1));
  ASSERT_TRUE(with_engine.has_value());
  EXPECT_NE(with_engine->batches, nullptr);
  EXPECT_NE(with_engine->files, nullptr);
}

TEST(MailAttachments, TheDefaultRemovesAndThePlanCrossesTheSandboxWithItsBytes) {
  std::string raw = with_attachment("filename=\"a.csv\"", "=1+2\n");
  SanitizePlan removed = sanitize_sandboxed(raw, {});
  EXPECT_TRUE(removed.attachments.empty());
  EXPECT_EQ(removed.parts[1].action, PartAction::kRemoved);
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
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

// The output as other software reads it: whatever the input, a reader's parser must find exactly
// the parts the plan reports — no more (a part smuggled in by text that looks like a boundary), no
// fewer.
namespace sanso::mail {
namespace {

// The entities Python's email package finds in each file, under compat32 and default policies.
struct PythonView {
  std::vector<OutputEntity> compat32, modern;
};
std::vector<PythonView> python_entities(const std::vector<fs::path>& files) {
  std::vector<PythonView> out;
  const std::string script = (fs::path(SANSO_SOURCE_DIR) / "tests/mail/output_entities.py").string();
  for (std::size_t at = 0; at < files.size(); at += 200) {  // a bounded command line
    std::string command = "python3 '" + script + "'";
    for (std::size_t i = at; i < std::min(files.size(), at + 200); ++i) command += " '" + files[i].string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    std::string text;
    char buf[65536];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
    if (pclose(pipe) != 0) return out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      auto read = [](const nlohmann::json& list) {
        std::vector<OutputEntity> v;
        for (const auto& e : list) v.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>(), e.at(2).get<std::string>()});
        return v;
      };
      out.push_back({read(j.at("compat32")), read(j.at("default"))});
    }
  }
  return out;
}

std::string describe(const std::vector<OutputEntity>& entities) {
  std::string s;
  for (const auto& e : entities) s += "[" + e.type + " '" + e.name + "' " + e.sha256.substr(0, 8) + "] ";
  return s;
}

// Hostile messages from a seeded generator: nested multiparts whose text carries lines that look
// like boundaries (ours, old predictable ones, the input's own), part headers, uuencode and
// escape sequences, in UTF-8 and ISO-2022-JP, 7bit, base64 and quoted-printable, with
// attachments the CDR engine rebuilds (txt, csv) and ones it blocks or that are removed.
class HostileMail {
 public:
  explicit HostileMail(unsigned seed) : rng_(seed) {}

  std::string message() {
    std::string m = "From: =?UTF-8?B?5pys5paH?= <a@example.jp>\r\nTo: b@city.lg.jp\r\nSubject: test " + std::to_string(pick(100000)) + "\r\nMIME-Version: 1.0\r\n";
    return m + entity(0);
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  std::string token() {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string t;
    for (std::size_t i = 0, n = 4 + pick(30); i < n; ++i) t += kChars[pick(36)];
    return t;
  }

  std::string line() {
    switch (pick(16)) {
      case 0: return "--=_sanso_1_" + std::to_string(pick(1000)) + "_" + std::to_string(pick(6));
      case 1: return "--=_sanso_" + token();
      case 2: return boundaries_.empty() ? "--" : "--" + boundaries_[pick(boundaries_.size())] + (pick(2) ? "--" : "");
      case 3: return "Content-Type: application/x-msdownload; name=evil.exe";
      case 4: return "Content-Disposition: attachment; filename=\"evil.exe\"";
      case 5: return "Content-Type: message/rfc822";
      case 6: return "";
      case 7: return "begin 644 evil.exe";
      case 8: return std::string(800 + pick(600), 'x');
      case 9: return "日本語の本文です。①㈱";
      case 10: return "<a href=\"https://phish.example/\">here</a><script>x()</script>";
      case 11: return "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
      case 12: return "\x1b$B";
      case 13: return ".";
      default: return "text " + token();
    }
  }

  std::string text() {
    std::string t;
    for (std::size_t i = 0, n = 1 + pick(12); i < n; ++i) t += line() + "\r\n";
    return t;
  }

  std::string encoded(const std::string& bytes, std::string& headers) {
    switch (pick(3)) {
      case 0: {
        headers += "Content-Transfer-Encoding: base64\r\n";
        return mime::encode_base64_lines(bytes);
      }
      case 1: headers += "Content-Transfer-Encoding: quoted-printable\r\n"; return bytes;
      default: return bytes;
    }
  }

  std::string leaf() {
    std::string headers, body;
    switch (pick(6)) {
      case 0:
      case 1: {
        const bool jis = pick(2) == 0;
        std::string t = text();
        headers = std::string("Content-Type: text/plain; charset=") + (jis ? "ISO-2022-JP" : "UTF-8") + "\r\n";
        body = encoded(jis ? mime::encode_iso2022jp(t) : t, headers);
        break;
      }
      case 2: {
        headers = "Content-Type: text/html; charset=UTF-8\r\n";
        body = encoded("<html><body><p>" + text() + "</p></body></html>\r\n", headers);
        break;
      }
      case 3: {
        std::string long_name;
        for (int k = 0; k < 120; ++k) long_name += "長い名前";
        const std::string names[] = {"data.txt", "表.csv", "--=_sanso_x.txt", "evil.exe", "a\"b.txt", long_name + ".txt"};
        std::string name = names[pick(6)];
        headers = "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''" + percent(name) + "\r\n";
        body = encoded(text(), headers);
        break;
      }
      case 4: {
        headers = "Content-Type: message/rfc822\r\n";
        body = "Subject: inner\r\nMIME-Version: 1.0\r\n" + (pick(2) ? entity(3) : "Content-Type: text/plain\r\n\r\n" + text());
        break;
      }
      default: {
        headers = "Content-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename=setup.exe\r\n";
        body = encoded("MZ\x90" + text(), headers);
      }
    }
    return headers + "\r\n" + body;
  }

  std::string entity(int depth) {
    if (depth >= 3 || pick(3) == 0) return leaf();
    const std::string b = pick(4) == 0 ? "=_sanso_" + token() : token();
    boundaries_.push_back(b);
    const char* kinds[] = {"mixed", "alternative", "related"};
    std::string out = std::string("Content-Type: multipart/") + kinds[pick(3)] + "; boundary=\"" + b + "\"\r\n\r\n" + (pick(2) ? text() : "");
    for (std::size_t i = 0, n = 1 + pick(4); i < n; ++i) out += "--" + b + "\r\n" + entity(depth + 1) + "\r\n";
    return out + "--" + b + "--\r\n" + (pick(2) ? text() : "");
  }

  static std::string percent(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += std::isalnum(c) || c == '.' ? std::string(1, static_cast<char>(c)) : std::string(hex);
    }
    return out;
  }

  std::mt19937 rng_;
  std::vector<std::string> boundaries_;
};

// Byte-level damage, as a fuzzer does it: flips, cuts, repeats, stray line breaks and dashes.
std::string mutate(std::string m, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  for (std::size_t k = 0, n = 1 + pick(6); k < n && !m.empty(); ++k) {
    const std::size_t at = pick(m.size());
    switch (pick(5)) {
      case 0: m[at] = static_cast<char>(pick(256)); break;
      case 1: m.erase(at, pick(64)); break;
      case 2: m.insert(at, m.substr(at, pick(128))); break;
      case 3: m.insert(at, "\r\n"); break;
      default: m.insert(at, "\r\n--"); break;
    }
  }
  return m;
}

std::vector<SanitizeOptions> output_modes() {
  std::vector<SanitizeOptions> modes;
  for (const char* charset : {"utf-8", "iso-2022-jp"}) {
    for (bool html : {false, true}) {
      for (AttachmentAction action : {AttachmentAction::kRemove, AttachmentAction::kSanitize}) {
        SanitizeOptions o;
        o.output_charset = charset;
        o.prefer_html = html;
        o.attachment_action = action;
        modes.push_back(o);
      }
    }
  }
  return modes;
}

// Issue #14: with ISO-2022-JP output the body went out as 7bit text under a boundary made of
// sizes (=_sanso_<attachments>_<body bytes>_<parts>), so a body line naming it ended the text
// part and what followed — here an evil.exe — became a part of its own.
TEST(MailOutput, ABodyLineCannotEndTheTextPart) {
  SanitizeOptions o;
  o.output_charset = "iso-2022-jp";
  o.attachment_action = AttachmentAction::kSanitize;
  auto message = [](const std::string& size) {
    const std::string boundary = "=_sanso_1_" + size + "_2";
    const std::string body = "Please see the file.\r\n--" + boundary + "\r\nContent-Type: application/x-msdownload\r\n"
                             "Content-Disposition: attachment; filename=\"evil.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n"
                             "--" + boundary + "\r\nContent-Type: text/plain\r\n\r\n";
    return "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n--b\r\nContent-Type: text/plain\r\n"
           "Content-Disposition: attachment; filename=\"data.txt\"\r\n\r\nplain data\r\n--b--\r\n";
  };
  // The body's size is what the old boundary was made of: measured once, then written in.
  const std::size_t size = sanitize_message(message("000"), o).body.size();
  ASSERT_GE(size, 100u);
  ASSERT_LT(size, 1000u);
  SanitizePlan plan = sanitize_message(message(std::to_string(size)), o);
  ASSERT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
  ASSERT_EQ(plan.attachments.size(), 1u);
  const std::string out = render_message(plan, o, "Q1");
  EXPECT_EQ(describe(output_entities(out)), describe(expected_entities(plan))) << out;
  for (const auto& e : output_entities(out)) EXPECT_NE(e.name, "evil.exe");
  // Two renderings of the same plan choose different boundaries: nothing to predict.
  auto boundary_of = [](const std::string& m) { auto at = m.find("boundary=\""); return m.substr(at, m.find('"', at + 10) - at); };
  EXPECT_NE(boundary_of(out), boundary_of(render_message(plan, o, "Q1")));
}

// A body line longer than RFC 5322 allows cannot go out as 7bit: such ISO-2022-JP text is base64.
TEST(MailOutput, LongLinesInIso2022jpGoOutAsBase64) {
  SanitizeOptions o;
  o.output_charset = "iso-2022-jp";
  SanitizePlan plan = sanitize_message("Subject: x\r\n\r\n" + std::string(3000, 'a') + "\r\n", o);
  const std::string out = render_message(plan, o, "Q1");
  EXPECT_NE(out.find("charset=ISO-2022-JP\r\nContent-Transfer-Encoding: base64"), std::string::npos);
  EXPECT_NE(check_output(out, "iso-2022-jp").find(std::string(3000, 'a')), std::string::npos);
}

// The property: for generated and damaged hostile input, in every output mode, GMime and Python's
// email (compat32 and default policies) find exactly the entities the plan reports.
TEST(MailOutput, EveryReaderFindsExactlyTheReportedParts) {
  const fs::path dir = fs::temp_directory_path() / ("sanso-output-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::mt19937 damage(14);
  std::vector<std::string> inputs;
  // About half of these are held, their structure ambiguous (a boundary line in a text closes a
  // multipart early, and the parts after it are outside the boundaries: issue #22); enough seeds
  // that the rest still bring attachments.
  for (unsigned seed = 1; seed <= 100; ++seed) {
    std::string m = HostileMail(seed).message();
    inputs.push_back(mutate(m, damage));
    inputs.push_back(std::move(m));
  }
  std::vector<fs::path> files;
  std::vector<std::vector<OutputEntity>> expected;
  std::vector<std::string> labels;
  std::size_t with_attachments = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (const auto& o : output_modes()) {
      SanitizePlan plan = sanitize_message(inputs[i], o);
      const std::string out = render_message(plan, o, "Q20261204-PROPERTY");
      const std::string label = "input " + std::to_string(i) + " " + o.output_charset + (o.prefer_html ? " html " : " text ") + std::string(to_string(o.attachment_action));
      EXPECT_EQ(describe(output_entities(out)), describe(expected_entities(plan))) << label << "\n" << out.substr(0, 4000);
      std::size_t longest = 0;
      for (std::size_t at = 0, next; at < out.size(); at = next + 1) {
        next = out.find('\n', at);
        if (next == std::string::npos) next = out.size();
        longest = std::max(longest, next - at);
      }
      EXPECT_LE(longest, 999u) << label << ": RFC 5322 allows 998 octets and CRLF";
      with_attachments += plan.attachments.empty() ? 0 : 1;
      files.push_back(dir / (std::to_string(files.size()) + ".eml"));
      std::ofstream(files.back(), std::ios::binary) << out;
      expected.push_back(expected_entities(plan));
      labels.push_back(label);
    }
  }
  EXPECT_GT(with_attachments, 30u) << "the generator must produce rebuilt attachments";
  const auto python = python_entities(files);
  ASSERT_EQ(python.size(), files.size()) << "python3 tests/mail/output_entities.py did not read every output";
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(describe(python[i].compat32), describe(expected[i])) << labels[i] << " (compat32) " << files[i];
    EXPECT_EQ(describe(python[i].modern), describe(expected[i])) << labels[i] << " (default) " << files[i];
  }
  if (!HasFailure()) fs::remove_all(dir);
}

// Issue #14: GMime's parser warnings become graded findings in the report, and a critical one
// (a structure other software may read differently) gets the stricter handling configured.

const ParserFinding* finding(const SanitizePlan& plan, const std::string& kind) {
  for (const auto& f : plan.parser_findings) {
    if (kind_name(f) == kind) return &f;
  }
  return nullptr;
}

TEST(MailParserFindings, EachAnomalyIsAGradedFindingInTheReport) {
  std::string deep = "From: a@example.com\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 1200; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  deep += "Content-Type: text/plain\r\n\r\nbottom\r\n";
  const std::string head = "From: a@example.com\r\nMIME-Version: 1.0\r\n";
  struct Case {
    std::string kind, severity, item, raw;
  };
  const std::vector<Case> cases = {
      {"duplicated-header", "warning", "Subject", head + "Subject: x\r\nSubject: x\r\n\r\nbody\r\n"},
      {"conflicting-header", "critical", "Content-Type", head + "Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\nbody\r\n"},
      {"duplicated-parameter", "warning", "charset", head + "Content-Type: text/plain; charset=utf-8; charset=utf-8\r\n\r\nbody\r\n"},
      {"conflicting-parameter", "critical", "boundary", head + "Content-Type: multipart/mixed; boundary=a; boundary=b\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n"},
      {"invalid-content-type", "warning", "garbage", head + "Content-Type: garbage\r\n\r\nbody\r\n"},
      {"truncated-message", "warning", "", head + "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nx\r\n"},
      {"invalid-header-name", "critical", "X?Y: x", head + "X\x01Y: x\r\n\r\nbody\r\n"},
      {"multipart-without-boundary", "critical", "mixed", head + "Content-Type: multipart/mixed\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n"},
      {"invalid-parameter", "warning", "charset", head + "Content-Type: text/plain; charset\r\n\r\nbody\r\n"},
      {"invalid-address-list", "warning", "\"unterminated", head + "To: <<<@>>>, \"unterminated\r\n\r\nbody\r\n"},
      {"part-without-content", "warning", "",
       head + "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n--a\r\nContent-Type: text/plain\r\n\r\nx\r\n--a--\r\n"},
      {"part-without-headers-or-content", "critical", "",
       head + "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n--a\r\nContent-Type: text/plain\r\n\r\nx\r\n--a--\r\n"},
      {"unencoded-8bit-header", "warning", "To", head + "To: \xE5\xB1\xB1\xE7\x94\xB0 <b@city.lg.jp>\r\n\r\nbody\r\n"},
      {"nesting-overflow", "critical", "", deep},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kind);
    SanitizePlan plan = sanitize_sandboxed(c.raw, {});  // across the sandbox boundary, as the gateway gets it
    const ParserFinding* f = finding(plan, c.kind);
    ASSERT_NE(f, nullptr) << plan_to_json(plan);
    EXPECT_EQ(to_string(f->severity), c.severity);
    EXPECT_EQ(f->item, c.item);
    EXPECT_NE(plan_to_json(plan).find("\"kind\":\"" + c.kind + "\""), std::string::npos) << "the report (and so the audit record) names it";
    const std::string out = render_message(plan, {}, "Q1");
    if (c.severity == "critical") {
      EXPECT_NE(plan.verdict, Verdict::kClean);
      EXPECT_NE(out.find("; parser-critical"), std::string::npos);
      if (plan.verdict == Verdict::kSanitized) {
        EXPECT_NE(check_output(out).find("他のソフトウェアが異なって解釈しうる"), std::string::npos);
      }
    } else {
      EXPECT_EQ(out.find("; parser-critical"), std::string::npos);
      EXPECT_EQ(check_output(out).find("他のソフトウェアが異なって解釈しうる"), std::string::npos);
    }
  }
  // A thousand identical findings are one, counted.
  SanitizePlan plan = sanitize_sandboxed(deep, {});
  ASSERT_NE(finding(plan, "truncated-message"), nullptr);
  EXPECT_GE(finding(plan, "truncated-message")->count, 1000u);
  EXPECT_LE(plan.parser_findings.size(), 100u);
}

// A header name no parser should accept in an attachment's header block: one reader may end the
// headers there, another skip the line, so what a recipient's client saves may not be what was
// checked. What happens is configured. (An attachment named twice — data.txt and data.exe — is
// held whatever is configured: MailStructure.*.)
TEST(MailParserFindings, ACriticalFindingGetsTheConfiguredHandling) {
  const std::string raw = "From: a@example.com\r\nSubject: bad header\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n"
                          "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文\r\n--a\r\nContent-Type: text/plain\r\n"
                          "Content-Disposition: attachment; filename=\"data.exe\"\r\nX\x01Y: x\r\n\r\nplain data\r\n--a--\r\n";
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  SanitizePlan removed = sanitize_sandboxed(raw, o);  // the default: remove-attachments
  ASSERT_NE(finding(removed, "invalid-header-name"), nullptr) << plan_to_json(removed);
  EXPECT_EQ(removed.verdict, Verdict::kSanitized);
  EXPECT_TRUE(removed.attachments.empty());
  ASSERT_EQ(removed.parts.size(), 2u);
  EXPECT_EQ(removed.parts[1].action, PartAction::kRemoved);
  EXPECT_NE(std::find(removed.parts[1].flags.begin(), removed.parts[1].flags.end(), "parser-critical"), removed.parts[1].flags.end());
  std::string text = check_output(render_message(removed, o, "Q1"));
  EXPECT_NE(text.find("不正なヘッダー名 (X?Y: x)"), std::string::npos) << text;
  EXPECT_NE(text.find("無害化せずすべて削除しました"), std::string::npos) << text;

  SanitizeOptions hold = o;
  hold.on_parser_critical = ParserCriticalAction::kHold;
  SanitizePlan held = sanitize_sandboxed(raw, hold);
  EXPECT_EQ(held.verdict, Verdict::kHeld);
  EXPECT_NE(held.reason.find("不正なヘッダー名 (X?Y: x)"), std::string::npos) << held.reason;
  EXPECT_TRUE(held.attachments.empty());

  SanitizeOptions flag_only = o;
  flag_only.on_parser_critical = ParserCriticalAction::kSanitize;
  flag_only.lang = "en";
  SanitizePlan kept = sanitize_sandboxed(raw, flag_only);
  EXPECT_EQ(kept.verdict, Verdict::kSanitized);
  // The usual handling: the engine blocks data.exe by its name.
  ASSERT_EQ(kept.parts.size(), 2u);
  EXPECT_EQ(kept.parts[1].name, "data.exe");
  EXPECT_EQ(kept.parts[1].flags, (std::vector<std::string>{"blocked:executable"}));
  text = check_output(render_message(kept, flag_only, "Q1"));
  EXPECT_NE(text.find("anomalies that other software may read differently: an invalid header name (X?Y: x)"), std::string::npos) << text;
  EXPECT_EQ(text.find("every attachment was removed"), std::string::npos) << text;

  // The ready workers apply the same handling.
  auto workers = MailExecutors::start(o, sandbox::Launch::pool(1));
  ASSERT_TRUE(workers.has_value()) << workers.error().to_string();
  EXPECT_TRUE(sanitize_sandboxed(raw, o, *workers).attachments.empty());
  EXPECT_EQ(sanitize_sandboxed(raw, hold, *workers).verdict, Verdict::kHeld);
}

// Issue #22: control bytes and bidi controls in bodies. A bare CR lets a later line overwrite an
// earlier one on a screen ("Total: 100" shown as "Total: 999"); ESC starts terminal sequences;
// U+202E reverses what follows it.

TEST(MailBody, ControlAndBidiCharactersAreNormalisedOrRemoved) {
  const std::string text = "Total: 100\rTotal: 999\r\nA" + std::string(1, '\0') + "B\x1b[31mred\x07" "bell\x08\x08x \xE2\x80\xAEtxt.exe\xC2\x85!\r\n";
  SanitizePlan plan = sanitize_sandboxed("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text, {});
  EXPECT_NE(plan.body.find("Total: 100\nTotal: 999\nAB[31mredbellx txt.exe!\n"), std::string::npos) << plan.body;
  for (const std::string& bad : {std::string(1, '\0'), std::string("\r"), std::string("\x1b"), std::string("\x07"), std::string("\x08"),
                                std::string("\xE2\x80\xAE"), std::string("\xC2\x85")}) {
    EXPECT_EQ(plan.body.find(bad), std::string::npos);
  }
  ASSERT_FALSE(plan.parts.empty());
  EXPECT_NE(std::find(plan.parts[0].flags.begin(), plan.parts[0].flags.end(), "control-characters"), plan.parts[0].flags.end());
  EXPECT_NE(std::find(plan.parts[0].flags.begin(), plan.parts[0].flags.end(), "bidi-control"), plan.parts[0].flags.end());
  EXPECT_EQ(plan.verdict, Verdict::kClean) << "what was removed is reported, the message is still plain text";
  EXPECT_NE(check_output(render_message(plan, {}, "Q1")).find("Total: 100\r\nTotal: 999"), std::string::npos);

  // Characters an HTML body only gets from entities are removed from the converted text too.
  SanitizePlan html = sanitize_sandboxed("Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>left&#x202E;right&#27;[2J&#8;end</p>\r\n", {});
  EXPECT_EQ(html.body.find("\xE2\x80\xAE"), std::string::npos) << html.body;
  EXPECT_EQ(html.body.find('\x1b'), std::string::npos);
  EXPECT_EQ(html.body.find('\x08'), std::string::npos);
  EXPECT_NE(html.body.find("leftright"), std::string::npos) << html.body;
  EXPECT_NE(std::find(html.warnings.begin(), html.warnings.end(), "body: bidi-control removed"), html.warnings.end());
}

// Issue #22: a file written into the text (uuencode, BinHex, yEnc) is one a client shows as an
// attachment; it is removed as one, listed in the notice, with a line where it was.

TEST(MailBody, FilesEmbeddedInTheTextAreRemovedAndListed) {
  const std::string uu = "begin 644 setup.exe\r\n"
                         "M35J0``,````$````__\\``+@`````````0```````````````````````````\r\n"
                         "`\r\nend\r\n";
  const std::string yenc = "=ybegin line=128 size=4 name=invoice.pdf.exe\r\n\x77\x84\xBA\x2A\r\n=yend size=4\r\n";
  const std::string raw = "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nPlease run:\r\n" + uu +
                          "and this:\r\n" + yenc + "Regards\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
  EXPECT_EQ(plan.body.find("begin 644"), std::string::npos) << plan.body;
  EXPECT_EQ(plan.body.find("M35J0"), std::string::npos);
  EXPECT_EQ(plan.body.find("=ybegin"), std::string::npos);
  EXPECT_NE(plan.body.find("Please run:\n[本文に埋め込まれたファイル setup.exe (uuencode) を削除しました]\nand this:\n"), std::string::npos) << plan.body;
  EXPECT_NE(plan.body.find("Regards"), std::string::npos);
  ASSERT_EQ(plan.parts.size(), 3u) << plan_to_json(plan);
  EXPECT_EQ(plan.parts[1].path, "body.uuencode.1");
  EXPECT_EQ(plan.parts[1].name, "setup.exe");
  EXPECT_EQ(plan.parts[1].action, PartAction::kRemoved);
  EXPECT_EQ(plan.parts[2].name, "invoice.pdf.exe");
  EXPECT_EQ(plan.parts[2].flags, (std::vector<std::string>{"yenc", "double-extension"}));
  const std::string text = check_output(render_message(plan, {}, "Q1"));
  EXPECT_NE(text.find("setup.exe  [application/octet-stream"), std::string::npos) << text;
  EXPECT_NE(text.find("!uuencode"), std::string::npos);
}

// Issue #17 (review21b 9, 10): a BinHex line without its banner, and uuencode in an old Mac's
// CR-only lines after a one-digit mode, are cut out too, named by what they carry; a Japanese mail
// full of colons and smileys keeps every line.
TEST(MailBody, FilesWrittenAsDecodersAcceptThemAreRemoved) {
  const std::string body = "こちらです " + sanso::testing::binhex("setup.exe", "MZ", "", true, 0) +
                           "\r\nbegin 7 run.exe\rM35J0``,````$````__\\``+@`````````0```````````````````````````\r`\rend\r以上\r\n";
  const std::string raw = "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
  ASSERT_EQ(plan.parts.size(), 3u) << plan_to_json(plan);
  EXPECT_EQ(plan.parts[1].path, "body.binhex.1");
  EXPECT_EQ(plan.parts[1].name, "setup.exe");
  EXPECT_EQ(plan.parts[2].name, "run.exe");
  EXPECT_EQ(plan.body.find("M35J0"), std::string::npos) << plan.body;
  EXPECT_NE(plan.body.find("以上"), std::string::npos) << plan.body;
  const std::string prose = "議題：予算:)\r\n時間: 10:30〜11:00 :-)\r\nすごい:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\r\n"
                            ":----------------------------------------------------------------------\r\nbegin 2 weeks later\r\n";
  SanitizePlan clean = sanitize_sandboxed("From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + prose, {});
  EXPECT_EQ(clean.parts.size(), 1u) << plan_to_json(clean);
  EXPECT_NE(clean.body.find("begin 2 weeks later"), std::string::npos) << clean.body;
  EXPECT_NE(clean.body.find("すごい:!!!"), std::string::npos) << clean.body;
}

// Issue #17 H1/H2: BinHex without a name, its ':' at a line's end and its data on the next lines,
// is a file to a decoder: removed from the body like any other, the text after it kept.
TEST(MailBody, NamelessBinHexWhoseDataStartsOnTheNextLineIsRemoved) {
  const std::string one = sanso::testing::binhex("", "山田,123456789018\r\n" + std::string(200, 'y'), "", false, 0);
  std::string lines;
  for (std::size_t at = 1; at < one.size(); at += 64) lines += one.substr(at, 64) + "\r\n";
  const std::string raw = "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n以下のとおりです:\r\n" + lines + "以上\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.verdict, Verdict::kSanitized);
  ASSERT_EQ(plan.parts.size(), 2u) << plan_to_json(plan);
  EXPECT_EQ(plan.parts[1].path, "body.binhex.1");
  EXPECT_EQ(plan.body.find(lines.substr(0, 20)), std::string::npos) << plan.body;
  EXPECT_NE(plan.body.find("以上"), std::string::npos) << plan.body;
}

// Issue #22: headers. Every kept header is written anew — one of each singleton, decoded values
// without controls, folded within RFC 5322's limits — and a sender's Authentication-Results never
// passes for the gateway's own.

std::vector<std::string> header_values(const SanitizePlan& plan, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& h : plan.headers) {
    if (ascii_lower(h.name) == ascii_lower(name)) out.push_back(h.value);
  }
  return out;
}

bool has_warning(const SanitizePlan& plan, const std::string& text) {
  return std::any_of(plan.warnings.begin(), plan.warnings.end(), [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

TEST(MailHeaders, ForgedAuthenticationResultsNeverPass) {
  const std::string raw = "Authentication-Results: city.lg.jp; spf=pass smtp.mailfrom=bank.example; dkim=pass header.d=bank.example\r\n"
                          "ARC-Authentication-Results: i=1; city.lg.jp; dmarc=pass\r\nFrom: a@bank.example\r\nSubject: x\r\n\r\nbody\r\n";
  SanitizeOptions o;
  o.keep_headers.push_back("Authentication-Results");  // even when configured
  o.keep_headers.push_back("ARC-Authentication-Results");
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  EXPECT_TRUE(header_values(plan, "Authentication-Results").empty());
  EXPECT_TRUE(header_values(plan, "ARC-Authentication-Results").empty());
  EXPECT_TRUE(has_warning(plan, "incoming Authentication-Results header removed"));
  EXPECT_EQ(render_message(plan, o, "Q1").find("spf=pass"), std::string::npos);
}

TEST(MailHeaders, OneOfEachSingletonFromItsFirstOccurrence) {
  const std::string raw = "From: boss@city.lg.jp\r\nFrom: attacker@evil.example\r\nSubject: first\r\nSubject: second\r\n"
                          "Date: Tue, 1 Dec 2026 10:00:00 +0900\r\nDate: Wed, 2 Dec 2026 10:00:00 +0900\r\n\r\nbody\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_EQ(header_values(plan, "From").size(), 1u);
  EXPECT_NE(header_values(plan, "From")[0].find("boss@city.lg.jp"), std::string::npos);
  EXPECT_EQ(plan.from, "boss@city.lg.jp");
  ASSERT_EQ(header_values(plan, "Subject").size(), 1u);
  EXPECT_EQ(plan.subject, "first");
  ASSERT_EQ(header_values(plan, "Date").size(), 1u);
  EXPECT_NE(header_values(plan, "Date")[0].find("1 Dec 2026"), std::string::npos) << header_values(plan, "Date")[0];
  EXPECT_TRUE(has_warning(plan, "second From header dropped"));
  const std::string out = render_message(plan, {}, "Q1");
  EXPECT_EQ(out.find("attacker@evil.example"), std::string::npos);
  EXPECT_EQ(out.find("second"), std::string::npos);
}

TEST(MailHeaders, ControlsAndBidiOverridesAreStrippedFromDecodedValues) {
  // Subject "請求書<U+202E>fdp.exe" and a display name with ESC and U+202E, all RFC 2047 encoded;
  // a Date with a NUL in it.
  const std::string raw = "From: =?UTF-8?B?57eP5YuZ6KqyG1szMW3igK4=?= <a@example.jp>\r\nSubject: =?UTF-8?B?6KuL5rGC5pu44oCuZmRwLmV4ZQ==?=\r\n"
                          "Date: Tue, 1 Dec 2026 10:00:00 +0900" + std::string(1, '\0') + "x\r\n\r\nbody\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_EQ(plan.subject, "請求書fdp.exe");
  EXPECT_EQ(plan.from, "総務課[31m <a@example.jp>");
  EXPECT_TRUE(has_warning(plan, "Subject header: bidi-control removed"));
  EXPECT_TRUE(has_warning(plan, "From header: control-characters removed"));
  ASSERT_EQ(header_values(plan, "From").size(), 1u);
  GMimeMessage* m = sanso::testing::parse_message(render_message(plan, {}, "Q1"));
  ASSERT_NE(m, nullptr);
  InternetAddressList* from = g_mime_message_get_from(m);
  ASSERT_EQ(internet_address_list_length(from), 1);
  EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(from, 0)), "総務課[31m");
  EXPECT_STREQ(g_mime_message_get_subject(m), "請求書fdp.exe");
  g_object_unref(m);
}

TEST(MailHeaders, EveryHeaderIsFoldedWithinTheLineLimits) {
  std::string references = "References:";
  for (int i = 0; i < 100; ++i) references += " <" + std::to_string(i) + ".abcdefghijklmnop@mail.example.jp>";
  const std::string raw = references + "\r\nReceived: from x by y; " + std::string(1200, 'r') +
                          "\r\nMessage-ID: <id@example.jp>\r\nSubject: " + std::string(300, 'a') + " " + std::string(50, 'b') +
                          "\r\nIn-Reply-To: <a@b>\r\n \r\n <c@d>\r\n\r\nbody\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_TRUE(header_values(plan, "Received").empty()) << "a 1200-octet word cannot be folded";
  EXPECT_TRUE(has_warning(plan, "Received header dropped"));
  EXPECT_FALSE(has_warning(plan, "control-characters")) << "folding white space is no control character";
  ASSERT_EQ(header_values(plan, "References").size(), 1u);
  const std::string out = render_message(plan, {}, "Q1");
  const std::string head = out.substr(0, out.find("\r\n\r\n") + 2);
  std::size_t longest = 0;
  for (std::size_t at = 0, next; at < head.size(); at = next + 2) {
    next = head.find("\r\n", at);
    const std::string line = head.substr(at, next - at);
    longest = std::max(longest, line.size());
    EXPECT_FALSE(line.find_first_not_of(" \t") == std::string::npos) << "a line of white space alone ends the header for some readers";
  }
  EXPECT_LE(longest, 998u);
  GMimeMessage* m = sanso::testing::parse_message(out);
  ASSERT_NE(m, nullptr);
  EXPECT_NE(std::string(g_mime_object_get_header(GMIME_OBJECT(m), "References")).find("<99.abcdefghijklmnop@mail.example.jp>"), std::string::npos);
  EXPECT_EQ(std::string(g_mime_message_get_subject(m)), std::string(300, 'a') + " " + std::string(50, 'b'));
  g_object_unref(m);
}

// Issue #22: links are defanged in the final text whatever part they came from — the plain body
// had none defanged before, and an HTML body's bare text only lower-case http(s)/ftp.

TEST(MailBody, LinksAreDefangedInTheFinalTextOnce) {
  const std::string raw = "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                          "Log in at HTTPS://bank.example/login or www.bank-login.example, files on \\\\nas.evil.example\\share\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  EXPECT_NE(plan.body.find("Log in at hxxps://bank[.]example/login or www[.]bank-login[.]example, files on [\\\\]nas[.]evil[.]example\\share"),
            std::string::npos) << plan.body;
  SanitizePlan html = sanitize_sandboxed("Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                                         "<p>Go <a href=\"https://phish.example/a\">HTTP://PHISH.example</a></p>\r\n", {});
  EXPECT_NE(html.body.find("Go hxxp://PHISH[.]example (hxxps://phish[.]example/a)"), std::string::npos) << html.body;
  EXPECT_EQ(html.body.find("[[.]]"), std::string::npos) << "defanged twice";
  SanitizeOptions keep;
  keep.defang_links = false;
  EXPECT_NE(sanitize_sandboxed(raw, keep).body.find("HTTPS://bank.example/login"), std::string::npos);
  // A file name the sender chose is listed in the notice: no more clickable there than in the body.
  SanitizePlan named = sanitize_sandboxed(with_attachment("filename=\"https://evil.example/a.exe\"", "MZ"), {});
  const std::string notice = check_output(render_message(named, {}, "Q1"));
  EXPECT_NE(notice.find("hxxps://evil[.]example/a.exe"), std::string::npos) << notice;
  EXPECT_EQ(notice.find("https://evil.example"), std::string::npos) << notice;
}

// Issue #22 "the real sender": every message gets the banner first, clean ones included, with the
// From addr-spec (never only the display name) and the envelope sender where it differs.

// The lines of a text, without their line ends.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

TEST(MailBanner, EveryMessageShowsTheRealSenderFirstCleanOnesToo) {
  const std::string raw = "From: =?UTF-8?B?5oOF5aCx5pS/562W5L+C?= <attacker@example.net>\r\nSubject: =?UTF-8?B?6YCj57Wh?=\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n\r\nお世話になっております。\r\n";
  SanitizeOptions o;
  o.arrival = {"internet", "203.0.113.5", "bounce@mailer.example.org"};
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  ASSERT_EQ(plan.verdict, Verdict::kClean);
  ASSERT_EQ(plan.from_mailboxes.size(), 1u);
  EXPECT_EQ(plan.from_mailboxes[0].name, "情報政策係");
  EXPECT_EQ(plan.from_mailboxes[0].address, "attacker@example.net");
  const auto lines = lines_of(check_output(render_message(plan, o, "Q20261204-SENDER01")));
  ASSERT_GT(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("┏━━【Sanso 無害化のお知らせ】", 0), 0u) << "nothing of the message comes before the banner: " << lines[0];
  const auto end = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("┗", 0) == 0; });
  ASSERT_NE(end, lines.end());
  EXPECT_NE(end->find("Q20261204-SENDER01"), std::string::npos) << "the banner closes with what the sender cannot know";
  const std::vector<std::string> banner(lines.begin() + 1, end);
  for (const auto& l : banner) EXPECT_EQ(l.rfind("┃ ", 0), 0u) << l;
  auto has = [&](const std::string& text) {
    return std::any_of(banner.begin(), banner.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("差出人アドレス (From): attacker@example.net"));
  EXPECT_TRUE(has("送信元アドレス (エンベロープ): bounce@mailer.example.org"));
  EXPECT_TRUE(has("インターネットから受信しました"));
  EXPECT_TRUE(has("変換・削除したものはありません"));
  EXPECT_NE(std::find(end + 1, lines.end(), "お世話になっております。"), lines.end());

  // The envelope sender is not repeated when it is the From address; English when asked.
  o.lang = "en";
  o.arrival.envelope_sender = "Attacker@Example.NET";
  const std::string en = check_output(render_message(plan, o, "Q1"));
  EXPECT_EQ(en.rfind("┏━━ [Sanso notice]", 0), 0u) << en;
  EXPECT_NE(en.find("Sender address (From): attacker@example.net"), std::string::npos) << en;
  EXPECT_EQ(en.find("Envelope sender"), std::string::npos) << en;

  // A held message (nothing readable) still says who sent it, as far as the network knows.
  SanitizePlan held = sanitize_sandboxed(std::string(100, 'x'), [] {
    SanitizeOptions small;
    small.max_message_bytes = 10;
    return small;
  }());
  ASSERT_EQ(held.verdict, Verdict::kHeld);
  o.lang = "ja";
  o.arrival.envelope_sender = "bounce@mailer.example.org";
  const std::string held_text = check_output(render_message(held, o, "Q2"));
  EXPECT_NE(held_text.find("送信元アドレス (エンベロープ): bounce@mailer.example.org"), std::string::npos) << held_text;
}

TEST(MailBanner, BodyTextCannotPassForTheBanner) {
  // A clean mail that draws its own banner: the frame, look-alike bars, Sanso's name in full-width
  // and Cyrillic letters, one behind a line separator (U+2028) and one behind a zero-width space.
  const std::string raw = "From: a@example.net\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                          "┗━━ Sanso の表示はここまで（隔離ID Q00000000-FAKE）━━━━\r\n"
                          "┏━━【Sanso 無害化のお知らせ】━━━━━━━━━━━━━━━━\r\n"
                          "┃ 差出人アドレス (From): jouhou@city.minamata.lg.jp\r\n"
                          "   ｜ 本文はテキストのみで、変換・削除したものはありません。\r\n"
                          "【Ｓ ａ ｎ ｓ ｏ 確認済み】\r\n"
                          "\xD1\x95\xD0\xB0n\xD1\x95\xD0\xBE verified\r\n"
                          "前の行\xE2\x80\xA8┃ 偽の行\r\n"
                          "\xE2\x80\x8B▌偽の行\r\n"
                          "地区 | 状況\r\n"
                          "普通の本文です。\r\n";
  SanitizeOptions o;
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  EXPECT_EQ(plan.banner_lookalike_lines, 8u) << plan.body;
  EXPECT_TRUE(has_warning(plan, "line(s) imitating the Sanso banner quoted"));
  const auto lines = lines_of(check_output(render_message(plan, o, "Q1")));
  const auto end = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("┗", 0) == 0; });
  ASSERT_NE(end, lines.end());
  EXPECT_NE(end->find("Q1"), std::string::npos) << "the first closing line is the banner's own";
  std::size_t quoted = 0;
  for (auto it = end + 1; it != lines.end(); ++it) {
    // What a reader sees at the start of a line, invisible characters aside.
    std::string visible = *it;
    if (visible.rfind("\xE2\x80\x8B", 0) == 0) visible = visible.substr(3);
    const std::size_t start = visible.find_first_not_of(' ');
    EXPECT_FALSE(start != std::string::npos && (visible.compare(start, 3, "┃") == 0 || visible.compare(start, 3, "┏") == 0 ||
                                                visible.compare(start, 3, "┗") == 0 || visible.compare(start, 3, "｜") == 0 || visible.compare(start, 3, "▌") == 0))
        << "a body line reads as the banner: " << *it;
    quoted += it->rfind("> ", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(quoted, 8u);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "地区 | 状況"), lines.end()) << "a bar inside a line is no frame";
  EXPECT_NE(std::find(lines.begin(), lines.end(), "普通の本文です。"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "> ┃ 偽の行"), lines.end()) << "a line separator starts a line as a reader sees it";
  const auto notice = std::find_if(lines.begin(), end, [](const std::string& l) { return l.find("行頭に「> 」を付けました") != std::string::npos; });
  EXPECT_NE(notice, end) << "the banner says what was done";
}

// The banner check and comparable() read text of ASCII, full-width ASCII, kana and kanji without
// GLib (most lines and names of a city's mail; NFKC of each line was a tenth of a batch's CPU).
// Wherever they do, they must answer as NFKC does: every character taken, alone and beside
// Sanso's name spelled each way, and random lines of both kinds of character.
TEST(BannerLookalike, PlainLinesAnswerAsNormalizingDoes) {
  using internal::normalized_line_imitates_banner;
  using internal::plain_line_imitates_banner;
  // comparable() as GLib reads it, NFKC first.
  auto by_nfkc = [](const std::string& text) {
    gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
    gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
    std::string out = internal::comparable_of_nfkc(nfkc);
    g_free(nfkc);
    g_free(valid);
    return out;
  };
  std::size_t answered = 0, disagreed = 0;
  auto compare = [&](const std::string& line) {
    const auto plain = plain_line_imitates_banner(line);
    if (!plain) return;
    ++answered;
    if (*plain != normalized_line_imitates_banner(line)) {
      ++disagreed;
      ADD_FAILURE() << "the plain path and NFKC disagree on the banner: " << line;
    }
    if (internal::read_plain(line)->comparable != by_nfkc(line)) {
      ++disagreed;
      ADD_FAILURE() << "the plain path and NFKC compare differently: " << line;
    }
  };
  std::vector<std::string> taken;
  for (char32_t c = 0x3000; c <= 0xFFEF; ++c) {
    std::string one;
    append_utf8(one, c);
    if (plain_line_imitates_banner(one)) taken.push_back(one);
  }
  EXPECT_GT(taken.size(), 20000u) << "kana, kanji, full-width ASCII are taken without GLib";
  for (const std::string& c : taken) {
    for (const std::string& line : {c, " " + c + "sanso", "sa" + c + "nso", c + "|", c + " ｓａｎｓｏ", "S" + c + "ANSO", c + "s-a_n sO"}) compare(line);
  }
  // Random lines of ASCII letters and marks, full-width letters, spaces and Japanese characters.
  const std::vector<std::string> pieces = {"s", "a", "n", "o", "S", "N", "ｓ", "ａ", "ｎ", "ｏ", "Ｓ", " ", "　", "-", "_", "・", "|", "｜", "－",
                                           "＿", "の", "サ", "ン", "ソ", "漢", "丨", "、", "〜", "x", "1", "\t", "ー"};
  std::uint32_t state = 12345;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int length = 1 + static_cast<int>(state % 9);
    for (int k = 0; k < length; ++k) {
      state = state * 1103515245u + 12345u;
      line += pieces[(state >> 16) % pieces.size()];
    }
    compare(line);
  }
  EXPECT_EQ(disagreed, 0u);
  EXPECT_GT(answered, 150000u);
  // What it leaves to NFKC: other scripts' look-alikes, marks that compose, 丨, half-width kana.
  EXPECT_FALSE(plain_line_imitates_banner("\xD1\x95\xD0\xB0n\xD1\x95\xD0\xBE"));
  EXPECT_FALSE(plain_line_imitates_banner("s\xCC\x81" "anso"));
  EXPECT_FALSE(plain_line_imitates_banner("丨 偽の行"));
  EXPECT_FALSE(plain_line_imitates_banner("sｶﾞanso"));
  EXPECT_FALSE(plain_line_imitates_banner("\xFF sanso"));
  // And what it answers itself.
  EXPECT_EQ(plain_line_imitates_banner("【Ｓ ａ ｎ ｓ ｏ 確認済み】"), true);
  EXPECT_EQ(plain_line_imitates_banner("　｜ 本文はテキストのみ"), true);
  EXPECT_EQ(plain_line_imitates_banner("ｓ・ａ・ｎ・ｓ・ｏ"), true);
  EXPECT_EQ(plain_line_imitates_banner("地区 | 状況"), false);
  EXPECT_EQ(plain_line_imitates_banner("普通の本文です。"), false);
}

// Look-alike domains that evaded the skeleton: accented letters (each one edit, so two were
// "another domain"), and a look-alike spelling with another domain after it.
TEST(MailBanner, LookalikeDomainsWithAccentsOrATrailingDomainAreWarnedAbout) {
  SanitizeOptions o;
  o.arrival = {"internet", "203.0.113.5", ""};
  o.protected_domains = {"city.minamata.lg.jp"};
  o.correspondents = {{"山田 太郎", "yamada@abc-shoji.co.jp"}};
  auto findings = [&](const std::string& address) {
    SanitizePlan plan;
    plan.from_mailboxes.push_back({"", address});
    check_sender(plan, o);
    std::vector<std::string> kinds;
    for (const auto& f : plan.sender_findings) kinds.push_back(std::string(to_string(f.kind)) + ":" + f.matched);
    return kinds;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(findings("jouhou@c\xc3\xacty.m\xc3\xacnamata.lg.jp"), V{"lookalike-domain:city.minamata.lg.jp"});  // cìty.mìnamata
  EXPECT_EQ(findings("jouhou@xn--cty-nma.xn--mnamata-zya.lg.jp"), V{"lookalike-domain:city.minamata.lg.jp"}) << "the same in IDNA";
  EXPECT_EQ(findings("jouhou@c\xc3\xadty.m\xc3\xadn\xc3\xa1mata.lg.jp"), V{"lookalike-domain:city.minamata.lg.jp"});  // cíty.mínámata
  EXPECT_EQ(findings("keiri@\xc3\xa1" "bc-sh\xc3\xb3ji.co.jp"), V{"lookalike-domain:abc-shoji.co.jp"});  // ábc-shóji
  EXPECT_EQ(findings("jouhou@clty.minamata.lg.jp.example.net"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("jouhou@city-minamata-lg.jp.example.net"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("keiri@abc-sh0ji.co.jp.example.net"), V{"lookalike-domain:abc-shoji.co.jp"});
  EXPECT_EQ(findings("jouhou@cjty.minamata.lg.jp.example.net"), V{"lookalike-domain:city.minamata.lg.jp"}) << "one edit, then a tail";
  // Honest ones stay quiet: another city, a domain that only begins like a short one.
  EXPECT_TRUE(findings("info@city.minami.example").empty());
  EXPECT_TRUE(findings("info@city.minamata-kanko.example").empty());
  EXPECT_TRUE(findings("info@caf\xc3\xa9.example").empty());
}

TEST(MailBanner, DisplayNamesThatBorrowAnotherIdentityAreWarnedAbout) {
  SanitizeOptions o;
  o.arrival = {"internet", "203.0.113.5", ""};
  o.protected_names = {"水俣市", "Minamata City", "情報政策係", "市"};
  o.protected_domains = {"city.minamata.lg.jp"};
  o.correspondents = {{"山田 太郎", "yamada@abc-shoji.co.jp"}, {"山田 太郎", "taro@xyz-kogyo.co.jp"}};
  auto findings = [&](const std::string& from) {
    SanitizePlan plan = sanitize_sandboxed("From: " + from + "\r\nSubject: x\r\n\r\nbody\r\n", o);
    std::vector<std::string> kinds;
    for (const auto& f : plan.sender_findings) kinds.push_back(std::string(to_string(f.kind)) + ":" + f.matched);
    std::sort(kinds.begin(), kinds.end());
    return kinds;
  };
  using V = std::vector<std::string>;
  // Widths, spaces and case do not hide a name of the city.
  EXPECT_EQ(findings("=?UTF-8?B?5oOF5aCx44CA5pS/562W5L+C?= <attacker@example.net>"), V{"city-name:情報政策係"});  // 情報\u3000政策係
  EXPECT_EQ(findings("\"MINAMATA  CITY Hall\" <attacker@example.net>"), V{"city-name:Minamata City"});
  EXPECT_EQ(findings("=?UTF-8?B?5rC05L+j5biCIOaDheWgseaUv+etluS/gg==?= <attacker@example.net>"), V{"city-name:水俣市, 情報政策係"})
      << "one warning for every name it borrows";
  EXPECT_EQ(findings("=?UTF-8?B?77yt772J772O772B772N772B772U772BIO+8o++9ie+9lO+9mQ==?= <a@example.net>"), V{"city-name:Minamata City"});  // full-width
  // Another address in the display name, full-width or not; the city's domain named there.
  EXPECT_EQ(findings("\"jouhou@city.minamata.lg.jp\" <attacker@example.net>"),
            (V{"address-in-name:jouhou@city.minamata.lg.jp", "city-name:city.minamata.lg.jp"}));
  EXPECT_EQ(findings("=?UTF-8?B?772K772P772V772I772P772V77yg772D772J772U772Z77yO772N772J772O772B772N772B772U772B77yO772M772H77yO772K772QIOanmA==?= <x@example.net>"),  // ｊｏｕｈｏｕ＠ｃｉｔｙ．… 様
            (V{"address-in-name:jouhou@city.minamata.lg.jp", "city-name:city.minamata.lg.jp"}));
  EXPECT_EQ(findings("\"billing@bank.example\" <phish@example.net>"), V{"address-in-name:billing@bank.example"});
  // A known correspondent's name with another address; with their own address, nothing.
  EXPECT_EQ(findings("=?UTF-8?B?5bGx55Sw5aSq6YOO?= <yamada@evil.example>"), (V{"correspondent-name:山田 太郎 <taro@xyz-kogyo.co.jp>", "correspondent-name:山田 太郎 <yamada@abc-shoji.co.jp>"}));  // 山田太郎
  EXPECT_TRUE(findings("=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <Yamada@ABC-shoji.co.jp>").empty());
  EXPECT_TRUE(findings("=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@xyz-kogyo.co.jp>").empty()) << "one name, two known addresses";
  // A From listing thousands of mailboxes: the first 100 are shown and compared.
  std::string many;
  for (int i = 0; i < 3000; ++i) many += (i ? ", " : "") + std::string("x") + std::to_string(i) + "@example.net";
  SanitizePlan crowd = sanitize_sandboxed("From: " + many + "\r\nSubject: x\r\n\r\nbody\r\n", o);
  EXPECT_EQ(crowd.from_mailboxes.size(), 100u);
  // The city's own address from the internet is no proof of anything.
  EXPECT_EQ(findings("=?UTF-8?B?5oOF5aCx5pS/562W5L+C?= <jouhou@city.minamata.lg.jp>"), V{"city-address-from-internet:city.minamata.lg.jp"});
  // A combining mark NFKC cannot compose (情報政策\u0301係) does not hide the name.
  EXPECT_EQ(findings("=?UTF-8?B?5oOF5aCx5pS/562WzIHkv4I=?= <attacker@example.net>"), V{"city-name:情報政策係"});
  // Domains that imitate the city's or a correspondent's: shapes read alike, one edit, IDN in
  // Cyrillic, the city's domain as the first labels of another.
  EXPECT_EQ(findings("<jouhou@city.rninamata.lg.jp>"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("<jouhou@c1ty.minamata.lg.jp>"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("<jouhou@city.minamta.lg.jp>"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("<jouhou@city.minamata.lg.jp.example.net>"), V{"lookalike-domain:city.minamata.lg.jp"});
  EXPECT_EQ(findings("<jouhou@xn--ity-3ed.minamata.lg.jp>"), V{"lookalike-domain:city.minamata.lg.jp"});  // сity, Cyrillic с
  EXPECT_EQ(findings("<keiri@abc-sh0ji.co.jp>"), V{"lookalike-domain:abc-shoji.co.jp"});
  EXPECT_TRUE(findings("<keiri@abc-shoji.co.jp>").empty()) << "the correspondent's own domain";
  EXPECT_TRUE(findings("<soumu@city.minamata.lg.jp>").size() == 1u) << "the city's own domain is only the internet-arrival warning";
  EXPECT_TRUE(findings("<info@city.minami.example>").empty()) << "another domain, more than one edit away";
  EXPECT_TRUE(findings("<a@xyz.jp>").empty());
  // Honest names: the address itself, a one-character name (市) inside another, another city's name.
  EXPECT_TRUE(findings("\"a@example.net\" <A@example.net>").empty());
  EXPECT_TRUE(findings("=?UTF-8?B?5biC5bed5ZWG5LqL?= <ichikawa@example.net>").empty());  // 市川商事
  EXPECT_TRUE(findings("\"Minamoto Taro\" <taro@example.net>").empty());

  // The warning is in the banner, in the reader's language, and in the plan the audit record gets.
  SanitizePlan plan = sanitize_sandboxed("From: =?UTF-8?B?5oOF5aCx5pS/562W5L+C?= <attacker@example.net>\r\nSubject: x\r\n\r\nbody\r\n", o);
  const std::string ja = check_output(render_message(plan, o, "Q1"));
  EXPECT_NE(ja.find("┃ 【注意】差出人の表示名「情報政策係」は市の名称「情報政策係」に似ていますが、実際の差出人は市外のアドレス attacker@example.net です。"),
            std::string::npos) << ja;
  SanitizeOptions en = o;
  en.lang = "en";
  EXPECT_NE(check_output(render_message(plan, en, "Q1")).find("WARNING: the sender's display name \"情報政策係\" looks like the city's"), std::string::npos);
  // White space in a display name cannot push a fake frame to the start of a wrapped line.
  SanitizePlan padded = sanitize_sandboxed("From: =?UTF-8?B?5oOF5aCx5pS/562W5L+CICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIOKUl+KUgeKUgSBTYW5zbyDjga7ooajnpLrjga/jgZPjgZPjgb7jgac=?= <attacker@example.net>\r\nSubject: x\r\n\r\nbody\r\n", o);
  const std::string padded_text = check_output(render_message(padded, o, "Q1"));
  const auto warning_at = padded_text.find("【注意】");
  ASSERT_NE(warning_at, std::string::npos) << padded_text;
  const std::string warning_line = padded_text.substr(warning_at, padded_text.find('\n', warning_at) - warning_at);
  EXPECT_EQ(warning_line.find("  "), std::string::npos) << warning_line;
  auto round = plan_from_json(plan_to_json(plan));
  ASSERT_TRUE(round);
  ASSERT_EQ(round->sender_findings.size(), 1u);
  EXPECT_EQ(round->sender_findings[0].kind, SenderFindingKind::kCityName);
  EXPECT_EQ(round->sender_findings[0].address, "attacker@example.net");
  ASSERT_EQ(round->from_mailboxes.size(), 1u);
}

TEST(MailHeaders, SansoWritesTheOnlyAuthenticationResultsAndClaimsNoCheckItDidNotMake) {
  const std::string raw = "Authentication-Results: city.minamata.lg.jp; dkim=pass header.d=city.minamata.lg.jp; spf=pass\r\n"
                          "From: jouhou@city.minamata.lg.jp\r\nSubject: x\r\n\r\nbody\r\n";
  SanitizeOptions o;
  o.authserv_id = "mx.city.minamata.lg.jp";
  o.arrival = {"internet", "203.0.113.5", "a(b)\\c@evil.example"};
  SanitizePlan plan = sanitize_sandboxed(raw, o);
  const std::string out = render_message(plan, o, "Q1");
  GMimeMessage* m = sanso::testing::parse_message(out);
  ASSERT_NE(m, nullptr);
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(m));
  std::vector<std::string> results;
  for (int i = 0; i < g_mime_header_list_get_count(headers); ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    if (ascii_lower(g_mime_header_get_name(h)) == "authentication-results") results.push_back(g_mime_header_get_value(h));
    if (i == 0) {
      EXPECT_STREQ(g_mime_header_get_name(h), "Authentication-Results") << "RFC 8601 5: added at the top";
    }
  }
  g_object_unref(m);
  ASSERT_EQ(results.size(), 1u) << out;
  EXPECT_EQ(results[0].rfind("mx.city.minamata.lg.jp; none (", 0), 0u) << results[0];
  EXPECT_NE(results[0].find("source zone internet"), std::string::npos) << results[0];
  EXPECT_NE(results[0].find("client address 203.0.113.5"), std::string::npos) << results[0];
  EXPECT_NE(results[0].find("envelope sender <a\\(b\\)\\\\c@evil.example>"), std::string::npos) << results[0];
  for (const char* claim : {"dkim=", "spf=", "dmarc=", "pass"}) EXPECT_EQ(out.find(claim), std::string::npos) << claim;
  // Without an authserv-id configured, the host name; without a known arrival, no facts claimed.
  SanitizeOptions plain;
  const std::string bare = render_message(plan, plain, "Q1");
  EXPECT_EQ(bare.rfind("Authentication-Results: " + std::string(g_get_host_name()).substr(0, 20), 0), 0u) << bare.substr(0, 200);
  EXPECT_EQ(bare.substr(0, bare.find("\r\n\r\n")).find("client address"), std::string::npos);
}

// Clean ASCII address headers are written from Sanso's decoding too: their encoded-words may be
// CP50220 (NEC's ㈱, ①), which GMime's own decoder garbles — as a reader of the output then saw.
TEST(MailHeaders, AddressHeadersAreWrittenFromTheDecodedValuesWithoutGarbling) {
  auto jis_word = [](const std::string& text) {
    const std::string jis = mime::encode_iso2022jp(text);
    gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(jis.data()), jis.size());
    const std::string out = "=?ISO-2022-JP?B?" + std::string(b64) + "?=";
    g_free(b64);
    return out;
  };
  const std::string raw = "From: " + jis_word("㈱サンプル商事①") + " <info@sample.example.jp>\r\n"
                          "To: " + jis_word("髙橋") + " <takahashi@city.example.lg.jp>, plain@example.jp\r\n"
                          "Cc: =?utf-8?q?Sato=2C_=3Cboss=40city=2Eexample=2Elg=2Ejp=3E?= <ok@example.jp>\r\nSubject: x\r\n\r\nbody\r\n";
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_EQ(plan.from_mailboxes.size(), 1u);
  EXPECT_EQ(plan.from_mailboxes[0].name, "㈱サンプル商事①");
  const std::string out = render_message(plan, {}, "Q1");
  const std::string head = out.substr(0, out.find("\r\n\r\n"));
  EXPECT_TRUE(std::all_of(head.begin(), head.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) << head;
  GMimeMessage* m = sanso::testing::parse_message(out);
  ASSERT_NE(m, nullptr);
  InternetAddressList* from = g_mime_message_get_from(m);
  ASSERT_EQ(internet_address_list_length(from), 1);
  EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(from, 0)), "㈱サンプル商事①");
  EXPECT_STREQ(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(from, 0))), "info@sample.example.jp");
  InternetAddressList* to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
  ASSERT_EQ(internet_address_list_length(to), 2);
  EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(to, 0)), "髙橋");
  // What an encoded-word decodes to is a display name, never structure: a comma and brackets in
  // it make no second mailbox.
  InternetAddressList* cc = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC);
  ASSERT_EQ(internet_address_list_length(cc), 1);
  EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(cc, 0)), "Sato, <boss@city.example.lg.jp>");
  EXPECT_STREQ(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(cc, 0))), "ok@example.jp");
  g_object_unref(m);
}

// The report the quarantine keeps beside a mail is masked as it is written (issue #16: it was
// written, parsed again to mask it and rewritten for every message of a batch): the same text as
// masking the written report, every number the sender wrote masked, the program's sizes kept.
TEST(MailReport, TheKeptReportIsMaskedAsItIsWrittenWithTheSameText) {
  const std::string raw = "From: 山田 7000012050002 <a@example.com>\r\nTo: b@example.com\r\nSubject: 番号 123456789018\r\n"
                          "Message-ID: <123456789018@example.com>\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n"
                          "--b\r\nContent-Type: text/csv; name=\"山田_123456789018.csv\"\r\n"
                          "Content-Disposition: attachment; filename=\"山田_123456789018.csv\"\r\n\r\n1,2\r\n--b--\r\n";
  const SanitizePlan plan = plan_message(raw, {});
  const std::string plain = plan_report_json(plan);
  ASSERT_NE(plain.find("123456789018"), std::string::npos) << "the plan names the numbers: " << plain;
  const std::string masked = masked_plan_report_json(plan);
  EXPECT_EQ(masked, mask_identification_numbers_in_json(plain));
  EXPECT_EQ(masked.find("123456789018"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("7000012050002"), std::string::npos) << masked;
  EXPECT_NE(masked.find("山田_********9018.csv"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("\"body\":"), std::string::npos) << "no body text in a kept report: " << masked;
}

// Issue #17: the kept report's "headers" list held the Subject as its encoded-words, a number in
// base64 ("番号 123456789018"), and the masking read only digits: the stored header is the text a
// reader shows, masked; so are the subject and the Message-ID.
TEST(MailReport, AHeaderInEncodedWordsIsStoredDecodedAndMasked) {
  const std::string raw = "From: =?UTF-8?B?5bGx55SwIDcwMDAwMTIwNTAwMDI=?= <a@example.com>\r\nTo: b@example.com\r\n"
                          "Subject: =?UTF-8?B?55Wq5Y+3IDEy?= =?UTF-8?B?MzQ1Njc4OTAxOA==?=\r\n"
                          "Message-ID: <=?UTF-8?B?MTIzNDU2Nzg5MDE4?=@example.com>\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n";
  const SanitizePlan plan = plan_message(raw, {});
  const auto subject = std::find_if(plan.headers.begin(), plan.headers.end(), [](const Header& h) { return h.name == "Subject"; });
  ASSERT_NE(subject, plan.headers.end());
  EXPECT_NE(subject->value.find("MzQ1Njc4OTAxOA=="), std::string::npos) << "the plan keeps the header as it came, for the mail it writes";
  const std::string masked = masked_plan_report_json(plan);
  EXPECT_EQ(masked, mask_identification_numbers_in_json(plan_report_json(plan))) << "one masking, however the report is masked";
  for (const char* hidden : {"MzQ1Njc4OTAxOA", "55Wq5Y+3IDEy", "MTIzNDU2Nzg5MDE4", "NzAwMDAxMjA1MDAwMg", "123456789018", "7000012050002"}) {
    EXPECT_EQ(masked.find(hidden), std::string::npos) << hidden << " in " << masked;
  }
  EXPECT_NE(masked.find("[\"Subject\",\" 番号 ********9018\"]"), std::string::npos) << masked;
  EXPECT_NE(masked.find("*********0002"), std::string::npos) << masked;
}

}  // namespace
}  // namespace sanso::mail
