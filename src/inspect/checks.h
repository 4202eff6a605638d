// The automatic items of a self-inspection: questions Sanso answers from what it holds (the audit
// log, the quarantine, the monitor's findings, the policy) instead of a person. A template names
// one by its id (`kind = "automatic:release-two-person"`); an unknown id is a template error.
#pragma once

#include <span>
#include <string_view>

namespace sanso::inspect {

struct AutomaticCheck {
  std::string_view id;
  std::string_view title_ja;
  std::string_view title_en;
  std::string_view clause;  // the clause the check serves
};

std::span<const AutomaticCheck> automatic_checks();
const AutomaticCheck* find_automatic_check(std::string_view id);

}  // namespace sanso::inspect
