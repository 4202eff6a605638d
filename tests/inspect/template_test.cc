// Checklist templates and the clause list: the shipped example covers the seed policy, and hostile
// templates are refused with the code and the line of the problem.
#include "inspect/template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "inspect/checks.h"
#include "policy/check.h"

namespace sanso::inspect {
namespace {

const std::string kDir = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/inspection";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

ClauseList small_clauses() {
  auto list = load_clause_list(R"toml(
[document]
title = "test policy"
[[clauses]]
id = "6"
title = "対策"
[[clauses]]
id = "6(3)"
title = "強靱性"
[[clauses]]
id = "6(3)①"
title = "マイナンバー"
[[clauses]]
id = "7"
title = "自己点検"
)toml",
                               "clauses.toml");
  EXPECT_TRUE(list) << list.error().to_string();
  return *list;
}

constexpr std::string_view kHead = R"toml([template]
id = "t"
title = "点検"
period = "monthly"
)toml";

Error template_error(std::string_view body) {
  auto t = load_template(std::string(kHead) + std::string(body), "t.toml", small_clauses());
  EXPECT_FALSE(t) << "accepted:\n" << body;
  return t ? Error{} : t.error();
}

TEST(ClauseList, LeavesAreTheClausesWithoutSubClauses) {
  const ClauseList list = small_clauses();
  std::vector<std::string> leaves;
  for (const Clause* c : list.leaves()) leaves.push_back(c->id);
  EXPECT_EQ(leaves, (std::vector<std::string>{"6(3)①", "7"}));
  EXPECT_EQ(list.find("6(3)①")->parent, "6(3)");
}

TEST(ClauseList, RefusesIdsOutsideThePolicyNotationAndOrphans) {
  auto bad_id = load_clause_list("[document]\ntitle = \"x\"\n[[clauses]]\nid = \"6-3\"\ntitle = \"x\"\n", "c.toml");
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code, "inspect.bad-clause-id");
  EXPECT_EQ(bad_id.error().where, "c.toml:4:6");
  auto orphan = load_clause_list("[document]\ntitle = \"x\"\n[[clauses]]\nid = \"6(3)\"\ntitle = \"x\"\n", "c.toml");
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, "inspect.orphan-clause");
  auto twice = load_clause_list("[document]\ntitle = \"x\"\n[[clauses]]\nid = \"7\"\ntitle = \"a\"\n[[clauses]]\nid = \"7\"\ntitle = \"b\"\n", "c.toml");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "inspect.duplicate-clause");
  EXPECT_EQ(twice.error().where, "c.toml:7:6");
}

TEST(Template, ReadsItemsOfBothKinds) {
  auto t = load_template(std::string(kHead) + R"toml(
[[items]]
id = "egress"
clause = "6(3)①"
question = "他の領域への通信がないか"
question_en = "No flow left the zone?"
kind = "automatic:mynumber-egress"
[[items]]
id = "done"
clause = "7"
question = "自己点検をしたか"
kind = "manual"
)toml",
                         "t.toml", small_clauses());
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->period, Period::kMonthly);
  ASSERT_EQ(t->items.size(), 2u);
  EXPECT_EQ(t->items[0].kind, ItemKind::kAutomatic);
  EXPECT_EQ(t->items[0].check, "mynumber-egress");
  EXPECT_EQ(t->items[1].kind, ItemKind::kManual);
  EXPECT_TRUE(uncovered_clauses(*t, small_clauses()).empty());
}

TEST(Template, UnknownClauseIsRefusedAtItsLine) {
  const Error e = template_error("[[items]]\nid = \"a\"\nclause = \"6(3)④\"\nquestion = \"q\"\nkind = \"manual\"\n");
  EXPECT_EQ(e.code, "inspect.unknown-clause");
  EXPECT_EQ(e.where, "t.toml:7:10");
  EXPECT_NE(e.message.find("6(3)④"), std::string::npos) << e.message;
}

TEST(Template, DuplicateItemIdIsRefused) {
  const Error e = template_error(
      "[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"manual\"\n"
      "[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q2\"\nkind = \"manual\"\n");
  EXPECT_EQ(e.code, "inspect.duplicate-item");
  EXPECT_EQ(e.where, "t.toml:11:6");
}

TEST(Template, UnknownAutomaticCheckIsRefusedAndTheKnownOnesListed) {
  const Error e = template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"automatic:everything-fine\"\n");
  EXPECT_EQ(e.code, "inspect.unknown-check");
  EXPECT_NE(e.message.find("release-two-person"), std::string::npos) << e.message;
  EXPECT_EQ(template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"automatic:\"\n").code,
            "inspect.unknown-check");
  EXPECT_EQ(template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"Manual\"\n").code, "inspect.bad-kind");
}

