#include "web/accounts.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <tuple>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "config/config.h"
#include "core/digest.h"
#include "core/text.h"
#include "quarantine/internal/sealed_blob.h"
#include "store/database.h"
#include "store/shared_database.h"
#include "web/internal/audit_event.h"
#include "web/totp.h"

namespace sanso::web {
namespace {

using store::Database;
using store::Transaction;

constexpr internal::AuditRule kRules{"console.authentication", "6(6)"};  // 技術的セキュリティ: アクセス制御、不正アクセス対策
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::int64_t kLastSeenResolution = 60;  // seconds; fewer writes on busy pages
// The step of a valid, unused code (auth::unused_totp_step): the command line checks codes the same way.
std::optional<std::int64_t> matching_step(const std::string& secret, const std::string& code, std::int64_t now, std::int64_t last_used) {
  return auth::unused_totp_step(secret, code, now, last_used);
}

std::string random_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  return v.empty() ? "none set" : join(v, ", ");
}

bool holds_any(const std::vector<std::string>& roles, const std::vector<std::string>& wanted) {
  return std::any_of(roles.begin(), roles.end(),
                     [&](const std::string& r) { return std::find(wanted.begin(), wanted.end(), r) != wanted.end(); });
}

// The roles a directory session holds, kept with it as a JSON array: a role id is whatever the
// policy spells, so no separator is safe.
std::string role_list(const std::vector<std::string>& roles) { return nlohmann::json(roles).dump(); }
std::vector<std::string> split_roles(const std::string& list) {
  auto parsed = nlohmann::json::parse(list, nullptr, false);
  std::vector<std::string> out;
  if (!parsed.is_array()) return out;  // unreadable: no roles, so the session does not hold
  for (const auto& r : parsed) {
    if (r.is_string()) out.push_back(r.get<std::string>());
  }
  return out;
}

constexpr const char* kFromDirectory = "directory";

std::size_t code_points(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

AccountRules account_rules_from(const config::ServiceConfig& config) {
  AccountRules r;
  r.roles = config.web.roles;
  r.admin_roles = config.web.admin_roles;
  r.permissions = PermissionMap::from(config.web);
  r.session_idle_seconds = config.web.session_idle_minutes * 60;
  r.session_max_seconds = config.web.session_max_hours * 3600;
  r.max_failures = config.web.max_failures;
  r.lockout_seconds = config.web.lockout_minutes * 60;
  r.min_password_length = static_cast<std::size_t>(config.web.min_password_length);
  r.require_second_factor = config.web.require_second_factor;
  r.directory = config.directory;
  return r;
}

struct ConsoleAccounts::Impl {
  // The service's connection (`db` is it): used only under a Lock.
  store::SharedDatabase* shared = nullptr;
  Database* db = nullptr;
  std::mutex mu;  // guards operators and rules (a reload replaces them), and the use of db
  // The accounts' own state, then the service's connection: always taken in this order, and the
  // connection's lock is never held while waiting for mu.
  struct Lock {
    std::lock_guard<std::mutex> own;
    store::SharedDatabase::Use connection;
    explicit Lock(Impl& m) : own(m.mu), connection(m.shared->use()) {}
  };
  std::vector<config::Operator> operators;
  AccountRules rules;
  audit::AuditLog& log;
  const Clock& clock;
  // Checked against when the name is unknown, so that a miss costs as long as a wrong password.
  std::string decoy_hash;
  // Names mistyped at sign-in are recorded by their HMAC under this key: a plain hash of a
  // password typed into the name field could be found again by guessing. Read (or created) only
  // where sign-ins happen, so that an administrator's `sanso user` as root does not create a file
  // the console's own user cannot read.
  std::string name_key_file;
  std::optional<std::array<unsigned char, 32>> name_key;

  Impl(store::SharedDatabase& d, const config::ServiceConfig& config, AccountRules r, audit::AuditLog& l, const Clock& c)
      : shared(&d), db(&d.use().db), operators(config.operators), rules(std::move(r)), log(l), clock(c) {}

  // Under mu.
  Result<void> load_name_key() {
    if (name_key) return ok();
    auto key = quarantine::internal::load_or_create_key(name_key_file);
    if (!key) return Error{"web.key", key.error().where, key.error().message};
    name_key = key->bytes;
    return ok();
  }

  std::int64_t now() const { return internal::unix_seconds(clock); }

  // Under mu.
  const config::Operator* find(const std::string& name) const {
    for (const auto& op : operators) {
      if (op.name == name) return &op;
    }
    return nullptr;
  }

  // Under mu.
  Result<std::string> name_digest(const std::string& name) {
    SANSO_TRY(load_name_key());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, name_key->data(), name_key->size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(name.data()), name.size());
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * 8 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, 8);
    return std::string("hmac:") + hex;
  }

