// Console accounts: the passwords and sessions of the people who sign in to the web console, and
// an audit record of every sign-in, failure, lockout, sign-out and password change (6(6):
// アクセス制御, 不正アクセス対策).
//
// Who a person is and which roles they hold stay in sanso.toml ([[users]]); the store keeps only
// what changes at run time: an Argon2id password hash, consecutive failures, a lock, sessions.
// A person removed from sanso.toml, or no longer holding a console role, cannot sign in; a
// reload of sanso.toml ends their open sessions at once (and any request would end them too).
// Administering accounts needs one of [web] admin_roles; a refusal is recorded like the
// quarantine's (outcome "refused").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "directory/directory.h"
#include "quarantine/quarantine.h"
#include "web/permissions.h"

namespace sanso::config {
struct ServiceConfig;
}
namespace sanso::store {
class Database;
class SharedDatabase;
}
namespace sanso::audit {
class AuditLog;
}

namespace sanso::web {

// The limits of [web], in seconds, plus the Argon2id cost of new password hashes.
struct AccountRules {
  std::vector<std::string> roles;        // roles that may sign in
  PermissionMap permissions;             // which page groups their roles open ([web.permissions])
  std::vector<std::string> admin_roles;  // roles that may administer accounts
  std::int64_t session_idle_seconds = 30 * 60;
  std::int64_t session_max_seconds = 12 * 3600;
  std::int64_t max_failures = 5;
  std::int64_t lockout_seconds = 15 * 60;
  std::size_t min_password_length = 12;
  bool require_second_factor = false;
  // Argon2id cost of new hashes: libsodium's "interactive" (2 passes over 64 MiB, above OWASP's
  // minimum); tests lower it. A hash keeps its own cost, so a change applies to passwords set later.
  unsigned long long argon2_ops = 2;
  std::size_t argon2_memory = 64u << 20;
  // The city's directory ([directory]); without a uri, local accounts only. With one, a person
  // without a local password signs in with the directory's, and holds the roles its groups map
  // to; a local password keeps an account local (the emergency accounts of a directory outage),
  // whatever the directory says of the name.
  directory::Settings directory;
};
AccountRules account_rules_from(const config::ServiceConfig& config);

// A signed-in person's session, as every request finds it.
struct Session {
  std::string name;
  std::string display;
  std::vector<std::string> roles;
  std::string id;    // 16 hex digits of the token's hash: names the session in audit records
  std::string csrf;  // the token every form of this session must carry back
  std::int64_t created_at = 0;
  bool from_directory = false;  // signed in by the directory: roles and zone are its groups'
  std::string zone;             // the side the directory's groups put them on, or ""
  Permissions permissions;      // the page groups their roles open, under the rules as they are now

  // Whether this person may use a group of pages (or the same actions through another
  // interface, such as a JSON API): what every page of the console asks before it serves.
  bool may(Permission p) const { return permissions.has(p); }
};

// What a sign-in attempt came to. The console shows every failure the same way, so that a
// stranger cannot learn which names exist or are locked; the audit record has the real reason.
struct SignIn {
  std::optional<Session> session;
  std::string token;   // the cookie value; only when session is set
  // failure: "bad-password", "bad-code", "unknown-user", "no-password", "not-allowed", "locked",
  // "no-second-factor" (required but not set up), "concurrent-attempts" (as many attempts as
  // max_failures allows are being checked right now); through the directory also "disabled" (the
  // directory's own lock), "directory-refused" (it would not vouch: an entry found twice, groups
  // on both sides) and "directory-unavailable" (it could not be asked: local accounts still work)
  std::string reason;
};

// One account as `sanso user list` shows it.
struct AccountStatus {
  std::string name;
  std::string display;
  std::vector<std::string> roles;
  bool may_sign_in = false;  // holds a console role
  bool has_password = false;
  bool has_second_factor = false;
  std::int64_t password_changed_at = 0;
  std::int64_t failures = 0;
  std::int64_t locked_until = 0;
  std::int64_t last_login = 0;
  std::int64_t open_sessions = 0;
};

// The console's accounts on the service's connection. Thread-safe; password hashing runs outside
// the connection's lock, so one slow sign-in does not hold up other requests.
class ConsoleAccounts {
 public:
  static Result<std::unique_ptr<ConsoleAccounts>> open(store::SharedDatabase& db, const config::ServiceConfig& config,
                                                       AccountRules rules, audit::AuditLog& log, const Clock& clock = system_clock());
  ~ConsoleAccounts();
  ConsoleAccounts(const ConsoleAccounts&) = delete;
  ConsoleAccounts& operator=(const ConsoleAccounts&) = delete;

