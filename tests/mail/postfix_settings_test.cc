// `sanso doctor postfix`: Postfix's settings held against the gateway's needs, from what postconf
// prints (unit cases) and from a real Postfix configuration directory read by the real postconf.
#include "mail/milter/postfix_settings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "policy/load.h"
#include "support/cli_runner.h"
#include "support/example_policy.h"
#include "support/test_store.h"

namespace sanso::mail {
namespace {

namespace fs = std::filesystem;

// main.cf as docs/postfix.md sets it up, as `postconf -x` prints it (the lines that matter).
const char* kDocumentedMain =
    "queue_directory = /var/spool/postfix\n"
    "smtpd_milters = unix:/run/sanso/milter.sock\n"
    "non_smtpd_milters = unix:/run/sanso/milter.sock\n"
    "internal_mail_filter_classes = bounce, notify\n"
    "milter_default_action = tempfail\n"
    "milter_content_timeout = 300s\n"
    "mydestination =\n"
    "virtual_alias_domains =\n"
    "virtual_mailbox_domains =\n"
    "relay_domains = city.minamata.lg.jp\n"
    "receive_override_options =\n"
    "smtpd_milter_maps =\n"
    "header_checks =\n";
const char* kDocumentedMaster =
    "smtp       inet  n       -       n       -       -       smtpd\n"
    "127.0.0.1:10026 inet n   -       n       -       -       smtpd -o smtpd_milters= -o non_smtpd_milters=\n"
    "pickup     unix  n       -       n       60      1       pickup\n"
    "cleanup    unix  n       -       n       -       0       cleanup\n";
const char* kDocumentedOverrides =
    "127.0.0.1:10026/inet/non_smtpd_milters =\n"
    "127.0.0.1:10026/inet/smtpd_milters =\n";

class PostfixSettingsCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    auto example = sanso::testing::example_policy();
    ASSERT_NE(example.policy, nullptr);
    policy_ = std::move(example.policy);
    sanso_.milter_listen = "unix:/run/sanso/milter.sock";
    sanso_.release_relay = "127.0.0.1:10026";
  }

  // The checks of a main.cf that differs from the documented one in `changes` ("name = value"
  // lines replacing the documented ones), with master.cf's services and overrides as given.
  std::vector<SettingCheck> check(const std::string& changes, const std::string& master = kDocumentedMaster,
                                  const std::string& overrides = kDocumentedOverrides) {
    auto settings = parse_postconf(std::string(kDocumentedMain) + changes, master, overrides);
    EXPECT_TRUE(settings) << settings.error().to_string();
    if (!settings) return {};
    return check_postfix_settings(*settings, *policy_, sanso_);
  }

  static std::vector<std::string> ids(const std::vector<SettingCheck>& checks, SettingVerdict verdict) {
    std::vector<std::string> out;
    for (const auto& c : checks) {
      if (c.verdict == verdict) out.push_back(c.id + (c.service.empty() ? "" : "@" + c.service));
    }
    return out;
  }
  static std::vector<std::string> failures(const std::vector<SettingCheck>& checks) { return ids(checks, SettingVerdict::kFailure); }
  static std::vector<std::string> warnings(const std::vector<SettingCheck>& checks) { return ids(checks, SettingVerdict::kWarning); }

  std::unique_ptr<policy::Policy> policy_;
  GatewayDeployment sanso_;
};

using Ids = std::vector<std::string>;

// Whether every id of `wanted` is in `have`.
bool has_all(const Ids& have, const Ids& wanted) {
  for (const auto& w : wanted) {
    if (std::find(have.begin(), have.end(), w) == have.end()) return false;
  }
  return true;
}

TEST_F(PostfixSettingsCheck, TheDocumentedGatewayPassesEveryCheck) {
  const auto checks = check("");
  EXPECT_EQ(failures(checks), Ids{});
  EXPECT_EQ(warnings(checks), Ids{});
  // Each way in was looked at and found right, not skipped.
  EXPECT_TRUE(has_all(ids(checks, SettingVerdict::kOk), {"postfix.smtpd-milter@smtp/inet", "postfix.milter-default-action@smtp/inet",
                                                                        "postfix.non-smtpd-milter", "postfix.bounces-filtered",
                                                                        "postfix.release-listener@127.0.0.1:10026/inet", "postfix.domains"}));
}

