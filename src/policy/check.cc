#include "policy/check.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "core/text.h"
#include "policy/decide.h"
#include "policy/load.h"
#include "policy/network.h"

namespace sanso::policy {
namespace {

// Collects diagnostics for one policy.
class Checker {
 public:
  Checker(const Policy& p, Date today) : p_(p), today_(today) {}

  std::vector<Diagnostic> run() {
    duplicates();
    canonical_zones();
    references();
    separation();
    classification();
    mfa();
    profile_requirements();
    outsourcing();
    networks();
    endpoints();
    mail_domains();
    if (!has_errors(out_)) reachability();
    sort_diagnostics(out_);
    return std::move(out_);
  }

 private:
  void error(SourceLoc loc, std::string msg, std::string id) { out_.push_back({Severity::kError, loc, std::move(msg), std::move(id)}); }
  void warning(SourceLoc loc, std::string msg, std::string id) { out_.push_back({Severity::kWarning, loc, std::move(msg), std::move(id)}); }

  template <typename T>
  void unique_ids(const std::vector<T>& items, std::string_view kind) {
    std::map<std::string, SourceLoc> seen;
    for (const T& item : items) {
      if (item.id.empty()) continue;
      auto [it, inserted] = seen.emplace(item.id, item.loc);
      if (!inserted) {
        error(item.loc, std::string(kind) + " id '" + item.id + "' is already used at line " + std::to_string(it->second.line),
              "duplicate-id");
      }
    }
  }

  void duplicates() {
    unique_ids(p_.bodies, "body");
    unique_ids(p_.zones, "zone");
    unique_ids(p_.roles, "role");
    unique_ids(p_.systems, "system");
    unique_ids(p_.assets, "asset");
    unique_ids(p_.rules, "rule");
    unique_ids(p_.contractors, "contractor");
    unique_ids(p_.services, "external service");
    unique_ids(p_.endpoints, "endpoint");
  }

  void canonical_zones() {
    for (auto id : {kZoneMynumber, kZoneLgwan, kZoneInternet}) {
      if (!p_.find_zone(id)) {
        error({1, 1}, "the policy defines no '" + std::string(id) + "' zone; the three-layer model needs mynumber, lgwan and internet (6(3))",
              "missing-zone");
      }
    }
    if (p_.bodies.empty()) warning({1, 1}, "the policy lists no bodies (実施機関); clause 4(1) names the bodies it covers", "no-bodies");
  }

