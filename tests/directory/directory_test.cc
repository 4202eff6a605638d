// Sign-in against a real OpenLDAP server the test starts (tests/support/slapd_server.h): binding
// as the person over StartTLS and LDAPS, nested groups to roles, disabled accounts, hostile names,
// an untrusted certificate and the directory down.
#include "directory/directory.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ldap.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

#include "support/slapd_server.h"

namespace sanso::directory {
namespace {

using sanso::testing::SlapdServer;


class DirectorySignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<SlapdServer>("/tmp/sanso-slapd-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_->available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them), or slapd did not start";
  }
  Settings settings() const {
    Settings s;
    s.uri = server_->ldap_uri();
    s.transport = Transport::kStartTls;
    s.ca_file = server_->ca_file();
    s.bind_template = "uid={user},ou=people,dc=city,dc=example";
    s.base_dn = "dc=city,dc=example";
    s.user_filter = "(uid={user})";
    // Mapped by DN as an administrator might write it: other case, spaces after the commas.
    s.groups = {{"CN=Security-Managers, OU=Groups, DC=city, DC=example", {"security_manager"}, "lgwan"},
                {"cn=jouhou,ou=groups,dc=city,dc=example", {"staff"}, ""},
                {"cn=internet-desk,ou=groups,dc=city,dc=example", {"staff"}, "internet"}};
    return s;
  }
  static std::unique_ptr<SlapdServer> server_;
};
std::unique_ptr<SlapdServer> DirectorySignIn::server_;

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST_F(DirectorySignIn, APersonSignsInOverStartTlsWithNestedGroupsMappedToRoles) {
  auto p = sign_in(settings(), "tanaka", "tanaka-pass");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->dn, "uid=tanaka,ou=people,dc=city,dc=example");
  EXPECT_EQ(p->display_name, "田中 一郎");
  EXPECT_TRUE(has(p->groups, "cn=jouhou,ou=groups,dc=city,dc=example"));
  EXPECT_TRUE(has(p->groups, "cn=security-managers,ou=groups,dc=city,dc=example")) << "a group of a group counts";
  EXPECT_EQ(p->roles, (std::vector<std::string>{"security_manager", "staff"}));
  EXPECT_EQ(p->zone, "lgwan");
}

TEST_F(DirectorySignIn, LdapsWorksAndGroupLoopsEnd) {
  Settings s = settings();
  s.uri = server_->ldaps_uri();
  s.transport = Transport::kLdaps;
  auto p = sign_in(s, "suzuki", "suzuki-pass");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->roles, std::vector<std::string>{"staff"});
  EXPECT_EQ(p->zone, "internet");
  EXPECT_TRUE(has(p->groups, "cn=loop-a,ou=groups,dc=city,dc=example"));
  EXPECT_TRUE(has(p->groups, "cn=loop-b,ou=groups,dc=city,dc=example"));
}

TEST_F(DirectorySignIn, WrongPasswordsEmptyPasswordsAndDisabledAccountsAreRefused) {
  auto wrong = sign_in(settings(), "tanaka", "guess");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "directory.bad-credentials");
  // An empty password would be an unauthenticated bind, which slapd answers with success.
  auto empty = sign_in(settings(), "tanaka", "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "directory.bad-credentials");
  auto nobody = sign_in(settings(), "nobody", "x");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, "directory.bad-credentials");
  auto locked = sign_in(settings(), "yamada", "yamada-pass");
  ASSERT_FALSE(locked);
  EXPECT_TRUE(locked.error().code == "directory.disabled" || locked.error().code == "directory.bad-credentials") << locked.error().to_string();
}

