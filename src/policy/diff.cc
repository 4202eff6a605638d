#include "policy/diff.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sanso::policy {
namespace {

// Ids of both sides, the old order first, then what the new one adds.
std::vector<std::string> united(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::vector<std::string> out = before;
  for (const auto& id : after) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

std::vector<std::string> only_in(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& id : a) {
    if (std::find(b.begin(), b.end(), id) == b.end()) out.push_back(id);
  }
  return out;
}

std::vector<std::string> zone_ids(const Policy& p) {
  std::vector<std::string> out;
  for (const Zone& z : p.zones) out.push_back(z.id);
  return out;
}
std::vector<std::string> role_ids(const Policy& p) {
  std::vector<std::string> out;
  for (const Role& r : p.roles) out.push_back(r.id);
  return out;
}
std::vector<std::string> level_ids(const Policy& p) {
  std::vector<std::string> out;
  for (const Level& l : p.scheme.confidentiality.levels) out.push_back(l.id);
  return out;
}

// The decision for a request by names; nullopt when this policy has no such zone, level or role.
std::optional<DecisionSide> ask(const CompiledPolicy& c, const std::string& from, const std::string& to, Channel channel,
                                const std::string& level, const std::string& role) {
  const auto f = c.zone_index(from), t = c.zone_index(to), l = c.level_index(level);
  const std::optional<int> r = role.empty() ? std::optional<int>(-1) : c.role_index(role);
  if (!f || !t || !l || !r) return std::nullopt;
  const Decision d = c.decide(Request{*f, *t, channel, *l, *r});
  return DecisionSide{d.action, std::string(d.rule_id()), std::string(d.clause()), std::string(d.approver()), d.is_default};
}

auto key_of(const DecisionSide& s) { return std::tie(s.action, s.rule, s.clause, s.approver, s.is_default); }
bool same(const DecisionSide& a, const DecisionSide& b) { return key_of(a) == key_of(b); }

std::string classification_of(const Policy& p, const Asset& a) {
  return "機密性" + a.confidentiality + " 完全性" + a.integrity + " 可用性" + a.availability + " @" + std::string(p.zone_of(a));
}

template <typename Named>
std::string name_in(const Named* before, const Named* after, const std::string& id, std::string_view lang) {
  if (after != nullptr) return after->name.in(lang);
  if (before != nullptr) return before->name.in(lang);
  return id;
}

std::string zone_name(const CompiledPolicy& b, const CompiledPolicy& a, const std::string& id, std::string_view lang) {
  return name_in(b.policy().find_zone(id), a.policy().find_zone(id), id, lang);
}

std::string role_name(const CompiledPolicy& b, const CompiledPolicy& a, const std::string& id, std::string_view lang) {
  if (id.empty()) return lang == "en" ? "(no role)" : "（役割指定なし）";
  return name_in(b.policy().find_role(id), a.policy().find_role(id), id, lang);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

std::string side_text(const DecisionSide& s, const CompiledPolicy& b, const CompiledPolicy& a, std::string_view lang) {
  const bool en = lang == "en";
  std::string out(en ? to_string(s.action) : label_ja(s.action));
  if (s.action == Action::kApprove && !s.approver.empty()) out += en ? " by " + role_name(b, a, s.approver, lang) : "（" + role_name(b, a, s.approver, lang) + "）";
  return out;
}

std::string rule_text(const DecisionSide& s, std::string_view lang) {
  if (s.is_default) return lang == "en" ? "default deny" : "既定の拒否";
  return s.rule + (s.clause.empty() ? "" : " (" + s.clause + ")");
}

std::string applies_to(const DecisionChange& c, const CompiledPolicy& b, const CompiledPolicy& a, std::string_view lang) {
  const bool en = lang == "en";
  std::vector<std::string> parts;
  if (!c.all_levels) parts.push_back((en ? "confidentiality " : "機密性 ") + join(c.levels, ", "));
  if (!c.all_roles) {
    std::vector<std::string> names;
    for (const auto& r : c.roles) names.push_back(role_name(b, a, r, lang));
    parts.push_back((en ? "roles: " : "役割: ") + join(names, ", "));
  }
  if (parts.empty()) return en ? "all requests" : "すべて";
  return join(parts, " / ");
}

}  // namespace

PolicyDiff diff_policies(const CompiledPolicy& before, const CompiledPolicy& after) {
  const Policy& b = before.policy();
  const Policy& a = after.policy();
  PolicyDiff out;
  out.zones_added = only_in(zone_ids(a), zone_ids(b));
  out.zones_removed = only_in(zone_ids(b), zone_ids(a));
  out.roles_added = only_in(role_ids(a), role_ids(b));
  out.roles_removed = only_in(role_ids(b), role_ids(a));
  out.levels_added = only_in(level_ids(a), level_ids(b));
  out.levels_removed = only_in(level_ids(b), level_ids(a));

  for (const Asset& old_asset : b.assets) {
    const Asset* now = a.find_asset(old_asset.id);
    const std::string was = classification_of(b, old_asset), is = now != nullptr ? classification_of(a, *now) : "";
    if (was != is) out.assets.push_back({old_asset.id, now != nullptr ? now->name.ja : old_asset.name.ja, was, is});
  }
  for (const Asset& new_asset : a.assets) {
    if (b.find_asset(new_asset.id) == nullptr) out.assets.push_back({new_asset.id, new_asset.name.ja, "", classification_of(a, new_asset)});
  }

  const auto zones = united(zone_ids(b), zone_ids(a));
  const auto levels = united(level_ids(b), level_ids(a));
  auto roles = united(role_ids(b), role_ids(a));
  roles.insert(roles.begin(), "");  // no role given
  std::vector<DecisionChange> same_action;
  for (const auto& from : zones) {
    for (const auto& to : zones) {
      for (int ch = 0; ch < kChannelCount; ++ch) {
        const auto channel = static_cast<Channel>(ch);
        std::vector<DecisionChange> cell;  // one entry per distinct (before, after)
        for (const auto& level : levels) {
          for (const auto& role : roles) {
            std::optional<DecisionSide> was_asked = ask(before, from, to, channel, level, role), is_asked = ask(after, from, to, channel, level, role);
            if (!was_asked || !is_asked || same(*was_asked, *is_asked)) continue;
            DecisionSide& was = *was_asked;
            DecisionSide& is = *is_asked;
            auto it = std::find_if(cell.begin(), cell.end(), [&](const DecisionChange& c) { return same(c.before, was) && same(c.after, is); });
            if (it == cell.end()) {
              cell.push_back(DecisionChange{from, to, channel, {}, {}, false, false, std::move(was), std::move(is)});
              it = cell.end() - 1;
            }
            if (std::find(it->levels.begin(), it->levels.end(), level) == it->levels.end()) it->levels.push_back(level);
            if (std::find(it->roles.begin(), it->roles.end(), role) == it->roles.end()) it->roles.push_back(role);
          }
        }
        for (auto& c : cell) {
          c.all_levels = c.levels.size() == levels.size();
          c.all_roles = c.roles.size() == roles.size();
          (c.action_changed() ? out.decisions : same_action).push_back(std::move(c));
        }
      }
    }
  }
  for (auto& c : same_action) out.decisions.push_back(std::move(c));
  return out;
}

std::string render_diff_text(const PolicyDiff& d, const CompiledPolicy& before, const CompiledPolicy& after, std::string_view lang) {
  const bool en = lang == "en";
  std::string out;
  const auto changed_actions = std::count_if(d.decisions.begin(), d.decisions.end(), [](const DecisionChange& c) { return c.action_changed(); });
  out += en ? fmt::format("Policy review: {} decision change(s), {} of them in the action (old as of {}, new as of {})\n", d.decisions.size(),
                          changed_actions, before.as_of().to_string(), after.as_of().to_string())
            : fmt::format("ポリシーの差分: 判断の変更 {} 件（うち判定の変更 {} 件。旧 {} 時点、新 {} 時点）\n", d.decisions.size(), changed_actions,
                          before.as_of().to_string(), after.as_of().to_string());
  if (d.empty()) {
    out += en ? "No decision, zone, role, level or asset differs.\n" : "判断・ゾーン・役割・格付け・資産に違いはありません。\n";
    return out;
  }
  auto list = [&](const char* ja, const char* en_label, const std::vector<std::string>& ids, auto name_of) {
    if (ids.empty()) return;
    std::vector<std::string> names;
    for (const auto& id : ids) names.push_back(name_of(id));
    out += std::string(en ? en_label : ja) + join(names, en ? ", " : "、") + "\n";
  };
  auto zone = [&](const std::string& id) { return zone_name(before, after, id, lang); };
  auto role = [&](const std::string& id) { return role_name(before, after, id, lang); };
  auto zone_and_id = [&](const std::string& id) { return zone(id) + " (" + id + ")"; };
  auto role_and_id = [&](const std::string& id) { return role(id) + " (" + id + ")"; };
  auto level = [&](const std::string& id) { return (en ? "confidentiality " : "機密性") + id; };
  list("追加されたゾーン: ", "Zones added: ", d.zones_added, zone_and_id);
  list("削除されたゾーン: ", "Zones removed: ", d.zones_removed, zone_and_id);
  list("追加された役割: ", "Roles added: ", d.roles_added, role_and_id);
  list("削除された役割: ", "Roles removed: ", d.roles_removed, role_and_id);
  list("追加された機密性の区分: ", "Confidentiality levels added: ", d.levels_added, level);
  list("削除された機密性の区分: ", "Confidentiality levels removed: ", d.levels_removed, level);
  if (!d.assets.empty()) {
    out += en ? "Assets:\n" : "資産の格付け・配置:\n";
    for (const auto& asset : d.assets) {
      const std::string was = asset.before.empty() ? (en ? "(none)" : "（なし）") : asset.before;
      const std::string is = asset.after.empty() ? (en ? "(removed)" : "（削除）") : asset.after;
      out += fmt::format("  {} ({}): {} → {}\n", asset.name, asset.id, was, is);
    }
  }
  if (!d.decisions.empty()) out += en ? "Decisions:\n" : "判断:\n";
  for (const auto& c : d.decisions) {
    const std::string channel(en ? to_string(c.channel) : label_ja(c.channel));
    out += fmt::format(fmt::runtime(en ? "  {} → {} {}: {} → {} ({})\n" : "  {}→{} {}: {} → {}（{}）\n"), zone(c.from), zone(c.to), channel,
                       side_text(c.before, before, after, lang), side_text(c.after, before, after, lang), applies_to(c, before, after, lang));
    out += fmt::format("      {}: {} → {}\n", en ? "rule" : "規則", rule_text(c.before, lang), rule_text(c.after, lang));
  }
  return out;
}

std::string render_diff_json(const PolicyDiff& d, const CompiledPolicy& before, const CompiledPolicy& after) {
  auto side = [](const DecisionSide& s) {
    return nlohmann::json{{"action", to_string(s.action)}, {"rule", s.rule},           {"clause", s.clause},
                          {"approver", s.approver},         {"default", s.is_default}};
  };
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& c : d.decisions) {
    decisions.push_back({{"from", c.from},
                         {"to", c.to},
                         {"channel", to_string(c.channel)},
                         {"levels", c.levels},
                         {"roles", c.roles},
                         {"all_levels", c.all_levels},
                         {"all_roles", c.all_roles},
                         {"action_changed", c.action_changed()},
                         {"before", side(c.before)},
                         {"after", side(c.after)},
                         {"summary_ja", fmt::format("{}→{} {}: {} → {}", zone_name(before, after, c.from, "ja"), zone_name(before, after, c.to, "ja"),
                                                    label_ja(c.channel), side_text(c.before, before, after, "ja"),
                                                    side_text(c.after, before, after, "ja"))}});
  }
  nlohmann::json assets = nlohmann::json::array();
  for (const auto& a : d.assets) assets.push_back({{"id", a.id}, {"name", a.name}, {"before", a.before}, {"after", a.after}});
  nlohmann::json out = {{"zones_added", d.zones_added},   {"zones_removed", d.zones_removed},   {"roles_added", d.roles_added},
                        {"roles_removed", d.roles_removed}, {"levels_added", d.levels_added},   {"levels_removed", d.levels_removed},
                        {"assets", assets},                 {"decisions", decisions}};
  return out.dump(2) + "\n";
}

}  // namespace sanso::policy
