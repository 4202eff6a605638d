// TOML → Policy. The only file that includes toml++ (a heavy header): everything else sees plain
// structs. Every problem becomes a Diagnostic with the position of the offending key or value.
#include "policy/load.h"

#include "core/text.h"

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>


#include "policy/internal/builtin.h"
#include "policy/internal/toml_source.h"

namespace sanso::policy {
namespace {

using internal::loc_of;

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

// Reads typed fields out of toml tables, recording a Diagnostic for each problem.
class Reader {
 public:
  explicit Reader(std::vector<Diagnostic>& out) : out_(out) {}

  void error(SourceLoc loc, std::string message, std::string id) {
    out_.push_back({Severity::kError, loc, std::move(message), std::move(id)});
  }

  // Unknown keys are errors: a misspelt `max_confidentiality` would silently widen a rule.
  void only_keys(const toml::table& t, std::string_view what, std::initializer_list<std::string_view> allowed) {
    for (auto&& [key, value] : t) {
      bool known = false;
      for (auto a : allowed) known = known || key.str() == a;
      if (!known) {
        std::string list;
        for (auto a : allowed) {
          if (!list.empty()) list += ", ";
          list += a;
        }
        error(loc_of(key.source()), "unknown key '" + std::string(key.str()) + "' in " + std::string(what) +
                                        " (known keys: " + list + ")",
              "unknown-key");
      }
    }
  }

  std::string string(const toml::table& t, std::string_view key, std::string_view what, bool required) {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) error(loc_of(t.source()), std::string(what) + " is missing required key '" + std::string(key) + "'", "missing-key");
      return {};
    }
    if (auto s = n->as_string()) {
      if (required && s->get().empty()) error(loc_of(n->source()), "'" + std::string(key) + "' in " + std::string(what) + " must not be empty", "empty-value");
      return s->get();
    }
    wrong_type(*n, key, "a string");
    return {};
  }

  bool boolean(const toml::table& t, std::string_view key, bool fallback) {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (auto b = n->as_boolean()) return b->get();
    wrong_type(*n, key, "true or false");
    return fallback;
  }

  // A string or an array of strings.
  std::vector<std::string> strings(const toml::table& t, std::string_view key) {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (auto s = n->as_string()) {
      out.push_back(s->get());
      return out;
    }
    if (auto a = n->as_array()) {
      for (const toml::node& item : *a) {
        if (auto s = item.as_string()) {
          out.push_back(s->get());
        } else {
          wrong_type(item, key, "an array of strings");
        }
      }
      return out;
    }
    wrong_type(*n, key, "a string or an array of strings");
    return out;
  }

  // A TOML local date (2027-03-31) or a string in that form.
  std::optional<Date> date(const toml::table& t, std::string_view key, bool required, std::string_view what) {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) error(loc_of(t.source()), std::string(what) + " is missing required key '" + std::string(key) + "'", "missing-key");
      return std::nullopt;
    }
    if (auto d = n->as_date()) {
      const toml::date v = d->get();
      return Date{v.year, v.month, v.day};
    }
    if (auto s = n->as_string()) {
      if (auto d = Date::parse(s->get())) return d;
      error(loc_of(n->source()), "'" + std::string(key) + "' must be a date like 2027-03-31, not '" + s->get() + "'", "bad-date");
      return std::nullopt;
    }
    wrong_type(*n, key, "a date like 2027-03-31");
    return std::nullopt;
  }

  Label label(const toml::table& t, std::string_view what, bool required) {
    Label l;
    l.ja = string(t, "name", what, required);
    l.en = string(t, "name_en", what, false);
    return l;
  }

  // An array of tables; anything else at that key is an error.
  std::vector<const toml::table*> tables(const toml::table& t, std::string_view key) {
    std::vector<const toml::table*> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) {
      wrong_type(*n, key, "an array of tables ([[" + std::string(key) + "]])");
      return out;
    }
    for (const toml::node& item : *a) {
      if (auto tbl = item.as_table()) {
        out.push_back(tbl);
      } else {
        wrong_type(item, key, "a table");
      }
    }
    return out;
  }

  const toml::table* table(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (auto tbl = n->as_table()) return tbl;
    wrong_type(*n, key, "a table");
    return nullptr;
  }

  void wrong_type(const toml::node& n, std::string_view key, std::string_view expected) {
    error(loc_of(n.source()), "'" + std::string(key) + "' must be " + std::string(expected) + ", found " + std::string(type_name(n)),
          "wrong-type");
  }

 private:
  std::vector<Diagnostic>& out_;
};

