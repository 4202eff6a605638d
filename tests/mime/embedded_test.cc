#include "mime/embedded.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "support/binhex.h"

#include <cstdint>

namespace sanso::mime {
namespace {

using sanso::testing::binhex;
using sanso::testing::binhex_encode;

// uuencode as `uuencode` writes it: 45 bytes a line, each led by its length.
std::string uuencode(const std::string& name, const std::string& bytes) {
  auto enc = [](unsigned v) { return static_cast<char>(v == 0 ? '`' : v + ' '); };
  std::string out = "begin 644 " + name + "\n";
  for (std::size_t at = 0; at < bytes.size(); at += 45) {
    const std::string chunk = bytes.substr(at, 45);
    out += enc(static_cast<unsigned>(chunk.size()));
    for (std::size_t i = 0; i < chunk.size(); i += 3) {
      unsigned char b[3] = {0, 0, 0};
      for (std::size_t k = 0; k < 3 && i + k < chunk.size(); ++k) b[k] = static_cast<unsigned char>(chunk[i + k]);
      out += enc(b[0] >> 2);
      out += enc(((b[0] & 3) << 4) | (b[1] >> 4));
      out += enc(((b[1] & 15) << 2) | (b[2] >> 6));
      out += enc(b[2] & 63);
    }
    out += "\n";
  }
  return out + "`\nend\n";
}

TEST(EmbeddedFiles, UuencodeIsFoundWithItsNameSizeAndExtent) {
  const std::string exe = "MZ\x90" + std::string(100, '\x01') + "This program cannot be run in DOS mode";
  const std::string block = uuencode("setup.exe", exe);
  const std::string text = "Hello,\nplease run this:\n" + block + "Thanks\n";
  auto found = find_embedded_files(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, "uuencode");
  EXPECT_EQ(found[0].name, "setup.exe");
  EXPECT_EQ(found[0].size, exe.size());
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), block);
  // Without its end line (cut off), the block still runs to where its data stops; CRLF too.
  std::string cut = block.substr(0, block.find("`\nend"));
  std::string crlf;
  for (char c : "Hi\n" + cut + "\nbye\n") crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  found = find_embedded_files(crlf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(crlf.substr(found[0].end), "\r\nbye\r\n");
  EXPECT_EQ(crlf.substr(0, found[0].begin), "Hi\r\n");
}

TEST(EmbeddedFiles, Base64UuencodeBinhexAndYencAreFound) {
  const std::string b64 = "begin-base64 755 run.sh\nIyEvYmluL3NoCnJtIC1yZiAvCg==\n====\n";
  const std::string binhex = "(This file must be converted with BinHex 4.0)\n\n"
                             ":$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!&m!*!%EMa6593K!!%!!!&mFNaKG3,r!*!$&[rr$3d,BQPZD'9i,R4PFh3!RQ+!!!!\n"
                             "!!!!:\n";
  const std::string yenc = "=ybegin line=128 size=6 name=invoice.exe\n\x77\x84\xBA\x2A\x2A\x2A\n=yend size=6\n";
  const std::string text = "a\n" + b64 + "b\n" + binhex + "c\n" + yenc + "d\n";
  auto found = find_embedded_files(text);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].kind, "uuencode-base64");
  EXPECT_EQ(found[0].name, "run.sh");
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), b64);
  EXPECT_EQ(found[1].kind, "binhex");
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), binhex);
  EXPECT_EQ(found[2].kind, "yenc");
  EXPECT_EQ(found[2].name, "invoice.exe");
  EXPECT_EQ(found[2].size, 6u);
  EXPECT_EQ(text.substr(found[2].begin, found[2].end - found[2].begin), yenc);
  EXPECT_EQ(text.substr(found[2].end), "d\n");
}

