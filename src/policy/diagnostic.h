// Diagnostic: one finding about a policy file, printed as `path:line:col: error|warning: message
// [check-id]` so editors and CI annotate the right line.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"

namespace sanso::policy {

enum class Severity { kWarning, kError };

// A problem in a policy, tied to where it was written.
struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;
  std::string check_id;  // stable id, e.g. "mynumber-egress"
};

// `file:line:col: error: message [check-id]`.
std::string format(const Diagnostic& d, std::string_view file);
bool has_errors(const std::vector<Diagnostic>& diagnostics);
// Sorted by position, errors before warnings at the same place.
void sort_diagnostics(std::vector<Diagnostic>& diagnostics);

}  // namespace sanso::policy
