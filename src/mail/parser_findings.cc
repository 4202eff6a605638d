#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <system_error>

#include "mail/internal/message_text.h"

namespace sanso::mail {
namespace internal {

// GMime's parser warnings, and Sanso's own structure checks, as finding kinds (their words and
// severity are in mail/vocabulary.cc). A code this table does not know is kUnknown, critical.
struct ParserCode {
  int code;
  ParserFindingKind kind;
};
constexpr ParserCode kParserCodes[] = {
    {GMIME_WARN_DUPLICATED_HEADER, ParserFindingKind::kDuplicatedHeader},
    {GMIME_WARN_DUPLICATED_PARAMETER, ParserFindingKind::kDuplicatedParameter},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, ParserFindingKind::kUnencoded8bitHeader},
    {GMIME_WARN_INVALID_CONTENT_TYPE, ParserFindingKind::kInvalidContentType},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, ParserFindingKind::kInvalidRfc2047Header},
    {GMIME_WARN_MALFORMED_MULTIPART, ParserFindingKind::kMalformedMultipart},
    {GMIME_WARN_TRUNCATED_MESSAGE, ParserFindingKind::kTruncatedMessage},
    {GMIME_WARN_MALFORMED_MESSAGE, ParserFindingKind::kMalformedMessage},
    {GMIME_CRIT_INVALID_HEADER_NAME, ParserFindingKind::kInvalidHeaderName},
    {GMIME_CRIT_CONFLICTING_HEADER, ParserFindingKind::kConflictingHeader},
    {GMIME_CRIT_CONFLICTING_PARAMETER, ParserFindingKind::kConflictingParameter},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, ParserFindingKind::kMultipartWithoutBoundary},
    {GMIME_WARN_INVALID_PARAMETER, ParserFindingKind::kInvalidParameter},
    {GMIME_WARN_INVALID_ADDRESS_LIST, ParserFindingKind::kInvalidAddressList},
    {GMIME_CRIT_NESTING_OVERFLOW, ParserFindingKind::kNestingOverflow},
    {GMIME_WARN_PART_WITHOUT_CONTENT, ParserFindingKind::kPartWithoutContent},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, ParserFindingKind::kPartWithoutHeadersOrContent},
    {kAmbiguousBoundary, ParserFindingKind::kAmbiguousBoundary},
    {kDuplicateBoundary, ParserFindingKind::kDuplicateBoundary},
    {kPartOutsideBoundaries, ParserFindingKind::kPartOutsideBoundaries},
    {kBoundaryPrefix, ParserFindingKind::kBoundaryPrefix},
    {kAmbiguousPartHeader, ParserFindingKind::kAmbiguousPartHeader},
};

constexpr std::size_t kMaxParserFindings = 100;  // distinct (kind, item) pairs kept per message

ParserFinding parser_finding_of(int code) {
  ParserFinding f;
  const auto* known = std::find_if(std::begin(kParserCodes), std::end(kParserCodes), [&](const ParserCode& c) { return c.code == code; });
  if (known != std::end(kParserCodes)) {
    f.kind = known->kind;
  } else {
    f.kind = ParserFindingKind::kUnknown;
    f.unknown_code = code;
  }
  f.severity = severity_of(f.kind);
  return f;
}

void ParserFindingSink::add(std::int64_t offset, int code, const char* item) {
  ParserFinding f = parser_finding_of(code);
  f.offset = offset;
  for (const char* c = item; c != nullptr && *c != '\0' && f.item.size() < 80; ++c) {
    const auto b = static_cast<unsigned char>(*c);
    f.item += b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '?';
  }
  while (!f.item.empty() && (f.item.back() == ' ' || f.item.back() == '?')) f.item.pop_back();
  for (auto& seen : findings) {
    if (seen.kind == f.kind && seen.unknown_code == f.unknown_code && seen.item == f.item) {
      ++seen.count;
      return;
    }
  }
  if (findings.size() >= kMaxParserFindings) {
    ++dropped;
    return;
  }
  findings.push_back(std::move(f));
}

void ParserFindingSink::on_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer sink) {
  static_cast<ParserFindingSink*>(sink)->add(offset, static_cast<int>(code), item);
}

bool has_critical(const SanitizePlan& plan) {
  return std::any_of(plan.parser_findings.begin(), plan.parser_findings.end(), [](const ParserFinding& f) { return f.severity == FindingSeverity::kCritical; });
}

// "conflicting-header (Content-Type), multipart-without-boundary (mixed)": the critical findings
// in words for a held message's reason and the notice.
std::string critical_findings_text(const SanitizePlan& plan, const std::string& lang) {
  std::string out;
  for (const auto& f : plan.parser_findings) {
    if (f.severity != FindingSeverity::kCritical) continue;
    out += (out.empty() ? "" : lang != "en" ? "、" : ", ") + describe_parser_finding(f, lang) + (f.item.empty() ? "" : " (" + f.item + ")");
  }
  return out;
}

// The stricter handling of a message with critical parser findings (options.on_parser_critical).
void apply_parser_critical(SanitizePlan& plan, const SanitizeOptions& options) {
  if (!has_critical(plan) || plan.verdict == Verdict::kHeld || options.on_parser_critical == ParserCriticalAction::kSanitize) return;
  const bool ja = options.lang != "en";
  if (options.on_parser_critical == ParserCriticalAction::kHold) {
    plan.verdict = Verdict::kHeld;
    plan.reason = (ja ? "メールの構造に、他のソフトウェアが異なって解釈しうる異常があります: " : "the message's structure has anomalies other software may read differently: ") +
                  critical_findings_text(plan, options.lang);
    plan.pending.clear();
    return;
  }
  for (auto& [index, bytes] : plan.pending) {
    if (index >= plan.parts.size()) continue;
    plan.parts[index].action = PartAction::kRemoved;
    plan.parts[index].flags.emplace_back("parser-critical");
  }
  plan.pending.clear();
}

}  // namespace internal

std::string kind_name(const ParserFinding& finding) {
  if (finding.kind == ParserFindingKind::kUnknown) return "unknown-" + std::to_string(finding.unknown_code);
  return std::string(to_string(finding.kind));
}

Result<void> read_kind_name(ParserFinding& finding, std::string_view name, std::string_view where) {
  constexpr std::string_view kUnknownPrefix = "unknown-";
  if (name.substr(0, kUnknownPrefix.size()) == kUnknownPrefix) {
    const std::string_view digits = name.substr(kUnknownPrefix.size());
    int code = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return make_error("mail.value", std::string(where), "'" + std::string(name) + "' is not a parser finding kind (unknown-<code> takes a decimal code)");
    }
    finding.kind = ParserFindingKind::kUnknown;
    finding.unknown_code = code;
    return ok();
  }
  const ParserFindingKind kind = SANSO_TRY(parse_parser_finding_kind(name, where));
  if (kind == ParserFindingKind::kUnknown) {
    return make_error("mail.value", std::string(where), "'unknown' is not a parser finding kind without its code (unknown-<code>)");
  }
  finding.kind = kind;
  finding.unknown_code = 0;
  return ok();
}

std::string describe_parser_finding(const ParserFinding& finding, const std::string& lang) {
  const std::string words(label(finding.kind, lang));
  return finding.kind == ParserFindingKind::kUnknown ? words + " (" + kind_name(finding) + ")" : words;
}

}  // namespace sanso::mail
