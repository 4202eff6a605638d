#include "inspect/internal/report_content.h"

#include <algorithm>

#include "audit/log.h"
#include "core/clock.h"
#include "inspect/evaluate.h"
#include "inspect/stats.h"

namespace sanso::inspect::internal {
namespace {

std::string entries(const std::vector<std::uint64_t>& indices) {
  std::string out;
  for (auto i : indices) out += (out.empty() ? "#" : ", #") + std::to_string(i);
  return out;
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

}  // namespace

std::string body_name(const policy::Policy& policy, const std::string& id) {
  const policy::Body* b = policy.find_body(id);
  return b ? b->name.ja : id;
}

std::string state_ja(const Campaign& c) { return c.state == CampaignState::kOpen ? "実施中" : "確認済み（" + c.signed_by + "）"; }

std::string signed_number(long long n) { return n > 0 ? "+" + std::to_string(n) : std::to_string(n); }

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

const Campaign* previous_campaign(const std::vector<Campaign>& all, const Campaign& c) {
  const Campaign* previous = nullptr;
  for (const auto& other : all) {
    if (other.template_id != c.template_id || other.body != c.body || other.section != c.section || other.period_start >= c.period_start) continue;
    if (!previous || other.period_start > previous->period_start) previous = &other;
  }
  return previous;
}

Result<std::vector<ItemRow>> item_rows(Campaigns& campaigns, const Campaign& c) {
  const auto answers = SANSO_TRY(campaigns.answers(c.id));
  const auto results = SANSO_TRY(campaigns.results(c.id));
  const auto evidence = SANSO_TRY(campaigns.evidence(c.id));
  const auto assignees = SANSO_TRY(campaigns.item_assignees(c.id));
  std::vector<ItemRow> rows;
  for (const auto& item : c.items) {
    ItemRow row{item.id, item.clause, item.question.ja, item.kind == ItemKind::kManual ? "記入" : "自動（" + item.check + "）",
                item_outcome(item, answers, results)};
    for (const auto& e : evidence) {
      if (e.item != item.id) continue;
      row.evidence += (row.evidence.empty() ? "" : "\n") + e.file_name + "（証跡 " + std::to_string(e.id) + ", SHA-256 " + e.sha256.substr(0, 16) + "…）";
    }
    if (item.kind == ItemKind::kManual) {
      row.assignee = Campaigns::answerer(c, assignees, item.id);
      auto it = std::find_if(answers.begin(), answers.end(), [&](const AnswerRecord& a) { return a.item == item.id; });
      if (it != answers.end()) row.note = it->note;
    } else {
      auto it = std::find_if(results.begin(), results.end(), [&](const AutomaticResult& x) { return x.item == item.id; });
      if (it != results.end()) {
        row.automatic = it->summary;
        row.log_entries = "評価 #" + std::to_string(it->audit_index) + (it->evidence.empty() ? "" : "\n根拠 " + entries(it->evidence));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<CorrectiveAction>> report_actions(Campaigns& campaigns, const Campaign& c) {
  auto actions = SANSO_TRY(campaigns.actions_found(c.id));
  const auto carried = SANSO_TRY(campaigns.carried_actions(c.id));
  actions.insert(actions.end(), carried.begin(), carried.end());
  return actions;
}

Result<std::vector<BodySummary>> body_summaries(Campaigns& campaigns, const policy::Policy& policy, const std::vector<Campaign>& all,
                                                const Campaign& c) {
  std::vector<BodySummary> out;
  for (const auto& other : all) {
    if (other.template_id != c.template_id || other.period_label != c.period_label) continue;
    const Counts n = SANSO_TRY(count(campaigns, other));
    const auto found = SANSO_TRY(campaigns.actions_found(other.id));
    out.push_back({body_name(policy, other.body), state_ja(other), other.assignee, n, found.size(), other.section});
  }
  return out;
}

Result<Trend> trend(Campaigns& campaigns, store::Database& db, const Campaign& c, const Campaign& previous) {
  Trend t;
  const Counts now = SANSO_TRY(count(campaigns, c));
  const Counts before = SANSO_TRY(count(campaigns, previous));
  const auto found_before = SANSO_TRY(campaigns.actions_found(previous.id));
  const auto found_now = SANSO_TRY(campaigns.actions_found(c.id));
  t.counts = {{"はい", before.yes, now.yes},
              {"いいえ", before.no, now.no},
              {"該当なし", before.na, now.na},
              {"未回答", before.unanswered, now.unanswered},
              {"自動 適合", before.passed, now.passed},
              {"自動 不適合", before.failed, now.failed},
              {"未評価", before.unevaluated, now.unevaluated},
              {"是正措置（指摘）", static_cast<long long>(found_before.size()), static_cast<long long>(found_now.size())}};

  const auto ops_before = SANSO_TRY(operations_statistics(db, previous.period_label, previous.period_start, previous.period_end));
  const auto ops_now = SANSO_TRY(operations_statistics(db, c.period_label, c.period_start, c.period_end));
  for (const auto& m : measures()) {
    t.operations.push_back({std::string(m.label_ja), static_cast<long long>(ops_before.of(m.id).total), static_cast<long long>(ops_now.of(m.id).total)});
  }

  const auto answers_before = SANSO_TRY(campaigns.answers(previous.id));
  const auto results_before = SANSO_TRY(campaigns.results(previous.id));
  const auto answers_now = SANSO_TRY(campaigns.answers(c.id));
  const auto results_now = SANSO_TRY(campaigns.results(c.id));
  for (const auto& item : c.items) {
    auto earlier = std::find_if(previous.items.begin(), previous.items.end(), [&](const Item& i) { return i.id == item.id; });
    std::string was = earlier == previous.items.end() ? "（前回なし）" : item_outcome(*earlier, answers_before, results_before);
    std::string is = item_outcome(item, answers_now, results_now);
    if (was != is) t.changed.push_back({item.id, std::move(was), std::move(is), item.clause, item.question.ja});
  }
  return t;
}

Result<std::vector<AuditLine>> audit_lines(Campaigns& campaigns, store::Database& db, const Campaign& c, const audit::VerifierKey* key) {
  std::vector<AuditLine> out;
  if (!key) {
    out.push_back({"検証結果", "未検証: 検証鍵がこの出力に渡されていない（sanso audit verify で検証してください）"});
  } else {
    const audit::VerifyReport v = SANSO_TRY(audit::verify_log(db, *key, std::nullopt));
    out.push_back({"検証結果", v.ok() ? "改ざんなし（全記録のハッシュ木・署名・チェックポイントを再計算して一致）"
                                     : "問題あり: " + v.problem + (v.first_bad_index ? "（最初の記録 #" + std::to_string(*v.first_bad_index) + "）" : "") +
                                           (v.detail.empty() ? "" : " " + v.detail)});
    out.push_back({"検証した記録", std::to_string(v.entries) + " 件"});
    out.push_back({"チェックポイント", std::to_string(v.checkpoints) + " 件"});
    out.push_back({"木の大きさ（tree size）", std::to_string(v.tree_size)});
    out.push_back({"根（root, base64）", audit::to_base64(v.root)});
    out.push_back({"検証鍵", key->name});
  }
  const auto latest = SANSO_TRY(audit::latest_checkpoint(db));
  out.push_back({"最新の署名付きチェックポイント", latest ? "" : "なし（署名鍵が設定されていない）", true});
  if (latest) {
    out.push_back({"木の大きさ（tree size）", std::to_string(latest->checkpoint.size)});
    out.push_back({"根（root, base64）", audit::to_base64(latest->checkpoint.root)});
    out.push_back({"署名日時", local_time(latest->signed_at)});
    out.push_back({"署名付きノート（署名を含む）", latest->note});
  }
  out.push_back({"自動点検の評価の証明", "評価の記録・根拠の記録が署名付きチェックポイントの木に含まれること", true});
  if (!key) {
    out.push_back({"", "未検証（検証鍵なし）"});
  } else {
    const auto proofs = SANSO_TRY(prove_evaluations(db, campaigns, c.id, *key));
    if (proofs.empty()) out.push_back({"", "評価の記録がない（sanso inspect evaluate で評価します）"});
    for (const auto& p : proofs) {
      out.push_back({"評価 #" + std::to_string(p.audit_index),
                     p.problem.empty() ? "検証済み: チェックポイント " + std::to_string(p.tree_size) + " 件（" + local_time(p.signed_at) + " 署名、root " +
                                             p.root + "）に記録 " + std::to_string(p.entries) + " 件が含まれる"
                                       : "検証できない: " + p.problem});
    }
  }
  out.push_back({"検証の方法", "", true});
  out.push_back({"監査ログ全体", "sanso audit verify --config /etc/sanso/sanso.toml（ハッシュ木・署名・チェックポイントの再計算）"});
  out.push_back({"この点検の評価", "sanso inspect verify " + c.id + " --config /etc/sanso/sanso.toml"});
  out.push_back({"鍵だけで（オフライン）", "署名付きノートと検証鍵で C2SP signed note として検証できる（docs/audit-format.md）"});
  return out;
}

}  // namespace sanso::inspect::internal
