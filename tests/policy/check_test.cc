// Each static check with a policy that trips it and one that does not.
#include "policy/check.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace sanso::policy {
namespace {

using testing::base_policy;
using testing::diagnose;
using testing::dump;
using testing::find_check;
using testing::has_check;

std::string rule(std::string_view id, std::string_view from, std::string_view to, std::string_view action, std::string_view extra = "") {
  return "\n[[rules]]\nid = \"" + std::string(id) + "\"\nfrom = " + std::string(from) + "\nto = " + std::string(to) + "\naction = \"" +
         std::string(action) + "\"\nclause = \"6(3)\"\nreason = \"テスト\"\n" + std::string(extra) + "\n";
}

TEST(CheckPolicy, BasePolicyIsClean) {
  const auto ds = diagnose(base_policy());
  EXPECT_TRUE(ds.empty()) << dump(ds);
}

TEST(CheckPolicy, DuplicateIds) {
  const auto bad = diagnose(base_policy() + "[[zones]]\nid = \"lgwan\"\nname = \"重複\"\n");
  ASSERT_TRUE(has_check(bad, "duplicate-id")) << dump(bad);
  EXPECT_NE(find_check(bad, "duplicate-id")->message.find("already used at line"), std::string::npos);
  EXPECT_FALSE(has_check(diagnose(base_policy() + "[[zones]]\nid = \"dmz\"\nname = \"公開\"\n"), "duplicate-id"));
}

TEST(CheckPolicy, UnknownReferences) {
  const auto bad = diagnose(base_policy() + rule("r", "\"lgwan\"", "\"lgwn\"", "deny", "roles = [\"boss\"]\nmax_confidentiality = \"4\""));
  EXPECT_TRUE(has_check(bad, "unknown-zone")) << dump(bad);
  EXPECT_TRUE(has_check(bad, "unknown-role"));
  EXPECT_TRUE(has_check(bad, "unknown-level"));
  EXPECT_NE(find_check(bad, "unknown-level")->message.find("1, 2, 3C, 3B, 3A"), std::string::npos);

  const auto bad_asset = diagnose(base_policy() + R"t(
[[systems]]
id = "s"
name = "システム"
zone = "lgwan"
body = "mayors"
[[assets]]
id = "a"
name = "資産"
system = "nosuch"
confidentiality = "2"
integrity = "3"
availability = "1"
)t");
  EXPECT_TRUE(has_check(bad_asset, "unknown-body")) << dump(bad_asset);
  EXPECT_TRUE(has_check(bad_asset, "unknown-system"));
  EXPECT_TRUE(has_check(bad_asset, "unknown-level"));  // integrity 3 does not exist

  const auto good = diagnose(base_policy() + rule("r", "\"lgwan\"", "\"lgwan\"", "deny", "roles = [\"staff\"]\nmax_confidentiality = \"3A\""));
  EXPECT_TRUE(good.empty()) << dump(good);
}

// The reporting lines (reports_to) end at a top role, and approver roles share a superior, so that a
// hold's approver can be the most senior one (intake::approver_for_unchecked).
TEST(CheckPolicy, ReportingLinesEndAtATopAndApproversShareOne) {
  const std::string approvals = rule("a", "\"lgwan\"", "\"internet\"", "approve", "channels = [\"file\"]\nmax_confidentiality = \"1\"\napprover = \"staff\"") +
                                rule("b", "\"lgwan\"", "\"internet\"", "approve", "channels = [\"file\"]\nmin_confidentiality = \"2\"\napprover = \"security_manager\"");
  const auto unordered = diagnose(base_policy() + approvals);
  ASSERT_TRUE(has_check(unordered, "approvers-unordered")) << "an error: no hold may go to a guessed approver: " << dump(unordered);
  EXPECT_NE(find_check(unordered, "approvers-unordered")->message.find("reports_to"), std::string::npos);
  // Rules that never meet (other source zones) may name unordered roles.
  // (The profile's own approve rules leave LGWAN, by the security manager.)
  const auto apart = diagnose(base_policy() + rule("a", "\"internet\"", "\"lgwan\"", "approve", "channels = [\"file\"]\napprover = \"staff\""));
  ASSERT_TRUE(has_check(diagnose(base_policy() + rule("a", "\"lgwan\"", "\"internet\"", "approve", "channels = [\"mail\"]\napprover = \"staff\"") +
                                 rule("b", "\"lgwan\"", "\"*\"", "approve", "channels = [\"mail\"]\napprover = \"security_manager\"")),
                        "approvers-unordered"))
      << "one message from LGWAN to both zones: they meet";
  EXPECT_FALSE(has_check(apart, "approvers-unordered")) << dump(apart);

  auto with_line = [](std::string policy, const std::string& role, const std::string& up) {
    const std::string at = "id = \"" + role + "\"\n";
    return policy.insert(policy.find(at) + at.size(), "reports_to = \"" + up + "\"\n");
  };
  const auto ordered = diagnose(with_line(base_policy(), "staff", "security_manager") + approvals);
  EXPECT_TRUE(ordered.empty()) << dump(ordered);

  const auto cycle = diagnose(with_line(with_line(base_policy(), "staff", "security_manager"), "security_manager", "staff"));
  ASSERT_TRUE(has_check(cycle, "role-cycle")) << dump(cycle);
  EXPECT_NE(find_check(cycle, "role-cycle")->message.find("security_manager → staff → security_manager"), std::string::npos) << dump(cycle);
  EXPECT_EQ(std::count_if(cycle.begin(), cycle.end(), [](const Diagnostic& d) { return d.check_id == "role-cycle"; }), 1) << "one circle, said once";
  EXPECT_TRUE(has_check(diagnose(with_line(base_policy(), "staff", "boss")), "unknown-role"));
}

TEST(CheckPolicy, MissingCanonicalZone) {
  std::string text = base_policy();
  text.replace(text.find("id = \"internet\""), 15, "id = \"web\"");
  const auto bad = diagnose(text);
  ASSERT_TRUE(has_check(bad, "missing-zone")) << dump(bad);
  EXPECT_NE(find_check(bad, "missing-zone")->message.find("'internet'"), std::string::npos);
}

TEST(CheckPolicy, NothingMayLeaveMynumber) {
  const auto bad = diagnose(base_policy() + rule("leak", "\"mynumber\"", "\"lgwan\"", "sanitize"));
  ASSERT_TRUE(has_check(bad, "mynumber-egress")) << dump(bad);
  const Diagnostic* d = find_check(bad, "mynumber-egress");
  EXPECT_EQ(d->loc.line, 33u);  // the [[rules]] header
  EXPECT_NE(d->message.find("6(3)①"), std::string::npos);

  // A wildcard that includes mynumber counts too; a same-zone wildcard does not.
  EXPECT_TRUE(has_check(diagnose(base_policy() + rule("w", "\"*\"", "\"*\"", "approve", "approver = \"staff\"")), "mynumber-egress"));
  EXPECT_FALSE(has_check(diagnose(base_policy() + rule("w", "\"*\"", "\"*\"", "approve", "approver = \"staff\"\nscope = \"same_zone\"")),
                         "mynumber-egress"));
  // Deny is always fine.
  EXPECT_FALSE(has_check(diagnose(base_policy() + rule("d", "\"mynumber\"", "\"*\"", "deny")), "mynumber-egress"));
}

TEST(CheckPolicy, MynumberExceptionOnlyWhileInForce) {
  const std::string exception = "exception = { approved_by = \"security_manager\", expires = 2027-03-31 }";
  const std::string text = base_policy() + rule("x", "\"mynumber\"", "\"lgwan\"", "approve", "approver = \"security_manager\"\n" + exception);
  const auto in_force = diagnose(text, Date{2026, 11, 25});
  EXPECT_FALSE(has_check(in_force, "mynumber-egress")) << dump(in_force);
  EXPECT_TRUE(has_check(in_force, "mynumber-egress-exception", Severity::kWarning));

  const auto expired = diagnose(text, Date{2027, 4, 1});
  EXPECT_TRUE(has_check(expired, "mynumber-egress")) << dump(expired);
  EXPECT_TRUE(has_check(expired, "exception-expired", Severity::kWarning));
}

TEST(CheckPolicy, LgwanInternetNeverPlainAllow) {
  const auto bad = diagnose(base_policy() + rule("open", "\"internet\"", "\"lgwan\"", "allow", "channels = [\"web\"]"));
  ASSERT_TRUE(has_check(bad, "lgwan-internet-allow")) << dump(bad);
  EXPECT_NE(find_check(bad, "lgwan-internet-allow")->message.find("6(3)②"), std::string::npos);
  const auto reverse = diagnose(base_policy() + rule("open", "[\"lgwan\"]", "\"*\"", "allow", "channels = [\"api\"]\nscope = \"cross_zone\""));
  EXPECT_TRUE(has_check(reverse, "lgwan-internet-allow")) << dump(reverse);
  const auto good = diagnose(base_policy() + rule("s", "\"internet\"", "\"lgwan\"", "sanitize", "channels = [\"api\"]"));
  EXPECT_FALSE(has_check(good, "lgwan-internet-allow")) << dump(good);
}

TEST(CheckPolicy, ClassificationCeilingOfZone) {
  const std::string asset = R"t(
[[systems]]
id = "mail"
name = "インターネットメール"
zone = "internet"
[[assets]]
id = "a"
name = "資産"
system = "mail"
confidentiality = "LEVEL"
integrity = "1"
availability = "1"
)t";
  std::string high = asset;
  high.replace(high.find("LEVEL"), 5, "3A");
  const auto bad = diagnose(base_policy() + high);
  ASSERT_TRUE(has_check(bad, "classification-ceiling")) << dump(bad);
  EXPECT_NE(find_check(bad, "classification-ceiling")->message.find("自治体機密性3A"), std::string::npos);
  std::string ok = asset;
  ok.replace(ok.find("LEVEL"), 5, "2");
  EXPECT_TRUE(diagnose(base_policy() + ok).empty()) << dump(diagnose(base_policy() + ok));
}

