// Console sign-in through the city's directory, against a real OpenLDAP server the test starts
// (tests/support/slapd_server.h): who the directory vouches for, with the roles and zone of their
// groups; local passwords kept for emergencies and never overridden by the directory; an outage
// told apart from a refusal.
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/slapd_server.h"
#include "web/accounts.h"
#include "web/totp.h"
#include "web/web_fixture.h"

namespace sanso::web {
namespace {

using namespace std::chrono_literals;
using sanso::testing::SlapdServer;
using testing::AccountsHarness;
using testing::detail;
using testing::records;

constexpr const char* kEmergency = "緊急用の長いパスワード-2026";

class DirectoryAccounts : public ::testing::TestWithParam<store::Backend> {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<SlapdServer>("/tmp/sanso-slapd-web-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!server_->available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them), or slapd did not start";
    start(city_with_directory(server_->ldap_uri(), server_->ca_file()));
  }

  // Only kato (system_admin) is a local account: the emergency one. Everyone else is the
  // directory's; its security-managers group grants the console role.
  static config::ServiceConfig city_with_directory(const std::string& uri, const std::string& ca) {
    config::ServiceConfig c = testing::city_config();
    c.operators = {{"kato", "加藤 システム管理者", {"system_admin"}, "lgwan"}};
    c.directory.uri = uri;
    c.directory.transport = directory::Transport::kStartTls;
    c.directory.ca_file = ca;
    c.directory.bind_template = "uid={user},ou=people,dc=city,dc=example";
    c.directory.base_dn = "dc=city,dc=example";
    c.directory.timeout = 2s;
    c.directory.groups = {{"cn=security-managers,ou=groups,dc=city,dc=example", {"security_manager"}, "lgwan"},
                          {"cn=internet-desk,ou=groups,dc=city,dc=example", {"staff"}, "internet"}};
    return c;
  }

  void start(config::ServiceConfig c) {
    h_ = std::make_unique<AccountsHarness>(GetParam(), std::move(c));
    ASSERT_NE(h_->accounts_, nullptr);
    ASSERT_TRUE(accounts().set_password("kato", kEmergency, testing::as("kato")));
  }

  ConsoleAccounts& accounts() { return *h_->accounts_; }
  store::Database& db() { return *h_->reader_; }

  static std::unique_ptr<SlapdServer> server_;
  std::unique_ptr<AccountsHarness> h_;
};
std::unique_ptr<SlapdServer> DirectoryAccounts::server_;

TEST_P(DirectoryAccounts, ThePersonTheDirectoryVouchesForHoldsTheRolesOfTheirGroups) {
  auto in = accounts().sign_in("tanaka", "tanaka-pass", "192.0.2.10");
  ASSERT_TRUE(in) << in.error().to_string();
  ASSERT_TRUE(in->session.has_value()) << in->reason;
  EXPECT_TRUE(in->session->from_directory);
  EXPECT_EQ(in->session->display, "田中 一郎");
  EXPECT_EQ(in->session->roles, std::vector<std::string>{"security_manager"}) << "a group of a group counts";
  EXPECT_EQ(in->session->zone, "lgwan");

  // Every later request finds the same person with the same roles, from the session itself.
  auto found = accounts().session(in->token, "192.0.2.10");
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "tanaka");
  EXPECT_EQ((*found)->roles, std::vector<std::string>{"security_manager"});
  EXPECT_EQ((*found)->zone, "lgwan");
  EXPECT_TRUE((*found)->from_directory);

  auto signins = records(db(), "console.sign-in");
  ASSERT_EQ(signins.size(), 1u);
  EXPECT_EQ(signins[0]["outcome"], "ok");
  EXPECT_EQ(detail(signins[0], "via"), "directory");
  EXPECT_EQ(detail(signins[0], "roles"), "security_manager");
  EXPECT_EQ(detail(signins[0], "zone"), "lgwan");

  // Their password is the directory's: the console does not keep or change it.
  auto change = accounts().change_password(**found, "tanaka-pass", "a new long password 2026", "192.0.2.10");
  ASSERT_FALSE(change);
  EXPECT_NE(change.error().message.find("directory"), std::string::npos) << change.error().to_string();
  auto row = db().query_one("SELECT password_hash FROM console_accounts WHERE name = 'tanaka'");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->text(0), "") << "no local password is made for a directory person";
}

