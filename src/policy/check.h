// Static checks of a loaded policy: broken references, duplicate ids, and anything that breaks
// the three-layer model's separation (clauses 6(2), 6(3)①②③, 6(8)). Each finding carries a
// stable check id so a city can track it; see docs/policy-checks.md for the list.
#pragma once

#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "policy/diagnostic.h"
#include "policy/load.h"
#include "policy/policy.h"

namespace sanso::policy {

// Every check, as of `today` (exceptions expire). Sorted by position.
std::vector<Diagnostic> check_policy(const Policy& policy, Date today);

// Loads policy text and, when it loaded without errors, runs every check: all diagnostics of both
// stages, sorted by position. What `sanso policy check` prints.
LoadResult load_and_check_policy(std::string_view toml_text, std::string source_name, Date today);
Result<LoadResult> load_and_check_policy_file(const std::string& path, Date today);

// Loads a policy file and runs every check; succeeds only with zero errors (warnings allowed).
// The form services use: the Error lists each error as `file:line:col: error: ...`.
Result<Policy> load_checked_policy(const std::string& path, Date today);
// The same for policy text (a kept version, `sanso policy diff @3 …`); `source_name` names it in errors.
Result<Policy> load_checked_policy_text(std::string_view toml_text, const std::string& source_name, Date today);

}  // namespace sanso::policy
