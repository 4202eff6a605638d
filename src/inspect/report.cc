#include "inspect/report.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <xlsxwriter.h>

#include "audit/log.h"
#include "core/clock.h"
#include "core/text.h"
#include "inspect/internal/report_content.h"
#include "inspect/stats.h"

namespace sanso::inspect {
namespace {

using namespace internal;  // NOLINT(google-build-using-namespace): the report's content, laid out here

// Excel keeps at most 32,767 characters in a cell; longer text is cut at a UTF-8 boundary.
std::string cell_text(const std::string& text) {
  constexpr std::size_t kMax = 32000;
  if (text.size() <= kMax) return text;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

// A worksheet written row by row, text as strings only.
class Sheet {
 public:
  Sheet(lxw_worksheet* ws, lxw_format* header, lxw_format* wrap) : ws_(ws), header_(header), wrap_(wrap) {}
  void text(lxw_row_t row, lxw_col_t col, const std::string& value, bool is_header = false) {
    if (error_ == LXW_NO_ERROR) error_ = worksheet_write_string(ws_, row, col, cell_text(value).c_str(), is_header ? header_ : wrap_);
  }
  void number(lxw_row_t row, lxw_col_t col, double value) {
    if (error_ == LXW_NO_ERROR) error_ = worksheet_write_number(ws_, row, col, value, wrap_);
  }
  void row(lxw_row_t r, const std::vector<std::string>& values, bool is_header = false) {
    for (lxw_col_t c = 0; c < values.size(); ++c) text(r, c, values[c], is_header);
  }
  void widths(const std::vector<double>& widths) {
    for (lxw_col_t c = 0; c < widths.size(); ++c) worksheet_set_column(ws_, c, c, widths[c], nullptr);
  }
  void widen(lxw_error e) {
    if (error_ == LXW_NO_ERROR) error_ = e;
  }
  lxw_worksheet* worksheet() const { return ws_; }
  const char* name() const { return ws_->name; }
  lxw_error error() const { return error_; }

 private:
  lxw_worksheet* ws_;
  lxw_format* header_;
  lxw_format* wrap_;
  lxw_error error_ = LXW_NO_ERROR;
};

// 前回比較: the counts, the period's operations and each item whose outcome changed, against the
// body's previous campaign of the template.
Result<void> write_trend(Sheet& sheet, Campaigns& campaigns, store::Database& db, const Campaign& c, const Campaign* previous) {
  sheet.widths({30, 14, 14, 10, 40});
  sheet.row(0, {"前回の点検との比較（" + c.period_label + "）"}, true);
  if (!previous) {
    sheet.row(2, {"前回の点検はありません（この実施機関でこの点検表を行うのは初めて）"});
    return ok();
  }
  const Trend t = SANSO_TRY(trend(campaigns, db, c, *previous));
  sheet.row(1, {"前回の点検", previous->id, "状態", state_ja(*previous)});
  sheet.row(3, {"指標", "前回（" + previous->period_label + "）", "今回（" + c.period_label + "）", "増減"}, true);
  lxw_row_t r = 4;
  auto compare = [&](const Comparison& x) {
    sheet.text(r, 0, x.label);
    sheet.number(r, 1, static_cast<double>(x.before));
    sheet.number(r, 2, static_cast<double>(x.now));
    sheet.text(r, 3, signed_number(x.now - x.before));
    ++r;
  };
  for (const auto& x : t.counts) compare(x);
  ++r;
  sheet.row(r++, {"運用統計（監査ログの件数）", "前回の期間", "今回の期間", "増減"}, true);
  for (const auto& x : t.operations) compare(x);
  ++r;
  sheet.row(r++, {"結果が変わった項目", "前回", "今回", "条項", "点検内容"}, true);
  for (const auto& x : t.changed) sheet.row(r++, {x.id, x.was, x.is, x.clause, x.question});
  if (t.changed.empty()) sheet.row(r, {"（なし）"});
  return ok();
}

// 運用統計: every month of the campaign's period, each measure by outcome, and a chart of the totals.
Result<void> write_statistics(lxw_workbook* wb, Sheet& sheet, store::Database& db, const Campaign& c) {
  const auto months = months_between(c.period_start, c.period_end);
  std::vector<OperationsStatistics> stats;
  for (const auto& month : months) stats.push_back(SANSO_TRY(monthly_statistics(db, month)));
  std::vector<double> widths{26, 14};
  widths.resize(2 + months.size(), 11);
  sheet.widths(widths);
  sheet.row(0, {"運用統計（6(7)・6(9)）: 監査ログの記録の件数、月は日本時間"}, true);
  // The totals first, one row per measure: the chart's data.
  std::vector<std::string> header{"項目", "区分"};
  for (const auto& month : months) header.push_back(month);
  sheet.row(2, header, true);
  lxw_row_t r = 3;
  const lxw_row_t first_total = r;
  for (const auto& m : measures()) {
    sheet.row(r, {std::string(m.label_ja), "合計"});
    for (std::size_t i = 0; i < stats.size(); ++i) sheet.number(r, static_cast<lxw_col_t>(2 + i), static_cast<double>(stats[i].of(m.id).total));
    ++r;
  }
  const lxw_row_t last_total = r - 1;
  ++r;
  sheet.row(r++, header, true);
  for (const auto& m : measures()) {
    std::map<std::string, bool> outcomes;
    for (const auto& s : stats) {
      for (const auto& counted : s.of(m.id).by_outcome) outcomes[counted.first] = true;
    }
    for (const auto& entry : outcomes) {
      const std::string& outcome = entry.first;
      sheet.row(r, {std::string(m.label_ja), std::string(outcome_ja(outcome)) + "（" + outcome + "）"});
      for (std::size_t i = 0; i < stats.size(); ++i) {
        const auto& by = stats[i].of(m.id).by_outcome;
        auto it = by.find(outcome);
        sheet.number(r, static_cast<lxw_col_t>(2 + i), it == by.end() ? 0.0 : static_cast<double>(it->second));
      }
      ++r;
    }
  }
  ++r;
  sheet.row(r++, {"監査ログの範囲", "月", "記録", "最初", "最後"}, true);
  for (const auto& s : stats) {
    sheet.row(r, {"", s.label});
    sheet.number(r, 2, static_cast<double>(s.entries));
    sheet.text(r, 3, s.entries ? "#" + std::to_string(s.first_index) : "");
    sheet.text(r, 4, s.entries ? "#" + std::to_string(s.last_index) : "");
    ++r;
  }

  lxw_chart* chart = workbook_add_chart(wb, LXW_CHART_BAR);
  if (!chart) return make_error("inspect.report-write", sheet.name(), "cannot add the chart");
  chart_title_set_name(chart, "運用統計（合計）");
  for (std::size_t i = 0; i < months.size(); ++i) {
    lxw_chart_series* series = chart_add_series(chart, nullptr, nullptr);
    if (!series) return make_error("inspect.report-write", sheet.name(), "cannot add a chart series");
    const auto col = static_cast<lxw_col_t>(2 + i);
    chart_series_set_categories(series, sheet.name(), first_total, 0, last_total, 0);
    chart_series_set_values(series, sheet.name(), first_total, col, last_total, col);
    chart_series_set_name_range(series, sheet.name(), 2, col);
  }
  lxw_chart_options where{};
  where.x_scale = 1.6;
  where.y_scale = 1.6;
  sheet.widen(worksheet_insert_chart_opt(sheet.worksheet(), 3, static_cast<lxw_col_t>(3 + months.size()), chart, &where));
  return ok();
}

// 監査: the audit log verified with the verifier key, the latest signed checkpoint, each
// evaluation's proof, and how the auditor repeats all of it.
Result<void> write_audit(Sheet& sheet, Campaigns& campaigns, store::Database& db, const Campaign& c, const audit::VerifierKey* key) {
  sheet.widths({30, 90});
  sheet.row(0, {"監査ログの検証（監査人向け）"}, true);
  const auto lines = SANSO_TRY(audit_lines(campaigns, db, c, key));
  lxw_row_t r = 2;
  for (const auto& line : lines) {
    if (line.heading) ++r;
    sheet.row(r++, {line.label, line.value}, line.heading);
  }
  return ok();
}

}  // namespace

Result<void> write_xlsx_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources,
                               const std::string& path) {
  if (!sources.policy || !sources.db) return make_error("inspect.report-write", path, "the report needs the policy and the store");
  const policy::Policy& policy = *sources.policy;
  const Campaign c = SANSO_TRY(campaigns.get(campaign_id));
  const auto rows = SANSO_TRY(item_rows(campaigns, c));
  const auto actions = SANSO_TRY(report_actions(campaigns, c));
  const std::vector<Campaign> all = SANSO_TRY(campaigns.list());
  const auto bodies = SANSO_TRY(body_summaries(campaigns, policy, all, c));

  const std::string temporary = path + ".tmp";
  lxw_workbook* wb = workbook_new(temporary.c_str());
  if (!wb) return make_error("inspect.report-write", path, "cannot create the workbook (is the directory writable?)");
  lxw_format* header = workbook_add_format(wb);
  format_set_bold(header);
  format_set_bg_color(header, 0xDDEBF7);
  format_set_border(header, LXW_BORDER_THIN);
  lxw_format* wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);

