// Reading one log through its parser into the detector: the format sniffed when asked, every
// line accounted for (flows, lines of other kinds, malformed lines with their numbers, lines too
// long), the stream never stopped by a bad line. What `sanso monitor scan` does per file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "monitor/detector.h"
#include "monitor/line_reader.h"
#include "monitor/parsers.h"

namespace sanso::monitor {

struct FileReport {
  std::string name;
  Format format = Format::kAuto;
  std::uint64_t lines = 0;
  std::uint64_t flows = 0;
  std::uint64_t skipped = 0;    // headers, comments, other messages
  std::uint64_t malformed = 0;  // including lines too long
  // The first malformed lines: line number and reason.
  std::vector<std::pair<std::uint64_t, std::string>> first_malformed;
  // Why the file could not be read to its end (truncated gzip, read error); the lines before count.
  std::optional<Error> stopped;
};

inline constexpr std::size_t kMalformedKept = 20;
// How far past the scan's "now" (ParserContext::now) a flow may claim to have begun: a day, for
// RFC 3164 times (local time read as UTC) and drifting clocks. A line dated later cannot be true
// and is malformed: a forged one would otherwise carry its host's volume bucket past every real
// flow of that host in the rest of the log, which would then all be "late" (no volume finding).
inline constexpr std::int64_t kMaxScanFutureSeconds = 86400;

// Reads `reader` to its end. With Format::kAuto the first 64 KiB decide; an Error only when the
// format cannot be told (the report says why a file stopped early otherwise).
Result<FileReport> scan_stream(LineReader& reader, Format format, const ParserContext& context, Detector& detector, std::uint32_t file_index);

}  // namespace sanso::monitor