  void zone_ref(std::string_view id, SourceLoc loc, std::string_view owner, bool wildcard_ok) {
    if (id.empty() || (wildcard_ok && id == kAnyZone)) return;
    if (!p_.find_zone(id)) error(loc, std::string(owner) + " names unknown zone '" + std::string(id) + "'", "unknown-zone");
  }
  // The organisation's reporting lines (`reports_to`) must end at a top, and the roles that approve
  // must share one: an item the outgoing check could not read goes to the more senior of the
  // approvers its flow's levels name (intake::approver_for_unchecked), which only an order tells.
  void reporting_lines() {
    for (const Role& r : p_.roles) {
      std::vector<std::string> seen{r.id};
      for (const Role* up = p_.find_role(r.reports_to); up != nullptr; up = p_.find_role(up->reports_to)) {
        if (std::find(seen.begin(), seen.end(), up->id) != seen.end()) {
          // Said once, by the cycle's member with the smallest id; a role that only leads into a
          // cycle is not in it.
          const bool in_cycle = up->id == r.id;
          if (in_cycle && std::all_of(seen.begin(), seen.end(), [&](const std::string& id) { return r.id <= id; })) {
            error(r.loc, "roles " + join(seen, " → ") + " → " + r.id + " report to each other in a circle; the reporting lines must end at a top role",
                  "role-cycle");
          }
          break;
        }
        seen.push_back(up->id);
      }
    }
    // Two approve rules that can meet on one flow — their from zones and channels overlap: levels
    // of one flow, or zones of one message's recipients — must name roles the lines order (or
    // the same role): which of them decides a hold is the senior one, and without an order there
    // is none. Refused, not guessed: a junior role would otherwise release what a senior one's
    // rule reserves.
    const auto overlap = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
      for (const auto& x : a) {
        for (const auto& y : b) {
          if (x == y || x == kAnyZone || y == kAnyZone) return true;
        }
      }
      return false;
    };
    const auto channels_meet = [](const Rule& a, const Rule& b) {
      if (a.channels.empty() || b.channels.empty()) return true;
      return std::any_of(a.channels.begin(), a.channels.end(), [&](Channel c) { return std::find(b.channels.begin(), b.channels.end(), c) != b.channels.end(); });
    };
    for (std::size_t i = 0; i < p_.rules.size(); ++i) {
      const Rule& a = p_.rules[i];
      if (a.action != Action::kApprove || !p_.find_role(a.approver)) continue;
      for (std::size_t j = i + 1; j < p_.rules.size(); ++j) {
        const Rule& b = p_.rules[j];
        if (b.action != Action::kApprove || b.approver == a.approver || !p_.find_role(b.approver)) continue;
        if (!overlap(a.from, b.from) || !channels_meet(a, b) || !p_.senior_role(a.approver, b.approver).empty()) continue;
        error(b.loc,
              "rules '" + a.id + "' and '" + b.id + "' can meet on one flow but their approvers '" + a.approver + "' and '" + b.approver +
                  "' have no common superior: declare [[roles]] reports_to, so that a hold goes to the senior one",
              "approvers-unordered");
      }
    }
  }
  void role_ref(std::string_view id, SourceLoc loc, std::string_view owner) {
    if (!id.empty() && !p_.find_role(id)) error(loc, std::string(owner) + " names unknown role '" + std::string(id) + "'", "unknown-role");
  }
  void level_ref(const Scale& scale, std::string_view axis, std::string_view id, SourceLoc loc, std::string_view owner) {
    if (id.empty() || scale.rank_of(id)) return;
    error(loc,
          std::string(owner) + " uses unknown " + std::string(axis) + " level '" + std::string(id) + "' (scheme " + p_.scheme.id +
              " has: " + scale.ids_joined() + ")",
          "unknown-level");
  }

