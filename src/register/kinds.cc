#include "register/kinds.h"

#include <array>
#include <charconv>
#include <cmath>
#include <ctime>

#include "core/clock.h"
#include "core/text.h"
#include "policy/policy.h"

namespace sanso::registers {
namespace {

constexpr Vocabulary<Kind, kKindCount> kKinds{{{
                                                  {"assets", "情報資産台帳", "information assets"},
                                                  {"contractors", "委託事業者台帳", "contractors"},
                                                  {"cloud", "クラウドサービス台帳", "cloud services"},
                                                  {"sns", "ソーシャルメディアアカウント台帳", "social-media accounts"},
                                                  {"incidents", "インシデント記録", "incidents"},
                                                  {"exceptions", "例外措置台帳", "exceptions"},
                                                  {"risks", "リスク台帳", "risks"},
                                                  {"training", "研修・遵守誓約記録", "training and attestations"},
                                                  {"reviews", "ポリシー見直し記録", "policy reviews"},
                                              }},
                                              "a register",
                                              "register.unknown-kind"};

// 4(2): what an information asset is — networks, systems and their equipment, recording media,
// the information they handle, and the documents about them (specifications, network diagrams).
constexpr std::array kForms = {
    Term{"data", "電子データ", "electronic data"},
    Term{"paper", "紙", "paper"},
    Term{"media", "電磁的記録媒体", "recording media"},
    Term{"design_document", "設計書・仕様書", "design documents"},
    Term{"network_diagram", "ネットワーク構成図", "network diagrams"},
    Term{"system", "情報システム", "information system"},
    Term{"network", "ネットワーク・設備", "network and equipment"},
};
constexpr std::array kCheckResults = {
    Term{"pass", "適合", "pass"},
    Term{"partial", "一部不適合", "partly failed"},
    Term{"fail", "不適合", "fail"},
};
constexpr std::array kSeverities = {
    Term{"low", "軽微", "low"},
    Term{"medium", "中", "medium"},
    Term{"high", "重大", "high"},
    Term{"critical", "緊急", "critical"},
};
constexpr std::array kIncidentStates = {
    Term{"open", "対応中", "open"},
    Term{"contained", "封じ込め済み", "contained"},
    Term{"closed", "終結", "closed"},
};
constexpr std::array kExceptionStates = {
    Term{"requested", "申請中", "requested"},
    Term{"approved", "承認", "approved"},
    Term{"rejected", "却下", "rejected"},
    Term{"withdrawn", "取下げ・終了", "withdrawn"},
};
constexpr std::array kTreatments = {
    Term{"reduce", "低減", "reduce"},
    Term{"accept", "受容", "accept"},
    Term{"transfer", "移転", "transfer"},
    Term{"avoid", "回避", "avoid"},
};
constexpr std::array kTrainingKinds = {
    Term{"training", "研修", "training"},
    Term{"attestation", "遵守の誓約", "attestation"},
};

constexpr std::array kReviewDecisions = {
    Term{"approved", "承認", "approved"},
    Term{"changes-required", "要修正", "changes required"},
};

using F = FieldType;

constexpr std::array kAssetFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"name", "名称", "name", F::kText, true, true},
    FieldSpec{"form", "形態", "form", F::kChoice, true, false, kForms},
    FieldSpec{"owner", "管理者", "owner", F::kText, true},
    FieldSpec{"location", "保管場所", "location", F::kText},
    FieldSpec{"system", "情報システム", "system", F::kText, false, true},
    FieldSpec{"zone", "領域", "zone", F::kText, false, true},
    FieldSpec{"confidentiality", "機密性", "confidentiality", F::kText, false, true},
    FieldSpec{"integrity", "完全性", "integrity", F::kText, false, true},
    FieldSpec{"availability", "可用性", "availability", F::kText, false, true},
    FieldSpec{"responsible_role", "責任者の役割", "responsible role", F::kText, false, true},
    FieldSpec{"handling", "取扱制限", "handling restrictions", F::kLongText},
    FieldSpec{"note", "備考", "note", F::kLongText},
};
constexpr std::array kContractorFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"name", "事業者名", "name", F::kText, true, true},
    FieldSpec{"systems", "担当システム", "systems", F::kList, false, true},
    FieldSpec{"contract_until", "契約期限", "contract until", F::kDate, false, true},
    FieldSpec{"security_requirements", "セキュリティ要件の明記", "security requirements in contract", F::kYesNo, false, true},
    FieldSpec{"required_clauses", "必要な契約条項", "required contract clauses", F::kList},
    FieldSpec{"last_check", "直近の確認日", "last check", F::kDate},
    FieldSpec{"check_result", "確認結果", "check result", F::kChoice, false, false, kCheckResults},
    FieldSpec{"check_note", "確認の内容", "check note", F::kLongText},
    FieldSpec{"next_check", "次回確認期限", "next check due", F::kDate},
    FieldSpec{"contact", "連絡先", "contact", F::kText},
    // Who in the city answers for the contract: the reminders of its checks are mailed to them.
    FieldSpec{"responsible", "担当者", "responsible", F::kText},
};
constexpr std::array kCloudFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"name", "サービス名", "name", F::kText, true, true},
    FieldSpec{"zone", "利用する領域", "zone", F::kText, false, true},
    FieldSpec{"responsible_role", "責任者の役割", "responsible role", F::kText, false, true},
    FieldSpec{"provider", "提供事業者", "provider", F::kText},
    FieldSpec{"ceiling", "扱える機密性の上限", "classification ceiling", F::kText, true},
    FieldSpec{"contract", "契約・利用規約", "contract", F::kText},
    FieldSpec{"contract_until", "契約期限", "contract until", F::kDate},
    FieldSpec{"last_review", "直近の見直し日", "last review", F::kDate},
    FieldSpec{"review_date", "次回見直し期限", "review due", F::kDate, true},
    FieldSpec{"note", "備考", "note", F::kLongText},
};
constexpr std::array kSocialMediaFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"name", "アカウント名", "name", F::kText, true, true},
    FieldSpec{"zone", "利用する領域", "zone", F::kText, false, true},
    FieldSpec{"responsible_role", "責任者の役割", "responsible role", F::kText, false, true},
    FieldSpec{"responsible_person", "責任者", "responsible person", F::kText, true, true},
    FieldSpec{"service", "サービス", "service", F::kText},
    FieldSpec{"mfa", "多要素認証", "MFA", F::kYesNo, true},
    FieldSpec{"last_review", "直近の点検日", "last review", F::kDate},
    FieldSpec{"last_post", "最終投稿日", "last post", F::kDate},
    FieldSpec{"dormant_days", "休眠とみなす日数", "dormant after days", F::kCount},
    FieldSpec{"note", "備考", "note", F::kLongText},
};
constexpr std::array kIncidentFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"title", "件名", "title", F::kText, true},
    FieldSpec{"occurred_on", "発生日", "occurred on", F::kDate, true},
    FieldSpec{"detected_on", "検知日", "detected on", F::kDate},
    FieldSpec{"severity", "重大度", "severity", F::kChoice, true, false, kSeverities},
    FieldSpec{"state", "状態", "state", F::kChoice, true, false, kIncidentStates},
    FieldSpec{"responsible", "対応責任者", "responsible", F::kText},
    FieldSpec{"timeline", "経過", "timeline", F::kLongText},
    FieldSpec{"affected_assets", "影響を受けた情報資産", "affected assets", F::kList},
    FieldSpec{"actions", "対応", "actions", F::kLongText},
    FieldSpec{"lessons", "教訓・再発防止策", "lessons", F::kLongText},
    FieldSpec{"audit_entries", "監査ログの記録", "audit entries", F::kEntryRefs},
    FieldSpec{"monitor_findings", "監視の検知", "monitor findings", F::kList},
};
constexpr std::array kExceptionFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    // An exception the policy file declares ([rules.exception]) is in force because the policy says
    // so: its rule, approving role, state, dates and ticket are the policy's.
    FieldSpec{"rule", "対象の規則", "policy rule", F::kText, true, true},
    FieldSpec{"requested_by", "申請者", "requested by", F::kText, true},
    FieldSpec{"requested_on", "申請日", "requested on", F::kDate, true},
    FieldSpec{"reason", "理由", "reason", F::kLongText, true},
    FieldSpec{"approver_role", "承認する役割", "approver role", F::kText, true, true},
    FieldSpec{"state", "状態", "state", F::kChoice, true, true, kExceptionStates},
    FieldSpec{"approved_by", "承認者", "approved by", F::kText},
    FieldSpec{"approved_on", "承認日", "approved on", F::kDate, false, true},
    FieldSpec{"expires", "有効期限", "expires", F::kDate, false, true},
    FieldSpec{"ticket", "申請番号", "ticket", F::kText, false, true},
};
constexpr std::array kRiskFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"threat", "脅威", "threat", F::kText, true},
    FieldSpec{"asset", "情報資産", "asset", F::kText},
    FieldSpec{"likelihood", "発生可能性", "likelihood", F::kLevel, true},
    FieldSpec{"impact", "影響度", "impact", F::kLevel, true},
    FieldSpec{"treatment", "対応方針", "treatment", F::kChoice, true, false, kTreatments},
    FieldSpec{"plan", "対策", "plan", F::kLongText},
    FieldSpec{"owner", "担当", "owner", F::kText},
    FieldSpec{"accepted_by", "受容の承認者", "accepted by", F::kText},
    FieldSpec{"accepted_on", "受容の承認日", "accepted on", F::kDate},
    FieldSpec{"acceptance_expires", "受容の期限", "acceptance expires", F::kDate},
};
constexpr std::array kTrainingFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"person", "受講者", "person", F::kText, true},
    FieldSpec{"course", "研修・誓約", "course", F::kText, true},
    FieldSpec{"kind", "種別", "kind", F::kChoice, true, false, kTrainingKinds},
    FieldSpec{"date", "実施日", "date", F::kDate, true},
    FieldSpec{"note", "備考", "note", F::kLongText},
};

