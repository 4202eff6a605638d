#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/identification_numbers.h"
#include "core/internal/log_shipper.h"
#include "core/log_events.h"
#include "core/text.h"

namespace sanso::log {
namespace {

using internal::Line;

constexpr std::size_t kMaxValueBytes = 2048;
constexpr std::size_t kMaxMessageBytes = 4096;

std::optional<Level> level_named(std::string_view name) {
  if (name == "debug" || name == "trace") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error" || name == "err" || name == "critical") return Level::kError;
  return std::nullopt;
}

// Whether "audit" events are wanted: read for every audit entry, so kept outside State's lock.
std::atomic<bool> g_audit{false};

struct State {
  std::mutex mu;
  Level stderr_level = Level::kWarn;
  std::string facility = "daemon";
  std::string hostname;
  std::unique_ptr<internal::Shipper> shipper;  // set when a syslog target or the journal is configured
};

State& state() {
  // Never destroyed: a thread may log while the process exits. The shipper is stopped (and its
  // queue drained) by the exit handler below, not by a static destructor.
  static State* s = [] {
    auto* st = new State;
    const char* env = std::getenv("SANSO_LOG");
    if (env != nullptr) st->stderr_level = level_named(env).value_or(Level::kWarn);
    g_audit = st->stderr_level <= Level::kInfo;
    return st;
  }();
  return *s;
}

spdlog::logger& stderr_logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("sanso");
    l->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");
    l->set_level(spdlog::level::trace);  // the threshold is ours (State), read under its lock
    return l;
  }();
  return *instance;
}

// A digit as the outgoing check reads one (numbers::digit_at: every Unicode digit form and the
// kanji numerals): a number the check can see is a number no log may carry, whatever its glyphs.
bool is_digit_at(std::string_view t, std::size_t i, std::size_t& len) { return numbers::digit_at(t, i, len) >= 0; }

bool is_separator_at(std::string_view t, std::size_t i, std::size_t& len) {
  if (i < t.size() && (t[i] == '-' || t[i] == ' ')) {
    len = 1;
    return true;
  }
  // Full-width hyphen-minus U+FF0D (EF BC 8D), small hyphen-minus U+FE63 (EF B9 A3), ideographic
  // space U+3000 (E3 80 80), hyphens and dashes U+2010..U+2015 (E2 80 90..95), minus sign U+2212
  // (E2 88 92).
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(t[i + k]); };
  if (i + 2 < t.size()) {
    if ((at(0) == 0xEF && at(1) == 0xBC && at(2) == 0x8D) || (at(0) == 0xEF && at(1) == 0xB9 && at(2) == 0xA3) ||
        (at(0) == 0xE3 && at(1) == 0x80 && at(2) == 0x80) || (at(0) == 0xE2 && at(1) == 0x80 && at(2) >= 0x90 && at(2) <= 0x95) ||
        (at(0) == 0xE2 && at(1) == 0x88 && at(2) == 0x92)) {
      len = 3;
      return true;
    }
  }
  return false;
}

bool is_ascii_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool names_a_secret(std::string_view key) {
  const std::string k = ascii_lower(key);
  for (const char* word : {"password", "passphrase", "passwd", "secret", "token", "otp", "cookie", "authorization"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string truncated(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  text.resize(cut);
  text += "…";
  return text;
}

// What of a value may leave: masked first (so that a number split by a control character is not
// unmasked by making the control visible), then every invisible or deceptive character shown.
std::string clean(std::string_view text, std::size_t limit) { return truncated(visible_text(redact(text)), limit); }

std::string clean_key(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 32)) out += is_ascii_alnum(c) || c == '_' ? c : '_';
  return out.empty() ? "field" : out;
}

std::string clean_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 32)) out += c > 32 && c < 127 ? c : '_';
  return out.empty() ? "-" : out;
}

Line make_line(Level level, bool notice, std::string_view name, std::string_view message, std::initializer_list<Field> fields) {
  Line line;
  line.level = level;
  line.notice = notice;
  line.name = clean_name(name);
  line.message = clean(message, kMaxMessageBytes);
  line.unix_micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const Field& f : fields) {
    line.fields.emplace_back(clean_key(f.key), names_a_secret(f.key) ? std::string("[redacted]") : clean(f.value, kMaxValueBytes));
  }
  return line;
}

