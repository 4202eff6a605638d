#include "policy/policy.h"

#include "core/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "policy/diagnostic.h"

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

// An address as 16 bytes, IPv4 as ::ffff:a.b.c.d, so that one comparison serves both families
// and a mapped address cannot be used to slip past an IPv4 network.
std::optional<std::array<unsigned char, 16>> address_bytes(std::string_view text, bool* v4 = nullptr) {
  std::string t(text);
  if (auto pct = t.find('%'); pct != std::string::npos) t.resize(pct);  // fe80::1%eth0
  std::array<unsigned char, 16> out{};
  in_addr a4{};
  if (inet_pton(AF_INET, t.c_str(), &a4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &a4, 4);
    if (v4 != nullptr) *v4 = true;
    return out;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, t.c_str(), &a6) != 1) return std::nullopt;
  std::memcpy(out.data(), &a6, 16);
  if (v4 != nullptr) *v4 = false;
  return out;
}

bool prefix_equal(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
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
  const auto addr = address_bytes(address);
  if (!addr) return nullptr;
  const Zone* best = nullptr;
  int best_bits = -1;
  for (const Zone& z : zones) {
    for (const std::string& cidr : z.cidrs) {
      const auto slash = cidr.find('/');
      bool v4 = false;
      const auto net = address_bytes(std::string_view(cidr).substr(0, slash), &v4);
      if (!net) continue;  // the static checks report it
      int bits = v4 ? 32 : 128;
      if (slash != std::string::npos) {
        const std::string len = cidr.substr(slash + 1);
        if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        bits = std::stoi(len);
        if (bits > (v4 ? 32 : 128)) continue;
      }
      if (v4) bits += 96;
      if (bits > best_bits && prefix_equal(*addr, *net, bits)) {
        best = &z;
        best_bits = bits;
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
const System* Policy::find_system(std::string_view id) const { return find_by_id(systems, id); }
const Asset* Policy::find_asset(std::string_view id) const { return find_by_id(assets, id); }
const Body* Policy::find_body(std::string_view id) const { return find_by_id(bodies, id); }

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
