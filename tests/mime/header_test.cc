#include "mime/header.h"

#include <gtest/gtest.h>

namespace sanso::mime {
namespace {

TEST(HeaderText, PlainAndEncodedWords) {
  EXPECT_EQ(decode_header_text("Hello world").utf8, "Hello world");
  EXPECT_EQ(decode_header_text("=?UTF-8?B?5pel5pys6Kqe?=").utf8, "日本語");
  EXPECT_EQ(decode_header_text("=?iso-8859-1?q?caf=E9_au_lait?=").utf8, "café au lait");
  EXPECT_EQ(decode_header_text("Re: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= test").utf8, "Re: 日本語 test");
}

TEST(HeaderText, AdjacentWordsJoinBeforeDecoding) {
  // 日本語 in UTF-8 split inside a character across two words, folded across lines.
  EXPECT_EQ(decode_header_text("=?UTF-8?B?5pel5g==?=\r\n =?UTF-8?B?nKzoqp4=?=").utf8, "日本語");
  // ISO-2022-JP split mid-sequence: the second word has no escape of its own.
  EXPECT_EQ(decode_header_text("=?ISO-2022-JP?B?GyRCRnw=?= =?ISO-2022-JP?B?S1w4bBsoQg==?=").utf8, "日本語");
  // Different charsets are decoded separately.
  EXPECT_EQ(decode_header_text("=?UTF-8?B?5pel?= =?ISO-8859-1?Q?=E9?=").utf8, "日é");
}

TEST(HeaderText, LenientWhereJapaneseMailersAreSloppy) {
  EXPECT_EQ(decode_header_text("abc=?UTF-8?B?5pel?=def").utf8, "abc日def");        // no surrounding spaces
  EXPECT_EQ(decode_header_text("\"=?UTF-8?B?55Sw5Lit?=\" <t@example.jp>").utf8, "\"田中\" <t@example.jp>");
  EXPECT_EQ(decode_header_text("=?shift_jis?B?k/qWe4zq?=").utf8, "日本語");
  EXPECT_EQ(decode_header_text("=?UTF-8*ja?B?5pel?=").utf8, "日");  // RFC 2231 language suffix
  EXPECT_EQ(decode_header_text("=?UTF-8?B?5pel5pys6Kqe?").utf8, "=?UTF-8?B?5pel5pys6Kqe?");  // unterminated: literal
}

TEST(HeaderText, Raw8BitIsDetectedAndFlagged) {
  auto sjis = decode_header_text("\x93\xfa\x96\x7b\x8c\xea");
  EXPECT_EQ(sjis.utf8, "日本語");
  EXPECT_TRUE(sjis.raw_8bit);
  auto utf8 = decode_header_text("件名 テスト");
  EXPECT_EQ(utf8.utf8, "件名 テスト");
  EXPECT_TRUE(utf8.raw_8bit);
  auto bad = decode_header_text("=?UTF-8?B?/w==?=");  // 0xFF
  EXPECT_EQ(bad.replaced, 1u);
}

TEST(Parameter, Rfc2231ContinuationsWithCharset) {
  std::vector<std::pair<std::string, std::string>> p = {
      {"filename*0*", "ISO-2022-JP''%1B%24BF%7C"}, {"filename*1*", "K%5C8l%1B%28B"}, {"filename*2", ".pdf"}};
  auto name = decode_parameter(p, "filename");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->utf8, "日本語.pdf");
  std::vector<std::pair<std::string, std::string>> single = {{"FILENAME*", "UTF-8'ja'%E8%A6%8B%E7%A9%8D.xlsx"}};
  EXPECT_EQ(decode_parameter(single, "filename")->utf8, "見積.xlsx");
  std::vector<std::pair<std::string, std::string>> rfc2047 = {{"name", "=?UTF-8?B?6KaL56mN?=.xlsx"}};
  EXPECT_EQ(decode_parameter(rfc2047, "name")->utf8, "見積.xlsx");
  std::vector<std::pair<std::string, std::string>> raw = {{"name", "\x8c\xa9\x90\xcf.xlsx"}};  // raw CP932
  auto r = decode_parameter(raw, "name");
  EXPECT_EQ(r->utf8, "見積.xlsx");
  EXPECT_TRUE(r->raw_8bit);
  EXPECT_FALSE(decode_parameter(raw, "filename"));
}

TEST(HeaderText, EncodingRoundTripsAndFolds) {
  EXPECT_EQ(encode_header_text("plain ASCII", "utf-8"), "plain ASCII");
  const std::string subject = "【至急】令和8年度 予算要求資料の提出について（①〜⑳の様式、㈱サンプル商事）";
  for (const char* cs : {"utf-8", "iso-2022-jp"}) {
    std::string encoded = encode_header_text(subject, cs);
    for (std::size_t start = 0, nl; start < encoded.size(); start = nl + 2) {
      nl = encoded.find("\r\n", start);
      if (nl == std::string::npos) nl = encoded.size();
      EXPECT_LE(nl - start, 76u) << cs;
    }
    EXPECT_NE(encoded.find("\r\n "), std::string::npos) << "long subjects are folded";
    EXPECT_EQ(decode_header_text(encoded).utf8, subject) << cs;
  }
}

// One encoder of file names for HTTP's filename* and MIME's RFC 2231 parameters (it was four): a
// name of any bytes comes back through the RFC 2231 reader as it went in, and nothing in the
// encoded text or the ASCII stand-in can end the parameter or the header.
TEST(Parameter, AFileNameOfAnyBytesIsEncodedOnceForHeadersAndReadBack) {
  const std::string hostile = "報告書\"; filename=evil.exe\r\nX-Injected: 1%;\\\x01\x7f.xlsx";
  const std::string encoded = percent_encode_ext_value(hostile);
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_%"), std::string::npos) << encoded;
  EXPECT_EQ(percent_encode_ext_value("a-b_c.TXT"), "a-b_c.TXT");
  EXPECT_EQ(percent_encode_ext_value("月 報"), "%E6%9C%88%20%E5%A0%B1");
  auto back = decode_parameter({{"filename*", "UTF-8''" + encoded}}, "filename");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->utf8.substr(0, 9), "報告書") << "the Japanese name reads back";
  EXPECT_NE(back->utf8.find("evil.exe"), std::string::npos);

