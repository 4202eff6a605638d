#include "inspect/report.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <xlsxwriter.h>

#include "audit/log.h"
#include "core/clock.h"
#include "core/text.h"
#include "inspect/evaluate.h"
#include "inspect/stats.h"

namespace sanso::inspect {
namespace {

// Excel keeps at most 32,767 characters in a cell; longer text is cut at a UTF-8 boundary.
std::string cell_text(const std::string& text) {
  constexpr std::size_t kMax = 32000;
  if (text.size() <= kMax) return text;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

std::string body_name(const policy::Policy& policy, const std::string& id) {
  const policy::Body* b = policy.find_body(id);
  return b ? b->name.ja : id;
}

std::string entries(const std::vector<std::uint64_t>& indices) {
  std::string out;
  for (auto i : indices) out += (out.empty() ? "#" : ", #") + std::to_string(i);
  return out;
}

std::string state_ja(const Campaign& c) { return c.state == CampaignState::kOpen ? "実施中" : "確認済み（" + c.signed_by + "）"; }

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

struct Counts {
  int yes = 0, no = 0, na = 0, unanswered = 0, passed = 0, failed = 0, unevaluated = 0;
};

Result<Counts> count(Campaigns& campaigns, const Campaign& c) {
  const auto answers = SANSO_TRY(campaigns.answers(c.id));
  const auto results = SANSO_TRY(campaigns.results(c.id));
  Counts n;
  for (const auto& item : c.items) {
    if (item.kind == ItemKind::kManual) {
      auto it = std::find_if(answers.begin(), answers.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
      if (it == answers.end()) ++n.unanswered;
      else if (it->answer == Answer::kYes) ++n.yes;
      else if (it->answer == Answer::kNo) ++n.no;
      else ++n.na;
    } else {
      auto it = std::find_if(results.begin(), results.end(), [&](const AutomaticResult& r) { return r.item == item.id; });
      if (it == results.end()) ++n.unevaluated;
      else if (it->passed) ++n.passed;
      else ++n.failed;
    }
  }
  return n;
}

// An item's outcome as the 点検表 shows it: the manual answer, or the automatic result.
std::string item_outcome(const Item& item, const std::vector<AnswerRecord>& answers, const std::vector<AutomaticResult>& results) {
  if (item.kind == ItemKind::kManual) {
    auto it = std::find_if(answers.begin(), answers.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
    return it == answers.end() ? "未回答" : std::string(label_ja(it->answer));
  }
  auto it = std::find_if(results.begin(), results.end(), [&](const AutomaticResult& x) { return x.item == item.id; });
  return it == results.end() ? "未評価" : it->passed ? "適合" : "不適合";
}

// The body's campaign of the same template just before this one, if any.
const Campaign* previous_campaign(const std::vector<Campaign>& all, const Campaign& c) {
  const Campaign* previous = nullptr;
  for (const auto& other : all) {
    if (other.template_id != c.template_id || other.body != c.body || other.period_start >= c.period_start) continue;
    if (!previous || other.period_start > previous->period_start) previous = &other;
  }
  return previous;
}

std::string signed_number(long long n) { return n > 0 ? "+" + std::to_string(n) : std::to_string(n); }

// 前回比較: the counts, the period's operations and each item whose outcome changed, against the
// body's previous campaign of the template.
Result<void> write_trend(Sheet& sheet, Campaigns& campaigns, store::Database& db, const Campaign& c, const Campaign* previous) {
  sheet.widths({30, 14, 14, 10, 40});
  sheet.row(0, {"前回の点検との比較（" + c.period_label + "）"}, true);
  if (!previous) {
    sheet.row(2, {"前回の点検はありません（この実施機関でこの点検表を行うのは初めて）"});
    return ok();
  }
  sheet.row(1, {"前回の点検", previous->id, "状態", state_ja(*previous)});
  sheet.row(3, {"指標", "前回（" + previous->period_label + "）", "今回（" + c.period_label + "）", "増減"}, true);
  const Counts now = SANSO_TRY(count(campaigns, c));
  const Counts before = SANSO_TRY(count(campaigns, *previous));
  const std::pair<const char*, std::pair<int, int>> rows[] = {
      {"はい", {before.yes, now.yes}},           {"いいえ", {before.no, now.no}},
      {"該当なし", {before.na, now.na}},         {"未回答", {before.unanswered, now.unanswered}},
      {"自動 適合", {before.passed, now.passed}}, {"自動 不適合", {before.failed, now.failed}},
      {"未評価", {before.unevaluated, now.unevaluated}},
  };
  lxw_row_t r = 4;
  for (const auto& [label, values] : rows) {
    sheet.text(r, 0, label);
    sheet.number(r, 1, values.first);
    sheet.number(r, 2, values.second);
    sheet.text(r, 3, signed_number(values.second - values.first));
    ++r;
  }
  const auto found_before = SANSO_TRY(campaigns.actions_found(previous->id));
  const auto found_now = SANSO_TRY(campaigns.actions_found(c.id));
  sheet.text(r, 0, "是正措置（指摘）");
  sheet.number(r, 1, static_cast<double>(found_before.size()));
  sheet.number(r, 2, static_cast<double>(found_now.size()));
  sheet.text(r, 3, signed_number(static_cast<long long>(found_now.size()) - static_cast<long long>(found_before.size())));
  r += 2;

  sheet.row(r++, {"運用統計（監査ログの件数）", "前回の期間", "今回の期間", "増減"}, true);
  const auto ops_before = SANSO_TRY(operations_statistics(db, previous->period_label, previous->period_start, previous->period_end));
  const auto ops_now = SANSO_TRY(operations_statistics(db, c.period_label, c.period_start, c.period_end));
  for (const auto& m : measures()) {
    const auto a = ops_before.of(m.id).total, b = ops_now.of(m.id).total;
    sheet.text(r, 0, std::string(m.label_ja));
    sheet.number(r, 1, static_cast<double>(a));
    sheet.number(r, 2, static_cast<double>(b));
    sheet.text(r, 3, signed_number(static_cast<long long>(b) - static_cast<long long>(a)));
    ++r;
  }
  ++r;

  sheet.row(r++, {"結果が変わった項目", "前回", "今回", "条項", "点検内容"}, true);
  const auto answers_before = SANSO_TRY(campaigns.answers(previous->id));
  const auto results_before = SANSO_TRY(campaigns.results(previous->id));
  const auto answers_now = SANSO_TRY(campaigns.answers(c.id));
  const auto results_now = SANSO_TRY(campaigns.results(c.id));
  bool any = false;
  for (const auto& item : c.items) {
    auto earlier = std::find_if(previous->items.begin(), previous->items.end(), [&](const Item& i) { return i.id == item.id; });
    const std::string was = earlier == previous->items.end() ? "（前回なし）" : item_outcome(*earlier, answers_before, results_before);
    const std::string is = item_outcome(item, answers_now, results_now);
    if (was == is) continue;
    any = true;
    sheet.row(r++, {item.id, was, is, item.clause, item.question.ja});
  }
  if (!any) sheet.row(r, {"（なし）"});
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
  lxw_row_t r = 2;
  if (!key) {
    sheet.row(r++, {"検証結果", "未検証: 検証鍵がこの出力に渡されていない（sanso audit verify で検証してください）"});
  } else {
    const audit::VerifyReport v = SANSO_TRY(audit::verify_log(db, *key, std::nullopt));
    sheet.row(r++, {"検証結果", v.ok() ? "改ざんなし（全記録のハッシュ木・署名・チェックポイントを再計算して一致）"
                                       : "問題あり: " + v.problem + (v.first_bad_index ? "（最初の記録 #" + std::to_string(*v.first_bad_index) + "）" : "") +
                                             (v.detail.empty() ? "" : " " + v.detail)});
    sheet.row(r++, {"検証した記録", std::to_string(v.entries) + " 件"});
    sheet.row(r++, {"チェックポイント", std::to_string(v.checkpoints) + " 件"});
    sheet.row(r++, {"木の大きさ（tree size）", std::to_string(v.tree_size)});
    sheet.row(r++, {"根（root, base64）", audit::to_base64(v.root)});
    sheet.row(r++, {"検証鍵", key->name});
  }
  ++r;
  const auto latest = SANSO_TRY(audit::latest_checkpoint(db));
  sheet.row(r++, {"最新の署名付きチェックポイント", latest ? "" : "なし（署名鍵が設定されていない）"}, true);
  if (latest) {
    sheet.row(r++, {"木の大きさ（tree size）", std::to_string(latest->checkpoint.size)});
    sheet.row(r++, {"根（root, base64）", audit::to_base64(latest->checkpoint.root)});
    sheet.row(r++, {"署名日時", local_time(latest->signed_at)});
    sheet.row(r++, {"署名付きノート（署名を含む）", latest->note});
  }
  ++r;
  sheet.row(r++, {"自動点検の評価の証明", "評価の記録・根拠の記録が署名付きチェックポイントの木に含まれること"}, true);
  if (!key) {
    sheet.row(r++, {"", "未検証（検証鍵なし）"});
  } else {
    const auto proofs = SANSO_TRY(prove_evaluations(db, campaigns, c.id, *key));
    if (proofs.empty()) sheet.row(r++, {"", "評価の記録がない（sanso inspect evaluate で評価します）"});
    for (const auto& p : proofs) {
      sheet.row(r++, {"評価 #" + std::to_string(p.audit_index),
                      p.problem.empty() ? "検証済み: チェックポイント " + std::to_string(p.tree_size) + " 件（" + local_time(p.signed_at) +
                                              " 署名、root " + p.root + "）に記録 " + std::to_string(p.entries) + " 件が含まれる"
                                        : "検証できない: " + p.problem});
    }
  }
  ++r;
  sheet.row(r++, {"検証の方法"}, true);
  sheet.row(r++, {"監査ログ全体", "sanso audit verify --config /etc/sanso/sanso.toml（ハッシュ木・署名・チェックポイントの再計算）"});
  sheet.row(r++, {"この点検の評価", "sanso inspect verify " + c.id + " --config /etc/sanso/sanso.toml"});
  sheet.row(r++, {"鍵だけで（オフライン）", "署名付きノートと検証鍵で C2SP signed note として検証できる（docs/audit-format.md）"});
  return ok();
}

}  // namespace

Result<void> write_xlsx_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources,
                               const std::string& path) {
  if (!sources.policy || !sources.db) return make_error("inspect.report-write", path, "the report needs the policy and the store");
  const policy::Policy& policy = *sources.policy;
  const Campaign c = SANSO_TRY(campaigns.get(campaign_id));
  const auto answers = SANSO_TRY(campaigns.answers(c.id));
  const auto results = SANSO_TRY(campaigns.results(c.id));
  const auto evidence = SANSO_TRY(campaigns.evidence(c.id));
  auto actions = SANSO_TRY(campaigns.actions_found(c.id));
  const auto carried = SANSO_TRY(campaigns.carried_actions(c.id));
  const std::vector<Campaign> all = SANSO_TRY(campaigns.list());
  std::vector<Campaign> same_period;
  for (const auto& other : all) {
    if (other.template_id == c.template_id && other.period_label == c.period_label) same_period.push_back(other);
  }

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
  list.widths({18, 8, 48, 10, 10, 30, 36, 48, 20});
  list.row(0, {c.template_title + "（" + std::string(label_ja(c.period)) + "）"}, true);
  list.row(1, {"実施機関", body_name(policy, c.body), "期間", c.period_label});
  list.row(2, {"担当", c.assignee, "確認者", c.reviewer.empty() ? "（担当以外）" : c.reviewer});
  list.row(3, {"状態", state_ja(c), "点検", c.id});
  list.row(5, {"項目", "条項", "点検内容", "種別", "回答", "備考", "証跡", "自動点検の結果", "監査ログ"}, true);
  lxw_row_t r = 6;
  for (const auto& item : c.items) {
    std::string answer, note, auto_result, log_entries, files;
    for (const auto& e : evidence) {
      if (e.item == item.id) files += (files.empty() ? "" : "\n") + e.file_name + "（証跡 " + std::to_string(e.id) + ", SHA-256 " + e.sha256.substr(0, 16) + "…）";
    }
    answer = item_outcome(item, answers, results);
    if (item.kind == ItemKind::kManual) {
      auto it = std::find_if(answers.begin(), answers.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
      if (it != answers.end()) note = it->note;
    } else {
      auto it = std::find_if(results.begin(), results.end(), [&](const AutomaticResult& x) { return x.item == item.id; });
      if (it != results.end()) {
        auto_result = it->summary;
        log_entries = "評価 #" + std::to_string(it->audit_index) + (it->evidence.empty() ? "" : "\n根拠 " + entries(it->evidence));
      }
    }
    list.row(r++, {item.id, item.clause, item.question.ja, item.kind == ItemKind::kManual ? "記入" : "自動（" + item.check + "）", answer, note,
                   files, auto_result, log_entries});
  }

  // 集計: every body's campaign of this template and period.
  Sheet summary(workbook_add_worksheet(wb, "集計"), header, wrap);
  summary.widths({20, 18, 12, 8, 8, 8, 8, 8, 8, 8, 10});
  summary.row(0, {c.template_title + " " + c.period_label + " 実施機関別の集計"}, true);
  summary.row(2, {"実施機関", "状態", "担当", "はい", "いいえ", "該当なし", "未回答", "自動 適合", "自動 不適合", "未評価", "是正措置"}, true);
  r = 3;
  for (const auto& other : same_period) {
    const Counts n = SANSO_TRY(count(campaigns, other));
    const auto found = SANSO_TRY(campaigns.actions_found(other.id));
    summary.row(r, {body_name(policy, other.body), state_ja(other), other.assignee});
    const int values[] = {n.yes, n.no, n.na, n.unanswered, n.passed, n.failed, n.unevaluated, static_cast<int>(found.size())};
    for (lxw_col_t col = 0; col < 8; ++col) summary.number(r, static_cast<lxw_col_t>(3 + col), values[col]);
    ++r;
  }

  // 是正措置: found here, and carried from the body's earlier campaigns.
  Sheet fixes(workbook_add_worksheet(wb, "是正措置"), header, wrap);
  fixes.widths({6, 16, 8, 40, 36, 12, 12, 10, 28, 28});
  fixes.row(0, {"番号", "項目", "条項", "指摘", "措置", "担当", "期限", "状態", "指摘した点検", "完了した点検"}, true);
  r = 1;
  actions.insert(actions.end(), carried.begin(), carried.end());
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
