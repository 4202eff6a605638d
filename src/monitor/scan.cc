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
  // Flows go to the detector a batch at a time, in order, one batch behind the parse: when a
  // batch is full its host records are asked for (Detector::prefetch) and the batch before it is
  // observed, whose records have had this batch's parsing to arrive. Asked for and observed at
  // once (observe_batch), the first flows of each batch waited out the whole miss
  // (docs/monitor.md, ninth round).
  std::array<std::array<Flow, Detector::kBatch>, 2> batches;
  std::array<std::array<std::uint64_t, Detector::kBatch>, 2> batches_lines;
  int filling = 0;       // the batch being parsed into
  bool waiting = false;  // the other one is full and not yet observed
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
    Flow& flow = batches[filling][batched];
    LineResult r = parser->parse(line, flow);
    if (r.verdict == Verdict::kFlow && context.now > 0 && flow.time > context.now + kMaxScanFutureSeconds) {
      r = {Verdict::kMalformed, "the flow claims to begin more than a day after the scan did"};
    }
    switch (r.verdict) {
      case Verdict::kFlow:
        ++report.flows;
        batches_lines[filling][batched] = reader.line_number();
        if (++batched == Detector::kBatch) {
          detector.prefetch(batches[filling]);
          if (waiting) detector.observe_each(batches[1 - filling], file_index, batches_lines[1 - filling]);
          waiting = true;
          filling = 1 - filling;
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
  // Also where reading stopped with an error: the flows before it count.
  if (waiting) detector.observe_each(batches[1 - filling], file_index, batches_lines[1 - filling]);
  detector.observe_batch(std::span(batches[filling]).first(batched), file_index, std::span(batches_lines[filling]).first(batched));
  return report;
}

}  // namespace sanso::monitor