  // Within a transaction: takes one attempt for `name` before its password is checked, so that
  // simultaneous attempts cannot all be checked before the first failure is counted. Returns the
  // count of failures with this one, or nullopt when the account is locked or as many attempts
  // as max_failures allows are already counted.
  Result<std::optional<std::int64_t>> reserve_attempt(const std::string& name, std::int64_t t) {
    auto taken = SANSO_TRY(db->execute(
        "UPDATE console_accounts SET failures = failures + 1 WHERE name = ? AND locked_until <= ? AND failures < ?",
        {name, t, rules.max_failures}));
    if (taken == 0) return std::optional<std::int64_t>{};
    auto row = SANSO_TRY(db->query_one("SELECT failures FROM console_accounts WHERE name = ?", {name}));
    return std::optional<std::int64_t>{row ? row->integer(0) : rules.max_failures};
  }

  // Within a transaction, after a reserved attempt failed: locks the account when the failures
  // reached max_failures. Returns the end of the lock, or 0.
  Result<std::int64_t> settle_failure(const std::string& name, std::int64_t t) {
    const std::int64_t until = t + rules.lockout_seconds;
    auto locked = SANSO_TRY(db->execute("UPDATE console_accounts SET failures = 0, locked_until = ? WHERE name = ? AND failures >= ?",
                                        {until, name, rules.max_failures}));
    return locked != 0 ? until : 0;
  }

  // A refused administration is evidence too: recorded, and the refusal returned.
  Result<void> check_administrator(const quarantine::Actor& actor, const char* action, const std::string& name) {
    if (holds_any(actor.roles, rules.admin_roles)) return ok();
    Error why = make_error("web.forbidden", name,
                           "'" + actor.name + "' may not administer console accounts: that needs one of [web] admin_roles (" +
                               joined(rules.admin_roles) + ")");
    auto e = event(actor.name, action, name, "refused");
    e.details = {{"reason", why.code}};
    if (!actor.via.empty()) e.details.emplace_back("via", actor.via);
    SANSO_TRY(log.append_now(*db, e));
    return why;
  }

  store::AuditEvent admin_event(const quarantine::Actor& actor, const char* action, const std::string& subject) const {
    auto e = event(actor.name, action, subject, "ok");
    if (!actor.via.empty()) e.details.emplace_back("via", actor.via);
    return e;
  }

  store::AuditEvent event(const std::string& actor, const char* action, const std::string& subject, const char* outcome) const {
    return internal::audit_event(clock, kRules, actor, action, subject, outcome);
  }

