// What the inspection report says, computed once for both of its forms: the XLSX workbook
// (report.cc) and the print-ready HTML that Chromium turns into the PDF (report_pdf.cc). Each
// writer only lays these out; neither computes an outcome, a count or a verification of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/note.h"
#include "core/result.h"
#include "inspect/campaign.h"
#include "policy/policy.h"
#include "store/database.h"

namespace sanso::inspect::internal {

struct Counts {
  int yes = 0, no = 0, na = 0, unanswered = 0, passed = 0, failed = 0, unevaluated = 0;
};
Result<Counts> count(Campaigns& campaigns, const Campaign& c);

std::string body_name(const policy::Policy& policy, const std::string& id);
std::string state_ja(const Campaign& c);
std::string signed_number(long long n);

// The campaign of the same template, body and section just before this one, if any.
const Campaign* previous_campaign(const std::vector<Campaign>& all, const Campaign& c);

// One line of the 点検表.
struct ItemRow {
  std::string id, clause, question, kind, outcome, note;
  std::string evidence;     // the evidence files: name, evidence number, SHA-256 prefix; one a line
  std::string automatic;    // the automatic result's summary
  std::string log_entries;  // "評価 #n" and "根拠 #a, #b"
  std::string assignee;     // who answers a manual item (its own assignee, else the campaign's)
};
Result<std::vector<ItemRow>> item_rows(Campaigns& campaigns, const Campaign& c);

// The corrective actions found in this campaign, then those carried from the body's earlier ones.
Result<std::vector<CorrectiveAction>> report_actions(Campaigns& campaigns, const Campaign& c);

// One body's (or one section's) campaign of the same template and period, for the summary per
// body and section.
struct BodySummary {
  std::string body, state, assignee;
  Counts counts;
  std::size_t actions = 0;
  std::string section;  // 課/係; empty for the whole body
};
Result<std::vector<BodySummary>> body_summaries(Campaigns& campaigns, const policy::Policy& policy, const std::vector<Campaign>& all,
                                                const Campaign& c);

// 前回比較 against the body's previous campaign of the template.
struct Comparison {
  std::string label;
  long long before = 0, now = 0;
};
struct ChangedItem {
  std::string id, was, is, clause, question;
};
struct Trend {
  std::vector<Comparison> counts;      // answers, automatic results, corrective actions
  std::vector<Comparison> operations;  // the audit log's counts of each period
  std::vector<ChangedItem> changed;
};
Result<Trend> trend(Campaigns& campaigns, store::Database& db, const Campaign& c, const Campaign& previous);

// 監査: the audit log verified with the verifier key, the latest signed checkpoint, each
// evaluation's proof and how to repeat it, as labelled lines under headings. Without the key the
// lines say it was not verified; they never claim a verification that was not done.
struct AuditLine {
  std::string label, value;
  bool heading = false;
};
Result<std::vector<AuditLine>> audit_lines(Campaigns& campaigns, store::Database& db, const Campaign& c, const audit::VerifierKey* key);

}  // namespace sanso::inspect::internal
