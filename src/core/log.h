// Logging for services and the CLI: one line per event on stderr (level from [log] level or
// SANSO_LOG=debug|info|warn|error), and, when [log] names them, the same events to a syslog server
// as RFC 5424 (UDP, TCP or a local socket) and to the systemd journal with their fields, so that a
// city's SIEM can follow what Sanso does entry by entry of its audit log (docs/logging.md).
//
// Whatever reaches a log passes `redact` first: a 個人番号 or 法人番号 is never written to a log,
// and a field whose key names a secret (password, token, …) is written as "[redacted]". Kept free
// of spdlog's and libsystemd's headers so that including it is cheap.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// One fact of an event. The key is the program's own word (ASCII letters, digits, '_');
// the value is text from anywhere: masked, made visible and escaped on the way out.
struct Field {
  std::string_view key;
  std::string_view value;
};

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::kDebug, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void warn(std::string_view m) { write(Level::kWarn, m); }
inline void error(std::string_view m) { write(Level::kError, m); }

// One event: a fixed name ("audit", "milter.start"; RFC 5424's MSGID), a line for people, and
// its facts (RFC 5424 structured data, journal fields SANSO_<KEY>, "key=value" on stderr).
void event(Level level, std::string_view name, std::string_view message, std::initializer_list<Field> fields = {});

// Where the lines go ([log] in sanso.toml). Without a syslog target or the journal, stderr only.
struct Settings {
  std::optional<Level> level;  // stderr's threshold; unset: SANSO_LOG, else warn
  std::string syslog;          // "", "udp://HOST:PORT", "tcp://HOST:PORT" or "unix:/PATH" (e.g. unix:/dev/log)
  std::string facility = "daemon";
  bool journal = false;        // the systemd journal's native protocol, fields included
  std::string hostname;        // RFC 5424 HOSTNAME: the node's name ([service] node)
  bool audit = true;           // an "audit" event for every audit entry, once it is committed
};

// Checks a syslog target and facility as configure() takes them (for config errors that name the line).
Result<void> check_syslog_target(std::string_view target);
Result<void> check_facility(std::string_view facility);

// Replaces the settings of the process. The syslog and journal lines leave from a thread of their
// own, through a bounded queue: a slow or absent log server never holds up mail or a transfer
// (lines it could not take are counted and the count is reported once it takes lines again).
// Lines still queued are sent, for a few seconds at most, when the process exits.
Result<void> configure(const Settings& settings);

// Whether "audit" events are wanted (a service configured with a syslog target or the journal,
// or stderr at info or below, and [log] audit not turned off).
bool audit_events();

// An audit entry as a log event, for the audit log to call once the entry's transaction committed.
struct AuditLine {
  std::uint64_t index = 0;
  std::string_view action, outcome, actor, subject, rule_id, clause;
};
void audit(const AuditLine& line);

// `text` with every digit of a number masked with '*': every valid 個人番号 or 法人番号 the
// outgoing check finds (numbers::find: every spelling it reads), and every number of 12 or 13
// digits (in any form numbers::digit_at reads: ASCII, full-width, every Unicode digit form, kanji
// numerals; groups separated by '-' or a space, not part of a longer run of letters and digits),
// valid or not. Masks more than the check finds, never less.
std::string redact(std::string_view text);

// What the lines sent to a syslog server look like (RFC 5424), for tests and the docs.
std::string rfc5424_line(Level level, std::string_view facility, std::string_view hostname, std::int64_t unix_micros,
                         std::string_view name, std::string_view message, std::initializer_list<Field> fields);

}  // namespace sanso::log