  Result<std::string> hash(const std::string& password) const {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), rules.argon2_ops, rules.argon2_memory) != 0) {
      return make_error("web.hash", "", "not enough memory to hash the password (Argon2id)");
    }
    return std::string(out);
  }

  Result<void> check_strength(const std::string& name, const std::string& password) const {
    if (!is_valid_utf8(password) || password.find('\0') != std::string::npos) {
      return make_error("web.password", name, "the password is not valid UTF-8 text");
    }
    if (password.size() > kMaxPasswordBytes) {
      return make_error("web.password", name, "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
    }
    if (code_points(password) < rules.min_password_length) {
      return make_error("web.password", name,
                        "the password must have at least " + std::to_string(rules.min_password_length) +
                            " characters ([web] min_password_length)");
    }
    if (ascii_lower(password).find(ascii_lower(name)) != std::string::npos) {
      return make_error("web.password", name, "the password must not contain the user name");
    }
    return ok();
  }

  // Within a transaction: replaces the hash, clears failures and the lock, ends (and records)
  // every session of the person but `keep_session`; `actor` is who changed the password.
  Result<void> store_hash(const std::string& name, const std::string& hash, const std::string& keep_session, const std::string& actor) {
    std::int64_t t = now();
    auto changed = SANSO_TRY(db->execute(
        "UPDATE console_accounts SET password_hash = ?, changed_at = ?, failures = 0, locked_until = 0 WHERE name = ?",
        {hash, t, name}));
    if (changed == 0) {
      SANSO_TRY(db->execute("INSERT INTO console_accounts (name, password_hash, changed_at) VALUES (?, ?, ?)", {name, hash, t}));
    }
    auto others = SANSO_TRY(db->query("SELECT token_sha256, source FROM console_sessions WHERE name = ? AND token_sha256 <> ?",
                                      {name, keep_session}));
    for (const auto& r : others) SANSO_TRY(close_session(r.text(0), name, actor, "password-changed", r.text(1)));
    return ok();
  }

  Session make_session(const config::Operator& op, const std::string& token_sha256, const std::string& csrf,
                       std::int64_t created) const {
    return Session{op.name, op.display, op.roles, token_sha256.substr(0, 16), csrf, created, false, op.zone, rules.permissions.of(op.roles)};
  }

  // Under mu: whether a session the directory opened may go on under the rules as they are now:
  // the directory still configured, and the roles it granted still a console role.
  bool directory_session_holds(const std::string& roles) const {
    return !rules.directory.uri.empty() && holds_any(split_roles(roles), rules.roles);
  }

  // Within a transaction: ends the sessions nobody came back to, so that every session in the
  // log has an end and the table does not grow. Bounded per call; the next sign-in does more.
  Result<void> end_abandoned_sessions(std::int64_t t) {
    auto rows = SANSO_TRY(db->query(
        "SELECT token_sha256, name, created_at, last_seen, source FROM console_sessions WHERE last_seen <= ? OR created_at <= ? "
        "LIMIT 100",
        {t - rules.session_idle_seconds, t - rules.session_max_seconds}));
    for (const auto& r : rows) {
      bool overlong = t - r.integer(2) >= rules.session_max_seconds;
      SANSO_TRY(close_session(r.text(0), r.text(1), r.text(1), overlong ? "expired" : "idle", r.text(4),
                              {{"last_seen", std::to_string(r.integer(3))}}));
    }
    return ok();
  }

  // Within a transaction: ends one session and records it; `actor` is who ended it (the person,
  // or an administrator). False when another request ended it first.
  Result<bool> close_session(const std::string& token_sha256, const std::string& name, const std::string& actor, const char* outcome,
                             const std::string& source, std::vector<std::pair<std::string, std::string>> more = {}) {
    auto gone = SANSO_TRY(db->execute("DELETE FROM console_sessions WHERE token_sha256 = ?", {token_sha256}));
    if (gone == 0) return false;
    auto e = event(actor, "console.sign-out", name, outcome);
    e.details = {{"session", token_sha256.substr(0, 16)}, {"source", source}};
    e.details.insert(e.details.end(), more.begin(), more.end());
    SANSO_TRY(log.append(*db, e));
    return true;
  }

  // An administrator's change to an account (`update` ends with "WHERE name = ?") and its
  // record, in one transaction.
  // `before` runs in the transaction first (e.g. to end sessions the change makes unsafe).
  Result<void> administer(const std::string& name, const quarantine::Actor& actor, const char* action, std::string_view update,
                          std::vector<store::Value> params, const std::function<Result<void>()>& before = {}) {
    Lock lock(*this);
    SANSO_TRY(check_administrator(actor, action, name));
    auto tx = SANSO_TRY(Transaction::begin(*db));
    if (before) SANSO_TRY(before());
    params.emplace_back(name);
    auto changed = SANSO_TRY(db->execute(update, params));
    if (changed == 0) {
      return make_error("web.unknown-user", name, "'" + name + "' has no console password yet: set one first with `sanso user passwd`");
    }
    SANSO_TRY(log.append(*db, admin_event(actor, action, name)));
    return tx.commit();
  }

  Result<void> end_session(const std::string& token_sha256, const std::string& name, const char* outcome,
                           const std::string& source) {
    auto tx = SANSO_TRY(Transaction::begin(*db));
    if (!SANSO_TRY(close_session(token_sha256, name, name, outcome, source))) return ok();  // another request ended it first
    return tx.commit();
  }
};

ConsoleAccounts::ConsoleAccounts(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<ConsoleAccounts>> ConsoleAccounts::open(store::SharedDatabase& db, const config::ServiceConfig& config,
                                                               AccountRules rules, audit::AuditLog& log, const Clock& clock) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot start without a working RNG: nothing is safe then
  if (config.data_dir.empty()) {
    return make_error("web.config", config.source, "no data directory: the console keeps its name key there ([service] data_dir)");
  }
  auto impl = std::make_unique<Impl>(db, config, std::move(rules), log, clock);
  impl->name_key_file = (std::filesystem::path(config.data_dir) / "console-names.key").string();
  impl->decoy_hash = SANSO_TRY(impl->hash(random_token()));
  return std::unique_ptr<ConsoleAccounts>(new ConsoleAccounts(std::move(impl)));
}

ConsoleAccounts::~ConsoleAccounts() = default;

Result<void> ConsoleAccounts::prepare_sign_ins() {
  Impl::Lock lock(*impl_);
  return impl_->load_name_key();
}

Result<std::int64_t> ConsoleAccounts::reload(const config::ServiceConfig& config, AccountRules rules) {
  Impl& m = *impl_;
  Impl::Lock lock(m);
  m.operators = config.operators;
  m.rules = std::move(rules);
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  auto rows = SANSO_TRY(m.db->query("SELECT token_sha256, name, source, origin, roles FROM console_sessions"));
  std::int64_t ended = 0;
  for (const auto& r : rows) {
    if (r.text(3) == kFromDirectory) {
      if (m.directory_session_holds(r.text(4))) continue;
    } else if (const config::Operator* op = m.find(r.text(1)); op != nullptr && holds_any(op->roles, m.rules.roles)) {
      continue;
    }
    if (SANSO_TRY(m.close_session(r.text(0), r.text(1), r.text(1), "revoked", r.text(2), {{"by", "sanso.toml reloaded"}}))) ++ended;
  }
  SANSO_TRY(tx.commit());
  return ended;
}