TEST(CheckPolicy, IndividualNumbersBelongInMynumber) {
  const std::string asset = R"t(
[[assets]]
id = "a"
name = "資産"
zone = "ZONE"
confidentiality = "3A"
integrity = "2"
availability = "2"
categories = ["individual_number"]
)t";
  std::string bad = asset;
  bad.replace(bad.find("ZONE"), 4, "lgwan");
  EXPECT_TRUE(has_check(diagnose(base_policy() + bad), "individual-number-zone"));
  std::string good = asset;
  good.replace(good.find("ZONE"), 4, "mynumber");
  EXPECT_FALSE(has_check(diagnose(base_policy() + good), "individual-number-zone"));
}

TEST(CheckPolicy, MynumberNeedsMfa) {
  std::string no_mfa = base_policy();
  no_mfa.replace(no_mfa.find("[\"mfa\", \"no_export\"]"), 20, "[\"no_export\"]");
  const auto bad = diagnose(no_mfa + "[[systems]]\nid = \"juki\"\nname = \"住民記録\"\nzone = \"mynumber\"\n");
  EXPECT_TRUE(has_check(bad, "mynumber-mfa")) << dump(bad);
  EXPECT_TRUE(has_check(bad, "profile-requirement"));
  // The system may carry its own MFA control (the zone still lacks the profile's requirement).
  const auto sys_mfa = diagnose(no_mfa + "[[systems]]\nid = \"juki\"\nname = \"住民記録\"\nzone = \"mynumber\"\ncontrols = [\"mfa\"]\n");
  EXPECT_FALSE(has_check(sys_mfa, "mynumber-mfa")) << dump(sys_mfa);

  const auto role = diagnose(base_policy() + "[[roles]]\nid = \"clerk\"\nname = \"窓口\"\nzones = [\"mynumber\"]\n");
  ASSERT_TRUE(has_check(role, "mynumber-mfa")) << dump(role);
  EXPECT_EQ(find_check(role, "mynumber-mfa")->loc.line, 32u);  // the [[roles]] header
  EXPECT_FALSE(has_check(diagnose(base_policy() + "[[roles]]\nid = \"clerk\"\nname = \"窓口\"\nmfa = true\nzones = [\"mynumber\"]\n"),
                         "mynumber-mfa"));
}

