// Explaining a whole policy: for every zone pair and channel, what happens and why — the table
// an auditor reads to confirm the three-layer separation, and the data behind the zone map.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/decide.h"

namespace sanso::policy {

// One outcome within a cell, and the requests (levels, roles) that get it.
struct Outcome {
  Action action = Action::kDeny;
  const Rule* rule = nullptr;
  bool is_default = false;
  std::vector<int> levels;  // confidentiality ranks reaching this outcome
  std::vector<int> roles;   // role indices reaching it; -1 is "no role given"
  bool all_levels = false;
  bool all_roles = false;
};

// What happens to one (from, to, channel) cell, outcomes in precedence order of first appearance.
struct ExplainCell {
  int from = 0;
  int to = 0;
  Channel channel = Channel::kMail;
  std::vector<Outcome> outcomes;
  // The most permissive action any request in the cell gets (what a map arrow shows).
  Action most_permissive() const;
};

std::vector<ExplainCell> explain(const CompiledPolicy& policy);

// A fixed-width table (East Asian width aware) in Japanese ("ja") or English ("en").
std::string render_explain_text(const CompiledPolicy& policy, const std::vector<ExplainCell>& cells, std::string_view lang,
                                bool cross_zone_only);
// Machine-readable form for reports: a JSON array.
std::string render_explain_json(const CompiledPolicy& policy, const std::vector<ExplainCell>& cells, bool cross_zone_only);

// The zone map as SVG: zones as regions with their systems, arrows for allowed, sanitized and
// approval flows labelled with their channels. Self-contained; Japanese text is UTF-8.
std::string render_zone_map_svg(const CompiledPolicy& policy, std::string_view lang);

}  // namespace sanso::policy
