// The console's server, shared by its two halves: the HTTP plumbing (console.cc: addresses,
// responses, sessions, forms, routes) and the page handlers (console_pages.cc). Private to
// src/web.
#pragma once

#include <httplib.h>

#include <map>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "policy/network.h"
#include "web/accounts.h"
#include "web/api_tokens.h"
#include "web/console.h"
#include "web/guarded_server.h"
#include "web/pages.h"
#include "web/internal/post_limit.h"

namespace sanso::policy {
class CompiledPolicy;
struct Policy;
}

namespace sanso::web {
namespace internal {

inline constexpr const char* kSessionCookie = "sanso_session";
inline constexpr const char* kLangCookie = "sanso_lang";
inline constexpr std::size_t kMaxBody = 64 * 1024;  // forms only: a reason or a note, never a file
inline constexpr std::size_t kMaxField = 4000;
// The transfer upload's body beyond its files: part headers and the few form fields.
inline constexpr std::uint64_t kUploadOverhead = 1024 * 1024;
// Where a multipart body's Content-Type is moved before routing (console.cc), so that the
// library's own multipart reader never sees it and ours (web/multipart.h) reads it as it arrives.
inline constexpr const char* kFormTypeHeader = "Sanso-Form-Content-Type";
// The self-inspection's evidence upload (prove_pages.cc): one file of at most 32 MiB
// (inspect::kMaxEvidenceBytes) and a few fields.
inline constexpr const char* kEvidencePath = "/inspect/evidence";
inline constexpr std::uint64_t kEvidenceUploadMax = (32u << 20) + kUploadOverhead;

// What every page of a signed-in person knows.
struct Context {
  Session session;
  Lang lang = Lang::kJa;
  std::string source;
  quarantine::Actor actor() const { return quarantine::Actor{session.name, session.roles, "console session " + session.id + " from " + source}; }
};

std::string cookie(const httplib::Request& req, std::string_view name);
Lang lang_of(const httplib::Request& req);
// A form or query field; "" when absent. Invalid UTF-8 was refused before any handler ran.
std::string field(const httplib::Request& req, const char* key);
// A field of the form in the body only: the form token must never be taken from the address,
// where it would leak into logs, history and Referer headers.
std::string form_field(const httplib::Request& req, const char* key);
bool fields_are_text(const httplib::Request& req);
// A local path to return to after a language switch or sign-in: never another site. Only a plain
// path of visible ASCII: browsers drop tabs and newlines from a Location and read "\\" as "/",
// so "/\t/evil.example" or "/\\evil.example" would lead away; "//" anywhere is refused too.
std::string local_path(const std::string& p);
// The HTTP status of an error the quarantine or the transfers return (console_pages.cc).
int error_status(const Error& e);
// Names who a request turned out to be, for its access-log line (console.cc).
void note_actor(const std::string& name);
// The transfers' part of it (transfer_pages.cc).
int transfer_error_status(const Error& e);
// A file as a download the browser never shows (its name made safe for the header; transfer_pages.cc).
void send_attachment(httplib::Response& res, const std::string& name, std::string bytes);
// The API's transfer upload (api.cc), read as it arrives like the console's (console.cc routes).
inline constexpr const char* kApiUploadPath = "/api/v1/transfers";

}  // namespace internal

struct ApiState;

struct Console::Impl {
  ConsoleOptions options;
  ConsoleServices services;
  std::unique_ptr<GuardedServer> server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;

  // Unauthenticated POSTs per internet-side client (refused_flood).
  internal::PostLimit unauthenticated_posts;

  Impl(ConsoleOptions o, ConsoleServices s)
      : options(std::move(o)),
        services(std::move(s)),
        unauthenticated_posts(static_cast<std::size_t>(std::max(options.unauthenticated_posts_per_window, 1)),
                              std::chrono::seconds(std::max(options.unauthenticated_post_window_seconds, 1)), internal::PostLimit::kNetworksKept,
                              nat64_prefixes(options.nat64_prefixes)) {}

  // The configured prefixes as the limiter compares them (text config already checked).
  static std::vector<internal::PostLimit::Nat64Prefix> nat64_prefixes(const std::vector<std::string>& texts) {
    std::vector<internal::PostLimit::Nat64Prefix> out;
    for (const auto& text : texts) {
      auto cidr = policy::parse_cidr(text);
      if (!cidr || cidr->v4) continue;
      internal::PostLimit::Nat64Prefix p;
      for (int i = 0; i < 16; ++i) p.bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(cidr->base >> (8 * (15 - i)));
      p.bits = cidr->bits;
      out.push_back(p);
    }
    return out;
  }

  using Page = std::function<void(const httplib::Request&, httplib::Response&, const internal::Context&)>;

  // ---- HTTP: addresses, responses, sessions and forms (console.cc) ----