TEST(CheckPolicy, ProfileRequirements) {
  const auto beta_without_edr = diagnose(base_policy("beta"));
  ASSERT_TRUE(has_check(beta_without_edr, "profile-requirement")) << dump(beta_without_edr);
  EXPECT_NE(find_check(beta_without_edr, "profile-requirement")->message.find("'edr'"), std::string::npos);
  EXPECT_TRUE(diagnose(base_policy("beta", "\"edr\"")).empty()) << dump(diagnose(base_policy("beta", "\"edr\"")));

  std::string no_manager = base_policy();
  no_manager.replace(no_manager.find("id = \"security_manager\""), 23, "id = \"manager\"");
  EXPECT_TRUE(has_check(diagnose(no_manager), "profile-requirement"));
}

TEST(CheckPolicy, UnreachableRules) {
  const auto bad = diagnose(base_policy() + rule("block", "\"lgwan\"", "\"lgwan\"", "deny", "channels = [\"mail\"]") +
                            rule("open", "\"lgwan\"", "\"lgwan\"", "allow", "channels = [\"mail\"]\nroles = [\"staff\"]"));
  ASSERT_TRUE(has_check(bad, "unreachable-rule", Severity::kWarning)) << dump(bad);
  EXPECT_NE(find_check(bad, "unreachable-rule")->message.find("'block'"), std::string::npos);

  // Covered by the profile's built-in rule: the profile denies web from internet to lgwan.
  const auto covered = diagnose(base_policy() + rule("s", "\"internet\"", "\"lgwan\"", "sanitize", "channels = [\"web\"]"));
  EXPECT_TRUE(has_check(covered, "unreachable-rule", Severity::kWarning)) << dump(covered);

  const auto empty = diagnose(base_policy() + rule("e", "\"lgwan\"", "\"internet\"", "deny", "scope = \"same_zone\""));
  EXPECT_TRUE(has_check(empty, "unreachable-rule", Severity::kWarning)) << dump(empty);

  const auto good = diagnose(base_policy() + rule("block", "\"lgwan\"", "\"lgwan\"", "deny", "channels = [\"mail\"]\nmin_confidentiality = \"3A\"") +
                             rule("open", "\"lgwan\"", "\"lgwan\"", "allow", "channels = [\"removable_media\"]\nroles = [\"staff\"]"));
  EXPECT_TRUE(good.empty()) << dump(good);
}

