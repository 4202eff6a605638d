#include "inspect/report.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <xlsxwriter.h>

#include "core/clock.h"
#include "core/text.h"

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

}  // namespace

Result<void> write_xlsx_report(Campaigns& campaigns, const std::string& campaign_id, const policy::Policy& policy,
                               const std::string& path) {
  const Campaign c = SANSO_TRY(campaigns.get(campaign_id));
  const auto answers = SANSO_TRY(campaigns.answers(c.id));
  const auto results = SANSO_TRY(campaigns.results(c.id));
  const auto evidence = SANSO_TRY(campaigns.evidence(c.id));
  auto actions = SANSO_TRY(campaigns.actions_found(c.id));
  const auto carried = SANSO_TRY(campaigns.carried_actions(c.id));
  std::vector<Campaign> same_period;
  for (auto& other : SANSO_TRY(campaigns.list())) {
    if (other.template_id == c.template_id && other.period_label == c.period_label) same_period.push_back(std::move(other));
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
    if (item.kind == ItemKind::kManual) {
      auto it = std::find_if(answers.begin(), answers.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
      answer = it == answers.end() ? "未回答" : std::string(label_ja(it->answer));
      if (it != answers.end()) note = it->note;
    } else {
      auto it = std::find_if(results.begin(), results.end(), [&](const AutomaticResult& x) { return x.item == item.id; });
      answer = it == results.end() ? "未評価" : it->passed ? "適合" : "不適合";
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

  const lxw_error written = list.error() != LXW_NO_ERROR ? list.error() : summary.error() != LXW_NO_ERROR ? summary.error() : fixes.error();
  const lxw_error closed = workbook_close(wb);
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
