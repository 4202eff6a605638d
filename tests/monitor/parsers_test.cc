// Every log format with a known violation and known-good flows, built here; and hostile input:
// lines of 1 MB, invalid UTF-8, truncated gzip, broken headers, a flood of one flow.
#include "monitor/parsers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>

#include "monitor_fixtures.h"

namespace sanso::monitor {
namespace {

using testing::gzip;
using testing::scan_file;
using testing::scan_text;

// The same four flows in each format: a mynumber host reaching the internet (6(3)①), an LGWAN
// terminal on the sanctioned screen-transfer server (fine), an LGWAN terminal reaching an
// internet-zone host directly (6(3)②), and LGWAN to LGWAN (fine).
const std::vector<std::string> kExpected = {"mynumber-egress", "lgwan-internet"};

std::string zeek_tsv() {
  return "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-12-05-01-00-00\n"
         "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n"
         "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n"
         "1796000000.123456\tC1\t192.0.2.10\t50000\t100.64.1.1\t443\ttcp\tssl\t1.0\t1000\t2000\tSF\n"
         "1796000001.000000\tC2\t198.51.100.20\t50001\t203.0.113.25\t443\ttcp\tssl\t1.0\t1000\t2000\tSF\n"
         "1796000002.000000\tC3\t198.51.100.20\t50002\t203.0.113.26\t443\ttcp\tssl\t1.0\t-\t-\tS0\n"
         "1796000003.000000\tC4\t198.51.100.20\t50003\t198.51.100.21\t445\ttcp\t-\t1.0\t10\t10\tSF\n"
         "#close\t2026-12-05-02-00-00\n";
}

TEST(MonitorParsers, ZeekTsv) {
  auto out = scan_text(zeek_tsv());
  ASSERT_EQ(out.reports.size(), 1u);
  EXPECT_EQ(out.reports[0].format, Format::kZeek);
  EXPECT_EQ(out.reports[0].flows, 4u);
  EXPECT_EQ(out.reports[0].malformed, 0u);
  EXPECT_EQ(out.rules(), kExpected);
  EXPECT_EQ(out.findings[0].first_seen, 1796000000);
  EXPECT_EQ(out.findings[0].line, 9u);
  EXPECT_EQ(policy::format_ip(out.findings[0].src), "192.0.2.10");
  EXPECT_EQ(out.findings[0].dport, 443);
  EXPECT_EQ(out.findings[0].proto, kProtoTcp);
}

// The scan's own IPv4 reading accepts exactly what policy::parse_ip accepts, as the same address.
// An address column that ends at its separator is read without a check of the end before every
// byte; one that ends the line (id.orig_h last, below) is read with them: both as the policy reads.
// Addresses as text, well-formed and not, and 20,000 strings of digits and dots.
std::vector<std::string> address_texts() {
  std::vector<std::string> texts = {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.", ".1.2.3", "1..2.3", "01.2.3.4", "1.2.3.04", "10.0.0.0",
                                    "1.2.3.400", "1.2.3.4x", "1.2.3.4 ", " 1.2.3.4", "1234.1.1.1", "99.199.249.255", "300.300.300.300", "1.2.3.-4", "1.2.3.+4",
                                    "::ffff:1.2.3.4", "2001:db8::1", "", "1.2.3.4/24", "0.00.0.0", "9.9.9.9", "1.2.3.4\r", "1", "1.", "1.2.3.",
                                    "1.2.3.4.5"};
  std::uint64_t x = 7;
  const char pieces[] = "0123456789..";
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    const int n = 7 + static_cast<int>((x >> 60) % 10);
    for (int k = 0; k < n; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      t += pieces[(x >> 33) % 12];
    }
    texts.push_back(t);
  }
  return texts;
}

// A check run with the parsers as this processor gets them (the Zeek and FortiGate ones compiled
// for SSSE3 where it has it) and as any x86-64 processor does (ParserContext::plain).
void with_both_parsers(void (*check)(const ParserContext&)) {
  for (const bool plain : {false, true}) {
    SCOPED_TRACE(plain ? "the parsers of any x86-64" : "the parsers of this processor");
    ParserContext context;
    context.plain = plain;
    check(context);
  }
}

void ipv4_is_read_as_the_policy_reads_it(const ParserContext& context) {
  auto parser = FlowParser::make(Format::kZeek, context);
  auto at_end = FlowParser::make(Format::kZeek, context);
  Flow f;
  ASSERT_EQ(parser->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", f).verdict, Verdict::kSkip);
  ASSERT_EQ(at_end->parse("#fields\tts\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tid.orig_h", f).verdict, Verdict::kSkip);
  const std::vector<std::string> texts = address_texts();
  for (const std::string& text : texts) {
    const LineResult r = parser->parse("1796000000.0\t" + text + "\t1\t192.0.2.1\t2\ttcp", f);
    const auto expected = policy::parse_ip(text);
    ASSERT_EQ(r.verdict == Verdict::kFlow, expected.has_value()) << "'" << text << "'";
    if (expected) {
      EXPECT_EQ(f.src, expected->value) << text;
    }
    // In a buffer that ends with the line, so that AddressSanitizer sees a read past its end.
    const std::string line = "1796000000.0\t1\t192.0.2.1\t2\ttcp\t" + text;
    const std::unique_ptr<char[]> exact(new char[line.size()]);
    std::memcpy(exact.get(), line.data(), line.size());
    f = Flow{};
    const LineResult last = at_end->parse(std::string_view(exact.get(), line.size()), f);
    ASSERT_EQ(last.verdict == Verdict::kFlow, expected.has_value()) << "at the end '" << text << "'";
    if (expected) {
      EXPECT_EQ(f.src, expected->value) << text;
    }
  }
}

TEST(MonitorParsers, Ipv4IsReadAsThePolicyReadsIt) {
  with_both_parsers(ipv4_is_read_as_the_policy_reads_it);
}

// Where the processor has SSSE3, an address with 16 readable bytes from its start is read by one
// 16-byte load, its layout (each octet one to three digits: 81 of them) picked by its dots and each
// octet held to its layout's bounds. Every layout, with octets at and around their bounds (0, 9, 10,
// 99, 100, 255, 256, 999, leading zeros), and one byte of each changed at every place to a byte that
// is no digit or a digit: each read as the policy reads it, inside a line whose next columns lie in
// those 16 bytes (their digits and dots must not count).
void ipv4_of_every_layout_is_read_as_the_policy_reads_it(const ParserContext& context) {
  auto parser = FlowParser::make(Format::kZeek, context);
  Flow f;
  ASSERT_EQ(parser->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", f).verdict, Verdict::kSkip);
  const std::vector<std::vector<std::string>> octets = {
      {"0", "1", "9"}, {"10", "19", "99", "00", "01", "09"}, {"100", "199", "200", "249", "250", "255", "256", "299", "300", "999", "000", "010", "099"}};
  const std::string changes = std::string("/:.a \t-+") + '\x80' + '\0' + "05";
  std::uint64_t x = 18;
  auto next = [&x](std::size_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>((x >> 33) % n);
  };
  std::size_t read = 0;
  for (int layout = 0; layout < 81; ++layout) {
    const int lengths[4] = {layout / 27 + 1, layout / 9 % 3 + 1, layout / 3 % 3 + 1, layout % 3 + 1};
    for (int round = 0; round < 12; ++round) {
      std::string text;
      for (int o = 0; o < 4; ++o) {
        const auto& choices = octets[static_cast<std::size_t>(lengths[o] - 1)];
        text += (o > 0 ? "." : "") + choices[next(choices.size())];
      }
      std::vector<std::string> texts = {text};
      for (std::size_t at = 0; at < text.size(); ++at) {
        std::string changed = text;
        changed[at] = changes[next(changes.size())];
        texts.push_back(changed);
      }
      for (const std::string& t : texts) {
        // The source column, then dst, ports and protocol: digits, dots and tabs in the 16 bytes.
        for (const std::string& rest : {std::string("\t1\t192.0.2.1\t2\ttcp"), std::string("\t65535\t1.2.3.4\t65535\tudp")}) {
          const LineResult r = parser->parse("1796000000.0\t" + t + rest, f);
          const auto expected = policy::parse_ip(t);
          ASSERT_EQ(r.verdict == Verdict::kFlow, expected.has_value()) << "'" << t << "'";
          if (expected) {
            ASSERT_EQ(f.src, expected->value) << t;
            ++read;
          }
        }
      }
    }
  }
  EXPECT_GT(read, 81u * 4);  // not vacuous: hundreds of the texts are addresses
}

TEST(MonitorParsers, Ipv4OfEveryLayoutIsReadAsThePolicyReadsIt) {
  with_both_parsers(ipv4_of_every_layout_is_read_as_the_policy_reads_it);
}

// The same for a FortiGate dstip, quoted and not, inside the line and ending it: a value that does
// not end the line is read up to the space or quote after it without checking the end before
// every byte.
void fortigate_addresses_are_read_as_the_policy_reads_them(const ParserContext& context) {
  auto parser = FlowParser::make(Format::kFortigate, context);
  const std::string head = "eventtime=1796000000 type=\"traffic\" srcip=192.0.2.1 dstport=443 dstip=";
  for (const std::string& text : address_texts()) {
    const auto expected = policy::parse_ip(text);
    std::vector<std::string> values = {"\"" + text + "\""};
    if (text.find(' ') == std::string::npos) values.push_back(text);
    for (const std::string& value : values) {
      for (const std::string& line : {head + value + " proto=6", head + value}) {
        // In a buffer that ends with the line, so that AddressSanitizer sees a read past its end.
        const std::unique_ptr<char[]> exact(new char[line.size()]);
        std::memcpy(exact.get(), line.data(), line.size());
        Flow f;
        const LineResult r = parser->parse(std::string_view(exact.get(), line.size()), f);
        ASSERT_EQ(r.verdict == Verdict::kFlow, expected.has_value()) << line;
        if (expected) {
          EXPECT_EQ(f.dst, expected->value) << line;
        }
      }
    }
  }
}

TEST(MonitorParsers, FortigateAddressesAreReadAsThePolicyReadsThem) {
  with_both_parsers(fortigate_addresses_are_read_as_the_policy_reads_them);
}

// A separator that is a digit could continue an address: the column then ends where the separator
// is, not where the digits and dots end (a reader running to the first byte that is neither would
// take the next column in and refuse the address).
TEST(MonitorParsers, ZeekSeparatorsThatCouldContinueAnAddress) {
  Flow f;
  auto digit = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(digit->parse("#separator \\x38", f).verdict, Verdict::kSkip);  // '8'
  ASSERT_EQ(digit->parse("#fields8ts8id.orig_h8id.orig_p8id.resp_h8id.resp_p8proto", f).verdict, Verdict::kSkip);
  ASSERT_EQ(digit->parse("1796000000.58192.0.2.1840000810.0.0.284438tcp", f).verdict, Verdict::kFlow);
  EXPECT_EQ(policy::format_ip(f.src), "192.0.2.1");
  EXPECT_EQ(policy::format_ip(f.dst), "10.0.0.2");
  EXPECT_EQ(f.sport, 40000);
  EXPECT_EQ(f.dport, 443);
  // A column that is no address stays none, though digits follow its separator.
  EXPECT_EQ(digit->parse("1796000000.58192.0.2840000810.0.0.284438tcp", f).verdict, Verdict::kMalformed);

  // A dot splits the names id.orig_h and id.resp_h themselves: such a header is refused, and the
  // lines after it are malformed, not read with columns the header did not name.
  auto dot = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(dot->parse("#separator .", f).verdict, Verdict::kSkip);
  EXPECT_EQ(dot->parse("#fields.ts.id.orig_h.id.orig_p.id.resp_h.id.resp_p.proto", f).verdict, Verdict::kMalformed);
  EXPECT_EQ(dot->parse("1796000000.2001:db8::1.40000.2001:db8::2.443.tcp", f).verdict, Verdict::kMalformed);

  // Back to a tab after a digit separator: the addresses are read to their separator again.
  ASSERT_EQ(digit->parse("#separator \\x09", f).verdict, Verdict::kSkip);
  ASSERT_EQ(digit->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", f).verdict, Verdict::kSkip);
  ASSERT_EQ(digit->parse("1796000000.5\t192.0.2.18\t40000\t10.0.0.28\t443\ttcp", f).verdict, Verdict::kFlow);
  EXPECT_EQ(policy::format_ip(f.dst), "10.0.0.28");
}

// Every prefix of a line (a line cut anywhere, in a column or at a separator) is a flow only
// when it still holds every column whole; a run of separators past the last column needed (more
// than one 16-byte block holds), a line of thousands of columns and a column of a megabyte (as a
// datagram may carry; a file's reader skips such a line before) are read or refused, never read
// past.
TEST(MonitorParsers, ZeekLinesCutAnywhereOrWideAreReadOrRefusedWhole) {
  Flow f;
  auto parser = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(parser->parse("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes", f).verdict, Verdict::kSkip);
  const std::string line = "1796000000.123456\tCabc\t192.0.2.10\t40000\t203.0.113.7\t443\ttcp\t1234";
  for (std::size_t cut = 0; cut <= line.size(); ++cut) {
    // A copy of its own, so that AddressSanitizer sees any read past the cut.
    const std::unique_ptr<char[]> copy(new char[cut]);
    std::memcpy(copy.get(), line.data(), cut);
    f = Flow{};
    const LineResult r = parser->parse(std::string_view(copy.get(), cut), f);
    // Whole once orig_bytes' separator is in: "" (a count the log left empty: 0), "1", ..., "1234".
    const std::size_t bytes_at = line.size() - 4;
    const bool whole = cut >= bytes_at;
    ASSERT_EQ(r.verdict == Verdict::kFlow, whole) << cut;
    if (whole) {
      EXPECT_EQ(f.bytes, cut == bytes_at ? 0u : std::stoull(line.substr(bytes_at, cut - bytes_at))) << cut;
    }
  }
  // Separators past the last column needed, more than a block's worth.
  for (std::size_t extra = 1; extra <= 80; ++extra) {
    f = Flow{};
    ASSERT_EQ(parser->parse(line + std::string(extra, '\t'), f).verdict, Verdict::kFlow) << extra;
    EXPECT_EQ(f.bytes, 1234u);
  }
  // The columns wanted are the last of 3000.
  std::string header = "#fields";
  std::string wide;
  for (int i = 0; i < 2992; ++i) {
    header += "\tc" + std::to_string(i);
    wide += std::string(static_cast<std::size_t>(i % 3), 'x') + "\t";
  }
  auto far = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(far->parse(header + "\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\tlast", f).verdict, Verdict::kSkip);
  f = Flow{};
  ASSERT_EQ(far->parse(wide + "1796000000\t192.0.2.10\t40000\t203.0.113.7\t443\ttcp\t77\t" + std::string(40, '\t'), f).verdict, Verdict::kFlow);
  EXPECT_EQ(f.bytes, 77u);
  EXPECT_EQ(policy::format_ip(f.dst), "203.0.113.7");
  EXPECT_EQ(far->parse(wide + "1796000000\t192.0.2.10\t40000\t203.0.113.7\t443\ttcp", f).verdict, Verdict::kMalformed);
  // A megabyte in one column.
  const std::string huge = "1796000000.5\tC\t" + std::string(1 << 20, '1') + "\t40000\t203.0.113.7\t443\ttcp\t1";
  EXPECT_EQ(parser->parse(huge, f).verdict, Verdict::kMalformed);
  const std::string huge_uid = "1796000000.5\t" + std::string(1 << 20, '\x01') + "\t192.0.2.10\t40000\t203.0.113.7\t443\ttcp\t1";
  f = Flow{};
  ASSERT_EQ(parser->parse(huge_uid, f).verdict, Verdict::kFlow);
  EXPECT_EQ(f.bytes, 1u);
}

// The columns that end in a line's last 16 bytes are split by one compare of those bytes (the
// ones before the search dropped), not a search per column: with the uid's length moving every
// separator across every place in that last block, with columns past the last one wanted or
// none, and a line one or two columns short (short it stays: its end closes one column, not
// two), each line in a buffer of its own size, so that AddressSanitizer sees a read past it.
TEST(MonitorParsers, ZeekColumnsEndingInTheLinesLastBytesAreSplitWhole) {
  Flow f;
  auto parser = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(parser->parse("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes", f).verdict, Verdict::kSkip);
  auto parse_exact = [&](const std::string& line) {
    const std::unique_ptr<char[]> copy(new char[line.size()]);
    std::memcpy(copy.get(), line.data(), line.size());
    f = Flow{};
    return parser->parse(std::string_view(copy.get(), line.size()), f).verdict;
  };
  for (std::size_t uid = 0; uid <= 40; ++uid) {
    const std::string head = "1796000000.5\t" + std::string(uid, 'C') + "\t192.0.2.10\t40000\t203.0.113.7\t443";
    for (const std::string tail : {"", "\t", "\tx", "\t\t\t", "\tSF\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\t16"}) {
      const std::string line = head + "\ttcp\t98765" + tail;
      ASSERT_EQ(parse_exact(line), Verdict::kFlow) << line;
      EXPECT_EQ(f.bytes, 98765u) << line;
      EXPECT_EQ(f.dport, 443) << line;
      EXPECT_EQ(f.proto, kProtoTcp) << line;
      EXPECT_EQ(policy::format_ip(f.dst), "203.0.113.7") << line;
    }
    // orig_bytes' column is missing (the proto column ends the line): one short.
    EXPECT_EQ(parse_exact(head + "\ttcp"), Verdict::kMalformed) << uid;
    // proto's and orig_bytes' columns are missing: two short, though the line's end could close a column.
    EXPECT_EQ(parse_exact(head), Verdict::kMalformed) << uid;
    // An empty orig_bytes column at the line's end: 0 bytes.
    ASSERT_EQ(parse_exact(head + "\ttcp\t"), Verdict::kFlow) << uid;
    EXPECT_EQ(f.bytes, 0u);
  }
}

// A Zeek time's dot is looked for at its tenth byte first (the times of 2001 to 2286): with a
// dot elsewhere, a second dot, or nothing around it, a time reads as it did when the first dot
// was looked for — the same times accepted, the same refused.
TEST(MonitorParsers, ZeekTimesReadTheSameWhereverTheirDotIs) {
  auto parser = FlowParser::make(Format::kZeek, ParserContext{});
  Flow f;
  ASSERT_EQ(parser->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", f).verdict, Verdict::kSkip);
  const std::vector<std::pair<std::string, std::optional<std::int64_t>>> times = {
      {"1796000000.123456", 1796000000}, {"1796000000", 1796000000},     {"1796000000.", std::nullopt}, {"1796000000.5", 1796000000},
      {"179600000.5", 179600000},        {"17960000000.5", 17960000000}, {"1796000000.1234567891", std::nullopt},
      {"12345.7890.1", std::nullopt},    {"1796000000..5", std::nullopt}, {"1796.000000.5", std::nullopt}, {".796000000.5", std::nullopt},
      {"1796000000.12.4", std::nullopt}, {"179600000x.5", std::nullopt},  {"1796000000.x", std::nullopt}, {"1", 1},
      {"0000000001.0", 1},               {"", std::nullopt},              {".", std::nullopt},           {"1796000000.1234567", 1796000000}};
  for (const auto& [text, want] : times) {
    f = Flow{};
    const LineResult r = parser->parse(text + "\t192.0.2.10\t40000\t198.51.100.1\t443\ttcp", f);
    ASSERT_EQ(r.verdict == Verdict::kFlow, want.has_value()) << "'" << text << "'";
    if (want) {
      EXPECT_EQ(f.time, *want) << text;
    }
  }
}

// Zeek's own form of a time (ten digits, a dot, six) is read in two eight-byte loads, the dot
// read as a '0': a byte that is no digit anywhere in it — the dot's neighbours, the last byte,
// one past what either load covers — is refused as the digit-at-a-time reading refuses it, and
// 2,000 random times (leading zeros among them) read as their digits say; the time ends the line
// as well as its first column.
TEST(MonitorParsers, ZeekTimesOfSeventeenBytesReadAsTheirDigitsSay) {
  auto inside = FlowParser::make(Format::kZeek, ParserContext{});
  auto at_end = FlowParser::make(Format::kZeek, ParserContext{});
  Flow f;
  ASSERT_EQ(inside->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", f).verdict, Verdict::kSkip);
  ASSERT_EQ(at_end->parse("#fields\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tts", f).verdict, Verdict::kSkip);
  auto read = [&](const std::string& text, bool last) -> std::optional<std::int64_t> {
    const std::string line = last ? "192.0.2.10\t40000\t198.51.100.1\t443\ttcp\t" + text : text + "\t192.0.2.10\t40000\t198.51.100.1\t443\ttcp";
    const std::unique_ptr<char[]> copy(new char[line.size()]);
    std::memcpy(copy.get(), line.data(), line.size());
    f = Flow{};
    const LineResult r = (last ? at_end : inside)->parse(std::string_view(copy.get(), line.size()), f);
    if (r.verdict != Verdict::kFlow) return std::nullopt;
    return f.time;
  };
  const std::string good = "1796012345.678901";
  for (bool last : {false, true}) {
    ASSERT_EQ(read(good, last), 1796012345) << last;
    for (std::size_t at = 0; at < good.size(); ++at) {
      if (at == 10) continue;
      for (char c : {'/', ':', '.', 'a', ' ', '-', '+', '\x80', '\0'}) {
        std::string bad = good;
        bad[at] = c;
        EXPECT_EQ(read(bad, last), std::nullopt) << at << " " << static_cast<int>(c) << " " << last;
      }
    }
    // The dot's own place: another byte there is no time of this form (and no time).
    for (char c : {'0', '/', ':', 'a'}) {
      std::string other = good;
      other[10] = c;
      EXPECT_EQ(read(other, last), std::nullopt) << static_cast<int>(c);
    }
  }
  std::mt19937_64 rng(26);
  for (int i = 0; i < 2000; ++i) {
    std::string text(17, '0');
    for (std::size_t k = 0; k < 17; ++k) text[k] = static_cast<char>('0' + rng() % 10);
    if (i % 4 == 0) std::fill_n(text.begin(), rng() % 11, '0');  // leading zeros, up to the whole part
    text[10] = '.';
    const std::int64_t want = std::stoll(text.substr(0, 10));
    EXPECT_EQ(read(text, false), want) << text;
    EXPECT_EQ(read(text, true), want) << text;
  }
}

// Numbers are read eight bytes at a time where the line goes on past them, a digit at a time
// where they end the line: both readings give the same value for every length and refuse the
// same text (the reference: all digits, at most 20, within 64 bits; ports within 16).
TEST(MonitorParsers, NumbersReadTheSameAtTheLinesEndAndInsideIt) {
  Flow f;
  auto inside = FlowParser::make(Format::kZeek, ParserContext{});
  auto at_end = FlowParser::make(Format::kZeek, ParserContext{});
  ASSERT_EQ(inside->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\tresp_bytes", f).verdict, Verdict::kSkip);
  ASSERT_EQ(at_end->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tproto\tid.resp_p\torig_bytes", f).verdict, Verdict::kSkip);
  auto reference = [](const std::string& text, std::uint64_t max) -> std::optional<std::uint64_t> {
    if (text.empty() || text.size() > 20) return std::nullopt;
    unsigned __int128 v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return std::nullopt;
    return static_cast<std::uint64_t>(v);
  };
  std::vector<std::string> texts = {"0", "7", "00080", "65535", "65536", "99999", "18446744073709551615", "18446744073709551616", "99999999999999999999",
                                    "00000000000000000001", "000000000000000000001", "1234a678", "12345678x", ":2345678", "/2345678", "1234567:",
                                    "12345678/", " 123", "12 3", "-1", "+1", "\xef\xbc\x91\xef\xbc\x92", "1\x80" "2", "123456789012\x7f", "1.5"};
  const std::string digits = "98765432109876543210";
  for (std::size_t len = 1; len <= 21; ++len) texts.push_back((digits + "1").substr(0, len));
  for (const std::string& text : texts) {
    for (int where = 0; where < 2; ++where) {
      auto& parser = where == 0 ? inside : at_end;
      // orig_bytes: inside the line (resp_bytes follows), or its last column.
      const std::string bytes_line = where == 0 ? "1796000000.5\t192.0.2.10\t40000\t198.51.100.1\t443\ttcp\t" + text + "\t7"
                                                : "1796000000.5\t192.0.2.10\t40000\t198.51.100.1\ttcp\t443\t" + text;
      const auto want_bytes = reference(text, UINT64_MAX);
      f = Flow{};
      const LineResult got_bytes = parser->parse(bytes_line, f);
      ASSERT_EQ(got_bytes.verdict == Verdict::kFlow, want_bytes.has_value()) << "orig_bytes '" << text << "' " << where;
      if (want_bytes) {
        EXPECT_EQ(f.bytes, *want_bytes) << text;
      }
      // id.resp_p: inside (proto follows), or the last column but one with a short orig_bytes after.
      const std::string port_line = where == 0 ? "1796000000.5\t192.0.2.10\t40000\t198.51.100.1\t" + text + "\ttcp\t1\t7"
                                               : "1796000000.5\t192.0.2.10\t40000\t198.51.100.1\ttcp\t" + text + "\t1";
      const auto want_port = reference(text, 65535);
      f = Flow{};
      const LineResult got_port = parser->parse(port_line, f);
      ASSERT_EQ(got_port.verdict == Verdict::kFlow, want_port.has_value()) << "id.resp_p '" << text << "' " << where;
      if (want_port) EXPECT_EQ(f.dport, *want_port) << text;
    }
  }
  // The time: whole seconds up to 9999-12-31, a fraction of at most nine digits, checked not used.
  const std::vector<std::pair<std::string, std::optional<std::int64_t>>> times = {
      {"1796000000", 1796000000}, {"1796000000.123456789", 1796000000}, {"1796000000.1234567890", std::nullopt}, {"1796000000.", std::nullopt},
      {".5", std::nullopt},       {"253402300799", 253402300799},       {"253402300800", std::nullopt},          {"1796000000.12a", std::nullopt},
      {"0", 0},                   {"1796000000.5.5", std::nullopt},     {"17960000001796000000", std::nullopt}};
  for (const auto& [text, want] : times) {
    for (int where = 0; where < 2; ++where) {
      // ts first (the line goes on), or, with the columns turned around, last.
      auto last = FlowParser::make(Format::kZeek, ParserContext{});
      ASSERT_EQ(last->parse("#fields\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tts", f).verdict, Verdict::kSkip);
      const std::string line = where == 0 ? text + "\t192.0.2.10\t40000\t198.51.100.1\t443\ttcp\t1\t7" : "192.0.2.10\t40000\t198.51.100.1\t443\ttcp\t" + text;
      f = Flow{};
      const LineResult r = (where == 0 ? inside : last)->parse(line, f);
      ASSERT_EQ(r.verdict == Verdict::kFlow, want.has_value()) << "ts '" << text << "' " << where;
      if (want) EXPECT_EQ(f.time, *want) << text;
    }
  }
}

// Lines across the reader's buffer edges (its reads are 256 KiB; these lines are of every length
// from 60 to 200 bytes, so that some edge falls in every field), CRLF endings, and a last column
// that is a number ending the line: every line one flow, every number whole.
TEST(MonitorParsers, LinesAcrossTheReadersBufferEdgesAndCrlfAreReadWhole) {
  std::string log = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\r\n";
  std::uint64_t sum = 0;
  const int lines = 12000;
  for (int i = 0; i < lines; ++i) {
    const std::uint64_t bytes = static_cast<std::uint64_t>(i) * 7919 % 100000;
    sum += bytes;
    // A uid whose length varies moves every later field across the edges.
    log += std::to_string(1796000000 + i / 100) + "." + std::to_string(i % 1000000) + "\tC" + std::string(static_cast<std::size_t>(i % 140), 'x') +
           "\t192.0.2.10\t" + std::to_string(1024 + i % 60000) + "\t203.0.113.7\t443\ttcp\t" + std::to_string(bytes) + (i % 3 == 0 ? "\r\n" : "\n");
  }
  ASSERT_GT(log.size(), 3u * 256 * 1024);
  auto out = scan_text(log, Format::kZeek);
  EXPECT_EQ(out.reports[0].flows, static_cast<std::uint64_t>(lines));
  EXPECT_EQ(out.reports[0].malformed, 0u);
  ASSERT_EQ(out.findings.size(), 1u);  // one mynumber-egress, every line counted in it
  EXPECT_EQ(out.findings[0].count, static_cast<std::uint64_t>(lines));
  EXPECT_EQ(out.findings[0].bytes, sum);
  // A line without its last columns is malformed, with its number, wherever the edge falls.
  auto missing = scan_text("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n1796000000\t192.0.2.10\t1\t203.0.113.7\r\n", Format::kZeek);
  EXPECT_EQ(missing.reports[0].malformed, 1u);
  ASSERT_EQ(missing.reports[0].first_malformed.size(), 1u);
  EXPECT_EQ(missing.reports[0].first_malformed[0].first, 2u);
}

TEST(MonitorParsers, ZeekTsvColumnsInAnotherOrderAndIpv6) {
  const std::string log =
      "#fields\tproto\tid.resp_p\tid.resp_h\tid.orig_p\tid.orig_h\tts\n"
      "udp\t53\t3fff::53\t5353\t192.0.2.11\t1796000000\n"
      "tcp\t22\t192.0.2.12\t40000\t2001:db8:30::9\t1796000001.5\n";
  auto out = scan_text(log);
  EXPECT_EQ(out.reports[0].flows, 2u);
  EXPECT_EQ(out.rules(), (std::vector<std::string>{"mynumber-egress", "mynumber-ingress"}));
  EXPECT_EQ(policy::format_ip(out.findings[0].dst), "3fff::53");
  EXPECT_EQ(out.findings[0].proto, kProtoUdp);
}

TEST(MonitorParsers, ZeekTsvBadLinesAreCountedWithTheirNumbers) {
  const std::string log =
      "1796000000\tC0\t192.0.2.10\t1\t100.64.1.1\t443\ttcp\n"  // before #fields
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
      "1796000000\tC1\t192.0.2.10\t1\t100.64.1.1\n"               // too few columns
      "1796000000\tC1\t192.0.2.300\t1\t100.64.1.1\t443\ttcp\n"    // bad address
      "1796000000\tC1\t192.0.2.10\t70000\t100.64.1.1\t443\ttcp\n" // bad port
      "-1\tC1\t192.0.2.10\t1\t100.64.1.1\t443\ttcp\n"             // bad time
      "1796000000\tC1\t\xff\xfe\x80\t1\t100.64.1.1\t443\ttcp\n"   // invalid UTF-8
      "1796000000\tC1\t192.0.2.10\t1\t100.64.1.1\t443\ttcp\n";    // good
  auto out = scan_text(log, Format::kZeek);
  const FileReport& r = out.reports[0];
  EXPECT_EQ(r.flows, 1u);
  EXPECT_EQ(r.malformed, 6u);
  ASSERT_EQ(r.first_malformed.size(), 6u);
  EXPECT_EQ(r.first_malformed[0].first, 1u);
  EXPECT_EQ(r.first_malformed[0].second, "a data line before the #fields header");
  EXPECT_EQ(r.first_malformed[1].first, 3u);
  EXPECT_EQ(r.first_malformed[5].first, 7u);
  EXPECT_EQ(out.rules(), std::vector<std::string>{"mynumber-egress"});

  auto missing = scan_text("#fields\tts\tid.orig_h\tid.resp_h\n1\t192.0.2.1\t100.64.1.1\n", Format::kZeek);
  EXPECT_EQ(missing.reports[0].malformed, 2u);  // the header itself, then the line it could not describe
}

TEST(MonitorParsers, ZeekJson) {
  const std::string log =
      R"({"ts":1796000000.12,"uid":"C1","id.orig_h":"192.0.2.10","id.orig_p":50000,"id.resp_h":"100.64.1.1","id.resp_p":443,"proto":"tcp","orig_bytes":10,"tags":["a",{"b":"}"}]})"
      "\n"
      R"({"_path":"conn","ts":"2026-11-30T00:53:21.000000Z","id.orig_h":"198.51.100.20","id.orig_p":50001,"id.resp_h":"203.0.113.25","id.resp_p":443,"proto":"tcp"})"
      "\n"
      R"({"ts":1796000002,"id.orig_h":"198.51.100.20","id.orig_p":50002,"id.resp_h":"203.0.113.26","id.resp_p":443,"proto":"tcp","orig_bytes":null})"
      "\n"
      R"({"_path":"dns","ts":1796000003,"id.orig_h":"192.0.2.10","id.orig_p":1,"id.resp_h":"100.64.1.1","id.resp_p":53,"proto":"udp"})"
      "\n"
      R"({"ts":1796000003,"id.orig_h":"198.51.100.20","id.orig_p":50003,"id.resp_h":"198.51.100.21","id.resp_p":445,"proto":"tcp"})"
      "\n"
      R"({"ts":1796000004,"id.orig_h":"198.51.100.20")"
      "\n"
      R"({"ts":1796000004,"id.orig_h":"198.51.100.20","id.orig_p":1,"id.resp_h":"198.51.100.21","id.resp_p":1,"proto":"tcp"} trailing)"
      "\n"
      "{\"ts\":1796000004,\"id.orig_h\":\"\xc3\x28\",\"id.orig_p\":1,\"id.resp_h\":\"1.2.3.4\",\"id.resp_p\":1,\"proto\":\"tcp\"}\n"
      + std::string(100000, '[') + "\n";
  auto out = scan_text(log);
  EXPECT_EQ(out.reports[0].format, Format::kZeekJson);
  EXPECT_EQ(out.reports[0].flows, 4u);
  EXPECT_EQ(out.reports[0].skipped, 1u);   // the dns.log record
  EXPECT_EQ(out.reports[0].malformed, 4u); // truncated, trailing text, not an address, 100 KB of brackets (too long)
  EXPECT_EQ(out.rules(), kExpected);
}

TEST(MonitorParsers, SyslogNftablesAndIptables) {
  const std::string log =
      "<4>Nov 30 00:53:20 fw1 kernel: [1234.5] sanso-fwd IN=veth0 OUT=veth1 MAC=00:11 SRC=192.0.2.10 DST=100.64.1.1 LEN=60 TOS=0x00 "
      "PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=50000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0\n"
      "<4>1 2026-11-30T09:53:21+09:00 fw1 kernel - - - IN=veth0 OUT=veth1 SRC=198.51.100.20 DST=203.0.113.25 LEN=60 PROTO=TCP SPT=50001 DPT=443\n"
      "Nov 30 00:53:22 fw1 kernel: IN=veth0 OUT=veth1 SRC=198.51.100.20 DST=203.0.113.26 LEN=60 PROTO=TCP SPT=50002 DPT=443\n"
      "<30>Nov 30 00:53:22 fw1 systemd[1]: Started something.\n"
      "6,1234,5678,-;sanso IN=veth0 OUT= SRC=198.51.100.20 DST=198.51.100.21 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1\n"
      "<4>Nov 30 00:53:23 fw1 kernel: IN=veth0 SRC=198.51.100.999 DST=1.2.3.4 PROTO=TCP SPT=1 DPT=2\n"
      "<4>Nov 30 00:53:23 fw1 kernel: IN=veth0 SRC=198.51.100.1 DST=1.2.3.4 PROTO=TCP SPT=1 DPT=99999\n"
      "<4>garbage SRC=198.51.100.1 DST=1.2.3.4\n";
  auto out = scan_text(log);
  const FileReport& r = out.reports[0];
  EXPECT_EQ(r.format, Format::kSyslog);
  EXPECT_EQ(r.flows, 4u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.malformed, 3u);
  EXPECT_EQ(out.rules(), kExpected);
  // RFC 3164 has no year: the one that puts the time just before now (2026-11-30).
  EXPECT_EQ(out.findings[0].first_seen, 1796000000);
  EXPECT_EQ(out.findings[1].first_seen, 1796000002);
}

TEST(MonitorParsers, Fortigate) {
  const std::string log =
      "<189>date=2026-11-30 time=09:53:20 devname=\"FGT-city\" devid=\"FG100F\" eventtime=1796000000123456789 tz=\"+0900\" logid=\"0000000013\" "
      "type=\"traffic\" subtype=\"forward\" level=\"notice\" srcip=192.0.2.10 srcport=50000 srcintf=\"port1\" dstip=100.64.1.1 dstport=443 "
      "dstintf=\"wan1\" proto=6 action=\"accept\" sentbyte=1000 rcvdbyte=2000 msg=\"a \\\"quoted\\\" value\"\n"
      "date=2026-11-30 time=09:53:21 tz=\"+0900\" type=\"traffic\" subtype=\"forward\" srcip=198.51.100.20 srcport=50001 dstip=203.0.113.25 dstport=443 proto=6 sentbyte=1\n"
      "date=2026-11-30 time=09:53:22 tz=\"+0900\" type=\"traffic\" srcip=198.51.100.20 srcport=50002 dstip=203.0.113.26 dstport=443 proto=6\n"
      "date=2026-11-30 time=09:53:22 type=\"event\" subtype=\"system\" msg=\"admin login\"\n"
      "date=2026-11-30 time=09:53:23 tz=\"+0900\" type=\"traffic\" srcip=198.51.100.20 srcport=50003 dstip=198.51.100.21 dstport=445 proto=6\n"
      "date=2026-11-30 type=\"traffic\" srcip=198.51.100.20 dstip=198.51.100.21\n"
      "date=2026-11-30 time=09:53:23 type=\"traffic\" srcip=198.51.100.20 dstip=x dstport=1 proto=6\n"
      "type=\"traffic\" srcip=\"198.51.100.20\n";
  auto out = scan_text(log);
  const FileReport& r = out.reports[0];
  EXPECT_EQ(r.format, Format::kFortigate);
  EXPECT_EQ(r.flows, 4u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.malformed, 3u);
  EXPECT_EQ(out.rules(), kExpected);
  EXPECT_EQ(out.findings[0].first_seen, 1796000000);  // eventtime in nanoseconds
  EXPECT_EQ(out.findings[1].first_seen, 1796000002);  // date, time and tz
}

// A traffic log whose later value carries text from the traffic with a quote the device did not
// escape: the mynumber host's flow must stay its own, not become the LGWAN-to-LGWAN flow written
// into the host name. The same for a packet log with a second SRC/DST after the kernel's.
TEST(MonitorParsers, TextInsideALaterValueDoesNotReplaceTheFlowsAddresses) {
  const std::string forti =
      "date=2026-11-30 time=09:53:20 tz=\"+0900\" type=\"traffic\" srcip=192.0.2.10 srcport=50000 dstip=100.64.1.1 dstport=443 proto=6 "
      "hostname=\"x\" srcip=198.51.100.20 dstip=198.51.100.21 dstport=445 type=\"event\" y=\"z\"\n";
  auto out = scan_text(forti);
  EXPECT_EQ(out.reports[0].flows, 1u);
  EXPECT_EQ(out.rules(), std::vector<std::string>{"mynumber-egress"});
  const std::string packet =
      "<4>Nov 30 00:53:20 fw1 kernel: IN=veth0 OUT=veth1 SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=50000 DPT=443 SRC=198.51.100.20 "
      "DST=198.51.100.21 DPT=445\n";
  out = scan_text(packet);
  EXPECT_EQ(out.rules(), std::vector<std::string>{"mynumber-egress"});
}

// The FortiGate parser walks a line's tokens over bitmaps of it (KeyValueMasks) and the syslog
// parser byte by byte; both must take the same tokens, the same bytes of the line, in the same
// order: quoted values with spaces, escapes and quotes across the bitmaps' 64-byte words, a token
// right after a closing quote, tokens without '=', an unclosed quote, a backslash at the end.
TEST(MonitorParsers, TheBitmapWalkTakesTheTokensThePlainWalkTakes) {
  auto same = [](std::string_view line) {
    const auto plain = key_value_tokens(line, false);
    const auto masked = key_value_tokens(line, true);
    ASSERT_EQ(masked.size(), plain.size()) << line;
    for (std::size_t i = 0; i < plain.size(); ++i) {
      // The same bytes of the line, not only equal text.
      EXPECT_EQ(masked[i].first.data(), plain[i].first.data()) << line << " token " << i;
      EXPECT_EQ(masked[i].first.size(), plain[i].first.size()) << line << " token " << i;
      EXPECT_EQ(masked[i].second.data(), plain[i].second.data()) << line << " token " << i;
      EXPECT_EQ(masked[i].second.size(), plain[i].second.size()) << line << " token " << i;
    }
  };
  const std::vector<std::string> lines = {
      "",
      " ",
      "a=b",
      "  a=b  c=d ",
      "a= b=",
      "=x ==y a==b",
      "word a=1 another b=\"2\"",
      "a=\"x y z\" b=1",
      "a=\"x\"b=1 c=2",
      "a=\"x\"  b=1",
      "a=\"x\\\" b=2\" c=3",
      "a=\"unclosed b=2 c=3",
      "a=\"ends with a backslash\\",
      "a=\"\\\\\" b=1",
      "a=b\"c d=\"e f\" g",
      "msg=\"srcip=192.0.2.10 dstip=100.64.1.1\" srcip=198.51.100.20",
      "xsrcip=192.0.2.10 srcipx=1 srcip=198.51.100.20",
      std::string(63, 'k') + "=v " + std::string(62, ' ') + "a=\"" + std::string(70, ' ') + "\"b=1",
      "a=\"" + std::string(61, 'q') + "\" " + std::string(64, 'z') + "=1",
  };
  for (const std::string& line : lines) same(line);
  // Every byte of a line in every place around a word's edge, and lines of random bytes from the
  // few that matter, up to five words long.
  for (std::size_t at = 0; at < 140; ++at) {
    for (char c : {' ', '=', '"', '\\', 'x'}) {
      std::string line = "date=2026-11-30 devname=\"FGT city\" msg=\"a \\\"b\\\" c\" srcip=192.0.2.10 x y=1 type=\"traffic\" dstip=100.64.1.1 proto=6 "
                         "sentbyte=1 policyname=\"p q\" eventtime=1796000000123456789";
      if (at < line.size()) line[at] = c;
      same(line);
    }
  }
  std::mt19937 rng(25);
  const char alphabet[] = {' ', ' ', '=', '"', '\\', 'a', 'b', '1'};
  for (int i = 0; i < 20000; ++i) {
    std::string line(rng() % 320, ' ');
    for (char& c : line) c = alphabet[rng() % sizeof alphabet];
    same(line);
  }
}

// FortiGate's protocol number is read with one load where the line goes on past it; it means
// what parse_protocol makes of it, inside the line and at its end.
TEST(MonitorParsers, FortigateProtocolsAreReadAsParseProtocolReadsThem) {
  auto parser = FlowParser::make(Format::kFortigate, ParserContext{});
  for (const std::string proto : {"6", "17", "1", "58", "0", "254", "255", "256", "06", "6x", "99999999999999999999", "tcp", "UDP", "icmp6", "", "-1"}) {
    const std::string head = "eventtime=1796000000 type=\"traffic\" srcip=192.0.2.1 dstip=192.0.2.2 dstport=443 proto=";
    for (const std::string& line : {head + proto + " sentbyte=1", head + proto}) {
      const std::unique_ptr<char[]> exact(new char[line.size()]);
      std::memcpy(exact.get(), line.data(), line.size());
      Flow f;
      ASSERT_EQ(parser->parse(std::string_view(exact.get(), line.size()), f).verdict, Verdict::kFlow) << line;
      EXPECT_EQ(f.proto, parse_protocol(proto)) << line;
    }
  }
}

// What the FortiGate parser's bitmap walk takes is what it took before: a key written inside a
// quoted value (a message, a host name) is no key, a key longer than a wanted one that ends like it
// is not that key, the first of two is the device's, and spaces and escaped quotes inside a
// value do not start tokens.
TEST(MonitorParsers, FortigateKeysInsideValuesOrLikeTheWantedOnesAreNotTaken) {
  auto flow_of = [](const std::string& line) {
    auto parser = FlowParser::make(Format::kFortigate, ParserContext{});
    Flow f;
    const LineResult r = parser->parse(line, f);
    EXPECT_EQ(r.verdict, Verdict::kFlow) << line << ": " << r.reason;
    return policy::format_ip(f.src) + ">" + policy::format_ip(f.dst) + ":" + std::to_string(f.dport) + "/" + std::to_string(f.bytes);
  };
  const std::string tail = " dstip=198.51.100.21 dstport=445 proto=6 sentbyte=10 eventtime=1796000000";
  EXPECT_EQ(flow_of("type=\"traffic\" msg=\"a \\\"b\\\" srcip=192.0.2.10 dstip=100.64.1.1\" srcip=198.51.100.20" + tail),
            "198.51.100.20>198.51.100.21:445/10");
  EXPECT_EQ(flow_of("type=\"traffic\" xsrcip=192.0.2.10 srcipx=192.0.2.11 srcip=198.51.100.20 xdstip=100.64.1.1" + tail),
            "198.51.100.20>198.51.100.21:445/10");
  EXPECT_EQ(flow_of("type=\"traffic\" srcip=198.51.100.20" + tail + " srcip=192.0.2.10 dstport=443 sentbyte=99"), "198.51.100.20>198.51.100.21:445/10");
  // A long quoted value with spaces across the bitmaps' words, the wanted keys after it.
  EXPECT_EQ(flow_of("type=\"traffic\" msg=\"" + std::string(100, ' ') + "srcip=192.0.2.10 " + std::string(100, 'x') + "\" srcip=198.51.100.20" + tail),
            "198.51.100.20>198.51.100.21:445/10");
  // type inside a quoted value does not make an event a flow.
  auto parser = FlowParser::make(Format::kFortigate, ParserContext{});
  Flow f;
  EXPECT_EQ(parser->parse("type=\"event\" msg=\"type=\\\"traffic\\\" srcip=192.0.2.10\" srcip=198.51.100.20" + tail, f).verdict, Verdict::kSkip);
  EXPECT_EQ(parser->parse("msg=\"type=traffic srcip=192.0.2.10\" srcip=198.51.100.20" + tail, f).verdict, Verdict::kSkip);
}

// A host's volume over four hours of baseline, then a burst; a forged line dated 2036 in between
// must not move the host's buckets past the burst (which would then be "late" and unseen).
TEST(MonitorParsers, ALineDatedInTheFutureIsMalformedAndHidesNoVolume) {
  const std::int64_t hour0 = 1795899600;  // on the hour, before the fixture's now (2026-11-30)
  std::string log = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n";
  auto line = [&](std::int64_t t, std::uint64_t bytes) {
    log += std::to_string(t) + "\tC\t198.51.100.20\t50000\t198.51.100.21\t445\ttcp\t" + std::to_string(bytes) + "\n";
  };
  for (int h = 0; h < 4; ++h) line(hour0 + h * 3600 + 10, 1000);
  line(2112091200, 1);  // 2036
  line(hour0 + 4 * 3600 + 10, 500000000);
  auto out = scan_text(log, Format::kZeek);
  EXPECT_EQ(out.reports[0].malformed, 1u);
  for (const auto& [number, why] : out.reports[0].first_malformed) EXPECT_NE(why.find("after the scan"), std::string::npos) << number;
  const auto rules = out.rules();
  EXPECT_NE(std::find(rules.begin(), rules.end(), "volume"), rules.end()) << "the burst after the forged line was not seen";
}

// Packet logs are the kernel's: another program's message that quotes SRC=/DST= (a user name typed
// at a login prompt, a URL) is no flow. ulogd's and kernel lines still are.
TEST(MonitorParsers, AnotherProgramsMessageQuotingAPacketLogIsNoFlow) {
  const std::string fields = "IN=eth0 OUT=eth1 SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=50000 DPT=443";
  const std::string log = "<38>Nov 30 00:53:20 fw1 sshd[812]: Invalid user " + fields + " from 203.0.113.9 port 50122\n"
                          "<38>Nov 30 00:53:20 sshd[812]: Invalid user " + fields + " from 203.0.113.9 port 50122\n"
                          "<38>1 2026-11-30T00:53:20Z fw1 nginx - - - GET /?" + fields + "\n"
                          "Nov 30 00:53:21 fw1 ulogd[99]: " + fields + "\n"
                          "Nov 30 00:53:22 fw1 " + fields + "\n"
                          "<4>Nov 30 00:53:23 fw1 kernel: [FW] " + fields + "\n";
  auto out = scan_text(log, Format::kSyslog);
  EXPECT_EQ(out.reports[0].flows, 3u);
  EXPECT_EQ(out.reports[0].skipped, 3u);
}

std::string paloalto(std::string_view src, std::string_view dst, std::string_view sport, std::string_view dport, std::string_view time = "2026/11/30 00:53:20") {
  std::string t(time);
  return "<14>Nov 30 00:53:20 pa-fw 1," + t + ",012801000000,TRAFFIC,end,2561," + t + "," + std::string(src) + "," + std::string(dst) +
         ",0.0.0.0,0.0.0.0,allow-web,,,ssl,vsys1,trust,untrust,ethernet1/1,ethernet1/2,Log-Fwd,2026/11/30 00:53:20,12345,1," + std::string(sport) +
         "," + std::string(dport) + ",0,0,0x400019,tcp,allow,3000,1000,2000,10,2026/11/28 08:53:10,10,any,0,123,0x0,192.0.2.0-192.0.2.255,United States,0,5,5,tcp-fin\n";
}

// Times written without a zone are the writer's local time: a city's firewalls and log server
// keep Japan time, so "Nov 30 09:53:20" from them is 00:53:20 UTC, not nine hours later.
TEST(MonitorParsers, TimesWithoutAZoneAreTheLogsLocalTime) {
  ParserContext japan;
  japan.now = 1796000000 + 3600;  // 2026-11-30 10:53:20 JST
  japan.zoneless_offset = 9 * 3600;
  auto first = [&](const std::string& line, Format format) {
    auto out = scan_text(line, format, japan);
    EXPECT_EQ(out.findings.size(), 1u) << line;
    return out.findings.empty() ? std::int64_t{-1} : out.findings[0].first_seen;
  };
  EXPECT_EQ(first("<4>Nov 30 09:53:20 fw1 kernel: IN=a OUT=b SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=5 DPT=443\n", Format::kSyslog),
            1796000000);
  EXPECT_EQ(first("<4>2026-11-30T09:53:20 fw1 kernel: IN=a OUT=b SRC=192.0.2.10 DST=100.64.1.1 LEN=60 PROTO=TCP SPT=5 DPT=443\n", Format::kSyslog),
            1796000000);
  // A zone written in the line wins over the local one.
  EXPECT_EQ(first("<4>1 2026-11-30T00:53:20Z fw1 kernel - - - IN=a SRC=192.0.2.10 DST=100.64.1.1 PROTO=TCP SPT=5 DPT=443\n", Format::kSyslog),
            1796000000);
  EXPECT_EQ(first("date=2026-11-30 time=09:53:20 type=\"traffic\" srcip=192.0.2.10 srcport=5 dstip=100.64.1.1 dstport=443 proto=6\n",
                  Format::kFortigate),
            1796000000);
  EXPECT_EQ(first("date=2026-11-30 time=00:53:20 tz=\"+0000\" type=\"traffic\" srcip=192.0.2.10 srcport=5 dstip=100.64.1.1 dstport=443 proto=6\n",
                  Format::kFortigate),
            1796000000);
  EXPECT_EQ(first(paloalto("192.0.2.10", "100.64.1.1", "50000", "443", "2026/11/30 09:53:20"), Format::kPaloAlto), 1796000000);
  // Just after local midnight on 1 January, a December time is last year's, in local terms.
  ParserContext new_year = japan;
  new_year.now = 1798729200 + 60;  // 2027-01-01 00:01 JST
  auto out = scan_text("<4>Dec 31 23:59:00 fw1 kernel: IN=a SRC=192.0.2.10 DST=100.64.1.1 PROTO=TCP SPT=5 DPT=443\n", Format::kSyslog, new_year);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].first_seen, 1798729200 - 60);
  EXPECT_EQ(local_utc_offset(1796000000) % 60, 0);
}

TEST(MonitorParsers, PaloAlto) {
  const std::string log = paloalto("192.0.2.10", "100.64.1.1", "50000", "443") + paloalto("198.51.100.20", "203.0.113.25", "50001", "443") +
                          paloalto("198.51.100.20", "203.0.113.26", "50002", "443", "2026/11/30 00:53:22") +
                          "1,2026/11/30 00:53:22,012801000000,THREAT,url,2561,2026/11/30 00:53:22,198.51.100.20,100.64.1.1\n" +
                          paloalto("198.51.100.20", "198.51.100.21", "50003", "445") + "1,2026/11/30 00:53:22,0128,TRAFFIC,end,1,x,y\n" +
                          "1,\"2026/11/28,TRAFFIC\n";
  auto out = scan_text(log);
  const FileReport& r = out.reports[0];
  EXPECT_EQ(r.format, Format::kPaloAlto);
  EXPECT_EQ(r.flows, 4u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.malformed, 2u);
  EXPECT_EQ(out.rules(), kExpected);
  EXPECT_EQ(out.findings[0].bytes, 1000u);  // bytes sent
}

TEST(MonitorParsers, CsvWithAColumnMap) {
  const std::string log =
      "when,from,to,port,protocol,sent\n"
      "2026-11-30T00:53:20Z,192.0.2.10,100.64.1.1,443,tcp,5\n"
      "1796000001,198.51.100.20,203.0.113.25,443,tcp,5\n"
      "1796000002,\"198.51.100.20\",203.0.113.26,443,6,5\n"
      "1796000003,198.51.100.20,198.51.100.21,445,tcp,5\n"
      "1796000003,198.51.100.20\n"
      "yesterday,198.51.100.20,198.51.100.21,445,tcp,5\n";
  auto columns = parse_csv_columns("time=when,src=from,dst=to,dport=port,proto=protocol,bytes=sent");
  ASSERT_TRUE(columns) << columns.error().to_string();
  ParserContext context;
  context.csv = *columns;
  auto out = scan_text(log, Format::kCsv, context);
  EXPECT_EQ(out.reports[0].flows, 4u);
  EXPECT_EQ(out.reports[0].malformed, 2u);
  EXPECT_EQ(out.rules(), kExpected);

  auto numbered = parse_csv_columns("src=2,dst=3,dport=4,proto=5,time=1");
  ASSERT_TRUE(numbered);
  context.csv = *numbered;
  auto out2 = scan_text(log, Format::kCsv, context);
  EXPECT_EQ(out2.reports[0].flows, 4u);
  EXPECT_EQ(out2.reports[0].skipped, 1u);  // the header in front of numbered columns
  EXPECT_EQ(out2.rules(), kExpected);

  EXPECT_FALSE(parse_csv_columns("src=2,dst=to"));
  EXPECT_FALSE(parse_csv_columns("dst=3"));
  EXPECT_FALSE(parse_csv_columns("src=0,dst=1"));
  EXPECT_FALSE(parse_csv_columns("source=1,dst=2"));
}

TEST(MonitorParsers, SniffsEachFormat) {
  EXPECT_EQ(sniff_format(zeek_tsv()), Format::kZeek);
  EXPECT_EQ(sniff_format("\n\n{\"ts\":1}"), Format::kZeekJson);
  EXPECT_EQ(sniff_format(paloalto("192.0.2.1", "192.0.2.2", "1", "2")), Format::kPaloAlto);
  EXPECT_EQ(sniff_format("date=2026-11-28 time=1:2:3 type=\"traffic\" srcip=1.2.3.4"), Format::kFortigate);
  EXPECT_EQ(sniff_format("<4>Nov 30 00:53:20 fw kernel: IN=a SRC=1.2.3.4 DST=1.2.3.5"), Format::kSyslog);
  EXPECT_EQ(sniff_format("time,src,dst,dport\n"), Format::kCsv);
  EXPECT_EQ(sniff_format("hello world\n"), std::nullopt);
  EXPECT_EQ(sniff_format(""), std::nullopt);
  auto reader = LineReader::over("hello world\n", "x.log");
  static const policy::Policy policy = testing::test_policy();
  auto plan = AddressPlan::build(policy);
  Detector detector(*plan, nullptr, {}, nullptr);
  auto r = scan_stream(*reader, Format::kAuto, {}, detector, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "monitor.format-unknown");
}

TEST(MonitorParsers, GzipIsReadTransparentlyAndTruncationIsReported) {
  const std::string text = zeek_tsv();
  auto out = scan_text(gzip(text) + gzip(text));  // two members, as concatenated rotations
  EXPECT_EQ(out.reports[0].flows, 8u);
  EXPECT_FALSE(out.reports[0].stopped);
  EXPECT_EQ(out.rules(), kExpected);  // the repeats are counted, not repeated
  EXPECT_EQ(out.findings[0].count, 2u);

  const std::string whole = gzip(text);
  auto cut = scan_text(whole.substr(0, whole.size() - 12), Format::kZeek);
  ASSERT_TRUE(cut.reports[0].stopped);
  EXPECT_EQ(cut.reports[0].stopped->code, "monitor.gzip-truncated");

  std::string corrupt = whole;
  corrupt[corrupt.size() / 2] ^= 0x55;
  corrupt[corrupt.size() / 2 + 1] ^= 0x55;
  auto bad = scan_text(corrupt, Format::kZeek);
  ASSERT_TRUE(bad.reports[0].stopped);
  EXPECT_NE(bad.reports[0].stopped->code.find("monitor.gzip"), std::string::npos);
}

// A log read from a file (what `sanso monitor scan` does): the same lines, flows, malformed lines
// with their numbers and findings as the same bytes read from memory, with read edges in every
// field, over-long lines, CRLF, and a last line without end.
TEST(MonitorParsers, ALogFileReadsAsTheSameBytesFromMemory) {
  std::string log = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n";
  for (int i = 0; log.size() < (4u << 20); ++i) {
    if (i % 9000 == 8999) {
      log += std::string(100 * 1024 + static_cast<std::size_t>(i % 7), 'L') + "\n";  // over-long: skipped, counted
      continue;
    }
    if (i % 5003 == 0) log += "1796000000\tC\tnot-an-address\t1\t203.0.113.7\t443\ttcp\t1\n";
    log += std::to_string(1796000000 + i / 1000) + "." + std::to_string(i % 1000000) + "\tC" + std::string(static_cast<std::size_t>(i % 97), 'x') +
           (i % 2 == 0 ? "\t192.0.2.10\t" : "\t198.51.100.20\t") + std::to_string(1024 + i % 60000) + "\t203.0.113.7\t443\ttcp\t" +
           std::to_string(i % 9000) + (i % 3 == 0 ? "\r\n" : "\n");
  }
  log += "1796000000\tC\t192.0.2.10\t1\t203.0.113.7\t443\ttcp\t5";  // no line end
  auto memory = scan_text(log, Format::kZeek);
  auto from_file = scan_file(log, Format::kZeek);
  ASSERT_EQ(from_file.reports.size(), 1u);
  const FileReport &a = memory.reports[0], &b = from_file.reports[0];
  EXPECT_FALSE(b.stopped);
  EXPECT_GT(a.flows, 30000u);
  EXPECT_GT(a.malformed, 10u);
  EXPECT_EQ(b.lines, a.lines);
  EXPECT_EQ(b.flows, a.flows);
  EXPECT_EQ(b.malformed, a.malformed);
  EXPECT_EQ(b.first_malformed, a.first_malformed);
  ASSERT_EQ(from_file.findings.size(), memory.findings.size());
  for (std::size_t i = 0; i < memory.findings.size(); ++i) {
    EXPECT_EQ(from_file.findings[i].count, memory.findings[i].count);
    EXPECT_EQ(from_file.findings[i].bytes, memory.findings[i].bytes);
    EXPECT_EQ(from_file.findings[i].line, memory.findings[i].line);
  }
  // A gzip file is inflated; an empty file is no lines.
  auto gz = scan_file(gzip(zeek_tsv()), Format::kZeek);
  EXPECT_EQ(gz.reports[0].flows, 4u);
  EXPECT_EQ(gz.rules(), kExpected);
  EXPECT_EQ(scan_file("", Format::kZeek).reports[0].lines, 0u);
}

// A scan observes its flows a batch behind the parse (scan_stream): every flow is still observed,
// in order, with its line — the same findings, counts, bytes, times and lines as the same lines
// parsed and observed one at a time — whether the log ends on a full batch, one flow past it, or
// with a batch waiting and another half full; malformed and comment lines in between.
TEST(MonitorParsers, AScanObservesEveryFlowAsOneFlowAtATimeWould) {
  DetectorSettings settings;
  settings.volume_min_bytes = 1000;
  for (const int flows_wanted : {0, 1, 31, 32, 33, 64, 65, 1019}) {
    std::vector<std::string> lines = {"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes"};
    for (int i = 0, flows = 0; flows < flows_wanted; ++i) {
      if (i % 50 == 49) {
        lines.push_back(i % 100 == 49 ? "#comment" : "not-a-time\tC\t192.0.2.10\t1\t203.0.113.7\t443\ttcp\t1");
        continue;
      }
      const std::int64_t time = 1796000000 + static_cast<std::int64_t>(flows) * 40;  // ten hours for 1,019 flows: baselines, then bursts
      std::string src = "198.51.100." + std::to_string(flows % 20 + 1), dst = "198.51.100.250";
      std::uint64_t bytes = flows * 40 >= 9 * 3600 && flows % 20 == 3 ? 500000 : 500;
      if (flows % 13 == 0) dst = "100.64.1." + std::to_string(flows % 5), src = "192.0.2.10";  // 6(3)①
      if (flows % 17 == 0) src = "192.0.2.200";                                                // unknown device
      lines.push_back(std::to_string(time) + ".000001\tC\t" + src + "\t40000\t" + dst + "\t" + std::to_string(443 + flows % 3) + "\ttcp\t" +
                      std::to_string(bytes));
      ++flows;
    }
    std::string log;
    for (const std::string& line : lines) log += line + "\n";
    auto scanned = scan_text(log, Format::kZeek, ParserContext{}, settings);

    static const policy::Policy policy = testing::test_policy();
    auto plan = AddressPlan::build(policy);
    ASSERT_TRUE(plan.has_value());
    std::vector<Finding> one_by_one;
    Detector detector(*plan, nullptr, settings, [&](const Finding& f) { one_by_one.push_back(f); });
    auto parser = FlowParser::make(Format::kZeek, ParserContext{});
    for (std::size_t n = 0; n < lines.size(); ++n) {
      Flow flow;
      if (parser->parse(lines[n], flow).verdict == Verdict::kFlow) detector.observe(flow, 0, n + 1);
    }
    detector.flush();

    SCOPED_TRACE(flows_wanted);
    EXPECT_EQ(scanned.reports[0].flows, static_cast<std::uint64_t>(flows_wanted));
    EXPECT_EQ(scanned.stats.flows, detector.stats().flows);
    auto described = [](const std::vector<Finding>& found) {
      std::vector<std::string> out;
      for (const Finding& f : found) {
        out.push_back(std::string(info(f.rule).id) + " " + policy::format_ip(f.src) + " " + policy::format_ip(f.dst) + " " + std::to_string(f.dport) + " " +
                      std::to_string(f.count) + " " + std::to_string(f.bytes) + " " + std::to_string(f.first_seen) + " " + std::to_string(f.last_seen) +
                      " " + std::to_string(f.line) + " " + f.detail);
      }
      return out;
    };
    EXPECT_EQ(described(scanned.findings), described(one_by_one));
    if (flows_wanted == 1019) {
      EXPECT_GT(std::count_if(one_by_one.begin(), one_by_one.end(), [](const Finding& f) { return f.rule == Rule::kVolume; }), 0);  // every rule has its say
      EXPECT_GT(one_by_one.size(), 10u);
    }
  }
}

// A log truncated while it is read (logrotate's copytruncate): the lines before the cut are read
// whole, then the scan stops with an error instead of ending as if the log had ended there (what
// it held past the cut is in the rotated copy, and was not read).
TEST(MonitorParsers, ALogTruncatedWhileItIsReadEndsWithAnError) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / ("sanso-truncated-" + std::to_string(::getpid()) + ".log");
  auto line_text = [](int i) { return "line " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i % 50), 'x'); };
  int written = 0;
  {
    std::ofstream file(path, std::ios::binary);
    std::size_t size = 0;
    for (; size < (20u << 20); ++written) {
      const std::string text = line_text(written) + "\n";
      file << text;
      size += text.size();
    }
  }
  for (const std::uintmax_t cut : {std::uintmax_t{1} << 20, std::uintmax_t{0}}) {
    auto reader = LineReader::open_file(path.string());
    ASSERT_TRUE(reader);
    std::string_view line;
    int read = 0;
    std::optional<Error> stopped;
    for (;;) {
      auto next = (*reader)->next(line);
      if (!next) {
        stopped = next.error();
        break;
      }
      if (*next == LineReader::Next::kEnd) break;
      ASSERT_EQ(*next, LineReader::Next::kLine);
      ASSERT_EQ(line, line_text(read)) << "line " << read + 1;
      if (++read == 1000) std::filesystem::resize_file(path, cut);
    }
    ASSERT_TRUE(stopped) << "read " << read << " of " << written;
    EXPECT_EQ(stopped->code, "monitor.truncated");
    EXPECT_LT(read, written);
    if (cut > 0) {
      EXPECT_GT(read, 20000);  // what was left before the cut, read whole
    }
    // Written again for the next cut.
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < written; ++i) file << line_text(i) << "\n";
  }
  std::filesystem::remove(path);
}

TEST(MonitorParsers, OneMegabyteLinesAreSkippedWholeAndCounted) {
  // The long line holds what would parse as a flow if it were cut at the buffer's edge.
  std::string filler(1 << 20, 'A');
  const std::string flow_line = "1796000000\tC1\t192.0.2.10\t1\t100.64.1.1\t443\ttcp\n";
  const std::string log = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n" + filler + "\n" + filler + flow_line + flow_line +
                          std::string(3 << 20, 'B');  // a last line without end
  auto out = scan_text(log, Format::kZeek);
  const FileReport& r = out.reports[0];
  EXPECT_EQ(r.lines, 5u);
  EXPECT_EQ(r.flows, 1u);
  EXPECT_EQ(r.malformed, 3u);
  ASSERT_EQ(r.first_malformed.size(), 3u);
  EXPECT_EQ(r.first_malformed[0].first, 2u);
  EXPECT_EQ(r.first_malformed[1].first, 3u);
  EXPECT_EQ(r.first_malformed[2].first, 5u);
  EXPECT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].line, 4u);
}