  // 点検表
  Sheet list(workbook_add_worksheet(wb, "点検表"), header, wrap);
  list.widths({18, 8, 48, 10, 10, 30, 36, 48, 20, 16});
  list.row(0, {c.template_title + "（" + std::string(label_ja(c.period)) + "）"}, true);
  list.row(1, {"実施機関", body_name(policy, c.body), "期間", c.period_label});
  list.row(2, {"担当", c.assignee, "確認者", c.reviewer.empty() ? "（担当以外）" : c.reviewer});
  list.row(3, {"状態", state_ja(c), "点検", c.id});
  list.row(4, {"課・係", c.section.empty() ? "（実施機関全体）" : c.section});
  list.row(5, {"項目", "条項", "点検内容", "種別", "回答", "備考", "証跡", "自動点検の結果", "監査ログ", "担当"}, true);
  lxw_row_t r = 6;
  for (const auto& x : rows) list.row(r++, {x.id, x.clause, x.question, x.kind, x.outcome, x.note, x.evidence, x.automatic, x.log_entries, x.assignee});

  // 集計: every body's and section's campaign of this template and period.
  Sheet summary(workbook_add_worksheet(wb, "集計"), header, wrap);
  summary.widths({20, 20, 18, 12, 8, 8, 8, 8, 8, 8, 8, 10});
  summary.row(0, {c.template_title + " " + c.period_label + " 実施機関別の集計（課・係ごと）"}, true);
  summary.row(2, {"実施機関", "課・係", "状態", "担当", "はい", "いいえ", "該当なし", "未回答", "自動 適合", "自動 不適合", "未評価", "是正措置"}, true);
  r = 3;
  for (const auto& b : bodies) {
    summary.row(r, {b.body, b.section.empty() ? "（全体）" : b.section, b.state, b.assignee});
    const int values[] = {b.counts.yes,    b.counts.no,     b.counts.na,          b.counts.unanswered,
                          b.counts.passed, b.counts.failed, b.counts.unevaluated, static_cast<int>(b.actions)};
    for (lxw_col_t col = 0; col < 8; ++col) summary.number(r, static_cast<lxw_col_t>(4 + col), values[col]);
    ++r;
  }

