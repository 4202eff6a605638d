// The municipality's security policy as data: zones, classification, systems, assets, roles,
// flow rules and their exceptions. Loaded from TOML by load.h, checked by check.h, compiled for
// decisions by decide.h. Plain structs: the policy is read far more often than it is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace sanso::policy {

// What happens to a flow. The numeric order is the precedence when several rules match:
// deny > approve > sanitize > allow.
enum class Action : std::uint8_t { kAllow = 0, kSanitize = 1, kApprove = 2, kDeny = 3 };
inline constexpr int kActionCount = 4;

// How information crosses: the channel a flow uses.
enum class Channel : std::uint8_t { kMail, kFile, kWeb, kScreen, kRemovableMedia, kApi };
inline constexpr int kChannelCount = 6;

// The four three-layer model variants of the national guideline.
enum class Profile : std::uint8_t { kAlpha, kAlphaPrime, kBeta, kBetaPrime };

std::string_view to_string(Action action);   // "allow", "sanitize", "approve", "deny"
std::string_view label_ja(Action action);    // "許可", "無害化", "承認", "拒否"
std::string_view to_string(Channel channel); // "mail", ..., "removable_media", "api"
std::string_view label_ja(Channel channel);  // "メール", "ファイル", ...
std::string_view to_string(Profile profile); // "alpha", "alpha_prime", "beta", "beta_prime"
std::optional<Action> parse_action(std::string_view text);
std::optional<Channel> parse_channel(std::string_view text);
std::optional<Profile> parse_profile(std::string_view text);

// Where something was written in a policy file (1-based; 0 when built in).
struct SourceLoc {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A name in Japanese (the primary one) and English.
struct Label {
  std::string ja;
  std::string en;
  const std::string& in(std::string_view lang) const { return lang == "en" && !en.empty() ? en : ja; }
};

// One level of a classification axis, e.g. 機密性3A.
struct Level {
  std::string id;
  Label label;
};

// The ordered levels of one axis, lowest first.
struct Scale {
  std::vector<Level> levels;
  // Index of the level (0 = lowest), or nullopt when the id is not on this scale.
  std::optional<int> rank_of(std::string_view id) const;
  std::string ids_joined() const;  // "1, 2, 3" for error messages
};

// A classification scheme: one scale per axis (機密性, 完全性, 可用性).
struct ClassificationScheme {
  std::string id;
  Label label;
  Scale confidentiality;
  Scale integrity;
  Scale availability;
  // Highest confidentiality level the internet zone may hold when its zone sets none.
  std::string internet_ceiling;
  SourceLoc loc;
};

// One of the bodies (実施機関) the policy covers, clause 4(1).
struct Body {
  std::string id;
  Label name;
  SourceLoc loc;
};

// A network zone; `mynumber`, `lgwan` and `internet` are canonical, others are the city's own.
struct Zone {
  std::string id;
  Label name;
  std::vector<std::string> cidrs;
  std::vector<std::string> mail_domains;  // lower-case; a domain covers its subdomains
  std::vector<std::string> controls;   // e.g. "mfa", "no_export", "edr"
  std::string max_confidentiality;     // empty: no ceiling (or the scheme's internet ceiling)
  SourceLoc loc;
  bool has_control(std::string_view control) const;
};

// A role of the security organisation (6(1)) or a contractor's staff.
struct Role {
  std::string id;
  Label name;
  bool mfa = false;
  bool contractor = false;
  std::vector<std::string> zones;  // zones whose terminals the role works on
  // The role directly above this one in the city's organisation (組織体制, clause 2(1)); "" at the
  // top or outside it. What makes one approver more senior than another (`senior_role`).
  std::string reports_to;
  SourceLoc loc;
};

// An information system, placed in one zone.
struct System {
  std::string id;
  Label name;
  std::string body;
  std::string section;
  std::string zone;
  std::vector<std::string> controls;
  SourceLoc loc;
};

// An information asset classified on each axis (6(2)).
struct Asset {
  std::string id;
  Label name;
  std::string system;
  std::string zone;  // explicit zone; when empty, the system's
  std::string confidentiality;
  std::string integrity;
  std::string availability;
  std::vector<std::string> categories;  // e.g. "individual_number", "personal"
  std::string responsible_role;
  SourceLoc loc;
};

// An approved exception (例外措置) that lets a rule override the ordinary precedence until expiry.
struct RuleException {
  std::string approved_by;  // role id
  std::optional<Date> approved_on;
  Date expires;             // last day on which the exception applies
  std::string ticket;
  SourceLoc loc;
};

// Which zone pairs a rule covers beyond its from/to lists.
enum class ZoneScope : std::uint8_t { kAny, kCrossZone, kSameZone };

// A flow rule: when a request matches every condition, the rule proposes its action.
struct Rule {
  std::string id;
  std::vector<std::string> from;  // zone ids, or {"*"} for every zone
  std::vector<std::string> to;
  ZoneScope scope = ZoneScope::kAny;
  std::vector<Channel> channels;         // empty: every channel
  std::string min_confidentiality;       // empty: unbounded
  std::string max_confidentiality;       // empty: unbounded
  std::vector<std::string> roles;        // empty: any role, or none
  Action action = Action::kDeny;
  std::string approver;                  // role id; required for approve
  std::string clause;                    // e.g. "6(3)②"
  Label reason;
  std::optional<RuleException> exception;
  std::string origin;                    // "policy", or "profile:alpha" for built-in rules
  SourceLoc loc;
};

// An outsourcing contractor (6(8)).
struct Contractor {
  std::string id;
  Label name;
  std::vector<std::string> systems;
  std::optional<Date> contract_until;
  bool security_requirements = false;  // 情報セキュリティ要件を明記した契約
  SourceLoc loc;
};

// A cloud service or a social-media account the city uses (6(8)).
struct ExternalService {
  enum class Kind : std::uint8_t { kCloud, kSocialMedia };
  std::string id;
  Kind kind = Kind::kCloud;
  Label name;
  std::string zone;               // the zone whose terminals use it
  std::string responsible_role;
  std::string responsible_person;
  SourceLoc loc;
};

// A sanctioned endpoint: a server that flows between zones may reach (the 無害化 gateway, the
// re-injection relay, LGWAN-ASP, the prefecture's security-cloud proxy, DNS, NTP). The flow
// monitor (src/monitor) lets an LGWAN ↔ internet flow pass only when its destination is one of
// these, from a zone the endpoint serves (6(3)②).
struct Endpoint {
  std::string id;
  Label name;
  std::string role;                // e.g. "sanitizing_gateway", "relay", "lgwan_asp", "security_cloud", "dns", "ntp"
  std::string zone;                // the zone it stands in
  std::string address;             // an address or a network (a pool of servers)
  std::vector<std::uint16_t> ports;  // empty: every port
  std::string protocol = "tcp";    // "tcp", "udp", "icmp" or "any"
  // Zones whose hosts may use it; empty: every zone but mynumber, which must be named to be
  // served (6(3)①: the static checks warn when it is).
  std::vector<std::string> from;
  std::string clause;              // e.g. "6(3)②"
  SourceLoc loc;
};

// What the model profile demands of the policy beyond its rules.
struct ProfileRequirements {
  // (zone id, control) pairs, e.g. ("internet", "edr") under β.
  std::vector<std::pair<std::string, std::string>> zone_controls;
  std::vector<std::string> roles;  // role ids the profile's rules name (approvers)
};

// The municipality whose policy this is.
struct Municipality {
  std::string id;
  Label name;
  std::string document;  // the policy document the clauses refer to
  // When the policy was last reviewed (clause 8); the self-inspection checks it is within 12 months.
  std::optional<Date> reviewed_on;
};

// A whole policy, as loaded (built-in profile rules already appended after the city's rules).
struct Policy {
  std::string source_name;  // file the policy came from, for diagnostics
  Municipality municipality;
  ClassificationScheme scheme;
  Profile profile = Profile::kAlpha;
  ProfileRequirements requirements;
  std::string default_clause = "6(3)";
  std::vector<Body> bodies;
  std::vector<Zone> zones;
  std::vector<Role> roles;
  std::vector<System> systems;
  std::vector<Asset> assets;
  std::vector<Rule> rules;
  std::vector<Contractor> contractors;
  std::vector<ExternalService> services;
  std::vector<Endpoint> endpoints;
  // The city's own address ranges ([network] city_ranges): an address inside them that no zone
  // holds is an unknown device to the flow monitor; outside them, an address is the internet.
  std::vector<std::string> city_ranges;
  SourceLoc city_ranges_loc;

