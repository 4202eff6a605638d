// The shipped example (examples/minamata) must stay clean and its regression cases must pass.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fixtures.h"
#include "policy/cases.h"

namespace sanso::policy {
namespace {

const std::string kDir = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

TEST(Example, PolicyHasNoDiagnostics) {
  const auto ds = testing::diagnose(slurp(kDir + "policy.toml"));
  EXPECT_TRUE(ds.empty()) << testing::dump(ds);
}

TEST(Example, ModelsTheCityInTheSeed) {
  auto p = load_checked_policy(kDir + "policy.toml", testing::kToday);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->bodies.size(), 8u);  // clause 4(1)
  EXPECT_EQ(p->profile, Profile::kAlpha);
  for (const char* sys : {"juki", "tax", "kokuho", "kaigo"}) EXPECT_EQ(p->find_system(sys)->zone, "mynumber") << sys;
  for (const char* sys : {"zaimu", "bunsho", "jinji", "groupware", "lgwan_mail"}) EXPECT_EQ(p->find_system(sys)->zone, "lgwan") << sys;
  for (const char* sys : {"internet_mail", "homepage", "sns"}) EXPECT_EQ(p->find_system(sys)->zone, "internet") << sys;
}

TEST(Example, RegressionCasesPass) {
  CaseLoadResult loaded = load_cases(slurp(kDir + "policy-tests.toml"), "policy-tests.toml");
  ASSERT_TRUE(loaded.file) << testing::dump(loaded.diagnostics);
  ASSERT_TRUE(loaded.diagnostics.empty()) << testing::dump(loaded.diagnostics);
  ASSERT_GE(loaded.file->cases.size(), 30u);
  ASSERT_TRUE(loaded.file->today);
  auto p = load_checked_policy(kDir + "policy.toml", *loaded.file->today);
  ASSERT_TRUE(p);
  auto c = CompiledPolicy::compile(std::move(*p), *loaded.file->today);
  ASSERT_TRUE(c);
  for (const CaseResult& r : run_cases(*c, loaded.file->cases)) EXPECT_TRUE(r.passed) << r.test->name << ": " << r.detail;
}

TEST(Cases, AWrongExpectationFailsWithDetail) {
  auto c = testing::compile_text(testing::base_policy());
  CaseLoadResult loaded = load_cases(R"t(
[[cases]]
name = "wrong"
from = "internet"
to = "lgwan"
channel = "mail"
expect = "allow"
rule = "x"
[[cases]]
name = "unknown zone"
from = "internet"
to = "nowhere"
channel = "mail"
expect = "deny"
)t",
                                     "c.toml");
  ASSERT_TRUE(loaded.file);
  auto results = run_cases(c, loaded.file->cases);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].detail, "expected allow rule=x, got sanitize rule=profile.inet-lgwan-mail clause=6(3)②");
  EXPECT_FALSE(results[1].passed);
  EXPECT_NE(results[1].detail.find("unknown to zone 'nowhere'"), std::string::npos);
}

TEST(Cases, MalformedCaseFilesAreDiagnosed) {
  auto bad = load_cases("[[cases]]\nname = \"x\"\nfrom = \"a\"\nto = \"b\"\nchannel = \"mail\"\nexpect = \"permit\"\nextra = 1\n", "c.toml");
  EXPECT_TRUE(has_errors(bad.diagnostics));
  EXPECT_TRUE(testing::has_check(bad.diagnostics, "bad-value"));
  EXPECT_TRUE(testing::has_check(bad.diagnostics, "unknown-key"));
  EXPECT_TRUE(testing::has_check(load_cases("today = \"soon\"\n[[cases]]\n", "c.toml").diagnostics, "bad-date"));
  EXPECT_TRUE(testing::has_check(load_cases("x = [", "c.toml").diagnostics, "toml-syntax"));
}

}  // namespace
}  // namespace sanso::policy