TEST(CheckPolicy, RuleShapeErrors) {
  EXPECT_TRUE(has_check(diagnose(base_policy() + rule("a", "\"lgwan\"", "\"lgwan\"", "approve", "channels = [\"removable_media\"]")),
                        "missing-approver"));
  EXPECT_TRUE(has_check(
      diagnose(base_policy() + rule("a", "\"lgwan\"", "\"lgwan\"", "deny", "min_confidentiality = \"3A\"\nmax_confidentiality = \"1\"")),
      "empty-range"));
  EXPECT_TRUE(has_check(diagnose(base_policy() + rule("a", "\"lgwan\"", "\"lgwan\"", "deny", "approver = \"staff\"")), "approver-ignored",
                        Severity::kWarning));
  const auto dates = diagnose(base_policy() + rule("a", "\"lgwan\"", "\"lgwan\"", "deny",
                                                   "exception = { approved_by = \"staff\", approved_on = 2027-01-01, expires = 2026-01-01 }"));
  EXPECT_TRUE(has_check(dates, "exception-dates")) << dump(dates);
}

TEST(CheckPolicy, OutsourcingAndSocialMedia) {
  const auto bad = diagnose(base_policy() + R"t(
[[social_media]]
id = "x"
name = "公式X"
zone = "internet"
[[contractors]]
id = "v"
name = "保守事業者"
contract_until = 2025-03-31
)t");
  EXPECT_TRUE(has_check(bad, "service-owner")) << dump(bad);
  EXPECT_TRUE(has_check(bad, "contract-requirements", Severity::kWarning));
  EXPECT_TRUE(has_check(bad, "contract-expired", Severity::kWarning));
  const auto good = diagnose(base_policy() + R"t(
[[social_media]]
id = "x"
name = "公式X"
zone = "internet"
responsible_person = "広報係長"
[[contractors]]
id = "v"
name = "保守事業者"
contract_until = 2029-03-31
security_requirements = true
)t");
  EXPECT_TRUE(good.empty()) << dump(good);
}