TEST_F(PostfixSettingsCheck, AMilterThatIsDownLettingMailThroughFails) {
  EXPECT_EQ(failures(check("milter_default_action = accept\n")), (Ids{"postfix.milter-default-action@smtp/inet", "postfix.milter-default-action@non_smtpd"}));
  // Sanso's own entry may say so where main.cf does not.
  EXPECT_EQ(failures(check("smtpd_milters = { unix:/run/sanso/milter.sock, default_action=accept }\n")), (Ids{"postfix.milter-default-action@smtp/inet"}));
  // Another milter's default_action is not Sanso's.
  EXPECT_EQ(failures(check("smtpd_milters = { inet:127.0.0.1:8893, default_action=accept }, unix:/run/sanso/milter.sock\n")), Ids{});
}

TEST_F(PostfixSettingsCheck, BouncesAndLocalMailThatSkipTheMilterFail) {
  EXPECT_EQ(failures(check("internal_mail_filter_classes =\n")), (Ids{"postfix.bounces-filtered"}));
  EXPECT_EQ(warnings(check("internal_mail_filter_classes = bounce\n")), (Ids{"postfix.bounces-filtered"}));
  EXPECT_EQ(failures(check("non_smtpd_milters =\n")), (Ids{"postfix.non-smtpd-milter"}));
  // A cleanup service of master.cf that turns them off again.
  const std::string master = std::string(kDocumentedMaster) + "cleanup2   unix  n       -       n       -       0       cleanup -o internal_mail_filter_classes=\n";
  const std::string overrides = std::string(kDocumentedOverrides) + "cleanup2/unix/internal_mail_filter_classes =\n";
  EXPECT_EQ(failures(check("", master, overrides)), (Ids{"postfix.bounces-filtered@cleanup2/unix"}));
}

TEST_F(PostfixSettingsCheck, AListenerThatSkipsTheMilterFails) {
  const std::string master = std::string(kDocumentedMaster) + "submission inet  n       -       n       -       -       smtpd -o smtpd_milters=\n";
  const std::string overrides = std::string(kDocumentedOverrides) + "submission/inet/smtpd_milters =\n";
  EXPECT_EQ(failures(check("", master, overrides)), (Ids{"postfix.smtpd-milter@submission/inet"}));
  // Every milter turned off by a receive option, on one listener or for all.
  const std::string no_milters = std::string(kDocumentedOverrides) + "smtp/inet/receive_override_options = no_address_mappings, no_milters\n";
  EXPECT_EQ(failures(check("", kDocumentedMaster, no_milters)), (Ids{"postfix.no-milters@smtp/inet"}));
  { const Ids got = failures(check("receive_override_options = no_milters\n")); EXPECT_TRUE(has_all(got, {"postfix.no-milters"})); }
  // Another socket than Sanso's is no milter of ours.
  EXPECT_EQ(failures(check("smtpd_milters = unix:/run/other/milter.sock\n")), (Ids{"postfix.smtpd-milter@smtp/inet"}));
  // A per-client milter table can turn it off for some clients.
  EXPECT_EQ(warnings(check("smtpd_milter_maps = cidr:/etc/postfix/milter_map\n")), (Ids{"postfix.smtpd-milter-maps@smtp/inet"}));
}

TEST_F(PostfixSettingsCheck, TheReleaseListenerOnEveryAddressFails) {
  for (const std::string name : {"10026", "0.0.0.0:10026"}) {
    const std::string master = "smtp       inet  n       -       n       -       -       smtpd\n" + name + " inet n - n - - smtpd -o smtpd_milters=\n";
    const std::string overrides = name + "/inet/smtpd_milters =\n";
    EXPECT_EQ(failures(check("", master, overrides)), (Ids{"postfix.release-listener@" + name + "/inet"})) << name;
  }
  // On another address it is not the release listener at all: a way in without the milter.
  const std::string elsewhere = "smtp       inet  n       -       n       -       -       smtpd\n192.0.2.10:10026 inet n - n - - smtpd -o smtpd_milters=\n";
  EXPECT_EQ(failures(check("", elsewhere, "192.0.2.10:10026/inet/smtpd_milters =\n")), (Ids{"postfix.smtpd-milter@192.0.2.10:10026/inet"}));
  // With the milter left on, releases are held again.
  const std::string master = "smtp       inet  n       -       n       -       -       smtpd\n127.0.0.1:10026 inet n - n - - smtpd\n";
  EXPECT_EQ(warnings(check("", master, "")), (Ids{"postfix.release-listener-milter@127.0.0.1:10026/inet"}));
}

