// Charsets through the real sandboxed path: a converter glibc loads on demand (open, mmap of a
// gconv module) must already be loaded when the seccomp filter closes, or the parser is killed
// and the mail held however harmless its body.
#include <iconv.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mail/sanitize.h"
#include "mime/charset.h"
#include "mime/transfer.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {
namespace {

// `utf8` in `charset`, converted here, outside any sandbox.
std::string encode(const std::string& utf8, const char* charset) {
  iconv_t cd = iconv_open(charset, "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1)) << charset;
  if (cd == reinterpret_cast<iconv_t>(-1)) return {};
  std::string out(utf8.size() * 8 + 16, '\0');
  char* src = const_cast<char*>(utf8.data());
  std::size_t left = utf8.size();
  char* dst = out.data();
  std::size_t room = out.size();
  EXPECT_NE(iconv(cd, &src, &left, &dst, &room), static_cast<std::size_t>(-1)) << charset;
  iconv(cd, nullptr, nullptr, &dst, &room);  // UTF-7 ends its base64 run here
  iconv_close(cd);
  out.resize(out.size() - room);
  return out;
}

std::string message(const std::string& charset, const std::string& body) {
  return "From: a@example.net\r\nTo: b@example.jp\r\nSubject: charset\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=\"" + charset + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         mime::encode_base64_lines(body);
}

bool has_flag(const SanitizePlan& plan, const std::string& flag) {
  return std::any_of(plan.parts.begin(), plan.parts.end(),
                     [&](const PartReport& p) { return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end(); });
}

TEST(MailCharsets, CharsetsOnceFatalToTheSandboxDecodeThere) {
  // The charsets of issue #22 that killed the parser; each with text only it can carry, and once
  // with a plain ASCII body (held before all the same).
  const std::pair<const char*, std::string> kCases[] = {
      {"UTF-7", "日本語 + Ünïcode"}, {"ISO-8859-3", "Ħamrun ġurnata"}, {"ISO-8859-9", "İstanbul ğüşı"},
      {"windows-1253", "Ωμέγα"},   {"IBM037", "EBCDIC text 123"},  {"Big5-HKSCS", "香港 嘅"}};
  for (const auto& [charset, text] : kCases) {
    SCOPED_TRACE(charset);
    SanitizePlan plan = sanitize_sandboxed(message(charset, encode(text, charset)), {});
    EXPECT_NE(plan.verdict, Verdict::kHeld) << plan.reason;
    EXPECT_NE(plan.body.find(text), std::string::npos) << plan.body;
    EXPECT_FALSE(has_flag(plan, "unknown-charset"));
    if (std::string(charset) != "IBM037") {  // EBCDIC's ASCII bytes are other letters
      SanitizePlan ascii = sanitize_sandboxed(message(charset, "plain ASCII body\r\n"), {});
      EXPECT_NE(ascii.verdict, Verdict::kHeld) << ascii.reason;
      EXPECT_NE(ascii.body.find("plain ASCII body"), std::string::npos) << ascii.body;
    }
  }
}

TEST(MailCharsets, AnUnknownCharsetIsAFindingNotAHeldMail) {
  for (const std::string label : {"x-no-such-charset", "utf-8//IGNORE", "../../../tmp/evil", "iso-8859-1\x01"}) {
    SCOPED_TRACE(label);
    SanitizePlan plan = sanitize_sandboxed(message(label, "Hello 世界, the meeting is at 10.\r\n"), {});
    EXPECT_NE(plan.verdict, Verdict::kHeld) << plan.reason;
    EXPECT_TRUE(has_flag(plan, "unknown-charset"));
    // Best effort: read as if unlabelled, so the UTF-8 comes through.
    EXPECT_NE(plan.body.find("Hello 世界, the meeting is at 10."), std::string::npos) << plan.body;
  }
}

// Every name `iconv -l` lists (glibc's charsets and their aliases).
std::vector<std::string> glibc_charset_names() {
  std::vector<std::string> names;
  FILE* p = popen("iconv -l 2>/dev/null", "r");
  if (p == nullptr) return names;
  char line[256];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::string l(line);
    for (std::size_t at = 0; at < l.size();) {
      std::size_t end = l.find_first_of(", \n", at);
      std::string name = l.substr(at, end == std::string::npos ? std::string::npos : end - at);
      at = end == std::string::npos ? l.size() : end + 1;
      while (!name.empty() && name.back() == '/') name.pop_back();
      // Names with a '/' inside are glibc's internal spellings of UCS-4 and UTF-8 (ISO-10646/UCS4/):
      // labels with '/' are refused on purpose (//IGNORE would drop bytes silently).
      if (!name.empty() && name.find('/') == std::string::npos) names.push_back(name);
    }
  }
  pclose(p);
  return names;
}

TEST(MailCharsets, EveryCharsetGlibcKnowsDecodesUnderTheFilter) {
  const std::vector<std::string> names = glibc_charset_names();
  if (names.empty()) GTEST_SKIP() << "iconv -l is not available";
  EXPECT_GT(names.size(), 500u);
  mime::preload_charsets();
  // One child, every name: a forbidden system call would kill it (sandbox.crash).
  auto answer = sandbox::run(
      [&names](std::string_view) -> Result<std::string> {
        std::string unknown;
        for (const auto& name : names) {
          mime::DecodedText d = mime::decode_text("Hello, world 0123456789\r\n", name);
          if (d.unknown_charset) unknown += name + " ";
        }
        return unknown;
      },
      "", sandbox::Limits{}, [] { mime::prepare_charsets(); });
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_EQ(*answer, "") << "labels glibc lists but the sandbox could not decode";
}

}  // namespace
}  // namespace sanso::mail