// Clause 8: each review of the policy, who approved its outcome, the risks and inspection findings
// it weighed, and when the next review falls due.
constexpr std::array kReviewFields = {
    FieldSpec{"id", "識別子", "id", F::kId, true},
    FieldSpec{"reviewed_on", "見直し日", "reviewed on", F::kDate, true},
    FieldSpec{"reviewer", "見直し担当", "reviewer", F::kText, true},
    FieldSpec{"decision", "結論", "decision", F::kChoice, true, false, kReviewDecisions},
    FieldSpec{"approved_by", "承認者", "approved by", F::kText},
    FieldSpec{"policy_sha256", "対象ポリシー（SHA-256）", "policy SHA-256", F::kText},
    FieldSpec{"risks", "関連リスク", "linked risks", F::kList},
    FieldSpec{"findings", "関連する点検の指摘", "linked inspection findings", F::kList},
    FieldSpec{"next_review", "次回見直し期限", "next review due", F::kDate},
    FieldSpec{"note", "備考", "note", F::kLongText},
};

const std::array<KindSpec, kKindCount> kSpecs = {{
    {Kind::kAssets, "6(2)", kAssetFields},
    {Kind::kContractors, "6(8)", kContractorFields},
    {Kind::kCloud, "6(8)", kCloudFields},
    {Kind::kSocialMedia, "6(8)", kSocialMediaFields},
    {Kind::kIncidents, "6(7)", kIncidentFields},
    {Kind::kExceptions, "6(7)", kExceptionFields},
    {Kind::kRisks, "8", kRiskFields},
    {Kind::kTraining, "6(5)", kTrainingFields},
    {Kind::kReviews, "8", kReviewFields},
}};