Result<void> ConsoleAccounts::set_password(const std::string& name, const std::string& password, const quarantine::Actor& actor) {
  Impl& m = *impl_;
  {
    Impl::Lock lock(m);
    SANSO_TRY(m.check_administrator(actor, "account.set-password", name));
    if (m.find(name) == nullptr) {
      return make_error("web.unknown-user", name, "'" + name + "' is not listed in [[users]] of sanso.toml; add them there first");
    }
  }
  SANSO_TRY(m.check_strength(name, password));
  std::string hash = SANSO_TRY(m.hash(password));
  Impl::Lock lock(m);
  const config::Operator* op = m.find(name);
  if (op == nullptr) return make_error("web.unknown-user", name, "'" + name + "' was removed from sanso.toml meanwhile");
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  SANSO_TRY(m.store_hash(name, hash, "", actor.name));
  auto e = m.admin_event(actor, "account.set-password", name);
  e.details.emplace_back("may_sign_in", holds_any(op->roles, m.rules.roles) ? "yes" : "no");
  SANSO_TRY(m.log.append(*m.db, e));
  return tx.commit();
}

Result<void> ConsoleAccounts::change_password(const Session& session, const std::string& current, const std::string& password,
                                              const std::string& source) {
  Impl& m = *impl_;
  auto refuse = [&](const Error& why, const char* reason, std::vector<std::pair<std::string, std::string>> more = {}) -> Result<void> {
    Impl::Lock lock(m);
    auto e = m.event(session.name, "account.change-password", session.name, "refused");
    e.details = {{"reason", reason}, {"source", source}, {"session", session.id}};
    e.details.insert(e.details.end(), more.begin(), more.end());
    SANSO_TRY(m.log.append_now(*m.db, e));
    return why;
  };
  if (session.from_directory) {
    return refuse(make_error("web.password", session.name, "this account signs in with the directory's password: change it in the directory"),
                  "directory-account");
  }
  const std::int64_t t = m.now();
  std::string stored;
  std::optional<std::int64_t> failures;
  {
    // The attempt is counted before the check, as a sign-in's is: guessing the password from a
    // session left open is no faster than at the sign-in page.
    Impl::Lock lock(m);
    auto tx = SANSO_TRY(Transaction::begin(*m.db));
    auto row = SANSO_TRY(m.db->query_one("SELECT password_hash FROM console_accounts WHERE name = ?", {session.name}));
    if (!row) return make_error("web.unknown-user", session.name, "the account has no password");
    stored = row->text(0);
    failures = SANSO_TRY(m.reserve_attempt(session.name, t));
    SANSO_TRY(tx.commit());
  }
  if (!failures) {
    return refuse(make_error("web.locked", session.name, "the account is locked after too many wrong passwords; try again later"), "locked");
  }
  if (crypto_pwhash_str_verify(stored.c_str(), current.data(), current.size()) != 0) {
    std::int64_t locked_until = 0;
    {
      Impl::Lock lock(m);
      auto tx = SANSO_TRY(Transaction::begin(*m.db));
      locked_until = SANSO_TRY(m.settle_failure(session.name, t));
      if (locked_until != 0) {
        // Someone guessing from an open session loses it along with the account.
        auto token = SANSO_TRY(m.db->query_one("SELECT token_sha256, source FROM console_sessions WHERE name = ? AND csrf = ?",
                                               {session.name, session.csrf}));
        if (token) SANSO_TRY(m.close_session(token->text(0), session.name, session.name, "locked-out", token->text(1)));
      }
      SANSO_TRY(tx.commit());
    }
    std::vector<std::pair<std::string, std::string>> more = {{"failures", std::to_string(*failures)}};
    if (locked_until != 0) more.emplace_back("locked_until", std::to_string(locked_until));
    return refuse(make_error(locked_until != 0 ? "web.locked" : "web.bad-password", session.name, "the current password is wrong"),
                  "bad-password", std::move(more));
  }
  {
    Impl::Lock lock(m);
    SANSO_TRY(m.db->execute("UPDATE console_accounts SET failures = 0 WHERE name = ?", {session.name}));
  }
  if (auto strong = m.check_strength(session.name, password); !strong) return refuse(strong.error(), "weak-password");
  if (password == current) return refuse(make_error("web.password", session.name, "the new password is the current one"), "weak-password");
  std::string hash = SANSO_TRY(m.hash(password));
  Impl::Lock lock(m);
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  auto keep = SANSO_TRY(m.db->query_one("SELECT token_sha256 FROM console_sessions WHERE name = ? AND csrf = ?",
                                        {session.name, session.csrf}));
  SANSO_TRY(m.store_hash(session.name, hash, keep ? keep->text(0) : "", session.name));
  auto e = m.event(session.name, "account.change-password", session.name, "ok");
  e.details = {{"session", session.id}, {"source", source}};
  SANSO_TRY(m.log.append(*m.db, e));
  return tx.commit();
}

