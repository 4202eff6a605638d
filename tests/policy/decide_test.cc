#include "policy/decide.h"

#include <gtest/gtest.h>

#include <set>

#include "fixtures.h"

namespace sanso::policy {
namespace {

using testing::base_policy;
using testing::compile_text;

std::string rule(std::string_view id, std::string_view action, std::string_view extra = "") {
  return "\n[[rules]]\nid = \"" + std::string(id) + "\"\nfrom = \"lgwan\"\nto = \"lgwan\"\nchannels = [\"removable_media\"]\naction = \"" +
         std::string(action) + "\"\nclause = \"6(6)\"\nreason = \"" + std::string(id) + "\"\n" + std::string(extra) + "\n";
}

Decision decide(const CompiledPolicy& c, std::string_view from, std::string_view to, std::string_view channel, std::string_view level = "",
                std::string_view role = "") {
  auto d = c.decide(RequestNames{from, to, channel, level, role, ""});
  EXPECT_TRUE(d.has_value()) << d.error().to_string();
  return *d;
}

TEST(Decide, PrecedenceDenyApproveSanitizeAllow) {
  const std::string approver = "approver = \"security_manager\"";
  // Written weakest first, so declaration order cannot be what decides.
  auto c = compile_text(base_policy() + rule("allow", "allow") + rule("sanitize", "sanitize") + rule("approve", "approve", approver) +
                        rule("deny", "deny", "roles = [\"staff\"]"));
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1", "staff").rule_id(), "deny");
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1", "security_manager").rule_id(), "approve");
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1", "security_manager").approver(), "security_manager");

  auto c2 = compile_text(base_policy() + rule("allow", "allow") + rule("sanitize", "sanitize", "roles = [\"staff\"]"));
  EXPECT_EQ(decide(c2, "lgwan", "lgwan", "removable_media", "1", "staff").action, Action::kSanitize);
  EXPECT_EQ(decide(c2, "lgwan", "lgwan", "removable_media", "1").action, Action::kAllow);
}

TEST(Decide, FirstWrittenWinsBetweenEqualActions) {
  auto c = compile_text(base_policy() + rule("first", "allow") + rule("second", "allow"));
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1").rule_id(), "first");
}

TEST(Decide, DefaultDenyWhenNothingMatches) {
  auto c = compile_text(base_policy() + "[[zones]]\nid = \"dmz\"\nname = \"公開\"\n");
  const Decision d = decide(c, "lgwan", "dmz", "web", "1");
  EXPECT_EQ(d.action, Action::kDeny);
  EXPECT_TRUE(d.is_default);
  EXPECT_EQ(d.rule_id(), "default-deny");
  EXPECT_EQ(d.clause(), "6(3)");
  EXPECT_FALSE(decide(c, "lgwan", "lgwan", "web", "1").is_default);
}

TEST(Decide, ProfileDefaultsOfAlpha) {
  auto c = compile_text(base_policy());
  EXPECT_EQ(decide(c, "internet", "lgwan", "mail").action, Action::kSanitize);
  EXPECT_EQ(decide(c, "internet", "lgwan", "mail").clause(), "6(3)②");
  EXPECT_EQ(decide(c, "internet", "lgwan", "file").action, Action::kSanitize);
  EXPECT_EQ(decide(c, "internet", "lgwan", "web").action, Action::kDeny);
  EXPECT_EQ(decide(c, "lgwan", "internet", "file", "1").action, Action::kApprove);
  EXPECT_EQ(decide(c, "lgwan", "internet", "mail", "1").action, Action::kSanitize);
  EXPECT_EQ(decide(c, "lgwan", "internet", "mail", "3C").action, Action::kDeny);
  EXPECT_EQ(decide(c, "mynumber", "lgwan", "mail", "1").rule_id(), "profile.mynumber-egress");
  EXPECT_EQ(decide(c, "mynumber", "mynumber", "removable_media", "1").rule_id(), "profile.mynumber-no-export");
}

TEST(Decide, OtherProfilesAddTheirRules) {
  std::string prime = base_policy("alpha_prime");
  prime.replace(prime.find("[\"antivirus\"]"), 13, "[\"edr\"]");  // α' requires EDR in lgwan
  auto alpha_prime = compile_text(prime);
  EXPECT_EQ(decide(alpha_prime, "lgwan", "internet", "web", "1").action, Action::kApprove);
  EXPECT_EQ(decide(alpha_prime, "lgwan", "internet", "web", "3A").action, Action::kDeny);
  auto beta = compile_text(base_policy("beta", "\"edr\""));
  EXPECT_EQ(decide(beta, "internet", "lgwan", "api").action, Action::kSanitize);
  EXPECT_EQ(decide(compile_text(base_policy()), "internet", "lgwan", "api").action, Action::kDeny);
}

// Every built-in rule of every profile must decide some request; a profile rule hidden behind a
// stronger one would be dead policy.
TEST(Decide, EveryProfileRuleIsReachable) {
  for (std::string_view model : {"alpha", "alpha_prime", "beta", "beta_prime"}) {
    SCOPED_TRACE(model);
    std::string text = base_policy(model, "\"edr\"");
    text.replace(text.find("controls = [\"antivirus\"]"), 24, "controls = [\"edr\"]");
    auto c = compile_text(text);
    std::set<const Rule*> fired;
    for (int f = 0; f < c.zone_count(); ++f)
      for (int t = 0; t < c.zone_count(); ++t)
        for (int ch = 0; ch < kChannelCount; ++ch)
          for (int l = 0; l < c.level_count(); ++l)
            for (int r = -1; r < c.role_count(); ++r) fired.insert(c.decide(Request{f, t, static_cast<Channel>(ch), l, r}).rule);
    ASSERT_FALSE(c.active_rules().empty());
    for (const Rule* rule : c.active_rules()) EXPECT_TRUE(fired.count(rule)) << rule->id << " never decides";
  }
}

TEST(Decide, UnknownConfidentialityIsTreatedAsHighest) {
  auto c = compile_text(base_policy());
  EXPECT_EQ(decide(c, "lgwan", "internet", "mail", "").action, Action::kDeny);
  EXPECT_EQ(decide(c, "lgwan", "internet", "mail", "").rule_id(), "profile.lgwan-inet-above-ceiling");
}

TEST(Decide, AssetClassificationIsAFloor) {
  auto c = compile_text(base_policy() + R"t(
[[assets]]
id = "payroll"
name = "給与"
zone = "lgwan"
confidentiality = "3B"
integrity = "2"
availability = "1"
)t");
  auto d = c.decide(RequestNames{"lgwan", "internet", "mail", "1", "", "payroll"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, Action::kDeny);
  auto unknown = c.decide(RequestNames{"lgwan", "internet", "mail", "1", "", "nosuch"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "policy.unknown-asset");
}

TEST(Decide, ExceptionsOverrideUntilExpiry) {
  const std::string text = base_policy() + R"t(
[[rules]]
id = "city.import"
from = "lgwan"
to = "mynumber"
channels = ["file"]
action = "approve"
approver = "security_manager"
clause = "6(3)①"
reason = "例外"
exception = { approved_by = "security_manager", approved_on = 2026-04-01, expires = 2027-03-31 }
)t";
  auto before = compile_text(text, Date{2026, 3, 31});
  EXPECT_EQ(decide(before, "lgwan", "mynumber", "file").rule_id(), "profile.mynumber-ingress");
  EXPECT_EQ(before.stale_from(), (Date{2026, 4, 1}));

  auto during = compile_text(text, Date{2027, 3, 31});
  EXPECT_EQ(decide(during, "lgwan", "mynumber", "file").rule_id(), "city.import");
  EXPECT_EQ(decide(during, "lgwan", "mynumber", "file").action, Action::kApprove);
  EXPECT_EQ(during.stale_from(), (Date{2027, 4, 1}));

  auto after = compile_text(text, Date{2027, 4, 1});
  EXPECT_EQ(decide(after, "lgwan", "mynumber", "file").rule_id(), "profile.mynumber-ingress");
  EXPECT_FALSE(after.stale_from());
}

TEST(Decide, RolesRestrictRules) {
  auto c = compile_text(base_policy() + rule("staff-only", "allow", "roles = [\"staff\"]"));
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1", "staff").action, Action::kAllow);
  EXPECT_TRUE(decide(c, "lgwan", "lgwan", "removable_media", "1", "security_manager").is_default);
  EXPECT_TRUE(decide(c, "lgwan", "lgwan", "removable_media", "1").is_default);
}

TEST(Decide, ConfidentialityBounds) {
  auto c = compile_text(base_policy() + rule("low", "allow", "max_confidentiality = \"2\"") +
                        rule("high", "deny", "min_confidentiality = \"3B\""));
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "1").rule_id(), "low");
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "2").rule_id(), "low");
  EXPECT_TRUE(decide(c, "lgwan", "lgwan", "removable_media", "3C").is_default);
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "3B").rule_id(), "high");
  EXPECT_EQ(decide(c, "lgwan", "lgwan", "removable_media", "3A").rule_id(), "high");
}