Scale read_scale(Reader& r, const toml::table& t, std::string_view key, std::string_view what) {
  Scale scale;
  const toml::node* n = t.get(key);
  if (!n) {
    r.error(loc_of(t.source()), std::string(what) + " is missing its '" + std::string(key) + "' levels", "missing-key");
    return scale;
  }
  const toml::array* a = n->as_array();
  if (!a || a->empty()) {
    r.wrong_type(*n, key, "a non-empty array of levels, lowest first");
    return scale;
  }
  std::set<std::string> seen;
  for (const toml::node& item : *a) {
    const toml::table* lt = item.as_table();
    if (!lt) {
      r.wrong_type(item, key, "a table { id = ..., name = ... }");
      continue;
    }
    r.only_keys(*lt, "a classification level", {"id", "name", "name_en"});
    Level level;
    level.id = r.string(*lt, "id", "a classification level", true);
    level.label = r.label(*lt, "a classification level", true);
    if (!level.id.empty() && !seen.insert(level.id).second) {
      r.error(loc_of(lt->source()), "level '" + level.id + "' appears twice on the " + std::string(key) + " scale", "duplicate-id");
    }
    scale.levels.push_back(std::move(level));
  }
  return scale;
}

ClassificationScheme read_scheme(Reader& r, const toml::table& t) {
  r.only_keys(t, "a classification scheme", {"id", "name", "name_en", "internet_ceiling", "confidentiality", "integrity", "availability"});
  ClassificationScheme s;
  s.id = r.string(t, "id", "a classification scheme", true);
  s.label = r.label(t, "a classification scheme", false);
  s.internet_ceiling = r.string(t, "internet_ceiling", "a classification scheme", false);
  s.confidentiality = read_scale(r, t, "confidentiality", "a classification scheme");
  s.integrity = read_scale(r, t, "integrity", "a classification scheme");
  s.availability = read_scale(r, t, "availability", "a classification scheme");
  s.loc = loc_of(t.source());
  if (!s.internet_ceiling.empty() && !s.confidentiality.rank_of(s.internet_ceiling)) {
    r.error(loc_of(t.source()), "internet_ceiling '" + s.internet_ceiling + "' is not a confidentiality level of scheme '" + s.id + "'",
            "unknown-level");
  }
  return s;
}

