// The decision engine: "may this flow happen?" answered from a policy compiled once into a dense
// table, so that decide() is a bounds check and one array read — no allocation, and a cost that
// does not grow with the number of rules.
//
// Precedence when several rules match a request:
//   1. an exception (例外措置) in force on the compile date beats every ordinary rule;
//   2. then deny > approve > sanitize > allow;
//   3. then the rule written first (the city's rules come before the profile's built-in ones).
// When no rule matches, the answer is deny with `is_default` set (default deny).
// A request with no confidentiality level is treated as the scheme's highest level (fail closed);
// a request with no role matches only rules that name no roles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "policy/policy.h"

namespace sanso::policy {

// A flow, with every name already resolved to an index of the compiled policy.
struct Request {
  int from_zone = -1;
  int to_zone = -1;
  Channel channel = Channel::kMail;
  int confidentiality = -1;  // rank on the confidentiality scale; -1: unknown (→ highest)
  int role = -1;             // -1: no role given
};

// The same flow by name, as the CLI and services receive it.
struct RequestNames {
  std::string_view from;
  std::string_view to;
  std::string_view channel;
  std::string_view confidentiality;  // empty: unknown
  std::string_view role;             // empty: none
  std::string_view asset;            // empty: none; raises confidentiality to the asset's level
};

// The answer, explaining itself: the action and the rule (with clause and reason) it rests on.
struct Decision {
  Action action = Action::kDeny;
  const Rule* rule = nullptr;  // never null after decide(); the synthetic default rule when is_default
  bool is_default = false;

  std::string_view rule_id() const { return rule->id; }
  std::string_view clause() const { return rule->clause; }
  std::string_view reason(std::string_view lang = "ja") const { return rule->reason.in(lang); }
  std::string_view approver() const { return rule->approver; }
};

// A policy compiled for decisions as of one date (exceptions expire).
class CompiledPolicy {
 public:
  // Compiles `policy` as of `as_of`. Fails on unknown references (run the static checks first)
  // or when the decision table would exceed its size limit.
  static Result<CompiledPolicy> compile(Policy policy, Date as_of);

  Decision decide(const Request& request) const noexcept;
  // Resolves names and decides; unknown names are an Error saying which name and what is known.
  Result<Decision> decide(const RequestNames& names) const;
  Result<Request> resolve(const RequestNames& names) const;

  std::optional<int> zone_index(std::string_view id) const noexcept;
  std::optional<int> role_index(std::string_view id) const noexcept;
  std::optional<int> level_index(std::string_view id) const noexcept;

  const Policy& policy() const { return *policy_; }
  Date as_of() const { return as_of_; }
  // The first day on which this compilation is stale because an exception starts or expires
  // (services recompile then); nullopt when no exception is pending.
  std::optional<Date> stale_from() const { return stale_from_; }
  int zone_count() const { return zones_; }
  int level_count() const { return levels_; }
  int role_count() const { return roles_; }
  std::size_t table_entries() const { return table_.size(); }
  // Rules in force on the compile date (expired or future exceptions excluded).
  const std::vector<const Rule*>& active_rules() const { return ordered_; }

 private:
  CompiledPolicy() = default;
  std::size_t slot(int from, int to, int channel, int level, int role_slot) const noexcept;

  std::shared_ptr<const Policy> policy_;
  std::unique_ptr<Rule> default_rule_;
  std::vector<const Rule*> ordered_;     // precedence order
  std::vector<std::uint32_t> table_;     // index into ordered_, or kDefault
  std::vector<std::pair<std::string_view, int>> zone_names_, role_names_, level_names_;  // sorted
  int zones_ = 0, levels_ = 0, roles_ = 0;
  Date as_of_;
  std::optional<Date> stale_from_;
};

}  // namespace sanso::policy