  void references() {
    const Scale& conf = p_.scheme.confidentiality;
    for (const Zone& z : p_.zones) level_ref(conf, "confidentiality", z.max_confidentiality, z.loc, "zone '" + z.id + "'");
    for (const Role& r : p_.roles) {
      for (const std::string& z : r.zones) zone_ref(z, r.loc, "role '" + r.id + "'", false);
      role_ref(r.reports_to, r.loc, "role '" + r.id + "' (reports_to)");
    }
    reporting_lines();
    for (const System& s : p_.systems) {
      zone_ref(s.zone, s.loc, "system '" + s.id + "'", false);
      if (!s.body.empty() && !p_.find_body(s.body)) error(s.loc, "system '" + s.id + "' names unknown body '" + s.body + "'", "unknown-body");
    }
    for (const Asset& a : p_.assets) {
      const std::string owner = "asset '" + a.id + "'";
      const System* sys = p_.find_system(a.system);
      if (!a.system.empty() && !sys) error(a.loc, owner + " names unknown system '" + a.system + "'", "unknown-system");
      zone_ref(a.zone, a.loc, owner, false);
      if (sys && !a.zone.empty() && a.zone != sys->zone) {
        error(a.loc, owner + " is placed in zone '" + a.zone + "' but its system '" + sys->id + "' is in '" + sys->zone + "'", "zone-mismatch");
      }
      level_ref(conf, "confidentiality", a.confidentiality, a.loc, owner);
      level_ref(p_.scheme.integrity, "integrity", a.integrity, a.loc, owner);
      level_ref(p_.scheme.availability, "availability", a.availability, a.loc, owner);
      role_ref(a.responsible_role, a.loc, owner);
    }
    for (const Rule& r : p_.rules) {
      const std::string owner = "rule '" + r.id + "'";
      for (const std::string& z : r.from) zone_ref(z, r.loc, owner, true);
      for (const std::string& z : r.to) zone_ref(z, r.loc, owner, true);
      for (const std::string& role : r.roles) role_ref(role, r.loc, owner);
      level_ref(conf, "confidentiality", r.min_confidentiality, r.loc, owner);
      level_ref(conf, "confidentiality", r.max_confidentiality, r.loc, owner);
      auto lo = conf.rank_of(r.min_confidentiality), hi = conf.rank_of(r.max_confidentiality);
      if (lo && hi && *lo > *hi) {
        error(r.loc, owner + " has min_confidentiality '" + r.min_confidentiality + "' above max_confidentiality '" + r.max_confidentiality +
                         "', so it matches nothing",
              "empty-range");
      }
      if (r.action == Action::kApprove && r.approver.empty()) {
        error(r.loc, owner + " asks for approval but names no approver role", "missing-approver");
      }
      if (r.action != Action::kApprove && !r.approver.empty()) {
        warning(r.loc, owner + " names an approver but its action is '" + std::string(to_string(r.action)) + "'; the approver is ignored",
                "approver-ignored");
      }
      role_ref(r.approver, r.loc, owner + " (approver)");
      if (r.exception) {
        const RuleException& e = *r.exception;
        role_ref(e.approved_by, e.loc, owner + " exception");
        if (e.approved_on && e.expires < *e.approved_on) {
          error(e.loc, owner + " exception expires (" + e.expires.to_string() + ") before it was approved (" + e.approved_on->to_string() + ")",
                "exception-dates");
        } else if (e.expires < today_) {
          warning(e.loc, owner + " is an exception that expired on " + e.expires.to_string() + " and no longer applies; renew or remove it",
                  "exception-expired");
        }
      }
    }
    for (const Contractor& c : p_.contractors) {
      for (const std::string& s : c.systems) {
        if (!p_.find_system(s)) error(c.loc, "contractor '" + c.id + "' names unknown system '" + s + "'", "unknown-system");
      }
    }
    for (const ExternalService& s : p_.services) {
      zone_ref(s.zone, s.loc, "external service '" + s.id + "'", false);
      role_ref(s.responsible_role, s.loc, "external service '" + s.id + "'");
    }
  }

  // Zone pairs a rule covers, honouring its scope.
  std::vector<std::pair<std::string, std::string>> pairs_of(const Rule& r) const {
    auto expand = [&](const std::vector<std::string>& ids) {
      std::vector<std::string> out;
      for (const std::string& id : ids) {
        if (id == kAnyZone) {
          for (const Zone& z : p_.zones) out.push_back(z.id);
        } else {
          out.push_back(id);
        }
      }
      return out;
    };
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const std::string& f : expand(r.from)) {
      for (const std::string& t : expand(r.to)) {
        if (r.scope == ZoneScope::kCrossZone && f == t) continue;
        if (r.scope == ZoneScope::kSameZone && f != t) continue;
        pairs.emplace_back(f, t);
      }
    }
    return pairs;
  }

  bool exception_in_force(const Rule& r) const {
    return r.exception && today_ <= r.exception->expires && (!r.exception->approved_on || *r.exception->approved_on <= today_);
  }