TEST(MonitorParsers, AFloodOfOneFlowIsOneFinding) {
  std::string log = "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n";
  for (int i = 0; i < 200000; ++i) log += std::to_string(1796000000 + i / 100) + "\t192.0.2.10\t1\t100.64.1.1\t443\ttcp\n";
  auto out = scan_text(log, Format::kZeek);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].count, 200000u);
  EXPECT_EQ(out.findings[0].first_seen, 1796000000);
  EXPECT_EQ(out.findings[0].last_seen, 1796000000 + 1999);
}

TEST(MonitorParsers, Times) {
  EXPECT_EQ(parse_iso_time("2026-11-30T00:53:20Z"), 1796000000);
  EXPECT_EQ(parse_iso_time("2026-11-30T09:53:20+09:00"), 1796000000);
  EXPECT_EQ(parse_iso_time("2026-11-30 09:53:20.5+0900"), 1796000000);
  EXPECT_EQ(parse_iso_time("2026/11/30 00:53:20"), 1796000000);
  for (const char* bad : {"2026-13-30T00:53:20Z", "2026-11-30T00:53:20+9", "2026-11-30", "1969-12-31T23:59:59Z", "2026-11-30T00:53:20.Z", "x026-11-28T08:53:20Z"}) {
    EXPECT_FALSE(parse_iso_time(bad)) << bad;
  }
}

}  // namespace
}  // namespace sanso::monitor
