#include "policy/load.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "fixtures.h"

namespace sanso::policy {
namespace {

using testing::base_policy;
using testing::diagnose;
using testing::dump;
using testing::load;

TEST(LoadPolicy, BasePolicyLoadsWithProfileRulesAfterCityRules) {
  LoadResult r = load(base_policy() + R"t(
[[rules]]
id = "city.r1"
from = "lgwan"
to = "lgwan"
channels = ["removable_media"]
action = "deny"
clause = "6(6)"
reason = "外部記録媒体の禁止"
)t");
  ASSERT_TRUE(r.policy) << dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  const Policy& p = *r.policy;
  EXPECT_EQ(p.municipality.name.ja, "テスト市");
  EXPECT_EQ(p.scheme.id, "jp-2024");
  ASSERT_EQ(p.scheme.confidentiality.levels.size(), 5u);
  EXPECT_EQ(p.scheme.confidentiality.levels.back().id, "3A");
  ASSERT_GT(p.rules.size(), 1u);
  EXPECT_EQ(p.rules.front().id, "city.r1");
  EXPECT_EQ(p.rules.front().loc.line, 33u);
  EXPECT_EQ(p.rules.back().origin, "profile:alpha");
}

TEST(LoadPolicy, OlderSchemeHasThreeConfidentialityLevels) {
  std::string text = base_policy();
  text += "[classification]\nscheme = \"jp-2015\"\n";
  LoadResult r = load(text);
  ASSERT_TRUE(r.policy) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->scheme.confidentiality.ids_joined(), "1, 2, 3");
  EXPECT_EQ(r.policy->scheme.integrity.ids_joined(), "1, 2");
  // The profile's level placeholders resolve against the chosen scheme.
  bool found = false;
  for (const Rule& rule : r.policy->rules) {
    if (rule.id == "profile.lgwan-inet-above-ceiling") {
      found = true;
      EXPECT_EQ(rule.min_confidentiality, "3");
    }
  }
  EXPECT_TRUE(found);
}

TEST(LoadPolicy, CustomSchemeIsData) {
  std::string text = base_policy() + R"t(
[classification]
scheme = "two-level"
[[classification.schemes]]
id = "two-level"
name = "二段階"
internet_ceiling = "open"
confidentiality = [ { id = "open", name = "公開" }, { id = "closed", name = "非公開" } ]
integrity = [ { id = "1", name = "完全性1" } ]
availability = [ { id = "1", name = "可用性1" } ]
)t";
  LoadResult r = load(text);
  ASSERT_TRUE(r.policy) << dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->scheme.confidentiality.rank_of("closed"), 1);
}

TEST(LoadPolicy, ProfileRulesCanBeSwitchedOff) {
  std::string text = base_policy();
  text.replace(text.find("model = \"alpha\""), 15, "model = \"alpha\"\nbuiltin_rules = false");
  LoadResult r = load(text);
  ASSERT_TRUE(r.policy) << dump(r.diagnostics);
  EXPECT_TRUE(r.policy->rules.empty());
}

TEST(LoadPolicy, DatesAsTomlDatesOrStrings) {
  std::string text = base_policy() + R"t(
[[rules]]
id = "a"
from = "lgwan"
to = "lgwan"
channels = ["removable_media"]
action = "approve"
approver = "security_manager"
clause = "6(6)"
reason = "例外"
exception = { approved_by = "security_manager", approved_on = "2026-04-01", expires = 2027-03-31 }
)t";
  LoadResult r = load(text);
  ASSERT_TRUE(r.policy) << dump(r.diagnostics);
  ASSERT_TRUE(r.policy->rules.front().exception);
  EXPECT_EQ(r.policy->rules.front().exception->expires, (Date{2027, 3, 31}));
  EXPECT_EQ(r.policy->rules.front().exception->approved_on, (Date{2026, 4, 1}));
}

TEST(LoadPolicy, UnreadableFileIsAnError) {
  auto r = load_policy_file("/nonexistent/policy.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "policy.unreadable");
  EXPECT_EQ(r.error().where, "/nonexistent/policy.toml");
}

// Every file under tests/data/policy/malformed starts with `# expect: LINE:COL CHECK-ID`; loading
// (and checking) it must report exactly that diagnostic as an error.
TEST(LoadPolicy, MalformedFilesReportExactPositions) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SANSO_SOURCE_DIR) / "tests/data/policy/malformed";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 10u);
  const std::regex header(R"(# expect: (\d+):(\d+) ([a-z-]+))");
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.filename().string());
    std::ifstream in(f);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    std::smatch m;
    const std::string first_line = text.substr(0, text.find('\n'));
    ASSERT_TRUE(std::regex_match(first_line, m, header)) << "missing expectation header";
    const auto ds = diagnose(text);
    const bool found = std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
      return d.severity == Severity::kError && d.loc.line == std::stoul(m[1]) && d.loc.column == std::stoul(m[2]) && d.check_id == m[3].str();
    });
    EXPECT_TRUE(found) << "expected " << first_line.substr(10) << ", got:\n" << dump(ds);
  }
}

TEST(LoadPolicy, HostileInputsNeverCrash) {
  const std::vector<std::string> inputs = {
      std::string(100000, '['),
      "a = " + std::string(5000, '[') + std::string(5000, ']'),
      std::string("[municipality]\nid = \"\0\"\n", 22),
      "[[zones]]\n[[zones]]\n[[zones]]\n",
      "rules = [1, 2, 3]",
      "[[rules]]\nfrom = 1\nto = {}\nchannels = [[]]\naction = 7\nexception = []\n",
      "\xEF\xBB\xBF[municipality]\nid=\"x\"\nname=\"\xff\xfe\"\n",
  };
  for (const std::string& in : inputs) {
    LoadResult r = load(in);
    EXPECT_TRUE(has_errors(r.diagnostics)) << in.substr(0, 40);
  }
}

}  // namespace
}  // namespace sanso::policy