  // 是正措置: found here, and carried from the body's earlier campaigns.
  Sheet fixes(workbook_add_worksheet(wb, "是正措置"), header, wrap);
  fixes.widths({6, 16, 8, 40, 36, 12, 12, 10, 28, 28});
  fixes.row(0, {"番号", "項目", "条項", "指摘", "措置", "担当", "期限", "状態", "指摘した点検", "完了した点検"}, true);
  r = 1;
  for (const auto& a : actions) {
    fixes.row(r++, {std::to_string(a.id), a.item, a.clause, a.finding, a.description, a.owner, a.due.to_string(),
                    a.state == ActionState::kOpen ? "未完了" : "完了", a.campaign, a.closed_in});
  }

  Sheet trend(workbook_add_worksheet(wb, "前回比較"), header, wrap);
  Sheet operations(workbook_add_worksheet(wb, "運用統計"), header, wrap);
  Sheet audit_sheet(workbook_add_worksheet(wb, "監査"), header, wrap);
  Result<void> built = write_trend(trend, campaigns, *sources.db, c, previous_campaign(all, c));
  if (built) built = write_statistics(wb, operations, *sources.db, c);
  if (built) built = write_audit(audit_sheet, campaigns, *sources.db, c, sources.verifier);

  lxw_error written = LXW_NO_ERROR;
  for (const Sheet* sheet : {&list, &summary, &fixes, &trend, &operations, &audit_sheet}) {
    if (written == LXW_NO_ERROR) written = sheet->error();
  }
  const lxw_error closed = workbook_close(wb);
  if (!built) {
    std::remove(temporary.c_str());
    return built.error();
  }
  if (written != LXW_NO_ERROR || closed != LXW_NO_ERROR) {
    std::remove(temporary.c_str());
    return make_error("inspect.report-write", path,
                      std::string("cannot write the workbook: ") + lxw_strerror(written != LXW_NO_ERROR ? written : closed));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    return make_error("inspect.report-write", path, "cannot put the workbook in place: " + ec.message());
  }
  return ok();
}

}  // namespace sanso::inspect