TEST(CheckPolicy, AssetZoneMustMatchItsSystem) {
  const std::string text = base_policy() + R"t(
[[systems]]
id = "s"
name = "財務会計"
zone = "lgwan"
[[assets]]
id = "a"
name = "予算"
system = "s"
zone = "ZONE"
confidentiality = "2"
integrity = "1"
availability = "1"
)t";
  std::string bad = text;
  bad.replace(bad.find("ZONE"), 4, "internet");
  EXPECT_TRUE(has_check(diagnose(bad), "zone-mismatch")) << dump(diagnose(bad));
  std::string good = text;
  good.replace(good.find("ZONE"), 4, "lgwan");
  EXPECT_TRUE(diagnose(good).empty()) << dump(diagnose(good));
}

TEST(CheckPolicy, IngressToMynumberIsWarnedUnlessAnException) {
  const std::string r = rule("in", "\"lgwan\"", "\"mynumber\"", "approve", "approver = \"security_manager\"\nchannels = [\"file\"]");
  EXPECT_TRUE(has_check(diagnose(base_policy() + r), "mynumber-ingress", Severity::kWarning));
  const auto excepted = diagnose(base_policy() + r + "exception = { approved_by = \"security_manager\", expires = 2027-03-31 }\n");
  EXPECT_FALSE(has_check(excepted, "mynumber-ingress", Severity::kWarning)) << dump(excepted);
}

TEST(CheckPolicy, BodiesOfClause4) {
  std::string text = base_policy();
  const std::string bodies = "[[bodies]]\nid = \"mayor\"\nname = \"市長部局\"\n";
  text.erase(text.find(bodies), bodies.size());
  EXPECT_TRUE(has_check(diagnose(text), "no-bodies", Severity::kWarning)) << dump(diagnose(text));
  EXPECT_FALSE(has_check(diagnose(base_policy()), "no-bodies", Severity::kWarning));
}

TEST(CheckPolicy, ZoneNetworks) {
  auto with_cidrs = [](std::string_view lgwan, std::string_view internet) {
    std::string text = base_policy();
    text.replace(text.find("name = \"LGWAN接続系\""), 0, "cidrs = [" + std::string(lgwan) + "]\n");
    text.replace(text.find("name = \"インターネット接続系\""), 0, "cidrs = [" + std::string(internet) + "]\n");
    return diagnose(text);
  };
  EXPECT_TRUE(with_cidrs("\"10.20.0.0/16\"", "\"10.30.0.0/16\", \"2001:db8::/32\"").empty());
  EXPECT_TRUE(has_check(with_cidrs("\"10.20.0.0/33\"", "\"10.30.0.0/16\""), "bad-cidr"));
  EXPECT_TRUE(has_check(with_cidrs("\"10.20.0.0\"", "\"10.30.0.0/16\""), "bad-cidr"));
  EXPECT_TRUE(has_check(with_cidrs("\"10.20.0.300/24\"", "\"10.30.0.0/16\""), "bad-cidr"));
  EXPECT_TRUE(has_check(with_cidrs("\"10.20.1.0/16\"", "\"10.30.0.0/16\""), "cidr-host-bits", Severity::kWarning));
  const auto overlap = with_cidrs("\"10.0.0.0/8\"", "\"10.30.0.0/16\"");
  ASSERT_TRUE(has_check(overlap, "cidr-overlap")) << dump(overlap);
  EXPECT_NE(find_check(overlap, "cidr-overlap")->message.find("overlaps 10.0.0.0/8 of zone 'lgwan'"), std::string::npos);
}

TEST(CheckPolicy, ZoneNetworksOverlapInIpv6Too) {
  std::string text = base_policy();
  text.replace(text.find("name = \"LGWAN接続系\""), 0, "cidrs = [\"2001:db8:20::/48\"]\n");
  text.replace(text.find("name = \"インターネット接続系\""), 0, "cidrs = [\"2001:db8::/32\"]\n");
  const auto overlap = diagnose(text);
  ASSERT_TRUE(has_check(overlap, "cidr-overlap")) << dump(overlap);
  // An IPv4-mapped IPv6 network is the IPv4 network: writing it the other way round is no way out.
  std::string mapped = base_policy();
  mapped.replace(mapped.find("name = \"LGWAN接続系\""), 0, "cidrs = [\"10.20.0.0/16\"]\n");
  mapped.replace(mapped.find("name = \"インターネット接続系\""), 0, "cidrs = [\"::ffff:10.20.5.0/120\"]\n");
  EXPECT_TRUE(has_check(diagnose(mapped), "cidr-overlap")) << dump(diagnose(mapped));
}

