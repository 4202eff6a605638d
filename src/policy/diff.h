// Policy review (clause 8): what changes when a new policy file takes the place of the old one,
// computed from the decisions each one makes — every (from, to, channel, level, role) asked of
// both — not from the text. A reordered file or a renamed comment changes nothing here; a rule
// that now shadows another, an exception that expired or an asset moved up a level does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/decide.h"

namespace sanso::policy {

// One side of a changed decision.
struct DecisionSide {
  Action action = Action::kDeny;
  std::string rule;
  std::string clause;
  std::string approver;  // role id, for approve
  bool is_default = false;
};

// The requests of one (from, to, channel) whose decision changes the same way. Only requests both
// policies can be asked are compared: a zone, level or role on one side only is listed as added or
// removed (`sanso policy explain` shows what a new one may do).
struct DecisionChange {
  std::string from, to;  // zone ids
  Channel channel = Channel::kMail;
  std::vector<std::string> levels;  // confidentiality level ids reaching this change
  std::vector<std::string> roles;   // role ids; "" is "no role given"
  bool all_levels = false;
  bool all_roles = false;
  DecisionSide before, after;
  bool action_changed() const { return before.action != after.action; }
};

// An asset whose classification or zone differs, or that exists on one side only.
struct AssetChange {
  std::string id;
  std::string name;  // Japanese name, from the side that has it (the new one when both)
  std::string before, after;  // "機密性3A 完全性2 可用性2 @lgwan"; "" when absent on that side
};

struct PolicyDiff {
  std::vector<std::string> zones_added, zones_removed, roles_added, roles_removed, levels_added, levels_removed;
  std::vector<AssetChange> assets;
  std::vector<DecisionChange> decisions;  // action changes first, then same action on another rule
  bool empty() const {
    return zones_added.empty() && zones_removed.empty() && roles_added.empty() && roles_removed.empty() && levels_added.empty() &&
           levels_removed.empty() && assets.empty() && decisions.empty();
  }
};

PolicyDiff diff_policies(const CompiledPolicy& before, const CompiledPolicy& after);

// Plain words, one line a change: "インターネット接続系→LGWAN接続系 ファイル: 許可 → 無害化".
std::string render_diff_text(const PolicyDiff& diff, const CompiledPolicy& before, const CompiledPolicy& after, std::string_view lang);
std::string render_diff_json(const PolicyDiff& diff, const CompiledPolicy& before, const CompiledPolicy& after);

}  // namespace sanso::policy