TEST_F(DirectorySignIn, HostileNamesStayNames) {
  for (const char* name : {"*", "tanaka)(uid=*", "tanaka,ou=people", "uid=tanaka,ou=people,dc=city,dc=example", "tanaka\\2a", " tanaka", "tan\naka"}) {
    auto p = sign_in(settings(), name, "tanaka-pass");
    EXPECT_FALSE(p) << "'" << name << "' signed in as " << (p ? p->dn : "");
  }
  EXPECT_EQ(escape_filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  EXPECT_EQ(escape_dn_value("a,b=c+d\"e\\f<g>h;i"), "a\\,b\\=c\\+d\\\"e\\\\f\\<g\\>h\\;i");
  EXPECT_EQ(escape_dn_value("#x "), "\\#x\\ ");
}

// The directory matches names without regard to case, so "TANAKA" binds as tanaka: the person
// is named as the directory keeps them (uid, of the entry's own DN where uid has more values),
// or a spelling would be a second person to four-eyes checks, locks and second factors.
TEST_F(DirectorySignIn, ThePersonIsNamedAsTheDirectoryKeepsThemWhateverCaseWasTyped) {
  for (const char* typed : {"tanaka", "TANAKA", "Tanaka", "tAnAkA"}) {
    auto p = sign_in(settings(), typed, "tanaka-pass");
    ASSERT_TRUE(p) << typed << ": " << p.error().to_string();
    EXPECT_EQ(p->name, "tanaka") << "typed " << typed;
    EXPECT_EQ(p->roles, std::vector<std::string>({"security_manager", "staff"}));
  }
  // The name is read from the attribute the filter matches by equality; a filter that does not
  // match {user} so cannot name the person and is refused as settings.
  for (const char* filter : {"(cn=*{user}*)", "(uid~={user})", "(uid={user}*)"}) {
    Settings s = settings();
    s.user_filter = filter;
    auto p = sign_in(s, "tanaka", "tanaka-pass");
    ASSERT_FALSE(p) << filter;
    EXPECT_EQ(p.error().code, "directory.bad-settings") << filter;
  }
  Settings anded = settings();
  anded.user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
  auto p = sign_in(anded, "TANAKA", "tanaka-pass");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->name, "tanaka");
}

TEST_F(DirectorySignIn, GroupsThatPlaceAPersonOnBothSidesAreRefused) {
  auto both = sign_in(settings(), "both", "both-pass");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, "directory.ambiguous");
}

// tanaka's zone comes from security-managers, a group of his group: with the depth cut at one
// level it went unread and he signed in without it; a zone there could contradict one found
// nearer (the "both sides" refusal, evaded by nesting).
TEST_F(DirectorySignIn, GroupsNestedDeeperThanTheLimitRefuseTheSignIn) {
  Settings shallow = settings();
  shallow.max_group_depth = 1;
  auto cut = sign_in(shallow, "tanaka", "tanaka-pass");
  ASSERT_FALSE(cut) << "signed in with groups " << cut->groups.size() << ", zone '" << cut->zone << "'";
  EXPECT_EQ(cut.error().code, "directory.ambiguous");
  EXPECT_NE(cut.error().message.find("max_group_depth"), std::string::npos) << cut.error().message;
  // Deep enough for his two levels: signed in, as before.
  Settings enough = settings();
  enough.max_group_depth = 2;
  auto p = sign_in(enough, "tanaka", "tanaka-pass");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->zone, "lgwan");
}

TEST_F(DirectorySignIn, AnUntrustedCertificateOrCleartextToARemoteHostIsRefused) {
  Settings other_ca = settings();
  other_ca.ca_file = server_->other_ca_file();
  auto p = sign_in(other_ca, "tanaka", "tanaka-pass");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "directory.unavailable") << p.error().to_string();
  Settings clear = settings();
  clear.uri = "ldap://192.0.2.10";
  clear.transport = Transport::kNone;
  auto c = sign_in(clear, "tanaka", "tanaka-pass");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "directory.bad-settings");
  Settings mismatch = settings();
  mismatch.transport = Transport::kLdaps;  // with an ldap:// uri
  EXPECT_EQ(sign_in(mismatch, "tanaka", "tanaka-pass").error().code, "directory.bad-settings");
}

TEST_F(DirectorySignIn, AFilterThatFindsAnotherEntryLendsNoGroups) {
  Settings s = settings();
  s.user_filter = "(|(uid={user})(uid=suzuki))";  // a careless filter: two entries
  EXPECT_EQ(sign_in(s, "tanaka", "tanaka-pass").error().code, "directory.ambiguous");
  s.user_filter = "(&(uid=suzuki)(cn=*{user}*))";  // finds suzuki when tanaka signs in
  auto p = sign_in(s, "tanaka", "tanaka-pass");
  EXPECT_FALSE(p);
}

