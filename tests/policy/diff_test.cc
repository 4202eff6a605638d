#include "policy/diff.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "fixtures.h"

namespace sanso::policy {
namespace {

std::string example_text() {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CompiledPolicy compiled(const std::string& text) {
  auto loaded = load_policy(text, "policy.toml");
  EXPECT_TRUE(loaded.policy) << "the policy did not load";
  return std::move(CompiledPolicy::compile(*loaded.policy, testing::kToday)).value();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const DecisionChange* find(const PolicyDiff& d, std::string_view from, std::string_view to, Channel ch) {
  for (const auto& c : d.decisions) {
    if (c.from == from && c.to == to && c.channel == ch) return &c;
  }
  return nullptr;
}

TEST(PolicyDiff, TheSamePolicyChangesNothingEvenReordered) {
  const std::string text = example_text();
  const auto a = compiled(text);
  // The rules written in another order with comments: the text differs, no decision does.
  const auto at = text.find("[[rules]]\nid = \"city.internet-removable-media\"");
  const auto end = text.find("[[rules]]", at + 1);
  ASSERT_NE(at, std::string::npos);
  std::string moved = text;
  const std::string block = moved.substr(at, end - at);
  moved.erase(at, end - at);
  moved += "\n# moved to the end\n" + block;
  const auto b = compiled(moved);
  const PolicyDiff d = diff_policies(a, b);
  EXPECT_TRUE(d.empty());
  EXPECT_NE(render_diff_text(d, a, b, "ja").find("違いはありません"), std::string::npos);
}

TEST(PolicyDiff, ADenyRuleShowsAsTheDecisionsItChanges) {
  const auto a = compiled(example_text());
  const auto b = compiled(example_text() + R"(
[[rules]]
id = "city.no-inbound-files"
from = "internet"
to = "lgwan"
channels = ["file"]
action = "deny"
clause = "6(3)②"
reason = "インターネット接続系からのファイル取込を停止"
)");
  const PolicyDiff d = diff_policies(a, b);
  const DecisionChange* c = find(d, "internet", "lgwan", Channel::kFile);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->action_changed());
  EXPECT_EQ(c->before.action, Action::kSanitize);
  EXPECT_EQ(c->after.action, Action::kDeny);
  EXPECT_EQ(c->after.rule, "city.no-inbound-files");
  EXPECT_TRUE(c->all_levels);
  EXPECT_TRUE(c->all_roles);
  EXPECT_EQ(find(d, "internet", "lgwan", Channel::kMail), nullptr) << "mail is untouched";
  const std::string ja = render_diff_text(d, a, b, "ja");
  EXPECT_NE(ja.find("インターネット接続系→LGWAN接続系 ファイル: 無害化 → 拒否（すべて）"), std::string::npos) << ja;
  EXPECT_NE(ja.find("→ city.no-inbound-files (6(3)②)"), std::string::npos) << ja;
  const std::string en = render_diff_text(d, a, b, "en");
  EXPECT_NE(en.find(": sanitize → deny (all requests)"), std::string::npos) << en;
  auto json = nlohmann::json::parse(render_diff_json(d, a, b));
  bool seen = false;
  for (const auto& x : json["decisions"]) {
    if (x["from"] == "internet" && x["to"] == "lgwan" && x["channel"] == "file") {
      seen = true;
      EXPECT_EQ(x["before"]["action"], "sanitize");
      EXPECT_EQ(x["after"]["action"], "deny");
      EXPECT_EQ(x["after"]["clause"], "6(3)②");
      EXPECT_TRUE(x["action_changed"].get<bool>());
    }
  }
  EXPECT_TRUE(seen) << json.dump(2);
}

TEST(PolicyDiff, ALevelConditionAndAnApproverChangeAreNamed) {
  const auto a = compiled(example_text());
  // Confidentiality-2 mail out: approve by the security manager → deny.
  const std::string stricter = replaced(example_text(), "min_confidentiality = \"2\"\nmax_confidentiality = \"2\"\naction = \"approve\"\napprover = \"security_manager\"\nclause = \"6(2)\"",
                                        "min_confidentiality = \"2\"\nmax_confidentiality = \"2\"\naction = \"deny\"\nclause = \"6(2)\"");
  const auto b = compiled(stricter);
  const PolicyDiff d = diff_policies(a, b);
  const DecisionChange* c = find(d, "lgwan", "internet", Channel::kMail);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->all_levels);
  EXPECT_EQ(c->levels, std::vector<std::string>{"2"});
  EXPECT_EQ(c->before.action, Action::kApprove);
  EXPECT_EQ(c->before.approver, "security_manager");
  EXPECT_EQ(c->after.action, Action::kDeny);
  EXPECT_NE(render_diff_text(d, a, b, "ja").find("承認要（情報セキュリティ管理者） → 拒否（機密性 2）"), std::string::npos)
      << render_diff_text(d, a, b, "ja");
}

TEST(PolicyDiff, AReclassifiedAssetAndAnAddedRoleAreListed) {
  const auto a = compiled(example_text());
  std::string text = replaced(example_text(), "id = \"tax_ledger\"\nname = \"課税台帳\"\nname_en = \"Tax ledger\"\nsystem = \"tax\"\nconfidentiality = \"3A\"",
                              "id = \"tax_ledger\"\nname = \"課税台帳\"\nname_en = \"Tax ledger\"\nsystem = \"tax\"\nconfidentiality = \"3B\"");
  text += R"(
[[roles]]
id = "auditor_ext"
name = "外部監査人"
zones = ["lgwan"]
)";
  const auto b = compiled(text);
  const PolicyDiff d = diff_policies(a, b);
  ASSERT_EQ(d.assets.size(), 1u);
  EXPECT_EQ(d.assets[0].id, "tax_ledger");
  EXPECT_NE(d.assets[0].before.find("機密性3A"), std::string::npos);
  EXPECT_NE(d.assets[0].after.find("機密性3B"), std::string::npos);
  EXPECT_EQ(d.roles_added, std::vector<std::string>{"auditor_ext"});
  EXPECT_NE(render_diff_text(d, a, b, "ja").find("追加された役割: 外部監査人 (auditor_ext)"), std::string::npos);
}

}  // namespace
}  // namespace sanso::policy