  void separation() {
    for (const Rule& r : p_.rules) {
      if (r.action == Action::kDeny) continue;
      bool egress = false, ingress = false, lgwan_internet = false;
      std::string example;
      for (const auto& [f, t] : pairs_of(r)) {
        if (f == kZoneMynumber && t != kZoneMynumber) egress = true;
        if (t == kZoneMynumber && f != kZoneMynumber) ingress = true;
        if ((f == kZoneLgwan && t == kZoneInternet) || (f == kZoneInternet && t == kZoneLgwan)) {
          lgwan_internet = true;
          example = f + " → " + t;
        }
      }
      const std::string owner = "rule '" + r.id + "'";
      if (egress) {
        if (exception_in_force(r)) {
          warning(r.loc, owner + " lets information leave the mynumber zone under an exception valid until " + r.exception->expires.to_string() +
                             " (6(3)①)",
                  "mynumber-egress-exception");
        } else {
          error(r.loc, owner + " would let information leave the mynumber zone (action '" + std::string(to_string(r.action)) +
                           "'); clause 6(3)① forbids communication from マイナンバー利用事務系 to other zones",
                "mynumber-egress");
        }
      }
      if (ingress && !exception_in_force(r)) {
        warning(r.loc, owner + " lets another zone reach the mynumber zone; clause 6(3)① keeps マイナンバー利用事務系 apart in principle",
                "mynumber-ingress");
      }
      if (lgwan_internet && r.action == Action::kAllow) {
        error(r.loc, owner + " plainly allows " + example + "; clause 6(3)② requires the path to be split and any exchange sanitized " +
                         "(use sanitize, approve or deny)",
              "lgwan-internet-allow");
      }
    }
  }

  void classification() {
    const Scale& conf = p_.scheme.confidentiality;
    for (const Asset& a : p_.assets) {
      const Zone* z = p_.find_zone(p_.zone_of(a));
      if (!z) continue;
      auto ceiling = conf.rank_of(p_.ceiling_of(*z));
      auto level = conf.rank_of(a.confidentiality);
      if (ceiling && level && *level > *ceiling) {
        error(a.loc,
              "asset '" + a.id + "' is classified " + conf.levels[*level].label.ja + " but zone '" + z->id + "' may hold at most " +
                  conf.levels[*ceiling].label.ja + " (6(2))",
              "classification-ceiling");
      }
      const bool individual_number = std::find(a.categories.begin(), a.categories.end(), "individual_number") != a.categories.end();
      if (individual_number && z->id != kZoneMynumber) {
        error(a.loc, "asset '" + a.id + "' holds individual numbers (個人番号) but lives in zone '" + z->id +
                         "'; 個人番号利用事務 belongs to マイナンバー利用事務系 (2(9), 6(3)①)",
              "individual-number-zone");
      }
    }
  }

  void mfa() {
    const Zone* mynumber = p_.find_zone(kZoneMynumber);
    if (!mynumber) return;
    const bool zone_mfa = mynumber->has_control("mfa");
    if (!zone_mfa) {
      for (const System& s : p_.systems) {
        if (s.zone == kZoneMynumber && std::find(s.controls.begin(), s.controls.end(), "mfa") == s.controls.end()) {
          error(s.loc, "system '" + s.id + "' is in the mynumber zone without multi-factor authentication (control 'mfa'); required by 6(3)①",
                "mynumber-mfa");
        }
      }
    }
    std::set<std::string> roles_in_mynumber;
    for (const Role& r : p_.roles) {
      if (std::find(r.zones.begin(), r.zones.end(), kZoneMynumber) != r.zones.end()) roles_in_mynumber.insert(r.id);
    }
    for (const Rule& rule : p_.rules) {
      if (rule.action == Action::kDeny) continue;
      for (const auto& [f, t] : pairs_of(rule)) {
        if (f == kZoneMynumber || t == kZoneMynumber) roles_in_mynumber.insert(rule.roles.begin(), rule.roles.end());
      }
    }
    for (const std::string& id : roles_in_mynumber) {
      const Role* r = p_.find_role(id);
      if (r && !r->mfa) {
        error(r->loc, "role '" + r->id + "' (" + r->name.ja + ") works in the mynumber zone but does not require multi-factor authentication " +
                          "(set mfa = true); required by 6(3)①",
              "mynumber-mfa");
      }
    }
  }

