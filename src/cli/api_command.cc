// `sanso api token create|revoke|list`: the tokens other systems call the JSON API with
// (docs/api.md). Creating and revoking need one of [web] admin_roles and are audited; a token is
// printed once, at creation, and only its SHA-256 is kept.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/service.h"
#include "core/clock.h"
#include "core/text.h"
#include "web/api_tokens.h"

namespace sanso::cli {
namespace {

struct TokenSession {
  QuarantineSession base;
  std::unique_ptr<web::ApiTokens> tokens;
};

Result<TokenSession> open_tokens(const ServiceOptions& o) {
  TokenSession s{SANSO_TRY(open_quarantine_session(o)), nullptr};
  s.tokens = SANSO_TRY(web::ApiTokens::open(*s.base.db, s.base.service.config, *s.base.log));
  return s;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

int run_create(const ServiceOptions& o, const std::string& name, const std::string& person, const std::vector<std::string>& scopes) {
  auto s = CLI_TRY(open_tokens(o));
  auto actor = CLI_TRY(resolve_actor(s.base.service, o));
  // Acting for oneself unless told otherwise: the token can do what its person can, no more.
  const std::string for_whom = person.empty() ? actor.name : person;
  std::string token = CLI_TRY(s.tokens->create(name, for_whom, scopes, actor));
  std::fprintf(stderr, "%s: APIトークンを作成しました（%s として、スコープ %s）。この表示が最後です。安全に保管してください。\n"
                       "%s: API token created (acting for %s, scopes %s). It is shown only now: keep it safe.\n",
               name.c_str(), for_whom.c_str(), joined(scopes).c_str(), name.c_str(), for_whom.c_str(), joined(scopes).c_str());
  std::printf("%s\n", token.c_str());
  return kExitOk;
}

int run_revoke(const ServiceOptions& o, const std::string& name) {
  auto s = CLI_TRY(open_tokens(o));
  auto actor = CLI_TRY(resolve_actor(s.base.service, o));
  CLI_TRY(s.tokens->revoke(name, actor));
  std::printf("%s: APIトークンを失効させました。/ API token revoked.\n", name.c_str());
  return kExitOk;
}

int run_list(const ServiceOptions& o) {
  auto s = CLI_TRY(open_tokens(o));
  auto tokens = CLI_TRY(s.tokens->list());
  for (const auto& t : tokens) {
    std::string state = t.revoked_at != 0 ? "失効 revoked " + local_time(t.revoked_at) + " by " + t.revoked_by : "有効 in force";
    std::printf("%s %s %s %s  created %s by %s", pad_to_width(t.name, 20).c_str(), pad_to_width(t.person, 12).c_str(),
                pad_to_width(joined(t.scopes), 36).c_str(), state.c_str(), local_time(t.created_at).c_str(), t.created_by.c_str());
    if (t.last_used_at != 0) std::printf("  last used %s", local_time(t.last_used_at).c_str());
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

void register_api_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServiceOptions>();
  auto name = std::make_shared<std::string>();
  auto person = std::make_shared<std::string>();
  auto scopes = std::make_shared<std::vector<std::string>>();
  CLI::App* api = app.add_subcommand("api", "the JSON API's client tokens (docs/api.md)");
  api->require_subcommand(1);
  CLI::App* token = api->add_subcommand("token", "create, revoke and list API tokens");
  token->require_subcommand(1);

  CLI::App* create = token->add_subcommand("create", "a new token for a client; printed once, kept only as its hash");
  add_service_options(*create, *o, true);
  create->add_option("NAME", *name, "the client's name, e.g. fileserver ([a-z0-9._-], never reused)")->required();
  create->add_option("--scope", *scopes, "decide, quarantine, approvals, transfer, findings, metrics (repeat or comma-separate)")
      ->required()
      ->delimiter(',');
  create->add_option("--for", *person, "the [[users]] person the token acts for, whose roles it has (default: --as)");
  create->callback([&exit_code, o, name, person, scopes] { exit_code = run_create(*o, *name, *person, *scopes); });

  CLI::App* revoke = token->add_subcommand("revoke", "revoke a client's token at once");
  add_service_options(*revoke, *o, true);
  revoke->add_option("NAME", *name, "the client's name")->required();
  revoke->callback([&exit_code, o, name] { exit_code = run_revoke(*o, *name); });

  CLI::App* list = token->add_subcommand("list", "every token: client, person, scopes, state, last use (never the token)");
  add_service_options(*list, *o, false);
  list->callback([&exit_code, o] { exit_code = run_list(*o); });
}

}  // namespace sanso::cli