Result<void> ConsoleAccounts::unlock(const std::string& name, const quarantine::Actor& actor) {
  return impl_->administer(name, actor, "account.unlock", "UPDATE console_accounts SET failures = 0, locked_until = 0 WHERE name = ?", {});
}

Result<std::string> ConsoleAccounts::enroll_second_factor(const std::string& name, const quarantine::Actor& actor) {
  Impl& m = *impl_;
  std::string secret = new_totp_secret();
  // A session opened with the password alone must not outlive the promise that a sign-in needs a
  // code. Without a factor before, every open session is such a one; with one, a sign-in could
  // not have skipped it.
  auto end_password_only = [&]() -> Result<void> {
    auto had = SANSO_TRY(m.db->query_one("SELECT totp_secret FROM console_accounts WHERE name = ?", {name}));
    if (!had || !had->text(0).empty()) return ok();
    auto rows = SANSO_TRY(m.db->query("SELECT token_sha256, source FROM console_sessions WHERE name = ?", {name}));
    for (const auto& r : rows) SANSO_TRY(m.close_session(r.text(0), name, actor.name, "second-factor-enrolled", r.text(1)));
    return ok();
  };
  SANSO_TRY(m.administer(name, actor, "account.enroll-second-factor",
                         "UPDATE console_accounts SET totp_secret = ?, totp_last_step = 0 WHERE name = ?", {base32_encode(secret)},
                         end_password_only));
  return secret;
}

Result<void> ConsoleAccounts::remove_second_factor(const std::string& name, const quarantine::Actor& actor) {
  return impl_->administer(name, actor, "account.remove-second-factor",
                           "UPDATE console_accounts SET totp_secret = '', totp_last_step = 0 WHERE name = ?", {});
}

Result<std::int64_t> ConsoleAccounts::end_sessions(const std::string& name, const quarantine::Actor& actor) {
  Impl& m = *impl_;
  Impl::Lock lock(m);
  SANSO_TRY(m.check_administrator(actor, "account.end-sessions", name));
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  auto rows = SANSO_TRY(m.db->query("SELECT token_sha256, source FROM console_sessions WHERE name = ?", {name}));
  std::int64_t ended = 0;
  for (const auto& r : rows) {
    ended += SANSO_TRY(m.close_session(r.text(0), name, actor.name, "ended-by-administrator", r.text(1))) ? 1 : 0;
  }
  SANSO_TRY(tx.commit());
  return ended;
}

