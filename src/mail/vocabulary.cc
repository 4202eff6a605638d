#include "mail/vocabulary.h"

#include <array>
#include <iterator>
#include <ostream>

#include "core/vocabulary.h"

namespace sanso::mail {
namespace {

// Each table lists its terms in the order of the enumerators.
constexpr Vocabulary<Verdict, 3> kVerdicts{{{
                                               {"clean", "変換不要", "clean"},
                                               {"sanitized", "無害化済み", "sanitized"},
                                               {"held", "保留", "held"},
                                           }},
                                           "a mail verdict",
                                           "mail.value"};
constexpr Vocabulary<PartAction, 7> kPartActions{{{
                                                     {"body", "本文", "body"},
                                                     {"converted", "テキストに変換", "converted to text"},
                                                     {"removed", "削除", "removed"},
                                                     {"sanitized", "無害化して添付", "sanitized and attached"},
                                                     {"rejected", "拒否（メール全体を保留）", "rejected (message held)"},
                                                     {"skipped", "不使用", "skipped"},
                                                     {"pending", "無害化待ち", "pending"},
                                                 }},
                                                 "a part action",
                                                 "mail.value"};
constexpr Vocabulary<AttachmentAction, 3> kAttachmentActions{{{
                                                                 {"remove", "削除", "remove"},
                                                                 {"sanitize", "無害化", "sanitize"},
                                                                 {"reject", "拒否（メール全体を保留）", "reject (hold the message)"},
                                                             }},
                                                             "an attachment action",
                                                             "mail.value"};
constexpr Vocabulary<ParserCriticalAction, 3> kParserCriticalActions{{{
                                                                         {"remove-attachments", "添付ファイルをすべて削除", "remove every attachment"},
                                                                         {"hold", "メール全体を保留", "hold the message"},
                                                                         {"sanitize", "記録と表示のみ", "flag only"},
                                                                     }},
                                                                     "an on_parser_critical action",
                                                                     "mail.value"};

constexpr Vocabulary<IdentifierAction, 2> kIdentifierActions{{{
                                                                {"hold", "承認まで保留", "hold for approval"},
                                                                {"reject", "送信を拒否", "reject"},
                                                            }},
                                                            "an identifier_action",
                                                            "mail.value"};
constexpr Vocabulary<PictureReading, 2> kPictureReadings{{{
                                                             {"ocr", "OCRで読み取って検査", "read by OCR and checked"},
                                                             {"hold", "読み取らずに承認まで保留", "held for approval unread"},
                                                         }},
                                                         "a pictures setting",
                                                         "mail.value"};
constexpr Vocabulary<OutsideCitySender, 2> kOutsideCitySenders{{{
                                                                   {"reject", "受信を拒否", "reject"},
                                                                   {"internet", "インターネットのメールとして扱う", "handle as internet mail"},
                                                               }},
                                                               "an outside_city_sender handling",
                                                               "mail.value"};

constexpr Vocabulary<NumberKind, 2> kNumberKinds{{{
                                                   {"individual_number", "個人番号", "individual number (My Number)"},
                                                   {"corporate_number", "法人番号", "corporate number"},
                                               }},
                                               "an identification number kind",
                                               "mail.value"};
constexpr Vocabulary<SenderFindingKind, 5> kSenderFindingKinds{{{
                                                                  {"address-in-name", "表示名に別のアドレス", "another address in the display name"},
                                                                  {"city-name", "市の名称に似た表示名", "a display name like the city's"},
                                                                  {"correspondent-name", "既知の相手と同じ表示名", "a known correspondent's name"},
                                                                  {"lookalike-domain", "よく似た別のドメイン", "a lookalike domain"},
                                                                  {"city-address-from-internet", "インターネットから届いた市のアドレス", "a city address from the internet"},
                                                              }},
                                                              "a sender finding kind",
                                                              "mail.value"};

struct ParserKindRow {
  ParserFindingKind kind;
  Term term;
  FindingSeverity severity;
};
// One row per enumerator, in their order (checked below).
constexpr ParserKindRow kParserKindRows[] = {
    {ParserFindingKind::kDuplicatedHeader, {"duplicated-header", "同じヘッダーの重複", "a header repeated"}, FindingSeverity::kWarning},
    {ParserFindingKind::kDuplicatedParameter, {"duplicated-parameter", "同じパラメーターの重複", "a header parameter repeated"}, FindingSeverity::kWarning},
    {ParserFindingKind::kUnencoded8bitHeader, {"unencoded-8bit-header", "符号化されていない8ビット文字のヘッダー", "a header with unencoded 8-bit characters"}, FindingSeverity::kWarning},
    {ParserFindingKind::kInvalidContentType, {"invalid-content-type", "不正な Content-Type", "an invalid Content-Type"}, FindingSeverity::kWarning},
    {ParserFindingKind::kInvalidRfc2047Header, {"invalid-rfc2047-header", "不正な RFC 2047 符号化", "an invalid RFC 2047 encoded header"}, FindingSeverity::kWarning},
    {ParserFindingKind::kMalformedMultipart, {"malformed-multipart", "部品のないマルチパート", "a multipart without parts"}, FindingSeverity::kWarning},
    {ParserFindingKind::kTruncatedMessage, {"truncated-message", "途中で切れたメッセージ", "a truncated message"}, FindingSeverity::kWarning},
    {ParserFindingKind::kMalformedMessage, {"malformed-message", "不正な形式のメッセージ", "a malformed message"}, FindingSeverity::kWarning},
    {ParserFindingKind::kInvalidHeaderName, {"invalid-header-name", "不正なヘッダー名", "an invalid header name"}, FindingSeverity::kCritical},
    {ParserFindingKind::kConflictingHeader, {"conflicting-header", "内容の食い違う重複ヘッダー", "conflicting copies of a header"}, FindingSeverity::kCritical},
    {ParserFindingKind::kConflictingParameter, {"conflicting-parameter", "値の食い違う重複パラメーター", "conflicting copies of a header parameter"}, FindingSeverity::kCritical},
    {ParserFindingKind::kMultipartWithoutBoundary, {"multipart-without-boundary", "境界 (boundary) のないマルチパート", "a multipart without its boundary"}, FindingSeverity::kCritical},
    {ParserFindingKind::kInvalidParameter, {"invalid-parameter", "不正なヘッダーパラメーター", "an invalid header parameter"}, FindingSeverity::kWarning},
    {ParserFindingKind::kInvalidAddressList, {"invalid-address-list", "不正なアドレス一覧", "an invalid address list"}, FindingSeverity::kWarning},
    {ParserFindingKind::kNestingOverflow, {"nesting-overflow", "MIME の入れ子が深すぎる", "MIME nesting beyond the parser's limit"}, FindingSeverity::kCritical},
    {ParserFindingKind::kPartWithoutContent, {"part-without-content", "内容のない部品", "a part without content"}, FindingSeverity::kWarning},
    {ParserFindingKind::kPartWithoutHeadersOrContent, {"part-without-headers-or-content", "ヘッダーも内容もない部品", "a part without headers or content"}, FindingSeverity::kCritical},
    {ParserFindingKind::kAmbiguousBoundary, {"ambiguous-boundary", "前後に空白のある境界 (boundary)", "a boundary with white space at an end"}, FindingSeverity::kCritical},
    {ParserFindingKind::kDuplicateBoundary, {"duplicate-boundary", "複数の境界 (boundary) 指定", "more than one boundary parameter"}, FindingSeverity::kCritical},
    {ParserFindingKind::kPartOutsideBoundaries, {"part-outside-boundaries", "境界の外 (前文・後文) に置かれた MIME 部品", "a MIME part outside the boundaries (preamble or epilogue)"}, FindingSeverity::kCritical},
    {ParserFindingKind::kBoundaryPrefix, {"boundary-prefix", "外側の境界と先頭が一致する境界", "a boundary that begins another one around it"}, FindingSeverity::kCritical},
    {ParserFindingKind::kAmbiguousPartHeader, {"ambiguous-part-header", "値の食い違う構造ヘッダー・パラメーター (Content-Type などが2つ)", "conflicting structural headers or parameters (two Content-Type, …)"}, FindingSeverity::kCritical},
    {ParserFindingKind::kUnknown, {"unknown", "不明な構造の異常", "an unknown structural anomaly"}, FindingSeverity::kCritical},
};
constexpr std::size_t kParserKindCount = std::size(kParserKindRows);
static_assert(static_cast<std::size_t>(ParserFindingKind::kUnknown) + 1 == kParserKindCount, "every ParserFindingKind has a row");

constexpr bool parser_rows_in_enum_order() {
  for (std::size_t i = 0; i < kParserKindCount; ++i) {
    if (static_cast<std::size_t>(kParserKindRows[i].kind) != i) return false;
  }
  return true;
}
static_assert(parser_rows_in_enum_order(), "kParserKindRows lists the kinds in the order of the enumerators");

constexpr std::array<Term, kParserKindCount> parser_kind_terms() {
  std::array<Term, kParserKindCount> terms{};
  for (std::size_t i = 0; i < terms.size(); ++i) terms[i] = kParserKindRows[i].term;
  return terms;
}
constexpr Vocabulary<ParserFindingKind, kParserKindCount> kParserFindingKinds{parser_kind_terms(), "a parser finding kind", "mail.value"};

}  // namespace

std::string_view to_string(Verdict v) { return kVerdicts.name(v); }
std::string_view to_string(PartAction a) { return kPartActions.name(a); }
std::string_view to_string(AttachmentAction a) { return kAttachmentActions.name(a); }
std::string_view to_string(ParserCriticalAction a) { return kParserCriticalActions.name(a); }
std::string_view label(Verdict v, std::string_view lang) { return kVerdicts.label(v, lang); }
std::string_view label(PartAction a, std::string_view lang) { return kPartActions.label(a, lang); }
std::string_view label(AttachmentAction a, std::string_view lang) { return kAttachmentActions.label(a, lang); }
std::string_view label(ParserCriticalAction a, std::string_view lang) { return kParserCriticalActions.label(a, lang); }
Result<Verdict> parse_verdict(std::string_view text, std::string_view where) { return kVerdicts.parse(text, where); }
Result<PartAction> parse_part_action(std::string_view text, std::string_view where) { return kPartActions.parse(text, where); }
Result<AttachmentAction> parse_attachment_action(std::string_view text, std::string_view where) { return kAttachmentActions.parse(text, where); }
Result<ParserCriticalAction> parse_parser_critical_action(std::string_view text, std::string_view where) {
  return kParserCriticalActions.parse(text, where);
}
std::string_view to_string(IdentifierAction a) { return kIdentifierActions.name(a); }
std::string_view to_string(OutsideCitySender h) { return kOutsideCitySenders.name(h); }
std::string_view label(IdentifierAction a, std::string_view lang) { return kIdentifierActions.label(a, lang); }
std::string_view label(OutsideCitySender h, std::string_view lang) { return kOutsideCitySenders.label(h, lang); }
Result<IdentifierAction> parse_identifier_action(std::string_view text, std::string_view where) { return kIdentifierActions.parse(text, where); }
std::string_view to_string(PictureReading r) { return kPictureReadings.name(r); }
std::string_view label(PictureReading r, std::string_view lang) { return kPictureReadings.label(r, lang); }
Result<PictureReading> parse_picture_reading(std::string_view text, std::string_view where) { return kPictureReadings.parse(text, where); }
Result<OutsideCitySender> parse_outside_city_sender(std::string_view text, std::string_view where) { return kOutsideCitySenders.parse(text, where); }
std::string_view to_string(NumberKind k) { return kNumberKinds.name(k); }
std::string_view to_string(SenderFindingKind k) { return kSenderFindingKinds.name(k); }
std::string_view label(NumberKind k, std::string_view lang) { return kNumberKinds.label(k, lang); }
std::string_view label(SenderFindingKind k, std::string_view lang) { return kSenderFindingKinds.label(k, lang); }
Result<NumberKind> parse_number_kind(std::string_view text, std::string_view where) { return kNumberKinds.parse(text, where); }
Result<SenderFindingKind> parse_sender_finding_kind(std::string_view text, std::string_view where) { return kSenderFindingKinds.parse(text, where); }
std::string_view to_string(ParserFindingKind k) { return kParserFindingKinds.name(k); }
std::string_view label(ParserFindingKind k, std::string_view lang) { return kParserFindingKinds.label(k, lang); }
FindingSeverity severity_of(ParserFindingKind k) { return kParserKindRows[static_cast<std::size_t>(k)].severity; }
Result<ParserFindingKind> parse_parser_finding_kind(std::string_view text, std::string_view where) { return kParserFindingKinds.parse(text, where); }
std::string attachment_action_names() { return kAttachmentActions.names(); }

std::ostream& operator<<(std::ostream& out, Verdict v) { return out << to_string(v); }
std::ostream& operator<<(std::ostream& out, PartAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, AttachmentAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, ParserCriticalAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, IdentifierAction a) { return out << to_string(a); }
std::ostream& operator<<(std::ostream& out, PictureReading r) { return out << to_string(r); }
std::ostream& operator<<(std::ostream& out, OutsideCitySender h) { return out << to_string(h); }
std::ostream& operator<<(std::ostream& out, NumberKind k) { return out << to_string(k); }
std::ostream& operator<<(std::ostream& out, SenderFindingKind k) { return out << to_string(k); }
std::ostream& operator<<(std::ostream& out, ParserFindingKind k) { return out << to_string(k); }

}  // namespace sanso::mail