Rule read_rule(Reader& r, const toml::table& t, std::string origin) {
  constexpr std::string_view kWhat = "a rule";
  r.only_keys(t, kWhat, {"id", "from", "to", "scope", "channels", "min_confidentiality", "max_confidentiality", "roles", "action",
                         "approver", "clause", "reason", "reason_en", "exception"});
  Rule rule;
  rule.loc = loc_of(t.source());
  rule.origin = std::move(origin);
  rule.id = r.string(t, "id", kWhat, true);
  rule.from = r.strings(t, "from");
  rule.to = r.strings(t, "to");
  if (!t.contains("from")) r.error(rule.loc, "rule '" + rule.id + "' is missing 'from' (a zone id, a list, or \"*\")", "missing-key");
  if (!t.contains("to")) r.error(rule.loc, "rule '" + rule.id + "' is missing 'to' (a zone id, a list, or \"*\")", "missing-key");

  if (const toml::node* n = t.get("scope")) {
    const std::string scope = r.string(t, "scope", kWhat, false);
    if (scope == "cross_zone") {
      rule.scope = ZoneScope::kCrossZone;
    } else if (scope == "same_zone") {
      rule.scope = ZoneScope::kSameZone;
    } else if (scope == "any") {
      rule.scope = ZoneScope::kAny;
    } else if (n->is_string()) {
      r.error(loc_of(n->source()), "scope must be \"any\", \"cross_zone\" or \"same_zone\", not '" + scope + "'", "bad-value");
    }
  }

  if (const toml::node* n = t.get("channels")) {
    for (const std::string& c : r.strings(t, "channels")) {
      if (c == "*") {
        rule.channels.clear();
        break;
      }
      if (auto ch = parse_channel(c)) {
        rule.channels.push_back(*ch);
      } else {
        r.error(loc_of(n->source()), "unknown channel '" + c + "' (known: mail, file, web, screen, removable_media, api)", "unknown-channel");
      }
    }
  }
  rule.min_confidentiality = r.string(t, "min_confidentiality", kWhat, false);
  rule.max_confidentiality = r.string(t, "max_confidentiality", kWhat, false);
  rule.roles = r.strings(t, "roles");

  const std::string action = r.string(t, "action", kWhat, true);
  if (auto a = parse_action(action)) {
    rule.action = *a;
  } else if (!action.empty()) {
    r.error(loc_of(t.get("action")->source()), "unknown action '" + action + "' (known: allow, sanitize, approve, deny)", "bad-value");
  }
  rule.approver = r.string(t, "approver", kWhat, false);
  rule.clause = r.string(t, "clause", kWhat, true);
  rule.reason.ja = r.string(t, "reason", kWhat, true);
  rule.reason.en = r.string(t, "reason_en", kWhat, false);

  if (const toml::table* et = r.table(t, "exception")) {
    r.only_keys(*et, "a rule exception", {"approved_by", "approved_on", "expires", "ticket"});
    RuleException e;
    e.loc = loc_of(et->source());
    e.approved_by = r.string(*et, "approved_by", "a rule exception", true);
    e.approved_on = r.date(*et, "approved_on", false, "a rule exception");
    auto expires = r.date(*et, "expires", true, "a rule exception");
    e.ticket = r.string(*et, "ticket", "a rule exception", false);
    if (expires) {
      e.expires = *expires;
      rule.exception = std::move(e);
    }
  }
  return rule;
}

Endpoint read_endpoint(Reader& r, const toml::table& t) {
  constexpr std::string_view kWhat = "an endpoint";
  r.only_keys(t, kWhat, {"id", "name", "name_en", "role", "zone", "address", "ports", "protocol", "from", "clause"});
  Endpoint e;
  e.loc = loc_of(t.source());
  e.id = r.string(t, "id", kWhat, true);
  e.name = r.label(t, kWhat, true);
  e.role = r.string(t, "role", kWhat, true);
  e.zone = r.string(t, "zone", kWhat, true);
  e.address = r.string(t, "address", kWhat, true);
  e.clause = r.string(t, "clause", kWhat, false);
  e.from = r.strings(t, "from");
  if (t.contains("protocol")) e.protocol = r.string(t, "protocol", kWhat, true);
  if (e.protocol != "tcp" && e.protocol != "udp" && e.protocol != "icmp" && e.protocol != "any") {
    r.error(loc_of(t.get("protocol")->source()), "endpoint '" + e.id + "' has protocol '" + e.protocol + "' (known: tcp, udp, icmp, any)", "bad-value");
  }
  // A port, or a list of ports; each 1..65535. A port outside that range would silently match nothing.
  if (const toml::node* n = t.get("ports")) {
    auto add = [&](const toml::node& item) {
      const auto* i = item.as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > 65535) {
        r.error(loc_of(item.source()), "endpoint '" + e.id + "' ports must be integers 1..65535", "bad-value");
        return;
      }
      e.ports.push_back(static_cast<std::uint16_t>(i->get()));
    };
    if (const toml::array* a = n->as_array()) {
      for (const toml::node& item : *a) add(item);
      if (a->empty()) r.error(loc_of(n->source()), "endpoint '" + e.id + "' has an empty ports list; leave ports out for every port", "bad-value");
    } else {
      add(*n);
    }
  }
  return e;
}