  void profile_requirements() {
    const std::string profile(to_string(p_.profile));
    for (const auto& [zone_id, control] : p_.requirements.zone_controls) {
      const Zone* z = p_.find_zone(zone_id);
      if (z && !z->has_control(control)) {
        error(z->loc, "the " + profile + " profile requires control '" + control + "' in zone '" + zone_id + "'" +
                          (control == "mfa" || control == "no_export" ? " (6(3)①)" : ""),
              "profile-requirement");
      }
    }
    for (const std::string& role : p_.requirements.roles) {
      if (!p_.find_role(role)) {
        error({1, 1}, "the " + profile + " profile's rules name role '" + role + "' as approver, but the policy does not define it",
              "profile-requirement");
      }
    }
  }

  void outsourcing() {
    for (const ExternalService& s : p_.services) {
      if (s.kind == ExternalService::Kind::kSocialMedia && s.responsible_person.empty() && s.responsible_role.empty()) {
        error(s.loc, "social-media account '" + s.id + "' has no responsible person; 6(8) requires one for each service", "service-owner");
      } else if (s.responsible_role.empty() && s.responsible_person.empty()) {
        warning(s.loc, "cloud service '" + s.id + "' names no responsible role or person (6(8))", "service-owner");
      }
    }
    for (const Contractor& c : p_.contractors) {
      if (!c.security_requirements) {
        warning(c.loc, "contractor '" + c.id + "' has no contract with security requirements (security_requirements = true); see 6(8)",
                "contract-requirements");
      }
      if (c.contract_until && *c.contract_until < today_) {
        warning(c.loc, "the contract of '" + c.id + "' ended on " + c.contract_until->to_string() + "; remove its access or renew it",
                "contract-expired");
      }
    }
  }

  // Zone CIDRs are what flow monitoring (6(3)③) uses to place an address in a zone: each must
  // parse, and no two zones may claim the same address, IPv4 or IPv6.
  void networks() {
    for (const Zone& z : p_.zones) {
      for (const std::string& text : z.cidrs) {
        const auto cidr = parse_cidr(text);
        if (!cidr || text.find('/') == std::string::npos) {
          error(z.loc, "zone '" + z.id + "' has an invalid network '" + text + "' (expected e.g. 10.20.0.0/16 or 2001:db8::/32)", "bad-cidr");
          continue;
        }
        if (cidr->host_bits_set) {
          warning(z.loc, "zone '" + z.id + "' network '" + text + "' has host bits set; it covers the whole /" + text.substr(text.find('/') + 1),
                  "cidr-host-bits");
        }
        zone_networks_.push_back({*cidr, &z, text});
      }
    }
    for (std::size_t i = 0; i < zone_networks_.size(); ++i) {
      for (std::size_t j = i + 1; j < zone_networks_.size(); ++j) {
        const ZoneNetwork& a = zone_networks_[i];
        const ZoneNetwork& b = zone_networks_[j];
        if (a.zone != b.zone && a.cidr.overlaps(b.cidr)) {
          error(b.zone->loc, "zone '" + b.zone->id + "' network " + b.text + " overlaps " + a.text + " of zone '" + a.zone->id +
                                 "'; an address must belong to one zone for monitoring (6(3)③)",
                "cidr-overlap");
        }
      }
    }
    for (const std::string& text : p_.city_ranges) {
      if (auto cidr = parse_cidr(text); cidr && text.find('/') != std::string::npos) {
        city_ranges_.push_back(*cidr);
      } else {
        error(p_.city_ranges_loc, "[network] city_ranges has an invalid network '" + text + "' (expected e.g. 10.0.0.0/8)", "bad-cidr");
      }
    }
  }

