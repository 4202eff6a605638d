#include "web/accounts.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/digest.h"
#include "web/totp.h"
#include "web/web_fixture.h"

namespace sanso::web {
namespace {

using namespace std::chrono_literals;
using testing::AccountsHarness;
using testing::detail;
using testing::records;

constexpr const char* kGood = "水俣の海は青い-2026";
constexpr const char* kOther = "another long secret";

class AccountsTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    h_ = std::make_unique<AccountsHarness>(GetParam());
    ASSERT_NE(h_->accounts_, nullptr);
    ASSERT_TRUE(accounts().set_password("tanaka", kGood, testing::as("kato")));
  }
  ConsoleAccounts& accounts() { return *h_->accounts_; }
  store::Database& db() { return *h_->reader_; }

  std::unique_ptr<AccountsHarness> h_;
};

TEST_P(AccountsTest, SignInOpensASessionAndIsRecorded) {
  auto in = accounts().sign_in("tanaka", kGood, "192.0.2.10");
  ASSERT_TRUE(in) << in.error().to_string();
  ASSERT_TRUE(in->session.has_value()) << in->reason;
  EXPECT_EQ(in->session->display, "田中 情報政策係長");
  EXPECT_FALSE(in->session->csrf.empty());

  auto found = accounts().session(in->token, "192.0.2.10");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "tanaka");
  EXPECT_EQ((*found)->csrf, in->session->csrf);

  auto set = records(db(), "account.set-password");
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0]["actor"], "kato");
  EXPECT_EQ(set[0]["subject"], "tanaka");
  auto signins = records(db(), "console.sign-in");
  ASSERT_EQ(signins.size(), 1u);
  EXPECT_EQ(signins[0]["actor"], "tanaka");
  EXPECT_EQ(signins[0]["outcome"], "ok");
  EXPECT_EQ(signins[0]["clause"], "6(6)");
  EXPECT_EQ(signins[0]["rule"], "console.authentication");
  EXPECT_EQ(detail(signins[0], "source"), "192.0.2.10");
  EXPECT_EQ(detail(signins[0], "session"), in->session->id);
}

TEST_P(AccountsTest, StoresOnlyAnArgon2idHashAndTheTokensHash) {
  auto in = accounts().sign_in("tanaka", kGood, "127.0.0.1");
  ASSERT_TRUE(in && in->session);
  auto account = db().query_one("SELECT password_hash FROM console_accounts WHERE name = 'tanaka'");
  ASSERT_TRUE(account && account->has_value());
  EXPECT_EQ((*account)->text(0).rfind("$argon2id$", 0), 0u) << (*account)->text(0);
  EXPECT_EQ((*account)->text(0).find(kGood), std::string::npos);
  auto session = db().query_one("SELECT token_sha256 FROM console_sessions WHERE name = 'tanaka'");
  ASSERT_TRUE(session && session->has_value());
  EXPECT_EQ((*session)->text(0), sha256_hex(in->token));
  // The table alone signs nobody in: its key is not a token.
  auto stolen = accounts().session((*session)->text(0), "127.0.0.1");
  ASSERT_TRUE(stolen);
  EXPECT_FALSE(stolen->has_value());
}

TEST_P(AccountsTest, RepeatedFailuresLockTheAccountForAWhile) {
  for (int i = 1; i <= 5; ++i) {
    auto in = accounts().sign_in("tanaka", "wrong password", "198.51.100.7");
    ASSERT_TRUE(in);
    EXPECT_FALSE(in->session.has_value());
    EXPECT_EQ(in->reason, "bad-password");
  }
  auto failures = records(db(), "console.sign-in");
  ASSERT_EQ(failures.size(), 5u);
  EXPECT_EQ(failures[0]["outcome"], "failed");
  EXPECT_EQ(detail(failures[0], "failures"), "1");
  EXPECT_EQ(failures[4]["outcome"], "locked-out");
  EXPECT_FALSE(detail(failures[4], "locked_until").empty());

  // Locked: even the right password is refused, and that is recorded too.
  auto locked = accounts().sign_in("tanaka", kGood, "198.51.100.7");
  ASSERT_TRUE(locked);
  EXPECT_FALSE(locked->session.has_value());
  EXPECT_EQ(locked->reason, "locked");
  EXPECT_EQ(detail(records(db(), "console.sign-in").back(), "reason"), "locked");

  h_->clock_.advance(16min);  // [web] lockout_minutes = 15
  auto later = accounts().sign_in("tanaka", kGood, "198.51.100.7");
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->session.has_value()) << later->reason;
}