// Active Directory binds a user principal name (tanaka@city.example); OpenLDAP binds DNs only. So
// the test binds as the account's DN — the account AD would have resolved the name to — and checks
// what sign_in does next: the entry user_filter finds must be the one holding that name, and only
// one entry may hold it.
inline constexpr const char* kUpnDirectory = R"(dn: dc=city,dc=example
objectClass: dcObject
objectClass: organization
dc: city
o: Minamata City

dn: ou=people,dc=city,dc=example
objectClass: organizationalUnit
ou: people

dn: uid=tanaka,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
objectClass: sansoTestAdAccount
uid: tanaka
cn: Tanaka Ichiro
sn: Tanaka
userPrincipalName: Tanaka@City.Example
userPassword: tanaka-pass

dn: uid=kato.ichiro,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
objectClass: sansoTestAdAccount
uid: kato.ichiro
cn: Kato Ichiro
sn: Kato
userPrincipalName: kato@city.example
userPassword: kato-pass

dn: uid=kato,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
objectClass: sansoTestAdAccount
uid: kato
cn: Kato Jiro (security manager)
sn: Kato
userPrincipalName: kato.jiro@city.example
userPassword: jiro-pass

dn: uid=dup,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
objectClass: sansoTestAdAccount
uid: dup
cn: Dup One
sn: Dup
userPrincipalName: dup@city.example
userPassword: dup-pass

dn: uid=dup-other,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
objectClass: sansoTestAdAccount
uid: dup-other
cn: Dup Two
sn: Dup
userPrincipalName: DUP@city.example
userPassword: dup2-pass

dn: uid=noupn,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: noupn
cn: No Upn
sn: Upn
userPassword: noupn-pass
)";

class UserPrincipalNameSignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<SlapdServer>("/tmp/sanso-slapd-upn-" + std::to_string(::getpid()), kUpnDirectory); }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_->available()) GTEST_SKIP() << "slapd or openssl is not installed (scripts/install-deps.sh installs them), or slapd did not start";
  }
  static Settings settings() {
    Settings s;
    s.uri = server_->ldap_uri();
    s.transport = Transport::kNone;  // loopback
    s.bind_template = "{user}@city.example";
    s.base_dn = "dc=city,dc=example";
    s.user_filter = "(uid={user})";
    return s;
  }
  // Binds as `dn` (the account holding the user principal name), then does what sign_in does next.
  static Result<Person> after_binding_as(const std::string& dn, const std::string& password, const std::string& typed) {
    LDAP* raw = nullptr;
    EXPECT_EQ(ldap_initialize(&raw, server_->ldap_uri().c_str()), LDAP_SUCCESS);
    std::unique_ptr<LDAP, void (*)(LDAP*)> ld(raw, [](LDAP* l) { ldap_unbind_ext_s(l, nullptr, nullptr); });
    const int version = LDAP_VERSION3;
    ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    berval credential{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
    EXPECT_EQ(ldap_sasl_bind_s(ld.get(), dn.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr, nullptr, nullptr), LDAP_SUCCESS);
    return person_after_bind(settings(), ld.get(), typed, typed + "@city.example");
  }
  static std::unique_ptr<SlapdServer> server_;
};
std::unique_ptr<SlapdServer> UserPrincipalNameSignIn::server_;

TEST_F(UserPrincipalNameSignIn, TheEntryHoldingTheBoundNameIsAcceptedWhateverItsCase) {
  // Bound as TANAKA@city.example; the entry holds Tanaka@City.Example: the same name to AD.
  auto p = after_binding_as("uid=tanaka,ou=people,dc=city,dc=example", "tanaka-pass", "TANAKA");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->name, "tanaka");
  EXPECT_EQ(p->dn, "uid=tanaka,ou=people,dc=city,dc=example");
}

TEST_F(UserPrincipalNameSignIn, AnotherEntryFoundByTheFilterLendsNothing) {
  // kato@city.example is Kato Ichiro's; (uid=kato) finds Kato Jiro, whose groups must not follow.
  auto p = after_binding_as("uid=kato.ichiro,ou=people,dc=city,dc=example", "kato-pass", "kato");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "directory.ambiguous");
  EXPECT_NE(p.error().to_string().find("kato.jiro@city.example"), std::string::npos) << p.error().to_string();
}