std::string level_above(const Scale& scale, std::string_view id) {
  auto rank = scale.rank_of(id);
  if (!rank || *rank + 1 >= static_cast<int>(scale.levels.size())) return {};
  return scale.levels[*rank + 1].id;
}

// Appends the profile's built-in rules and requirements, resolving its level placeholders
// against the chosen scheme.
void add_profile_defaults(Policy& p, std::vector<Diagnostic>& diagnostics) {
  const std::string text = internal::profile_toml(p.profile);
  toml::table doc = toml::parse(std::string_view(text), std::string_view("builtin-profile"));  // built in: a parse error is a bug
  std::vector<Diagnostic> builtin_diags;
  Reader r(builtin_diags);
  const std::string ceiling = p.scheme.internet_ceiling.empty() && !p.scheme.confidentiality.levels.empty()
                                  ? p.scheme.confidentiality.levels.front().id
                                  : p.scheme.internet_ceiling;
  const std::string above = level_above(p.scheme.confidentiality, ceiling);
  for (const toml::table* rt : r.tables(doc, "rules")) {
    Rule rule = read_rule(r, *rt, "profile:" + std::string(to_string(p.profile)));
    rule.loc = {};
    bool drop = false;
    for (std::string* level : {&rule.min_confidentiality, &rule.max_confidentiality}) {
      if (*level == "@ceiling") *level = ceiling;
      if (*level == "@above_ceiling") {
        *level = above;
        drop = drop || above.empty();
      }
    }
    if (!drop) p.rules.push_back(std::move(rule));
  }
  if (const toml::table* defaults = r.table(doc, "profile_defaults")) {
    if (const toml::table* controls = r.table(*defaults, "required_controls")) {
      for (auto&& [zone, list] : *controls) {
        for (const std::string& c : r.strings(*controls, zone.str())) p.requirements.zone_controls.emplace_back(std::string(zone.str()), c);
      }
    }
    p.requirements.roles = r.strings(*defaults, "required_roles");
  }
  for (Diagnostic& d : builtin_diags) {
    d.message = "built-in profile data: " + d.message;
    diagnostics.push_back(std::move(d));
  }
}

std::optional<ClassificationScheme> builtin_scheme(std::string_view id) {
  std::vector<Diagnostic> ignored;
  Reader r(ignored);
  toml::table doc = toml::parse(internal::builtin_schemes_toml(), std::string_view("builtin-schemes"));
  for (const toml::table* st : r.tables(doc, "schemes")) {
    ClassificationScheme s = read_scheme(r, *st);
    if (s.id == id) {
      s.loc = {};
      return s;
    }
  }
  return std::nullopt;
}

