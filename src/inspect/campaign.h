// Self-inspection campaigns in the store: one template answered for one body (実施機関, 4(1)) and
// one period, by the person assigned, with evidence files, then signed off by someone else and
// locked. A "no" answer or a failed automatic item is a finding; each needs a corrective action
// with an owner and a due date before sign-off, and open actions follow the body into its next
// campaign until a later campaign closes them.
//
// Every change commits with its audit record (inspect.*) in one transaction, so the log shows
// every answer, every file and every signature, and a refused change leaves nothing behind.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "inspect/template.h"
#include "policy/policy.h"
#include "audit/log.h"
#include "store/audit_sink.h"
#include "store/database.h"

namespace sanso::inspect {

enum class CampaignState : std::uint8_t { kOpen, kSignedOff };
std::string_view to_string(CampaignState state);  // "open", "signed-off"

struct Campaign {
  std::string id;  // "<template>:<body>:<period label>", then ":<section key>" for a section
  std::string body;
  std::string section;  // 課/係 of the body, free text; empty: the whole body
  std::string template_id;
  std::string template_title;
  std::string template_sha256;
  std::vector<Item> items;  // as the template was when the campaign was created
  Period period = Period::kMonthly;
  std::string period_label;      // "2026-11" (monthly) or "2026" (annual: 2026年度, April to March)
  std::int64_t period_start = 0;  // Unix seconds, inclusive; the period's first day at 00:00 JST
  std::int64_t period_end = 0;    // exclusive
  std::string assignee;           // who answers
  std::string reviewer;           // who signs off; empty: anyone but those who answered
  std::string created_by;
  std::int64_t created_at = 0;
  CampaignState state = CampaignState::kOpen;
  std::string signed_by;
  std::int64_t signed_at = 0;
  std::string signoff_note;

  const Item* find_item(std::string_view item_id) const;
};

enum class Answer : std::uint8_t { kYes, kNo, kNotApplicable };
std::string_view to_string(Answer answer);  // "yes", "no", "na"
std::string_view label_ja(Answer answer);   // "はい", "いいえ", "該当なし"
Result<Answer> parse_answer(std::string_view text);

struct AnswerRecord {
  std::string item;
  Answer answer = Answer::kYes;
  std::string note;
  std::string answered_by;
  std::string answered_account;  // the operating-system account behind the answer ("uid 1000"); "" when none is known
  std::int64_t answered_at = 0;
};

// An automatic item's outcome (evaluate.h), with the audit-log entries that prove it.
struct AutomaticResult {
  std::string item;
  std::string check;
  bool passed = false;
  std::string summary;                  // one line, Japanese
  std::vector<std::uint64_t> evidence;  // audit-log entry indices
  std::uint64_t audit_index = 0;        // the inspect.evaluate record of this evaluation
  std::int64_t evaluated_at = 0;
};

struct Evidence {
  std::int64_t id = 0;
  std::string item;
  std::string file_name;
  std::string sha256;
  std::int64_t size = 0;
  std::string added_by;
  std::int64_t added_at = 0;
};

enum class ActionState : std::uint8_t { kOpen, kClosed };

struct CorrectiveAction {
  std::int64_t id = 0;
  std::string body;
  std::string section;      // of the campaign where it was found
  std::string template_id;  // likewise: it is carried to that template's next campaign only
  std::string campaign;  // where the finding was made
  std::string item;
  std::string clause;
  std::string finding;   // what was found, in words
  std::string description;
  std::string owner;
  Date due;
  std::string created_by;
  ActionState state = ActionState::kOpen;
  std::string closed_in;  // the campaign that closed it
  std::string closed_by;
  std::string closing_note;
};

struct NewCampaign {
  std::string body;          // a body id of the policy's [[bodies]]
  std::string period_label;  // "2026-11" for a monthly template, "2026" for an annual one
  std::string assignee;
  std::string reviewer;      // optional
  std::string section;       // optional: 課/係 of the body ("総務課情報政策係"); empty = the whole body
};

// The ASCII key of a section in a campaign's id (ids go into URLs and onto command lines; the
// section itself is shown beside them): 12 hex digits of its SHA-256, "" for the whole body.
std::string section_key(std::string_view section);
// "市長部局" or "市長部局 総務課情報政策係".
std::string body_and_section(std::string_view body_name, std::string_view section);

// Evidence files are documents and screenshots, not archives of the whole file server.
inline constexpr std::size_t kMaxEvidenceBytes = 32u << 20;

class Campaigns {
 public:
  Campaigns(store::Database& db, audit::AuditLog& audit, const Clock& clock) : db_(db), audit_(audit), clock_(clock) {}

