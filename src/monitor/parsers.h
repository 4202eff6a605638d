// Log formats → Flow. One parser per format, each a line at a time over a view into the reader's
// buffer (no allocation per line), each robust to whatever the line holds: a line that is not a
// flow of its format is kSkip (a header, a comment, another message on the same syslog stream) or
// kMalformed with a reason; neither stops the stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "monitor/flow.h"

namespace sanso::monitor {

enum class Format : std::uint8_t { kAuto, kZeek, kZeekJson, kSyslog, kFortigate, kPaloAlto, kCsv };

std::string_view to_string(Format format);  // "auto", "zeek", "zeek-json", "syslog", "fortigate", "paloalto", "csv"
std::optional<Format> parse_format(std::string_view text);
// The format of a log from its first bytes; nullopt when none fits (the caller asks for --format).
std::optional<Format> sniff_format(std::string_view head);

enum class Verdict : std::uint8_t { kFlow, kSkip, kMalformed };

struct LineResult {
  Verdict verdict = Verdict::kSkip;
  const char* reason = "";  // for kMalformed: why, in English (static)
};

// Which column holds which field in a generic CSV: 0-based indices, or -1 when absent. Given by
// names (the first line is then a header naming the columns) or by 1-based numbers.
struct CsvColumns {
  struct Field {
    std::string name;  // header name; empty when given by number
    int index = -1;
  };
  Field time, src, dst, sport, dport, proto, bytes;
  char separator = ',';
};

// "src=source_ip,dst=dest_ip,dport=dest_port,proto=protocol,time=ts,bytes=sent" (header names)
// or "src=2,dst=3,dport=5" (1-based column numbers); src and dst are required.
Result<CsvColumns> parse_csv_columns(std::string_view spec);
// The default map: a header with columns named time, src, dst, sport, dport, proto, bytes.
CsvColumns default_csv_columns();

struct ParserContext {
  // Now, Unix seconds: syslog RFC 3164 timestamps carry no year; the year is the one that puts
  // the time nearest before now.
  std::int64_t now = 0;
  // Seconds east of UTC of the times a log writes without a zone: RFC 3164 syslog, FortiGate's
  // date and time without tz, PAN-OS's receive time. A city's firewalls and its log server write
  // local time; the CLI passes the machine's zone (local_utc_offset()), tests 0.
  std::int64_t zoneless_offset = 0;
  CsvColumns csv = default_csv_columns();
  // The Zeek and FortiGate parsers as any x86-64 processor runs them, even where this one has
  // SSSE3 (whose parsers read addresses 16 bytes at once): tests hold the two against each other.
  bool plain = false;
};

class FlowParser {
 public:
  virtual ~FlowParser() = default;
  virtual LineResult parse(std::string_view line, Flow& out) = 0;
  // A reader that lives for months (the collector) moves "now" on: an RFC 3164 time carries no
  // year, and a kernel-log record's time is when it was read. ParserContext::now is only the start.
  virtual void set_now(std::int64_t /*now*/) {}
  static std::unique_ptr<FlowParser> make(Format format, const ParserContext& context);
};

// Helpers shared with the collectors (NetFlow timestamps, syslog over the network).
// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
// "2026-12-05T01:02:03[.fff][Z|±hh:mm]" or with a space or "/" as in "2026/12/05 01:02:03"; nullopt otherwise.
// A time without a zone is taken as `zoneless_offset` seconds east of UTC.
std::optional<std::int64_t> parse_iso_time(std::string_view text, std::int64_t zoneless_offset = 0);
// The machine's offset from UTC at `unix_seconds` (Japan: 32400), from its time zone (TZ).
std::int64_t local_utc_offset(std::int64_t unix_seconds);

// The key=value tokens of a line in order, as the FortiGate parser's walk over bitmaps takes them
// (`masked`) or as the plain walk of the syslog parser does: the tests hold one against the other.
std::vector<std::pair<std::string_view, std::string_view>> key_value_tokens(std::string_view line, bool masked);

}  // namespace sanso::monitor