TEST_F(PostfixSettingsCheck, AUnixSocketIsFoundAsAChrootedPostfixLooksForIt) {
  const std::string chrooted = "smtp       inet  n       -       y       -       -       smtpd\n";
  // Inside the chroot: a relative name, or the absolute one inside the queue directory.
  sanso_.milter_listen = "unix:/var/spool/postfix/sanso/milter.sock";
  EXPECT_EQ(failures(check("smtpd_milters = unix:sanso/milter.sock\nnon_smtpd_milters = unix:sanso/milter.sock\n", chrooted, "")), Ids{});
  EXPECT_EQ(failures(check("smtpd_milters = unix:/sanso/milter.sock\nnon_smtpd_milters = unix:sanso/milter.sock\n", chrooted, "")), Ids{});
  // A chrooted smtpd cannot reach a socket outside the queue directory: that mail would tempfail
  // — or pass, with another default — and it is not Sanso's socket as smtpd sees it.
  sanso_.milter_listen = "unix:/run/sanso/milter.sock";
  EXPECT_EQ(failures(check("", chrooted, "")), (Ids{"postfix.smtpd-milter@smtp/inet"}));
  // inet: localhost is 127.0.0.1, and a milter listening on every address answers on it.
  sanso_.milter_listen = "inet:8891@127.0.0.1";
  EXPECT_EQ(failures(check("smtpd_milters = inet:localhost:8891\nnon_smtpd_milters = inet:127.0.0.1:8891\n")), Ids{});
  EXPECT_EQ(failures(check("smtpd_milters = inet:127.0.0.1:8892\nnon_smtpd_milters = inet:127.0.0.1:8891\n")), (Ids{"postfix.smtpd-milter@smtp/inet"}));
  sanso_.milter_listen = "inet:8891";
  EXPECT_EQ(failures(check("smtpd_milters = inet:127.0.0.1:8891\nnon_smtpd_milters = inet:127.0.0.1:8891\n")), Ids{});
}

TEST_F(PostfixSettingsCheck, DomainsThePolicyDoesNotPlaceAreNamed) {
  const auto checks = check("mydestination = gateway.example.net, localhost\nrelay_domains = city.minamata.lg.jp, hash:/etc/postfix/relay\n");
  EXPECT_EQ(failures(checks), Ids{});
  EXPECT_EQ(warnings(checks), (Ids{"postfix.unzoned-domain", "postfix.unzoned-domain", "postfix.domains", "postfix.local-delivery"}));
  bool named = false;
  for (const auto& c : checks) named = named || (c.id == "postfix.unzoned-domain" && c.ja.find("localhost") != std::string::npos);
  EXPECT_TRUE(named);
}