void read_document(const toml::table& doc, Policy& p, std::vector<Diagnostic>& diagnostics) {
  Reader r(diagnostics);
  r.only_keys(doc, "the policy file",
              {"municipality", "classification", "profile", "defaults", "bodies", "zones", "roles", "systems", "assets", "rules",
               "contractors", "cloud_services", "social_media", "network", "endpoints"});

  if (const toml::table* m = r.table(doc, "municipality")) {
    r.only_keys(*m, "[municipality]", {"id", "name", "name_en", "document", "reviewed_on"});
    p.municipality.id = r.string(*m, "id", "[municipality]", true);
    p.municipality.name = r.label(*m, "[municipality]", true);
    p.municipality.document = r.string(*m, "document", "[municipality]", false);
    p.municipality.reviewed_on = r.date(*m, "reviewed_on", false, "[municipality]");
  } else if (!doc.contains("municipality")) {
    r.error({1, 1}, "the policy has no [municipality] table (id and name of the city)", "missing-key");
  }

  // Classification: a built-in scheme by id, or one the file defines.
  std::string scheme_id = "jp-2024";
  SourceLoc scheme_loc{1, 1};
  std::vector<ClassificationScheme> custom;
  if (const toml::table* c = r.table(doc, "classification")) {
    r.only_keys(*c, "[classification]", {"scheme", "schemes"});
    if (c->contains("scheme")) {
      scheme_id = r.string(*c, "scheme", "[classification]", true);
      scheme_loc = loc_of(c->get("scheme")->source());
    }
    for (const toml::table* st : r.tables(*c, "schemes")) custom.push_back(read_scheme(r, *st));
  }
  bool found = false;
  for (ClassificationScheme& s : custom) {
    if (s.id == scheme_id) {
      p.scheme = std::move(s);
      found = true;
      break;
    }
  }
  if (!found) {
    if (auto s = builtin_scheme(scheme_id)) {
      p.scheme = std::move(*s);
    } else {
      r.error(scheme_loc, "unknown classification scheme '" + scheme_id + "' (built in: jp-2015, jp-2024; or define it under [[classification.schemes]])",
              "unknown-scheme");
      p.scheme = *builtin_scheme("jp-2024");
    }
  }

  bool builtin_rules = true;
  if (const toml::table* pr = r.table(doc, "profile")) {
    r.only_keys(*pr, "[profile]", {"model", "builtin_rules"});
    const std::string model = r.string(*pr, "model", "[profile]", true);
    if (auto m = parse_profile(model)) {
      p.profile = *m;
    } else if (!model.empty()) {
      r.error(loc_of(pr->get("model")->source()), "unknown model profile '" + model + "' (known: alpha, alpha_prime, beta, beta_prime)",
              "bad-value");
    }
    builtin_rules = r.boolean(*pr, "builtin_rules", true);
  }
  if (const toml::table* d = r.table(doc, "defaults")) {
    r.only_keys(*d, "[defaults]", {"clause"});
    if (d->contains("clause")) p.default_clause = r.string(*d, "clause", "[defaults]", true);
  }

  for (const toml::table* t : r.tables(doc, "bodies")) {
    r.only_keys(*t, "a body", {"id", "name", "name_en"});
    p.bodies.push_back({r.string(*t, "id", "a body", true), r.label(*t, "a body", true), loc_of(t->source())});
  }
  for (const toml::table* t : r.tables(doc, "zones")) {
    r.only_keys(*t, "a zone", {"id", "name", "name_en", "cidrs", "mail_domains", "controls", "max_confidentiality"});
    Zone z;
    z.id = r.string(*t, "id", "a zone", true);
    z.name = r.label(*t, "a zone", true);
    z.cidrs = r.strings(*t, "cidrs");
    z.mail_domains = r.strings(*t, "mail_domains");
    for (auto& d : z.mail_domains) d = ascii_lower(d);
    z.controls = r.strings(*t, "controls");
    z.max_confidentiality = r.string(*t, "max_confidentiality", "a zone", false);
    z.loc = loc_of(t->source());
    p.zones.push_back(std::move(z));
  }
  for (const toml::table* t : r.tables(doc, "roles")) {
    r.only_keys(*t, "a role", {"id", "name", "name_en", "mfa", "contractor", "zones", "reports_to"});
    Role role;
    role.id = r.string(*t, "id", "a role", true);
    role.name = r.label(*t, "a role", true);
    role.mfa = r.boolean(*t, "mfa", false);
    role.contractor = r.boolean(*t, "contractor", false);
    role.zones = r.strings(*t, "zones");
    role.reports_to = r.string(*t, "reports_to", "a role", false);
    role.loc = loc_of(t->source());
    p.roles.push_back(std::move(role));
  }
  for (const toml::table* t : r.tables(doc, "systems")) {
    r.only_keys(*t, "a system", {"id", "name", "name_en", "body", "section", "zone", "controls"});
    System s;
    s.id = r.string(*t, "id", "a system", true);
    s.name = r.label(*t, "a system", true);
    s.body = r.string(*t, "body", "a system", false);
    s.section = r.string(*t, "section", "a system", false);
    s.zone = r.string(*t, "zone", "a system", true);
    s.controls = r.strings(*t, "controls");
    s.loc = loc_of(t->source());
    p.systems.push_back(std::move(s));
  }
  for (const toml::table* t : r.tables(doc, "assets")) {
    r.only_keys(*t, "an asset", {"id", "name", "name_en", "system", "zone", "confidentiality", "integrity", "availability", "categories",
                                 "responsible_role"});
    Asset a;
    a.id = r.string(*t, "id", "an asset", true);
    a.name = r.label(*t, "an asset", true);
    a.system = r.string(*t, "system", "an asset", false);
    a.zone = r.string(*t, "zone", "an asset", false);
    a.confidentiality = r.string(*t, "confidentiality", "an asset", true);
    a.integrity = r.string(*t, "integrity", "an asset", true);
    a.availability = r.string(*t, "availability", "an asset", true);
    a.categories = r.strings(*t, "categories");
    a.responsible_role = r.string(*t, "responsible_role", "an asset", false);
    a.loc = loc_of(t->source());
    if (a.system.empty() && a.zone.empty()) {
      r.error(a.loc, "asset '" + a.id + "' names neither a system nor a zone, so its zone is unknown", "missing-key");
    }
    p.assets.push_back(std::move(a));
  }
  for (const toml::table* t : r.tables(doc, "rules")) p.rules.push_back(read_rule(r, *t, "policy"));
  for (const toml::table* t : r.tables(doc, "contractors")) {
    r.only_keys(*t, "a contractor", {"id", "name", "name_en", "systems", "contract_until", "security_requirements"});
    Contractor c;
    c.id = r.string(*t, "id", "a contractor", true);
    c.name = r.label(*t, "a contractor", true);
    c.systems = r.strings(*t, "systems");
    c.contract_until = r.date(*t, "contract_until", false, "a contractor");
    c.security_requirements = r.boolean(*t, "security_requirements", false);
    c.loc = loc_of(t->source());
    p.contractors.push_back(std::move(c));
  }
  for (auto [key, kind] : {std::pair{std::string_view("cloud_services"), ExternalService::Kind::kCloud},
                           std::pair{std::string_view("social_media"), ExternalService::Kind::kSocialMedia}}) {
    for (const toml::table* t : r.tables(doc, key)) {
      r.only_keys(*t, "an external service", {"id", "name", "name_en", "zone", "responsible_role", "responsible_person"});
      ExternalService s;
      s.kind = kind;
      s.id = r.string(*t, "id", "an external service", true);
      s.name = r.label(*t, "an external service", true);
      s.zone = r.string(*t, "zone", "an external service", false);
      s.responsible_role = r.string(*t, "responsible_role", "an external service", false);
      s.responsible_person = r.string(*t, "responsible_person", "an external service", false);
      s.loc = loc_of(t->source());
      p.services.push_back(std::move(s));
    }
  }
  if (const toml::table* n = r.table(doc, "network")) {
    r.only_keys(*n, "[network]", {"city_ranges"});
    p.city_ranges = r.strings(*n, "city_ranges");
    p.city_ranges_loc = loc_of(n->source());
  }
  for (const toml::table* t : r.tables(doc, "endpoints")) p.endpoints.push_back(read_endpoint(r, *t));
  if (builtin_rules) add_profile_defaults(p, diagnostics);
}

}  // namespace

LoadResult load_policy(std::string_view toml_text, std::string source_name) {
  LoadResult result;
  toml::table doc;
  try {
    doc = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    result.diagnostics.push_back({Severity::kError, loc_of(e.source()), "invalid TOML: " + std::string(e.description()), "toml-syntax"});
    return result;
  }
  Policy p;
  p.source_name = std::move(source_name);
  try {
    read_document(doc, p, result.diagnostics);
  } catch (const std::exception& e) {
    // Only built-in data can throw here; report rather than crash.
    result.diagnostics.push_back({Severity::kError, {}, std::string("internal error while reading the policy: ") + e.what(), "internal"});
    return result;
  }
  result.policy = std::move(p);
  return result;
}

Result<LoadResult> load_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("policy.unreadable", path, "cannot open the policy file (does it exist, and may this user read it?)");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error("policy.unreadable", path, "reading the policy file failed");
  return load_policy(buf.str(), path);
}

std::vector<std::string> builtin_scheme_ids() { return {"jp-2015", "jp-2024"}; }

}  // namespace sanso::policy