  // Sanctioned endpoints are the only way across 6(3)② the flow monitor accepts: each must say
  // where it stands, and stand there.
  void endpoints() {
    for (const Endpoint& e : p_.endpoints) {
      const std::string owner = "endpoint '" + e.id + "'";
      zone_ref(e.zone, e.loc, owner, false);
      for (const std::string& z : e.from) zone_ref(z, e.loc, owner + " (from)", false);
      const auto cidr = parse_cidr(e.address);
      if (!cidr) {
        error(e.loc, owner + " has an invalid address '" + e.address + "' (expected an address such as 10.30.0.25, or a network such as 10.30.1.0/28)",
              "bad-endpoint-address");
        continue;
      }
      if (e.protocol == "icmp" && !e.ports.empty()) warning(e.loc, owner + " is ICMP but lists ports; ICMP has none, so it matches nothing", "endpoint-ports");
      // Every zone that claims part of the endpoint's addresses; only its own zone may.
      const ZoneNetwork* other = nullptr;
      bool own_overlaps = false, own_contains = false;
      for (const ZoneNetwork& n : zone_networks_) {
        if (!n.cidr.overlaps(*cidr)) continue;
        if (n.zone->id != e.zone) {
          if (other == nullptr) other = &n;
        } else {
          own_overlaps = true;
          own_contains = own_contains || (n.cidr.first() <= cidr->first() && cidr->last() <= n.cidr.last());
        }
      }
      if (other != nullptr) {
        error(e.loc, owner + " is declared in zone '" + e.zone + "' but " + e.address + " lies (at least partly) in zone '" + other->zone->id +
                         "' (" + other->text + ")",
              "endpoint-zone-mismatch");
      } else if (own_overlaps && !own_contains) {
        warning(e.loc, owner + " network " + e.address + " lies only partly in zone '" + e.zone + "'; the rest is placed elsewhere by the flow monitor",
                "endpoint-outside-zones");
      } else if (!own_overlaps) {
        const bool in_city = std::any_of(city_ranges_.begin(), city_ranges_.end(), [&](const Cidr& c) { return c.overlaps(*cidr); });
        if (e.zone != kZoneInternet || in_city) {
          warning(e.loc, owner + " address " + e.address + " lies outside every zone's networks" +
                             (in_city ? " but inside the city's ranges" : "") + "; the flow monitor places it in " +
                             (in_city ? "no zone" : "the internet") + ", not in '" + e.zone + "' (6(3)③)",
                  "endpoint-outside-zones");
        }
      }
      const bool serves_mynumber = std::find(e.from.begin(), e.from.end(), kZoneMynumber) != e.from.end();
      if (serves_mynumber || e.zone == kZoneMynumber) {
        warning(e.loc, owner + " lets flows cross the boundary of the mynumber zone; clause 6(3)① keeps マイナンバー利用事務系 apart in principle",
                "mynumber-endpoint");
      }
    }
  }

  // Mail domains place a sender or recipient in a zone (the mail gateway's direction): each must
  // look like a domain, and no domain may belong to two zones.
  void mail_domains() {
    std::map<std::string, const Zone*> owner;
    for (const Zone& z : p_.zones) {
      for (const std::string& d : z.mail_domains) {
        bool ok = !d.empty() && d.size() <= 253 && d.front() != '.' && d.back() != '.' && d.find("..") == std::string::npos && d.find('.') != std::string::npos;
        for (char c : d) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
        if (!ok) {
          error(z.loc, "zone '" + z.id + "' has an invalid mail domain '" + d + "' (expected e.g. city.minamata.lg.jp)", "bad-mail-domain");
          continue;
        }
        auto [it, fresh] = owner.emplace(d, &z);
        if (!fresh && it->second != &z) {
          error(z.loc, "mail domain '" + d + "' is claimed by zones '" + it->second->id + "' and '" + z.id + "'; mail must have one direction", "mail-domain-overlap");
        }
      }
    }
  }