  bool secure() const;
  bool trusted_proxy(const std::string& address) const;
  std::string peer(const httplib::Request& req) const;
  // The browser's address: the peer's, unless the peer is a trusted proxy; then the nearest
  // address in X-Forwarded-For that is not one (addresses further left were written by the
  // client, or proxies nobody vouches for, and prove nothing).
  std::string client_address(const httplib::Request& req) const;
  // The same, or nothing when a hop of the trusted proxies' X-Forwarded-For cannot be read as an
  // address. Such a request is refused (400, refused_unreadable_forwarding), not served as the
  // proxy's own: then every client behind the proxy would share its address — one allowance of
  // the flood limit, one zone. Nor is the next readable hop further left taken: that text came
  // before the hop the trusted chain lost, from the client or a proxy nobody vouches for, and
  // would let a client choose its own address. A proxy that writes such hops is misconfigured;
  // its operator sees the 400s in the access log.
  std::optional<std::string> forwarded_client(const httplib::Request& req) const;
  bool refused_unreadable_forwarding(const httplib::Request& req, httplib::Response& res) const;
  // Whether the browser spoke HTTPS: to this console, or to a trusted proxy that says so.
  bool browser_used_tls(const httplib::Request& req) const;
  nlohmann::json frame(const httplib::Request& req, const std::string& title, const internal::Context* ctx) const;
  void send_page(httplib::Response& res, int status, Lang lang, nlohmann::json frame_values, const std::string& content) const;
  void send_error(const httplib::Request& req, httplib::Response& res, const internal::Context* ctx, Lang lang, int status,
                  const std::string& key) const;
  void redirect(httplib::Response& res, const std::string& to) const;
  std::string session_cookie(const httplib::Request& req, const std::string& value, std::int64_t max_age) const;
  // A state-changing request must come from one of our own pages: an Origin, when the browser
  // sends one, names this console — as [web] public_origin, or as the browser reached it.
  bool same_origin(const httplib::Request& req) const;
  // A refused form is evidence (someone's page tried to act for a signed-in person): recorded.
  void refuse_form(const httplib::Request& req, httplib::Response& res, const internal::Context* ctx, Lang lang, const char* reason);
  httplib::Server::Handler signed_in(Page page, bool post);
  // A zone's console ([listeners] web_zones): refuses (403, recorded) a browser whose address is
  // outside its zone, and a signed-in person who acts from another zone. True when it refused.
  bool refused_outside_zone(const httplib::Request& req, httplib::Response& res);
  // A POST from an internet-side client that no session vouches for, over its allowance
  // (ConsoleOptions::unauthenticated_posts_per_window): 429, and the first of a window recorded.
  // Runs before anything else looks at the request. True when it refused.
  bool refused_flood(const httplib::Request& req, httplib::Response& res);
  bool refused_other_listener(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // A page of a group of pages: served to a person holding one of `any_of` ([web.permissions]);
  // anyone else gets 403, and the attempt is recorded (reason "permission").
  Page needs(std::vector<Permission> any_of, Page page);
  // The check itself, for handlers that read their own body: true when it refused.
  bool refused_without(const std::vector<Permission>& any_of, const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void routes();
  // The request's access-log line (log::request), once it is answered.
  void log_request(const httplib::Request& req, const httplib::Response& res);

  // ---- pages (console_pages.cc) ----

  void login_page(const httplib::Request& req, httplib::Response& res);
  void login(const httplib::Request& req, httplib::Response& res);
  void logout(const httplib::Request& req, httplib::Response& res, const internal::Context&);
  void dashboard(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void quarantine_list(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void item_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& id,
                 const std::string& notice, const std::optional<Error>& failure);
  // After a successful action: back to the item (post/redirect/get), with what happened.
  void acted(httplib::Response& res, const std::string& id, const char* done);
  void item_action(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& action);
  void download(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void audit_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void account_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& notice,
                    const std::string& error, int status);
  void change_password(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);

  // ---- file transfers between zones (transfer_pages.cc) ----

  void transfer_routes();
  // The zone the browser's address is in ("internet" for an address in none, as everywhere).
  std::string address_zone(const httplib::Request& req) const;
  // Refuses (and records) a transfer page for a person without a zone, or at an address outside it.
  bool refused_other_side(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // A transfer page for a signed-in person who holds one of `any_of`, acts from a zone and sits
  // at an address of it.
  httplib::Server::Handler on_own_side(std::vector<Permission> any_of, Page page, bool post);
  void transfer_home(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& error, int status);
  void transfer_send(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body);
  void transfer_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& id,
                     const std::string& notice, const std::optional<Error>& failure, const std::string& link);
  void transfer_file(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void transfer_decide(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void transfer_issue_link(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void transfer_unlock(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void link_page(const httplib::Request& req, httplib::Response& res, const std::string& error, int status);
  void link_download(const httplib::Request& req, httplib::Response& res);
  // PPAP from mail: the sender's one-time link to give an attachment's password.
  void ppap_page(const httplib::Request& req, httplib::Response& res, const std::string& message, int status);
  void ppap_unlock(const httplib::Request& req, httplib::Response& res);

  // ---- the approvals inbox (inbox_page.cc) ----

  void inbox_routes();
  // The policy the console knows (the transfers' or the registers'); null without either.
  const policy::Policy* policy_in_force() const;
  // The approver role as the policy names it ("情報セキュリティ管理者 (security_manager)"); the
  // configured approver roles when `role` is empty.
  std::string role_label(const std::string& role, Lang lang) const;
  // Whether approving for `approver_role` asks the person's one-time code: when the policy's role
  // requires MFA, the person has a second factor, or [web] require_second_factor holds.
  Result<bool> decision_needs_code(const internal::Context& ctx, const std::string& approver_role);
  // Checks that code when it is needed (recorded by the accounts); "web.second-factor" when wrong.
  Result<void> confirm_approval(const internal::Context& ctx, const std::string& approver_role, const std::string& code, const std::string& what);
  void inbox_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& error, int status);
  void inbox_decide(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);

  // ---- the flow monitor's findings (findings_page.cc) ----

  void findings_routes();
  void zone_map_routes();  // zone_map_page.cc
  bool may_acknowledge_findings(const internal::Context& ctx) const;

  // ---- the registers and the self-inspection (prove_pages.cc) ----

  bool offers_proof() const;
  void proof_routes();
  // Signed in and holding `needed` ([web.permissions] registers or inspection).
  httplib::Server::Handler proof_page(Permission needed, Page page, bool post);
  void proof_failed(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const Error& e);
  void registers_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // `typed`: what the person typed into a refused form, given back to correct.
  void register_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& notice,
                     const std::optional<Error>& failure, const std::map<std::string, std::string>& typed);
  void register_entry_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& notice,
                           const std::optional<Error>& failure, const std::map<std::string, std::string>& typed);
  void register_put(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, bool update);
  void contract_check_post(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void contract_check_export(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void register_export(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // `failure`: a refused campaign creation, shown with what the person typed.
  void campaigns_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx,
                      const std::optional<Error>& failure = std::nullopt);
  void campaign_create(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void campaign_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& id,
                     const std::string& notice, const std::optional<Error>& failure);
  void campaign_action(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx, const std::string& action);
  void campaign_report(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void campaign_evidence(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void statistics_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // Clause 8's review: the kept policy versions, and what changes between two of them.
  void policy_versions_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void policy_diff_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  // 6(5): who of the directory's training groups has attended, from the training register.
  void audience_page(const httplib::Request& req, httplib::Response& res, const internal::Context& ctx);
  void evidence_upload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body);

  // ---- the JSON API and /metrics (api.cc) ----

  std::shared_ptr<ApiState> api;
  using ApiHandler = std::function<void(const httplib::Request&, httplib::Response&, const ApiClient&)>;
  void api_routes();
  // An API endpoint of `scope` that the console offers to holders of `any_of`: the bearer token
  // checked, the call timed and counted.
  httplib::Server::Handler api_call(const char* scope, std::vector<Permission> any_of, ApiHandler handler);
  // The client of a request's token if it holds `scope` and its person could do the same in the
  // console (a console person holding one of `any_of`); otherwise the refusal is sent (and a
  // refusal of the person recorded).
  std::optional<ApiClient> authenticate_api(const httplib::Request& req, httplib::Response& res, const char* scope,
                                            const std::vector<Permission>& any_of);
  // An error of the plumbing (length, size, not found) as a JSON error object, for /api/ paths.
  void send_json_error(const httplib::Request& req, httplib::Response& res, int status, const std::string& key) const;
  Result<const policy::CompiledPolicy*> decision_table();
  void api_decide(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_quarantine_list(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_item(httplib::Response& res, const ApiClient& client, const std::string& id);
  void api_quarantine_action(const httplib::Request& req, httplib::Response& res, const ApiClient& client, const std::string& action);
  void api_findings(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  // The transfers (scope transfer; deciding: approvals), as the console's transfer pages offer them.
  void api_transfer_routes();
  // Refuses (403 api.zone, recorded) a client whose person acts from no zone, from another zone
  // than this console's listener serves, or from an address outside their zone. True when it refused.
  bool refused_api_side(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_transfers_list(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_transfer_get(httplib::Response& res, const ApiClient& client, const std::string& id);
  void api_transfer_send(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body);
  void api_transfer_file(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_transfer_decide(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void api_transfer_unlock(const httplib::Request& req, httplib::Response& res, const ApiClient& client);
  void metrics_page(const httplib::Request& req, httplib::Response& res);
};

}  // namespace sanso::web