Result<SignIn> ConsoleAccounts::sign_in(const std::string& name, const std::string& password, const std::string& source,
                                        const std::string& code) {
  Impl& m = *impl_;
  const std::int64_t t = m.now();
  std::optional<config::Operator> op;
  std::string stored;
  std::string totp_secret;
  std::string reason;
  std::int64_t failures = 0;
  bool has_row = false;
  bool counted = false;  // an attempt was reserved, to be settled as a failure or given back
  bool via_directory = false;
  std::string counted_name = name;  // the account whose attempt `counted` holds
  AccountRules rules;  // as they are now: a reload may replace them while the password is checked
  {
    Impl::Lock lock(m);
    rules = m.rules;
    const bool plausible = !name.empty() && name.size() <= 256 && is_valid_utf8(name) && name.find('\0') == std::string::npos;
    if (const config::Operator* found = plausible ? m.find(name) : nullptr) op = *found;
    std::int64_t locked_until = 0;
    auto tx = SANSO_TRY(Transaction::begin(*m.db));
    if (plausible) {
      auto row = SANSO_TRY(m.db->query_one("SELECT password_hash, locked_until, totp_secret FROM console_accounts WHERE name = ?", {name}));
      if (row) {
        has_row = true;
        stored = row->text(0);
        locked_until = row->integer(1);
        totp_secret = base32_decode(row->text(2)).value_or("");
      }
    }
    // A local password keeps an account local: an emergency account cannot be taken over by
    // whoever holds its name in the directory, and works while the directory is down.
    via_directory = plausible && stored.empty() && !rules.directory.uri.empty();
    if (via_directory && !has_row) {
      // Another spelling of a name the directory signed in before ("TANAKA" for tanaka) binds as
      // that person: their lock holds and the guess counts against them before the directory is
      // asked, or each spelling would be a fresh set of guesses. Only one such account can be it.
      auto rows = SANSO_TRY(m.db->query("SELECT name, locked_until FROM console_accounts WHERE lower(name) = lower(?) AND password_hash = ''", {name}));
      std::vector<std::pair<std::string, std::int64_t>> same;
      for (const auto& r : rows) {
        if (ascii_lower(r.text(0)) == ascii_lower(name)) same.emplace_back(r.text(0), r.integer(1));
      }
      if (same.size() == 1) std::tie(counted_name, locked_until) = same.front();
    }
    if (via_directory) {
      if (locked_until > t) reason = "locked";
    } else if (!op) {
      reason = "unknown-user";
    } else if (stored.empty()) {
      reason = "no-password";
    } else if (locked_until > t) {
      reason = "locked";
    } else if (!holds_any(op->roles, rules.roles)) {
      reason = "not-allowed";
    }
    // Counted before the check: of simultaneous attempts, no more than max_failures are checked.
    // A name the directory has never signed in has no row: its own lockout policy counts those.
    if (reason.empty() && (has_row || counted_name != name)) {
      auto reserved = SANSO_TRY(m.reserve_attempt(counted_name, t));
      if (reserved) {
        failures = *reserved;
        counted = true;
      } else {
        reason = "concurrent-attempts";
      }
    }
    SANSO_TRY(tx.commit());
  }

  bool good = false;
  std::optional<directory::Person> person;
  std::string directory_error;
  if (via_directory) {
    // The directory binds as the person: their password goes to it and nowhere else.
    if (reason.empty()) {
      auto found = directory::sign_in(rules.directory, name, password);
      if (found) {
        person = std::move(*found);
        good = true;
      } else if (found.error().code == "directory.bad-credentials") {
        reason = "bad-password";
      } else if (found.error().code == "directory.disabled") {
        reason = "disabled";
      } else {
        // Down, or set up so that it cannot work: not a verdict on the person. Anything else (an
        // entry found twice, groups on both sides) is the directory's refusal to vouch for them.
        const bool outage = found.error().code == "directory.unavailable" || found.error().code == "directory.bad-settings";
        reason = outage ? "directory-unavailable" : "directory-refused";
        directory_error = found.error().code + ": " + found.error().message;
      }
    }
    if (good && !holds_any(person->roles, rules.roles)) {
      good = false;
      reason = "not-allowed";
    }
  } else {
    // Every refusal costs one Argon2id verification, so its timing tells nothing either.
    const std::string& against = reason.empty() ? stored : m.decoy_hash;
    good = crypto_pwhash_str_verify(against.c_str(), password.data(), password.size()) == 0 && reason.empty();
    if (!good && reason.empty()) reason = "bad-password";
  }

  Impl::Lock lock(m);
  auto tx = SANSO_TRY(Transaction::begin(*m.db));
  // The account is the name the directory keeps for the person, not the one typed ("TANAKA" binds
  // as tanaka): its lock, its second factor and every record go by that one name, and it must not
  // be a local (emergency) account's, which the directory never opens.
  std::string account = name;
  bool account_has_row = has_row;
  if (person && person->name != name) {
    account = person->name;
    auto row = SANSO_TRY(m.db->query_one("SELECT password_hash, locked_until, totp_secret FROM console_accounts WHERE name = ?", {account}));
    account_has_row = row.has_value();
    totp_secret = row ? base32_decode(row->text(2)).value_or("") : std::string();
    if (!good) {
      // Refused already (no console role): nothing of the account to weigh.
    } else if (row && !row->text(0).empty()) {
      good = false;
      reason = "directory-refused";
      directory_error = "the directory names this person '" + account + "', a local account's name, which only its local password opens";
    } else if (row) {
      // Its attempts count against it from here on, as if its name had been typed: a code guessed
      // under another spelling is still a guess at this account's second factor.
      if (counted && counted_name != account) {
        SANSO_TRY(m.db->execute("UPDATE console_accounts SET failures = failures - 1 WHERE name = ? AND failures > 0", {counted_name}));
        counted = false;
      }
      auto reserved = counted ? std::optional<std::int64_t>(failures) : SANSO_TRY(m.reserve_attempt(account, t));
      if (reserved) {
        failures = *reserved;
        counted = true;
        counted_name = account;
      } else {
        good = false;
        reason = row->integer(1) > t ? "locked" : "concurrent-attempts";
      }
    }
  }
  if (good && totp_secret.empty() && rules.require_second_factor) {
    good = false;
    reason = "no-second-factor";
  }
  if (person && !account_has_row) {
    // The directory vouched for the name: from now on its failures are counted here too, and an
    // administrator can give it a second factor. No local password: it stays the directory's.
    SANSO_TRY(m.db->execute("INSERT INTO console_accounts (name, password_hash, changed_at) VALUES (?, '', ?) ON CONFLICT (name) DO NOTHING",
                            {account, t}));
  }
  if (good && !totp_secret.empty()) {
    // The code is checked under the lock, against the last step used as it is now: a code
    // accepted once, by any request, is never accepted again.
    auto last = SANSO_TRY(m.db->query_one("SELECT totp_last_step FROM console_accounts WHERE name = ?", {account}));
    auto step = matching_step(totp_secret, code, t, last ? last->integer(0) : 0);
    if (step) {
      SANSO_TRY(m.db->execute("UPDATE console_accounts SET totp_last_step = ? WHERE name = ?", {*step, account}));
    } else {
      good = false;
      reason = "bad-code";
    }
  }
  SANSO_TRY(m.end_abandoned_sessions(t));
  SignIn result;
  const char* via = via_directory ? kFromDirectory : "local";
  if (good) {
    std::string token = random_token();
    std::string token_sha256 = sha256_hex(token);
    std::string csrf = random_token();
    Session session;
    if (person) {
      session = Session{account, person->display_name.empty() ? account : person->display_name, person->roles, token_sha256.substr(0, 16), csrf, t,
                        true, person->zone, rules.permissions.of(person->roles)};
    } else {
      session = m.make_session(*op, token_sha256, csrf, t);
    }
    SANSO_TRY(m.db->execute(
        "INSERT INTO console_sessions (token_sha256, name, csrf, source, created_at, last_seen, origin, roles, display, zone) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {token_sha256, account, csrf, source, t, t, std::string(person ? kFromDirectory : "local"), person ? role_list(person->roles) : std::string(),
         person ? session.display : std::string(), session.zone}));
    SANSO_TRY(m.db->execute("UPDATE console_accounts SET failures = 0, locked_until = 0, last_login = ? WHERE name = ?", {t, account}));
    // An attempt reserved under the name as typed (a row from before names were the directory's)
    // is given back too.
    if (counted && counted_name != account) SANSO_TRY(m.db->execute("UPDATE console_accounts SET failures = 0 WHERE name = ?", {counted_name}));
    auto e = m.event(account, "console.sign-in", account, "ok");
    e.details = {{"session", token_sha256.substr(0, 16)}, {"source", source}, {"factors", totp_secret.empty() ? "password" : "password+totp"},
                 {"via", via}, {"permissions", join(session.permissions.words(), ", ")}};
    if (account != name) e.details.emplace_back("typed", name);
    if (person) {
      e.details.emplace_back("roles", join(person->roles, ", "));
      if (!person->zone.empty()) e.details.emplace_back("zone", person->zone);
    }
    SANSO_TRY(m.log.append(*m.db, e));
    result.session = std::move(session);
    result.token = std::move(token);
  } else {
    result.reason = reason;
    const char* outcome = "failed";
    std::vector<std::pair<std::string, std::string>> details = {{"reason", reason}, {"source", source}, {"via", via}};
    if (!directory_error.empty()) details.emplace_back("error", directory_error);
    if (counted && (reason == "bad-password" || reason == "bad-code")) {
      details.emplace_back("failures", std::to_string(failures));
      if (std::int64_t until = SANSO_TRY(m.settle_failure(counted_name, t)); until != 0) {
        outcome = "locked-out";
        details.emplace_back("locked_until", std::to_string(until));
      }
    } else if (counted) {
      // Not a guess (the right password without a required second factor, a directory that could
      // not be asked): the attempt is given back.
      SANSO_TRY(m.db->execute("UPDATE console_accounts SET failures = failures - 1 WHERE name = ? AND failures > 0", {counted_name}));
    }
    // A name that is not an account is recorded by a keyed hash only: people type passwords there.
    const std::string known_as = person ? account : counted_name;  // counted_name: the account another spelling names
    const bool known = op || has_row || person || known_as != name;
    std::string who = known ? known_as : "unknown";
    std::string subject = known_as;
    if (!known) subject = SANSO_TRY(m.name_digest(name));
    auto e = m.event(who, "console.sign-in", subject, outcome);
    e.details = std::move(details);
    if (known && known_as != name) e.details.emplace_back("typed", name);
    SANSO_TRY(m.log.append(*m.db, e));
  }
  SANSO_TRY(tx.commit());
  return result;
}

