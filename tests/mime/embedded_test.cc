#include "mime/embedded.h"

#include <gtest/gtest.h>

namespace sanso::mime {
namespace {

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

TEST(EmbeddedFiles, OrdinaryTextIsNotABlock) {
  EXPECT_TRUE(find_embedded_files("We begin at 9.\nbegin the meeting\nbegin 99 x\n:-) see you\n=ybegin without a name\n").empty());
  EXPECT_TRUE(find_embedded_files("").empty());
}

}  // namespace
}  // namespace sanso::mime