TEST_F(PostfixSettingsCheck, LoopbackInACityZoneFails) {
  std::ifstream in(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/policy.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  const std::string lgwan = "cidrs = [\"10.20.0.0/16\"]";
  ASSERT_NE(toml.find(lgwan), std::string::npos);
  toml.replace(toml.find(lgwan), lgwan.size(), "cidrs = [\"10.20.0.0/16\", \"127.0.0.0/8\"]");
  auto loaded = policy::load_policy(toml, "policy.toml");
  ASSERT_TRUE(loaded.policy);
  policy_ = std::make_unique<policy::Policy>(*loaded.policy);
  EXPECT_EQ(failures(check("")), (Ids{"postfix.loopback-zone"}));
}

TEST_F(PostfixSettingsCheck, TheVerifiersRuleIsLookedForInHeaderChecks) {
  sanso_.verifier_authserv_id = "verify.city.minamata.lg.jp";
  auto settings = parse_postconf(std::string(kDocumentedMain) + "header_checks = regexp:/etc/postfix/header_checks\n", kDocumentedMaster, kDocumentedOverrides);
  ASSERT_TRUE(settings);
  EXPECT_EQ(warnings(check_postfix_settings(*settings, *policy_, sanso_)), (Ids{"postfix.verifier-header-checks"}));
  EXPECT_EQ(header_checks_table_names(*settings), (Ids{"regexp:/etc/postfix/header_checks"}));
  auto listed = parse_postconf("header_checks = regexp:/a,pcre:/b hash:/c\n", "", "");
  ASSERT_TRUE(listed);
  EXPECT_EQ(header_checks_table_names(*listed), (Ids{"regexp:/a", "pcre:/b"}));
  settings->header_checks_tables["regexp:/etc/postfix/header_checks"] = "/^Authentication-Results:\\s*verify\\.city\\.minamata\\.lg\\.jp\\b/ IGNORE\n";
  EXPECT_EQ(warnings(check_postfix_settings(*settings, *policy_, sanso_)), Ids{});
}

TEST(PostconfOutput, WhatIsNotPostconfsIsAnErrorNotASetting) {
  EXPECT_FALSE(parse_postconf("smtpd_milters unix:/x\n", "", ""));
  EXPECT_FALSE(parse_postconf("", "smtp inet n - n - smtpd\n", ""));
  EXPECT_FALSE(parse_postconf("", kDocumentedMaster, "submission/inet/smtpd_milters =\n"));
  EXPECT_FALSE(parse_postconf("", kDocumentedMaster, "smtpd_milters =\n"));
  auto ok = parse_postconf("a = b c\nempty =\n", kDocumentedMaster, kDocumentedOverrides);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->main.at("a"), "b c");
  EXPECT_EQ(ok->main.at("empty"), "");
  EXPECT_EQ(ok->services.size(), 4u);
  EXPECT_EQ(ok->services[1].overrides.at("smtpd_milters"), "");
}

// The command against a real configuration directory, read by Postfix's own postconf.
TEST(DoctorPostfix, ReadsARealConfigurationAndFailsOnAMilterThatLetsMailThrough) {
  if (!fs::exists("/usr/sbin/postconf")) GTEST_SKIP() << "Postfix is not installed (scripts/install-deps.sh installs it)";
  struct Folder {
    fs::path p = fs::temp_directory_path() / ("sanso-doctor-" + sanso::testing::random_hex(6));
    ~Folder() { fs::remove_all(p); }
    const fs::path& path() const { return p; }
  } dir;
  const fs::path pf = dir.path() / "postfix";
  fs::create_directories(pf);
  std::ofstream(dir.path() / "sanso.toml") << "[service]\nnode = \"gw\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                           << "/examples/minamata/policy.toml\"\n[quarantine]\nsmtp_relay = \"127.0.0.1:10026\"\n"
                                              "[listeners]\nmilter = \"unix:/run/sanso/milter.sock\"\n";
  auto write = [&](const std::string& main_extra) {
    std::ofstream(pf / "main.cf") << "compatibility_level = 3.6\nmydestination =\nrelay_domains = city.minamata.lg.jp\n"
                                     "sanso_milter = unix:/run/sanso/milter.sock\nsmtpd_milters = $sanso_milter\nnon_smtpd_milters = $smtpd_milters\n"
                                     "internal_mail_filter_classes = bounce, notify\nmilter_default_action = tempfail\n"
                                  << main_extra;
    std::ofstream(pf / "master.cf") << "smtp inet n - n - - smtpd\n127.0.0.1:10026 inet n - n - - smtpd\n  -o smtpd_milters=\n"
                                       "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\n";
  };
  const std::string args = "doctor postfix --json --config " + (dir.path() / "sanso.toml").string() + " --postfix-config " + pf.string();
  write("");
  auto good = sanso::testing::run_sanso(args);
  ASSERT_EQ(good.exit_code, 0) << good.output;
  auto doc = nlohmann::json::parse(good.output);
  EXPECT_EQ(doc["failures"], 0);
  write("milter_default_action = accept\n");
  auto bad = sanso::testing::run_sanso(args);
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  doc = nlohmann::json::parse(bad.output);
  EXPECT_EQ(doc["failures"], 2);
  bool named = false;
  for (const auto& c : doc["checks"]) named = named || (c["id"] == "postfix.milter-default-action" && c["verdict"] == "failure");
  EXPECT_TRUE(named) << bad.output;
  // A directory postconf cannot read is an error with postconf's reason, not a clean bill.
  auto missing = sanso::testing::run_sanso("doctor postfix --config " + (dir.path() / "sanso.toml").string() + " --postfix-config " +
                                           (dir.path() / "nowhere").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("postconf"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace sanso::mail