// The directory's groups map to roles, and the roles to page groups ([web.permissions]): the
// internet desk's staff exchange files and see nothing else; the security managers (a group
// nested in theirs) see everything. What a session may do is read again at every request.
TEST_P(DirectoryAccounts, TheirGroupsRolesDecideWhichPagesTheyMayUse) {
  config::ServiceConfig c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  c.web.permissions = {{"transfer", {"staff", "security_manager"}},
                       {"approvals", {"security_manager"}},
                       {"quarantine", {"security_manager"}},
                       {"audit", {"security_manager"}},
                       {"findings", {"security_manager"}},
                       {"registers", {"security_manager"}},
                       {"inspection", {"security_manager"}}};
  c.web.roles = {"staff", "security_manager"};
  start(c);
  auto staff = accounts().sign_in("suzuki", "suzuki-pass", "192.0.2.10");  // internet-desk: staff
  ASSERT_TRUE(staff) << staff.error().to_string();
  ASSERT_TRUE(staff->session.has_value()) << staff->reason;
  EXPECT_TRUE(staff->session->may(Permission::kTransfer));
  for (Permission p : kAllPermissions) {
    if (p != Permission::kTransfer) EXPECT_FALSE(staff->session->may(p)) << to_string(p);
  }
  auto manager = accounts().sign_in("tanaka", "tanaka-pass", "192.0.2.10");
  ASSERT_TRUE(manager && manager->session.has_value());
  for (Permission p : kAllPermissions) EXPECT_TRUE(manager->session->may(p)) << to_string(p);
  auto signins = records(db(), "console.sign-in");
  ASSERT_EQ(signins.size(), 2u);
  EXPECT_EQ(detail(signins[0], "permissions"), "transfer");
  EXPECT_EQ(detail(signins[1], "permissions"), "transfer, approvals, quarantine, audit, findings, registers, inspection");

  // A reload that gives staff the quarantine too applies to the open session at its next request.
  c.web.permissions["quarantine"].push_back("staff");
  ASSERT_TRUE(accounts().reload(c, testing::cheap_rules(c)));
  auto again = accounts().session(staff->token, "192.0.2.10");
  ASSERT_TRUE(again && again->has_value());
  EXPECT_TRUE((*again)->may(Permission::kQuarantine));
  EXPECT_FALSE((*again)->may(Permission::kAudit));
}

TEST_P(DirectoryAccounts, WrongPasswordsDisabledAccountsAndPeopleWithoutAConsoleRoleAreRefused) {
  auto wrong = accounts().sign_in("tanaka", "not-the-password", "192.0.2.10");
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(wrong->session);
  EXPECT_EQ(wrong->reason, "bad-password");

  auto locked = accounts().sign_in("yamada", "yamada-pass", "192.0.2.10");  // locked in the directory
  ASSERT_TRUE(locked);
  EXPECT_FALSE(locked->session);
  EXPECT_EQ(locked->reason, "disabled");

  auto staff = accounts().sign_in("suzuki", "suzuki-pass", "192.0.2.10");  // internet-desk: staff only
  ASSERT_TRUE(staff);
  EXPECT_FALSE(staff->session);
  EXPECT_EQ(staff->reason, "not-allowed");

  auto both = accounts().sign_in("both", "both-pass", "192.0.2.10");  // groups on both sides
  ASSERT_TRUE(both);
  EXPECT_FALSE(both->session);
  EXPECT_EQ(both->reason, "directory-refused");

  for (const char* hostile : {"*)(uid=*", "*", "tanaka)(|(uid=*", "uid=tanaka,ou=people,dc=city,dc=example"}) {
    auto in = accounts().sign_in(hostile, "tanaka-pass", "192.0.2.10");
    ASSERT_TRUE(in);
    EXPECT_FALSE(in->session) << hostile;
  }
  // A name nobody signed in as is recorded by its keyed hash, as local ones are.
  auto signins = records(db(), "console.sign-in");
  ASSERT_FALSE(signins.empty());
  EXPECT_EQ(signins.back()["actor"], "unknown");
  EXPECT_EQ(signins.back()["subject"].get<std::string>().rfind("hmac:", 0), 0u);
}

TEST_P(DirectoryAccounts, OnceVouchedForTheirWrongPasswordsCountTowardsTheConsolesLock) {
  ASSERT_TRUE(accounts().sign_in("tanaka", "tanaka-pass", "x")->session);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(accounts().sign_in("tanaka", "guess " + std::to_string(i), "x")->reason, "bad-password");
  // Locked here now: even the right password waits, and the directory is not asked.
  auto in = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->session);
  EXPECT_EQ(in->reason, "locked");
  h_->clock_.advance(16min);
  EXPECT_TRUE(accounts().sign_in("tanaka", "tanaka-pass", "x")->session);
}