Result<std::optional<Session>> ConsoleAccounts::session(const std::string& token, const std::string& source) {
  Impl& m = *impl_;
  if (token.empty() || token.size() > 128) return std::optional<Session>{};
  std::string token_sha256 = sha256_hex(token);
  Impl::Lock lock(m);
  auto row = SANSO_TRY(m.db->query_one(
      "SELECT name, csrf, created_at, last_seen, origin, roles, display, zone FROM console_sessions WHERE token_sha256 = ?", {token_sha256}));
  if (!row) return std::optional<Session>{};
  std::string name = row->text(0);
  const std::int64_t t = m.now();
  const bool from_directory = row->text(4) == kFromDirectory;
  const config::Operator* op = from_directory ? nullptr : m.find(name);
  const char* ended = nullptr;
  if (from_directory ? !m.directory_session_holds(row->text(5)) : (op == nullptr || !holds_any(op->roles, m.rules.roles))) {
    ended = "revoked";  // removed from sanso.toml, or no longer holds a console role
  } else if (t - row->integer(2) >= m.rules.session_max_seconds) {
    ended = "expired";
  } else if (t - row->integer(3) >= m.rules.session_idle_seconds) {
    ended = "idle";
  }
  if (ended != nullptr) {
    SANSO_TRY(m.end_session(token_sha256, name, ended, source));
    return std::optional<Session>{};
  }
  if (t - row->integer(3) >= kLastSeenResolution) {
    SANSO_TRY(m.db->execute("UPDATE console_sessions SET last_seen = ? WHERE token_sha256 = ?", {t, token_sha256}));
  }
  if (from_directory) {
    std::vector<std::string> roles = split_roles(row->text(5));
    return std::optional<Session>{
        Session{name, row->text(6), roles, token_sha256.substr(0, 16), row->text(1), row->integer(2), true, row->text(7), m.rules.permissions.of(roles)}};
  }
  return std::optional<Session>{m.make_session(*op, token_sha256, row->text(1), row->integer(2))};
}