TEST_P(AccountsTest, ASuccessResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", "wrong password", "x"));
  ASSERT_TRUE(accounts().sign_in("tanaka", kGood, "x")->session);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", "wrong password", "x"));
  auto in = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(in);
  EXPECT_TRUE(in->session.has_value()) << in->reason;
}

TEST_P(AccountsTest, AnUnknownNameIsRecordedByItsHashOnly) {
  // People type their password into the name field; the log must not keep it.
  const std::string typed = "Tanaka2026!secret";
  // Administration alone (as root, say) creates no key the console's own user could not read.
  const std::filesystem::path key_file = std::filesystem::path(h_->config_.data_dir) / "console-names.key";
  EXPECT_FALSE(std::filesystem::exists(key_file));
  auto in = accounts().sign_in(typed, "whatever", "203.0.113.5");
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->session.has_value());
  EXPECT_EQ(in->reason, "unknown-user");
  auto r = records(db(), "console.sign-in");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["actor"], "unknown");
  EXPECT_EQ(r[0].dump().find(typed), std::string::npos);
  // A keyed hash: a plain SHA-256 of a typed password could be found again by guessing.
  const std::string subject = r[0]["subject"];
  EXPECT_EQ(subject.find(sha256_hex(typed).substr(0, 16)), std::string::npos) << subject;
  struct stat st {};
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0) << key_file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream key_in(key_file, std::ios::binary);
  std::string key((std::istreambuf_iterator<char>(key_in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(key.size(), 32u);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(typed.data()), typed.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, mac, 8);
  EXPECT_EQ(subject, std::string("hmac:") + hex);
  // The key stays: the same mistake is recognisable across restarts.
  auto again = h_->make_accounts(h_->config_);
  ASSERT_TRUE(again->sign_in(typed, "whatever", "203.0.113.5"));
  EXPECT_EQ(records(db(), "console.sign-in").back()["subject"], subject);
}

TEST_P(AccountsTest, AdministeringAccountsNeedsAnAdministratorsRoleAndRefusalsAreRecorded) {
  auto session = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(session && session->session);
  for (const char* who : {"sato", "suzuki"}) {  // staff; an approver who signs in but does not administer
    const quarantine::Actor actor = testing::as(who);
    auto passwd = accounts().set_password("tanaka", kOther, actor);
    ASSERT_FALSE(passwd);
    EXPECT_EQ(passwd.error().code, "web.forbidden");
    EXPECT_NE(passwd.error().message.find("admin_roles"), std::string::npos) << passwd.error().message;
    EXPECT_EQ(accounts().unlock("tanaka", actor).error().code, "web.forbidden");
    EXPECT_EQ(accounts().enroll_second_factor("tanaka", actor).error().code, "web.forbidden");
    EXPECT_EQ(accounts().remove_second_factor("tanaka", actor).error().code, "web.forbidden");
    EXPECT_EQ(accounts().end_sessions("tanaka", actor).error().code, "web.forbidden");
  }
  // Nothing changed: the password, the session and the (absent) second factor are as they were.
  EXPECT_TRUE(accounts().session(session->token, "x")->has_value());
  EXPECT_TRUE(accounts().sign_in("tanaka", kGood, "x")->session.has_value());
  for (const char* action : {"account.set-password", "account.unlock", "account.enroll-second-factor", "account.remove-second-factor",
                             "account.end-sessions"}) {
    std::vector<nlohmann::json> refused;
    for (const auto& r : records(db(), action)) {
      if (r["outcome"] == "refused") refused.push_back(r);
    }
    ASSERT_EQ(refused.size(), 2u) << action;
    EXPECT_EQ(refused[0]["actor"], "sato") << action;
    EXPECT_EQ(refused[0]["subject"], "tanaka") << action;
    EXPECT_EQ(detail(refused[0], "reason"), "web.forbidden") << action;
    EXPECT_EQ(detail(refused[0], "via"), "test") << action;
    EXPECT_EQ(refused[1]["actor"], "suzuki") << action;
  }
  // An administrator (system_admin) may.
  EXPECT_TRUE(accounts().unlock("tanaka", testing::as("kato")));
}

TEST_P(AccountsTest, WrongCurrentPasswordsCountTowardsTheLock) {
  auto in = accounts().sign_in("tanaka", kGood, "pc-a");
  ASSERT_TRUE(in && in->session);
  for (int i = 1; i <= 4; ++i) {
    auto r = accounts().change_password(*in->session, "a guess " + std::to_string(i), kOther, "pc-a");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "web.bad-password");
  }
  auto last = accounts().change_password(*in->session, "a guess 5", kOther, "pc-a");
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, "web.locked");
  auto refused = records(db(), "account.change-password");
  ASSERT_EQ(refused.size(), 5u);
  EXPECT_EQ(detail(refused[0], "failures"), "1");
  EXPECT_FALSE(detail(refused[4], "locked_until").empty());
  // The account is locked for sign-ins too, and the session that guessed is over.
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x")->reason, "locked");
  EXPECT_FALSE(accounts().session(in->token, "pc-a")->has_value());
  EXPECT_EQ(records(db(), "console.sign-out").back()["outcome"], "locked-out");
  // While locked not even the right current password changes anything.
  auto locked = accounts().change_password(*in->session, kGood, kOther, "pc-a");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, "web.locked");
  EXPECT_EQ(detail(records(db(), "account.change-password").back(), "reason"), "locked");
}

