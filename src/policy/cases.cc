#include "policy/cases.h"

#include "policy/internal/toml_source.h"


namespace sanso::policy {
namespace {

using internal::loc_of;

}  // namespace

CaseLoadResult load_cases(std::string_view text, std::string source_name) {
  CaseLoadResult out;
  auto error = [&](SourceLoc loc, std::string message, std::string id) {
    out.diagnostics.push_back({Severity::kError, loc, std::move(message), std::move(id)});
  };
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    error(loc_of(e.source()), "invalid TOML: " + std::string(e.description()), "toml-syntax");
    return out;
  }
  PolicyCaseFile file;
  for (auto&& [key, value] : doc) {
    if (key.str() != "today" && key.str() != "cases") error(loc_of(key.source()), "unknown key '" + std::string(key.str()) + "' (known: today, cases)", "unknown-key");
  }
  if (const toml::node* t = doc.get("today")) {
    if (auto d = t->as_date()) {
      file.today = Date{d->get().year, d->get().month, d->get().day};
    } else if (auto s = t->as_string(); s && Date::parse(s->get())) {
      file.today = Date::parse(s->get());
    } else {
      error(loc_of(t->source()), "'today' must be a date like 2026-11-25", "bad-date");
    }
  }
  const toml::array* cases = doc["cases"].as_array();
  if (!cases) {
    error({1, 1}, "the file has no [[cases]]", "missing-key");
    return out;
  }
  static constexpr std::string_view kKeys[] = {"name", "from", "to", "channel", "confidentiality", "role", "asset", "expect", "rule", "clause"};
  for (const toml::node& node : *cases) {
    const toml::table* t = node.as_table();
    if (!t) {
      error(loc_of(node.source()), "each case must be a table ([[cases]])", "wrong-type");
      continue;
    }
    PolicyCase c;
    c.loc = loc_of(t->source());
    for (auto&& [key, value] : *t) {
      bool known = false;
      for (auto k : kKeys) known = known || key.str() == k;
      if (!known) {
        error(loc_of(key.source()), "unknown key '" + std::string(key.str()) + "' in a case", "unknown-key");
      } else if (!value.is_string()) {
        error(loc_of(value.source()), "'" + std::string(key.str()) + "' must be a string", "wrong-type");
      }
    }
    auto get = [&](std::string_view k) { return std::string(t->get(k) && t->get(k)->is_string() ? t->get(k)->as_string()->get() : ""); };
    c.name = get("name");
    c.from = get("from");
    c.to = get("to");
    c.channel = get("channel");
    c.confidentiality = get("confidentiality");
    c.role = get("role");
    c.asset = get("asset");
    c.expect_rule = get("rule");
    c.expect_clause = get("clause");
    for (auto [k, v] : {std::pair{"name", &c.name}, std::pair{"from", &c.from}, std::pair{"to", &c.to}, std::pair{"channel", &c.channel}}) {
      if (v->empty()) error(c.loc, std::string("case is missing '") + k + "'", "missing-key");
    }
    const std::string expect = get("expect");
    if (auto a = parse_action(expect)) {
      c.expect = *a;
    } else {
      error(c.loc, "case '" + c.name + "' has " + (expect.empty() ? std::string("no 'expect'") : "unknown expect '" + expect + "'") +
                       " (allow, sanitize, approve or deny)",
            "bad-value");
    }
    file.cases.push_back(std::move(c));
  }
  out.file = std::move(file);
  return out;
}

std::vector<CaseResult> run_cases(const CompiledPolicy& policy, const std::vector<PolicyCase>& cases) {
  std::vector<CaseResult> results;
  for (const PolicyCase& c : cases) {
    CaseResult r{&c, false, {}};
    auto d = policy.decide(RequestNames{c.from, c.to, c.channel, c.confidentiality, c.role, c.asset});
    if (!d) {
      r.detail = d.error().message;
    } else {
      const Decision& got = *d;
      const bool action_ok = got.action == c.expect;
      const bool rule_ok = c.expect_rule.empty() || got.rule_id() == c.expect_rule;
      const bool clause_ok = c.expect_clause.empty() || got.clause() == c.expect_clause;
      r.passed = action_ok && rule_ok && clause_ok;
      if (!r.passed) {
        r.detail = "expected " + std::string(to_string(c.expect));
        if (!c.expect_rule.empty()) r.detail += " rule=" + c.expect_rule;
        if (!c.expect_clause.empty()) r.detail += " clause=" + c.expect_clause;
        r.detail += ", got " + std::string(to_string(got.action)) + " rule=" + std::string(got.rule_id()) + " clause=" + std::string(got.clause());
      }
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace sanso::policy