TEST_P(DirectoryAccounts, ALocalPasswordKeepsAnAccountLocalWhateverTheDirectorySays) {
  config::ServiceConfig c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  c.operators.push_back({"tanaka", "田中 情報政策係長（緊急用）", {"security_manager"}, "lgwan"});
  start(c);
  ASSERT_TRUE(accounts().set_password("tanaka", kEmergency, testing::as("kato")));
  auto directory_password = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(directory_password);
  EXPECT_FALSE(directory_password->session) << "the directory's password must not open a local account";
  EXPECT_EQ(directory_password->reason, "bad-password");
  auto local = accounts().sign_in("tanaka", kEmergency, "x");
  ASSERT_TRUE(local);
  ASSERT_TRUE(local->session) << local->reason;
  EXPECT_FALSE(local->session->from_directory);
  EXPECT_EQ(local->session->display, "田中 情報政策係長（緊急用）");
}

TEST_P(DirectoryAccounts, WithTheDirectoryDownTheEmergencyAccountStillSignsIn) {
  SlapdServer down("/tmp/sanso-slapd-web-down-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  if (!down.available()) GTEST_SKIP() << "a second slapd did not start";
  start(city_with_directory(down.ldap_uri(), down.ca_file()));
  ASSERT_TRUE(accounts().sign_in("tanaka", "tanaka-pass", "x")->session);
  down.stop();

  auto in = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_FALSE(in->session);
  EXPECT_EQ(in->reason, "directory-unavailable");
  auto signins = records(db(), "console.sign-in");
  ASSERT_FALSE(signins.empty());
  EXPECT_EQ(signins.back()["outcome"], "failed");
  EXPECT_NE(detail(signins.back(), "error").find("directory.unavailable"), std::string::npos);
  // An outage is not a guess: it does not bring the person nearer to a lock.
  auto failures = db().query_one("SELECT failures FROM console_accounts WHERE name = 'tanaka'");
  ASSERT_TRUE(failures && *failures);
  EXPECT_EQ((*failures)->integer(0), 0);

  auto emergency = accounts().sign_in("kato", kEmergency, "x");
  ASSERT_TRUE(emergency);
  ASSERT_TRUE(emergency->session) << emergency->reason;
  EXPECT_FALSE(emergency->session->from_directory);
}

TEST_P(DirectoryAccounts, AReloadEndsDirectorySessionsThatNoLongerHold) {
  auto in = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(in && in->session);
  // The group no longer grants a console role.
  config::ServiceConfig c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  c.web.roles = {"system_admin"};
  auto ended = accounts().reload(c, testing::cheap_rules(c));
  ASSERT_TRUE(ended) << ended.error().to_string();
  EXPECT_EQ(*ended, 1);
  auto found = accounts().session(in->token, "x");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());

  // The directory taken out of sanso.toml: its people's sessions end too.
  c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  ASSERT_TRUE(accounts().reload(c, testing::cheap_rules(c)));
  in = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(in && in->session);
  c.directory = {};
  ended = accounts().reload(c, testing::cheap_rules(c));
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, 1);
  EXPECT_FALSE(accounts().session(in->token, "x")->has_value());
  EXPECT_EQ(accounts().sign_in("tanaka", "tanaka-pass", "x")->reason, "unknown-user");
}

TEST_P(DirectoryAccounts, ARequiredSecondFactorAppliesToDirectoryPeopleToo) {
  config::ServiceConfig c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  c.web.require_second_factor = true;
  start(c);
  auto first = accounts().sign_in("tanaka", "tanaka-pass", "x");
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->session);
  EXPECT_EQ(first->reason, "no-second-factor");
  // The directory vouched for them, so an administrator can now give them a second factor.
  auto secret = accounts().enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret) << secret.error().to_string();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
  std::string right = totp_code(*secret, static_cast<std::uint64_t>(now / 30));
  std::string wrong = right;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  EXPECT_EQ(accounts().sign_in("tanaka", "tanaka-pass", "x", wrong)->reason, "bad-code");
  h_->clock_.advance(31s);
  const auto later = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
  auto in = accounts().sign_in("tanaka", "tanaka-pass", "x", totp_code(*secret, static_cast<std::uint64_t>(later / 30)));
  ASSERT_TRUE(in);
  ASSERT_TRUE(in->session) << in->reason;
  EXPECT_EQ(detail(records(db(), "console.sign-in").back(), "factors"), "password+totp");
}