Result<void> ConsoleAccounts::sign_out(const std::string& token, const std::string& source) {
  Impl& m = *impl_;
  std::string token_sha256 = sha256_hex(token);
  Impl::Lock lock(m);
  auto row = SANSO_TRY(m.db->query_one("SELECT name FROM console_sessions WHERE token_sha256 = ?", {token_sha256}));
  if (!row) return ok();
  return m.end_session(token_sha256, row->text(0), "ok", source);
}

Result<void> ConsoleAccounts::record_refused_request(const std::string& actor, const std::string& method, const std::string& path,
                                                     const std::string& reason, const std::string& source,
                                                     std::vector<std::pair<std::string, std::string>> more) {
  Impl& m = *impl_;
  auto e = m.event(actor, "console.request", path.substr(0, 200), "refused");
  e.details = {{"reason", reason}, {"method", method.substr(0, 16)}, {"source", source}};
  e.details.insert(e.details.end(), more.begin(), more.end());
  Impl::Lock lock(m);
  SANSO_TRY(m.log.append_now(*m.db, e));
  return ok();
}

Result<bool> ConsoleAccounts::needs_second_factor(const Session& session) {
  Impl& m = *impl_;
  Impl::Lock lock(m);
  if (m.rules.require_second_factor) return true;
  auto row = SANSO_TRY(m.db->query_one("SELECT totp_secret FROM console_accounts WHERE name = ?", {session.name}));
  return row.has_value() && !row->text(0).empty();
}

Result<void> ConsoleAccounts::confirm_second_factor(const Session& session, const std::string& code, const std::string& what,
                                                    const std::string& source) {
  Impl& m = *impl_;
  const std::int64_t t = m.now();
  Impl::Lock lock(m);
  auto row = SANSO_TRY(m.db->query_one("SELECT totp_secret, totp_last_step FROM console_accounts WHERE name = ?", {session.name}));
  const std::string secret = row ? base32_decode(row->text(0)).value_or("") : "";
  // Under the lock, against the last step used as it is now: a code is accepted once, anywhere.
  const std::optional<std::int64_t> step = secret.empty() ? std::nullopt : matching_step(secret, code, t, row->integer(1));
  if (step) SANSO_TRY(m.db->execute("UPDATE console_accounts SET totp_last_step = ? WHERE name = ?", {*step, session.name}));
  auto e = m.event(session.name, "console.second-factor", what.substr(0, 200), step ? "ok" : "refused");
  e.details = {{"session", session.id}, {"source", source}};
  if (!step) e.details.emplace_back("reason", secret.empty() ? "no-second-factor" : "bad-code");
  SANSO_TRY(m.log.append_now(*m.db, e));
  if (!step) return make_error("web.bad-code", session.name, "the one-time code is wrong or was used already / 確認コードが正しくないか、使用済みです");
  return ok();
}

Result<std::vector<AccountStatus>> ConsoleAccounts::list() {
  Impl& m = *impl_;
  Impl::Lock lock(m);
  std::vector<AccountStatus> out;
  for (const auto& op : m.operators) {
    AccountStatus s;
    s.name = op.name;
    s.display = op.display;
    s.roles = op.roles;
    s.may_sign_in = holds_any(op.roles, m.rules.roles);
    auto row = SANSO_TRY(m.db->query_one(
        "SELECT changed_at, failures, locked_until, last_login, totp_secret FROM console_accounts WHERE name = ?", {op.name}));
    if (row) {
      s.has_password = true;
      s.has_second_factor = !row->text(4).empty();
      s.password_changed_at = row->integer(0);
      s.failures = row->integer(1);
      s.locked_until = row->integer(2);
      s.last_login = row->integer(3);
    }
    auto sessions = SANSO_TRY(m.db->query_one("SELECT COUNT(*) FROM console_sessions WHERE name = ?", {op.name}));
    s.open_sessions = sessions ? sessions->integer(0) : 0;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sanso::web