// A policy with zone networks, city ranges and `extra` appended (endpoints).
std::string with_address_plan(std::string_view extra) {
  std::string text = base_policy();
  text.replace(text.find("name = \"マイナンバー利用事務系\""), 0, "cidrs = [\"10.10.0.0/16\"]\n");
  text.replace(text.find("name = \"LGWAN接続系\""), 0, "cidrs = [\"10.20.0.0/16\"]\n");
  text.replace(text.find("name = \"インターネット接続系\""), 0, "cidrs = [\"10.30.0.0/16\", \"2001:db8:30::/48\"]\n");
  return text + "\n[network]\ncity_ranges = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n" + std::string(extra);
}

std::string endpoint(std::string_view id, std::string_view zone, std::string_view address, std::string_view extra = "") {
  return "\n[[endpoints]]\nid = \"" + std::string(id) + "\"\nname = \"無害化\"\nrole = \"sanitizing_gateway\"\nzone = \"" + std::string(zone) +
         "\"\naddress = \"" + std::string(address) + "\"\nports = [25]\n" + std::string(extra) + "\n";
}

TEST(CheckPolicy, SanctionedEndpoints) {
  const auto good = diagnose(with_address_plan(endpoint("gw", "internet", "10.30.0.25") + endpoint("proxy", "internet", "203.0.113.8") +
                                               endpoint("v6", "internet", "2001:db8:30::25")));
  EXPECT_TRUE(good.empty()) << dump(good);

  const auto mismatch = diagnose(with_address_plan(endpoint("gw", "lgwan", "10.30.0.25")));
  ASSERT_TRUE(has_check(mismatch, "endpoint-zone-mismatch")) << dump(mismatch);
  EXPECT_NE(find_check(mismatch, "endpoint-zone-mismatch")->message.find("lies (at least partly) in zone 'internet'"), std::string::npos);
  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("pool", "internet", "10.0.0.0/9"))), "endpoint-zone-mismatch"));

  // Inside the city's ranges but in no zone: the monitor could not place it where the policy says.
  const auto outside = diagnose(with_address_plan(endpoint("gw", "internet", "10.99.0.25")));
  ASSERT_TRUE(has_check(outside, "endpoint-outside-zones", Severity::kWarning)) << dump(outside);
  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("asp", "lgwan", "198.51.100.7"))), "endpoint-outside-zones", Severity::kWarning));

  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("gw", "internet", "10.30.0.300"))), "bad-endpoint-address"));
  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("gw", "internt", "10.30.0.25"))), "unknown-zone"));
  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("gw", "internet", "10.30.0.25") + endpoint("gw", "internet", "10.30.0.26"))),
                        "duplicate-id"));
  EXPECT_TRUE(has_check(diagnose(with_address_plan(endpoint("gw", "internet", "10.30.0.25", "from = [\"mynumber\"]"))), "mynumber-endpoint",
                        Severity::kWarning));
  EXPECT_TRUE(has_check(diagnose(with_address_plan("[network]\n")), "toml-syntax"));  // a second [network] table
  std::string bad_range = with_address_plan("");
  bad_range.replace(bad_range.find("\"10.0.0.0/8\""), 12, "\"10.0.0.0/x\"");
  EXPECT_TRUE(has_check(diagnose(bad_range), "bad-cidr")) << dump(diagnose(bad_range));
}

TEST(LoadPolicy, EndpointFieldsAreChecked) {
  std::string text = with_address_plan(endpoint("gw", "internet", "10.30.0.25"));
  const std::string port_line = "ports = [25]";
  auto with = [&](std::string_view replacement) {
    std::string t = text;
    t.replace(t.find(port_line), port_line.size(), replacement);
    return diagnose(t);
  };
  EXPECT_TRUE(has_check(with("ports = [0]"), "bad-value"));
  EXPECT_TRUE(has_check(with("ports = [65536]"), "bad-value"));
  EXPECT_TRUE(has_check(with("ports = []"), "bad-value"));
  EXPECT_TRUE(has_check(with("ports = 25\nprotocol = \"sctp\""), "bad-value"));
  EXPECT_TRUE(has_check(with("port = 25"), "unknown-key"));
  std::string full = text;
  full.replace(full.find(port_line), port_line.size(), "ports = [25, 587]\nprotocol = \"udp\"\nfrom = [\"lgwan\"]");
  const auto loaded = testing::load(full);
  ASSERT_TRUE(loaded.policy);
  ASSERT_EQ(loaded.policy->endpoints.size(), 1u);
  EXPECT_EQ(loaded.policy->endpoints[0].ports, (std::vector<std::uint16_t>{25, 587}));
  EXPECT_EQ(loaded.policy->endpoints[0].protocol, "udp");
  EXPECT_EQ(loaded.policy->endpoints[0].from, std::vector<std::string>{"lgwan"});
  EXPECT_EQ(loaded.policy->city_ranges.size(), 2u);
}