// Issue #17 (review21b 9): begin lines as GNU uudecode and Python's uu accept them — a mode of one
// digit or six, tabs, a trailing CR, no name, "begin-base64" likewise — are blocks; a begin line
// of prose ("begin 7 days later") is not, since no data line an encoder writes follows it.
TEST(EmbeddedFiles, BeginLinesAreReadAsDecodersReadThem) {
  const std::string data = uuencode("x", "山田,123456789018\n");
  const std::string lines = data.substr(data.find('\n') + 1);
  for (const std::string& begin : {"begin 7 n.csv", "begin 100644 n.csv", "begin\t644\tn.csv", "begin  0644  n.csv  ", "begin 0o644 n.csv", "BEGIN 644 n.csv\r"}) {
    const std::string text = "送ります\n" + begin + "\n" + lines + "以上\n";
    const auto found = find_embedded_files(text);
    ASSERT_EQ(found.size(), 1u) << begin;
    EXPECT_EQ(found[0].kind, "uuencode") << begin;
    EXPECT_EQ(found[0].name, "n.csv") << begin;
    EXPECT_EQ(text.substr(found[0].end), "以上\n") << begin;
  }
  // No name: a decoder told where to write takes it all the same.
  const auto nameless = find_embedded_files("begin 644\n" + lines);
  ASSERT_EQ(nameless.size(), 1u);
  EXPECT_EQ(nameless[0].name, "");
  const auto b64 = find_embedded_files("begin-base64 7 run.sh\nIyEvYmluL3NoCnJtIC1yZiAvCg==\n====\n");
  ASSERT_EQ(b64.size(), 1u);
  EXPECT_EQ(b64[0].kind, "uuencode-base64");
  // Prose: a begin line a decoder would take, but nothing after it that decodes.
  for (const std::string& prose : std::vector<std::string>{"begin 7 days later we meet\nHELLO everyone\n", "Begin 2 weeks\nfrom now\n", "begin 644\n", "begin 1 x\nABC\nend?\n",
                                   "begin 99 x\nM86)C\n"}) {
    EXPECT_TRUE(find_embedded_files(prose).empty()) << prose;
  }
}

// Issue #17 (review21b 10): an old Mac's text ends its lines with CR alone; decoders split it into
// lines all the same.
TEST(EmbeddedFiles, LinesEndingInCrAloneAreLines) {
  std::string block = uuencode("setup.exe", "MZ" + std::string(200, '\x01'));
  std::replace(block.begin(), block.end(), '\n', '\r');
  const std::string text = "Hi\r" + block + "bye\r";
  const auto found = find_embedded_files(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "setup.exe");
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), block);
  std::string hqx = "(This file must be converted with BinHex 4.0)\r\r" + binhex("a.exe", std::string(300, 'M')) + "\r";
  std::replace(hqx.begin(), hqx.end(), '\n', '\r');
  const auto mac = find_embedded_files("x\r" + hqx + "y\r");
  ASSERT_EQ(mac.size(), 1u);
  EXPECT_EQ(mac[0].kind, "binhex");
  EXPECT_EQ(mac[0].name, "a.exe");
  EXPECT_EQ(mac[0].size, 300u);
}