  // A city rule that decides no request at all: every request it matches goes to a stronger or
  // earlier rule. Found exactly from the compiled decision table.
  void reachability() {
    auto compiled = CompiledPolicy::compile(p_, today_);
    if (!compiled) return;
    const CompiledPolicy& c = *compiled;
    const Scale& conf = p_.scheme.confidentiality;
    for (const Rule& r : p_.rules) {
      if (r.origin != "policy") continue;
      const auto& active = c.active_rules();
      auto pos = std::find_if(active.begin(), active.end(), [&](const Rule* a) { return a->id == r.id && a->loc.line == r.loc.line; });
      if (pos == active.end()) continue;  // expired exception: reported already
      const int lo = r.min_confidentiality.empty() ? 0 : conf.rank_of(r.min_confidentiality).value_or(0);
      const int hi = r.max_confidentiality.empty() ? c.level_count() - 1 : conf.rank_of(r.max_confidentiality).value_or(0);
      std::vector<int> roles;
      if (r.roles.empty()) roles.push_back(-1);
      for (const std::string& id : r.roles) roles.push_back(c.role_index(id).value_or(-1));
      std::vector<Channel> channels = r.channels;
      if (channels.empty()) {
        for (int i = 0; i < kChannelCount; ++i) channels.push_back(static_cast<Channel>(i));
      }
      bool matched = false;
      std::string winner;
      // True as soon as one request the rule matches is decided by the rule itself.
      auto fires = [&] {
        for (const auto& [f, t] : pairs_of(r)) {
          for (Channel ch : channels) {
            for (int level = lo; level <= hi; ++level) {
              for (int role : roles) {
                matched = true;
                const Decision d = c.decide(Request{*c.zone_index(f), *c.zone_index(t), ch, level, role});
                if (d.rule == *pos) return true;
                if (winner.empty()) winner = d.rule->id;
              }
            }
          }
        }
        return false;
      };
      const bool fired = fires();
      if (!matched) {
        warning(r.loc, "rule '" + r.id + "' matches no request (check its from/to and scope)", "unreachable-rule");
      } else if (!fired) {
        warning(r.loc, "rule '" + r.id + "' can never decide a request: every request it matches is decided by a stronger or earlier rule (e.g. '" +
                           winner + "')",
                "unreachable-rule");
      }
    }
  }

  struct ZoneNetwork {
    Cidr cidr;
    const Zone* zone;
    std::string text;
  };

  const Policy& p_;
  Date today_;
  std::vector<Diagnostic> out_;
  std::vector<ZoneNetwork> zone_networks_;
  std::vector<Cidr> city_ranges_;
};

}  // namespace

std::vector<Diagnostic> check_policy(const Policy& policy, Date today) { return Checker(policy, today).run(); }

namespace {

void add_checks(LoadResult& loaded, Date today) {
  if (loaded.policy && !has_errors(loaded.diagnostics)) {
    std::vector<Diagnostic> more = check_policy(*loaded.policy, today);
    loaded.diagnostics.insert(loaded.diagnostics.end(), more.begin(), more.end());
  }
  sort_diagnostics(loaded.diagnostics);
}

}  // namespace

LoadResult load_and_check_policy(std::string_view toml_text, std::string source_name, Date today) {
  LoadResult loaded = load_policy(toml_text, std::move(source_name));
  add_checks(loaded, today);
  return loaded;
}

Result<LoadResult> load_and_check_policy_file(const std::string& path, Date today) {
  LoadResult loaded = SANSO_TRY(load_policy_file(path));
  add_checks(loaded, today);
  return loaded;
}

namespace {

Result<Policy> without_errors(LoadResult loaded, const std::string& name) {
  if (!loaded.policy || has_errors(loaded.diagnostics)) {
    std::string message = "the policy has errors (run `sanso policy check` for details):";
    for (const Diagnostic& d : loaded.diagnostics) {
      if (d.severity == Severity::kError) message += "\n  " + format(d, name);
    }
    return make_error("policy.invalid", name, message);
  }
  return std::move(*loaded.policy);
}

}  // namespace

Result<Policy> load_checked_policy(const std::string& path, Date today) {
  return without_errors(SANSO_TRY(load_and_check_policy_file(path, today)), path);
}

Result<Policy> load_checked_policy_text(std::string_view toml_text, const std::string& source_name, Date today) {
  return without_errors(load_and_check_policy(toml_text, source_name, today), source_name);
}

}  // namespace sanso::policy
