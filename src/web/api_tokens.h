// API tokens: how other systems (a file server, a workflow tool, the city's SIEM) call the JSON
// API (docs/api.md). Each token belongs to one client name, acts for one person of [[users]]
// (whose roles, read from sanso.toml at every request, the quarantine and the policy judge), and
// opens only the endpoint groups of its scopes. The store keeps only the token's SHA-256; the
// token itself is shown once, at creation. Creating and revoking need one of [web] admin_roles,
// and every creation, revocation and refused token is recorded in the audit log.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "quarantine/quarantine.h"
#include "web/permissions.h"

namespace sanso::config {
struct ServiceConfig;
}
namespace sanso::store {
class SharedDatabase;
struct AuditEvent;
}
namespace sanso::audit {
class AuditLog;
}

namespace sanso::web {

// The endpoint groups a token may open.
inline constexpr std::string_view kApiScopes[] = {"decide", "quarantine", "approvals", "transfer", "findings", "metrics"};
bool is_api_scope(std::string_view scope);

struct ApiToken {
  std::string name;    // the client, e.g. "fileserver"
  std::string person;  // the [[users]] name it acts for
  std::vector<std::string> scopes;
  std::string created_by;
  std::int64_t created_at = 0;
  std::string revoked_by;
  std::int64_t revoked_at = 0;  // 0: in force
  std::int64_t last_used_at = 0;
};

// A request's client, once its token is accepted.
struct ApiClient {
  std::string name;
  std::string person;
  std::vector<std::string> roles;  // the person's, from sanso.toml now
  std::string zone;                // the person's [[users]] zone, from sanso.toml now ("" for none)
  std::vector<std::string> scopes;
  std::string source;              // the client's address
  // What the person may do in the console now: whether they hold one of [web] roles, and the
  // page groups [web.permissions] opens to their roles. A token never reaches further.
  bool console_person = false;
  Permissions permissions;
  bool may(std::string_view scope) const;
  // Whether the person could do this in the console: a console person, holding one of `any_of`
  // (none: no page group, only the console itself).
  bool person_may(const std::vector<Permission>& any_of) const;
  quarantine::Actor actor() const;
};

// Why a bearer token was not accepted; the audit record says which, the client hears only 401.
enum class TokenRefusal { kMalformed, kUnknown, kRevoked, kPersonGone, kRateLimited };
std::string_view to_string(TokenRefusal r);

// Refused tokens per address: after `max_failures` within `window`, an address is refused
// without a look at its tokens until the window has passed (guessing 256 bits is hopeless, but
// a flood of guesses would fill the audit log and hold the store's connection).
struct TokenLimits {
  int max_failures = 10;
  std::chrono::seconds window{300};
};

class ApiTokens {
 public:
  static Result<std::unique_ptr<ApiTokens>> open(store::SharedDatabase& db, const config::ServiceConfig& config, audit::AuditLog& log,
                                                 const Clock& clock = system_clock(), TokenLimits limits = {});
  ~ApiTokens();
  ApiTokens(const ApiTokens&) = delete;
  ApiTokens& operator=(const ApiTokens&) = delete;

  // Takes a changed sanso.toml: who exists and which roles they hold, who may use the console and
  // its page groups, and who administers.
  void reload(const config::ServiceConfig& config);

  // A new token for client `name` acting for `person`; returns the token, which is not kept.
  // Names are [a-z0-9._-]{1,64}; a name once used (even revoked) is not given again, so the audit
  // log's records of a name always mean one token.
  Result<std::string> create(const std::string& name, const std::string& person, const std::vector<std::string>& scopes,
                             const quarantine::Actor& actor);
  Result<void> revoke(const std::string& name, const quarantine::Actor& actor);
  Result<std::vector<ApiToken>> list();

  // The client an "Authorization" header value names ("Bearer sanso_…"), or why not; a refusal is
  // recorded (until the address is rate limited, after which it is only counted).
  Result<std::variant<ApiClient, TokenRefusal>> authenticate(std::string_view authorization, const std::string& source);

  // Records what a client's call did (a policy decision), durably, on the service's connection;
  // returns the audit entry's index.
  Result<std::uint64_t> record(const store::AuditEvent& event);

  // Records a call refused because the token's person could not do the same in the console
  // (`needs`: the page groups, or "console" for the console itself; `reason`: "permission", or
  // "zone" for a call from outside the person's zone).
  Result<void> record_refused_call(const ApiClient& client, const std::string& method, const std::string& path, const std::string& needs,
                                   const std::string& reason = "permission");

 private:
  struct Impl;
  explicit ApiTokens(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sanso::web
