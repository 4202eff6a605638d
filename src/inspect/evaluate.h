// Evaluating a campaign's automatic items from what Sanso holds: the audit log (releases,
// approvals, sign-ins, monitor findings, the policy in force), the quarantine's items and the
// policy itself. Each outcome cites the audit-log entries that prove it — on a failure, the ones
// that show what went wrong — and the evaluation is itself an audit record (inspect.evaluate).
//
// Fail closed: what Sanso cannot prove is a failure that says what is missing (an approval with
// no record of a second factor fails; it is not assumed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "inspect/campaign.h"
#include "policy/policy.h"
#include "store/database.h"

namespace sanso::inspect {

// What the checks read besides the store.
struct EvaluationInputs {
  const policy::Policy* policy = nullptr;
  std::string policy_sha256;  // hex, of the policy file in force: finds its policy.change entry
  const config::QuarantineSettings* quarantine = nullptr;
};

struct CheckOutcome {
  bool passed = false;
  std::string summary;                  // one line, Japanese
  std::vector<std::uint64_t> evidence;  // audit-log entry indices, ascending
};

// One check over [from, to) (Unix seconds).
Result<CheckOutcome> run_check(std::string_view check, store::Database& db, std::int64_t from, std::int64_t to,
                               const EvaluationInputs& inputs, const Clock& clock);

// Runs every automatic item of an open campaign over its period, stores the results and records
// inspect.evaluate, all in one transaction. Returns the results.
Result<std::vector<AutomaticResult>> evaluate_campaign(store::Database& db, Campaigns& campaigns, const std::string& campaign_id,
                                                       const EvaluationInputs& inputs, const Clock& clock, const std::string& actor);

// A failure lists at most this many entries; its summary gives the full count.
inline constexpr std::size_t kMaxEvidenceEntries = 200;

}  // namespace sanso::inspect
