#include "web/api_tokens.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "config/config.h"
#include "core/digest.h"
#include "metrics/metrics.h"
#include "policy/network.h"
#include "store/database.h"
#include "store/shared_database.h"
#include "web/internal/audit_event.h"

namespace sanso::web {
namespace {

using store::Transaction;
using Authenticated = std::variant<ApiClient, TokenRefusal>;

constexpr internal::AuditRule kRules{"api.authentication", "6(6)"};  // 技術的セキュリティ: アクセス制御、不正アクセス対策
constexpr std::string_view kPrefix = "sanso_";
constexpr std::size_t kTokenHex = 64;  // 256 random bits

bool valid_client_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; });
}

std::string new_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[kTokenHex + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  return std::string(kPrefix) + hex;
}

// The token of "Bearer <token>", exactly: one space, the prefix, 64 lower-case hex digits.
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() != kScheme.size() + kPrefix.size() + kTokenHex || header.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view token = header.substr(kScheme.size());
  if (token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view hex = token.substr(kPrefix.size());
  if (!std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) return std::nullopt;
  return token;
}

// Whose refusals count together: an IPv4 address, or an IPv6 address's /64, since one machine
// usually holds a whole /64 and could otherwise guess from each of its addresses in turn.
std::string limit_key(const std::string& source) {
  auto ip = policy::parse_ip(source);
  if (!ip || ip->v4) return source;
  const auto prefix = static_cast<unsigned long long>(ip->value >> 64);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx::/64", prefix);
  return buf;
}

