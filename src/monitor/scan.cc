#include "monitor/scan.h"

#include <array>

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
  std::string_view line;
  // Flows go to the detector a batch at a time, in order (Detector::observe_batch).
  std::array<Flow, Detector::kBatch> batch;
  std::array<std::uint64_t, Detector::kBatch> batch_lines;
  std::size_t batched = 0;
  for (;;) {
    LineReader::Next got = LineReader::Next::kLine;
    if (!reader.next_buffered(line)) {
      auto next = reader.next(line);
      if (!next) {
        report.stopped = std::move(next).error();
        break;
      }
      got = *next;
    }
    if (got == LineReader::Next::kEnd) break;
    ++report.lines;
    if (got == LineReader::Next::kTooLong) {
      ++report.malformed;
      if (report.first_malformed.size() < kMalformedKept) {
        report.first_malformed.emplace_back(reader.line_number(), "longer than " + std::to_string(kMaxLineBytes / 1024) + " KiB");
      }
      continue;
    }
    // Parsed in place, into the batch's next slot (a slot a line that is no flow left is
    // overwritten by the next one).
    Flow& flow = batch[batched];
    LineResult r = parser->parse(line, flow);
    if (r.verdict == Verdict::kFlow && context.now > 0 && flow.time > context.now + kMaxScanFutureSeconds) {
      r = {Verdict::kMalformed, "the flow claims to begin more than a day after the scan did"};
    }
    switch (r.verdict) {
      case Verdict::kFlow:
        ++report.flows;
        batch_lines[batched] = reader.line_number();
        if (++batched == batch.size()) {
          detector.observe_batch(batch, file_index, batch_lines);
          batched = 0;
        }
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
  detector.observe_batch(std::span(batch).first(batched), file_index, std::span(batch_lines).first(batched));
  return report;
}

}  // namespace sanso::monitor