TEST_F(UserPrincipalNameSignIn, ANameHeldByTwoEntriesOrByNoneIsRefused) {
  auto dup = after_binding_as("uid=dup,ou=people,dc=city,dc=example", "dup-pass", "dup");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "directory.ambiguous");
  EXPECT_NE(dup.error().to_string().find("2 entries"), std::string::npos) << dup.error().to_string();
  auto none = after_binding_as("uid=noupn,ou=people,dc=city,dc=example", "noupn-pass", "noupn");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "directory.ambiguous");
  EXPECT_NE(none.error().to_string().find("has no userPrincipalName"), std::string::npos) << none.error().to_string();
}

TEST_F(UserPrincipalNameSignIn, ABindNameNeitherDnNorUserPrincipalNameIsRefusedBeforeAnyBind) {
  for (const char* bind_template : {"CITY\\{user}", "{user}", "CITY\\{user}@city.example"}) {
    Settings s = settings();
    s.bind_template = bind_template;
    auto p = sign_in(s, "tanaka", "tanaka-pass");
    ASSERT_FALSE(p) << bind_template;
    EXPECT_EQ(p.error().code, "directory.bad-settings") << bind_template;
  }
}

TEST_F(DirectorySignIn, TheDirectoryDownIsUnavailableNotARefusal) {
  SlapdServer down("/tmp/sanso-slapd-down-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  if (!down.available()) GTEST_SKIP() << "a second slapd did not start";
  Settings s = settings();
  s.uri = down.ldap_uri();
  s.ca_file = down.ca_file();
  s.timeout = std::chrono::milliseconds(2000);
  ASSERT_TRUE(sign_in(s, "tanaka", "tanaka-pass"));
  down.stop();
  auto p = sign_in(s, "tanaka", "tanaka-pass");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "directory.unavailable") << p.error().to_string();
}

// A recipient is looked up without their password, bound as the service's lookup account: found
// by any name the directory accepts (and named as it keeps them), with their groups' roles and
// zone; nobody by an unknown or hostile name; a locked account and a person on both sides are
// errors, a wrong lookup password a settings error, and a directory that is down is unavailable.
// The training audience: the members of the training groups, nested groups followed (loops end),
// each person once, by the name the directory keeps; a listed group that does not exist is an error.
TEST_F(DirectorySignIn, TheTrainingAudienceIsEveryPersonOfTheTrainingGroupsOnce) {
  const std::string secret = (std::filesystem::path(server_->ca_file()).parent_path() / "audience.secret").string();
  std::ofstream(secret) << "tanaka-pass\n";
  Settings s = settings();
  s.lookup_bind = "uid=tanaka,ou=people,dc=city,dc=example";
  s.lookup_password_file = secret;
  const auto names = [](const std::vector<Member>& members) {
    std::vector<std::string> out;
    for (const auto& m : members) out.push_back(m.name);
    return out;
  };
  // security-managers holds jouhou, which holds tanaka and both.
  auto managers = members_of(s, {"cn=security-managers,ou=groups,dc=city,dc=example"});
  ASSERT_TRUE(managers) << managers.error().to_string();
  EXPECT_EQ(names(*managers), (std::vector<std::string>{"both", "tanaka"}));
  EXPECT_EQ((*managers)[1].display_name, "田中 一郎");
  // Two groups sharing "both", and the loop (loop-a ⇄ loop-b, with suzuki): each person once.
  auto all = members_of(s, {"cn=jouhou,ou=groups,dc=city,dc=example", "CN=Internet-Desk, OU=Groups, DC=city, DC=example",
                            "cn=loop-a,ou=groups,dc=city,dc=example"});
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(names(*all), (std::vector<std::string>{"both", "suzuki", "tanaka"}));

  auto typo = members_of(s, {"cn=jouhuo,ou=groups,dc=city,dc=example"});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, "directory.not-found");
  auto person = members_of(s, {"uid=suzuki,ou=people,dc=city,dc=example"});
  ASSERT_FALSE(person);
  EXPECT_EQ(person.error().code, "directory.not-found") << "training_groups lists groups";
  Settings none = settings();
  EXPECT_EQ(members_of(none, {"cn=jouhou,ou=groups,dc=city,dc=example"}).error().code, "directory.bad-settings") << "read as the lookup account";
}