  Result<Campaign> create(const Template& checklist, const policy::Policy& policy, const NewCampaign& request,
                          const std::string& actor);
  Result<Campaign> get(const std::string& id);
  Result<std::vector<Campaign>> list(const std::string& body_filter = {});

  // Only the item's assignee answers (the campaign's assignee for an item assigned to nobody), or
  // an inspector (`inspector`: the actor holds one of [quarantine] inspector_roles); only manual
  // items, only while the campaign is open. "no" is a finding; "na" needs a note saying why the
  // item does not apply.
  // `account` is the operating-system account behind `actor` ("uid 1000"), when one is known: a
  // name is a claim, so sign-off is refused from the account that answered under any name.
  Result<void> answer(const std::string& campaign_id, const std::string& item_id, Answer answer, const std::string& note,
                      const std::string& actor, const std::string& account = {}, bool inspector = false);

  // Assigns one item of an open campaign to `person`, who must be one of `people` (the [[users]]
  // names), replacing an earlier assignment; an empty `person` gives the item back to the
  // campaign's assignee. Done by the campaign's assignee, its creator or an inspector; recorded as
  // inspect.assign.
  Result<void> assign(const std::string& campaign_id, const std::string& item_id, const std::string& person,
                      const std::vector<std::string>& people, const std::string& actor, bool inspector = false);
  // Who answers each item: item id → person (only items assigned to someone else than the
  // campaign's assignee are listed).
  Result<std::map<std::string, std::string>> item_assignees(const std::string& campaign_id);
  // Who answers `item_id`: its own assignee, else the campaign's.
  static std::string answerer(const Campaign& c, const std::map<std::string, std::string>& assignees, const std::string& item_id);
  Result<std::vector<AnswerRecord>> answers(const std::string& campaign_id);

  Result<Evidence> add_evidence(const std::string& campaign_id, const std::string& item_id, const std::string& file_name,
                                const std::string& content, const std::string& actor);
  Result<std::vector<Evidence>> evidence(const std::string& campaign_id);
  // The content, checked against the SHA-256 recorded when it was added.
  Result<std::string> evidence_content(const std::string& campaign_id, std::int64_t evidence_id);

  // Results of automatic items (from evaluate.h), replacing earlier results of the same items,
  // committed with `evaluation` (the inspect.evaluate record), whose index each result keeps.
  Result<std::uint64_t> store_results(const std::string& campaign_id, std::vector<AutomaticResult>& results,
                                      const store::AuditEvent& evaluation);
  Result<std::vector<AutomaticResult>> results(const std::string& campaign_id);

  // A corrective action for a finding of this campaign (a "no" answer or a failed automatic item).
  Result<CorrectiveAction> add_action(const std::string& campaign_id, const std::string& item_id,
                                      const std::string& description, const std::string& owner, Date due,
                                      const std::string& actor);
  // Closes an action of the same template, body and section in a later, open campaign.
  Result<void> close_action(std::int64_t action_id, const std::string& campaign_id, const std::string& note,
                            const std::string& actor);
  // The actions found in this campaign.
  Result<std::vector<CorrectiveAction>> actions_found(const std::string& campaign_id);
  // Actions of the same template, body and section from other campaigns that are still open, or
  // that this campaign closed (another section's actions are its own).
  Result<std::vector<CorrectiveAction>> carried_actions(const std::string& campaign_id);

  // Signs off and locks. Refused for the assignee and anyone who answered (by name, or from the
  // operating-system account an answer came from), for anyone but the named reviewer, while an
  // item is unanswered or unevaluated, or while a finding has no action.
  Result<void> sign_off(const std::string& campaign_id, const std::string& note, const std::string& actor,
                        const std::string& account = {});

 private:
  Result<Campaign> open_for_change(const std::string& campaign_id);
  Result<void> record(const std::string& actor, const std::string& action, const std::string& subject,
                      const std::string& outcome, const std::string& clause,
                      std::vector<std::pair<std::string, std::string>> details);
  std::int64_t now() const;

  store::Database& db_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

// [start, end) of a period in Unix seconds, in Japan Standard Time; an error for a label that is
// not "YYYY-MM" (monthly) or "YYYY" (annual: the fiscal year from April).
Result<std::pair<std::int64_t, std::int64_t>> period_bounds(Period period, std::string_view label);

}  // namespace sanso::inspect