TEST_P(AccountsTest, ARightCurrentPasswordResetsTheCount) {
  auto in = accounts().sign_in("tanaka", kGood, "pc-a");
  ASSERT_TRUE(in && in->session);
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(accounts().change_password(*in->session, "a guess", kOther, "pc-a"));
  ASSERT_TRUE(accounts().change_password(*in->session, kGood, kOther, "pc-a"));
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(accounts().sign_in("tanaka", "wrong password", "x")->session.has_value());
  EXPECT_TRUE(accounts().sign_in("tanaka", kOther, "x")->session.has_value());
}

// Simultaneous sign-ins, released together; returns how many passwords were really checked
// against the stored hash (each such check ends in "bad-password" or a session).
std::size_t race_sign_ins(ConsoleAccounts& accounts, store::Database& db, const std::vector<std::string>& passwords) {
  std::atomic<int> waiting{static_cast<int>(passwords.size())};
  std::vector<std::thread> threads;
  for (const auto& password : passwords) {
    threads.emplace_back([&, password] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      EXPECT_TRUE(accounts.sign_in("tanaka", password, "botnet"));
    });
  }
  for (auto& t : threads) t.join();
  std::size_t checked = 0;
  for (const auto& r : records(db, "console.sign-in")) {
    if (r["outcome"] == "ok" || detail(r, "reason") == "bad-password") ++checked;
  }
  return checked;
}

// Accounts whose password checks take long enough (a realistic Argon2id cost) for simultaneous
// attempts to really overlap; tanaka's password is kOther.
std::unique_ptr<ConsoleAccounts> slow_accounts(AccountsHarness& h) {
  AccountRules rules = testing::cheap_rules(h.config_);
  rules.argon2_ops = 2;
  rules.argon2_memory = 4u << 20;
  auto slow = h.make_accounts(h.config_, rules);
  EXPECT_TRUE(slow->set_password("tanaka", kOther, testing::as("kato")));
  return slow;
}