TEST(Decide, UnknownNamesAreClearErrors) {
  auto c = compile_text(base_policy());
  auto zone = c.decide(RequestNames{"lgwan", "intranet", "mail", "", "", ""});
  ASSERT_FALSE(zone);
  EXPECT_EQ(zone.error().code, "policy.unknown-zone");
  EXPECT_NE(zone.error().message.find("internet, lgwan, mynumber"), std::string::npos) << zone.error().message;
  EXPECT_EQ(c.decide(RequestNames{"lgwan", "lgwan", "fax", "", "", ""}).error().code, "policy.unknown-channel");
  EXPECT_EQ(c.decide(RequestNames{"lgwan", "lgwan", "mail", "4", "", ""}).error().code, "policy.unknown-level");
  EXPECT_EQ(c.decide(RequestNames{"lgwan", "lgwan", "mail", "", "boss", ""}).error().code, "policy.unknown-role");
}

TEST(Decide, OutOfRangeRequestsFailClosed) {
  auto c = compile_text(base_policy());
  for (Request q : {Request{-1, 0, Channel::kMail, 0, -1}, Request{0, 99, Channel::kMail, 0, -1}, Request{1, 1, static_cast<Channel>(17), 0, -1},
                    Request{1, 1, Channel::kMail, 99, -1}, Request{1, 1, Channel::kMail, 0, 99}}) {
    const Decision d = c.decide(q);
    EXPECT_EQ(d.action, Action::kDeny);
    EXPECT_TRUE(d.is_default);
  }
}