TEST(Template, BrokenTomlAndBrokenEncodingAreRefusedWithAPosition) {
  const Error syntax = template_error("[[items]\nid = \"a\"\n");
  EXPECT_EQ(syntax.code, "inspect.toml-syntax");
  EXPECT_EQ(syntax.where.rfind("t.toml:5:", 0), 0u) << syntax.where;
  // A Shift_JIS question (「点検」) in a file that must be UTF-8.
  const Error encoding = template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"\x93\x5f\x8c\x9f\"\nkind = \"manual\"\n");
  EXPECT_EQ(encoding.code, "inspect.toml-syntax");
  EXPECT_EQ(encoding.where.rfind("t.toml:8:", 0), 0u) << encoding.where;
  EXPECT_EQ(template_error(std::string("[[items]]\nid = \"a\0b\"\n", 20)).code, "inspect.toml-syntax");
}

TEST(Template, ShapeErrorsAreRefused) {
  EXPECT_EQ(template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"manual\"\nclase = \"6\"\n").code,
            "inspect.unknown-key");
  EXPECT_EQ(template_error("[[items]]\nid = \"a\"\nclause = 7\nquestion = \"q\"\nkind = \"manual\"\n").code, "inspect.wrong-type");
  EXPECT_EQ(template_error("[[items]]\nid = \"a\"\nclause = \"7\"\nkind = \"manual\"\n").code, "inspect.missing-key");
  EXPECT_EQ(template_error("[[items]]\nid = \"../a\"\nclause = \"7\"\nquestion = \"q\"\nkind = \"manual\"\n").code, "inspect.bad-id");
  auto items_not_tables = load_template("items = \"none\"\n" + std::string(kHead), "t.toml", small_clauses());
  ASSERT_FALSE(items_not_tables);
  EXPECT_EQ(items_not_tables.error().code, "inspect.wrong-type");
  EXPECT_EQ(template_error("").code, "inspect.no-items");
  auto no_head = load_template("[[items]]\nid = \"a\"\n", "t.toml", small_clauses());
  ASSERT_FALSE(no_head);
  EXPECT_EQ(no_head.error().code, "inspect.missing-key");
  auto bad_period = load_template("[template]\nid = \"t\"\ntitle = \"x\"\nperiod = \"weekly\"\n", "t.toml", small_clauses());
  ASSERT_FALSE(bad_period);
  EXPECT_EQ(bad_period.error().code, "inspect.bad-period");
}

TEST(Template, UncoveredClausesAreTheLeavesNoItemCites) {
  // Citing the parent 6(3) does not cover 6(3)①: a vaguer question does not answer the clause.
  auto t = load_template(std::string(kHead) + "[[items]]\nid = \"a\"\nclause = \"6(3)\"\nquestion = \"q\"\nkind = \"manual\"\n", "t.toml",
                         small_clauses());
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(uncovered_clauses(*t, small_clauses()), (std::vector<std::string>{"6(3)①", "7"}));
}

TEST(ExampleTemplates, LoadAndTheAnnualOneCoversEveryClause) {
  auto set = load_template_dir(kDir);
  ASSERT_TRUE(set) << set.error().to_string();
  const Template* annual = set->find("minamata-annual");
  const Template* monthly = set->find("minamata-monthly");
  ASSERT_NE(annual, nullptr);
  ASSERT_NE(monthly, nullptr);
  EXPECT_EQ(annual->period, Period::kAnnual);
  EXPECT_EQ(monthly->period, Period::kMonthly);
  EXPECT_GE(set->clauses.leaves().size(), 40u);
  const auto missing = uncovered_clauses(*annual, set->clauses);
  std::string list;
  for (const auto& c : missing) list += c + " ";
  EXPECT_TRUE(missing.empty()) << "the annual template leaves out: " << list;
}

// The example city answers every question Sanso can answer itself, monthly and at year end.
TEST(ExampleTemplates, BothTemplatesHaveEveryAutomaticCheck) {
  auto set = load_template_dir(kDir);
  ASSERT_TRUE(set) << set.error().to_string();
  for (const char* id : {"minamata-monthly", "minamata-annual"}) {
    const Template* t = set->find(id);
    ASSERT_NE(t, nullptr) << id;
    for (const auto& check : automatic_checks()) {
      const bool present = std::any_of(t->items.begin(), t->items.end(), [&](const Item& i) { return i.check == check.id; });
      EXPECT_TRUE(present) << id << " lacks automatic:" << check.id;
    }
  }
}