TEST_P(AccountsTest, SimultaneousWrongPasswordsAreCheckedNoMoreThanTheLockAllows) {
  auto slow = slow_accounts(*h_);
  EXPECT_EQ(race_sign_ins(*slow, db(), std::vector<std::string>(16, "wrong password")), 5u);  // max_failures
  EXPECT_EQ(slow->sign_in("tanaka", kOther, "x")->reason, "locked");
}

TEST_P(AccountsTest, OneRightPasswordAmongSimultaneousWrongOnesDoesNotOpenTheFloodgates) {
  auto slow = slow_accounts(*h_);
  std::vector<std::string> passwords(15, "wrong password");
  passwords.insert(passwords.begin() + 7, kOther);
  // As if in some order: at most max_failures wrong ones before the right one, as many after.
  EXPECT_LE(race_sign_ins(*slow, db(), passwords), 10u);
}

TEST_P(AccountsTest, EnrollingASecondFactorEndsSessionsOpenedWithoutOne) {
  auto a = accounts().sign_in("tanaka", kGood, "pc-a");
  auto b = accounts().sign_in("tanaka", kGood, "pc-b");
  ASSERT_TRUE(a && a->session && b && b->session);
  auto secret = accounts().enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret);
  EXPECT_FALSE(accounts().session(a->token, "pc-a")->has_value());
  EXPECT_FALSE(accounts().session(b->token, "pc-b")->has_value());
  auto ended = records(db(), "console.sign-out");
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0]["outcome"], "second-factor-enrolled");
  EXPECT_EQ(ended[0]["actor"], "kato");
  EXPECT_EQ(ended[0]["subject"], "tanaka");
  // A session opened with the code survives a new key (a replaced phone).
  auto t = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
  auto with = accounts().sign_in("tanaka", kGood, "pc-a", totp_code(*secret, static_cast<std::uint64_t>(t / 30)));
  ASSERT_TRUE(with && with->session) << with->reason;
  ASSERT_TRUE(accounts().enroll_second_factor("tanaka", testing::as("kato")));
  EXPECT_TRUE(accounts().session(with->token, "pc-a")->has_value());
}

TEST_P(AccountsTest, AReloadEndsTheSessionsOfPeopleWhoLostAccessAtOnce) {
  ASSERT_TRUE(accounts().set_password("suzuki", kOther, testing::as("kato")));
  auto tanaka = accounts().sign_in("tanaka", kGood, "pc-t");
  auto suzuki = accounts().sign_in("suzuki", kOther, "pc-s");
  ASSERT_TRUE(tanaka && tanaka->session && suzuki && suzuki->session);
  config::ServiceConfig changed = h_->config_;
  changed.operators[0].roles = {"staff"};           // tanaka: no console role any more
  changed.operators.erase(changed.operators.begin() + 1);  // suzuki: gone
  auto ended = accounts().reload(changed, testing::cheap_rules(changed));
  ASSERT_TRUE(ended) << ended.error().to_string();
  EXPECT_EQ(*ended, 2);
  // Recorded at the reload, before either comes back.
  auto outs = records(db(), "console.sign-out");
  ASSERT_EQ(outs.size(), 2u);
  for (const auto& r : outs) {
    EXPECT_EQ(r["outcome"], "revoked");
    EXPECT_EQ(detail(r, "by"), "sanso.toml reloaded");
  }
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x")->reason, "not-allowed");
  EXPECT_EQ(accounts().sign_in("suzuki", kOther, "x")->reason, "unknown-user");
  EXPECT_EQ(*accounts().reload(changed, testing::cheap_rules(changed)), 0);
}

TEST_P(AccountsTest, PeopleWithoutAConsoleRoleOrPasswordCannotSignIn) {
  ASSERT_TRUE(accounts().set_password("sato", "税務課のパスワードは長めに", testing::as("kato")));
  auto staff = accounts().sign_in("sato", "税務課のパスワードは長めに", "x");
  ASSERT_TRUE(staff);
  EXPECT_FALSE(staff->session.has_value());
  EXPECT_EQ(staff->reason, "not-allowed");
  auto nopass = accounts().sign_in("suzuki", "", "x");
  ASSERT_TRUE(nopass);
  EXPECT_FALSE(nopass->session.has_value());
  EXPECT_EQ(nopass->reason, "no-password");
}

