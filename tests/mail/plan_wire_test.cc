// The plan's wire form between the parse worker and the parent: it carries what the JSON carried,
// and the parent reads it as bytes a compromised worker may have written.
#include "mail/sanitize.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "mail/full_plan.h"

namespace sanso::mail {
namespace {

// What the parent had when the plan crossed as JSON.
std::string as_json_crossed(const SanitizePlan& plan) {
  auto back = plan_from_json(plan_to_json(plan, true));
  EXPECT_TRUE(back) << back.error().to_string();
  return back ? plan_to_json(*back, true) : "";
}

TEST(PlanWire, CarriesWhatTheJsonCarried) {
  const SanitizePlan plan = full_plan();
  auto back = plan_from_wire(plan_to_wire(plan));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(plan_to_json(*back, true), as_json_crossed(plan));
  EXPECT_EQ(back->pending.at(0).second, std::string("\0\x01\x02\xFF", 4)) << "bytes cross as they are";
  EXPECT_EQ(back->attachments.at(0).bytes, std::string("%PDF-1.7\0\xFF\x80", 11));
  EXPECT_EQ(back->parser_findings.at(0).unknown_code, 4242);
  EXPECT_EQ(back->parser_findings.at(0).offset, -1);
  EXPECT_NE(back->body.find("\xEF\xBF\xBD"), std::string::npos) << "bad bytes arrive as U+FFFD, as through the JSON";

  // A real parse, with an attachment left for the engine.
  SanitizeOptions o;
  o.attachment_action = AttachmentAction::kSanitize;
  const std::string raw =
      "From: a@example.com\r\nTo: b@city.minamata.lg.jp\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nPTErMgo=\r\n--b--\r\n";
  const SanitizePlan parsed = plan_message(raw, o);
  ASSERT_EQ(parsed.pending.size(), 1u);
  auto parsed_back = plan_from_wire(plan_to_wire(parsed));
  ASSERT_TRUE(parsed_back) << parsed_back.error().to_string();
  EXPECT_EQ(plan_to_json(*parsed_back, true), as_json_crossed(parsed));
  EXPECT_EQ(parsed_back->pending.at(0).second, "=1+2\n");
}

TEST(PlanWire, EveryTruncationAndTrailingByteIsABrokenAnswer) {
  const std::string wire = plan_to_wire(full_plan());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto cut = plan_from_wire(std::string_view(wire).substr(0, n));
    ASSERT_FALSE(cut) << "cut at " << n;
    EXPECT_EQ(cut.error().code, "mail.plan");
  }
  auto trailing = plan_from_wire(wire + "x");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("bytes follow the plan"), std::string::npos) << trailing.error().message;
  EXPECT_FALSE(plan_from_wire("{\"verdict\":\"clean\"}")) << "JSON is not the wire form";
}

TEST(PlanWire, HostileFieldsAreRefusedNotRead) {
  SanitizePlan plan;
  plan.verdict = Verdict::kSanitized;
  plan.reason = "RRRR";
  const std::string wire = plan_to_wire(plan);
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string w = wire;
    const auto at = w.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) w.replace(at, from.size(), to);
    return w;
  };
  // An unknown word, quoted in the reason.
  auto word = plan_from_wire(replaced("\x09sanitized", "\x06passed"));
  ASSERT_FALSE(word);
  EXPECT_NE(word.error().message.find("'passed'"), std::string::npos) << word.error().message;
  // A text that is not UTF-8 (an honest worker sends U+FFFD instead).
  auto text = plan_from_wire(replaced("RRRR", "\xFF\xFERR"));
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("not UTF-8"), std::string::npos) << text.error().message;
  // A count of headers far beyond the answer: refused before anything is made for it.
  auto count = plan_from_wire(replaced("RRRR\x00", std::string("RRRR\xFF\xFF\xFF\xFF\x0F", 9)));
  ASSERT_FALSE(count);
  EXPECT_NE(count.error().message.find("count is larger"), std::string::npos) << count.error().message;
  // A length past the end, a number of eleven bytes.
  auto length = plan_from_wire(replaced("\x04RRRR", "\x7FRRRR"));
  ASSERT_FALSE(length);
  auto number = plan_from_wire(replaced("RRRR\x00", std::string("RRRR\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 15)));
  ASSERT_FALSE(number);
  EXPECT_NE(number.error().message.find("number"), std::string::npos) << number.error().message;
  // A pending attachment of a part that does not exist.
  SanitizePlan stray = plan;
  stray.pending = {{5, "bytes"}};
  auto part = plan_from_wire(plan_to_wire(stray));
  ASSERT_FALSE(part);
  EXPECT_NE(part.error().message.find("part that does not exist"), std::string::npos) << part.error().message;
}

std::string varint(std::uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}

// Peak resident memory (KiB) of a child process that reads `wire` (a fresh high-water mark, not
// this test binary's), and whether the reader took it (exit 1) or refused it (exit 0).
struct Reading {
  long peak_kib = 0;
  int exit_code = -1;
};
Reading read_in_child(const std::string& wire) {
  const pid_t pid = fork();
  if (pid == 0) {
    const auto plan = plan_from_wire(wire);
    _exit(plan ? 1 : 0);
  }
  int status = 0;
  rusage usage{};
  EXPECT_EQ(wait4(pid, &status, 0, &usage), pid);
  return {usage.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// review24a H1: a count is only a claim. A parts count as large as the bytes after it (a megabyte
// of zeros) made the parent build a megabyte of parts — 200 bytes each — before reading one; items
// are now made as they are read, and the first fault ends the walk.
TEST(PlanWire, AHostileCountCostsNoMoreThanTheBytesBehindIt) {
  const std::string empty = plan_to_wire(SanitizePlan{});
  ASSERT_EQ(empty.substr(0, 14), std::string("\x04SPW1\x05" "clean\0\0\0", 14)) << "magic, verdict, reason, headers, body";
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  const std::string hostile = empty.substr(0, 14) + varint(kMiB) + std::string(kMiB, '\0');
  // The same size of answer, its megabyte in the body: read and copied once.
  const std::string plain = empty.substr(0, 13) + varint(kMiB) + std::string(kMiB, 'x') + empty.substr(14);
  const Reading baseline = read_in_child(plain);
  const Reading claimed = read_in_child(hostile);
  EXPECT_EQ(baseline.exit_code, 1) << "the plain answer is a plan";
  EXPECT_EQ(claimed.exit_code, 0) << "the hostile answer is refused";
  EXPECT_LT(claimed.peak_kib - baseline.peak_kib, 16 * 1024) << "KiB more than reading a body of the same size";
  auto refused = plan_from_wire(hostile);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "mail.plan");
}

}  // namespace
}  // namespace sanso::mail