TEST(ExampleTemplates, EveryClauseThePolicyCitesIsInTheClauseList) {
  auto clauses = load_clause_list_file(kDir + "/clauses.toml");
  ASSERT_TRUE(clauses) << clauses.error().to_string();
  auto policy = policy::load_checked_policy(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", Date{2026, 12, 1});
  ASSERT_TRUE(policy) << policy.error().to_string();
  EXPECT_NE(clauses->find(policy->default_clause), nullptr) << policy->default_clause;
  for (const auto& rule : policy->rules) EXPECT_NE(clauses->find(rule.clause), nullptr) << rule.id << " cites " << rule.clause;
  for (const auto& e : policy->endpoints) {
    if (!e.clause.empty()) {
      EXPECT_NE(clauses->find(e.clause), nullptr) << e.id << " cites " << e.clause;
    }
  }
}

// The clause list is transcribed from the seed policy; every title must be a heading or text of
// the document (spaces removed: the document has "L G W A N" and "(1 1)").
TEST(ExampleTemplates, ClauseTitlesAreInTheSeedPolicy) {
  const std::filesystem::path seed = std::filesystem::path(SANSO_SHARED_DIR) / "seed/000_b848ee25320fbd29.txt";
  if (!std::filesystem::exists(seed)) GTEST_SKIP() << "the seed policy is not at " << seed;
  std::string text = slurp(seed.string());
  std::erase_if(text, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  auto clauses = load_clause_list_file(kDir + "/clauses.toml");
  ASSERT_TRUE(clauses) << clauses.error().to_string();
  for (const auto& c : clauses->clauses) {
    std::string title = c.title;
    std::erase(title, ' ');
    // Headings the document words as a sentence, named here by what they are about.
    static const std::set<std::string> kParaphrased = {"3(1)", "3(2)", "3(3)", "3(4)", "3(5)", "4(2)②", "6(3)①", "6(3)②", "6(3)③"};
    if (kParaphrased.contains(c.id)) continue;
    EXPECT_NE(text.find(title), std::string::npos) << c.id << " " << c.title;
  }
}

// The other way round: every numbered clause of the seed policy — its headings 1.–10., the
// numbered paragraphs (1)–(14) under them (written "#### (1)", "- (1)" or "(1 1)") and the circled
// ①–③ under those — is in the clause list, so "covers every clause of the seed" means the seed's
// clauses, not only the list's.
TEST(ExampleTemplates, EveryNumberedClauseOfTheSeedIsInTheClauseList) {
  const std::filesystem::path seed = std::filesystem::path(SANSO_SHARED_DIR) / "seed/000_b848ee25320fbd29.txt";
  if (!std::filesystem::exists(seed)) GTEST_SKIP() << "the seed policy is not at " << seed;
  auto clauses = load_clause_list_file(kDir + "/clauses.toml");
  ASSERT_TRUE(clauses) << clauses.error().to_string();
  std::set<std::string> listed;
  for (const auto& c : clauses->clauses) listed.insert(c.id);
  static const std::regex kTop(R"(^#{2,4} (?:\*\*)?([0-9]{1,2})\. )");
  static const std::regex kParagraph(R"(^(?:#### |- )?\(([0-9]) ?([0-9]?)\) ?\S)");
  static const char* const kCircled[] = {"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨"};
  std::istringstream lines(slurp(seed.string()));
  std::string top, paragraph, line;
  std::vector<std::string> found;
  bool contents = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## 目次", 0) == 0) contents = true;  // the table of contents repeats the headings
    if (line.rfind("## 序", 0) == 0) contents = false;
    if (contents) continue;
    std::smatch m;
    if (std::regex_search(line, m, kTop)) {
      top = m[1].str();
      paragraph.clear();
      found.push_back(top);
    } else if (!top.empty() && std::regex_search(line, m, kParagraph)) {
      paragraph = top + "(" + m[1].str() + m[2].str() + ")";
      found.push_back(paragraph);
    } else if (!paragraph.empty()) {
      std::string_view rest(line);
      if (rest.rfind("- ", 0) == 0) rest.remove_prefix(2);
      for (const char* circled : kCircled) {
        if (rest.rfind(circled, 0) == 0) found.push_back(paragraph + circled);
      }
    }
  }
  EXPECT_GE(found.size(), 40u) << "the seed's numbering was not read";
  for (const auto& id : found) EXPECT_TRUE(listed.contains(id)) << id << " of the seed is not in clauses.toml";
  for (const char* known : {"1", "2(14)", "3(5)", "4(2)③", "6(3)③", "6(9)", "7", "8", "10"}) {
    EXPECT_NE(std::find(found.begin(), found.end(), known), found.end()) << known << " was not read from the seed";
  }
}

}  // namespace
}  // namespace sanso::inspect