// Issue #17 (review21b 10): a short BinHex on one line, without the banner, is found — by its
// header decoding with its CRC, not by its shape: ":)", a time, a Japanese line with colons, a
// short run of the alphabet after ':' stay prose.
TEST(EmbeddedFiles, BinHexWithoutItsBannerIsFoundByItsHeader) {
  const std::string one = binhex("n.csv", "1,2\n", "", true, 0);
  ASSERT_LT(one.size(), 64u);
  for (const std::string& text : {"見てください\n" + one + "\nよろしく\n", "見てください\r\n  " + one + "\r\nよろしく\r\n", "file: " + one + " (csv)\n"}) {
    const auto found = find_embedded_files(text);
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].kind, "binhex");
    EXPECT_EQ(found[0].name, "n.csv");
    EXPECT_EQ(found[0].size, 4u);
    EXPECT_EQ(text[found[0].data_at], ':');
    EXPECT_EQ(text.substr(found[0].end).find("よろしく") == 0 || found[0].end == text.size(), true) << text;
  }
  // Over several lines, no banner, the first line short.
  const std::string lines = binhex("report.exe", std::string(500, 'x') + "MZ", "", false, 20);
  const auto multi = find_embedded_files("a\n" + lines + "\nb\n");
  ASSERT_EQ(multi.size(), 1u);
  EXPECT_EQ(multi[0].name, "report.exe");
  EXPECT_EQ(("a\n" + lines + "\nb\n").substr(multi[0].end), "b\n");
  std::string broken = one;
  broken[10] = broken[10] == 'A' ? 'B' : 'A';  // the header's CRC no longer matches
  for (const std::string& prose : std::vector<std::string>{":)\n:-)\n:):):)\n", "会議は10:30から:です\n", "件名：テスト：確認\n", "Note: :abcdef: ok\n", broken + "\n",
                                   ":" + std::string(50, 'A') + ":\n", "すごい:" + std::string(60, '!') + "\n", ":" + std::string(70, '-') + "\n", std::string(70, ':') + "\n", ":" + std::string(70, '!') + "\n", "時刻 12:00:00、場所: 本庁舎\n"}) {
    EXPECT_TRUE(find_embedded_files(prose).empty()) << prose;
  }
}

// Issue #17 H1: a BinHex file without a name (a header whose name length is 0) is a file to every
// decoder (macutils' hexbin, StuffIt write it under a name of their own): found in a body or a
// .txt as one with a name is. A header of zeros (a run of '!') still names no file.
TEST(EmbeddedFiles, BinHexWithoutANameIsFound) {
  const std::string nameless = binhex("", "山田,123456789018\n", "", true, 0);
  for (const std::string& text : {"送ります " + nameless + "\n以上\n", nameless + "\n", "a\n" + binhex("", std::string(400, 'x'), "", false, 20) + "\nb\n"}) {
    const auto found = find_embedded_files(text);
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].kind, "binhex");
    EXPECT_EQ(found[0].name, "");
    EXPECT_EQ(text[found[0].data_at], ':');
    const auto file = decode_binhex(text.substr(found[0].data_at, found[0].end - found[0].data_at), 1 << 20);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->name, "");
  }
  EXPECT_EQ(find_embedded_files("resource only: " + binhex("", "", "rsrc", true, 0) + "\n").size(), 1u) << "a resource fork alone";
  EXPECT_TRUE(find_embedded_files("x " + binhex("", "", "", true, 0) + "\n").empty()) << "a nameless file of nothing: all zeros";
}

// Issue #17 H2: the ':' that opens the data alone at a line's end (or on a line of its own), the
// data on the next lines: decoders pass over the line ends before the data as within it.
TEST(EmbeddedFiles, BinHexWhoseDataStartsOnTheNextLineIsFound) {
  const std::string one = binhex("n.csv", "山田,123456789018\n" + std::string(300, 'y'), "", false, 0);
  std::string lines;  // the data after the ':' in lines of 64
  for (std::size_t at = 1; at < one.size(); at += 64) lines += one.substr(at, 64) + "\n";
  for (const std::string& text : {"以下のとおりです:\n" + lines + "よろしく\n", "x\n:\r\n" + lines + "よろしく\n", "添付: \n\n" + lines + "よろしく\n"}) {
    const auto found = find_embedded_files(text);
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].kind, "binhex");
    EXPECT_EQ(found[0].name, "n.csv");
    EXPECT_EQ(text.substr(found[0].end), "よろしく\n") << text;
    const auto file = decode_binhex(text.substr(found[0].data_at, found[0].end - found[0].data_at), 1 << 20);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->data.substr(0, 7), "山田,");
  }
  // A blank line inside the data is passed over too: the block runs on to its closing ':'.
  const std::string gap = "data:\n" + lines.substr(0, 130) + "\n" + lines.substr(130) + "end\n";
  const auto found = find_embedded_files(gap);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(gap.substr(found[0].end), "end\n");
  EXPECT_TRUE(decode_binhex(gap.substr(found[0].data_at, found[0].end - found[0].data_at), 1 << 20));
  // A line ending in ':' before prose is prose.
  EXPECT_TRUE(find_embedded_files("以下のとおりです:\nabc def\n件名:\n\n会議\n").empty());
}

