#include "policy/decide.h"

#include <algorithm>
#include <limits>

namespace sanso::policy {
namespace {

constexpr std::uint32_t kDefault = std::numeric_limits<std::uint32_t>::max();
// 2^25 entries (128 MiB of uint32): far beyond any real municipality, small enough to fail clearly.
constexpr std::size_t kMaxTableEntries = std::size_t{1} << 25;

// A rule with its names resolved to indices, for compilation only.
struct Matcher {
  const Rule* rule;
  std::vector<bool> from, to;  // per zone
  ZoneScope scope;
  unsigned channels;           // bit per Channel
  int min_level, max_level;
  std::vector<bool> roles;     // per role slot (0 = no role)
};

bool is_active(const Rule& r, Date as_of) {
  if (!r.exception) return true;
  if (r.exception->approved_on && as_of < *r.exception->approved_on) return false;
  return as_of <= r.exception->expires;
}

int tier(const Rule& r) { return r.exception ? 0 : 1; }

std::vector<std::pair<std::string_view, int>> sorted_names(std::vector<std::pair<std::string_view, int>> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::optional<int> find_name(const std::vector<std::pair<std::string_view, int>>& names, std::string_view id) {
  auto it = std::lower_bound(names.begin(), names.end(), id, [](const auto& e, std::string_view k) { return e.first < k; });
  if (it == names.end() || it->first != id) return std::nullopt;
  return it->second;
}

std::string known(const std::vector<std::pair<std::string_view, int>>& names) {
  std::string out;
  for (const auto& [n, i] : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

Result<CompiledPolicy> CompiledPolicy::compile(Policy policy_in, Date as_of) {
  CompiledPolicy c;
  auto policy = std::make_shared<Policy>(std::move(policy_in));
  c.as_of_ = as_of;
  c.zones_ = static_cast<int>(policy->zones.size());
  c.levels_ = static_cast<int>(policy->scheme.confidentiality.levels.size());
  c.roles_ = static_cast<int>(policy->roles.size());
  const std::string where = policy->source_name;
  if (c.levels_ == 0) return make_error("policy.compile", where, "the classification scheme has no confidentiality levels");

  std::vector<std::pair<std::string_view, int>> zn, rn, ln;
  for (int i = 0; i < c.zones_; ++i) zn.emplace_back(policy->zones[i].id, i);
  for (int i = 0; i < c.roles_; ++i) rn.emplace_back(policy->roles[i].id, i);
  for (int i = 0; i < c.levels_; ++i) ln.emplace_back(policy->scheme.confidentiality.levels[i].id, i);
  c.zone_names_ = sorted_names(std::move(zn));
  c.role_names_ = sorted_names(std::move(rn));
  c.level_names_ = sorted_names(std::move(ln));

  // Order the rules in force by precedence; note when the set in force next changes.
  std::vector<const Rule*> ordered;
  for (std::size_t i = 0; i < policy->rules.size(); ++i) {
    const Rule& r = policy->rules[i];
    if (r.exception) {
      const RuleException& e = *r.exception;
      std::optional<Date> change;
      if (e.approved_on && as_of < *e.approved_on) change = *e.approved_on;
      else if (as_of <= e.expires) change = e.expires.next_day();
      if (change && (!c.stale_from_ || *change < *c.stale_from_)) c.stale_from_ = change;
    }
    if (is_active(r, as_of)) ordered.push_back(&r);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const Rule* a, const Rule* b) {
    if (tier(*a) != tier(*b)) return tier(*a) < tier(*b);
    return static_cast<int>(a->action) > static_cast<int>(b->action);
  });

  const int role_slots = c.roles_ + 1;
  std::vector<Matcher> matchers;
  for (const Rule* r : ordered) {
    Matcher m{r, std::vector<bool>(c.zones_), std::vector<bool>(c.zones_), r->scope, 0, 0, c.levels_ - 1, std::vector<bool>(role_slots)};
    auto fill_zones = [&](const std::vector<std::string>& ids, std::vector<bool>& mask) -> Result<void> {
      for (const std::string& id : ids) {
        if (id == kAnyZone) {
          mask.assign(c.zones_, true);
          continue;
        }
        auto z = find_name(c.zone_names_, id);
        if (!z) return make_error("policy.compile", where, "rule '" + r->id + "' names unknown zone '" + id + "'");
        mask[*z] = true;
      }
      return {};
    };
    SANSO_TRY(fill_zones(r->from, m.from));
    SANSO_TRY(fill_zones(r->to, m.to));
    if (r->channels.empty()) {
      m.channels = (1u << kChannelCount) - 1;
    } else {
      for (Channel ch : r->channels) m.channels |= 1u << static_cast<int>(ch);
    }
    for (auto [id, bound] : {std::pair{&r->min_confidentiality, &m.min_level}, std::pair{&r->max_confidentiality, &m.max_level}}) {
      if (id->empty()) continue;
      auto level = find_name(c.level_names_, *id);
      if (!level) return make_error("policy.compile", where, "rule '" + r->id + "' names unknown confidentiality level '" + *id + "'");
      *bound = *level;
    }
    if (r->roles.empty()) {
      m.roles.assign(role_slots, true);
    } else {
      for (const std::string& id : r->roles) {
        auto role = find_name(c.role_names_, id);
        if (!role) return make_error("policy.compile", where, "rule '" + r->id + "' names unknown role '" + id + "'");
        m.roles[*role + 1] = true;
      }
    }
    matchers.push_back(std::move(m));
  }

  const std::size_t entries = static_cast<std::size_t>(c.zones_) * c.zones_ * kChannelCount * c.levels_ * role_slots;
  if (entries > kMaxTableEntries) {
    return make_error("policy.compile", where,
                      "the policy is too large to compile: " + std::to_string(c.zones_) + " zones × " + std::to_string(c.roles_ + 1) +
                          " role slots × " + std::to_string(c.levels_) + " levels exceed the decision table limit");
  }
  c.table_.assign(entries, kDefault);
  std::vector<std::uint32_t> candidates;
  for (int f = 0; f < c.zones_; ++f) {
    for (int t = 0; t < c.zones_; ++t) {
      for (int ch = 0; ch < kChannelCount; ++ch) {
        candidates.clear();
        for (std::uint32_t i = 0; i < matchers.size(); ++i) {
          const Matcher& m = matchers[i];
          if (!m.from[f] || !m.to[t] || !(m.channels & (1u << ch))) continue;
          if (m.scope == ZoneScope::kCrossZone && f == t) continue;
          if (m.scope == ZoneScope::kSameZone && f != t) continue;
          candidates.push_back(i);
        }
        if (candidates.empty()) continue;
        for (int l = 0; l < c.levels_; ++l) {
          for (int rs = 0; rs < role_slots; ++rs) {
            for (std::uint32_t i : candidates) {
              const Matcher& m = matchers[i];
              if (l < m.min_level || l > m.max_level || !m.roles[rs]) continue;
              c.table_[c.slot(f, t, ch, l, rs)] = i;
              break;
            }
          }
        }
      }
    }
  }

  c.default_rule_ = std::make_unique<Rule>();
  c.default_rule_->id = "default-deny";
  c.default_rule_->action = Action::kDeny;
  c.default_rule_->clause = policy->default_clause;
  c.default_rule_->reason = {"どのルールにも該当しないため拒否（既定拒否）", "No rule allows this flow (default deny)"};
  c.default_rule_->origin = "builtin";
  c.ordered_ = std::move(ordered);
  c.policy_ = std::move(policy);
  return c;
}

std::size_t CompiledPolicy::slot(int from, int to, int channel, int level, int role_slot) const noexcept {
  return (((static_cast<std::size_t>(from) * zones_ + to) * kChannelCount + channel) * levels_ + level) * (roles_ + 1) + role_slot;
}

Decision CompiledPolicy::decide(const Request& q) const noexcept {
  const int ch = static_cast<int>(q.channel);
  if (q.from_zone < 0 || q.from_zone >= zones_ || q.to_zone < 0 || q.to_zone >= zones_ || ch < 0 || ch >= kChannelCount ||
      q.confidentiality >= levels_ || q.role >= roles_) {
    return Decision{Action::kDeny, default_rule_.get(), true};
  }
  const int level = q.confidentiality < 0 ? levels_ - 1 : q.confidentiality;
  const int role_slot = q.role < 0 ? 0 : q.role + 1;
  const std::uint32_t i = table_[slot(q.from_zone, q.to_zone, ch, level, role_slot)];
  if (i == kDefault) return Decision{Action::kDeny, default_rule_.get(), true};
  const Rule* r = ordered_[i];
  return Decision{r->action, r, false};
}

std::optional<int> CompiledPolicy::zone_index(std::string_view id) const noexcept { return find_name(zone_names_, id); }
std::optional<int> CompiledPolicy::role_index(std::string_view id) const noexcept { return find_name(role_names_, id); }
std::optional<int> CompiledPolicy::level_index(std::string_view id) const noexcept { return find_name(level_names_, id); }

Result<Request> CompiledPolicy::resolve(const RequestNames& n) const {
  Request q;
  const std::string where = "request";
  auto zone = [&](std::string_view id, std::string_view what) -> Result<int> {
    if (auto z = zone_index(id)) return *z;
    return make_error("policy.unknown-zone", where,
                      "unknown " + std::string(what) + " zone '" + std::string(id) + "' (zones in this policy: " + known(zone_names_) + ")");
  };
  q.from_zone = SANSO_TRY(zone(n.from, "from"));
  q.to_zone = SANSO_TRY(zone(n.to, "to"));
  auto ch = parse_channel(n.channel);
  if (!ch) {
    return make_error("policy.unknown-channel", where,
                      "unknown channel '" + std::string(n.channel) + "' (known: mail, file, web, screen, removable_media, api)");
  }
  q.channel = *ch;
  if (!n.confidentiality.empty()) {
    auto l = level_index(n.confidentiality);
    if (!l) {
      return make_error("policy.unknown-level", where,
                        "unknown confidentiality level '" + std::string(n.confidentiality) + "' (levels of scheme " + policy_->scheme.id +
                            ": " + policy_->scheme.confidentiality.ids_joined() + ")");
    }
    q.confidentiality = *l;
  }
  if (!n.role.empty()) {
    auto r = role_index(n.role);
    if (!r) return make_error("policy.unknown-role", where, "unknown role '" + std::string(n.role) + "' (roles: " + known(role_names_) + ")");
    q.role = *r;
  }
  if (!n.asset.empty()) {
    const Asset* a = policy_->find_asset(n.asset);
    if (!a) return make_error("policy.unknown-asset", where, "unknown asset '" + std::string(n.asset) + "'");
    auto l = level_index(a->confidentiality);
    if (!l) return make_error("policy.unknown-level", where, "asset '" + a->id + "' has an unknown confidentiality level");
    // The asset's classification is a floor: a request cannot declassify it.
    if (n.confidentiality.empty() || *l > q.confidentiality) q.confidentiality = *l;
  }
  return q;
}

Result<Decision> CompiledPolicy::decide(const RequestNames& names) const {
  Request q = SANSO_TRY(resolve(names));
  return decide(q);
}

}  // namespace sanso::policy