std::vector<std::string> parse_scopes(const std::string& stored) {
  auto parsed = nlohmann::json::parse(stored, nullptr, false);
  std::vector<std::string> out;
  if (!parsed.is_array()) return out;  // unreadable: no scopes, so the token opens nothing
  for (const auto& s : parsed) {
    if (s.is_string() && is_api_scope(s.get<std::string>())) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

bool is_api_scope(std::string_view scope) {
  return std::find(std::begin(kApiScopes), std::end(kApiScopes), scope) != std::end(kApiScopes);
}

bool ApiClient::may(std::string_view scope) const { return std::find(scopes.begin(), scopes.end(), scope) != scopes.end(); }

bool ApiClient::person_may(const std::vector<Permission>& any_of) const {
  if (!console_person) return false;
  return any_of.empty() || std::any_of(any_of.begin(), any_of.end(), [&](Permission p) { return permissions.has(p); });
}

quarantine::Actor ApiClient::actor() const { return quarantine::Actor{person, roles, "api token " + name + " from " + source}; }

std::string_view to_string(TokenRefusal r) {
  switch (r) {
    case TokenRefusal::kMalformed: return "malformed";
    case TokenRefusal::kUnknown: return "unknown-token";
    case TokenRefusal::kRevoked: return "revoked";
    case TokenRefusal::kPersonGone: return "person-gone";
    case TokenRefusal::kRateLimited: return "rate-limited";
  }
  return "unknown";
}

struct ApiTokens::Impl {
  store::SharedDatabase& db;
  audit::AuditLog& log;
  const Clock& clock;
  TokenLimits limits;

  std::mutex mu;  // people, admin roles and the failures below
  std::vector<config::Operator> people;
  std::vector<std::string> admin_roles;
  std::vector<std::string> console_roles;  // [web] roles
  PermissionMap permission_map;            // [web.permissions]
  struct Failures {
    int count = 0;
    std::chrono::system_clock::time_point first;
  };
  std::map<std::string, Failures> failures;  // by address

  metrics::Counter& refused = metrics::Registry::global().counter("sanso_api_token_refusals_total",
                                                                  "Bearer tokens the JSON API refused (malformed, unknown, revoked, rate limited)");

  Impl(store::SharedDatabase& d, audit::AuditLog& l, const Clock& c, TokenLimits li) : db(d), log(l), clock(c), limits(li) {}

  std::int64_t now() const { return internal::unix_seconds(clock); }

  store::AuditEvent event(const std::string& actor, const char* action, const std::string& subject, const char* outcome) const {
    return internal::audit_event(clock, kRules, actor, action, subject, outcome);
  }

  // A refused administration is evidence too: recorded, and the refusal returned.
  Result<void> check_administrator(const quarantine::Actor& actor, const char* action, const std::string& name) {
    std::vector<std::string> wanted;
    {
      std::lock_guard lock(mu);
      wanted = admin_roles;
    }
    if (actor.has_any_role(wanted)) return ok();
    Error why = make_error("web.forbidden", name,
                           "'" + actor.name + "' may not administer API tokens: that needs one of [web] admin_roles (" + joined(wanted) + ")");
    auto e = event(actor.name, action, name, "refused");
    e.details = {{"reason", why.code}, {"via", actor.via}};
    SANSO_TRY(log.record(db, e));
    return why;
  }

  std::optional<std::vector<std::string>> roles_of(const std::string& person) {
    auto found = person_named(person);
    if (!found) return std::nullopt;
    return found->roles;
  }

  std::optional<config::Operator> person_named(const std::string& person) {
    std::lock_guard lock(mu);
    for (const auto& p : people) {
      if (p.name == person) return p;
    }
    return std::nullopt;
  }

  // Whether `source` has used up its refusals for the window.
  bool limited(const std::string& source) {
    std::lock_guard lock(mu);
    auto found = failures.find(limit_key(source));
    if (found == failures.end()) return false;
    if (clock.now() - found->second.first >= limits.window) {
      failures.erase(found);
      return false;
    }
    return found->second.count >= limits.max_failures;
  }
  void count_failure(const std::string& source) {
    std::lock_guard lock(mu);
    // Bounded: a spray from many addresses must not grow the map without end.
    if (failures.size() >= 10000) {
      for (auto it = failures.begin(); it != failures.end();) {
        it = clock.now() - it->second.first >= limits.window ? failures.erase(it) : std::next(it);
      }
      if (failures.size() >= 10000) failures.clear();
    }
    auto& f = failures[limit_key(source)];
    if (f.count == 0) f.first = clock.now();
    ++f.count;
  }
};

ApiTokens::ApiTokens(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiTokens::~ApiTokens() = default;

Result<std::unique_ptr<ApiTokens>> ApiTokens::open(store::SharedDatabase& db, const config::ServiceConfig& config, audit::AuditLog& log,
                                                   const Clock& clock, TokenLimits limits) {
  {
    auto use = db.use();
    // A store without the table (schema not migrated) fails here, at start, not at the first call.
    SANSO_TRY(use->query("SELECT name FROM api_tokens WHERE name = ?", {std::string()}));
  }
  auto tokens = std::unique_ptr<ApiTokens>(new ApiTokens(std::make_unique<Impl>(db, log, clock, limits)));
  tokens->reload(config);
  return tokens;
}

void ApiTokens::reload(const config::ServiceConfig& config) {
  std::lock_guard lock(impl_->mu);
  impl_->people = config.operators;
  impl_->admin_roles = config.web.admin_roles;
  impl_->console_roles = config.web.roles;
  impl_->permission_map = PermissionMap::from(config.web);
}

Result<std::string> ApiTokens::create(const std::string& name, const std::string& person, const std::vector<std::string>& scopes,
                                      const quarantine::Actor& actor) {
  SANSO_TRY(impl_->check_administrator(actor, "api.token-create", name));
  if (!valid_client_name(name)) {
    return make_error("api.input", name, "a client name is 1 to 64 characters of a-z, 0-9, '.', '_' and '-'");
  }
  if (!impl_->roles_of(person)) return make_error("api.input", person, "'" + person + "' is not a person of [[users]] in sanso.toml");
  if (scopes.empty()) return make_error("api.input", name, "give at least one --scope (" + joined({std::begin(kApiScopes), std::end(kApiScopes)}) + ")");
  std::vector<std::string> sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const auto& s : sorted) {
    if (!is_api_scope(s)) {
      return make_error("api.input", s, "'" + s + "' is not a scope; scopes are " + joined({std::begin(kApiScopes), std::end(kApiScopes)}));
    }
  }
  std::string token = new_token();
  const std::string hash = sha256_hex(token);
  auto e = impl_->event(actor.name, "api.token-create", name, "ok");
  e.details = {{"person", person}, {"scopes", joined(sorted)}, {"token", hash.substr(0, 16)}, {"via", actor.via}};
  SANSO_TRY(impl_->db.commit([&](store::Database& db) -> Result<void> {
    auto taken = SANSO_TRY(db.query_one("SELECT 1 FROM api_tokens WHERE name = ?", {name}));
    if (taken) return make_error("api.exists", name, "the client name '" + name + "' is taken (also when revoked: names are not reused)");
    SANSO_TRY(db.execute("INSERT INTO api_tokens (name, token_sha256, person, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                         {name, hash, person, nlohmann::json(sorted).dump(), actor.name, e.time}));
    return impl_->log.append(db, e);
  }));
  return token;
}

Result<void> ApiTokens::revoke(const std::string& name, const quarantine::Actor& actor) {
  SANSO_TRY(impl_->check_administrator(actor, "api.token-revoke", name));
  auto e = impl_->event(actor.name, "api.token-revoke", name, "ok");
  e.details = {{"via", actor.via}};
  return impl_->db.commit([&](store::Database& db) -> Result<void> {
    auto changed = SANSO_TRY(db.execute("UPDATE api_tokens SET revoked_by = ?, revoked_at = ? WHERE name = ? AND revoked_at = 0",
                                        {actor.name, e.time, name}));
    if (changed == 0) return make_error("api.not-found", name, "no token in force is named '" + name + "' (see `sanso api token list`)");
    return impl_->log.append(db, e);
  });
}

Result<std::vector<ApiToken>> ApiTokens::list() {
  auto use = impl_->db.use();
  auto rows = SANSO_TRY(use->query(
      "SELECT name, person, scopes, created_by, created_at, revoked_by, revoked_at, last_used_at FROM api_tokens ORDER BY name"));
  std::vector<ApiToken> out;
  for (const auto& r : rows) {
    out.push_back(ApiToken{r.text(0), r.text(1), parse_scopes(r.text(2)), r.text(3), r.integer(4), r.text(5), r.integer(6), r.integer(7)});
  }
  return out;
}

Result<std::variant<ApiClient, TokenRefusal>> ApiTokens::authenticate(std::string_view authorization, const std::string& source) {
  if (impl_->limited(source)) {
    impl_->refused.inc();
    return Authenticated{TokenRefusal::kRateLimited};
  }
  auto refuse = [&](TokenRefusal why, const std::string& subject) -> Result<std::variant<ApiClient, TokenRefusal>> {
    impl_->refused.inc();
    impl_->count_failure(source);
    auto e = impl_->event("unknown", "api.token-refused", subject, "refused");
    e.details = {{"reason", std::string(to_string(why))}, {"source", source}};
    if (impl_->limited(source)) e.details.emplace_back("rate_limited_for_seconds", std::to_string(impl_->limits.window.count()));
    SANSO_TRY(impl_->log.record(impl_->db, e));
    return Authenticated{why};
  };
  auto token = bearer_token(authorization);
  if (!token) return refuse(TokenRefusal::kMalformed, "");
  const std::string hash = sha256_hex(*token);
  std::optional<store::Row> row;
  {
    auto use = impl_->db.use();
    row = SANSO_TRY(use->query_one("SELECT name, person, scopes, revoked_at, token_sha256, last_used_at FROM api_tokens WHERE token_sha256 = ?", {hash}));
  }
  // The lookup is by hash, so its timing says nothing of the token; the comparison is constant
  // time all the same, so that no index or collation ever decides alone.
  if (!row || row->text(4).size() != hash.size() || sodium_memcmp(row->text(4).data(), hash.data(), hash.size()) != 0) {
    return refuse(TokenRefusal::kUnknown, hash.substr(0, 16));
  }
  const std::string name = row->text(0);
  if (row->integer(3) != 0) return refuse(TokenRefusal::kRevoked, name);
  auto person = impl_->person_named(row->text(1));
  if (!person) return refuse(TokenRefusal::kPersonGone, name);
  const std::int64_t t = impl_->now();
  if (t - row->integer(5) >= 60) {  // a minute's resolution: fewer writes from a busy client
    auto use = impl_->db.use();
    SANSO_TRY(use->execute("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", {t, name}));
  }
  ApiClient client;
  client.name = name;
  client.person = row->text(1);
  client.roles = std::move(person->roles);
  client.zone = std::move(person->zone);
  client.scopes = parse_scopes(row->text(2));
  client.source = source;
  {
    std::lock_guard lock(impl_->mu);
    const auto& console_roles = impl_->console_roles;
    client.console_person = std::any_of(client.roles.begin(), client.roles.end(), [&](const std::string& r) {
      return std::find(console_roles.begin(), console_roles.end(), r) != console_roles.end();
    });
    client.permissions = impl_->permission_map.of(client.roles);
  }
  return Authenticated{std::move(client)};
}

Result<std::uint64_t> ApiTokens::record(const store::AuditEvent& event) { return impl_->log.record(impl_->db, event); }

Result<void> ApiTokens::record_refused_call(const ApiClient& client, const std::string& method, const std::string& path, const std::string& needs,
                                            const std::string& reason) {
  auto e = impl_->event(client.person, "api.request", path.substr(0, 200), "refused");
  e.details = {{"reason", reason}, {"method", method.substr(0, 16)}, {"needs", needs}, {"via", client.actor().via}};
  SANSO_TRY(impl_->log.record(impl_->db, e));
  return ok();
}

}  // namespace sanso::web