TEST_F(DirectorySignIn, ARecipientIsLookedUpWithTheServicesAccountNotTheirPassword) {
  const std::string secret = (std::filesystem::path(server_->ca_file()).parent_path() / "lookup.secret").string();
  std::ofstream(secret) << "tanaka-pass\n";
  Settings s = settings();
  s.lookup_bind = "uid=tanaka,ou=people,dc=city,dc=example";
  s.lookup_password_file = secret;
  auto found = look_up(s, "ICHIRO.TANAKA");
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "tanaka");
  EXPECT_EQ((*found)->zone, "lgwan");
  EXPECT_TRUE(has((*found)->roles, "security_manager"));
  auto desk = look_up(s, "suzuki");
  ASSERT_TRUE(desk && desk->has_value());
  EXPECT_EQ((*desk)->zone, "internet");

  for (const char* nobody : {"nobody", "vendor@example.com", "*", "tanaka)(uid=*", "a\nb"}) {
    auto r = look_up(s, nobody);
    ASSERT_TRUE(r) << nobody << ": " << r.error().to_string();
    EXPECT_FALSE(r->has_value()) << nobody;
  }
  EXPECT_EQ(look_up(s, "yamada").error().code, "directory.disabled");
  EXPECT_EQ(look_up(s, "both").error().code, "directory.ambiguous");

  std::ofstream(secret) << "guess\n";
  EXPECT_EQ(look_up(s, "tanaka").error().code, "directory.bad-settings");
  Settings none = settings();
  EXPECT_EQ(look_up(none, "tanaka").error().code, "directory.bad-settings") << "no lookup account, no lookup";

  SlapdServer down("/tmp/sanso-slapd-lookup-" + std::to_string(::getpid()), sanso::testing::kCityDirectory);
  if (!down.available()) return;
  Settings gone = s;
  std::ofstream(secret) << "tanaka-pass\n";
  gone.uri = down.ldap_uri();
  gone.ca_file = down.ca_file();
  gone.timeout = std::chrono::milliseconds(2000);
  ASSERT_TRUE(look_up(gone, "tanaka"));
  down.stop();
  auto r = look_up(gone, "tanaka");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "directory.unavailable") << r.error().to_string();
}

// PPAP from mail: the LGWAN recipient is found by the address the mail names — case aside, through
// the lookup account, as look_up finds them — and never guessed: two entries holding one address,
// a disabled one, or something that is no plain address find nobody or an error.
TEST_F(DirectorySignIn, ARecipientIsFoundByTheirMailAddressAndNeverGuessed) {
  const std::string extra = std::string(sanso::testing::kCityDirectory) + R"(
dn: uid=sato,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: sato
cn: Sato Jiro
sn: Sato
mail: madoguchi@city.example.lg.jp
userPassword: sato-pass

dn: uid=kimura,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: kimura
cn: Kimura Ken
sn: Kimura
mail: madoguchi@city.example.lg.jp
userPassword: kimura-pass

dn: uid=ono,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: ono
cn: Ono Aki
sn: Ono
mail: ono@city.example.lg.jp
userPassword: ono-pass
pwdAccountLockedTime: 000001010000Z
)";
  SlapdServer ldap("/tmp/sanso-slapd-mail-" + std::to_string(::getpid()), extra);
  if (!ldap.available()) GTEST_SKIP() << "slapd did not start";
  const std::string secret = (std::filesystem::path(ldap.ca_file()).parent_path() / "lookup.secret").string();
  std::ofstream(secret) << "tanaka-pass\n";
  Settings s = settings();
  s.uri = ldap.ldap_uri();
  s.ca_file = ldap.ca_file();
  s.lookup_bind = "uid=tanaka,ou=people,dc=city,dc=example";
  s.lookup_password_file = secret;
  auto tanaka = look_up_by_mail(s, "Tanaka@City.Example.LG.JP");
  ASSERT_TRUE(tanaka) << tanaka.error().to_string();
  ASSERT_TRUE(tanaka->has_value());
  EXPECT_EQ((*tanaka)->name, "tanaka");
  EXPECT_EQ((*tanaka)->zone, "lgwan");
  EXPECT_TRUE(has((*tanaka)->roles, "security_manager"));
  for (const char* nobody : {"nobody@city.example.lg.jp", "*", "*@city.example.lg.jp", "tanaka@city.example.lg.jp)(mail=*", "", "tanaka"}) {
    auto r = look_up_by_mail(s, nobody);
    ASSERT_TRUE(r) << nobody << ": " << r.error().to_string();
    EXPECT_FALSE(r->has_value()) << nobody;
  }
  auto shared = look_up_by_mail(s, "madoguchi@city.example.lg.jp");
  ASSERT_FALSE(shared) << "two people hold the address: " << ((shared && *shared) ? (*shared)->name : "");
  EXPECT_EQ(shared.error().code, "directory.ambiguous");
  auto locked = look_up_by_mail(s, "ono@city.example.lg.jp");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, "directory.disabled");
  Settings none = s;
  none.lookup_bind.clear();
  EXPECT_EQ(look_up_by_mail(none, "tanaka@city.example.lg.jp").error().code, "directory.bad-settings") << "no lookup account, no lookup";
}