TEST(CheckPolicy, MailDomainsPlaceMailInOneZone) {
  auto with_domains = [](std::string_view lgwan, std::string_view internet) {
    std::string text = base_policy();
    text.replace(text.find("name = \"LGWAN接続系\""), 0, "mail_domains = [" + std::string(lgwan) + "]\n");
    text.replace(text.find("name = \"インターネット接続系\""), 0, "mail_domains = [" + std::string(internet) + "]\n");
    return text;
  };
  EXPECT_TRUE(diagnose(with_domains("\"City.Test.LG.JP\"", "\"partner.example\"")).empty());
  EXPECT_TRUE(has_check(diagnose(with_domains("\"city test\"", "")), "bad-mail-domain"));
  EXPECT_TRUE(has_check(diagnose(with_domains("\"a.example\"", "\"a.example\"")), "mail-domain-overlap"));
  LoadResult r = testing::load(with_domains("\"city.test.lg.jp\"", ""));
  ASSERT_TRUE(r.policy);
  const Policy& p = *r.policy;
  ASSERT_NE(p.zone_of_mail_domain("CITY.test.lg.jp"), nullptr);
  EXPECT_EQ(p.zone_of_mail_domain("city.test.lg.jp")->id, "lgwan");
  EXPECT_EQ(p.zone_of_mail_domain("soumu.city.test.lg.jp")->id, "lgwan") << "subdomains belong to the zone";
  EXPECT_EQ(p.zone_of_mail_domain("evilcity.test.lg.jp"), nullptr) << "a suffix that is not a parent domain";
  EXPECT_EQ(p.zone_of_mail_domain("gmail.com"), nullptr);
}

TEST(CheckPolicy, AddressesArePlacedInZonesByTheirLongestNetwork) {
  std::string text = base_policy();
  text.replace(text.find("name = \"LGWAN接続系\""), 0, "cidrs = [\"10.20.0.0/16\", \"2001:db8:20::/48\"]\n");
  text.replace(text.find("name = \"インターネット接続系\""), 0, "cidrs = [\"10.0.0.0/8\"]\n");
  LoadResult r = testing::load(text);
  ASSERT_TRUE(r.policy);
  const Policy& p = *r.policy;
  ASSERT_NE(p.zone_of_address("10.20.3.4"), nullptr);
  EXPECT_EQ(p.zone_of_address("10.20.3.4")->id, "lgwan") << "the longer prefix wins over 10.0.0.0/8";
  EXPECT_EQ(p.zone_of_address("10.21.0.1")->id, "internet");
  EXPECT_EQ(p.zone_of_address("::ffff:10.20.3.4")->id, "lgwan") << "an IPv4-mapped address is its IPv4 address";
  EXPECT_EQ(p.zone_of_address("2001:db8:20:1::5")->id, "lgwan");
  EXPECT_EQ(p.zone_of_address("2001:db8:21::5"), nullptr);
  EXPECT_EQ(p.zone_of_address("192.0.2.1"), nullptr);
  EXPECT_EQ(p.zone_of_address(""), nullptr);
  EXPECT_EQ(p.zone_of_address("10.20.3.4 "), nullptr) << "what does not parse is in no zone";
  EXPECT_EQ(p.zone_of_address("010.020.003.004"), nullptr);
  EXPECT_EQ(p.zone_of_address("10.20.3"), nullptr);
}

TEST(CheckPolicy, LoadCheckedPolicyListsErrors) {
  auto r = load_checked_policy(std::string(SANSO_SOURCE_DIR) + "/tests/data/policy/malformed/05-unknown-action.toml", testing::kToday);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "policy.invalid");
  EXPECT_NE(r.error().message.find("05-unknown-action.toml:9:10: error: unknown action 'permit'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sanso::policy