  const std::string header = attachment_disposition(hostile, hostile);
  EXPECT_EQ(header.find_first_of("\r\n"), std::string::npos) << header;
  EXPECT_EQ(header.rfind("attachment; filename=\"", 0), 0u) << header;
  const std::size_t close = header.find('"', std::string("attachment; filename=\"").size());
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(header.substr(close, 12), "\"; filename*") << "the stand-in's quote is the only one: " << header;
  EXPECT_EQ(percent_encode_ext_value("\xff\x80"), "%FF%80") << "bytes that are no UTF-8 too";
  EXPECT_EQ(header.find(';', std::string("attachment;").size()), close + 1) << "no ';' of the name in the stand-in";
}

// The RFC 2231 pieces of a header Sanso writes: each piece at most kExtendedPieceOctets, cut only
// between characters; a run of stray continuation bytes (no UTF-8) is still cut; the pieces read
// back as the one name.
TEST(Parameter, ALongNameIsContinuedInPiecesOfWholeCharacters) {
  std::string name;
  for (int i = 0; i < 20; ++i) name += "①ｶﾅ";
  name += ".pdf";
  const auto pieces_of = [](const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t at = 0; (at = text.find(";\r\n ", at)) != std::string::npos;) {
      at += 4;
      const std::size_t eq = text.find('=', at), end = std::min(text.find(';', at), text.size());
      out.emplace_back(text.substr(at, eq - at), text.substr(eq + 1, end - eq - 1));
    }
    return out;
  };
  const std::string text = extended_parameter_pieces("filename", name);
  const auto pieces = pieces_of(text);
  ASSERT_GT(pieces.size(), 3u) << text;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_EQ(pieces[i].first, "filename*" + std::to_string(i) + "*");
    EXPECT_LE(pieces[i].second.size(), kExtendedPieceOctets) << pieces[i].second;
    // ①, ｶ and ﾅ are three octets each: a piece starts with a character's first octet.
    const std::string value = i == 0 ? pieces[i].second.substr(7) : pieces[i].second;
    ASSERT_GE(value.size(), 2u);
    EXPECT_TRUE(value[0] != '%' || value[1] == 'E') << value;
  }
  auto back = decode_parameter(pieces, "filename");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->utf8, name);
  for (const auto& [key, value] : pieces_of(extended_parameter_pieces("filename", std::string(200, '\x80')))) {
    EXPECT_LE(value.size(), kExtendedPieceOctets) << "stray continuation bytes are cut too";
  }
  EXPECT_EQ(extended_parameter_pieces("filename", ""), ";\r\n filename*0*=UTF-8''");
  EXPECT_EQ(extended_parameter_pieces("filename", "a b"), ";\r\n filename*0*=UTF-8''a%20b");
}

}  // namespace
}  // namespace sanso::mime
