#include "inspect/stats.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "inspect/campaign.h"

namespace sanso::inspect {
namespace {

// Entries read per query: a month of a large city's mail is millions of entries, read a page at
// a time so memory stays bounded.
constexpr std::size_t kPage = 5000;
constexpr std::int64_t kJstOffset = 9 * 3600;
constexpr std::size_t kMaxMonths = 24;

struct OutcomeWord {
  std::string_view outcome, ja;
};
constexpr OutcomeWord kOutcomes[] = {
    {"clean", "問題なし"},     {"sanitized", "無害化"},       {"held", "保留"},           {"blocked", "遮断"},
    {"accepted", "受理"},      {"rejected", "拒否"},          {"refused", "拒絶"},        {"tempfail", "一時エラー"},
    {"allowed", "許可"},       {"ready", "送信可"},           {"approved", "承認"},       {"pending-approval", "承認待ち"},
    {"denied", "却下"},        {"requested", "申請"},         {"released", "解除"},       {"failed", "失敗"},
    {"interrupted", "中断"},   {"breach", "違反"},            {"warning", "警告"},
};

std::string month_label(int year, int month) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d", year, month);
  return text;
}

std::string actions_sql() {
  std::string out;
  for (const auto& m : measures()) {
    for (auto action : m.actions) out += (out.empty() ? "'" : ", '") + std::string(action) + "'";
  }
  return out;
}

}  // namespace

const std::vector<Measure>& measures() {
  static const std::vector<Measure> kMeasures = {
      {"mail", "メール（ゲートウェイ）", "Mail (gateway)", {"mail.gateway"}},
      {"file", "ファイル（無害化）", "Files (sanitization)", {"file.sanitize"}},
      {"upload", "Web アップロード", "Web uploads", {"icap.upload"}},
      {"transfer", "ファイル転送", "Transfers", {"transfer.send"}},
      {"transfer-file", "転送ファイル（判定別）", "Transferred files", {"transfer.verdict"}},
      {"quarantine", "隔離（保留を含む）", "Quarantined items (holds included)", {"quarantine.store"}},
      {"release-request", "解除申請", "Release requests", {"quarantine.request-release"}},
      {"approval", "承認・却下", "Approvals and denials", {"quarantine.approve", "quarantine.deny"}},
      {"release", "解除", "Releases", {"quarantine.release"}},
      {"finding", "フロー監視の検知", "Monitor findings", {"monitor.finding"}},
  };
  return kMeasures;
}

std::string_view outcome_ja(std::string_view outcome) {
  for (const auto& o : kOutcomes) {
    if (o.outcome == outcome) return o.ja;
  }
  return outcome;
}

const MeasureCount& OperationsStatistics::of(std::string_view id) const {
  static const MeasureCount kNone;
  auto it = std::find_if(counts.begin(), counts.end(), [&](const MeasureCount& c) { return c.id == id; });
  return it == counts.end() ? kNone : *it;
}

Result<OperationsStatistics> operations_statistics(store::Database& db, std::string label, std::int64_t from, std::int64_t to) {
  OperationsStatistics out;
  out.label = std::move(label);
  out.from = from;
  out.to = to;
  std::map<std::string, std::size_t, std::less<>> measure_of;  // action → index in counts
  for (const auto& m : measures()) {
    out.counts.push_back({m.id, {}, 0});
    for (auto action : m.actions) measure_of.emplace(std::string(action), out.counts.size() - 1);
  }

  auto span = SANSO_TRY(db.query("SELECT COUNT(*), MIN(idx), MAX(idx) FROM audit_entries WHERE time >= ? AND time < ?", {from, to}));
  if (!span.empty()) {
    out.entries = static_cast<std::uint64_t>(span[0].integer(0));
    out.first_index = static_cast<std::uint64_t>(span[0].integer(1));
    out.last_index = static_cast<std::uint64_t>(span[0].integer(2));
  }

  // The actions are this file's constants, never input, so they are written into the query.
  const std::string sql = "SELECT idx, action, record FROM audit_entries WHERE time >= ? AND time < ? AND idx > ? AND action IN (" +
                          actions_sql() + ") ORDER BY idx LIMIT " + std::to_string(kPage);
  std::int64_t after = -1;
  for (;;) {
    auto rows = SANSO_TRY(db.query(sql, {from, to, after}));
    for (const auto& row : rows) {
      after = row.integer(0);
      auto record = nlohmann::json::parse(row.text(2), nullptr, false);
      auto outcome = record.is_object() ? record.find("outcome") : record.end();
      if (record.is_discarded() || !record.is_object() || outcome == record.end() || !outcome->is_string()) {
        return make_error("inspect.corrupt-log", "audit entry " + std::to_string(after),
                          "the audit record is not a JSON object with an outcome; run `sanso audit verify`");
      }
      MeasureCount& counted = out.counts[measure_of.find(row.text(1))->second];
      ++counted.by_outcome[outcome->get<std::string>()];
      ++counted.total;
    }
    if (rows.size() < kPage) break;
  }
  return out;
}

Result<std::vector<std::uint64_t>> measure_totals(store::Database& db, std::int64_t from, std::int64_t to) {
  std::vector<std::uint64_t> out(measures().size(), 0);
  auto rows = SANSO_TRY(db.query("SELECT action, COUNT(*) FROM audit_entries WHERE time >= ? AND time < ? AND action IN (" + actions_sql() +
                                     ") GROUP BY action",
                                 {from, to}));
  for (const auto& row : rows) {
    const std::string action = row.text(0);
    for (std::size_t i = 0; i < measures().size(); ++i) {
      const auto& listed = measures()[i].actions;
      if (std::find(listed.begin(), listed.end(), action) != listed.end()) out[i] += static_cast<std::uint64_t>(row.integer(1));
    }
  }
  return out;
}

Result<OperationsStatistics> monthly_statistics(store::Database& db, std::string_view month) {
  const auto [from, to] = SANSO_TRY(period_bounds(Period::kMonthly, month));
  return operations_statistics(db, std::string(month), from, to);
}

std::vector<std::string> months_between(std::int64_t from, std::int64_t to) {
  std::vector<std::string> out;
  const std::time_t start = from + kJstOffset;
  std::tm t{};
  gmtime_r(&start, &t);
  int year = t.tm_year + 1900, month = t.tm_mon + 1;
  while (out.size() < kMaxMonths) {
    std::string label = month_label(year, month);
    auto bounds = period_bounds(Period::kMonthly, label);
    if (!bounds || bounds->first >= to) break;
    out.push_back(std::move(label));
    if (++month == 13) month = 1, ++year;
  }
  return out;
}

namespace {
// The month `step` (±1) from a valid label; the label unchanged when it is not a month.
std::string step_month(std::string_view month, int step) {
  if (!period_bounds(Period::kMonthly, month)) return std::string(month);
  int year = (month[0] - '0') * 1000 + (month[1] - '0') * 100 + (month[2] - '0') * 10 + (month[3] - '0');
  int m = (month[5] - '0') * 10 + (month[6] - '0') + step;
  if (m == 0) m = 12, --year;
  if (m == 13) m = 1, ++year;
  return month_label(year, m);
}
}  // namespace

std::string previous_month(std::string_view month) { return step_month(month, -1); }
std::string next_month(std::string_view month) { return step_month(month, +1); }

}  // namespace sanso::inspect
