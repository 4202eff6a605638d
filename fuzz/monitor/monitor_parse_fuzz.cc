// libFuzzer target: the flow monitor's parsers on arbitrary bytes. The first byte picks the
// format (or sniffing, or the NetFlow/IPFIX decoder); the rest is a log (gzip or not) or a
// datagram. Every line is a flow, skipped or malformed — never a crash, never a read past the end;
// every line is accounted for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/netflow.h"
#include "monitor/parsers.h"
#include "monitor/line_reader.h"
#include "policy/network.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::monitor;
  if (size < 1 || size > 1 << 20) return 0;
  const std::uint8_t selector = data[0] % 8;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (selector == 7) {
    // Two datagrams from one exporter: templates from the first apply to the second.
    NetflowDecoder decoder;
    std::vector<Flow> flows;
    const std::size_t half = body.size() / 2;
    decoder.decode(std::span(data + 1, half), 1, flows);
    decoder.decode(std::span(data + 1 + half, body.size() - half), 1, flows);
    return 0;
  }
  // The Zeek parser's address reader (16 bytes at once where the processor has SSSE3) accepts
  // what the policy's reader accepts, as the same address: the body's first bytes as a source
  // address with further columns in the 16 bytes after it.
  if (const std::string_view text = body.substr(0, 15); text.find_first_of("\t\n\r") == std::string_view::npos) {
    auto zeek = FlowParser::make(Format::kZeek, ParserContext{});
    Flow flow;
    zeek->parse("#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto", flow);
    const LineResult r = zeek->parse("1796000000.0\t" + std::string(text) + "\t1\t192.0.2.1\t2\ttcp", flow);
    const auto expected = sanso::policy::parse_ip(text);
    if ((r.verdict == Verdict::kFlow) != expected.has_value() || (expected && flow.src != expected->value)) __builtin_trap();
  }
  Format format = static_cast<Format>(selector);  // 0 is auto
  auto reader = LineReader::over(body, "fuzz");
  if (format == Format::kAuto) {
    auto head = reader->peek(64 * 1024);
    if (!head) return 0;
    auto sniffed = sniff_format(*head);
    if (!sniffed) return 0;
    format = *sniffed;
  }
  ParserContext context;
  context.now = 1796000000;
  auto parsed = parse_csv_columns("src=2,dst=3,dport=4,proto=5,time=1,bytes=6");
  if (parsed) context.csv = *parsed;
  auto parser = FlowParser::make(format, context);
  std::string_view line;
  Flow flow;
  std::uint64_t lines = 0;
  for (;;) {
    auto next = reader->next(line);
    if (!next || *next == LineReader::Next::kEnd) break;
    ++lines;
    if (reader->line_number() != lines) __builtin_trap();
    if (*next == LineReader::Next::kTooLong) continue;
    if (line.size() > kMaxLineBytes || line.find('\n') != std::string_view::npos) __builtin_trap();
    parser->parse(line, flow);
    // The FortiGate parser's walk over bitmaps takes the tokens the plain walk takes: the same
    // bytes of the line, in the same order.
    if (format == Format::kFortigate) {
      const auto masked = key_value_tokens(line, true), plain = key_value_tokens(line, false);
      if (masked.size() != plain.size()) __builtin_trap();
      for (std::size_t i = 0; i < plain.size(); ++i) {
        if (masked[i].first.data() != plain[i].first.data() || masked[i].first.size() != plain[i].first.size() ||
            masked[i].second.data() != plain[i].second.data() || masked[i].second.size() != plain[i].second.size()) {
          __builtin_trap();
        }
      }
    }
  }
  return 0;
}