void to_stderr(const Line& line) {
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err};
  std::string text = line.message;
  for (const auto& [key, value] : line.fields) {
    const bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
    text += ' ';
    text += key;
    text += '=';
    if (!quote) {
      text += value;
      continue;
    }
    text += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  stderr_logger().log(kMap[static_cast<int>(line.level)], "{}", text);
}

void emit(Line line) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (line.level >= s.stderr_level) to_stderr(line);
  // The syslog server and the journal get info and above whatever stderr's threshold: they are
  // where a SIEM follows the audit entries.
  if (s.shipper && line.level >= std::min(s.stderr_level, Level::kInfo)) s.shipper->push(std::move(line), s.facility, s.hostname);
}

void stop_shipper_at_exit() {
  State& s = state();
  std::unique_ptr<internal::Shipper> shipper;
  {
    std::lock_guard lock(s.mu);
    shipper = std::move(s.shipper);
  }
  if (shipper && !shipper->owned_by_this_process()) {
    (void)shipper.release();  // a forked child's copy: its thread lives in the parent only
    return;
  }
  shipper.reset();  // drains what is queued, for a few seconds at most
}

}  // namespace

std::string redact(std::string_view text) {
  // Spans to mask, as [begin, end) bytes: every valid number the outgoing check finds (in every
  // spelling it reads, '_' and '.' between groups too, overlapping ones, after a letter), and every
  // run of 12 or 13 digits with single spaces or hyphens between them that stands apart from
  // letters and digits, valid or not — a log masks more than the check holds, never less.
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const auto& n : numbers::find(text)) spans.emplace_back(n.offset, n.offset + n.length);
  for (std::size_t i = 0; i < text.size();) {
    std::size_t len = 0;
    if (!(is_digit_at(text, i, len) && (i == 0 || !is_ascii_alnum(text[i - 1])))) {
      ++i;
      continue;
    }
    // The longest run of digits with single separators between them; invisible characters
    // between them passed over, as a reader passes over them.
    std::size_t j = i, end = i, digits = 0;
    bool after_digit = false;
    while (true) {
      std::size_t dl = 0, sl = 0;
      if (is_digit_at(text, j, dl)) {
        ++digits;
        j += dl;
        end = j;
        after_digit = true;
        continue;
      }
      if (const std::size_t n = numbers::invisible_at(text, j); n > 0) {
        j += n;
        continue;
      }
      if (after_digit && is_separator_at(text, j, sl)) {
        std::size_t p = j + sl;
        while (const std::size_t n = numbers::invisible_at(text, p)) p += n;
        if (is_digit_at(text, p, dl)) {
          j = p;
          after_digit = false;
          continue;
        }
      }
      break;
    }
    const bool bounded = end == text.size() || !is_ascii_alnum(text[end]);
    if ((digits == 12 || digits == 13) && bounded) spans.emplace_back(i, end);
    i = end;
  }
  std::sort(spans.begin(), spans.end());
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t k = 0; k < spans.size();) {
    const std::size_t begin = std::max(spans[k].first, copied);
    std::size_t end = spans[k].second;
    for (++k; k < spans.size() && spans[k].first < end; ++k) end = std::max(end, spans[k].second);
    if (end <= begin) continue;
    out.append(text.substr(copied, begin - copied));
    out.append(numbers::digits_in(text, begin, end - begin).size(), '*');
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

void write(Level level, std::string_view message) { emit(make_line(level, false, "sanso", message, {})); }

void event(Level level, std::string_view name, std::string_view message, std::initializer_list<Field> fields) {
  emit(make_line(level, false, name, message, fields));
}

namespace {

bool token_like(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// `text` with every run of 40 or more token characters replaced: shorter ids (a transfer's t and
// 32 hex digits) stay readable, a 256-bit token in hex does not.
std::string without_tokens(std::string_view text) {
  constexpr std::size_t kTokenRun = 40;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!token_like(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && token_like(text[end])) ++end;
    if (end - i >= kTokenRun) {
      out += "[redacted]";
    } else {
      out.append(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds < 0 ? 0.0 : seconds);
  return buf;
}

}  // namespace

std::string request_target(std::string_view path, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out = without_tokens(path);
  char joiner = '?';
  for (const auto& [key, value] : query) {
    out += joiner;
    joiner = '&';
    out += without_tokens(key);
    out += '=';
    out += names_a_secret(key) ? std::string("[redacted]") : without_tokens(value);
  }
  return out;
}

void request(const RequestLine& r) {
  const std::string status = std::to_string(r.status), seconds = seconds_text(r.seconds);
  std::string message = std::string(r.method) + " " + std::string(r.target) + " " + status;
  emit(make_line(Level::kInfo, false, "http.request", message,
                 {{"service", r.service}, {"method", r.method}, {"path", r.target}, {"status", status}, {"duration_s", seconds},
                  {"actor", r.actor}, {"client", r.client}}));
}

void decision(const DecisionLine& d) {
  const std::string seconds = seconds_text(d.seconds), index = d.audit_index == 0 ? std::string() : std::to_string(d.audit_index);
  std::string message = "mail " + std::string(d.queue_id) + " " + std::string(d.verdict) + (d.rule_id.empty() ? "" : " " + std::string(d.rule_id));
  emit(make_line(Level::kInfo, false, "mail.decision", message,
                 {{"queue_id", d.queue_id}, {"verdict", d.verdict}, {"rule", d.rule_id}, {"clause", d.clause}, {"duration_s", seconds}, {"seq", index}}));
}

Result<void> check_syslog_target(std::string_view target) {
  SANSO_TRY(internal::parse_target(target));
  return ok();
}

Result<void> check_facility(std::string_view facility) {
  if (!internal::facility_code(facility)) {
    return make_error("log.facility", std::string(facility), "not a syslog facility: use one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 … local7");
  }
  return ok();
}

Result<void> configure(const Settings& settings) {
  SANSO_TRY(check_facility(settings.facility));
  std::unique_ptr<internal::Shipper> shipper;
  if (!settings.syslog.empty() || settings.journal) {
    std::optional<internal::Target> target;
    if (!settings.syslog.empty()) target = SANSO_TRY(internal::parse_target(settings.syslog));
    shipper = std::make_unique<internal::Shipper>(std::move(target), settings.journal);
  }
  State& s = state();
  std::unique_ptr<internal::Shipper> old;
  {
    std::lock_guard lock(s.mu);
    if (settings.level) s.stderr_level = *settings.level;
    s.facility = settings.facility;
    s.hostname = settings.hostname;
    old = std::move(s.shipper);
    s.shipper = std::move(shipper);
    g_audit = settings.audit && (s.shipper != nullptr || s.stderr_level <= Level::kInfo);
  }
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(&stop_shipper_at_exit); });
  return ok();
}

bool audit_events() {
  (void)state();  // SANSO_LOG's level decides until configure() is called
  return g_audit.load(std::memory_order_relaxed);
}

void audit(const AuditLine& a) {
  if (!audit_events()) return;
  const std::string index = std::to_string(a.index);
  std::string message = "audit #" + index + " " + std::string(a.action) + " " + std::string(a.outcome);
  emit(make_line(Level::kInfo, true, "audit", message,
                 {{"seq", index}, {"action", a.action}, {"outcome", a.outcome}, {"actor", a.actor}, {"subject", a.subject}, {"rule", a.rule_id}, {"clause", a.clause}}));
}

std::string rfc5424_line(Level level, std::string_view facility, std::string_view hostname, std::int64_t unix_micros, std::string_view name,
                         std::string_view message, std::initializer_list<Field> fields) {
  Line line = make_line(level, false, name, message, fields);
  line.unix_micros = unix_micros;
  return internal::format_rfc5424(line, *internal::facility_code(facility), hostname, static_cast<long>(::getpid()));
}

}  // namespace sanso::log