// Issue #17 M3: a header's CRC alone matches one ':' of ordinary text in 65,536. This token after
// "session:" is such a one (found by a search over random tokens): its header's CRC matches, but
// its version byte is not 0, its name holds controls and its forks are longer than any data that
// follows — no encoder wrote it. Thousands of lines of ordinary text with colons (urn:uuid:…,
// times, tokens after a key) give no BinHex; files beside them still do.
TEST(EmbeddedFiles, OrdinaryTextWithColonsIsNeverReadAsBinHex) {
  const std::string chance = "2X9rNr2C6QCE2156S8NAlNp6pc6lBdjHRHCU4RbNc1k6C0D8fXqLYqVG0DqrM0pMQ8jIHSBiI300DBcSj2MqZ06eEej3ei5PH5P0PDY6riKJQIiY";
  EXPECT_TRUE(find_embedded_files("session:" + chance + "\n").empty());
  // A header with its CRC that no encoder writes: a version of 1, a Finder type of controls, forks
  // of nothing but the header says 4 GB.
  const auto header_only = [](const std::string& header) {
    return binhex_encode(header + sanso::testing::be(sanso::testing::crc16(header), 2) + std::string(40, 'z'), false, 0);
  };
  const std::string fields = std::string("\x05hello", 6);
  EXPECT_TRUE(find_embedded_files("x " + header_only(fields + std::string("\x01", 1) + "TEXTttxt" + std::string(2, '\0') + sanso::testing::be(4, 4) + sanso::testing::be(0, 4)) + "\n").empty())
      << "version 1";
  EXPECT_TRUE(find_embedded_files("x " + header_only(fields + std::string(1, '\0') + std::string("\x01\x02\x03\x04", 4) + "ttxt" + std::string(2, '\0') +
                                                     sanso::testing::be(4, 4) + sanso::testing::be(0, 4)) + "\n")
                  .empty())
      << "a type of controls";
  EXPECT_TRUE(find_embedded_files("x " + header_only(fields + std::string(1, '\0') + "TEXTttxt" + std::string(2, '\0') + sanso::testing::be(0xFFFFFFF0u, 4) +
                                                     sanso::testing::be(0, 4)) + "\n")
                  .empty())
      << "a data fork longer than the text can carry";
  EXPECT_TRUE(find_embedded_files("x " + binhex("a.csv", "1,2,3\n", "", true, 0, true) + "\n").empty()) << "a data fork whose CRC does not match";
  // Generated ordinary text: many colons, tokens of the alphabet after some.
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string_view hex = "0123456789abcdef";
  const std::string_view token = "0123456789ABCDEFGHIJKLMNPQRSTUVXYZabcdefhijklmpqr";
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    std::string uuid;
    for (int k = 0; k < 32; ++k) {
      if (k == 8 || k == 12 || k == 16 || k == 20) uuid += '-';
      uuid += hex[next() % 16];
    }
    std::string key;
    for (int k = 0; k < 100; ++k) key += token[next() % token.size()];
    text += "<id>urn:uuid:" + uuid + "</id> 時刻: " + std::to_string(next() % 24) + ":" + std::to_string(10 + next() % 50) + " id:" + key + "\n";
  }
  EXPECT_TRUE(find_embedded_files(text).empty());
  const auto among = find_embedded_files(text + "file:" + binhex("a.exe", "MZ", "", true, 0) + "\n" + text.substr(0, 10000));
  ASSERT_EQ(among.size(), 1u);
  EXPECT_EQ(among[0].name, "a.exe");
}