TEST_P(AccountsTest, IdleAndOverlongSessionsEndAndAreRecorded) {
  auto idle = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(idle && idle->session);
  h_->clock_.advance(31min);  // [web] session_idle_minutes = 30
  auto gone = accounts().session(idle->token, "x");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto ends = records(db(), "console.sign-out");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]["outcome"], "idle");

  // In use every 20 minutes, a session still ends after session_max_hours = 12.
  auto busy = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(busy && busy->session);
  int alive_checks = 0;
  for (;;) {
    h_->clock_.advance(20min);
    auto s = accounts().session(busy->token, "x");
    ASSERT_TRUE(s);
    if (!s->has_value()) break;
    ++alive_checks;
  }
  EXPECT_EQ(alive_checks, 12 * 3 - 1);
  EXPECT_EQ(records(db(), "console.sign-out").back()["outcome"], "expired");
}

TEST_P(AccountsTest, AbandonedSessionsAreEndedAndRecordedAtTheNextSignIn) {
  auto left = accounts().sign_in("tanaka", kGood, "pc-left-on");
  ASSERT_TRUE(left && left->session);
  h_->clock_.advance(2h);  // nobody came back to it
  ASSERT_TRUE(accounts().set_password("suzuki", kOther, testing::as("kato")));
  auto other = accounts().sign_in("suzuki", kOther, "pc-2");
  ASSERT_TRUE(other && other->session);
  auto ends = records(db(), "console.sign-out");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0]["actor"], "tanaka");
  EXPECT_EQ(ends[0]["outcome"], "idle");
  EXPECT_EQ(detail(ends[0], "session"), left->session->id);
  EXPECT_EQ(detail(ends[0], "source"), "pc-left-on");
  auto rows = db().query("SELECT name FROM console_sessions");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "suzuki");
}

TEST_P(AccountsTest, AnAdministratorCanEndSomeonesSessions) {
  auto a = accounts().sign_in("tanaka", kGood, "pc-a");
  auto b = accounts().sign_in("tanaka", kGood, "tablet");
  ASSERT_TRUE(a && a->session && b && b->session);
  auto n = accounts().end_sessions("tanaka", testing::as("kato"));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_FALSE(accounts().session(a->token, "pc-a")->has_value());
  EXPECT_FALSE(accounts().session(b->token, "tablet")->has_value());
  auto ends = records(db(), "console.sign-out");
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0]["actor"], "kato");
  EXPECT_EQ(ends[0]["subject"], "tanaka");
  EXPECT_EQ(ends[0]["outcome"], "ended-by-administrator");
  EXPECT_EQ(*accounts().end_sessions("tanaka", testing::as("kato")), 0);
}

