// Table-driven regression cases for a policy: each case is a request and the action (and
// optionally the rule and clause) the city expects. A city keeps its own file and runs it in CI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "policy/decide.h"
#include "policy/diagnostic.h"

namespace sanso::policy {

// One expectation about one request.
struct PolicyCase {
  std::string name;
  std::string from, to, channel, confidentiality, role, asset;
  Action expect = Action::kDeny;
  std::string expect_rule;    // empty: any rule
  std::string expect_clause;  // empty: any clause
  SourceLoc loc;
};

// A cases file: the cases, and the date they are evaluated on (exceptions expire).
struct PolicyCaseFile {
  std::optional<Date> today;
  std::vector<PolicyCase> cases;
};

// Parses a cases file; problems (bad TOML, unknown keys, missing fields) are diagnostics.
struct CaseLoadResult {
  std::optional<PolicyCaseFile> file;
  std::vector<Diagnostic> diagnostics;
};
CaseLoadResult load_cases(std::string_view toml_text, std::string source_name);

// The outcome of one case.
struct CaseResult {
  const PolicyCase* test = nullptr;
  bool passed = false;
  std::string detail;  // on failure: what was expected and what came
};

std::vector<CaseResult> run_cases(const CompiledPolicy& policy, const std::vector<PolicyCase>& cases);

}  // namespace sanso::policy