// The directory binds "TANAKA" as tanaka. Kept as typed, each spelling was another person: a
// second session name to pass four-eyes checks with (send as tanaka, approve as TANAKA), a
// second factor and a lock that applied to one spelling only, a local emergency account's name
// opened with the directory's password.
TEST_P(DirectoryAccounts, EverySpellingTheDirectoryAcceptsIsTheOnePersonItKeeps) {
  auto in = accounts().sign_in("TANAKA", "tanaka-pass", "x");
  ASSERT_TRUE(in) << in.error().to_string();
  ASSERT_TRUE(in->session) << in->reason;
  EXPECT_EQ(in->session->name, "tanaka");
  auto found = accounts().session(in->token, "x");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->name, "tanaka");
  auto signins = records(db(), "console.sign-in");
  ASSERT_FALSE(signins.empty());
  EXPECT_EQ(signins.back()["actor"], "tanaka");
  EXPECT_EQ(detail(signins.back(), "typed"), "TANAKA");
  auto rows = db().query_one("SELECT COUNT(*) FROM console_accounts WHERE name <> 'kato'");
  ASSERT_TRUE(rows && *rows);
  EXPECT_EQ((*rows)->integer(0), 1) << "one account for every spelling";

  // tanaka's second factor holds under any spelling, and wrong codes count towards his lock.
  auto secret = accounts().enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret) << secret.error().to_string();
  EXPECT_EQ(accounts().sign_in("Tanaka", "tanaka-pass", "x")->reason, "bad-code");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(accounts().sign_in("tanakA", "tanaka-pass", "x", "000000")->reason, "bad-code");
  auto locked = db().query_one("SELECT locked_until FROM console_accounts WHERE name = 'tanaka'");
  ASSERT_TRUE(locked && *locked);
  EXPECT_GT((*locked)->integer(0), 0) << "five wrong codes under other spellings lock tanaka";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
  EXPECT_EQ(accounts().sign_in("TANAKA", "tanaka-pass", "x", totp_code(*secret, static_cast<std::uint64_t>(now / 30)))->reason, "locked");
}

// Wrong passwords under other spellings are guesses at tanaka's password: they count towards his
// lock, and his lock holds whatever spelling is typed. Before, a spelling without an account of
// its own went straight to the directory, uncounted, however often.
TEST_P(DirectoryAccounts, WrongPasswordsUnderOtherSpellingsCountTowardsTheOnePersonsLock) {
  ASSERT_TRUE(accounts().sign_in("tanaka", "tanaka-pass", "x")->session);
  for (const char* typed : {"TANAKA", "Tanaka", "tAnaka", "taNaka", "tanAka"}) {
    EXPECT_EQ(accounts().sign_in(typed, "guess", "x")->reason, "bad-password") << typed;
  }
  for (const char* typed : {"tanaka", "TANAKA", "Tanaka"}) {
    auto in = accounts().sign_in(typed, "tanaka-pass", "x");
    ASSERT_TRUE(in) << in.error().to_string();
    EXPECT_FALSE(in->session) << typed << " signed in past five wrong passwords";
    EXPECT_EQ(in->reason, "locked") << typed;
  }
  auto failed = records(db(), "console.sign-in");
  ASSERT_GE(failed.size(), 6u);
  EXPECT_EQ(failed[1]["actor"], "tanaka") << "recorded against the account the spelling names";
  EXPECT_EQ(detail(failed[1], "typed"), "TANAKA");
  h_->clock_.advance(16min);
  auto later = accounts().sign_in("TANAKA", "tanaka-pass", "x");
  ASSERT_TRUE(later && later->session) << (later ? later->reason : later.error().to_string());
  EXPECT_EQ(later->session->name, "tanaka");
}

TEST_P(DirectoryAccounts, AnotherSpellingDoesNotOpenALocalAccountWithTheDirectorysPassword) {
  config::ServiceConfig c = city_with_directory(server_->ldap_uri(), server_->ca_file());
  c.operators.push_back({"tanaka", "田中 情報政策係長（緊急用）", {"security_manager"}, "lgwan"});
  start(c);
  ASSERT_TRUE(accounts().set_password("tanaka", kEmergency, testing::as("kato")));
  for (const char* typed : {"TANAKA", "Tanaka"}) {
    auto in = accounts().sign_in(typed, "tanaka-pass", "x");
    ASSERT_TRUE(in) << in.error().to_string();
    EXPECT_FALSE(in->session) << typed << " opened a session as " << (in->session ? in->session->name : "");
    EXPECT_EQ(in->reason, "directory-refused");
  }
  auto sessions = db().query_one("SELECT COUNT(*) FROM console_sessions");
  ASSERT_TRUE(sessions && *sessions);
  EXPECT_EQ((*sessions)->integer(0), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, DirectoryAccounts, ::testing::ValuesIn(sanso::testing::test_backends()),
                         sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
