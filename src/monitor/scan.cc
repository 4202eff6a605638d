#include "monitor/scan.h"

namespace sanso::monitor {

Result<FileReport> scan_stream(LineReader& reader, Format format, const ParserContext& context, Detector& detector, std::uint32_t file_index) {
  FileReport report;
  report.name = reader.name();
  if (format == Format::kAuto) {
    auto head = reader.peek(64 * 1024);
    if (!head) {
      report.stopped = head.error();
      return report;
    }
    auto sniffed = sniff_format(*head);
    if (!sniffed) {
      if (head->empty()) {
        report.format = Format::kAuto;
        return report;  // an empty log: nothing to read, nothing wrong
      }
      return make_error("monitor.format-unknown", reader.name(),
                        "cannot tell the log's format from its first line; give --format (zeek, zeek-json, syslog, fortigate, paloalto, csv)");
    }
    format = *sniffed;
  }
  report.format = format;
  auto parser = FlowParser::make(format, context);
  Flow flow;
  std::string_view line;
  for (;;) {
    auto next = reader.next(line);
    if (!next) {
      report.stopped = std::move(next).error();
      break;
    }
    if (*next == LineReader::Next::kEnd) break;
    ++report.lines;
    if (*next == LineReader::Next::kTooLong) {
      ++report.malformed;
      if (report.first_malformed.size() < kMalformedKept) {
        report.first_malformed.emplace_back(reader.line_number(), "longer than " + std::to_string(kMaxLineBytes / 1024) + " KiB");
      }
      continue;
    }
    LineResult r = parser->parse(line, flow);
    if (r.verdict == Verdict::kFlow && context.now > 0 && flow.time > context.now + kMaxScanFutureSeconds) {
      r = {Verdict::kMalformed, "the flow claims to begin more than a day after the scan did"};
    }
    switch (r.verdict) {
      case Verdict::kFlow:
        ++report.flows;
        detector.observe(flow, file_index, reader.line_number());
        break;
      case Verdict::kSkip:
        ++report.skipped;
        break;
      case Verdict::kMalformed:
        ++report.malformed;
        if (report.first_malformed.size() < kMalformedKept) report.first_malformed.emplace_back(reader.line_number(), r.reason);
        break;
    }
  }
  return report;
}

}  // namespace sanso::monitor