// A "directory" on loopback that accepts and then goes silent at the TLS handshake: over LDAPS at
// once; with StartTLS after answering the StartTLS request with success (as a server, or a
// machine in the middle, may).
class SilentAtHandshake {
 public:
  explicit SilentAtHandshake(bool answer_starttls) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 4);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (!answer_starttls) return;  // the kernel completes the TCP handshake; nobody speaks TLS
    server_ = std::thread([this] {
      accepted_ = ::accept(listener_, nullptr, nullptr);
      if (accepted_ < 0) return;
      char request[512];
      if (::recv(accepted_, request, sizeof request, 0) <= 0) return;
      // ExtendedResponse to message 1: success, responseName 1.3.6.1.4.1.1466.20037.
      const std::string oid = "1.3.6.1.4.1.1466.20037";
      std::string answer = {0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, static_cast<char>(0x8a), 0x16};
      answer += oid;
      ::send(accepted_, answer.data(), answer.size(), MSG_NOSIGNAL);
    });
  }
  ~SilentAtHandshake() { close(); }
  // Ends the silence (the client's reads fail): what lets a hung sign-in return at all.
  void close() {
    if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR), ::close(listener_);
    listener_ = -1;
    if (server_.joinable()) server_.join();
    if (accepted_ >= 0) ::close(accepted_);
    accepted_ = -1;
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int accepted_ = -1;
  std::uint16_t port_ = 0;
  std::thread server_;
};

void expect_unavailable_within_seconds(Transport transport, const char* scheme, bool answer_starttls) {
  SilentAtHandshake server(answer_starttls);
  Settings s;
  s.uri = std::string(scheme) + "127.0.0.1:" + std::to_string(server.port());
  s.transport = transport;
  s.bind_template = "uid={user},ou=people,dc=city,dc=example";
  s.base_dn = "dc=city,dc=example";
  s.timeout = std::chrono::milliseconds(1000);
  const auto started = std::chrono::steady_clock::now();
  auto signing_in = std::async(std::launch::async, [&] { return sign_in(s, "tanaka", "tanaka-pass"); });
  const bool returned = signing_in.wait_for(std::chrono::seconds(15)) == std::future_status::ready;
  EXPECT_TRUE(returned) << s.uri << ": the sign-in still hangs after 15 s with a timeout of 1 s";
  server.close();
  auto result = signing_in.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "directory.unavailable") << result.error().to_string();
  if (returned) {
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  }
}

TEST(DirectoryTimeouts, AServerSilentAtTheTlsHandshakeIsUnavailableWithinTheTimeout) {
  expect_unavailable_within_seconds(Transport::kLdaps, "ldaps://", false);
  expect_unavailable_within_seconds(Transport::kStartTls, "ldap://", true);
}

}  // namespace
}  // namespace sanso::directory
