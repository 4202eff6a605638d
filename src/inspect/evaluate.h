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
#include "audit/note.h"
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

// What proves an evaluation later, to an auditor holding the verifier key alone: the first signed
// checkpoint of the audit log after the evaluation's inspect.evaluate record (the callers sign one
// right after each evaluation, AuditLog::checkpoint), and the inclusion in that signed tree of the
// record and of every entry the results cite. A log rewritten after the evaluation cannot keep
// these proofs; a checkpoint that is missing, not signed by the key, or whose root the entries do
// not hash to is a problem, never a pass.
struct EvaluationProof {
  std::uint64_t audit_index = 0;  // the inspect.evaluate record
  std::uint64_t tree_size = 0;    // the checkpoint that covers it; 0 when none does
  std::string root;               // base64, as the signed note states it
  std::int64_t signed_at = 0;
  std::size_t entries = 0;        // entries proved included: the record and those its results cite
  std::string problem;            // empty: proved. Japanese, one line
};
Result<std::vector<EvaluationProof>> prove_evaluations(store::Database& db, Campaigns& campaigns, const std::string& campaign_id,
                                                       const audit::VerifierKey& key);

}  // namespace sanso::inspect