TEST_P(AccountsTest, ASecondFactorNeedsAFreshCodeEachTime) {
  auto secret = accounts().enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret) << secret.error().to_string();
  auto now = [&] { return std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count(); };
  auto code_at = [&](std::int64_t t) { return totp_code(*secret, static_cast<std::uint64_t>(t / 30)); };

  auto without = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(without);
  EXPECT_FALSE(without->session.has_value());
  EXPECT_EQ(without->reason, "bad-code");
  std::string code = code_at(now());
  auto wrong_password = accounts().sign_in("tanaka", "not it", "x", code);
  EXPECT_EQ(wrong_password->reason, "bad-password");
  auto with = accounts().sign_in("tanaka", kGood, "x", code);
  ASSERT_TRUE(with);
  ASSERT_TRUE(with->session.has_value()) << with->reason;
  EXPECT_EQ(detail(records(db(), "console.sign-in").back(), "factors"), "password+totp");
  // The same code again (read over a shoulder, or replayed) is refused, even within its 30 seconds.
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x", code)->reason, "bad-code");
  h_->clock_.advance(30s);
  EXPECT_TRUE(accounts().sign_in("tanaka", kGood, "x", code_at(now()))->session.has_value());
  // A code from the previous step is still taken (clocks drift), one from long ago is not.
  h_->clock_.advance(30s);
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x", code_at(now() - 600))->reason, "bad-code");
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x", "12345")->reason, "bad-code");
  // Wrong codes count towards the lock like wrong passwords.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", kGood, "x", "000000"));  // failures 3, 4, 5
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x", code_at(now()))->reason, "locked");
  EXPECT_EQ(records(db(), "account.enroll-second-factor").size(), 1u);
  auto listed = accounts().list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE((*listed)[0].has_second_factor);

  ASSERT_TRUE(accounts().unlock("tanaka", testing::as("kato")));
  ASSERT_TRUE(accounts().remove_second_factor("tanaka", testing::as("kato")));
  EXPECT_TRUE(accounts().sign_in("tanaka", kGood, "x")->session.has_value());
  EXPECT_EQ(records(db(), "account.remove-second-factor")[0]["actor"], "kato");
  EXPECT_FALSE(accounts().enroll_second_factor("suzuki", testing::as("kato")));  // no password yet
}

TEST_P(AccountsTest, WhenRequiredNobodySignsInWithoutASecondFactor) {
  config::ServiceConfig strict = h_->config_;
  strict.web.require_second_factor = true;
  auto accounts = h_->make_accounts(strict);
  auto in = accounts->sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->session.has_value());
  EXPECT_EQ(in->reason, "no-second-factor");
  auto secret = accounts->enroll_second_factor("tanaka", testing::as("kato"));
  ASSERT_TRUE(secret);
  auto t = std::chrono::duration_cast<std::chrono::seconds>(h_->clock_.now().time_since_epoch()).count();
  EXPECT_TRUE(accounts->sign_in("tanaka", kGood, "x", totp_code(*secret, static_cast<std::uint64_t>(t / 30)))->session.has_value());
}

TEST_P(AccountsTest, SignOutEndsTheSession) {
  auto in = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(in && in->session);
  ASSERT_TRUE(accounts().sign_out(in->token, "192.0.2.1"));
  auto s = accounts().session(in->token, "x");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->has_value());
  auto out = records(db(), "console.sign-out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["outcome"], "ok");
  EXPECT_EQ(detail(out[0], "session"), in->session->id);
  ASSERT_TRUE(accounts().sign_out(in->token, "x"));  // twice: nothing more happens
  EXPECT_EQ(records(db(), "console.sign-out").size(), 1u);
}