constexpr std::size_t kMaxTextBytes = 500;
constexpr std::size_t kMaxLongTextBytes = 8000;
constexpr std::size_t kMaxListItems = 200;

// Control characters other than the line breaks long text may have, and DEL.
bool has_control(std::string_view text, bool allow_newline) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(allow_newline && (c == '\n' || c == '\t'))) || u == 0x7f) return true;
  }
  return false;
}

// What a spreadsheet would run instead of show (OWASP "CSV injection"): the ASCII prefixes, and
// their full-width forms, which Japanese Excel turns into formulas when typed.
bool looks_like_formula(std::string_view text) {
  if (text.empty()) return false;
  const char first = text.front();
  if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r') return true;
  for (std::string_view wide : {"＝", "＋", "－", "＠"}) {
    if (text.starts_with(wide)) return true;
  }
  return false;
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

Error bad(const std::string& where, const FieldSpec& field, const std::string& why) {
  return make_error("register.bad-value", where, std::string(field.ja) + " (" + std::string(field.key) + "): " + why);
}

// The value as given, for messages: bounded and without control characters.
std::string shown(std::string_view text) {
  std::string out = visible_text(text.substr(0, 60));
  if (text.size() > 60) out += "…";
  return "'" + out + "'";
}

Result<std::string> check_text(const FieldSpec& field, std::string_view text, std::size_t max, bool lines, const std::string& where) {
  if (!is_valid_utf8(text)) return bad(where, field, "not UTF-8 text");
  if (text.size() > max) return bad(where, field, "longer than " + std::to_string(max) + " bytes");
  if (has_control(text, lines)) return bad(where, field, lines ? "contains control characters" : "contains a line break or control character");
  if (looks_like_formula(text)) {
    return bad(where, field, shown(text) + " starts like a spreadsheet formula (=, +, -, @); registers keep no formulas — "
                                           "reword it, e.g. put the sign after a word");
  }
  return std::string(text);
}

Result<std::int64_t> check_integer(const FieldSpec& field, std::string_view text, std::int64_t min, std::int64_t max, const std::string& where) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return bad(where, field, shown(text) + " is not a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

std::pair<std::int64_t, std::int64_t> integer_range(FieldType type) {
  return type == FieldType::kLevel ? std::pair<std::int64_t, std::int64_t>{1, 5} : std::pair<std::int64_t, std::int64_t>{0, 100000};
}

}  // namespace

std::string_view to_string(Kind kind) { return kKinds.name(kind); }
std::string_view label(Kind kind, std::string_view lang) { return kKinds.label(kind, lang); }
Result<Kind> parse_kind(std::string_view text) { return kKinds.parse(text, "KIND"); }
std::string kind_names() { return kKinds.names(); }

const KindSpec& spec(Kind kind) { return kSpecs.at(static_cast<std::size_t>(kind)); }

const FieldSpec* KindSpec::find(std::string_view key) const {
  for (const auto& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

const FieldSpec* KindSpec::find_header(std::string_view header) const {
  const std::string h = trim(header);
  const std::string lower = ascii_lower(h);
  for (const auto& f : fields) {
    if (lower == f.key || h == f.ja || lower == ascii_lower(f.en)) return &f;
  }
  return nullptr;
}

Result<nlohmann::json> parse_value(const FieldSpec& field, std::string_view raw, const std::string& where) {
  const std::string text = field.type == FieldType::kLongText ? std::string(raw) : trim(raw);
  if (trim(text).empty()) return nlohmann::json();
  switch (field.type) {
    case FieldType::kId: {
      if (text.size() > 64 || !std::isalnum(static_cast<unsigned char>(text.front())) ||
          text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != std::string::npos) {
        return bad(where, field, shown(text) + " is not an identifier (letters, digits, '_', '-', '.', starting with a letter or digit, at most 64)");
      }
      return nlohmann::json(text);
    }
    case FieldType::kText: return nlohmann::json(SANSO_TRY(check_text(field, text, kMaxTextBytes, false, where)));
    case FieldType::kLongText: return nlohmann::json(SANSO_TRY(check_text(field, text, kMaxLongTextBytes, true, where)));
    case FieldType::kDate: {
      // Excel shows dates as 2026/12/01; both spellings are read.
      std::string iso = text;
      for (char& c : iso) c = c == '/' ? '-' : c;
      const auto date = Date::parse(iso);
      if (!date) return bad(where, field, shown(text) + " is not a date like 2026-12-01");
      return nlohmann::json(date->to_string());
    }
    case FieldType::kYesNo: {
      const std::string l = ascii_lower(text);
      if (l == "yes" || l == "true" || text == "はい" || text == "有" || text == "あり") return nlohmann::json(true);
      if (l == "no" || l == "false" || text == "いいえ" || text == "無" || text == "なし") return nlohmann::json(false);
      return bad(where, field, shown(text) + " is not yes or no (はい/いいえ)");
    }
    case FieldType::kChoice: {
      const std::string l = ascii_lower(text);
      std::string names;
      for (const auto& t : field.choices) {
        if (l == t.name || text == t.ja || l == ascii_lower(t.en)) return nlohmann::json(std::string(t.name));
        names += (names.empty() ? "" : ", ") + std::string(t.name) + " (" + std::string(t.ja) + ")";
      }
      return bad(where, field, shown(text) + " is not one of: " + names);
    }
    case FieldType::kLevel:
    case FieldType::kCount: {
      const auto [min, max] = integer_range(field.type);
      return nlohmann::json(SANSO_TRY(check_integer(field, text, min, max, where)));
    }
    case FieldType::kList:
    case FieldType::kEntryRefs: {
      nlohmann::json items = nlohmann::json::array();
      std::size_t start = 0;
      while (start <= text.size()) {
        auto end = text.find_first_of(";\n", start);
        if (end == std::string::npos) end = text.size();
        const std::string item = trim(std::string_view(text).substr(start, end - start));
        start = end + 1;
        if (item.empty()) continue;
        if (items.size() == kMaxListItems) return bad(where, field, "more than " + std::to_string(kMaxListItems) + " items");
        if (field.type == FieldType::kEntryRefs) {
          const std::string digits = item.starts_with('#') ? item.substr(1) : item;
          items.push_back(SANSO_TRY(check_integer(field, digits, 0, std::int64_t{1} << 52, where)));
        } else {
          items.push_back(SANSO_TRY(check_text(field, item, kMaxTextBytes, false, where)));
        }
      }
      if (items.empty()) return nlohmann::json();
      return nlohmann::json(items);
    }
  }
  return bad(where, field, "unknown field type");
}

Result<nlohmann::json> parse_number(const FieldSpec& field, double number, bool date1904, const std::string& where) {
  if (!std::isfinite(number)) return bad(where, field, "not a finite number");
  if (field.type == FieldType::kDate) {
    // Serial day numbers: 1900 system counts from 1899-12-30 (Lotus's phantom 1900-02-29 makes
    // every serial from 61 on one day late, which this epoch absorbs); 1904 system from 1904-01-01.
    if (number < (date1904 ? 0 : 61) || number > 2958465) return bad(where, field, "the cell's number is not a date after 1900-03-01");
    // Unix day 0 (1970-01-01) is serial 25569 in the 1900 system and 24107 in the 1904 one.
    const auto days = static_cast<std::int64_t>(std::floor(number)) - (date1904 ? 24107 : 25569);
    const auto t = static_cast<std::time_t>(days * 86400);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return nlohmann::json(Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday}.to_string());
  }
  if (field.type == FieldType::kLevel || field.type == FieldType::kCount || field.type == FieldType::kEntryRefs || field.type == FieldType::kYesNo ||
      field.type == FieldType::kId) {
    if (number != std::floor(number) || std::fabs(number) > 1e15) return bad(where, field, "the cell's number is not a whole number");
    return parse_value(field, std::to_string(static_cast<std::int64_t>(number)), where);
  }
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
  if (ec != std::errc()) return bad(where, field, "the cell's number cannot be written as text");
  return parse_value(field, std::string_view(buf, static_cast<std::size_t>(end - buf)), where);
}

std::string format_value(const FieldSpec& field, const nlohmann::json& value, std::string_view lang) {
  if (value.is_null()) return {};
  switch (field.type) {
    case FieldType::kYesNo: return value.get<bool>() ? (lang == "en" ? "yes" : "はい") : (lang == "en" ? "no" : "いいえ");
    case FieldType::kChoice:
      for (const auto& t : field.choices) {
        if (t.name == value.get<std::string>()) return std::string(term_label(t, lang));
      }
      return value.get<std::string>();
    case FieldType::kLevel:
    case FieldType::kCount: return std::to_string(value.get<std::int64_t>());
    case FieldType::kList:
    case FieldType::kEntryRefs: {
      std::string out;
      for (const auto& item : value) out += (out.empty() ? "" : "; ") + (item.is_string() ? item.get<std::string>() : std::to_string(item.get<std::int64_t>()));
      return out;
    }
    default: return value.get<std::string>();
  }
}

namespace {

std::string text_of(const nlohmann::json& fields, std::string_view key) {
  auto it = fields.find(key);
  return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error entry_error(const std::string& where, const std::string& why) { return make_error("register.inconsistent", where, why); }

}  // namespace

Result<void> check_entry(const KindSpec& kind, const nlohmann::json& fields, const policy::Policy* policy, const std::string& where) {
  for (const auto& f : kind.fields) {
    auto it = fields.find(f.key);
    if (f.required && f.type != FieldType::kId && (it == fields.end() || it->is_null())) {
      return make_error("register.missing-value", where, std::string(f.ja) + " (" + std::string(f.key) + ") is required in the " +
                                                             std::string(label(kind.kind, "en")) + " register");
    }
  }
  if (kind.kind == Kind::kExceptions) {
    const std::string state = text_of(fields, "state");
    const std::string rule = text_of(fields, "rule"), role = text_of(fields, "approver_role");
    if (policy) {
      const bool known_rule = std::any_of(policy->rules.begin(), policy->rules.end(), [&](const policy::Rule& r) { return r.id == rule; });
      if (!known_rule) return entry_error(where, "the exception opens rule '" + visible_text(rule) + "', which the policy does not have");
      if (!policy->find_role(role)) return entry_error(where, "the approver role '" + visible_text(role) + "' is not a role of the policy");
    }
    if (state == "approved") {
      if (text_of(fields, "approved_by").empty() || text_of(fields, "approved_on").empty() || text_of(fields, "expires").empty()) {
        return entry_error(where, "an approved exception needs its approver (approved_by), approval date (approved_on) and expiry (expires)");
      }
      if (ascii_lower(text_of(fields, "approved_by")) == ascii_lower(text_of(fields, "requested_by"))) {
        return entry_error(where, "an exception is approved by someone other than who requested it");
      }
      if (text_of(fields, "expires") < text_of(fields, "approved_on")) return entry_error(where, "the exception expires before it was approved");
    }
  }
  if (kind.kind == Kind::kRisks && text_of(fields, "treatment") == "accept") {
    if (text_of(fields, "accepted_by").empty() || text_of(fields, "acceptance_expires").empty()) {
      return entry_error(where, "an accepted risk needs who accepted it (accepted_by) and until when (acceptance_expires)");
    }
  }
  if (kind.kind == Kind::kReviews && text_of(fields, "decision") == "approved") {
    if (text_of(fields, "approved_by").empty()) return entry_error(where, "an approved review needs who approved it (approved_by)");
    if (ascii_lower(text_of(fields, "approved_by")) == ascii_lower(text_of(fields, "reviewer"))) {
      return entry_error(where, "a review is approved by someone other than the reviewer");
    }
    if (!text_of(fields, "next_review").empty() && text_of(fields, "next_review") <= text_of(fields, "reviewed_on")) {
      return entry_error(where, "the next review (next_review) falls due after this one (reviewed_on)");
    }
  }
  if (kind.kind == Kind::kContractors && !text_of(fields, "last_check").empty() && text_of(fields, "check_result").empty()) {
    return entry_error(where, "a contractor check (last_check) needs its result (check_result)");
  }
  return ok();
}

}  // namespace sanso::registers