// Issue #17 L3: bytes after the resource fork (before the closing ':') are no part of the file to a
// decoder; dropped unread they would carry anything past the check, so the file cannot be read.
// An encoder's padding (up to three zero bytes) is not such bytes.
TEST(EmbeddedFiles, BytesAfterTheResourceForkMakeBinHexMalformed) {
  for (const std::string& after : {std::string("123456789018"), std::string("\x01", 1), std::string(4, '\0'), std::string(300, 'A')}) {
    const auto file = decode_binhex(binhex("a.csv", "1,2\n", "rsrc", true, 0, false, after), 1 << 20);
    ASSERT_FALSE(file) << after.size();
    EXPECT_EQ(file.error().code, "embedded.binhex-malformed");
    EXPECT_NE(file.error().message.find("follow the resource fork"), std::string::npos) << file.error().message;
  }
  const auto padded = decode_binhex(binhex("a.csv", "1,2\n", "", true, 0, false, std::string(2, '\0')), 1 << 20);
  ASSERT_TRUE(padded) << padded.error().message;
  EXPECT_EQ(padded->data, "1,2\n");
}

TEST(EmbeddedFiles, BinHexDecodesWithBothForksAndItsCrcs) {
  const std::string data = std::string(1000, '\0') + "\x90\x90\x90 MZ" + std::string(5, '\x90') + "end";
  const std::string text = binhex("doc.xls", data, "rsrc bytes");
  auto file = decode_binhex(text, 1 << 20);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->name, "doc.xls");
  EXPECT_EQ(file->type, "TEXT");
  EXPECT_EQ(file->creator, "ttxt");
  EXPECT_EQ(file->data, data);
  EXPECT_EQ(file->resource, "rsrc bytes");
  // Blanks and CRs inside the data are skipped, as decoders skip them.
  std::string spaced;
  for (char c : text) spaced += c == '\n' ? std::string(" \r\n\t") : std::string(1, c);
  EXPECT_TRUE(decode_binhex(spaced, 1 << 20));
  // A fork's CRC that does not match, data cut short, a character outside the alphabet, forks
  // larger than allowed: errors that say which.
  const auto crc = decode_binhex(binhex("doc.xls", data, "", true, 64, true), 1 << 20);
  ASSERT_FALSE(crc);
  EXPECT_EQ(crc.error().code, "embedded.binhex-malformed");
  EXPECT_NE(crc.error().message.find("data fork's CRC"), std::string::npos) << crc.error().message;
  const auto cut = decode_binhex(text.substr(0, text.size() / 2), 1 << 20);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("ends after"), std::string::npos) << cut.error().message;
  std::string foreign = text;
  foreign[30] = '7';  // not in BinHex's alphabet
  EXPECT_FALSE(decode_binhex(foreign, 1 << 20));
  const auto big = decode_binhex(text, 100);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "embedded.binhex-limit");
  EXPECT_FALSE(decode_binhex(":", 100));
  EXPECT_FALSE(decode_binhex("", 100));
  // A run-length code with nothing before it is no data.
  EXPECT_FALSE(decode_binhex(":" + std::string("Fb") + ":", 100));
}

// Every ':' is tried, but each try reads at most a header's worth: a text of colons and
// alphabet is read in time linear in it (ASan would take minutes were it quadratic).
TEST(EmbeddedFiles, ColonsEverywhereAreReadQuickly) {
  std::string text;
  while (text.size() < (std::size_t{1} << 20)) text += ":ABCDEFGHIJKLMNPQRSTUVXYZabcdefhijklmpqr!!!!!! \n:";
  EXPECT_TRUE(find_embedded_files(text).empty());
}

TEST(EmbeddedFiles, OrdinaryTextIsNotABlock) {
  EXPECT_TRUE(find_embedded_files("We begin at 9.\nbegin the meeting\nbegin 99 x\n:-) see you\n=ybegin without a name\n").empty());
  EXPECT_TRUE(find_embedded_files("").empty());
}

}  // namespace
}  // namespace sanso::mime