TEST_P(AccountsTest, WeakOrMalformedPasswordsAreRefusedWithAReason) {
  struct Case {
    std::string password;
    const char* says;
  };
  const Case cases[] = {{"short", "at least 12"},
                        {"tanaka-tanaka-tanaka", "user name"},
                        {std::string("valid prefix \xff\xfe rest"), "UTF-8"},
                        {std::string("with a nul \0 inside it", 22), "UTF-8"},
                        {std::string(2000, 'x'), "longer than"}};
  for (const auto& c : cases) {
    auto r = accounts().set_password("tanaka", c.password, testing::as("kato"));
    ASSERT_FALSE(r) << c.password;
    EXPECT_EQ(r.error().code, "web.password");
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
  }
  // Twelve characters, not bytes: six kanji are not enough.
  EXPECT_FALSE(accounts().set_password("tanaka", "情報政策係長", testing::as("kato")));
  auto unknown = accounts().set_password("yamada", kOther, testing::as("kato"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "web.unknown-user");
  // The old password still works: nothing was changed by the refusals.
  EXPECT_TRUE(accounts().sign_in("tanaka", kGood, "x")->session.has_value());
}

TEST_P(AccountsTest, ChangingThePasswordEndsTheOtherSessions) {
  auto a = accounts().sign_in("tanaka", kGood, "pc-a");
  auto b = accounts().sign_in("tanaka", kGood, "pc-b");
  ASSERT_TRUE(a && a->session && b && b->session);

  auto wrong = accounts().change_password(*a->session, "not my password", kOther, "pc-a");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "web.bad-password");
  auto weak = accounts().change_password(*a->session, kGood, "short", "pc-a");
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "web.password");
  auto refused = records(db(), "account.change-password");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0]["outcome"], "refused");
  EXPECT_EQ(detail(refused[0], "reason"), "bad-password");
  EXPECT_EQ(detail(refused[1], "reason"), "weak-password");

  ASSERT_TRUE(accounts().change_password(*a->session, kGood, kOther, "pc-a"));
  EXPECT_TRUE(accounts().session(a->token, "pc-a")->has_value());
  EXPECT_FALSE(accounts().session(b->token, "pc-b")->has_value());
  // The session it ended is on record too: every session in the log has an end.
  auto ended = records(db(), "console.sign-out");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["outcome"], "password-changed");
  EXPECT_EQ(detail(ended[0], "session"), b->session->id);
  EXPECT_EQ(detail(ended[0], "source"), "pc-b");
  EXPECT_FALSE(accounts().sign_in("tanaka", kGood, "x")->session.has_value());
  EXPECT_TRUE(accounts().sign_in("tanaka", kOther, "x")->session.has_value());
  EXPECT_EQ(records(db(), "account.change-password").back()["outcome"], "ok");
}

TEST_P(AccountsTest, AnAdministratorsResetAndUnlockLiftTheLock) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", "wrong password", "x"));
  EXPECT_EQ(accounts().sign_in("tanaka", kGood, "x")->reason, "locked");
  ASSERT_TRUE(accounts().unlock("tanaka", testing::as("kato")));
  EXPECT_TRUE(accounts().sign_in("tanaka", kGood, "x")->session.has_value());
  auto unlocks = records(db(), "account.unlock");
  ASSERT_EQ(unlocks.size(), 1u);
  EXPECT_EQ(unlocks[0]["actor"], "kato");
  EXPECT_FALSE(accounts().unlock("suzuki", testing::as("kato")));  // no password yet: nothing to unlock

  auto s = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(s && s->session);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", "wrong password", "x"));
  ASSERT_TRUE(accounts().set_password("tanaka", kOther, testing::as("kato")));
  EXPECT_FALSE(accounts().session(s->token, "x")->has_value());  // a reset ends every session
  EXPECT_EQ(records(db(), "console.sign-out").back()["actor"], "kato");
  EXPECT_EQ(records(db(), "console.sign-out").back()["outcome"], "password-changed");
  EXPECT_TRUE(accounts().sign_in("tanaka", kOther, "x")->session.has_value());
}

TEST_P(AccountsTest, SessionsEndWhenThePersonLosesTheConsoleRole) {
  auto in = accounts().sign_in("tanaka", kGood, "x");
  ASSERT_TRUE(in && in->session);
  config::ServiceConfig demoted = h_->config_;
  demoted.operators[0].roles = {"staff"};
  auto after = h_->make_accounts(demoted);
  auto s = after->session(in->token, "x");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->has_value());
  EXPECT_EQ(records(db(), "console.sign-out").back()["outcome"], "revoked");
}

TEST_P(AccountsTest, ListShowsWhoMaySignInAndWhoIsLocked) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(accounts().sign_in("tanaka", "wrong password", "x"));
  auto list = accounts().list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].name, "tanaka");
  EXPECT_TRUE((*list)[0].has_password);
  EXPECT_GT((*list)[0].locked_until, 0);
  EXPECT_EQ((*list)[1].name, "suzuki");
  EXPECT_FALSE((*list)[1].has_password);
  EXPECT_TRUE((*list)[1].may_sign_in);
  EXPECT_FALSE((*list)[2].may_sign_in);  // sato: staff
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsTest, ::testing::ValuesIn(sanso::testing::test_backends()),
                         sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::web
