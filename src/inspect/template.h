// Self-inspection (自己点検, clause 7) checklists as data: the clause list of the policy document
// the items answer to, and checklist templates whose every item names one of those clauses.
//
// A template is written by the city's security office, not by an attacker, but it is still read
// as untrusted text: broken TOML, bad UTF-8, unknown keys, unknown clauses, duplicate item ids and
// unknown automatic checks are errors with the file, line and column, never a silently shorter
// checklist.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/policy.h"

namespace sanso::inspect {

// One numbered clause of the policy document, in the notation the policy's rules cite:
// "7", "6(2)", "6(3)①".
struct Clause {
  std::string id;
  std::string parent;  // "" for a top-level clause; "6(3)" for "6(3)①"
  std::string title;   // the heading in the document, e.g. "情報資産の分類と管理"
};

// The clauses of one policy document, in document order.
class ClauseList {
 public:
  std::string document;  // e.g. "水俣市情報セキュリティポリシー（基本方針）令和8年3月25日全部改正"
  std::vector<Clause> clauses;

  const Clause* find(std::string_view id) const;
  // Clauses with no sub-clause in the list: what a checklist has to cover one by one.
  std::vector<const Clause*> leaves() const;
};

// clauses.toml: [document] title, then [[clauses]] id + title, parents before their children.
Result<ClauseList> load_clause_list(std::string_view toml_text, const std::string& source_name);
Result<ClauseList> load_clause_list_file(const std::string& path);

enum class Period : std::uint8_t { kMonthly, kAnnual };
std::string_view to_string(Period period);  // "monthly", "annual"
std::string_view label_ja(Period period);   // "月次", "年次"

// An item is answered by a person, or evaluated by Sanso from what it holds (checks.h).
enum class ItemKind : std::uint8_t { kManual, kAutomatic };

struct Item {
  std::string id;
  std::string clause;
  policy::Label question;
  ItemKind kind = ItemKind::kManual;
  std::string check;  // the automatic check's id; empty for a manual item
  std::uint32_t line = 0;
};

struct Template {
  std::string id;
  policy::Label title;
  Period period = Period::kMonthly;
  std::vector<Item> items;
  std::string source_name;

  const Item* find_item(std::string_view id) const;
};

// Parses a template and checks every item against the clause list and the known automatic checks.
// The first problem is the error, located as "file:line:column".
Result<Template> load_template(std::string_view toml_text, const std::string& source_name, const ClauseList& clauses);
Result<Template> load_template_file(const std::string& path, const ClauseList& clauses);

// The leaf clauses that no item of the template cites, in document order.
std::vector<std::string> uncovered_clauses(const Template& checklist, const ClauseList& clauses);

// A directory of templates: clauses.toml plus every other *.toml file as a template.
struct TemplateSet {
  ClauseList clauses;
  std::vector<Template> templates;
  const Template* find(std::string_view id) const;
};
Result<TemplateSet> load_template_dir(const std::string& dir);

}  // namespace sanso::inspect