  const Zone* find_zone(std::string_view id) const;
  // The zone whose mail_domains hold this domain or a parent of it (the longest wins); nullptr for
  // any other domain, which the mail gateway treats as the internet.
  const Zone* zone_of_mail_domain(std::string_view domain) const;
  // The zone whose cidrs hold this IPv4 or IPv6 address (the longest prefix wins; an IPv4-mapped
  // IPv6 address counts as its IPv4 address); nullptr for an address in no zone or one that does
  // not parse, which every caller treats as the internet.
  const Zone* zone_of_address(std::string_view address) const;
  const Role* find_role(std::string_view id) const;
  // The role that stands at or above both `a` and `b` in the reports_to chains: `a` when b reports
  // (directly or not) to a, `b` the other way round, else their nearest common superior; "" when the
  // policy does not relate them (no common superior, an unknown role, a cycle).
  std::string senior_role(std::string_view a, std::string_view b) const;
  const System* find_system(std::string_view id) const;
  const Asset* find_asset(std::string_view id) const;
  const Body* find_body(std::string_view id) const;
  const Endpoint* find_endpoint(std::string_view id) const;
  // The zone an asset lives in: its own, else its system's; empty when neither is known.
  std::string_view zone_of(const Asset& asset) const;
  // The ceiling on confidentiality for a zone (its own, or the scheme's internet ceiling).
  std::string_view ceiling_of(const Zone& zone) const;
};

inline constexpr std::string_view kZoneMynumber = "mynumber";
inline constexpr std::string_view kZoneLgwan = "lgwan";
inline constexpr std::string_view kZoneInternet = "internet";
inline constexpr std::string_view kAnyZone = "*";

}  // namespace sanso::policy
