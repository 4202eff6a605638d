#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <iterator>

#include "mail/internal/message_text.h"

namespace sanso::mail {
namespace internal {

// GMime's parser warnings as findings. Critical: what another parser may read as a different
// structure (GMime's own grading, and any code this table does not know yet).
struct ParserKind {
  int code;
  const char* kind;
  bool critical;
  const char* ja;
  const char* en;
};
constexpr ParserKind kParserKinds[] = {
    {GMIME_WARN_DUPLICATED_HEADER, "duplicated-header", false, "同じヘッダーの重複", "a header repeated"},
    {GMIME_WARN_DUPLICATED_PARAMETER, "duplicated-parameter", false, "同じパラメーターの重複", "a header parameter repeated"},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, "unencoded-8bit-header", false, "符号化されていない8ビット文字のヘッダー", "a header with unencoded 8-bit characters"},
    {GMIME_WARN_INVALID_CONTENT_TYPE, "invalid-content-type", false, "不正な Content-Type", "an invalid Content-Type"},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "invalid-rfc2047-header", false, "不正な RFC 2047 符号化", "an invalid RFC 2047 encoded header"},
    {GMIME_WARN_MALFORMED_MULTIPART, "malformed-multipart", false, "部品のないマルチパート", "a multipart without parts"},
    {GMIME_WARN_TRUNCATED_MESSAGE, "truncated-message", false, "途中で切れたメッセージ", "a truncated message"},
    {GMIME_WARN_MALFORMED_MESSAGE, "malformed-message", false, "不正な形式のメッセージ", "a malformed message"},
    {GMIME_CRIT_INVALID_HEADER_NAME, "invalid-header-name", true, "不正なヘッダー名", "an invalid header name"},
    {GMIME_CRIT_CONFLICTING_HEADER, "conflicting-header", true, "内容の食い違う重複ヘッダー", "conflicting copies of a header"},
    {GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting-parameter", true, "値の食い違う重複パラメーター", "conflicting copies of a header parameter"},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart-without-boundary", true, "境界 (boundary) のないマルチパート", "a multipart without its boundary"},
    {GMIME_WARN_INVALID_PARAMETER, "invalid-parameter", false, "不正なヘッダーパラメーター", "an invalid header parameter"},
    {GMIME_WARN_INVALID_ADDRESS_LIST, "invalid-address-list", false, "不正なアドレス一覧", "an invalid address list"},
    {GMIME_CRIT_NESTING_OVERFLOW, "nesting-overflow", true, "MIME の入れ子が深すぎる", "MIME nesting beyond the parser's limit"},
    {GMIME_WARN_PART_WITHOUT_CONTENT, "part-without-content", false, "内容のない部品", "a part without content"},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "part-without-headers-or-content", true, "ヘッダーも内容もない部品", "a part without headers or content"},
    {kAmbiguousBoundary, "ambiguous-boundary", true, "前後に空白のある境界 (boundary)", "a boundary with white space at an end"},
    {kDuplicateBoundary, "duplicate-boundary", true, "複数の境界 (boundary) 指定", "more than one boundary parameter"},
    {kPartOutsideBoundaries, "part-outside-boundaries", true, "境界の外 (前文・後文) に置かれた MIME 部品", "a MIME part outside the boundaries (preamble or epilogue)"},
    {kBoundaryPrefix, "boundary-prefix", true, "外側の境界と先頭が一致する境界", "a boundary that begins another one around it"},
    {kAmbiguousPartHeader, "ambiguous-part-header", true, "値の食い違う構造ヘッダー・パラメーター (Content-Type などが2つ)", "conflicting structural headers or parameters (two Content-Type, …)"},
};

constexpr std::size_t kMaxParserFindings = 100;  // distinct (kind, item) pairs kept per message

std::string parser_finding_kind(int code) {
  const auto* known = std::find_if(std::begin(kParserKinds), std::end(kParserKinds), [&](const ParserKind& k) { return k.code == code; });
  return known != std::end(kParserKinds) ? known->kind : "unknown-" + std::to_string(code);
}

void ParserFindingSink::add(std::int64_t offset, int code, const char* item) {
  ParserFinding f;
  f.offset = offset;
  const auto* known = std::find_if(std::begin(kParserKinds), std::end(kParserKinds), [&](const ParserKind& k) { return k.code == code; });
  f.kind = parser_finding_kind(code);
  f.severity = known != std::end(kParserKinds) && !known->critical ? FindingSeverity::kWarning : FindingSeverity::kCritical;
  for (const char* c = item; c != nullptr && *c != '\0' && f.item.size() < 80; ++c) {
    const auto b = static_cast<unsigned char>(*c);
    f.item += b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '?';
  }
  while (!f.item.empty() && (f.item.back() == ' ' || f.item.back() == '?')) f.item.pop_back();
  for (auto& seen : findings) {
    if (seen.kind == f.kind && seen.item == f.item) {
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
    out += (out.empty() ? "" : lang != "en" ? "、" : ", ") + describe_parser_finding(f.kind, lang) + (f.item.empty() ? "" : " (" + f.item + ")");
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

std::string describe_parser_finding(const std::string& kind, const std::string& lang) {
  for (const auto& k : internal::kParserKinds) {
    if (kind == k.kind) return lang != "en" ? k.ja : k.en;
  }
  return lang != "en" ? "不明な構造の異常 (" + kind + ")" : "an unknown structural anomaly (" + kind + ")";
}

}  // namespace sanso::mail