  // Reads (or creates, mode 0600) the key under which names mistyped at sign-in are recorded
  // (console-names.key in the data directory); the first such sign-in would otherwise. `sanso
  // web` calls it at start, so that a key it cannot read stops it there.
  Result<void> prepare_sign_ins();

  // Takes a changed sanso.toml: who exists, their roles and the rules. Sessions of people removed
  // or no longer holding a console role end at once (recorded as "revoked"); returns how many.
  Result<std::int64_t> reload(const config::ServiceConfig& config, AccountRules rules);

  // The administration below needs `actor` to hold one of [web] admin_roles; otherwise the
  // attempt is recorded as refused and "web.forbidden" returned.

  // Sets a person's password (`sanso user passwd`), clears any lock and ends their open sessions.
  Result<void> set_password(const std::string& name, const std::string& password, const quarantine::Actor& actor);
  // The person themself, with their current password; their other sessions end. A wrong current
  // password counts towards the lock like a failed sign-in; the lock it sets ends the session.
  Result<void> change_password(const Session& session, const std::string& current, const std::string& password,
                               const std::string& source);
  Result<void> unlock(const std::string& name, const quarantine::Actor& actor);
  // Gives a person a new TOTP secret (raw bytes, for their authenticator app); from then on a
  // sign-in needs a code. Needs a password first. Sessions opened without a second factor end
  // (recorded as "second-factor-enrolled").
  Result<std::string> enroll_second_factor(const std::string& name, const quarantine::Actor& actor);
  Result<void> remove_second_factor(const std::string& name, const quarantine::Actor& actor);
  // Ends every open session of a person (a lost or shared device); returns how many.
  Result<std::int64_t> end_sessions(const std::string& name, const quarantine::Actor& actor);

  // `source` is the client's address, for the audit record; `code` the one-time code, for
  // people with a second factor (each code is accepted once).
  Result<SignIn> sign_in(const std::string& name, const std::string& password, const std::string& source,
                         const std::string& code = {});
  // The session a cookie names, if it is open; an expired one is ended and recorded.
  Result<std::optional<Session>> session(const std::string& token, const std::string& source);
  Result<void> sign_out(const std::string& token, const std::string& source);

  // Records a request the console refused before acting (a missing or wrong form token, another
  // site's Origin): `actor` is the signed-in person or "unknown", `reason` e.g. "csrf-token".
  Result<void> record_refused_request(const std::string& actor, const std::string& method, const std::string& path,
                                      const std::string& reason, const std::string& source,
                                      std::vector<std::pair<std::string, std::string>> more = {});

  // A decision that needs the approver's second factor again (an approval of a transfer): it is
  // asked when the person has one, or [web] require_second_factor holds.
  Result<bool> needs_second_factor(const Session& session);
  // Checks a fresh one-time code of the session's person, each code once as at sign-in, and
  // records the check ("console.second-factor", `what` as its subject); a wrong or reused code is
  // "web.bad-code".
  Result<void> confirm_second_factor(const Session& session, const std::string& code, const std::string& what, const std::string& source);

  Result<std::vector<AccountStatus>> list();

 private:
  struct Impl;
  explicit ConsoleAccounts(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sanso::web