TEST(Decide, CompileRejectsUnknownReferences) {
  LoadResult r = testing::load(base_policy() + rule("bad", "allow", "roles = [\"nobody\"]"));
  ASSERT_TRUE(r.policy);
  auto c = CompiledPolicy::compile(std::move(*r.policy), testing::kToday);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown role 'nobody'"), std::string::npos);
}

// Clause 6(3)①: under α, whatever the city writes without an exception, nothing leaves the
// mynumber zone. Enumerates every zone × channel × level × role for the example and a base policy.
TEST(Decide, ExhaustivelyNothingLeavesMynumberUnderAlpha) {
  for (const std::string& path : {std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml", std::string()}) {
    SCOPED_TRACE(path.empty() ? "base policy" : path);
    Policy p;
    if (path.empty()) {
      p = *testing::load(base_policy() + "[[zones]]\nid = \"dmz\"\nname = \"公開\"\n").policy;
    } else {
      auto loaded = load_checked_policy(path, testing::kToday);
      ASSERT_TRUE(loaded) << loaded.error().to_string();
      p = std::move(*loaded);
    }
    ASSERT_EQ(p.profile, Profile::kAlpha);
    auto c = CompiledPolicy::compile(std::move(p), testing::kToday);
    ASSERT_TRUE(c);
    const int mynumber = *c->zone_index("mynumber");
    std::size_t checked = 0;
    for (int to = 0; to < c->zone_count(); ++to) {
      for (int ch = 0; ch < kChannelCount; ++ch) {
        for (int level = -1; level < c->level_count(); ++level) {
          for (int role = -1; role < c->role_count(); ++role) {
            const Request q{mynumber, to, static_cast<Channel>(ch), level, role};
            const Decision d = c->decide(q);
            ++checked;
            if (to != mynumber || static_cast<Channel>(ch) == Channel::kRemovableMedia) {
              ASSERT_EQ(d.action, Action::kDeny) << "to=" << to << " channel=" << ch << " level=" << level << " role=" << role << " rule=" << d.rule_id();
            }
          }
        }
      }
    }
    EXPECT_GT(checked, 100u);
  }
}

}  // namespace
}  // namespace sanso::policy
