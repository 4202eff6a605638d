#include "policy/policy.h"

#include "core/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "policy/diagnostic.h"
#include "policy/network.h"

namespace sanso::policy {
namespace {

constexpr std::array<std::string_view, kActionCount> kActionNames = {"allow", "sanitize", "approve", "deny"};
constexpr std::array<std::string_view, kActionCount> kActionJa = {"許可", "無害化", "承認要", "拒否"};
constexpr std::array<std::string_view, kChannelCount> kChannelNames = {"mail", "file", "web", "screen", "removable_media", "api"};
constexpr std::array<std::string_view, kChannelCount> kChannelJa = {"メール", "ファイル", "Web閲覧", "画面転送", "外部記録媒体", "API連携"};
constexpr std::array<std::string_view, 4> kProfileNames = {"alpha", "alpha_prime", "beta", "beta_prime"};

template <typename T, typename Array>
std::optional<T> lookup(const Array& names, std::string_view text) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<T>(i);
  }
  return std::nullopt;
}

template <typename T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  for (const T& item : items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(Action a) { return kActionNames[static_cast<int>(a)]; }
std::string_view label_ja(Action a) { return kActionJa[static_cast<int>(a)]; }
std::string_view to_string(Channel c) { return kChannelNames[static_cast<int>(c)]; }
std::string_view label_ja(Channel c) { return kChannelJa[static_cast<int>(c)]; }
std::string_view to_string(Profile p) { return kProfileNames[static_cast<int>(p)]; }
std::optional<Action> parse_action(std::string_view t) { return lookup<Action>(kActionNames, t); }
std::optional<Channel> parse_channel(std::string_view t) { return lookup<Channel>(kChannelNames, t); }
std::optional<Profile> parse_profile(std::string_view t) { return lookup<Profile>(kProfileNames, t); }

std::optional<int> Scale::rank_of(std::string_view id) const {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].id == id) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string Scale::ids_joined() const {
  std::string out;
  for (const Level& l : levels) {
    if (!out.empty()) out += ", ";
    out += l.id;
  }
  return out;
}

bool Zone::has_control(std::string_view control) const {
  return std::find(controls.begin(), controls.end(), control) != controls.end();
}

const Zone* Policy::find_zone(std::string_view id) const { return find_by_id(zones, id); }

const Zone* Policy::zone_of_address(std::string_view address) const {
  const auto addr = parse_ip(address);
  if (!addr) return nullptr;
  const Zone* best = nullptr;
  int best_bits = -1;
  for (const Zone& z : zones) {
    for (const std::string& text : z.cidrs) {
      const auto cidr = parse_cidr(text);  // one that does not parse: the static checks report it
      if (cidr && cidr->bits > best_bits && cidr->contains(addr->value)) {
        best = &z;
        best_bits = cidr->bits;
      }
    }
  }
  return best;
}

const Zone* Policy::zone_of_mail_domain(std::string_view domain) const {
  std::string d = ascii_lower(domain);
  while (!d.empty() && d.back() == '.') d.pop_back();
  const Zone* best = nullptr;
  std::size_t best_len = 0;
  for (const Zone& z : zones) {
    for (const std::string& m : z.mail_domains) {
      const bool same = d == m;
      const bool child = d.size() > m.size() && d.compare(d.size() - m.size(), m.size(), m) == 0 && d[d.size() - m.size() - 1] == '.';
      if ((same || child) && m.size() > best_len) {
        best = &z;
        best_len = m.size();
      }
    }
  }
  return best;
}
const Role* Policy::find_role(std::string_view id) const { return find_by_id(roles, id); }

std::string Policy::senior_role(std::string_view a, std::string_view b) const {
  // `id` and the roles above it, nearest first; empty for an unknown role or a cycle (the static
  // check reports both), so that such a policy relates nothing rather than loops.
  auto chain_of = [this](std::string_view id) {
    std::vector<std::string> chain;
    for (const Role* r = find_role(id); r != nullptr; r = r->reports_to.empty() ? nullptr : find_role(r->reports_to)) {
      if (std::find(chain.begin(), chain.end(), r->id) != chain.end() || chain.size() > roles.size()) return std::vector<std::string>{};
      chain.push_back(r->id);
    }
    return chain;
  };
  if (a == b) return find_role(a) ? std::string(a) : std::string();
  const std::vector<std::string> above_a = chain_of(a), above_b = chain_of(b);
  for (const std::string& r : above_b) {
    if (std::find(above_a.begin(), above_a.end(), r) != above_a.end()) return r;
  }
  return "";
}
const System* Policy::find_system(std::string_view id) const { return find_by_id(systems, id); }
const Asset* Policy::find_asset(std::string_view id) const { return find_by_id(assets, id); }
const Body* Policy::find_body(std::string_view id) const { return find_by_id(bodies, id); }
const Endpoint* Policy::find_endpoint(std::string_view id) const { return find_by_id(endpoints, id); }

std::string_view Policy::zone_of(const Asset& asset) const {
  if (!asset.zone.empty()) return asset.zone;
  if (const System* s = find_system(asset.system)) return s->zone;
  return {};
}

std::string_view Policy::ceiling_of(const Zone& zone) const {
  if (!zone.max_confidentiality.empty()) return zone.max_confidentiality;
  if (zone.id == kZoneInternet) return scheme.internet_ceiling;
  return {};
}

std::string format(const Diagnostic& d, std::string_view file) {
  std::string out(file);
  out += ':' + std::to_string(d.loc.line) + ':' + std::to_string(d.loc.column) + ": ";
  out += d.severity == Severity::kError ? "error: " : "warning: ";
  out += d.message;
  out += " [" + d.check_id + "]";
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

void sort_diagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    if (a.loc.column != b.loc.column) return a.loc.column < b.loc.column;
    return a.severity > b.severity;
  });
}

}  // namespace sanso::policy
